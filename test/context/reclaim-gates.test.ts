// Which functions of a patch the reclaim analysis walks in a diff-only review: those whose changes can meet
// something the rules judge. A WQ_MEM_RECLAIM queue in the patch makes its work (bound where the patch shows it)
// and what the work calls worth walking; a function the work cannot reach is not.
import { describe, expect, it } from "vitest";
import { reclaimAnalysis } from "../../src/context/reclaim.js";
import { parsePatchText } from "../../src/ingest/index.js";
import { formatPatch } from "../helpers/patch.js";

// Written for this test, modelled on a device-mapper target with a chunk-reset work item.
const FILE = `static struct workqueue_struct *zed_chunk_wq;
static struct work_struct zed_chunk_work;

static int zed_reset_zone(struct zed_dev *zd, struct zed_zone *z)
{
	struct zed_req *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	return zed_submit_reset(zd, z, r);
}

static void zed_chunk_fn(struct work_struct *work)
{
	struct zed_dev *zd = container_of(work, struct zed_dev, chunk_work);

	zed_reset_zone(zd, zd->next);
}

static int zed_stats_grow(struct zed_dev *zd, unsigned int n)
{
	zd->stats = kcalloc(n, sizeof(*zd->stats), GFP_KERNEL);
	return zd->stats ? 0 : -ENOMEM;
}

static int zed_init(struct zed_dev *zd)
{
	zed_chunk_wq = alloc_workqueue("zed_cwq", WQ_MEM_RECLAIM, 0);
	INIT_WORK(&zed_chunk_work, zed_chunk_fn);
	queue_work(zed_chunk_wq, &zed_chunk_work);
	return 0;
}
`;

describe("diff-only walks with a WQ_MEM_RECLAIM queue in the patch", () => {
  const names = () => {
    const patch = parsePatchText(formatPatch({ files: [{ path: "drivers/md/zed.c", before: null, after: FILE }] }), "t.patch").patches[0]!;
    return reclaimAnalysis({ patch }).post().map((v) => v.name);
  };

  it("walks the work function and the function it calls", () => {
    expect(names()).toContain("zed_chunk_fn");
    expect(names()).toContain("zed_reset_zone");
  });

  it("does not walk an allocating function the work cannot reach", () => {
    expect(names()).not.toContain("zed_stats_grow");
  });
});

// lock-taken-in-reclaim: the patch makes reclaim-side code take a lock that other code holds across an allocation.
import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/gfp-context/lock-taken-in-reclaim.js";
import { rule as allocWhileHolding } from "../../src/rules/gfp-context/alloc-while-holding.js";
import { reviewWithTree } from "../helpers/tree-review.js";

// Fixtures written for these tests, modelled on a filesystem whose eviction drops a per-filesystem mapping table
// that an update path rebuilds under the same mutex.
const fsFile = (evict: string, mask = "GFP_KERNEL", lock = "mutex_lock") => `static DEFINE_MUTEX(quill_map_mutex);

static int quill_update_map(struct quill_sb_info *sbi, size_t len)
{
	void *p;

	mutex_lock(&quill_map_mutex);
	p = kmalloc(len, ${mask});
	if (p)
		sbi->map = p;
	mutex_unlock(&quill_map_mutex);
	return p ? 0 : -ENOMEM;
}

static void quill_evict_inode(struct inode *inode)
{
	truncate_inode_pages_final(&inode->i_data);
${evict}	clear_inode(inode);
}

static const struct super_operations quill_sops = {
	.evict_inode = quill_evict_inode,
};
`.replace("mutex_lock(&quill_map_mutex);\n\tp =", `${lock}(&quill_map_mutex);\n\tp =`);
const drop = "\tquill_drop_mapping(inode);\n";
const locked = (l = "mutex_lock") => `\t${l}(&quill_map_mutex);\n\tquill_drop_mapping(inode);\n\tmutex_unlock(&quill_map_mutex);\n`;
const path = "fs/quill/super.c";
const run = (before: string, after: string, rules = [rule]) => reviewWithTree(new Map([[path, before]]), { files: [{ path, before, after }] }, rules);

describe("lock-taken-in-reclaim", () => {
  it("inode eviction now takes a mutex another path holds across GFP_KERNEL: a warning on the lock, naming both", async () => {
    const f = await run(fsFile(drop), fsFile(locked()));
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[18, "warning", "taken"]]);
    expect(f[0]!.message).toContain("&quill_map_mutex is now taken on a path reclaim runs: quill_evict_inode() (super_operations.evict_inode) takes it in reclaim");
    expect(f[0]!.message).toContain("quill_update_map() holds &quill_map_mutex across kmalloc(GFP_KERNEL) (fs/quill/super.c:8)");
  });

  it("is quiet when the holder allocates with GFP_NOFS, when eviction only trylocks, and when the lock was taken before", async () => {
    expect(await run(fsFile(drop, "GFP_NOFS"), fsFile(locked(), "GFP_NOFS"))).toEqual([]);
    expect(await run(fsFile(drop), fsFile(locked("mutex_trylock").replace("\tmutex_trylock(&quill_map_mutex);\n", "\tif (!mutex_trylock(&quill_map_mutex))\n\t\treturn;\n")))).toEqual([]);
    expect(await run(fsFile(locked()), fsFile(locked().replace(drop, `${drop}\tquill_count(inode);\n`)))).toEqual([]);
  });

  it("leaves an allocation the patch adds under the lock to alloc-while-holding (one finding, not two)", async () => {
    const f = await run(fsFile(drop).replace("\tp = kmalloc(len, GFP_KERNEL);\n", "\tp = quill_spare(sbi);\n"), fsFile(locked()), [rule, allocWhileHolding]);
    expect(f.map((x) => x.rule)).toEqual(["alloc-while-holding"]);
  });
});

describe("lock-taken-in-reclaim: the IO path", () => {
  // written for this test, modelled on a block driver whose queue_rq now serialises on a configuration mutex that the
  // reconfiguration path holds while it allocates
  const drv = (queueRq: string) => `static DEFINE_MUTEX(slate_cfg_mutex);

static int slate_reconfigure(struct slate_dev *sd, unsigned int n)
{
	struct slate_map *m;

	mutex_lock(&slate_cfg_mutex);
	m = kcalloc(n, sizeof(*m), GFP_KERNEL);
	if (m)
		sd->map = m;
	mutex_unlock(&slate_cfg_mutex);
	return m ? 0 : -ENOMEM;
}

static blk_status_t slate_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)
{
	struct slate_dev *sd = hctx->queue->queuedata;
	blk_status_t ret;

${queueRq}	return ret;
}

static const struct blk_mq_ops slate_mq_ops = {
	.queue_rq = slate_queue_rq,
};
`;
  const p = "drivers/block/slate.c";
  it("queue_rq now takes the mutex: reclaim that waits for this device's IO waits for the lock", async () => {
    const before = drv("\tret = slate_submit(sd, bd->rq);\n");
    const after = drv("\tmutex_lock(&slate_cfg_mutex);\n\tret = slate_submit(sd, bd->rq);\n\tmutex_unlock(&slate_cfg_mutex);\n");
    const f = await reviewWithTree(new Map([[p, before]]), { files: [{ path: p, before, after }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[20, "warning"]]);
    expect(f[0]!.message).toContain("&slate_cfg_mutex is now taken on a path reclaim waits on (the IO path): slate_queue_rq() (blk_mq_ops.queue_rq) takes it on the IO path");
    expect(f[0]!.fix).toContain("GFP_NOIO");
  });
});

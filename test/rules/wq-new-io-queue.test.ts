import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { memoryTree, openSources } from "../../src/context/sources.js";
import { parsePatchText } from "../../src/ingest/index.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { review } from "../../src/pipeline.js";
import { rule } from "../../src/rules/workqueue-reclaim/wq-new-io-queue.js";
import { formatPatch } from "../helpers/patch.js";
import { ruleTester } from "../helpers/rule-tester.js";

const init = `static int zapblk_init_queues(struct zap *z)
{
	z->ctl_wq = alloc_workqueue("zapblk_ctl", WQ_UNBOUND, 0);
	if (!z->ctl_wq)
		return -ENOMEM;
	return 0;
}
`;

function withQueue(line: string): string {
  return init.replace("\treturn 0;\n}", `${line}\n\treturn 0;\n}`);
}

ruleTester(rule, {
  valid: [
    {
      name: "new IO queue created with WQ_MEM_RECLAIM",
      patch: { files: [{ path: "drivers/block/zapblk.c", before: init, after: withQueue('\tz->io_wq = alloc_workqueue("zapblk_io", WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);') }] },
    },
    {
      name: "new queue whose name has no IO word",
      patch: { files: [{ path: "drivers/block/zapblk.c", before: init, after: withQueue('\tz->poll_wq = alloc_workqueue("zapblk_hotplug", WQ_UNBOUND, 0);') }] },
    },
    {
      name: "flags from a variable we cannot see",
      patch: { files: [{ path: "drivers/block/zapblk.c", before: init, after: withQueue('\tz->io_wq = alloc_workqueue("zapblk_io", zapblk_wq_flags, 0);') }] },
    },
    {
      name: "word io only inside another word (radio)",
      patch: { files: [{ path: "drivers/net/zapradio.c", before: init, after: withQueue('\tz->radio_wq = alloc_workqueue("zapradio", 0, 0);') }] },
    },
    {
      name: "existing queue reformatted",
      patch: { files: [{ path: "drivers/block/zapblk.c", before: init, after: init.replace('alloc_workqueue("zapblk_ctl", WQ_UNBOUND, 0)', 'alloc_workqueue("zapblk_ctl",\n\t\t\t\t   WQ_UNBOUND, 0)') }] },
    },
  ],
  invalid: [
    {
      name: "new completion queue without the flag",
      patch: { files: [{ path: "drivers/block/zapblk.c", before: init, after: withQueue('\tz->done_wq = alloc_workqueue("zapblk_completion", WQ_UNBOUND | WQ_HIGHPRI, 0);') }] },
      errors: [{ messageId: "byName", line: 6, severity: "info" }],
    },
    {
      name: "new log queue, name with a format",
      patch: { files: [{ path: "fs/quuxfs/super.c", before: init, after: withQueue('\tz->log_wq = alloc_ordered_workqueue("quuxfs-log/%s", 0, z->name);') }] },
      errors: [{ messageId: "byName", line: 6 }],
    },
    {
      name: "new queue whose work ends bios",
      patch: {
        files: [
          {
            path: "drivers/block/zapblk.c",
            before: init,
            after:
              withQueue('\tz->aux_wq = alloc_workqueue("zapblk_aux", WQ_UNBOUND, 0);') +
              "\nstatic void zapblk_aux_fn(struct work_struct *work)\n{\n\tstruct zap_cmd *cmd = container_of(work, struct zap_cmd, work);\n\n\tbio_endio(cmd->bio);\n}\n\nstatic void zapblk_submit(struct zap *z, struct zap_cmd *cmd)\n{\n\tINIT_WORK(&cmd->work, zapblk_aux_fn);\n\tqueue_work(z->aux_wq, &cmd->work);\n}\n",
          },
        ],
      },
      errors: [{ messageId: "byWork", line: 6 }],
    },
  ],
});

// ------------------------------------------------------------ with a source tree

const ZAP_H = "#define ZAP_WQ_FLAGS (WQ_UNBOUND | WQ_HIGHPRI)\n";
const ZAP_IO = `#include "zap.h"

static void zap_finish(struct zap_cmd *cmd)
{
	blk_mq_end_request(cmd->rq, BLK_STS_OK);
}

static void zap_aux_work(struct work_struct *work)
{
	struct zap_cmd *cmd = container_of(work, struct zap_cmd, work);

	zap_finish(cmd);
}

void zap_defer(struct zap_dev *z, struct zap_cmd *cmd)
{
	INIT_WORK(&cmd->work, zap_aux_work);
	queue_work(z->aux_wq, &cmd->work);
}
`;
const ZAP_MAIN = `#include "zap.h"

int zap_init(struct zap_dev *z)
{
	return 0;
}
`;

async function reviewWithTree(after: string) {
  const tree = new Map([
    ["drivers/block/zap/zap.h", ZAP_H],
    ["drivers/block/zap/zap_io.c", ZAP_IO],
    ["drivers/block/zap/zap_main.c", ZAP_MAIN],
  ]);
  const input = parsePatchText(formatPatch({ files: [{ path: "drivers/block/zap/zap_main.c", before: ZAP_MAIN, after }] }), "t.patch");
  const sources = openSources(memoryTree(tree));
  await sources.prepare!(input.patches);
  return review(input, sources, DEFAULT_CONFIG, loadKnowledge(), [rule]).reviews[0]!.findings;
}

describe("wq-new-io-queue with source context", () => {
  const after = ZAP_MAIN.replace("\treturn 0;", '\tz->aux_wq = alloc_workqueue("zap_aux", ZAP_WQ_FLAGS, 0);\n\treturn z->aux_wq ? 0 : -ENOMEM;');

  it("resolves flags from a macro and finds the completing work in another file", async () => {
    const f = await reviewWithTree(after);
    expect(f.map((x) => [x.line, x.messageId])).toEqual([[5, "byWork"]]);
    expect(f[0]!.message).toContain("blk_mq_end_request");
  });

  it("says nothing diff-only: the flags come from a macro it cannot see", () => {
    const input = parsePatchText(formatPatch({ files: [{ path: "drivers/block/zap/zap_main.c", before: ZAP_MAIN, after }] }), "t.patch");
    expect(review(input, null, DEFAULT_CONFIG, loadKnowledge(), [rule]).reviews[0]!.findings).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { memoryTree, openSources } from "../../src/context/sources.js";
import { parsePatchText } from "../../src/ingest/index.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { review } from "../../src/pipeline.js";
import { rule } from "../../src/rules/stacked-io/backend-frontend-io.js";
import type { Finding } from "../../src/types.js";
import { formatPatch } from "../helpers/patch.js";
import { ruleTester, runRule } from "../helpers/rule-tester.js";

// Fixtures written for these tests: a made-up file-backed block device. Its
// queue_rq queues a work item; the work function sets the task flags and
// hands each command to a helper that does the IO on the backing file.
const FLAGS = "PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE";
const driver = (flags: string | null, io = "vfs_iter_write(fl->backing, &iter, &cmd->pos, 0)") => `static void fooloop_handle_cmd(struct fooloop_cmd *cmd)
{
	struct fooloop_dev *fl = cmd->fl;
	struct iov_iter iter;
	ssize_t ret;

	fooloop_iter(cmd, &iter);
	if (cmd->write)
		ret = ${io};
	else
		ret = vfs_iter_read(fl->backing, &iter, &cmd->pos, 0);
	fooloop_end(cmd, ret);
}

static void fooloop_workfn(struct work_struct *work)
{
	struct fooloop_dev *fl = container_of(work, struct fooloop_dev, work);
	struct fooloop_cmd *cmd;
${flags ? `	unsigned int pflags = memalloc_flags_save(${flags});\n` : ""}
	while ((cmd = fooloop_next(fl)))
		fooloop_handle_cmd(cmd);
${flags ? "\tmemalloc_flags_restore(pflags);\n" : ""}}

static blk_status_t fooloop_queue_rq(struct blk_mq_hw_ctx *hctx,
				     const struct blk_mq_queue_data *bd)
{
	struct fooloop_cmd *cmd = blk_mq_rq_to_pdu(bd->rq);
	struct fooloop_dev *fl = hctx->queue->queuedata;

	blk_mq_start_request(bd->rq);
	fooloop_add(fl, cmd);
	queue_work(fl->wq, &fl->work);
	return BLK_STS_OK;
}

static int fooloop_configure(struct fooloop_dev *fl, struct file *file)
{
	fl->backing = file;
	INIT_WORK(&fl->work, fooloop_workfn);
	vfs_fsync(file, 0);
	return 0;
}

static const struct blk_mq_ops fooloop_mq_ops = {
	.queue_rq	= fooloop_queue_rq,
};
`;

const renamed = (src: string) => src.replace(/fooloop_handle_cmd/g, "serve_one").replace(/fooloop_workfn/g, "pump").replace(/fooloop_queue_rq/g, "enqueue").replace(/fooloop/g, "zz");

// A device-mapper target that writes the bio's data to a file in its map function.
const target = (body: string) => `static int filetgt_map(struct dm_target *ti, struct bio *bio)
{
	struct filetgt *ft = ti->private;
	struct iov_iter iter;
	loff_t pos = bio->bi_iter.bi_sector << SECTOR_SHIFT;

	filetgt_iter(bio, &iter);
${body}	return DM_MAPIO_SUBMITTED;
}
`;

const queueRqTail = (extra: string) => `static blk_status_t widget_queue_rq(struct blk_mq_hw_ctx *hctx,
				    const struct blk_mq_queue_data *bd)
{
	struct widget_cmd *cmd = blk_mq_rq_to_pdu(bd->rq);
	struct widget *w = hctx->queue->queuedata;
	int a = widget_a(w);
	int b = widget_b(w);
	int c = widget_c(w);
	int d = widget_d(w);

	widget_prepare(cmd, a, b, c, d);
	widget_account(w, cmd);
${extra}	return BLK_STS_OK;
}
`;

ruleTester(rule, {
  valid: [
    {
      name: "the work item queue_rq queues runs with both flags set around the helper's IO",
      patch: { files: [{ path: "drivers/block/fooloop.c", before: null, after: driver(FLAGS) }] },
    },
    {
      name: "the same driver with every name changed",
      patch: { files: [{ path: "drivers/block/zz.c", before: null, after: renamed(driver(FLAGS)) }] },
    },
    {
      name: "a device-mapper map function with both flags set around its write",
      patch: {
        context: 10,
        files: [
          {
            path: "drivers/md/dm-filetgt.c",
            before: target(""),
            after: target(`\tunsigned int flags = memalloc_flags_save(${FLAGS});\n\n\tvfs_iter_write(ft->file, &iter, &pos, 0);\n\tmemalloc_flags_restore(flags);\n`),
          },
        ],
      },
    },
    {
      name: "filesystem IO in a function no IO-submitting function reaches (set-up path)",
      patch: {
        files: [
          {
            path: "drivers/block/widget.c",
            before: "static int widget_set_backing(struct widget *w, struct file *f)\n{\n\tw->backing = f;\n\treturn 0;\n}\n",
            after: "static int widget_set_backing(struct widget *w, struct file *f)\n{\n\tw->backing = f;\n\tvfs_fsync(f, 0);\n\treturn 0;\n}\n",
          },
        ],
      },
    },
    {
      name: "queue_rq queues another structure's work item of the same member name: no link to the unprotected worker",
      patch: { files: [{ path: "drivers/block/fooloop.c", before: null, after: driver(null).replace("\tqueue_work(fl->wq, &fl->work);", "\tqueue_work(fl->wq, &cmd->work);") }] },
    },
    {
      name: "a function named like a back-end worker but reached from nothing (names do not count)",
      patch: {
        files: [
          {
            path: "drivers/block/loop.c",
            before: "static void loop_process_work(struct loop_worker *worker)\n{\n\tloop_prepare(worker);\n}\n",
            after: "static void loop_process_work(struct loop_worker *worker)\n{\n\tloop_prepare(worker);\n\tkernel_write(worker->file, worker->buf, worker->len, &worker->pos);\n}\n",
          },
        ],
      },
    },
  ],
  invalid: [
    {
      name: "the worker sets only PF_MEMALLOC_NOIO: PF_LOCAL_THROTTLE missing (one finding for the function)",
      patch: { files: [{ path: "drivers/block/fooloop.c", before: null, after: driver("PF_MEMALLOC_NOIO") }] },
      errors: [{ messageId: "missing", line: 9, severity: "warning" }],
    },
    {
      name: "the worker sets no flags",
      patch: { files: [{ path: "drivers/block/fooloop.c", before: null, after: driver(null) }] },
      errors: [{ messageId: "missing", line: 9, severity: "warning" }],
    },
    {
      name: "the same unprotected driver with every name changed",
      patch: { files: [{ path: "drivers/block/zz.c", before: null, after: renamed(driver(null)) }] },
      errors: [{ messageId: "missing", line: 9, severity: "warning" }],
    },
    {
      name: "->write_iter through the file's methods from the unprotected worker",
      patch: { files: [{ path: "drivers/block/fooloop.c", before: null, after: driver(null, "fl->backing->f_op->write_iter(&cmd->iocb, &iter)") }] },
      errors: [{ messageId: "missing", line: 9, severity: "warning" }],
    },
    {
      name: "a device-mapper map function writes to its file with no flags",
      patch: { context: 10, files: [{ path: "drivers/md/dm-filetgt.c", before: target(""), after: target("\tvfs_iter_write(ft->file, &iter, &pos, 0);\n") }] },
      errors: [{ messageId: "missing", line: 8, severity: "warning" }],
    },
    {
      name: "a NOIO scope alone around a device-mapper write",
      patch: {
        context: 10,
        files: [
          {
            path: "drivers/md/dm-filetgt.c",
            before: target(""),
            after: target("\tunsigned int noio = memalloc_noio_save();\n\n\tvfs_iter_write(ft->file, &iter, &pos, 0);\n\tmemalloc_noio_restore(noio);\n"),
          },
        ],
      },
      errors: [{ messageId: "missing", line: 10, severity: "warning" }],
    },
    {
      name: "a function shaped like a bio callback, registered nowhere in view, reads a file (info: only the signature says it is an IO path)",
      patch: {
        context: 10,
        files: [
          {
            path: "fs/frobfs/backing.c",
            before: "static void frobfs_read_bio(struct bio *bio)\n{\n\tstruct frobfs_rq *rq = to_rq(bio);\n\n\tfrobfs_end(rq);\n}\n",
            after: "static void frobfs_read_bio(struct bio *bio)\n{\n\tstruct frobfs_rq *rq = to_rq(bio);\n\n\tvfs_iocb_iter_read(rq->file, &rq->iocb, &rq->iter);\n\tfrobfs_end(rq);\n}\n",
          },
        ],
      },
      errors: [{ messageId: "missing", line: 5, severity: "info" }],
    },
    {
      name: "queue_rq whose start the hunk does not show writes to a file (info: what is set above is unknown)",
      patch: { context: 2, files: [{ path: "drivers/block/widget.c", before: queueRqTail(""), after: queueRqTail("\tkernel_write(w->backing, cmd->buf, cmd->len, &cmd->pos);\n") }] },
      errors: [{ messageId: "entryUnknown", line: 13, severity: "info" }],
    },
  ],
});

describe("backend-frontend-io wording", () => {
  it("names the chain from queue_rq through the queued work down to the IO, and the missing flag", () => {
    const [f] = runRule(rule, { files: [{ path: "drivers/block/fooloop.c", before: null, after: driver("PF_MEMALLOC_NOIO") }] });
    expect(f!.message).toContain("without PF_LOCAL_THROTTLE in force");
    expect(f!.chain).toEqual([
      "fooloop_queue_rq (blk_mq_ops.queue_rq)",
      "queue_work(fl->wq, &fl->work)",
      "fooloop_workfn",
      "fooloop_handle_cmd",
      "vfs_iter_write()",
    ]);
    expect(f!.fix).toContain("fooloop_workfn()");
  });

  it("names the unknown when the start of the function is not shown", () => {
    const [f] = runRule(rule, { context: 2, files: [{ path: "drivers/block/widget.c", before: queueRqTail(""), after: queueRqTail("\tkernel_write(w->backing, cmd->buf, cmd->len, &cmd->pos);\n") }] });
    expect(f!.unknowns).toEqual(["whether PF_MEMALLOC_NOIO and PF_LOCAL_THROTTLE are set above the lines of widget_queue_rq() the patch shows"]);
  });
});

// ------------------------------------------------------------ with a source tree

describe("backend-frontend-io with source context", () => {
  async function reviewWithTree(path: string, before: string, after: string): Promise<Finding[]> {
    const input = parsePatchText(formatPatch({ files: [{ path, before, after }] }), "tree.patch");
    const sources = openSources(memoryTree(new Map([[path, before]])));
    await sources.prepare!(input.patches);
    return review(input, sources, DEFAULT_CONFIG, loadKnowledge(), [rule]).reviews[0]!.findings;
  }

  it("a patch that drops PF_LOCAL_THROTTLE from the worker is told which IO below it loses the flag", async () => {
    const f = await reviewWithTree("drivers/block/fooloop.c", driver(FLAGS), driver("PF_MEMALLOC_NOIO"));
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[19, "warning", "flagsLeave"]]);
    expect(f[0]!.message).toContain("leaves vfs_iter_write() in fooloop_handle_cmd()");
    expect(f[0]!.message).toContain("without PF_LOCAL_THROTTLE in force");
  });

  it("keeping both flags while changing the line is quiet", async () => {
    const f = await reviewWithTree("drivers/block/fooloop.c", driver(FLAGS), driver("PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO"));
    expect(f).toEqual([]);
  });
});

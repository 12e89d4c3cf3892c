// wq-new-io-queue: a new queue without WQ_MEM_RECLAIM whose work IO or
// reclaim waits on, from the code (its own flags; what its work does and who
// queues it), never from its name.
import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/workqueue-reclaim/wq-new-io-queue.js";
import { runRule, ruleTester } from "../helpers/rule-tester.js";
import { renamed, reviewWithTree } from "../helpers/tree-review.js";

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
/** The new queue's work and who queues it, in the same file. */
const WORK = (body: string, queuer = "static void zapblk_submit(struct zap *z, struct zap_cmd *cmd)") => `
static void zapblk_aux_fn(struct work_struct *work)
{
	struct zap_cmd *cmd = container_of(work, struct zap_cmd, work);

${body}
}

${queuer}
{
	INIT_WORK(&cmd->work, zapblk_aux_fn);
	queue_work(z->aux_wq, &cmd->work);
}
`;
const newQueue = (flags: string, body: string, queuer?: string) => ({
  files: [{ path: "drivers/block/zapblk.c", before: init, after: withQueue(`\tz->aux_wq = alloc_workqueue("zapblk_aux", ${flags}, 0);`) + WORK(body, queuer) }],
});

ruleTester(rule, {
  valid: [
    { name: "new queue whose work ends bios, created with WQ_MEM_RECLAIM", patch: newQueue("WQ_MEM_RECLAIM | WQ_HIGHPRI", "\tbio_endio(cmd->bio);") },
    { name: "new BH queue whose work ends bios (its work runs in softirq: no worker to wait for, no rescuer)", patch: newQueue("WQ_BH | WQ_HIGHPRI", "\tbio_endio(cmd->bio);") },
    { name: "new queue whose work does no IO (whatever its name)", patch: { files: [{ path: "drivers/block/zapblk.c", before: init, after: withQueue('\tz->aux_wq = alloc_workqueue("zapblk_io_completion", WQ_UNBOUND, 0);') + WORK("\tzap_update_stats(cmd);") }] } },
    { name: "new queue with an IO name and no work shown", patch: { files: [{ path: "drivers/block/zapblk.c", before: init, after: withQueue('\tz->done_wq = alloc_workqueue("zapblk_completion", WQ_UNBOUND | WQ_HIGHPRI, 0);') }] } },
    { name: "flags from a variable we cannot see, work not shown either", patch: { files: [{ path: "drivers/block/zapblk.c", before: init, after: withQueue('\tz->io_wq = alloc_workqueue("zapblk_io", zapblk_wq_flags, 0);') }] } },
    { name: "existing queue reformatted", patch: { files: [{ path: "drivers/block/zapblk.c", before: init, after: init.replace('alloc_workqueue("zapblk_ctl", WQ_UNBOUND, 0)', 'alloc_workqueue("zapblk_ctl",\n\t\t\t\t   WQ_UNBOUND, 0)') }] } },
  ],
  invalid: [
    { name: "new queue whose work ends bios", patch: newQueue("WQ_UNBOUND", "\tbio_endio(cmd->bio);"), errors: [{ messageId: "noRescuer", line: 6, severity: "warning" }] },
    {
      name: "new queue whose work queue_rq hands requests to",
      patch: newQueue("WQ_HIGHPRI", "\tzap_send(cmd);", "static blk_status_t zapblk_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)"),
      errors: [{ messageId: "noRescuer", line: 6, severity: "warning" }],
    },
    { name: "new queue with flags from a variable we cannot see, whose work ends bios: info", patch: newQueue("zapblk_wq_flags", "\tbio_endio(cmd->bio);"), errors: [{ messageId: "flagsUnknown", line: 6, severity: "info" }] },
    {
      name: "new queue whose work a bio completion queues, work not shown: info",
      patch: {
        files: [
          {
            path: "drivers/block/zapblk.c",
            before: init,
            after: withQueue('\tz->aux_wq = alloc_workqueue("zapblk_aux", WQ_UNBOUND, 0);') + "\nstatic void zapblk_end_io(struct bio *bio)\n{\n\tstruct zap_cmd *cmd = bio->bi_private;\n\n\tqueue_work(cmd->z->aux_wq, &cmd->work);\n}\n",
          },
        ],
      },
      errors: [{ messageId: "linkUnknown", line: 6, severity: "info" }],
    },
    {
      name: "a back end's worker under memalloc_noio_save() that completes requests: info",
      patch: newQueue("WQ_UNBOUND | WQ_FREEZABLE", "\tunsigned int noio = memalloc_noio_save();\n\n\tzap_do_io(cmd);\n\tblk_mq_complete_request(cmd->rq);\n\tmemalloc_noio_restore(noio);"),
      errors: [{ messageId: "noRescuerNoio", line: 6, severity: "info" }],
    },
  ],
});

describe("wq-new-io-queue findings", () => {
  it("names the queue, the link and the chain, and gives the call to fix", () => {
    const [f] = runRule(rule, newQueue("WQ_UNBOUND", "\tbio_endio(cmd->bio);"));
    expect(f!.message).toBe(
      'new workqueue "zapblk_aux" (z->aux_wq) has no WQ_MEM_RECLAIM, but IO or reclaim waits on its work ("zapblk_aux" -> zapblk_aux_fn() -> bio_endio()): when no worker can be created under memory pressure that work never runs, and what waits on it never finishes',
    );
    expect(f!.chain).toEqual(['"zapblk_aux"', "zapblk_aux_fn()", "bio_endio()"]);
    expect(f!.fix).toBe('Create "zapblk_aux" (z->aux_wq) with WQ_MEM_RECLAIM (add it to WQ_UNBOUND in the alloc_workqueue() call).');
  });

  it("renaming every identifier and the path changes no verdict", () => {
    const names = new Map([["zapblk", "sndx"], ["zap_", "sndx_"], ["drivers/block/", "drivers/usb/misc/"]]);
    for (const spec of [newQueue("WQ_UNBOUND", "\tbio_endio(cmd->bio);"), newQueue("WQ_HIGHPRI", "\tzap_send(cmd);", "static blk_status_t zapblk_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)")]) {
      const a = runRule(rule, spec);
      const b = runRule(rule, { files: spec.files.map((f) => ({ path: renamed(f.path, names), before: renamed(f.before, names), after: renamed(f.after, names) })) });
      expect(a.length).toBe(1);
      expect(b.map((f) => [f.messageId, f.line, f.severity])).toEqual(a.map((f) => [f.messageId, f.line, f.severity]));
    }
  });
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
const tree = new Map([
  ["drivers/block/zap/zap.h", ZAP_H],
  ["drivers/block/zap/zap_io.c", ZAP_IO],
  ["drivers/block/zap/zap_main.c", ZAP_MAIN],
]);

describe("wq-new-io-queue with source context", () => {
  const after = ZAP_MAIN.replace("\treturn 0;", '\tz->aux_wq = alloc_workqueue("zap_aux", ZAP_WQ_FLAGS, 0);\n\treturn z->aux_wq ? 0 : -ENOMEM;');
  const spec = { files: [{ path: "drivers/block/zap/zap_main.c", before: ZAP_MAIN, after }] };

  it("resolves flags from a macro and finds the completing work in another file", async () => {
    const f = await reviewWithTree(tree, spec, [rule]);
    expect(f.map((x) => [x.line, x.messageId, x.severity])).toEqual([[5, "noRescuer", "warning"]]);
    expect(f[0]!.chain).toEqual(['"zap_aux"', "zap_aux_work()", "zap_finish()", "blk_mq_end_request()"]);
  });

  it("says nothing diff-only: the flags come from a macro and the work is not shown", () => {
    expect(runRule(rule, spec)).toEqual([]);
  });

  it("quiet with the tree when the macro gives WQ_MEM_RECLAIM", async () => {
    const t = new Map(tree);
    t.set("drivers/block/zap/zap.h", "#define ZAP_WQ_FLAGS (WQ_UNBOUND | WQ_MEM_RECLAIM)\n");
    expect(await reviewWithTree(t, spec, [rule])).toEqual([]);
  });
});

// A GPU-style scheduler: its own ordered queue runs the work that calls the backend's run_job (code that signals
// the fences reclaim waits for). A lockdep-annotated constructor is added in an #ifdef branch beside the existing
// call, which stays as it was in the #else branch.
const SCHED = (ctor: string, callback = "run_job") => `struct zap_sched {
	const struct zap_sched_ops *ops;
	struct workqueue_struct *submit_wq;
	struct work_struct work_run;
};

static void zap_sched_run_work(struct work_struct *w)
{
	struct zap_sched *s = container_of(w, struct zap_sched, work_run);
	struct zap_job *job = zap_sched_next_job(s);
	struct dma_fence *fence;

	if (!job)
		return;
	fence = s->ops->${callback}(job);
	zap_sched_track(s, job, fence);
}

void zap_sched_kick(struct zap_sched *s)
{
	queue_work(s->submit_wq, &s->work_run);
}

int zap_sched_init(struct zap_sched *s, const char *name)
{
	INIT_WORK(&s->work_run, zap_sched_run_work);
${ctor}
	if (!s->submit_wq)
		return -ENOMEM;
	return 0;
}
`;
const PLAIN = "\ts->submit_wq = alloc_ordered_workqueue(name, 0);";
const withLockdep = (flags: string) => `#ifdef CONFIG_LOCKDEP\n\ts->submit_wq = alloc_ordered_workqueue_lockdep_map(name, ${flags},\n\t\t\t\t\t\t\t     &zap_sched_map);\n#else\n${PLAIN}\n#endif`;

describe("wq-new-io-queue: the work runs a kernel callback reclaim waits on", () => {
  const run = (after: string, callback?: string) =>
    reviewWithTree(new Map([["drivers/gpu/zap/zap_sched.c", SCHED(PLAIN, callback)]]), { files: [{ path: "drivers/gpu/zap/zap_sched.c", before: SCHED(PLAIN, callback), after: SCHED(after, callback) }] }, [rule]);
  const line = SCHED(withLockdep("0")).split("\n").findIndex((l) => l.includes("alloc_ordered_workqueue_lockdep_map")) + 1;

  it("a constructor added beside the unchanged one, without WQ_MEM_RECLAIM: a warning naming the callback the work runs", async () => {
    const f = await run(withLockdep("0"));
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[line, "warning", "noRescuer"]]);
    expect(f[0]!.message).toContain("s->submit_wq -> zap_sched_run_work() -> s->ops->run_job() (drm_sched_backend_ops.run_job)");
  });
  it("the new constructor asks for WQ_MEM_RECLAIM: quiet", async () => {
    expect(await run(withLockdep("WQ_MEM_RECLAIM"))).toEqual([]);
  });
  it("the work calls a callback no one waits on: quiet", async () => {
    expect(await run(withLockdep("0"), "prepare_job")).toEqual([]);
  });
});

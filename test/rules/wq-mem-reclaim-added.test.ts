// wq-mem-reclaim-added: the flag added at a constructor call, a flags macro
// or a flags variable, judged by what the queue's work does in the code shown.
import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/workqueue-reclaim/wq-mem-reclaim-added.js";
import { runRule, ruleTester } from "../helpers/rule-tester.js";
import { renamed, reviewWithTree } from "../helpers/tree-review.js";

// A made-up filesystem's mount-time workqueue setup.
const before = `static int quuxfs_init_workqueues(struct quuxfs_mount *mp)
{
	mp->m_flush_wq = alloc_workqueue("quuxfs-flush/%s",
			WQ_FREEZABLE, 0, mp->m_name);
	if (!mp->m_flush_wq)
		return -ENOMEM;

	mp->m_gc_wq = alloc_workqueue("quuxfs-gc/%s",
			WQ_MEM_RECLAIM | WQ_FREEZABLE, 0, mp->m_name);
	if (!mp->m_gc_wq)
		goto out_flush;
	return 0;
out_flush:
	destroy_workqueue(mp->m_flush_wq);
	return -ENOMEM;
}
`;
const addFlag = (text: string) => text.replace("\t\t\tWQ_FREEZABLE, 0, mp->m_name);", "\t\t\tWQ_MEM_RECLAIM | WQ_FREEZABLE, 0, mp->m_name);");

/** A driver whose event queue gets the flag; its work is in the same file. */
const driver = (work: string, flags = "0") => `static struct workqueue_struct *zap_evt_wq;
static struct workqueue_struct *zap_aux_wq;

static void zap_evt_work(struct work_struct *work)
{
	struct zap_dev *zd = container_of(work, struct zap_dev, evt_work);

${work}
}

static int zap_probe(struct zap_dev *zd)
{
	zap_evt_wq = alloc_ordered_workqueue("zap_evt", ${flags});
	zap_aux_wq = alloc_workqueue("zap_aux", WQ_UNBOUND, 0);
	INIT_WORK(&zd->evt_work, zap_evt_work);
	return 0;
}

static void zap_irq_thread(struct zap_dev *zd)
{
	queue_work(zap_evt_wq, &zd->evt_work);
}
`;
const flagged = (work: string, extraBefore = "") => ({
  files: [{ path: "drivers/zap/zap_main.c", before: driver(work + extraBefore), after: driver(work, "WQ_MEM_RECLAIM") }],
  context: 40,
});

const flushWarning = `Create the event queue with WQ_MEM_RECLAIM to fix this warning:

  workqueue: WQ_MEM_RECLAIM zap_js:zap_sched_free_job [zap_sched] is flushing !WQ_MEM_RECLAIM zap_evt:0x0`;

ruleTester(rule, {
  valid: [
    {
      name: "WQ_UNBOUND added beside an existing WQ_MEM_RECLAIM",
      patch: { files: [{ path: "fs/quuxfs/super.c", before, after: before.replace("WQ_MEM_RECLAIM | WQ_FREEZABLE, 0", "WQ_MEM_RECLAIM | WQ_FREEZABLE | WQ_UNBOUND, 0") }] },
    },
    {
      name: "call that already had the flag reformatted onto one line",
      patch: {
        files: [
          {
            path: "fs/quuxfs/super.c",
            before,
            after: before.replace('alloc_workqueue("quuxfs-gc/%s",\n\t\t\tWQ_MEM_RECLAIM | WQ_FREEZABLE, 0, mp->m_name);', 'alloc_workqueue("quuxfs-gc/%s", WQ_MEM_RECLAIM | WQ_FREEZABLE, 0, mp->m_name);'),
          },
        ],
      },
    },
    {
      name: "a comment mentioning WQ_MEM_RECLAIM",
      patch: { files: [{ path: "fs/quuxfs/super.c", before, after: before.replace("\tmp->m_flush_wq =", "\t/* no WQ_MEM_RECLAIM: nothing in reclaim waits on flushes */\n\tmp->m_flush_wq =") }] },
    },
    {
      name: "a new queue created with the flag (its work breaks no promise, no warning quoted)",
      patch: { files: [{ path: "fs/quuxfs/super.c", before, after: before.replace("\treturn 0;\nout_flush:", '\tmp->m_log_wq = alloc_workqueue("quuxfs-log/%s", WQ_MEM_RECLAIM, 0, mp->m_name);\n\treturn 0;\nout_flush:') }] },
    },
    {
      name: "a test of wq->flags & WQ_MEM_RECLAIM",
      patch: {
        files: [
          {
            path: "kernel/widget.c",
            before: "static void widget_check(struct workqueue_struct *wq)\n{\n\tcheck_it(wq);\n}\n",
            after: "static void widget_check(struct workqueue_struct *wq)\n{\n\tif (wq->flags & WQ_MEM_RECLAIM)\n\t\tcheck_it(wq);\n}\n",
          },
        ],
      },
    },
    {
      name: "allocation moved into a helper keeping the flag (same queue name)",
      patch: {
        files: [
          {
            path: "fs/quuxfs/super.c",
            before,
            after: before.replace(
              '\tmp->m_gc_wq = alloc_workqueue("quuxfs-gc/%s",\n\t\t\tWQ_MEM_RECLAIM | WQ_FREEZABLE, 0, mp->m_name);',
              '\tstruct workqueue_struct *wq = alloc_workqueue("quuxfs-gc/%s",\n\t\t\tWQ_MEM_RECLAIM | WQ_FREEZABLE, 0, mp->m_name);\n\tmp->m_gc_wq = wq;',
            ),
          },
        ],
      },
    },
    {
      name: "a legacy queue converted keeping the flag",
      patch: {
        files: [
          {
            path: "drivers/zap/zap_main.c",
            before: 'static int zap_init(struct zap *z)\n{\n\tz->wq = create_singlethread_workqueue("zap");\n\treturn z->wq ? 0 : -ENOMEM;\n}\n',
            after: 'static int zap_init(struct zap *z)\n{\n\tz->wq = alloc_ordered_workqueue("zap", WQ_MEM_RECLAIM);\n\treturn z->wq ? 0 : -ENOMEM;\n}\n',
          },
        ],
      },
    },
  ],
  invalid: [
    {
      name: "flag added to an existing queue whose work is not shown: info",
      patch: { files: [{ path: "fs/quuxfs/super.c", before, after: addFlag(before) }] },
      errors: [{ messageId: "added", line: 4, severity: "info" }],
    },
    {
      name: "flag added to a queue whose work flushes a queue without it: warning",
      patch: flagged("\tflush_workqueue(zap_aux_wq);"),
      errors: [{ messageId: "addedFlushes", line: 13, severity: "warning" }],
    },
    {
      name: "flag added to a queue whose work flushes work it put on the system queue",
      patch: flagged("\tschedule_work(&zd->stat_work);\n\tflush_work(&zd->stat_work);"),
      errors: [{ messageId: "addedFlushes", line: 14, severity: "warning" }],
    },
    {
      name: "the flush is added by the same patch: the flush line is wq-flush-dependency's, this one stays info",
      patch: { files: [{ path: "drivers/zap/zap_main.c", before: driver("\tzap_handle(zd);"), after: driver("\tzap_handle(zd);\n\tflush_workqueue(zap_aux_wq);", "WQ_MEM_RECLAIM") }], context: 40 },
      errors: [{ messageId: "added", line: 14, severity: "info" }],
    },
    {
      name: "flag added to a queue whose work only cancels (not checked on the newest kernel): info",
      patch: flagged("\tcancel_work_sync(&zd->stat_work);"),
      errors: [{ messageId: "added", line: 13, severity: "info" }],
    },
    {
      name: "flag added to the queue a quoted warning flushes (the amdxdna shape): a warning asking why",
      patch: {
        subject: "zap: fix zap_evt flushing warning",
        message: flushWarning,
        files: [{ path: "drivers/zap/zap_main.c", before: 'static int zap_probe(struct zap_dev *zd)\n{\n\tzd->evt_wq = alloc_ordered_workqueue("zap_evt", 0);\n\tif (!zd->evt_wq)\n\t\treturn -ENOMEM;\n\treturn 0;\n}\n', after: 'static int zap_probe(struct zap_dev *zd)\n{\n\tzd->evt_wq = alloc_ordered_workqueue("zap_evt", WQ_MEM_RECLAIM);\n\tif (!zd->evt_wq)\n\t\treturn -ENOMEM;\n\treturn 0;\n}\n' }],
      },
      errors: [{ messageId: "addedForWarning", line: 3, severity: "warning" }],
    },
    {
      name: "the quoted warning's flushed queue gets the flag, but its work flushes another plain queue: warning",
      patch: { ...flagged("\tflush_workqueue(zap_aux_wq);"), message: flushWarning },
      errors: [{ messageId: "addedFlushes", line: 13, severity: "warning" }],
    },
    {
      name: "flag added in a flag macro used by a queue in the patch",
      patch: {
        files: [
          {
            path: "fs/quuxfs/quuxfs.h",
            before: "#define QUUXFS_WQFLAGS(f)\t(WQ_SYSFS | (f))\n\nextern int quuxfs_x;\n",
            after: "#define QUUXFS_WQFLAGS(f)\t(WQ_SYSFS | WQ_MEM_RECLAIM | (f))\n\nextern int quuxfs_x;\n",
          },
        ],
      },
      errors: [{ messageId: "added", line: 1, severity: "info" }],
    },
    {
      name: "flag added to a flag variable",
      patch: {
        files: [
          {
            path: "drivers/block/fooblk.c",
            before: 'static int fooblk_init(void)\n{\n\tunsigned int wq_flags = WQ_UNBOUND;\n\n\tfooblk_wq = alloc_workqueue("fooblk", wq_flags, 0);\n\treturn fooblk_wq ? 0 : -ENOMEM;\n}\n',
            after: 'static int fooblk_init(void)\n{\n\tunsigned int wq_flags = WQ_UNBOUND | WQ_MEM_RECLAIM;\n\n\tfooblk_wq = alloc_workqueue("fooblk", wq_flags, 0);\n\treturn fooblk_wq ? 0 : -ENOMEM;\n}\n',
          },
        ],
      },
      errors: [{ messageId: "added", line: 3 }],
    },
    {
      name: "flag or-ed into a flags variable under a condition",
      patch: {
        files: [
          {
            path: "drivers/block/fooblk.c",
            before: 'static int fooblk_init(bool swap)\n{\n\tunsigned int wq_flags = WQ_UNBOUND;\n\n\tfooblk_wq = alloc_workqueue("fooblk", wq_flags, 0);\n\treturn fooblk_wq ? 0 : -ENOMEM;\n}\n',
            after: 'static int fooblk_init(bool swap)\n{\n\tunsigned int wq_flags = WQ_UNBOUND;\n\n\tif (swap)\n\t\twq_flags |= WQ_MEM_RECLAIM;\n\tfooblk_wq = alloc_workqueue("fooblk", wq_flags, 0);\n\treturn fooblk_wq ? 0 : -ENOMEM;\n}\n',
          },
        ],
      },
      errors: [{ messageId: "added", line: 6, severity: "info" }],
    },
    {
      name: "dedicated WQ_MEM_RECLAIM queue replacing system_wq for journal writes (bcache 2019 shape)",
      patch: {
        files: [
          {
            path: "drivers/md/zcache/journal.c",
            before: "static void zc_journal_kick(struct zc_set *c)\n{\n\tqueue_work(system_wq, &c->journal.work);\n}\n\nint zc_journal_init(struct zc_set *c)\n{\n\treturn 0;\n}\n",
            after: 'static void zc_journal_kick(struct zc_set *c)\n{\n\tqueue_work(zc_journal_wq, &c->journal.work);\n}\n\nint zc_journal_init(struct zc_set *c)\n{\n\tzc_journal_wq = alloc_workqueue("zc_journal", WQ_MEM_RECLAIM, 0);\n\treturn zc_journal_wq ? 0 : -ENOMEM;\n}\n',
          },
        ],
      },
      errors: [{ messageId: "dedicatedQueue", line: 8, severity: "info" }],
    },
    {
      name: "a new WQ_MEM_RECLAIM queue the patch moves a final put's work onto (a network filesystem's deferred close)",
      patch: {
        files: [
          {
            path: "fs/zfs/file.c",
            before: "void zfs_file_put(struct zfs_file *f)\n{\n\tzfs_file_close_final(f);\n}\n\nint zfs_init_queues(void)\n{\n\treturn 0;\n}\n",
            after:
              'static void zfs_file_put_work(struct work_struct *work)\n{\n\tstruct zfs_file *f = container_of(work, struct zfs_file, put);\n\n\tzfs_file_close_final(f);\n}\n\nvoid zfs_file_put(struct zfs_file *f)\n{\n\tINIT_WORK(&f->put, zfs_file_put_work);\n\tqueue_work(zfs_put_wq, &f->put);\n}\n\nint zfs_init_queues(void)\n{\n\tzfs_put_wq = alloc_workqueue("zfsput", WQ_UNBOUND | WQ_FREEZABLE | WQ_MEM_RECLAIM, 0);\n\treturn zfs_put_wq ? 0 : -ENOMEM;\n}\n',
          },
        ],
      },
      errors: [{ messageId: "newQueue", line: 16, severity: "info" }],
    },
  ],
});

describe("wq-mem-reclaim-added findings", () => {
  it("a warning names the queue, the work, the flush and the chain", () => {
    const [f] = runRule(rule, flagged("\tflush_workqueue(zap_aux_wq);"));
    expect(f!.message).toBe(
      'WQ_MEM_RECLAIM added to "zap_evt" (zap_evt_wq), but its work zap_evt_work() waits for "zap_aux" (zap_aux_wq), which has no WQ_MEM_RECLAIM (flush_workqueue(zap_aux_wq) at line 8): the rescuer can run zap_evt_work() under memory pressure, and zap_evt_work() then waits for a queue that may get no worker',
    );
    expect(f!.chain).toEqual(['"zap_evt" (WQ_MEM_RECLAIM added)', "zap_evt_work()", "flush_workqueue(zap_aux_wq)", '"zap_aux" (no WQ_MEM_RECLAIM)']);
    expect(f!.fix).toContain('stop zap_evt_work() from waiting on "zap_aux"');
  });

  it("a quoted warning on the same queue is said to move, not go away", () => {
    const [f] = runRule(rule, { ...flagged("\tflush_workqueue(zap_aux_wq);"), message: flushWarning });
    expect(f!.message).toContain("the quoted warning about zap_evt would move to this flush, not go away");
  });

  it("an info says why the flag is right when IO waits on the work", () => {
    const [f] = runRule(rule, flagged("\tbio_endio(zd->bio);"));
    expect(f!.severity).toBe("info");
    expect(f!.message).toContain("reclaim waits on its work (");
    expect(f!.message).toContain("zap_evt_work() -> bio_endio()");
  });

  it("an info says the rescuer is a thread, not memory, when the work allocates", () => {
    const [f] = runRule(rule, flagged("\tzd->buf = kmalloc(64, GFP_KERNEL);"));
    expect(f!.message).toContain("its work zap_evt_work() calls kmalloc(GFP_KERNEL), which may still wait in reclaim without a mempool behind it");
    const [g] = runRule(rule, flagged("\tzd->buf = mempool_alloc(zd->pool, GFP_NOIO);"));
    expect(g!.message).toContain("the flag buys a rescuer thread");
  });

  it("an info names what could not be seen", () => {
    const [f] = runRule(rule, { files: [{ path: "fs/quuxfs/super.c", before, after: addFlag(before) }] });
    expect(f!.unknowns).toEqual(['which work runs on "quuxfs-flush/%s" (mp->m_flush_wq) (no queue_work() on it in the lines shown)']);
  });

  it("renaming every identifier and the path changes no verdict", () => {
    const names = new Map([["zap_", "hwmon7_"], ["zd", "hw"], ["drivers/zap/", "sound/soc/hwmon7/"]]);
    for (const work of ["\tflush_workqueue(zap_aux_wq);", "\tbio_endio(zd->bio);", "\tcancel_work_sync(&zd->stat_work);"]) {
      const spec = flagged(work);
      const a = runRule(rule, spec);
      const b = runRule(rule, { ...spec, files: spec.files.map((f) => ({ path: renamed(f.path, names), before: renamed(f.before, names), after: renamed(f.after, names) })) });
      expect(b.map((f) => [f.messageId, f.line, f.severity])).toEqual(a.map((f) => [f.messageId, f.line, f.severity]));
    }
  });
});

describe("wq-mem-reclaim-added with a source tree", () => {
  const H = "#define ZAP_WQFLAGS(f)\t(WQ_FREEZABLE | (f))\n";
  const MAIN = `#include "zap.h"

int zap_init(struct zap_dev *zd)
{
	zd->evt_wq = alloc_workqueue("zap_evt", ZAP_WQFLAGS(0), 0);
	zd->aux_wq = alloc_workqueue("zap_aux", WQ_UNBOUND, 0);
	INIT_WORK(&zd->evt_work, zap_evt_work);
	return 0;
}
`;
  const WORK = `#include "zap.h"

void zap_evt_work(struct work_struct *work)
{
	struct zap_dev *zd = container_of(work, struct zap_dev, evt_work);

	flush_workqueue(zd->aux_wq);
}

void zap_kick(struct zap_dev *zd)
{
	queue_work(zd->evt_wq, &zd->evt_work);
}
`;
  const tree = new Map([["drivers/zap/zap.h", H], ["drivers/zap/zap_main.c", MAIN], ["drivers/zap/zap_work.c", WORK]]);

  it("finds the work in another file of the directory and its flush", async () => {
    const f = await reviewWithTree(tree, { files: [{ path: "drivers/zap/zap_main.c", before: MAIN, after: MAIN.replace("ZAP_WQFLAGS(0)", "ZAP_WQFLAGS(WQ_MEM_RECLAIM)") }] }, [rule]);
    expect(f.map((x) => [x.line, x.messageId, x.severity])).toEqual([[5, "addedFlushes", "warning"]]);
  });

  it("the flag added in the header macro reaches the queue that uses it", async () => {
    const f = await reviewWithTree(tree, { files: [{ path: "drivers/zap/zap.h", before: H, after: H.replace("(WQ_FREEZABLE | (f))", "(WQ_FREEZABLE | WQ_MEM_RECLAIM | (f))") }] }, [rule]);
    expect(f.map((x) => [x.line, x.messageId, x.severity])).toEqual([[1, "addedFlushes", "warning"]]);
  });
});

describe("wq-mem-reclaim-added: work moved off a system queue onto a queue the patch does not create", () => {
  // written for these tests: a transport that refreshed its registrations from system_wq and now from a helper
  // that queues on the transport's own queue
  const before = "static void zrp_prepare(struct zrp_xprt *x)\n{\n\tif (x->connected)\n\t\tschedule_work(&x->buf.refresh_work);\n}\n\nstatic void zrp_other(struct zrp_xprt *x)\n{\n\tx->count = 0;\n}\n";
  const helper = (queue: string) => `static void zrp_prepare(struct zrp_xprt *x)\n{\n\tzrp_refresh(x);\n}\n\nstatic void zrp_other(struct zrp_xprt *x)\n{\n\tx->count = 0;\n}\n\nvoid zrp_refresh(struct zrp_xprt *x)\n{\n\tstruct zrp_buffer *buf = &x->buf;\n\n\tif (x->connected)\n\t\tqueue_work(${queue}, &buf->refresh_work);\n}\n`;
  const run = (after: string) => runRule(rule, { files: [{ path: "net/zrp/verbs.c", before, after }] });

  it("says the work moved, and that the new queue's flags are not visible (diff only)", () => {
    const f = run(helper("zrp_wq"));
    expect(f.map((x) => [x.line, x.messageId, x.severity])).toEqual([[16, "movedToQueue", "info"]]);
    expect(f[0]!.message).toContain("buf->refresh_work moves from schedule_work() (system_wq) (system queues have no rescuer) to zrp_wq: whether zrp_wq has WQ_MEM_RECLAIM (a rescuer) is not visible here");
  });

  it("names the rescuer when the directory creates the queue with WQ_MEM_RECLAIM (with a tree)", async () => {
    const init = 'struct workqueue_struct *zrp_wq;\n\nint zrp_init(void)\n{\n\tzrp_wq = alloc_workqueue("zrp", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);\n\treturn zrp_wq ? 0 : -ENOMEM;\n}\n';
    const tree = new Map([
      ["net/zrp/verbs.c", before],
      ["net/zrp/main.c", init],
    ]);
    const f = await reviewWithTree(tree, { files: [{ path: "net/zrp/verbs.c", before, after: helper("zrp_wq") }] }, [rule]);
    expect(f.map((x) => x.messageId)).toEqual(["movedToQueue"]);
    expect(f[0]!.message).toContain("to zrp_wq, a WQ_MEM_RECLAIM queue");
  });

  it("a tree of another version, which the patch does not apply to: the move is read from the patch's own deleted line", async () => {
    const init = 'struct workqueue_struct *zrp_wq;\n\nint zrp_init(void)\n{\n\tzrp_wq = alloc_workqueue("zrp", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);\n\treturn zrp_wq ? 0 : -ENOMEM;\n}\n';
    // the tree's version queues on another system queue and tests another field: the hunk's context does not match
    const later = before.replace("\tif (x->connected)\n\t\tschedule_work(&x->buf.refresh_work);", "\tif (x->ready)\n\t\tqueue_work(system_highpri_wq, &x->buf.refresh_work);");
    const tree = new Map([
      ["net/zrp/verbs.c", later],
      ["net/zrp/main.c", init],
    ]);
    const f = await reviewWithTree(tree, { files: [{ path: "net/zrp/verbs.c", before, after: helper("zrp_wq") }] }, [rule]);
    expect(f.map((x) => [x.line, x.messageId])).toEqual([[16, "movedToQueue"]]);
    expect(f[0]!.message).toContain("moves from schedule_work() (system_wq) (system queues have no rescuer) to zrp_wq, a WQ_MEM_RECLAIM queue");
  });

  it("is quiet when the work still goes to a system queue, or only another work item moves", () => {
    expect(run(helper("system_unbound_wq"))).toEqual([]);
    expect(run(helper("zrp_wq").replace("&buf->refresh_work", "&buf->other_work"))).toEqual([]);
  });
});

describe("wq-mem-reclaim-added does not depend on which rules ran before it", () => {
  it("the same findings alone and after a rule that walks the old side of the diff", async () => {
    const { rule: nofsToKernel } = await import("../../src/rules/gfp-context/nofs-to-kernel.js");
    const { reviewPatch } = await import("../../src/engine.js");
    const { DEFAULT_CONFIG } = await import("../../src/config.js");
    const { loadKnowledge } = await import("../../src/knowledge/load.js");
    const { parsePatchText } = await import("../../src/ingest/index.js");
    const { formatPatch } = await import("../helpers/patch.js");
    // a work item moved off a system queue onto a new rescuer queue, in a function that also drops a NOFS scope
    const before = "static void zc_journal_kick(struct zc_set *c)\n{\n\tunsigned int nofs = memalloc_nofs_save();\n\n\tqueue_work(system_wq, &c->journal.work);\n\tmemalloc_nofs_restore(nofs);\n}\n\nint zc_journal_init(struct zc_set *c)\n{\n\treturn 0;\n}\n";
    const after = 'static void zc_journal_kick(struct zc_set *c)\n{\n\tqueue_work(zc_journal_wq, &c->journal.work);\n}\n\nint zc_journal_init(struct zc_set *c)\n{\n\tzc_journal_wq = alloc_workqueue("zc_journal", WQ_MEM_RECLAIM, 0);\n\treturn zc_journal_wq ? 0 : -ENOMEM;\n}\n';
    const run = (rules: (typeof rule)[]) => {
      const patch = parsePatchText(formatPatch({ files: [{ path: "drivers/md/zcache/journal.c", before, after }] }), "t.patch").patches[0]!;
      return reviewPatch(patch, { rules, config: DEFAULT_CONFIG, kb: loadKnowledge() }).findings.filter((f) => f.rule === rule.meta.id);
    };
    const alone = run([rule]);
    expect(alone.map((f) => f.messageId)).toEqual(["dedicatedQueue"]);
    expect(run([nofsToKernel, rule])).toEqual(alone);
  });
});

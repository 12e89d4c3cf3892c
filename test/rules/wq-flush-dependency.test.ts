// wq-flush-dependency: diff-only verdicts from what the hunks show, and with
// a source tree (the flags of a queue from a header macro, the kernel release
// deciding whether a cancel is checked). The annotated fixture tree is in
// test/fixtures/c/wq-flush-dependency/ (test/context/annotations.test.ts).
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { auditContext, auditFile } from "../../src/context/audit.js";
import { initParser } from "../../src/context/parser.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { rule } from "../../src/rules/source/wq-flush-dependency.js";
import { fixtureTree, memoryProvider } from "../context/fixture-tree.js";
import { runRule, ruleTester } from "../helpers/rule-tester.js";
import { renamed, reviewWithTree } from "../helpers/tree-review.js";

const NEW_FILE = (flush: string, reclaimFlags = "WQ_MEM_RECLAIM", plainFlags = "WQ_UNBOUND") => `// SPDX-License-Identifier: GPL-2.0
#include <linux/workqueue.h>

static struct workqueue_struct *qux_io_wq;
static struct workqueue_struct *qux_stats_wq;
static struct work_struct qux_io_work;
static struct work_struct qux_stats_work;

static void qux_io_worker(struct work_struct *work)
{
	qux_complete_io();
${flush}
}

static int qux_init(void)
{
	qux_io_wq = alloc_workqueue("qux-io", ${reclaimFlags}, 0);
	qux_stats_wq = alloc_workqueue("qux-stats", ${plainFlags}, 0);
	INIT_WORK(&qux_io_work, qux_io_worker);
	return 0;
}

static void qux_kick(void)
{
	queue_work(qux_io_wq, &qux_io_work);
	schedule_work(&qux_stats_work);
}
`;

/** The stats work signals a completion. */
const STATS_WORK = `
static void qux_stats_fn(struct work_struct *work)
{
	qux_count();
	complete(&qux_stats_done);
}

static void qux_setup_stats(void)
{
	INIT_WORK(&qux_stats_work, qux_stats_fn);
}
`;

const EXISTING = `static void qux_io_worker(struct work_struct *work)
{
	qux_complete_io();
}
`;

const SHRINKER = `static unsigned long qux_cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	qux_trim(s->private_data);
	return 0;
}
`;

ruleTester(rule, {
  valid: [
    {
      name: "cancel instead of flush on the newest kernel (not checked since de35994ecd2d)",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tcancel_work_sync(&qux_stats_work);") }] },
    },
    {
      name: "flushing a queue that has WQ_MEM_RECLAIM too",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tflush_workqueue(qux_stats_wq);", "WQ_MEM_RECLAIM", "WQ_MEM_RECLAIM | WQ_UNBOUND") }] },
    },
    {
      name: "the worker's queue has no WQ_MEM_RECLAIM",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tflush_workqueue(qux_stats_wq);", "WQ_UNBOUND") }] },
    },
    {
      name: "the worker's queue is a legacy queue (check_flush_dependency skips its workers)",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tflush_workqueue(qux_stats_wq);").replace('alloc_workqueue("qux-io", WQ_MEM_RECLAIM, 0)', 'create_singlethread_workqueue("qux-io")') }] },
    },
    {
      name: "flushing a legacy queue (it has WQ_MEM_RECLAIM)",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tflush_workqueue(qux_stats_wq);").replace('alloc_workqueue("qux-stats", WQ_UNBOUND, 0)', 'create_workqueue("qux-stats")') }] },
    },
    {
      name: "a worker flushing its own queue",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tflush_workqueue(qux_io_wq);") }] },
    },
    {
      name: "waiting for a completion that work on a WQ_MEM_RECLAIM queue signals",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tqueue_work(qux_stats_wq, &qux_stats_work);\n\twait_for_completion(&qux_stats_done);", "WQ_MEM_RECLAIM", "WQ_MEM_RECLAIM").replace("\tschedule_work(&qux_stats_work);\n", "") + STATS_WORK }] },
    },
    {
      name: "a function with no reclaim context waits for system-queue work",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("", "WQ_UNBOUND").replace("static void qux_kick(void)\n{\n", "static void qux_kick(void)\n{\n\twait_for_completion(&qux_stats_done);\n") + STATS_WORK }] },
    },
    {
      name: "diff alone does not show which queue runs the worker",
      patch: { files: [{ path: "drivers/qux/qux.c", before: EXISTING, after: EXISTING.replace("qux_complete_io();\n", "qux_complete_io();\n\tflush_workqueue(qux_stats_wq);\n") }] },
    },
  ],
  invalid: [
    {
      name: "WQ_MEM_RECLAIM worker flushes a plain queue, all in the diff",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tflush_workqueue(qux_stats_wq);") }] },
      errors: [{ messageId: "flush", line: 12, severity: "warning" }],
    },
    {
      name: "WQ_MEM_RECLAIM worker drains a plain queue",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tdrain_workqueue(qux_stats_wq);") }] },
      errors: [{ messageId: "flush", line: 12 }],
    },
    {
      name: "WQ_MEM_RECLAIM worker flushes the system workqueue",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tflush_scheduled_work();") }] },
      errors: [{ messageId: "flush", line: 12, severity: "warning" }],
    },
    {
      name: "WQ_MEM_RECLAIM worker flushes work it put on the system queue with schedule_work()",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tflush_work(&qux_stats_work);") }] },
      errors: [{ messageId: "flush", line: 12, severity: "warning" }],
    },
    {
      name: "a shrinker (signature) flushes a system queue",
      patch: { files: [{ path: "drivers/qux/qux_shrink.c", before: SHRINKER, after: SHRINKER.replace("\treturn 0;", "\tflush_workqueue(system_unbound_wq);\n\treturn 0;") }] },
      errors: [{ messageId: "flush", line: 4, severity: "warning" }],
    },
    {
      name: "a WQ_MEM_RECLAIM worker waits for a completion that system-queue work signals",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tschedule_work(&qux_stats_work);\n\twait_for_completion(&qux_stats_done);") + STATS_WORK }] },
      errors: [{ messageId: "waitsOnWork", line: 13, severity: "warning" }],
    },
    {
      name: "flushing a queue whose flags come from a variable set elsewhere: info naming it",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tflush_workqueue(qux_stats_wq);", "WQ_MEM_RECLAIM", "qux_flags") }] },
      errors: [{ messageId: "unknownTarget", line: 12, severity: "info" }],
    },
    {
      name: "the worker's queue flags are not visible: info naming them",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tflush_workqueue(qux_stats_wq);", "qux_io_flags") }] },
      errors: [{ messageId: "unknownQueue", line: 12, severity: "info" }],
    },
  ],
});

describe("wq-flush-dependency findings", () => {
  it("a flush the patch only moves under a condition is the same hazard: reported as pre-existing", () => {
    // the whole file as context: the queues and the queueing are visible on both sides
    const spec = (before: string | null) => ({ files: [{ path: "drivers/qux/qux.c", before, after: NEW_FILE("\tif (qux_busy())\n\t\tflush_workqueue(qux_stats_wq);") }], context: 40 });
    expect(runRule(rule, spec(NEW_FILE("\tflush_workqueue(qux_stats_wq);"))).map((f) => [f.messageId, f.preExisting ?? false])).toEqual([["flush", true]]);
    expect(runRule(rule, spec(NEW_FILE(""))).map((f) => [f.messageId, f.preExisting ?? false])).toEqual([["flush", false]]);
  });

  it("names the worker's queue, the flushed queue and the chain", () => {
    const [f] = runRule(rule, { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tflush_work(&qux_stats_work);") }] });
    expect(f!.message).toBe(
      'flush_work(&qux_stats_work) in qux_io_worker() waits for system_wq, which has no WQ_MEM_RECLAIM, and qux_io_worker() runs as work of the WQ_MEM_RECLAIM queue "qux-io" (qux_io_wq): under memory pressure system_wq may get no worker, so this wait can hang the work reclaim depends on',
    );
    expect(f!.chain).toEqual(['"qux-io" (WQ_MEM_RECLAIM)', "qux_io_worker()", "flush_work(&qux_stats_work)", "system_wq (no WQ_MEM_RECLAIM)"]);
    expect(f!.fix).toBe('Do not wait for system_wq from qux_io_worker(), which runs on "qux-io" (qux_io_wq): queue the flushed work on a WQ_MEM_RECLAIM queue of its own instead of system_wq, cancel instead of flushing if that work need not finish, or move the wait out of this context.');
    expect(f!.unknowns).toBeUndefined();
  });

  it("an info names the missing fact", () => {
    const [f] = runRule(rule, { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tflush_workqueue(qux_stats_wq);", "WQ_MEM_RECLAIM", "qux_flags") }] });
    expect(f!.unknowns).toEqual(["the value of qux_flags (set outside the lines shown)"]);
  });

  it("a flags variable set in the same function is read", () => {
    const after = NEW_FILE("\tflush_workqueue(qux_stats_wq);", "WQ_MEM_RECLAIM", "flags").replace("static int qux_init(void)\n{\n", "static int qux_init(void)\n{\n\tunsigned int flags = WQ_UNBOUND;\n\n");
    expect(runRule(rule, { files: [{ path: "drivers/qux/qux.c", after }] }).map((f) => [f.messageId, f.severity])).toEqual([["flush", "warning"]]);
    const withMr = after.replace("unsigned int flags = WQ_UNBOUND;", "unsigned int flags = WQ_UNBOUND;\n\n\tflags |= WQ_MEM_RECLAIM;");
    expect(runRule(rule, { files: [{ path: "drivers/qux/qux.c", after: withMr }] })).toEqual([]);
  });

  it("renaming every driver identifier and the path changes no verdict", () => {
    const cases = ["\tflush_workqueue(qux_stats_wq);", "\tflush_work(&qux_stats_work);", "\tcancel_work_sync(&qux_stats_work);", "\tflush_workqueue(qux_io_wq);"];
    const names = new Map([["qux_", "mmc9_"], ["qux-", "mmc9-"], ["drivers/qux/", "fs/zonefs2/"]]);
    for (const c of cases) {
      const a = runRule(rule, { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE(c) }] });
      const b = runRule(rule, { files: [{ path: renamed("drivers/qux/qux.c", names), after: renamed(NEW_FILE(c), names) }] });
      expect(b.map((f) => [f.messageId, f.line, f.severity])).toEqual(a.map((f) => [f.messageId, f.line, f.severity]));
    }
  });
});

// ------------------------------------------------------------ with a source tree

const QUX_H = `#define QUX_WQFLAGS(f)	(WQ_FREEZABLE | (f))
struct qux_dev {
	struct workqueue_struct *reclaim_wq;
	struct workqueue_struct *plain_wq;
	struct work_struct sync_work;
	struct work_struct stats_work;
};
`;
const QUX_MAIN = `#include "qux.h"

static void qux_sync_worker(struct work_struct *work)
{
	struct qux_dev *qd = container_of(work, struct qux_dev, sync_work);

	qux_sync(qd);
}

int qux_init(struct qux_dev *qd)
{
	qd->reclaim_wq = alloc_workqueue("qux-reclaim", QUX_WQFLAGS(WQ_MEM_RECLAIM), 0);
	qd->plain_wq = alloc_workqueue("qux-plain", QUX_WQFLAGS(0), 0);
	INIT_WORK(&qd->sync_work, qux_sync_worker);
	return 0;
}
`;
const QUX_KICK = `#include "qux.h"

void qux_kick(struct qux_dev *qd)
{
	queue_work(qd->reclaim_wq, &qd->sync_work);
	queue_work(qd->plain_wq, &qd->stats_work);
}
`;
const tree = new Map([
  ["drivers/qux/qux.h", QUX_H],
  ["drivers/qux/qux_main.c", QUX_MAIN],
  ["drivers/qux/qux_kick.c", QUX_KICK],
]);
const patchAdding = (line: string) => ({ files: [{ path: "drivers/qux/qux_main.c", before: QUX_MAIN, after: QUX_MAIN.replace("\tqux_sync(qd);\n", `\tqux_sync(qd);\n${line}\n`) }] });

describe("wq-flush-dependency with a source tree", () => {
  it("resolves both queues' flags through a header macro and the queueing in another file", async () => {
    const f = await reviewWithTree(tree, patchAdding("\tflush_workqueue(qd->plain_wq);"), [rule]);
    expect(f.map((x) => [x.line, x.messageId, x.severity])).toEqual([[8, "flush", "warning"]]);
    expect(f[0]!.chain).toEqual(['"qux-reclaim" (WQ_MEM_RECLAIM)', "qux_sync_worker()", "flush_workqueue(qd->plain_wq)", '"qux-plain" (no WQ_MEM_RECLAIM)']);
  });

  it("says nothing diff-only: the queue the worker runs on is in another file", () => {
    expect(runRule(rule, patchAdding("\tflush_workqueue(qd->plain_wq);"))).toEqual([]);
  });

  it("a cancel is quiet on a v6.13 tree and an info on a v6.12 tree", async () => {
    const p = patchAdding("\tcancel_work_sync(&qd->stats_work);");
    expect(await reviewWithTree(tree, p, [rule], { major: 6, minor: 13 })).toEqual([]);
    const old = await reviewWithTree(tree, p, [rule], { major: 6, minor: 12 });
    expect(old.map((x) => [x.line, x.messageId, x.severity])).toEqual([[8, "cancelWarns", "info"]]);
    expect(old[0]!.message).toContain("on v6.12 check_flush_dependency() warns");
  });

  it("a flush of a work item is judged by the queue it is queued on", async () => {
    const f = await reviewWithTree(tree, patchAdding("\tflush_work(&qd->stats_work);"), [rule]);
    expect(f.map((x) => [x.line, x.messageId])).toEqual([[8, "flush"]]);
  });
});

describe("wq-flush-dependency over the fixture tree, renamed", () => {
  beforeAll(async () => {
    await initParser();
  });

  it("every identifier and file renamed: the same findings on the same lines", () => {
    const kb = loadKnowledge();
    const names = new Map([["frob", "nvmet_tcpx"], ["FROB", "NVMET_TCPX"], ["fd_", "nq_"], ["drivers/wq-flush-dependency/", "fs/quuxfs/"]]);
    const { files } = fixtureTree("wq-flush-dependency");
    const moved = new Map([...files].map(([p, t]) => [renamed(p, names), renamed(t, names)]));
    const audit = (fs: Map<string, string>) => {
      const { context } = auditContext(memoryProvider(fs));
      return [...fs].filter(([p]) => p.endsWith(".c")).flatMap(([p, t]) => auditFile(p, t, [rule], context, DEFAULT_CONFIG, kb).findings.map((f) => [f.line, f.messageId, f.severity]));
    };
    const a = audit(files);
    expect(a.length).toBeGreaterThan(5);
    expect(audit(moved)).toEqual(a);
  });
});

// End-IO work queued on a queue a helper returns, and a completion signalled by work on the system queue, in files the
// patch does not apply to (the tree drifted inside the hunks' context).
const ZAP_MAIN = (dataFlags: string) => `#include "zap.h"

int zap_init(struct zap_dev *zd)
{
	zd->meta_wq = alloc_workqueue("zap-meta", WQ_MEM_RECLAIM, 0);
	zd->data_wq = alloc_workqueue("zap-data", ${dataFlags}, 0);
	return 0;
}
`;
const ZAP_IO = (wait: boolean, tree: boolean) => `#include "zap.h"

static struct workqueue_struct *zap_end_wq(struct zap_dev *zd, bool meta)
{
	if (meta)
		return zd->meta_wq;
	return zd->data_wq;
}

static void zap_finish(struct zap_io *io)
{
${wait ? "\tif (io->summed)\n\t\twait_for_completion(&io->sum_done);\n" : ""}	io->done = ${tree ? "1" : "true"};
	zap_put(io);
}

static void zap_end_work(struct work_struct *work)
{
	struct zap_io *io = container_of(work, struct zap_io, end_work);

	zap_finish(io);
}

void zap_end_io(struct zap_io *io)
{
	INIT_WORK(&io->end_work, zap_end_work);
	queue_work(zap_end_wq(io->zd, io->meta), &io->end_work);
}
`;
const ZAP_SUM = (added: boolean, tree: boolean) => `#include "zap.h"

${added ? "static void zap_sum_work(struct work_struct *work)\n{\n\tstruct zap_io *io = container_of(work, struct zap_io, sum_work);\n\n\tzap_sum_pages(io);\n\tcomplete(&io->sum_done);\n}\n\n" : ""}void zap_sum_io(struct zap_io *io)
{
${added ? "\tINIT_WORK(&io->sum_work, zap_sum_work);\n\tschedule_work(&io->sum_work);\n" : "\tzap_sum_pages(io);\n"}	io->summed = ${tree ? "1" : "true"};
}
`;

describe("wq-flush-dependency: a completion wait in files the patch does not apply to", () => {
  const treeWith = (dataFlags: string) =>
    new Map([
      ["drivers/zap/zap_main.c", ZAP_MAIN(dataFlags)],
      ["drivers/zap/zap_io.c", ZAP_IO(false, true)],
      ["drivers/zap/zap_sum.c", ZAP_SUM(false, true)],
    ]);
  const patch = {
    files: [
      { path: "drivers/zap/zap_io.c", before: ZAP_IO(false, false), after: ZAP_IO(true, false) },
      { path: "drivers/zap/zap_sum.c", before: ZAP_SUM(false, false), after: ZAP_SUM(true, false) },
    ],
  };

  it("the waiter runs as work of the queues a helper returns (both WQ_MEM_RECLAIM): a warning on the wait", async () => {
    const f = await reviewWithTree(treeWith("WQ_MEM_RECLAIM | WQ_UNBOUND"), patch, [rule]);
    expect(f.map((x) => [x.file, x.line, x.messageId, x.severity])).toEqual([["drivers/zap/zap_io.c", 13, "waitsOnWork", "warning"]]);
    expect(f[0]!.message).toContain("zap_end_wq()");
    expect(f[0]!.message).toContain('"zap-meta"');
    expect(f[0]!.message).toContain("system_wq");
  });

  it("one of the returned queues has no WQ_MEM_RECLAIM: not a WQ_MEM_RECLAIM worker, no warning", async () => {
    const f = await reviewWithTree(treeWith("WQ_UNBOUND"), patch, [rule]);
    expect(f.filter((x) => x.severity === "warning")).toEqual([]);
  });
});

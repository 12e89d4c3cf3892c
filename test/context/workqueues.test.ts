// The workqueue analysis: its small readers (the quoted warning, queue name
// formats, printf argument counts, literal flags) and what it derives from a
// patch (flag changes and the queues they decide, flags of a variable).
import { describe, expect, it } from "vitest";
import { formatArgCount, formatMatches, literalFlags, quotedFlushWarnings, systemQueuesNamed, workqueueAnalysis } from "../../src/context/workqueues.js";
import { toPatch } from "../helpers/rule-tester.js";

describe("quotedFlushWarnings", () => {
  it("reads both forms, with modules, addresses, mail quoting and timestamps", () => {
    expect(quotedFlushWarnings("  workqueue: WQ_MEM_RECLAIM zap_js:zap_free_job [zap_sched] is flushing !WQ_MEM_RECLAIM notify_wq:0x0\n")).toEqual([
      { form: "worker", flusherQueue: "zap_js", flusherFn: "zap_free_job", task: null, flushedQueue: "notify_wq", flushedFn: null },
    ]);
    expect(quotedFlushWarnings("> [  12.3] workqueue: PF_MEMALLOC task 57(kswapd0) is flushing !WQ_MEM_RECLAIM\n> [  12.4] events:zap_stats_work\n")).toEqual([
      { form: "task", flusherQueue: null, flusherFn: null, task: "kswapd0", flushedQueue: "events", flushedFn: "zap_stats_work" },
    ]);
    expect(quotedFlushWarnings("We no longer flush from reclaim, so no WQ_MEM_RECLAIM flush warning fires.")).toEqual([]);
  });
});

describe("queue names", () => {
  it("matches a name format and a name cut short by the name buffer", () => {
    expect(formatMatches("zap_eh_%d", "zap_eh_0")).toBe(true);
    expect(formatMatches("zap-sync/%s", "zap-sync/vdc")).toBe(true);
    expect(formatMatches("zap_eh_%d", "zap_evt")).toBe(false);
    expect(formatMatches("zap_very_long_queue_name_for_io", "zap_very_long_queue_nam")).toBe(true);
  });
  it("knows the system queues by their printed names", () => {
    expect(systemQueuesNamed("events")).toEqual(["system_wq", "system_percpu_wq"]);
    expect(systemQueuesNamed("events_freezable_power_")).toEqual(["system_freezable_power_efficient_wq"]);
    expect(systemQueuesNamed("zap_evt")).toEqual([]);
  });
});

describe("constructor arguments", () => {
  it("counts a format's arguments", () => {
    expect(formatArgCount("zap")).toBe(0);
    expect(formatArgCount("zap%d.%d-%s")).toBe(3);
    expect(formatArgCount("100%% %*d")).toBe(2);
  });
  it("reads literal flags, and nothing that is not literal", () => {
    expect(literalFlags("WQ_UNBOUND | WQ_MEM_RECLAIM")).toEqual({ memReclaim: true, legacy: false });
    expect(literalFlags("0")).toEqual({ memReclaim: false, legacy: false });
    expect(literalFlags("__WQ_LEGACY | WQ_MEM_RECLAIM")).toEqual({ memReclaim: true, legacy: true });
    expect(literalFlags("ZAP_WQFLAGS(0)")).toBe(null);
    expect(literalFlags("flags")).toBe(null);
  });
});

describe("workqueueAnalysis", () => {
  it("names the queues a flags macro and a flags variable decide", () => {
    const before = '#define ZAP_WQF(f)\t(WQ_SYSFS | (f))\n\nstatic int zap_init(struct zap *z)\n{\n\tunsigned int fl = WQ_UNBOUND;\n\n\tz->a_wq = alloc_workqueue("zap_a", ZAP_WQF(0), 0);\n\tz->b_wq = alloc_workqueue("zap_b", fl, 0);\n\treturn 0;\n}\n';
    const after = before.replace("(WQ_SYSFS | (f))", "(WQ_SYSFS | WQ_MEM_RECLAIM | (f))").replace("fl = WQ_UNBOUND;", "fl = WQ_UNBOUND | WQ_MEM_RECLAIM;");
    const a = workqueueAnalysis({ patch: toPatch({ files: [{ path: "drivers/zap/zap.c", before, after }], context: 20 }) });
    expect(a.flagChanges().map((c) => [c.change, c.line, c.site.kind, c.queues.map((q) => [q.label, q.flags.memReclaim])])).toEqual([
      ["added", 1, "define", [['"zap_a" (z->a_wq)', true]]],
      ["added", 5, "assign", [['"zap_b" (z->b_wq)', true]]],
    ]);
  });

  it("says what it could not tell about a variable's flags", () => {
    const text = 'static int zap_init(struct zap *z, bool swap)\n{\n\tunsigned int fl = WQ_UNBOUND;\n\n\tif (swap)\n\t\tfl |= WQ_MEM_RECLAIM;\n\tz->a_wq = alloc_workqueue("zap_a", fl, 0);\n\tz->b_wq = alloc_workqueue("zap_b", z->flags, 0);\n\treturn 0;\n}\n';
    const a = workqueueAnalysis({ patch: toPatch({ files: [{ path: "drivers/zap/zap.c", after: text }] }) });
    const flags = a.allocSites("drivers/zap/zap.c", "post", null).map((s) => a.flagsOf(s));
    expect(flags.map((f) => [f.memReclaim, f.unknown])).toEqual([
      [null, "whether the condition under which fl gets WQ_MEM_RECLAIM (line 6) holds"],
      [null, "what z->flags expands to (not visible here)"],
    ]);
  });
});

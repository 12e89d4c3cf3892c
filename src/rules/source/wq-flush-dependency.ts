// wq-flush-dependency: a flush (or, on kernels before de35994ecd2d, a
// cancel) from a function that runs where check_flush_dependency() looks —
// the work of a WQ_MEM_RECLAIM queue (or a function it calls), a shrinker or
// another function reclaim runs with PF_MEMALLOC, writeback — of a queue or
// work item without WQ_MEM_RECLAIM. Judged from the workqueue analysis: the
// flushing function's queue and flags, or its role; the flushed queue's flags.
// A wait_for_completion() on a completion that work of a queue without
// WQ_MEM_RECLAIM signals is the same dependency, one the run-time check
// cannot see.
import { shortLabel, workqueueAnalysis, type FlushSite, type QueueFact, type RunsAs, type WorkqueueAnalysis } from "../../context/workqueues.js";
import type { Report, Rule } from "../../types.js";
import { chainText } from "../util/phrases.js";
import { HISTORY } from "../../vocab/history.js";

function runsText(r: RunsAs): string {
  if (r.kind === "role") {
    const via = r.chain.length > 1 ? ` (called from it: ${chainText(r.chain)})` : "";
    return `${r.role!.root}() (${r.role!.label})${via}, which runs in ${r.roleHow}`;
  }
  const via = r.chain.length > 1 ? `, called from ${r.root}() (${chainText(r.chain)})` : "";
  return `work of the WQ_MEM_RECLAIM queue ${r.queue!.label}${via}`;
}

function queuesText(qs: QueueFact[]): string {
  return qs.map((q) => q.label).join(" / ");
}

function chainOf(r: RunsAs | null, site: FlushSite, qs: QueueFact[]): string[] {
  const head = r ? (r.kind === "wq" ? [`${shortLabel(r.queue!)} (WQ_MEM_RECLAIM)`, ...r.chain.map((f) => `${f}()`)] : [...r.chain.map((f) => `${f}()`)]) : [`${site.view.name}()`];
  const tail = qs.length > 0 ? [`${qs.map(shortLabel).join(" / ")} (no WQ_MEM_RECLAIM)`] : [];
  return [...head, `${site.ev.callee}(${site.target.expr})`, ...tail];
}

/** The same flush was in the same function before, with the same verdict: the hazard is older than the patch (it moved or was re-indented). */
function movedOnly(a: WorkqueueAnalysis, site: FlushSite): boolean {
  const norm = (s: string) => s.replace(/\s+/g, "");
  const file = a.patch.files.find((f) => f.path === site.view.path);
  const prePath = file?.oldPath ?? null;
  if (!prePath) return false;
  const pre = a.tree ? a.viewOf(prePath, site.view.name, "pre") : a.patchViews("pre").find((v) => v.path === prePath && v.name === site.view.name) ?? null;
  if (!pre) return false;
  for (const v of a.fragmentsOf(pre)) {
    const ev = v.flow.events.find((e) => e.info.kind === "flush" && e.callee === site.ev.callee && e.info.expr !== undefined && norm(e.info.expr) === norm(site.ev.info.expr));
    if (!ev || ev.info.kind !== "flush") continue;
    const before = a.flushTarget(v, ev as FlushSite["ev"]);
    const wasLacking = before.queues.length > 0 && before.queues.every((q) => q.flags.memReclaim === false);
    return wasLacking && a.runsAs(v).ctx !== null;
  }
  return false;
}

export const rule: Rule = {
  meta: {
    id: "wq-flush-dependency",
    class: "workqueue-reclaim",
    severity: "warning",
    description: "a WQ_MEM_RECLAIM worker, shrinker or writeback path flushes a workqueue or work item without WQ_MEM_RECLAIM",
    docs: {
      why:
        "Work on a WQ_MEM_RECLAIM queue is guaranteed to progress under memory pressure by the queue's " +
        "rescuer thread. If it waits for a queue without one (flush_workqueue, flush_work, drain_workqueue), " +
        "that wait depends on a new kworker being created, which may need the very memory being reclaimed: " +
        "a deadlock. kernel/workqueue.c check_flush_dependency() warns about it at run time " +
        "(\"WQ_MEM_RECLAIM ... is flushing !WQ_MEM_RECLAIM ...\"). Shrinkers and other code reclaim runs " +
        "(PF_MEMALLOC) and writeback (the WQ_MEM_RECLAIM \"writeback\" queue) are in the same position. Waiting " +
        "with wait_for_completion() for a completion that such work signals is the same dependency, hidden from the check.",
      fix:
        "Do not wait for the other queue from this context: make the flushed queue WQ_MEM_RECLAIM only if " +
        "its work is itself needed for reclaim progress, otherwise restructure so the reclaim-side work " +
        "does not depend on it (queue the dependent work on a rescuer-backed queue of its own, or cancel " +
        "instead of flushing: cancel_work_sync() is not a flush dependency since de35994ecd2d).",
      quiet:
        "Cancels on kernels since de35994ecd2d (v6.13); flushing a queue with WQ_MEM_RECLAIM (legacy " +
        "create_*workqueue() queues have it); workers of legacy queues; a worker flushing its own queue; " +
        "a function whose queue or role is not visible. When one fact is missing (the flushed queue's " +
        "flags, or the flags of the queue the worker runs on) it says so at info.",
    },
    messages: {
      flush:
        "{{call}}({{target}}) in {{fn}}() waits for {{queue}}, which has no WQ_MEM_RECLAIM, and {{fn}}() runs as {{ctx}}: under memory pressure {{queue}} may get no worker, so this wait can hang the work reclaim depends on",
      cancelWarns:
        "{{call}}({{target}}) in {{fn}}() cancels work of {{queue}} (no WQ_MEM_RECLAIM) from {{ctx}}: on {{kernel}} check_flush_dependency() warns about this, although a cancel only waits for a running instance; de35994ecd2d (v6.13) stopped that warning",
      unknownTarget:
        "{{call}}({{target}}) in {{fn}}() runs as {{ctx}}; whether it may hang under memory pressure depends on the flags of what it flushes, which are not known here",
      waitsOnWork:
        "{{call}}({{target}}) in {{fn}}() waits for {{worker}}() to complete it, and that work runs on {{queue}} ({{queued}}), which has no WQ_MEM_RECLAIM, while {{fn}}() runs as {{ctx}}: a flush dependency behind a completion, which check_flush_dependency() cannot see",
      waitsOnWorkUnknown:
        "{{call}}({{target}}) in {{fn}}() waits for {{worker}}() to complete it, and {{fn}}() runs as {{ctx}}; whether that can hang under memory pressure depends on the flags of {{queue}}, which are not known here",
      unknownQueue:
        "{{call}}({{target}}) in {{fn}}() waits for {{queue}}, which has no WQ_MEM_RECLAIM; {{fn}}() is the work of {{worker}}, whose flags are not known here: if that queue has WQ_MEM_RECLAIM, this wait breaks its forward-progress promise",
    },
    knowledge: ["wq-flush-dependency-2015", HISTORY.flagAddedForFlushWarning, "wq-cancel-no-warn-2024", "wq-legacy-skip-2016", "workqueue-doc"],
    scope: "line",
    needles: ["flush_", "drain_workqueue", "cancel_", "disable_", "wait_for_completion"],
  },
  check(ctx) {
    const a = workqueueAnalysis(ctx);
    const exempt = a.cancelExempt();
    const reports: Report[] = [];
    for (const site of a.flushSites()) {
      if (!site.added) continue;
      const cancel = site.ev.info.cancel;
      if (cancel && exempt) continue;
      const t = site.target;
      // a queue with a rescuer (legacy queues have WQ_MEM_RECLAIM too): nothing to wait out
      if (t.queues.some((q) => q.flags.memReclaim === true)) continue;
      const known = t.queues.length > 0 && t.queues.every((q) => q.flags.memReclaim === false);
      const { ctx: runs, partial } = a.runsAs(site.view);
      const fn = site.view.name;
      const base = { file: site.view.path, line: site.ev.line, identifiers: [site.ev.callee, fn, ...t.queues.map((q) => q.key)] };
      if (runs) {
        if (runs.kind === "wq" && t.queues.some((q) => q.key === runs.queue!.key)) continue; // flushing its own queue
        const preExisting = known && movedOnly(a, site) ? { preExisting: true } : {};
        const data = { call: site.ev.callee, target: t.expr, fn, ctx: runsText(runs), queue: queuesText(t.queues) };
        const target = queuesText(t.queues) || t.expr;
        const where = runs.kind === "wq" ? `, which runs on ${runs.queue!.label}` : ", which reclaim or writeback runs";
        // a system queue cannot be given the flag: its work has to move
        const rescue = t.queues.length > 0 && t.queues.every((q) => q.system) ? `queue the flushed work on a WQ_MEM_RECLAIM queue of its own instead of ${target}` : `give ${target} WQ_MEM_RECLAIM if its work must run for reclaim to progress`;
        const fix = `Do not wait for ${target} from ${runs.root}()${where}: ${rescue}, cancel instead of flushing if that work need not finish, or move the wait out of this context.`;
        if (known && cancel) {
          reports.push({ ...base, messageId: "cancelWarns", severity: "info", data: { ...data, kernel: `v${a.kernel.major}.${a.kernel.minor}` }, chain: chainOf(runs, site, t.queues), cite: ["wq-cancel-no-warn-2024", "wq-flush-dependency-2015"] });
          continue;
        }
        if (known) {
          reports.push({ ...base, messageId: "flush", data, fix, chain: chainOf(runs, site, t.queues), cite: ["wq-flush-dependency-2015", "workqueue-doc"], ...preExisting });
          continue;
        }
        if (cancel) continue;
        reports.push({ ...base, messageId: "unknownTarget", severity: "info", data, fix, chain: chainOf(runs, site, t.queues), unknowns: [t.unknown ?? `the flags of ${t.expr}`] });
        continue;
      }
      if (partial && known && !cancel) {
        const worker = `${partial.queue!.label}${partial.chain.length > 1 ? ` (through ${chainText(partial.chain)})` : ""}`;
        reports.push({
          ...base,
          messageId: "unknownQueue",
          severity: "info",
          data: { call: site.ev.callee, target: t.expr, fn, queue: queuesText(t.queues), worker },
          fix: `If ${partial.queue!.label} has WQ_MEM_RECLAIM, do not wait for ${queuesText(t.queues)} from ${partial.root}(): cancel instead of flushing, or queue the flushed work on a WQ_MEM_RECLAIM queue of its own.`,
          chain: chainOf(partial, site, t.queues),
          unknowns: [partial.queue!.flags.unknown ?? `the flags of ${partial.queue!.label}`],
        });
      }
    }
    // waits for a completion that work signals: a flush the check does not see
    for (const w of a.completionWaits()) {
      const qs = w.signals.map((x) => x.queue);
      if (qs.some((q) => q.flags.memReclaim === true)) continue;
      const { ctx: runs } = a.runsAs(w.view);
      if (!runs) continue;
      const sig = w.signals[0]!;
      if (runs.kind === "wq" && qs.some((q) => q.key === runs.queue!.key)) continue;
      const known = qs.every((q) => q.flags.memReclaim === false);
      const fn = w.view.name;
      const data = { call: w.ev.callee, target: w.expr, fn, worker: sig.fn, queue: queuesText(qs), queued: `${sig.queueing.call}() at ${sig.queueing.view.path}:${sig.queueing.ev.line}`, ctx: runsText(runs) };
      const chain = [...(runs.kind === "wq" ? [`${shortLabel(runs.queue!)} (WQ_MEM_RECLAIM)`] : []), ...runs.chain.map((f) => `${f}()`), `${w.ev.callee}(${w.expr})`, `${sig.fn}() on ${qs.map(shortLabel).join(" / ")}${known ? " (no WQ_MEM_RECLAIM)" : ""}`];
      const base = { file: w.view.path, line: w.ev.line, identifiers: [w.ev.callee, fn, sig.fn, ...qs.map((q) => q.key)], chain };
      const fix = `Do not wait in ${runs.root}() for work on ${queuesText(qs)}: queue ${sig.work} on a WQ_MEM_RECLAIM queue of its own (not one whose only worker is the one waiting), or do that work in ${fn}() itself.`;
      if (known) reports.push({ ...base, messageId: "waitsOnWork", data, fix, cite: ["wq-flush-dependency-2015", "workqueue-doc"] });
      else reports.push({ ...base, messageId: "waitsOnWorkUnknown", severity: "info", data, fix, unknowns: [qs.find((q) => q.flags.memReclaim === null)?.flags.unknown ?? `the flags of ${queuesText(qs)}`] });
    }
    return reports;
  },
};

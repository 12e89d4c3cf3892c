// wq-flush-dependency: a work item of a WQ_MEM_RECLAIM queue (or a shrinker,
// or writeback) flushes a queue or work that has no rescuer.
import { FactsIndex, getFacts, type FactsView, type QueueInfo } from "../../context/facts.js";
import { reclaimContext, type ReclaimContext } from "../../context/reach.js";
import { keyOf, splitArgs } from "../../context/extract.js";
import type { Patch, Report, Rule } from "../../types.js";
import { callArguments } from "../util/code.js";
import { addedLines, isCLike } from "../util/diff.js";

/** Flush calls check_flush_dependency() warns about; the cancel_*_sync forms no longer do (de35994ecd2d). */
const FLUSHES: Record<string, "queue" | "work" | "system"> = {
  flush_workqueue: "queue",
  __flush_workqueue: "queue",
  drain_workqueue: "queue",
  flush_work: "work",
  flush_delayed_work: "work",
  flush_rcu_work: "work",
  flush_scheduled_work: "system",
};
const FLUSH_RE = /\b(flush_workqueue|__flush_workqueue|drain_workqueue|flush_work|flush_delayed_work|flush_rcu_work|flush_scheduled_work)\s*\(/;

interface Target {
  /** What is flushed, as written: "mp->m_sync_workqueue", "&foo->work". */
  expr: string;
  /** The queue(s) it resolves to, all without WQ_MEM_RECLAIM and not legacy. */
  queues: QueueInfo[];
}

/** The flushed queue(s) when every one is known to lack WQ_MEM_RECLAIM (legacy queues are exempt). */
export function nonReclaimTarget(view: FactsView, path: string, call: string, args: string): Target | null {
  const kind = FLUSHES[call];
  if (!kind) return null;
  if (kind === "system") return { expr: "system_wq", queues: [{ key: "system_wq", memReclaim: false, legacy: false }] };
  const first = splitArgs(args)[0];
  if (!first) return null;
  const queues = kind === "queue" ? [view.queueFlags(path, first)].filter((q): q is QueueInfo => q !== null) : view.queuesOfWork(path, first);
  if (queues.length === 0) return null;
  if (!queues.every((q) => q.memReclaim === false && !q.legacy)) return null;
  return { expr: first, queues };
}

/** The same hazard in the pre-image: the function flushed the same target from the same context. */
function heldBefore(pre: FactsView | null, path: string, fn: string, call: string, target: string): boolean {
  if (!pre) return false;
  const f = pre.fileFacts(path)?.functions.find((x) => x.name === fn);
  if (!f) return false;
  const same = f.calls.some((c) => c.callee === call && keyOf(splitArgs(c.args)[0] ?? "") === keyOf(target));
  return same && reclaimContext(pre, path, fn) !== null && nonReclaimTarget(pre, path, call, splitArgs(f.calls.find((c) => c.callee === call)!.args)[0] ?? "") !== null;
}

/** Facts from the diff alone: each file's new-side lines at their line numbers (no C parse). */
function diffOnlyFacts(patch: Patch): FactsView {
  const texts = new Map<string, string>();
  for (const f of patch.files) {
    if (f.binary || f.newPath === null || !isCLike(f.path)) continue;
    const lines: string[] = [];
    for (const h of f.hunks)
      for (const l of h.lines) {
        if (l.kind === "del" || l.newLine === null) continue;
        while (lines.length < l.newLine - 1) lines.push("");
        lines[l.newLine - 1] = l.text;
      }
    texts.set(f.path, lines.join("\n"));
  }
  const paths = [...texts.keys()];
  return new FactsIndex(
    { text: (p) => texts.get(p), neighbours: (p) => paths.filter((x) => x !== p && x.slice(0, x.lastIndexOf("/")) === p.slice(0, p.lastIndexOf("/"))) },
    "post",
  );
}

function describe(ctx: ReclaimContext): string {
  if (ctx.kind === "wq") return `work on WQ_MEM_RECLAIM queue ${ctx.queue!.key}`;
  return ctx.role === "shrinker" ? "a shrinker (memory reclaim)" : "writeback";
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
        "(\"WQ_MEM_RECLAIM ... is flushing !WQ_MEM_RECLAIM ...\"). Shrinkers (PF_MEMALLOC in kswapd) and " +
        "writeback are in the same position.",
      fix:
        "Do not wait for the other queue from this context: make the flushed queue WQ_MEM_RECLAIM only if " +
        "its work is itself needed for reclaim progress, otherwise restructure so the reclaim-side work " +
        "does not depend on it (queue the dependent work on the same rescuer-backed queue, or cancel " +
        "instead of flushing: cancel_work_sync() is not a flush dependency since de35994ecd2d).",
      quiet:
        "cancel_work_sync()/cancel_delayed_work_sync(); flushing a queue created with create_workqueue() " +
        "(legacy queues are not checked); flushing a queue whose flags are not visible; without source " +
        "context, anything the diff does not show completely.",
    },
    messages: {
      flush:
        "{{call}}({{target}}) from {{fn}}, which runs as {{ctx}}, waits for {{queue}}, which has no WQ_MEM_RECLAIM: under memory pressure the flush can wait forever for a worker that cannot be created",
    },
    knowledge: ["wq-flush-dependency-2015", "xfs-sync-wq-2024", "wq-cancel-no-warn-2024", "wq-legacy-skip-2016", "workqueue-doc"],
    scope: "line",
    needles: ["flush_", "drain_workqueue"],
  },
  check({ patch, source }) {
    const facts = getFacts(source);
    let diffView: FactsView | null = null; // built on the first flush only
    const reports: Report[] = [];
    for (const v of addedLines(patch)) {
      if (!isCLike(v.file.path) || !v.code.includes("flush_") && !v.code.includes("drain_workqueue")) continue;
      const m = FLUSH_RE.exec(v.code);
      if (!m || v.line.newLine === null) continue;
      const view: FactsView = facts ?? (diffView ??= diffOnlyFacts(patch));
      const call = m[1]!;
      const args = (callArguments(v.code, m.index + m[0].length - 1) ?? []).join(", ");
      const target = nonReclaimTarget(view, v.file.path, call, call === "flush_scheduled_work" ? "" : args);
      if (!target) continue;
      const fn = view.functionAt(v.file.path, v.line.newLine)?.name ?? v.fn;
      if (!fn) continue;
      const ctx = reclaimContext(view, v.file.path, fn);
      if (!ctx) continue;
      if (ctx.kind === "wq" && target.queues.some((q) => q.key === ctx.queue!.key)) continue;
      reports.push({
        messageId: "flush",
        data: { call, target: target.expr, fn, ctx: describe(ctx), queue: target.queues.map((q) => q.key).join("/") },
        file: v.file.path,
        line: v.line.newLine,
        chain: [...ctx.chain, `${call}(${target.queues.map((q) => q.key).join("/")})`],
        identifiers: [call, fn, ...target.queues.map((q) => q.key), ...(ctx.queue ? [ctx.queue.key] : [])],
        preExisting: facts ? heldBefore(facts.pre, v.file.path, fn, call, target.expr) || undefined : undefined,
      });
    }
    return reports;
  },
};

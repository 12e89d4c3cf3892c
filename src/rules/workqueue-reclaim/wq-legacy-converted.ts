// wq-legacy-converted: a legacy constructor (create_workqueue(),
// create_singlethread_workqueue(), create_freezable_workqueue()) replaced by
// alloc_workqueue() or alloc_ordered_workqueue() for the same queue. The old
// constructors set WQ_MEM_RECLAIM and __WQ_LEGACY (and some ordering) without
// saying so; the conversion decides each again. Topic recognition, with what
// changed: the rescuer kept or dropped; check_flush_dependency() now looking
// at the queue's workers (it skips __WQ_LEGACY queues); ordering kept or lost.
import { flagSitePairs } from "../../context/wq-flag-sites.js";
import type { Report, Rule } from "../../types.js";
import { WQ_CONSTRUCTORS } from "../../vocab/kernel-api.js";

export const rule: Rule = {
  meta: {
    id: "wq-legacy-converted",
    class: "workqueue-reclaim",
    severity: "info",
    description: "A legacy create_*workqueue() converted to alloc_workqueue()/alloc_ordered_workqueue(): what the conversion keeps and drops",
    docs: {
      why:
        "create_workqueue() and friends imply WQ_MEM_RECLAIM and __WQ_LEGACY (create_singlethread_workqueue() also ordering). " +
        "A conversion that spells the flags out must keep the rescuer if reclaim waits on the queue's work; it drops " +
        "__WQ_LEGACY, so check_flush_dependency() starts checking what the queue's work flushes; and alloc_workqueue() " +
        "runs work items concurrently where the ordered constructor ran them one at a time.",
      fix:
        "Keep WQ_MEM_RECLAIM when IO or reclaim waits on this work (and make sure the work flushes no queue without it); " +
        "use alloc_ordered_workqueue() when the work relies on running one item at a time.",
      quiet: "Constructor calls that stay legacy, new queues (wq-new-io-queue), and modern constructors changed to others.",
    },
    messages: {
      converted: "{{old}}() -> {{now}}() for {{queue}}: {{changes}}",
    },
    knowledge: ["workqueue-doc", "wq-flush-dependency-2015"],
    scope: "line",
    needles: Object.keys(WQ_CONSTRUCTORS).filter((n) => WQ_CONSTRUCTORS[n]!.legacy),
  },
  check(ctx) {
    const reports: Report[] = [];
    for (const { now, before } of flagSitePairs(ctx.patch)) {
      if (!now || !before || now.kind !== "alloc" || before.kind !== "alloc" || !now.api || !before.api) continue;
      const was = WQ_CONSTRUCTORS[before.api];
      const is = WQ_CONSTRUCTORS[now.api];
      if (!was?.legacy || !is || is.legacy) continue;
      const changes: string[] = [];
      const kept = now.use === "set";
      changes.push(
        kept
          ? "WQ_MEM_RECLAIM kept (the rescuer stays)"
          : "WQ_MEM_RECLAIM dropped: no rescuer any more, so under memory pressure the work waits for a new worker (right only if neither IO nor reclaim waits on it)",
      );
      if (kept) changes.push("__WQ_LEGACY dropped: check_flush_dependency() now checks this queue's workers, so its work flushing or waiting on a queue without WQ_MEM_RECLAIM warns");
      const wasOrdered = was.implied.includes("__WQ_ORDERED");
      const isOrdered = is.implied.includes("__WQ_ORDERED") || /\b__WQ_ORDERED\b/.test(now.flagsArg ?? "");
      if (wasOrdered && !isOrdered) changes.push(`ordering dropped: ${before.api}() ran one work item at a time, ${now.api}() runs them concurrently (alloc_ordered_workqueue() keeps the order)`);
      const line = now.stmt.indexes.map((i) => now.stmt.hunk.lines[i]!).find((l) => l.kind === "add")?.newLine ?? null;
      reports.push({
        file: now.stmt.file.path,
        line,
        identifiers: [before.api, now.api, "WQ_MEM_RECLAIM"],
        messageId: "converted",
        data: { old: before.api, now: now.api, queue: now.name ? `"${now.name}"` : now.lhs ?? "the queue", changes: changes.join("; ") },
      });
    }
    return reports;
  },
};

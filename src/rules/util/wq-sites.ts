// Shared wording and small questions of the workqueue rules over the
// workqueue analysis (src/context/workqueues.ts): which quoted
// check_flush_dependency() warning names a queue, whether a quoted trace
// went through a cancel, how a flag site's queues are named.
import { formatMatches, systemQueuesNamed, type FlagChange, type QueueFact, type QuotedFlushWarning } from "../../context/workqueues.js";
import { FLUSH_CALLS } from "../../vocab/kernel-api.js";
import { parseTraces } from "./trace-frames.js";

/** Does a printed queue name (from a warning) stand for this queue (its name format, or the system queue)? */
export function namesQueue(printed: string, q: QueueFact): boolean {
  if (q.system) return systemQueuesNamed(printed).includes(q.key);
  return q.name !== null && formatMatches(q.name, printed);
}

/** Does a printed queue name stand for one of the queues a flag site decides (or the name its constructor call gives)? */
export function changeNames(c: FlagChange, printed: string): boolean {
  return c.queues.some((q) => namesQueue(printed, q)) || (c.site.name !== null && formatMatches(c.site.name, printed));
}

/** The quoted warning that names one of these queues as the flushed one (or the flushing worker's). */
export function warningNaming(warnings: QuotedFlushWarning[], queues: QueueFact[], side: "flushed" | "flusher"): { w: QuotedFlushWarning; q: QueueFact } | null {
  for (const w of warnings) {
    const printed = side === "flushed" ? w.flushedQueue : w.flusherQueue;
    if (printed === null) continue;
    for (const q of queues) if (namesQueue(printed, q)) return { w, q };
  }
  return null;
}

/** A quoted call trace goes through a cancel call (cancel_*_sync, disable_*_sync): the path check_flush_dependency() stopped checking. */
export function cancelInTrace(message: string): string | null {
  for (const t of parseTraces(message)) for (const f of t) if (FLUSH_CALLS[f.name]?.cancel) return f.name;
  return null;
}

/** How the quoted warning names its flusher: "zap_io:zap_io_work" or "the PF_MEMALLOC task kswapd0". */
export function flusherText(w: QuotedFlushWarning): string {
  return w.form === "worker" ? `${w.flusherQueue}:${w.flusherFn ?? "?"}` : `the PF_MEMALLOC task ${w.task}`;
}

/** The queues a flag site decides, as a reviewer names them. */
export function changeLabel(c: FlagChange): string {
  if (c.queues.length > 0) return c.queues.map((q) => q.label).join(", ");
  if (c.site.kind === "define") return `the queues created with ${c.site.macro}`;
  if (c.site.name) return `"${c.site.name}"`;
  return c.site.lhs ?? "this queue";
}

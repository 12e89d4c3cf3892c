// flush-warning-quoted: the commit message quotes check_flush_dependency()'s
// warning. The warning is a claim about the code; the workqueue analysis
// checks what the patch does about it: which queue gains or loses
// WQ_MEM_RECLAIM (the flushed one, the flusher's, another), whether the
// newly flagged queue's work flushes yet another queue without the flag (the
// warning moves), whether the flushing function still flushes the quoted
// queue after the patch (the warning stays), and whether the quoted trace
// went through a cancel the kernel under review no longer checks.
import { queueLabel, quotedFlushWarnings, shortLabel, systemQueuesNamed, workqueueAnalysis, type QueueFact, type QuotedFlushWarning, type WorkqueueAnalysis } from "../../context/workqueues.js";
import type { Rule } from "../../types.js";
import { CANCEL_NOT_CHECKED } from "../../vocab/kernel-api.js";
import { chainText } from "../util/phrases.js";
import { cancelInTrace, changeLabel, changeNames, flusherText, namesQueue } from "../util/wq-sites.js";
import { HISTORY } from "../../vocab/history.js";

/** The flushed queue as the post image knows it: a system queue, or a queue whose name format matches. */
function flushedQueue(a: WorkqueueAnalysis, w: QuotedFlushWarning): QueueFact | null {
  const sys = systemQueuesNamed(w.flushedQueue)[0];
  const path = a.patch.files[0]?.path ?? "";
  if (sys) return a.queueFact(path, sys, "post");
  for (const s of a.patchAllocSites("post")) {
    if (s.name === null || !s.expr) continue;
    const q = a.queueFact(s.view.path, s.expr, "post");
    const named = { ...q, name: s.name, label: queueLabel(s.name, s.expr) };
    if (namesQueue(w.flushedQueue, named)) return { ...named, flags: a.flagsOf(s) };
  }
  return null;
}

/**
 * Whether the quoted flushing function is visible after the patch, and where
 * it (or a callee) still flushes the quoted queue.
 */
function stillFlushes(a: WorkqueueAnalysis, w: QuotedFlushWarning, flushed: QueueFact): { visible: boolean; hit: { chain: string[]; file: string; line: number } | null } {
  if (!w.flusherFn) return { visible: false, hit: null };
  let visible = false;
  for (const p of [...new Set(a.patch.files.map((f) => f.path))]) {
    if (!a.viewOf(p, w.flusherFn, "post")) continue;
    visible = true;
    const b = a.behaviour(p, w.flusherFn, "post");
    for (const f of b.flushes) if (f.site.target.queues.some((q) => q.key === flushed.key || namesQueue(w.flushedQueue, q))) return { visible, hit: { chain: f.chain, file: f.site.view.path, line: f.site.ev.line } };
  }
  return { visible, hit: null };
}

export const rule: Rule = {
  meta: {
    id: "flush-warning-quoted",
    class: "workqueue-reclaim",
    severity: "info",
    description: "The commit message quotes check_flush_dependency(): what the patch does about the flush it names, checked in the code",
    docs: {
      why:
        "check_flush_dependency() (fca839c00a12) warns when work that reclaim may depend on (a " +
        "WQ_MEM_RECLAIM worker or a PF_MEMALLOC task) waits for work on a queue without a rescuer: under " +
        "memory pressure that queue may never get a worker. Adding WQ_MEM_RECLAIM to the flushed queue " +
        "silences the warning but only buys a rescuer thread, and binds that queue's work to the same " +
        "promise (a maintainer's answer to such a patch is cited). Adding it anywhere else leaves the " +
        "warning in place. Since de35994ecd2d the cancel paths no longer warn.",
      fix:
        "Decide which side is wrong: does the flushed work really have to run for reclaim to make progress " +
        "(then WQ_MEM_RECLAIM on its queue is right, and say why), or should the flushing work not be on a " +
        "WQ_MEM_RECLAIM queue / not flush at all (restructure, use a cancel, or move the IO to a worker " +
        "with PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE)?",
      quiet:
        "Messages that do not quote the warning. When the patch adds the flag to the flushed queue or drops " +
        "it from the flushing one, wq-mem-reclaim-added and wq-mem-reclaim-removed judge that on the flag " +
        "line and this note only ties the quoted claim to it. It warns when the patch gives another queue the " +
        "flag while the code shows the quoted queue still without it (and the flushing function untouched or " +
        "still flushing it); otherwise it notes the warning (and a cancel path the kernel no longer checks).",
    },
    messages: {
      stillFlushes:
        "the quoted warning has {{flusher}} flushing {{flushed}}; this patch adds WQ_MEM_RECLAIM to {{changed}}, but {{flushedLabel}} still has none and {{flusherFn}}() still flushes it ({{chain}}, line {{line}}): the warning stays",
      addedElsewhere:
        "the quoted warning has {{flusher}} flushing {{flushed}}; this patch adds WQ_MEM_RECLAIM to {{changed}}, not to {{flushedLabel}}, which still has none: the warning stays unless {{flusherFn}} stops flushing it{{detail}}",
      onLine: "the quoted warning has {{flusher}} flushing {{flushed}}; this patch {{what}} ({{where}}, judged on that line){{detail}}",
      recognised: "the quoted warning has {{flusher}} flushing {{flushed}} (check_flush_dependency){{detail}}",
    },
    knowledge: ["wq-flush-dependency-2015", HISTORY.flagAddedForFlushWarning, "workqueue-doc", "wq-cancel-no-warn-2024", "wq-legacy-skip-2016", HISTORY.notifierQueueFlushWarning],
    scope: "patch",
    needles: ["!WQ_MEM_RECLAIM"],
  },
  check(ctx) {
    const warnings = quotedFlushWarnings(ctx.patch.message);
    const w = warnings[0];
    if (!w) return [];
    const a = workqueueAnalysis(ctx);
    const flusher = flusherText(w);
    const flushed = `${w.flushedQueue}:${w.flushedFn ?? "?"}`;
    const ids = ["check_flush_dependency", "WQ_MEM_RECLAIM", ...(w.flushedFn ? [w.flushedFn] : []), ...(w.flusherFn ? [w.flusherFn] : [])];
    const cancel = cancelInTrace(ctx.patch.message);
    const exempt = a.cancelExempt();
    const details: string[] = [];
    if (cancel && exempt) details.push(`; the quoted trace flushes from ${cancel}(), a cancel, which check_flush_dependency() no longer checks since ${CANCEL_NOT_CHECKED.commit} (${CANCEL_NOT_CHECKED.since})`);
    const base = { file: null, line: null, identifiers: ids };
    const changes = a.flagChanges();
    const added = changes.filter((c) => c.change === "added");
    const removed = changes.filter((c) => c.change === "removed");
    // the flag added to the flushed queue, or dropped from the flusher's: the flag line's rule judges it (from the same
    // analysis); here only a note that ties the quoted claim to that line
    const toFlushed = added.find((c) => changeNames(c, w.flushedQueue));
    const fromFlusher = w.flusherQueue ? removed.find((c) => changeNames(c, w.flusherQueue!)) : undefined;
    const onLine = toFlushed ?? fromFlusher;
    if (onLine) {
      const what = toFlushed ? `adds WQ_MEM_RECLAIM to the flushed queue ${changeLabel(toFlushed)}` : `drops WQ_MEM_RECLAIM from the flushing queue ${changeLabel(fromFlusher!)}`;
      const where = onLine.line !== null ? `${onLine.path}:${onLine.line}` : onLine.path;
      return [{ ...base, messageId: "onLine", data: { flusher, flushed, what, where, detail: details.join("") }, cite: toFlushed ? [HISTORY.flagAddedForFlushWarning, "wq-flush-dependency-2015"] : cancel ? ["wq-cancel-no-warn-2024", HISTORY.rescuerDroppedForFlush] : ["wq-flush-dependency-2015", "workqueue-doc"] }];
    }
    if (added.length > 0) {
      const q = flushedQueue(a, w);
      const changed = added.map(changeLabel).join(", ");
      // a quoted cancel no longer warns on this kernel: nothing stays to be fixed
      if (q && q.flags.memReclaim === false && !(cancel && exempt)) {
        const seen = stillFlushes(a, w, q);
        const still = seen.hit;
        if (still) {
          return [{ ...base, messageId: "stillFlushes", severity: "warning", data: { flusher, flushed, changed, flushedLabel: q.label, flusherFn: w.flusherFn!, chain: chainText(still.chain), line: still.line }, fix: `Fix the flush the warning names: stop ${w.flusherFn}() from waiting for ${q.label} (cancel, or queue that work on a WQ_MEM_RECLAIM queue), or give ${q.label} the flag if its work must run for reclaim.`, chain: [flusher, ...still.chain.map((f, i) => (i < still.chain.length - 1 ? `${f}()` : f)), `${shortLabel(q)} (no WQ_MEM_RECLAIM)`], cite: ["wq-flush-dependency-2015", "workqueue-doc"] }];
        }
        // the flushing function untouched by the patch (its body not among the patch's functions): the flush it quotes is still there
        if (!seen.visible) return [{ ...base, messageId: "addedElsewhere", severity: w.flusherFn ? "warning" : "info", data: { flusher, flushed, changed, flushedLabel: q.label, flusherFn: w.flusherFn ? `${w.flusherFn}()` : "the flushing task", detail: details.join("") }, cite: ["wq-flush-dependency-2015", "workqueue-doc"], unknowns: [w.flusherFn ? `whether ${w.flusherFn}() still flushes ${q.label} (its body is not ${a.tree ? "in the directory" : "in the lines shown"})` : "what the flushing task does after the patch"] }];
      }
    }
    return [{ ...base, messageId: "recognised", data: { flusher, flushed, detail: details.join("") }, cite: cancel ? ["wq-cancel-no-warn-2024", "wq-flush-dependency-2015"] : ["wq-flush-dependency-2015", HISTORY.flagAddedForFlushWarning] }];
  },
};

// wq-mem-reclaim-removed: WQ_MEM_RECLAIM dropped from a queue that IO,
// writeback or reclaim may wait on, or such work moved to a system queue.
import type { Report, Rule } from "../../types.js";
import { addedLines, deletedLines, isSourceFile } from "../util/diff.js";
import {
  firstAddedLine,
  flagSitePairs,
  ioWordIn,
  lastMember,
  queueCallsOn,
  storageRole,
  type FlagSite,
} from "../util/wq-sites.js";
import { quotesFlushWarning } from "./wq-mem-reclaim-added.js";

/** Functions whose name says they complete block/page IO or write back. */
export const IO_COMPLETION_FN = /(?:^|_)(?:end_?io|endio|bi_end_io|writeback|writepages?|wb_workfn)(?:_|$)/;
/** Completion-ish names that only mean IO under block/fs/storage paths (USB and network drivers complete URBs and skbs too). */
const COMPLETION_FN = /(?:^|_)(?:complete|completion|done)(?:_|$)/;

/** fn completes IO or writes back, by its name and where it lives. */
export function isIoCompletionFn(fn: string | null, path: string): boolean {
  if (!fn) return false;
  return IO_COMPLETION_FN.test(fn) || (COMPLETION_FN.test(fn) && storageRole(path) !== null);
}

function queueLabel(site: FlagSite): string {
  if (site.name) return `"${site.name}"`;
  if (site.kind === "define") return site.key!.slice(2);
  return site.lhs ?? site.api ?? "the queue";
}

/** Why this queue looks like IO/writeback/reclaim infrastructure, or null. */
function ioReason(path: string, ...names: (string | null)[]): string | null {
  for (const n of names) {
    const w = ioWordIn(n);
    if (w) return `its name says "${w}"`;
  }
  const role = storageRole(path);
  return role ? `it belongs to ${role}` : null;
}

/** The changelog argues the queue is off the reclaim path. */
export function justifiesRemoval(text: string): boolean {
  return /(?:not|n't|never) (?:be )?(?:used |needed |called |run |involved |part of |participate |participating )?(?:on|in|from|for|with) (?:the |a |any )?(?:memory[- ])?reclaim|(?:does ?n[o']t|not|never) need(?:s)? (?:to )?(?:make |guarantee )?forward progress|WQ_MEM_RECLAIM (?:has not been|is not|isn't|was not|wasn't) (?:set|needed|required|necessary)|no (?:need|reason) for (?:the )?WQ_MEM_RECLAIM|not (?:involved|part of|on) (?:in )?(?:the )?(?:memory[- ])?reclaim/i.test(
    text,
  );
}

export const rule: Rule = {
  meta: {
    id: "wq-mem-reclaim-removed",
    class: "workqueue-reclaim",
    severity: "warning",
    description: "WQ_MEM_RECLAIM dropped from an IO/writeback/reclaim queue, or such work moved to a system workqueue",
    docs: {
      why:
        "A queue whose work memory reclaim or IO completion waits on needs a rescuer thread: under " +
        "memory pressure a new kworker may not be creatable, and reclaim that waits on IO which waits " +
        "on that kworker deadlocks. System workqueues (system_wq via schedule_work(), " +
        "system_unbound_wq) have no rescuer. Dropping WQ_MEM_RECLAIM to silence check_flush_dependency " +
        "trades a warning for that deadlock when the queue is on the IO path (SCSI error handling, " +
        "block/fs completion, writeback).",
      fix:
        "Keep WQ_MEM_RECLAIM on queues reclaim or IO forward progress depends on, and remove the " +
        "flush of a !WQ_MEM_RECLAIM queue from their work instead (cancel, or restructure the wait). " +
        "If the queue truly is off the reclaim path, say so in the commit message. Keep IO-completion " +
        "work on a dedicated WQ_MEM_RECLAIM queue rather than system_wq (bcache journal, 2019).",
      quiet:
        "Queues whose name and location say nothing about IO, writeback or reclaim (info only when the " +
        "changelog is about the flush warning), " +
        "flag tests, a queue converted between create_*workqueue() and alloc_*workqueue() keeping the flag.",
    },
    messages: {
      removed:
        "WQ_MEM_RECLAIM dropped from {{queue}} ({{reason}}): without a rescuer its work can stall when no kworker can be created under memory pressure; is no reclaim or IO path waiting on it?",
      removedToSilence:
        "WQ_MEM_RECLAIM dropped from {{queue}} ({{reason}}) to silence check_flush_dependency: the warning is gone, but if reclaim or IO recovery waits on this queue it now has no rescuer; consider keeping the flag and moving the flush of the !WQ_MEM_RECLAIM queue out of its work",
      removedOther:
        "WQ_MEM_RECLAIM dropped from {{queue}} for the check_flush_dependency warning: fine if no memory-reclaim or IO path waits on its work; otherwise keep the flag and move the flush out of its work",
      movedToSystem:
        "{{work}} moved from {{queue}} to {{api}}() ({{reason}}): system workqueues have no rescuer thread, so IO-completion or writeback work queued there can stall under memory pressure",
      systemFromIo:
        "{{api}}() queues {{work}} on a system workqueue from {{fn}}, an IO-completion/writeback path: system workqueues have no rescuer thread; use a dedicated WQ_MEM_RECLAIM queue",
    },
    knowledge: ["workqueue-doc", "bcache-journal-wq-2019", "md-workqueue-2010", "wq-flush-dependency-2015"],
    scope: "line",
    needles: ["WQ_MEM_RECLAIM", "workqueue", "schedule_", "system_"],
  },
  check({ patch }) {
    const reports: Report[] = [];
    const silence = quotesFlushWarning(patch.subject, patch.message);
    const justified = justifiesRemoval(`${patch.subject}\n${patch.message}`);

    // 1. the flag dropped from a queue, macro or flag variable
    for (const { now, before } of flagSitePairs(patch)) {
      if (!now || !before || before.use !== "set" || now.use === "set") continue;
      if (!now.stmt.touched) continue;
      const line = firstAddedLine(now.stmt);
      if (line === null) continue;
      const path = now.stmt.file.path;
      const reason = ioReason(path, before.name, before.lhs, now.lhs);
      // the flag is often cargo-culted: off the IO paths, dropping it is news only when tied to the flush warning
      if (!reason && !silence) continue;
      const messageId = !reason ? "removedOther" : silence ? "removedToSilence" : "removed";
      reports.push({
        messageId,
        data: { queue: queueLabel(before), reason: reason ?? "" },
        file: path,
        line,
        // argued off the reclaim path and not just a flush-warning silencer: worth knowing, not a stop
        severity: reason && (silence || !justified) ? "warning" : "info",
        cite: silence ? ["wq-flush-dependency-2015", "workqueue-doc"] : undefined,
        identifiers: ["WQ_MEM_RECLAIM", ...(before.api ? [before.api] : [])],
      });
    }

    // 2. work moved from a dedicated queue to a system queue in the same hunk
    const reported = new Set<string>();
    const dedicated = new Map<string, { queue: string; fn: string | null }>();
    const wasSystem = new Set<string>();
    const queuing = new Set(
      patch.files.filter((f) => f.hunks.some((h) => h.lines.some((l) => l.kind !== "ctx" && l.text.includes("_work") && /(?:queue|schedule)_\w*work/.test(l.text)))).map((f) => f.path),
    );
    const queues = (path: string) => queuing.has(path) && isSourceFile(path);
    for (const v of deletedLines(patch, queues)) {
      if (!v.code.includes("work")) continue;
      for (const c of queueCallsOn(v.code)) {
        if (!c.system && c.queue) dedicated.set(`${v.file.path}\0${c.work}`, { queue: c.queue, fn: v.fn });
        else wasSystem.add(`${v.file.path}\0${c.api}\0${c.work}`);
      }
    }
    for (const v of addedLines(patch, queues)) {
      if (!v.code.includes("work")) continue;
      for (const c of queueCallsOn(v.code)) {
        if (!c.system || v.line.newLine === null) continue;
        if (wasSystem.has(`${v.file.path}\0${c.api}\0${c.work}`)) continue; // already on a system queue, only re-indented or re-wrapped
        const key = `${v.file.path}:${v.line.newLine}`;
        const from = dedicated.get(`${v.file.path}\0${c.work}`);
        if (from) {
          const reason = ioReason(v.file.path, lastMember(from.queue), lastMember(c.work), v.fn);
          const fnIo = isIoCompletionFn(v.fn, v.file.path);
          if (!reason && !fnIo) continue; // a driver dropping its private queue for system_wq off the IO path
          reports.push({
            messageId: "movedToSystem",
            data: { work: c.work, queue: from.queue, api: c.api, reason: reason ?? `${v.fn}() completes IO` },
            file: v.file.path,
            line: v.line.newLine,
            identifiers: [c.api, "system_wq", ...(v.fn ? [v.fn] : [])],
          });
          reported.add(key);
          continue;
        }
        if (v.fn && isIoCompletionFn(v.fn, v.file.path) && !reported.has(key)) {
          reports.push({
            messageId: "systemFromIo",
            data: { api: c.api, work: c.work, fn: `${v.fn}()` },
            file: v.file.path,
            line: v.line.newLine,
            identifiers: [c.api, "system_wq", v.fn],
          });
          reported.add(key);
        }
      }
    }
    return reports;
  },
};

// wq-mem-reclaim-added: a patch gives a workqueue WQ_MEM_RECLAIM.
import type { Patch, Report, Rule } from "../../types.js";
import { stripLine } from "../util/code.js";
import { flagLine, flagSitePairs, queueCallsOn, type FlagSite } from "../util/wq-sites.js";

/** The commit message quotes check_flush_dependency or says the change silences a flush warning. */
export function quotesFlushWarning(subject: string, message: string): boolean {
  const text = `${subject}\n${message}`;
  return (
    /is flushing !?WQ_MEM_RECLAIM/i.test(text) ||
    /\bcheck_flush_dependency\b/.test(text) ||
    /\bflush(?:ing)?\b[^\n.]{0,40}\bwarn(?:ing|s)?\b/i.test(text) ||
    /\bwarn(?:ing|s)?\b[^\n.]{0,40}\bflush(?:ing|es)? (?:a |the )?(?:!?WQ_MEM_RECLAIM|non[- ]?reclaim|workqueue|work)/i.test(text)
  );
}

/** The system queue a patch stops using ("system_wq", "schedule_work()"), when an added line replaces it. */
export function movesOffSystemQueue(patch: Patch): string | null {
  for (const file of patch.files) {
    for (const hunk of file.hunks) {
      const del = hunk.lines.filter((l) => l.kind === "del").map((l) => stripLine(l.text));
      const add = hunk.lines.filter((l) => l.kind === "add").map((l) => stripLine(l.text));
      for (const d of del) {
        const sys = /\b(system_\w*wq)\b/.exec(d) ?? /\b(schedule_(?:delayed_)?work)\s*\(/.exec(d);
        if (!sys) continue;
        const still = add.some((a) => a.includes(sys[1]!));
        const queued = add.some((a) => queueCallsOn(a).some((c) => !c.system) || /\b(?:continue_at|closure_call|queue_\w*work\w*)\s*\(/.test(a));
        if (!still && queued) return sys[1]!.startsWith("schedule_") ? `${sys[1]}()` : sys[1]!;
      }
    }
  }
  return null;
}

function queueLabel(site: FlagSite): string {
  if (site.name) return `"${site.name}"`;
  if (site.kind === "define") return site.key!.slice(2);
  return site.lhs ?? site.api ?? "this queue";
}

export const rule: Rule = {
  meta: {
    id: "wq-mem-reclaim-added",
    class: "workqueue-reclaim",
    severity: "info",
    description: "WQ_MEM_RECLAIM added to a workqueue (allocation call, flag macro or flag variable)",
    docs: {
      why:
        "WQ_MEM_RECLAIM reserves a rescuer thread so the queue can still run work when no new " +
        "worker can be created under memory pressure. That is right for a queue whose work memory " +
        "reclaim or IO completion waits on. It does not change the allocation context of the work: " +
        "a work item that must not recurse into the filesystem or block layer still needs " +
        "memalloc_nofs_save()/memalloc_noio_save() (Dave Chinner on the XFS m_sync_workqueue patch, " +
        "2024). Added only to silence check_flush_dependency's \"is flushing !WQ_MEM_RECLAIM\" " +
        "warning, the flag treats the symptom: the flusher now has a rescuer but still waits on work " +
        "that has none, or the flushed queue gains a rescuer it does not need.",
      fix:
        "Say in the commit message which reclaim or IO path waits on this queue's work. If the flag " +
        "only silences a flush warning, remove the flush from the WQ_MEM_RECLAIM context (queue the " +
        "work and do not wait, or cancel instead of flush) or move the waiting work to a queue of its " +
        "own; set the allocation context of the work with a memalloc_*_save() scope.",
      quiet:
        "WQ_UNBOUND or other flags added beside an existing WQ_MEM_RECLAIM, a call reformatted or " +
        "moved that already had the flag, tests of wq->flags & WQ_MEM_RECLAIM, comments.",
    },
    messages: {
      added:
        "WQ_MEM_RECLAIM added to {{queue}}: fine if memory reclaim or IO completion waits on its work, but the flag only buys a rescuer thread; it does not change the allocation context of the work",
      addedToSilence:
        "WQ_MEM_RECLAIM added to {{queue}} to silence the check_flush_dependency warning: the flag gives the queue a rescuer thread, it does not make the flush safe; does reclaim really wait on this work, or should the flush move out of the WQ_MEM_RECLAIM context?",
      dedicatedQueue:
        "new WQ_MEM_RECLAIM queue {{queue}} takes over work that ran on {{system}}: right when memory reclaim or IO completion waits on that work (system workqueues have no rescuer); the flag does not change the allocation context of the work",
      newQueue:
        "new workqueue {{queue}} with WQ_MEM_RECLAIM for the flush warning: right if memory reclaim waits on the flushed work; the flag only buys a rescuer thread, it does not change the allocation context of the work",
    },
    knowledge: ["xfs-sync-wq-2024", "workqueue-doc", "wq-flush-dependency-2015", "wq-cancel-no-warn-2024", "loop-noio-2019"],
    scope: "line",
    needles: ["WQ_MEM_RECLAIM", "workqueue"],
  },
  check({ patch }) {
    const silence = quotesFlushWarning(patch.subject, patch.message);
    let offSystemMemo: string | null | undefined;
    const offSystemOf = () => (offSystemMemo === undefined ? (offSystemMemo = movesOffSystemQueue(patch)) : offSystemMemo);
    const reports: Report[] = [];
    for (const { now, before } of flagSitePairs(patch)) {
      if (!now || now.use !== "set" || !now.stmt.touched) continue;
      if (before && before.use === "set") continue; // the flag was there before
      // a brand-new queue created with the flag is ordinary; only say something when the
      // changelog ties it to the flush warning (then it is the topic, not a flag flip)
      const orsIn = now.kind === "assign" && /\|=\s*[^;]*\bWQ_MEM_RECLAIM\b/.test(now.stmt.code);
      const offSystem = !before && now.kind === "alloc" ? offSystemOf() : null;
      const dedicated = offSystem !== null;
      if (!before && !orsIn && !dedicated && (!silence || now.kind !== "alloc")) continue;
      const line = flagLine(now.stmt);
      if (line === null) continue;
      const messageId = dedicated && !silence ? "dedicatedQueue" : !before && !orsIn ? "newQueue" : silence ? "addedToSilence" : "added";
      reports.push({
        messageId,
        data: { queue: queueLabel(now), system: offSystem ?? "" },
        file: now.stmt.file.path,
        line,
        severity: silence && (before || orsIn) ? "warning" : "info",
        cite: silence ? ["xfs-sync-wq-2024", "wq-flush-dependency-2015", "wq-cancel-no-warn-2024"] : undefined,
        identifiers: ["WQ_MEM_RECLAIM", ...(now.api ? [now.api] : []), ...(silence ? ["check_flush_dependency"] : [])],
      });
    }
    return reports;
  },
};

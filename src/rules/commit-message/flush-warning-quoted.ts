// flush-warning-quoted: the commit message quotes check_flush_dependency()'s
// warning; name both queues and say whether adding WQ_MEM_RECLAIM treats the symptom.
import type { Report, Rule } from "../../types.js";
import { stripLine } from "../util/code.js";
import { parseTraces } from "../util/trace-frames.js";
import { rule as addedRule } from "../workqueue-reclaim/wq-mem-reclaim-added.js";

const WQ_WARN = /WQ_MEM_RECLAIM\s+(\S+?):(\S+?)(?:\s+\[[\w-]+\])?\s+is\s+flushing\s+!WQ_MEM_RECLAIM\s+(\S+?):(\S+?)(?:\s+\[[\w-]+\])?(?=\s|$)/;
const PF_WARN = /PF_MEMALLOC\s+task\s+(\d+)\(([^)]*)\)\s+is\s+flushing\s+!WQ_MEM_RECLAIM\s+(\S+?):(\S+?)(?:\s+\[[\w-]+\])?(?=\s|$)/;

/** "xfs-sync/vdc" -> "xfs-sync"; "storvsc_error_wq_0" -> "storvsc_error_wq"; "events_freezable_power_" kept. */
function queueBase(name: string): string {
  return name.replace(/\/.*$/, "").replace(/_\d+$/, "").replace(/\d+$/, "");
}

export const rule: Rule = {
  meta: {
    id: "flush-warning-quoted",
    class: "workqueue-reclaim",
    severity: "info",
    description: "The commit message quotes check_flush_dependency(): a WQ_MEM_RECLAIM worker or PF_MEMALLOC task flushing a !WQ_MEM_RECLAIM queue",
    docs: {
      why:
        "check_flush_dependency() (fca839c00a12) warns when work that reclaim may depend on " +
        "(a WQ_MEM_RECLAIM worker or a PF_MEMALLOC task) waits for work on a queue without a rescuer: " +
        "under memory pressure that queue may never get a worker. Adding WQ_MEM_RECLAIM to the flushed " +
        "queue silences the warning but only buys a rescuer thread; it does not change what the work " +
        "does under reclaim (Dave Chinner on the xfs m_sync_workqueue patch, 2024). Since " +
        "de35994ecd2d the cancel paths no longer warn.",
      fix:
        "Decide which side is wrong: does the flushed work really have to run for reclaim to make " +
        "progress (then WQ_MEM_RECLAIM on its queue is right, and say why), or should the flushing " +
        "work not be on a WQ_MEM_RECLAIM queue / not flush at all (restructure, use a cancel, or move " +
        "the IO to a worker with PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE)?",
      quiet:
        "Messages that do not quote the warning. When the flag is added to an existing flushed queue, " +
        "wq-mem-reclaim-added warns on that line and this patch-level note is info (one warning per hazard).",
    },
    messages: {
      symptom:
        "the quoted warning has {{flusher}} flushing {{flushed}}, and this patch adds WQ_MEM_RECLAIM to {{flushedQueue}}: that silences the check but treats the symptom; explain why {{flushedFn}} must make progress under reclaim, or stop flushing it from {{flusherName}}",
      symptomOnLine:
        "the quoted warning has {{flusher}} flushing {{flushed}}; the patch adds WQ_MEM_RECLAIM to {{flushedQueue}} (see the warning on that line): the question is whether {{flushedFn}} must make progress under reclaim",
      recognised:
        "the quoted warning has {{flusher}} flushing {{flushed}} (check_flush_dependency){{detail}}",
    },
    knowledge: ["wq-flush-dependency-2015", "xfs-sync-wq-2024", "workqueue-doc", "wq-cancel-no-warn-2024", "wq-legacy-skip-2016"],
    scope: "patch",
    needles: ["!WQ_MEM_RECLAIM"],
  },
  check({ patch }) {
    const text = patch.message
      .split(/\r?\n/)
      .map((l) => l.replace(/^(?:\s*>)+/, "").replace(/^\s*\[\s*[\d.]+\]\s*/, ""))
      .join("\n")
      .replace(/\s+/g, " ");
    let flusher: string;
    let flushedQueue: string;
    let flushedFn: string;
    const m = WQ_WARN.exec(text);
    const p = m ? null : PF_WARN.exec(text);
    if (m) {
      flusher = `${m[1]}:${m[2]} (WQ_MEM_RECLAIM)`;
      flushedQueue = m[3]!;
      flushedFn = m[4]!;
    } else if (p) {
      flusher = `PF_MEMALLOC task ${p[2]}`;
      flushedQueue = p[3]!;
      flushedFn = p[4]!;
    } else return [];
    const flushed = `${flushedQueue}:${flushedFn}`;
    // a work function printed as an address ("notifier_wq:0x0") has no name to show
    if (/^0x[0-9a-fA-F]+$/.test(flushedFn)) flushedFn = `the work on ${flushedQueue}`;
    const flusherName = flusher.replace(/ \(WQ_MEM_RECLAIM\)$/, "");
    const base = queueBase(flushedQueue);
    // WQ_MEM_RECLAIM added to the flushed queue?
    let addsToFlushed = false;
    let addsAny = false;
    let dropsFromFlusher = false;
    const flusherBase = m ? queueBase(m[1]!) : null;
    for (const f of patch.files)
      for (const h of f.hunks)
        for (let i = 0; i < h.lines.length; i++) {
          const l = h.lines[i]!;
          const code = stripLine(l.text);
          const window = h.lines.slice(Math.max(0, i - 2), i + 1).map((x) => x.text).join(" ");
          if (l.kind === "add" && /\bWQ_MEM_RECLAIM\b/.test(code) && /\b(?:alloc_workqueue|alloc_ordered_workqueue|create_\w*workqueue|WQ_\w+\s*\|)/.test(window)) {
            addsAny = true;
            if (base.length >= 3 && window.includes(base)) addsToFlushed = true;
          }
          if (l.kind === "del" && /\bWQ_MEM_RECLAIM\b/.test(code) && flusherBase && window.includes(flusherBase)) dropsFromFlusher = true;
        }
    const cancel = parseTraces(patch.message).some((t) => t.some((f) => /^(?:__)?cancel_\w*(?:work|timer)\w*/.test(f.name)));
    const ids = ["check_flush_dependency", "WQ_MEM_RECLAIM", flushedFn];
    if (addsToFlushed || (addsAny && !dropsFromFlusher && patch.files.length === 1)) {
      // wq-mem-reclaim-added already warns on the flag line: one warning per hazard, this one only names the queues
      const onLine = addedRule.check({ patch, options: {} }).some((r) => r.messageId === "addedToSilence" && r.severity === "warning");
      const report: Report = onLine
        ? { messageId: "symptomOnLine", severity: "info", data: { flusher, flushed, flushedQueue, flushedFn }, file: null, line: null, cite: ["wq-flush-dependency-2015", "xfs-sync-wq-2024"], identifiers: ids }
        : { messageId: "symptom", severity: "warning", data: { flusher, flusherName, flushed, flushedQueue, flushedFn }, file: null, line: null, cite: ["xfs-sync-wq-2024", "wq-flush-dependency-2015"], identifiers: ids };
      return [report];
    }
    const details: string[] = [];
    if (dropsFromFlusher) details.push("; the patch drops WQ_MEM_RECLAIM from the flushing queue instead: right only if its work is never needed for reclaim to make progress");
    if (cancel) details.push("; the trace flushes from a cancel path, which no longer warns since de35994ecd2d");
    const report: Report = {
      messageId: "recognised",
      severity: "info",
      data: { flusher, flushed, detail: details.join("") },
      file: null,
      line: null,
      cite: cancel ? ["wq-cancel-no-warn-2024", "wq-flush-dependency-2015"] : ["wq-flush-dependency-2015", "xfs-sync-wq-2024"],
      identifiers: ids,
    };
    return [report];
  },
};

// memalloc-flags-direct: PF_MEMALLOC_NOIO/NOFS/PF_LOCAL_THROTTLE set by hand on
// current->flags, and such a setting removed from a worker.
import type { DiffLine, Hunk, Patch, Report, Rule } from "../../types.js";
import { THREAD_SPAWNERS, SCOPE_API_FILES } from "../../vocab/kernel-api.js";
import { stripLine } from "../util/code.js";
import { deletedSourceLines, fnLabel, functionRegions, type FnRegion } from "../util/scope-regions.js";
import { HISTORY } from "../../vocab/history.js";

const FLAGS = /\b(PF_MEMALLOC_NOIO|PF_MEMALLOC_NOFS|PF_MEMALLOC|PF_LOCAL_THROTTLE|PF_LESS_THROTTLE)\b/g;
const SETS = /\bcurrent->flags\s*\|=/;
const CLEARS = /\bcurrent->flags\s*&=\s*~/;
/** The implementation of the flags API itself. */
const API_FILES = SCOPE_API_FILES.re;

function flagsOn(code: string): string[] {
  // PF_LESS_THROTTLE was renamed PF_LOCAL_THROTTLE (a37b0715ddf3): treat them as one flag
  return [...new Set([...code.matchAll(FLAGS)].map((m) => (m[1] === "PF_LESS_THROTTLE" ? "PF_LOCAL_THROTTLE" : m[1]!)))];
}

/** Flags set with current->flags |= on lines of one kind in a hunk. */
function flagsSetIn(hunk: Hunk, kind: "add" | "del"): Set<string> {
  const out = new Set<string>();
  for (const l of hunk.lines) {
    if (l.kind !== kind) continue;
    const code = stripLine(l.text);
    if (SETS.test(code)) for (const f of flagsOn(code)) out.add(f);
  }
  return out;
}

/** Flags that added lines set in the regions of a function (by name) of one file, in any hunk. */
function flagsAddedIn(patch: Patch, path: string, fn: string | null): Set<string> {
  const out = new Set<string>();
  if (!fn) return out;
  for (const r of functionRegions(patch)) {
    if (r.file.path !== path || r.name !== fn) continue;
    for (const lv of r.lines) {
      if (lv.line.kind !== "add") continue;
      const code = stripLine(lv.line.text);
      if (SETS.test(code)) for (const f of flagsOn(code)) out.add(f);
    }
  }
  return out;
}

/** The new-file line where a deleted line sat (the next surviving line, else the previous). */
export function positionOfDeleted(hunk: Hunk, index: number): number {
  for (let i = index + 1; i < hunk.lines.length; i++) {
    const l: DiffLine = hunk.lines[i]!;
    if (l.newLine !== null) return l.newLine;
  }
  for (let i = index - 1; i >= 0; i--) {
    const l: DiffLine = hunk.lines[i]!;
    if (l.newLine !== null) return l.newLine;
  }
  return Math.max(1, hunk.newStart);
}

/** Functions a kthread_run()/kthread_create()-like call on a line of the patch starts as a thread's body. */
function threadBodies(patch: Patch): Set<string> {
  const out = new Set<string>();
  const spawn = new RegExp(`\\b(${Object.keys(THREAD_SPAWNERS).join("|")})\\s*\\(\\s*&?\\s*([A-Za-z_]\\w*)`, "g");
  for (const f of patch.files) for (const h of f.hunks) for (const l of h.lines) if (l.kind !== "del") for (const m of stripLine(l.text).matchAll(spawn)) out.add(m[2]!);
  return out;
}

function regionText(r: FnRegion): string {
  return r.lines.map((l) => l.code).join("\n");
}

export const rule: Rule = {
  meta: {
    id: "memalloc-flags-direct",
    class: "gfp-context",
    severity: "warning",
    description: "PF_MEMALLOC_NOIO/PF_MEMALLOC_NOFS/PF_LOCAL_THROTTLE (or PF_MEMALLOC) set or removed by hand on current->flags",
    docs: {
      why:
        "current->flags belongs to the whole task. Setting PF_MEMALLOC_NOIO/NOFS or " +
        "PF_LOCAL_THROTTLE by hand without saving the old value and restoring it on every path leaks " +
        "the restriction into whatever the thread runs next, or (when cleared with &= ~) drops a flag " +
        "a caller had set on purpose. The memalloc_noio_save()/memalloc_nofs_save() helpers nest " +
        "correctly. Removing PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE from a back-end worker (a " +
        "stacked device's or file-backed IO worker) undoes the fix that stopped its allocations from recursing into the device it serves.",
      fix:
        "Use memalloc_noio_save()/memalloc_noio_restore() (or the nofs pair) around the region. " +
        "Where PF_LOCAL_THROTTLE is needed too, save the old flags first " +
        "(`unsigned int old = current->flags;`), set both, and restore with " +
        "current_restore_flags(old, PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO) on every exit, as " +
        "the IO worker of a file-backed block driver does. A worker that serves IO must keep both flags.",
      quiet:
        "The gfp/scope API itself (include/linux/sched/mm.h, kernel/sys.c, mm/), flags saved and " +
        "restored in the function as shown, kthread entry points that set the flags for the thread's " +
        "whole life, and removals replaced in the same hunk by an equivalent helper.",
    },
    messages: {
      notRestored:
        "{{flags}} set by hand on current->flags in {{fn}} {{detail}}; prefer memalloc_{{helper}}_save()/restore(), or save the old flags and restore them on every exit",
      restoredByHand:
        "{{flags}} set by hand in {{fn}} with the old flags saved and restored (the pattern of file-backed block drivers' IO workers); memalloc_{{helper}}_save()/restore() does the same where PF_LOCAL_THROTTLE is not needed",
      threadWide:
        "{{flags}} set for the whole life of the {{fn}} thread: fine for a dedicated IO thread; make sure nothing else runs on it",
      removedFromWorker:
        "{{flags}} no longer set in {{fn}}: this undoes the back-end worker protection (allocations there may recurse into the device it serves); keep PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE or a memalloc_noio_save() scope",
      noreclaimByHand:
        "{{flags}} set by hand in {{fn}} {{detail}}: allocations below it neither enter reclaim nor keep to the watermarks (they may take the emergency reserves), which is for code that frees memory or that reclaim waits on; memalloc_noreclaim_save()/restore() is the scope API for it, and what runs under it must be bounded",
      replaced:
        "{{flags}} setting in {{fn}} replaced by {{by}}: check the replacement still sets {{flags}} for the same region and restores the old state",
    },
    knowledge: [HISTORY.workerNoioFlag, "memalloc-overhaul-2020", "local-throttle-2020", "memalloc-noio-2013", "memalloc-flags-2024"],
    scope: "patch",
    needles: ["PF_MEMALLOC", "_THROTTLE"],
  },
  check({ patch }) {
    const reports: Report[] = [];
    // (1) flags set by hand on added lines
    const regions = functionRegions(patch);
    // functions the patch starts as kernel threads (the thread's flags end with it)
    const spawned = threadBodies(patch);
    for (const region of regions) {
      if (API_FILES.test(region.file.path)) continue;
      if (!region.lines.some((v) => v.line.kind === "add" && v.line.text.includes("flags"))) continue;
      // the same function may span several hunks: look at all of them
      const text =
        region.name === null
          ? regionText(region)
          : regions.filter((r) => r.file === region.file && r.name === region.name).map(regionText).join("\n");
      for (const v of region.lines) {
        if (v.line.kind !== "add" || !v.line.text.includes("flags") || !SETS.test(v.code)) continue;
        // an existing setting that is only edited (renamed flag, reformatted): report only new flags
        const before = flagsSetIn(v.hunk, "del");
        const flags = flagsOn(v.code).filter((f) => !before.has(f));
        if (flags.length === 0) continue;
        const fnName = region.name ?? v.fn;
        const fn = fnLabel(fnName);
        const saved = /[^|&!=<>]=\s*\(?\s*current->flags\b/.test(text);
        const restored = /\bcurrent_restore_flags\s*\(/.test(text) || /\bcurrent->flags\s*=[^=]/.test(text);
        const cleared = CLEARS.test(text);
        const helper = flags.includes("PF_MEMALLOC_NOFS") && !flags.includes("PF_MEMALLOC_NOIO") ? "nofs" : "noio";
        const base = { file: v.file.path, line: v.line.newLine, identifiers: [...flags, ...(fnName ? [fnName] : [])] };
        const data = { flags: flags.join(" | "), fn, helper };
        const thread = /\bkthread_should_stop\s*\(|\bkthread_worker_fn\s*\(/.test(text) || (fnName !== null && spawned.has(fnName));
        // PF_MEMALLOC alone: a no-reclaim context made by hand (the flag of memalloc_noreclaim_save())
        if (flags.length === 1 && flags[0] === "PF_MEMALLOC") {
          const detail = saved && restored ? "with the old flags saved and restored" : !cleared && !restored && thread ? "for the whole life of the thread" : cleared ? "and cleared with &= ~ instead of restoring the saved value" : "without a save/restore of the old flags in the lines shown";
          reports.push({ ...base, messageId: "noreclaimByHand", severity: "info", data: { ...data, detail } });
          continue;
        }
        if (saved && restored) {
          reports.push({ ...base, messageId: "restoredByHand", severity: "info", data });
        } else if (!cleared && !restored && thread) {
          reports.push({ ...base, messageId: "threadWide", severity: "info", data });
        } else {
          const detail = cleared
            ? "and cleared with &= ~ instead of restoring the saved value (a flag the caller set is lost)"
            : region.complete
              ? "and never restored in the function"
              : "without a save/restore of the old flags in the lines shown";
          reports.push({ ...base, messageId: "notRestored", data: { ...data, detail } });
        }
      }
    }
    // (2) flags removed from a worker
    for (const v of deletedSourceLines(patch)) {
      if (!v.line.text.includes("flags")) continue;
      if (API_FILES.test(v.file.path) || v.file.newPath === null) continue;
      if (!SETS.test(v.code)) continue;
      // set again by the patch in this hunk, or in the function of the same name elsewhere in the file (a function
      // split in two keeps its name on the part that still sets them)
      const still = new Set([...flagsSetIn(v.hunk, "add"), ...flagsAddedIn(patch, v.file.path, v.fn)]);
      const flags = flagsOn(v.code).filter((f) => f !== "PF_MEMALLOC_NOFS" && f !== "PF_MEMALLOC" && !still.has(f));
      if (flags.length === 0) continue;
      const added = v.hunk.lines.filter((l) => l.kind === "add").map((l) => stripLine(l.text));
      const definitionRemoved = v.hunk.lines.some((l) => l.kind === "del" && /^[A-Za-z_].*\(/.test(l.text) && !/;\s*$/.test(l.text)) && !added.some((a) => /^[A-Za-z_].*\(/.test(a));
      if (definitionRemoved) continue; // the whole function goes
      const fn = fnLabel(v.fn);
      const replacement = added.find((a) => /\bPF_MEMALLOC_NOIO\b|\bmemalloc_noio_save\s*\(|\bio_flusher\b|\bmemalloc_flags_save\s*\(/.test(a) || /\w*io_flusher\w*\s*\(/.test(a));
      const line = positionOfDeleted(v.hunk, v.index);
      if (replacement !== undefined) {
        const by = /([A-Za-z_]\w*)\s*\(/.exec(replacement)?.[1] ?? replacement.trim();
        reports.push({ messageId: "replaced", severity: "info", data: { flags: flags.join(" | "), fn, by }, file: v.file.path, line, identifiers: [...flags, ...(v.fn ? [v.fn] : [])] });
      } else {
        reports.push({ messageId: "removedFromWorker", data: { flags: flags.join(" | "), fn }, file: v.file.path, line, identifiers: [...flags, ...(v.fn ? [v.fn] : [])], cite: [HISTORY.workerNoioFlag] });
      }
    }
    return reports;
  },
};

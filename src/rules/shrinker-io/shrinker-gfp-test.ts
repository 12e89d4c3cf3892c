// shrinker-gfp-test: a shrinker that tests the caller's gfp mask
// (__GFP_FS / __GFP_IO / GFP_NOFS / gfpflags_allow_blocking) to decide what
// it may do: added, or changed from one bit to another.
import type { Report, Rule } from "../../types.js";
import { deletedLines } from "../util/diff.js";
import { rule as blockingRule } from "./shrinker-blocking.js";
import { deletedTexts, isMovedLine, shrinkerFunctions, type FnLine, type ShrinkerFn } from "../util/shrinker-scope.js";

/** The bit a line tests on a gfp mask, or null. */
export function gfpTestOn(code: string, maskVars: Set<string>): string | null {
  const mask = `(?:[\\w\\]\\[.]+(?:->|\\.)gfp_mask|\\b(?:${[...maskVars].map((v) => v.replace(/[^\w]/g, "")).join("|") || "gfp_mask"})\\b|\\bgfp(?:_mask|_flags|flags)?\\b)`;
  const m = new RegExp(`${mask}\\s*\\)?\\s*&\\s*\\(?\\s*(__GFP_FS|__GFP_IO|GFP_NOFS|GFP_NOIO|__GFP_DIRECT_RECLAIM)\\b`).exec(code);
  if (m) return m[1]!;
  const r = new RegExp(`\\b(__GFP_FS|__GFP_IO|GFP_NOFS|GFP_NOIO)\\s*&\\s*${mask}`).exec(code);
  if (r) return r[1]!;
  if (new RegExp(`\\bgfpflags_allow_blocking\\s*\\(\\s*${mask}\\s*\\)`).test(code)) return "gfpflags_allow_blocking";
  return null;
}

/** Local copies of the shrink_control mask: "gfp_t gfp = sc->gfp_mask;". */
function maskCopies(lines: FnLine[]): Set<string> {
  const out = new Set<string>();
  for (const l of lines) {
    const m = /\b([A-Za-z_]\w*)\s*=\s*[\w\]\[.]+->gfp_mask\s*[;)]/.exec(l.code);
    if (m) out.add(m[1]!);
  }
  return out;
}

const SLEEPING = /\b(?:mutex_lock\w*|down_(?:read|write)\w*|down|lock_page|folio_lock|\w+_lock)\s*\(/;
/** A changelog blaming a particular caller or stacked device (the 2014 dm-bufio shape). */
const CALLER_WORDS = /\b(?:loop (?:device|driver|worker|thread)|loop[0-9]?(?: and|,)? (?:\w+ )?(?:deadlock|hang)|stacked (?:device|block|filesystem|fs)|nbd|iscsi|tcmu|the caller|callers? (?:that|which|allocat))/i;

export const rule: Rule = {
  meta: {
    id: "shrinker-gfp-test",
    class: "shrinker-io",
    severity: "warning",
    description: "shrinker that tests sc->gfp_mask against __GFP_FS/__GFP_IO (added, or switched to another bit)",
    docs: {
      why:
        "A shrinker bailing out when the allocation being served may not enter the filesystem " +
        "(!(sc->gfp_mask & __GFP_FS)) is ordinary. But a patch that switches which bit is tested " +
        "(dm-bufio 2014: __GFP_IO to __GFP_FS) or adds a test so the shrinker can block for some " +
        "callers usually works around a caller that allocates with the wrong context: the loop " +
        "driver allocating with GFP_KERNEL in its IO path, fixed properly in 2019 by running the loop " +
        "worker under PF_MEMALLOC_NOIO. Dave Chinner (2020): a shrinker that has to second-guess the " +
        "reclaim context of the layers above it is a red flag for a bug in the allocating caller.",
      fix:
        "Find the allocation that reaches this shrinker with the wrong context and fix it there " +
        "(memalloc_noio_save()/memalloc_nofs_save() in the IO or filesystem path that needs it). Keep " +
        "the shrinker from blocking at all rather than deciding from the mask when it may.",
      quiet:
        "Mask tests outside shrinkers (allocation paths, mm/vmscan.c's scan_control), tests removed, " +
        "masks passed to allocations. A test that only gates a sleeping lock shrinker-blocking already " +
        "warns about (within three lines) is info: one warning per hazard, on the lock.",
    },
    messages: {
      changedBit:
        "{{fn}}() now tests {{bit}} instead of {{old}} on the reclaim caller's gfp mask: a shrinker switching bits to stay safe usually hides a caller that allocates with the wrong context (dm-bufio 2014, fixed in loop in 2019)",
      workaround:
        "{{fn}}() decides from the caller's gfp mask ({{bit}}) whether it may block: this papers over a caller allocating with the wrong context, and the shrinker still stalls reclaim once it blocks; fix the caller's allocation context instead",
      bailOut:
        "{{fn}}() bails out on the reclaim caller's gfp mask ({{bit}}): fine as a guard, but it must not stand in for fixing a caller that allocates with the wrong context",
    },
    knowledge: ["dm-bufio-gfp-fs-2014", "memalloc-overhaul-2020", "loop-noio-2019", "dm-bufio-loop-revert-2019", "gfp-fs-io-doc"],
    scope: "line",
    needles: ["shrink", "scan_objects", "count_objects"],
  },
  check({ patch, source }) {
    const reports: Report[] = [];
    const shrinkers = shrinkerFunctions(patch).filter((s) => s.evidence === "callback");
    if (shrinkers.length === 0) return reports;
    const byKey = new Map<string, ShrinkerFn>();
    for (const s of shrinkers) byKey.set(`${s.fn.path}\0${s.fn.name}`, s);

    // bits tested on deleted lines, per file and function
    const oldBits = new Map<string, string[]>();
    for (const v of deletedLines(patch)) {
      const bit = gfpTestOn(v.code, new Set(["gfp", "gfp_mask"]));
      if (bit && v.fn) oldBits.set(`${v.file.path}\0${v.fn}`, [...(oldBits.get(`${v.file.path}\0${v.fn}`) ?? []), bit]);
    }
    const deleted = deletedTexts(patch);
    const callerContext = CALLER_WORDS.test(`${patch.subject}\n${patch.message}`);
    let blocking: Report[] | null = null;
    const blockingWarnings = () => (blocking ??= blockingRule.check({ patch, source, options: {} }).filter((r) => (r.severity ?? blockingRule.meta.severity) === "warning"));

    for (const s of shrinkers) {
      const vars = maskCopies(s.fn.lines);
      const lines = s.fn.lines;
      for (let i = 0; i < lines.length; i++) {
        const l = lines[i]!;
        if (l.line.kind !== "add" || l.line.newLine === null) continue;
        const bit = gfpTestOn(l.code, vars);
        if (!bit || isMovedLine(l.code, deleted)) continue;
        const before = oldBits.get(`${s.fn.path}\0${s.fn.name}`) ?? [];
        if (before.includes(bit)) continue; // the same test, moved or reformatted
        const base = {
          file: l.file.path,
          line: l.line.newLine,
          identifiers: [bit, "gfp_mask", s.fn.name],
          cite: ["dm-bufio-gfp-fs-2014", "loop-noio-2019", "memalloc-overhaul-2020"],
        };
        if (before.length > 0) {
          reports.push({ ...base, messageId: "changedBit", data: { fn: s.fn.name, bit, old: before[0]! }, severity: "warning" });
          continue;
        }
        const next = lines
          .slice(i, i + 4)
          .map((x) => x.code)
          .join(" ");
        const gatesLock = SLEEPING.test(next.replace(/\w*trylock\w*\s*\(/g, ""));
        if (!s.fn.definedAdded && (gatesLock || callerContext)) {
          // the sleeping lock the test gates is shrinker-blocking's warning: one warning per hazard
          const at = l.line.newLine;
          const onLock = gatesLock && blockingWarnings().some((r) => r.file === l.file.path && r.line !== null && r.line > at && r.line <= at + 3);
          reports.push({ ...base, messageId: "workaround", data: { fn: s.fn.name, bit }, severity: onLock ? "info" : "warning" });
        } else {
          reports.push({ ...base, messageId: "bailOut", data: { fn: s.fn.name, bit }, severity: "info" });
        }
      }
    }
    return reports;
  },
};

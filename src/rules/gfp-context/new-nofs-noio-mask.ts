// new-nofs-noio-mask: a new GFP_NOFS/GFP_NOIO (or & ~__GFP_FS/__GFP_IO) at an allocation call, or put in a mask
// variable or field that later allocations use.
import type { Report, Rule } from "../../types.js";
import { callsOn } from "../util/code.js";
import { restrictedMasks } from "../util/gfp-lists.js";
import { reclaimAnalysis } from "../../context/reclaim.js";
import { PRIVATE_NOFS_MASKS, VMALLOC_BACKED, VMALLOC_HONOURS_SCOPE, allocatorOf, SCOPE_API_FILES } from "../../vocab/kernel-api.js";
import { holdsFor, releaseName } from "../../vocab/release.js";

/** Words that can hold a NOFS/NOIO mask on a line (a cheap first test). */
const MASK_WORDS = new RegExp(["GFP_NO", "__GFP_", ...Object.keys(PRIVATE_NOFS_MASKS)].join("|"));
import { addedSourceLines, patchAddsScope } from "../util/scope-regions.js";
import { HISTORY } from "../../vocab/history.js";

/** Files that implement the gfp/scope machinery itself. */
const API_FILES = SCOPE_API_FILES.re;

export const rule: Rule = {
  meta: {
    id: "new-nofs-noio-mask",
    class: "gfp-context",
    severity: "info",
    description: "An added GFP_NOFS/GFP_NOIO (or a mask clearing __GFP_FS/__GFP_IO, or a filesystem's private NOFS flag) at an allocation call or in a mask variable",
    docs: {
      why:
        "A per-call GFP_NOFS/GFP_NOIO protects one allocation, but the reason for it (a lock, a " +
        "transaction, an IO the caller waits on) covers a region; allocations added later in that " +
        "region, and allocations made by helpers it calls, stay GFP_KERNEL. " +
        "Documentation/core-api/gfp_mask-from-fs-io.rst asks new code to mark the region with " +
        "memalloc_nofs_save()/memalloc_noio_save() at the boundary that needs it. Before v5.17, " +
        "vmalloc-backed allocators (__vmalloc, kvmalloc) ignored NOFS/NOIO passed as a mask because " +
        "their page tables were allocated with GFP_KERNEL (451769ebb7e7 and a421ef303008 changed that).",
      fix:
        "Mark the critical section with memalloc_nofs_save()/memalloc_nofs_restore() (or the noio " +
        "pair) where the lock/transaction/IO dependency starts, with a comment naming the reclaim " +
        "context, and keep GFP_KERNEL at the calls inside. For __vmalloc/kvmalloc the scope is the " +
        "only reliable way.",
      quiet:
        "Lines where the same mask was already there (the call moves or other arguments change, or a mask variable " +
        "is assigned again what its unchanged declaration holds), " +
        "patches that convert to scopes, __GFP_NOLOCKDEP annotations, GFP_ATOMIC/GFP_NOWAIT lines, " +
        "mapping_set_gfp_mask() (rule mapping-gfp-mask) and the gfp/scope API files themselves.",
    },
    messages: {
      perCallMask:
        "{{mask}} at {{call}}(){{more}}: consider a memalloc_{{scope}}_save() scope at the boundary that needs it instead of a per-call mask",
      maskStored:
        "{{mask}} stored in {{target}} for later allocations: every allocation through it avoids reclaim IO/FS; check the allocations that ignore it (page frags, vmalloc) and whether a memalloc_{{scope}}_save() scope in the IO path is the clearer boundary",
      maskCleared:
        "{{bits}} cleared from {{target}} for later allocations: every allocation through it avoids reclaim IO/FS; check the allocations that ignore it (page frags, vmalloc) and whether a memalloc_{{scope}}_save() scope in the IO path is the clearer boundary",
      vmallocIgnores:
        "{{mask}} passed to {{call}}(): on {{kernel}} (before v5.17) vmalloc-backed allocations ignore NOFS/NOIO masks (page tables come from GFP_KERNEL); use memalloc_{{scope}}_save()/restore() around the call",
    },
    knowledge: ["gfp-fs-io-doc", "memalloc-nofs-api-2017", "memalloc-noio-2013", HISTORY.vmallocMaskIgnored, "noio-implies-nofs-2014"],
    scope: "line",
    needles: ["GFP_NO", "__GFP_", ...Object.keys(PRIVATE_NOFS_MASKS)],
  },
  check(ctx) {
    const { patch } = ctx;
    const kernel = reclaimAnalysis(ctx).kernel;
    // vmalloc honours a NOFS/NOIO mask since v5.17: only older kernels get the vmalloc warning
    const vmallocIgnores = !holdsFor(VMALLOC_HONOURS_SCOPE, kernel);
    const reports: Report[] = [];
    // one per-call-mask note per function: the advice is about the function's boundary
    const perFunction = new Map<string, Report>();
    if (patchAddsScope(patch)) return reports; // converting to scopes: scope-conversion speaks
    for (const v of addedSourceLines(patch)) {
      if (!MASK_WORDS.test(v.line.text) || API_FILES.test(v.file.path)) continue;
      const masks = restrictedMasks(v.code);
      if (masks.length === 0) continue;
      if (/^\s*#\s*define\b/.test(v.code)) continue;
      if (/\b(?:__GFP_NOLOCKDEP|GFP_ATOMIC|GFP_NOWAIT)\b/.test(v.code)) continue;
      if (/\bmapping_set_gfp_mask\b/.test(v.code)) continue;
      if (/(?:[!=]=|&)\s*\(?\s*GFP_NO(?:FS|IO)\b|\bGFP_NO(?:FS|IO)\s*(?:[!=]=|\))\s*(?:==|!=|&&|\|\|)/.test(v.code)) continue; // a test, not an allocation
      // the call this mask belongs to: on the line, or the line above for "GFP_NOFS);" continuations
      let calls = callsOn(v.code);
      if (calls.length === 0 && v.index > 0 && !/=/.test(v.code) && /\)/.test(v.code)) {
        const prev = v.hunk.lines.slice(0, v.index).filter((l) => l.kind !== "del").pop();
        if (prev) calls = callsOn(prev.text);
      }
      if (calls.length === 0) {
        // a mask stored for later allocations (sk->sk_allocation, a gfp field, a local `gfp_t gfp = GFP_NOIO`, or
        // `gfp &= ~__GFP_FS`): same advice
        const stored = /((?:[A-Za-z_][\w.>-]*)?(?:allocation|gfp\w*))\s*[|&]?=(?!=)/i.exec(v.code);
        const deletedSame = v.hunk.lines.some((l) => l.kind === "del" && restrictedMasks(l.text).some((m) => masks.includes(m)));
        // the hunk's unchanged lines already store the same mask there (a declaration the patch assigns again)
        const already = stored !== null && v.hunk.lines.some((l) => l.kind === "ctx" && new RegExp(`\\b${stored[1]!.replace(/[.*+?^${}()|[\]\\>-]/g, "\\$&")}\\s*[|&]?=(?!=)`).test(l.text) && restrictedMasks(l.text).some((m) => masks.includes(m)));
        if (stored && !deletedSame && !already) {
          const cleared = masks.every((m) => m.startsWith("~"));
          reports.push({
            messageId: cleared ? "maskCleared" : "maskStored",
            severity: "info",
            data: { mask: masks.join(" / "), bits: masks.map((m) => m.replace(/^~/, "")).join(" and "), target: stored[1]!, scope: masks.some((m) => /IO/.test(m)) ? "noio" : "nofs" },
            file: v.file.path,
            line: v.line.newLine,
            identifiers: masks,
            cite: ["gfp-fs-io-doc", "sk-page-frag-2019"],
          });
        }
        continue; // otherwise a plain variable: not a call site
      }
      // same mask on a deleted line of the hunk: the call moved or changed elsewhere
      const deleted = v.hunk.lines.filter((l) => l.kind === "del").map((l) => restrictedMasks(l.text));
      if (deleted.some((d) => masks.some((m) => d.includes(m)))) continue;
      const vm = vmallocIgnores ? calls.find((c) => VMALLOC_BACKED.has(allocatorOf(c)?.name ?? c)) : undefined;
      const key = `${v.file.path}\0${v.fn ?? v.hunk.newStart}`;
      const earlier = vm ? undefined : perFunction.get(key);
      if (earlier) {
        const d = earlier.data!;
        d.count = Number(d.count) + 1;
        d.more = ` (and ${Number(d.count) - 1} more in this function)`;
        continue;
      }
      const call = vm ?? calls.find((c) => allocatorOf(c) !== undefined) ?? calls[calls.length - 1]!;
      const io = masks.some((m) => /IO/.test(m));
      const mask = masks.join(" / ");
      const report: Report = {
        messageId: vm ? "vmallocIgnores" : "perCallMask",
        severity: vm ? "warning" : "info",
        data: { mask, call, scope: io ? "noio" : "nofs", count: 1, more: "", kernel: releaseName(kernel) },
        file: v.file.path,
        line: v.line.newLine,
        identifiers: [call, ...masks],
        cite: vm ? [HISTORY.vmallocMaskIgnored, "gfp-fs-io-doc"] : ["gfp-fs-io-doc", io ? "memalloc-noio-2013" : "memalloc-nofs-api-2017"],
      };
      reports.push(report);
      if (!vm) perFunction.set(key, report);
    }
    return reports;
  },
};

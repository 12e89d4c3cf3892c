// scope-conversion: a patch that fixes a reclaim-recursion hazard with the
// memalloc scope API; recognise it, check the obvious and cite the history.
import type { Report, Rule } from "../../types.js";
import { stripLine } from "../util/code.js";
import { addedSourceLines, scopeCallOn, sourceLines, type ScopeKind } from "../util/scope-regions.js";
import { rule as unbalancedRule } from "./unbalanced-scope.js";

const API_FILES = /^(?:include\/linux\/sched(?:\/mm)?\.h|mm\/)/;

function citesFor(path: string, kinds: Set<ScopeKind>): string[] {
  const out: string[] = [];
  if (/^fs\/btrfs\//.test(path)) out.push("btrfs-scrub-nofs-2018");
  if (/^drivers\/md\/(?:md|raid)/.test(path)) out.push("md-suspend-scope-2020");
  if (/^net\/sunrpc\//.test(path)) out.push("sunrpc-nofs-rpciod-2019", "sunrpc-nofs-sync-2021");
  if (/^drivers\/nvdimm\//.test(path)) out.push("libnvdimm-noio-2017");
  if (/^drivers\/infiniband\/ulp\/ipoib\//.test(path)) out.push("ipoib-noio-2017");
  if (/^drivers\/block\/loop\.c$/.test(path)) out.push("loop-noio-2019");
  if (/^fs\/nfs\//.test(path)) out.push("nfs-localio-commit-noio-2026");
  out.push(kinds.has("noio") ? "memalloc-noio-2013" : "memalloc-nofs-api-2017", "gfp-fs-io-doc");
  return out;
}

export const rule: Rule = {
  meta: {
    id: "scope-conversion",
    class: "gfp-context",
    severity: "info",
    description: "A patch that adds memalloc_nofs/noio scopes (a reclaim-recursion fix): topic recognised, balance checked",
    docs: {
      why:
        "Marking the region that holds a transaction, a lock or an IO dependency with " +
        "memalloc_nofs_save()/memalloc_noio_save() is the documented way to stop reclaim recursion " +
        "(Documentation/core-api/gfp_mask-from-fs-io.rst). Such fixes go wrong in small ways: a " +
        "restore missed on an error path, a different variable restored, a worker the region waits " +
        "for left outside the scope.",
      fix:
        "Check that every save has a restore of the same variable on every exit, that the scope " +
        "covers the worker tasks the protected region waits for, and add a comment naming the " +
        "reclaim context the scope protects against.",
      quiet:
        "Patches that add no scope, and the scope API's own files. When unbalanced-scope reports the " +
        "missing restore, the balance note points at that finding instead of repeating it.",
    },
    messages: {
      scopeAdded:
        "reclaim-recursion fix with {{count}} memalloc_{{kinds}}_save() scope{{plural}}{{converted}}: {{balance}}; also check the scope covers any worker the protected region waits for",
    },
    knowledge: ["memalloc-nofs-api-2017", "memalloc-noio-2013", "gfp-fs-io-doc", "btrfs-scrub-nofs-2018"],
    scope: "line",
    needles: ["memalloc_"],
  },
  check({ patch }) {
    const saves: Array<{ path: string; line: number; kind: ScopeKind; variable: string | null }> = [];
    for (const v of addedSourceLines(patch)) {
      if (!v.line.text.includes("memalloc_") || API_FILES.test(v.file.path)) continue;
      const c = scopeCallOn(v.code);
      if (c?.op === "save" && (c.kind === "nofs" || c.kind === "noio" || c.kind === "flags")) saves.push({ path: v.file.path, line: v.line.newLine!, kind: c.kind, variable: c.variable });
    }
    if (saves.length === 0) return [];
    // restores visible on the new side, per file and variable
    const restored = new Set<string>();
    for (const v of sourceLines(patch)) {
      if (!v.line.text.includes("memalloc_")) continue;
      const c = scopeCallOn(v.code);
      if (c?.op === "restore" && c.variable) restored.add(`${v.file.path}\0${c.variable.replace(/\s+/g, "")}`);
    }
    const missing = [...new Set(saves.filter((s) => !s.variable || !restored.has(`${s.path}\0${s.variable}`)).map((s) => s.variable ?? "(unassigned)"))];
    // per-call masks the patch turns into GFP_KERNEL under the new scope
    let converted = 0;
    for (const f of patch.files)
      for (const h of f.hunks) {
        const addsKernel = h.lines.some((l) => l.kind === "add" && /\bGFP_KERNEL\b/.test(stripLine(l.text)));
        if (addsKernel) converted += h.lines.filter((l) => l.kind === "del" && /\bGFP_NO(?:FS|IO)\b/.test(stripLine(l.text))).length;
      }
    const kinds = new Set(saves.map((s) => s.kind));
    const first = saves[0]!;
    // unbalanced-scope already reports a missing restore on its line: say so once, there
    const flagged = missing.length > 0 && unbalancedRule.check({ patch, options: {} }).some((r) => r.messageId === "missingRestore" || r.messageId === "neverRestored");
    const balance =
      missing.length === 0
        ? "every save has a restore of the same variable in the lines shown"
        : flagged
          ? "a restore is missing on some path (see the unbalanced-scope finding on that line)"
          : `no restore of ${missing.join(", ")} is visible in the diff, so check every exit path`;
    const report: Report = {
      messageId: "scopeAdded",
      severity: "info",
      data: {
        count: saves.length,
        plural: saves.length === 1 ? "" : "s",
        kinds: [...kinds].join("/"),
        converted: converted > 0 ? ` replacing ${converted} per-call GFP_NOFS/GFP_NOIO mask${converted === 1 ? "" : "s"}` : "",
        balance,
      },
      file: first.path,
      line: first.line,
      cite: citesFor(first.path, kinds),
      identifiers: saves.map((s) => `memalloc_${s.kind}_save`),
    };
    return [report];
  },
};

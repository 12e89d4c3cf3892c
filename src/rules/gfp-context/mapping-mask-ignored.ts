// mapping-mask-ignored: a page-cache (or other) allocation that took an
// address_space's own gfp mask (mapping_gfp_mask(), mapping_gfp_constraint(),
// or a helper built on them) now passes a written-out mask that lets reclaim
// into the filesystem. The mapping's mask is its owner's statement of the
// context its pages are allocated in: a filesystem that clears __GFP_FS on
// its mappings (mapping_set_gfp_mask()) relies on every allocation for them
// obeying it. A warning when code that restricts the mappings is found (the
// patch, or with a tree the function's directory); otherwise info naming that
// missing fact.
import { evalMask } from "../../context/gfp.js";
import { MAPPING_MASK_CALL, reclaimAnalysis, type AllocSite, type ReclaimAnalysis } from "../../context/reclaim.js";
import type { Hunk, Patch, Report, Rule } from "../../types.js";
import { callArguments, withCode } from "../util/code.js";
import { allocText } from "../util/phrases.js";
import { HISTORY } from "../../vocab/history.js";
import { MAPPING_MASK_SOURCES } from "../../vocab/kernel-api.js";

export const rule: Rule = {
  meta: {
    id: "mapping-mask-ignored",
    class: "gfp-context",
    severity: "warning",
    description: "An allocation that took a mapping's own gfp mask now passes a written-out mask that lets reclaim into the filesystem",
    docs: {
      why:
        "An address_space carries the gfp mask its owner chose for allocations made on its behalf " +
        "(mapping_gfp_mask()); filesystems that may allocate page-cache pages while holding their own locks or a " +
        "transaction clear __GFP_FS there with mapping_set_gfp_mask(). That is a contract only if every allocation " +
        "for the mapping obeys it: a written-out GFP_KERNEL in its place lets reclaim recurse into the filesystem " +
        "that asked it not to, the bug fixed in v3.19 for pagecache_get_page().",
      fix:
        "Keep the mapping's constraint: pass mapping_gfp_constraint(mapping, GFP_KERNEL) (or mapping_gfp_mask()) " +
        "instead of the written-out mask, and let a caller that needs a stricter context pass its own mask or " +
        "open a memalloc_nofs_save() scope.",
      quiet:
        "Masks that still derive from the mapping, written-out masks that clear __GFP_FS and __GFP_IO, allocations " +
        "under a NOFS/NOIO scope, and allocations whose replaced line did not take the mapping's mask.",
    },
    messages: {
      restricted:
        "{{alloc}} in {{fn}}() replaces {{was}}, so the allocation no longer obeys {{mapping}}'s own gfp mask, and {{where}} clears {{bits}} in this code's mappings (mapping_set_gfp_mask()): reclaim may now recurse into the filesystem that asked it not to",
      unknown:
        "{{alloc}} in {{fn}}() replaces {{was}}, so the allocation no longer obeys {{mapping}}'s own gfp mask: a filesystem that clears __GFP_FS in its mappings (mapping_set_gfp_mask()) because it allocates their pages under its own locks gets reclaim into itself here if its mappings reach this code; {{unknown}}",
    },
    knowledge: ["pagecache-gfp-mask-2014", HISTORY.mappingMaskDeadlock, "gfp-fs-io-doc"],
    scope: "patch",
    needles: Object.keys(MAPPING_MASK_SOURCES),
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    const out: Report[] = [];
    // per directory of the allocating function (a patch may touch several)
    const restrictions = new Map<string, Restriction | null>();
    for (const site of a.allocations()) {
      if (!site.added || site.through || site.pointer || site.ev.info.implicit) continue;
      // a written-out mask that lets reclaim into the filesystem, not cleared by a scope in force
      if (site.mask.fs !== true || site.effective.reclaim === false || site.effective.fs !== true) continue;
      if (MAPPING_MASK_CALL.test(site.ev.info.gfpText ?? "")) continue;
      const dropped = droppedMappingMask(ctx.patch, site);
      if (!dropped) continue;
      const dir = dirOf(site.fn.path);
      if (!restrictions.has(dir)) restrictions.set(dir, restrictionOf(a, ctx.patch, site));
      const restriction = restrictions.get(dir)!;
      const base = {
        file: site.fn.path,
        line: site.at,
        identifiers: [site.ev.callee, dropped.callee, site.fn.name, "mapping_set_gfp_mask"],
        fix: `Pass mapping_gfp_constraint(${dropped.mapping}, ${site.mask.text}) instead of ${site.mask.text}, so a mapping its owner made NOFS stays NOFS; a caller that needs a stricter context can still pass its own mask or open a scope.`,
      };
      const data = { alloc: allocText(site), fn: site.fn.name, was: `${dropped.text} (line ${dropped.line} before)`, mapping: dropped.mapping };
      if (restriction) {
        out.push({ ...base, messageId: "restricted", data: { ...data, where: restriction.where, bits: restriction.bits } });
        continue;
      }
      const unknown =
        a.mode === "diff"
          ? "which mappings reach it is not visible in the patch (review with --tree to read this code's directory)"
          : `no code in ${dirOf(site.fn.path)}/ restricts its mappings, and callers elsewhere that pass their own mappings were not followed`;
      out.push({ ...base, messageId: "unknown", severity: "info", data: { ...data, unknown }, unknowns: ["whether a mapping whose owner cleared __GFP_FS reaches this allocation"] });
    }
    return out;
  },
};

interface Restriction {
  where: string;
  bits: string;
}

const dirOf = (p: string) => (p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : ".");

/** The bits a mask given to mapping_set_gfp_mask() clears, or null when it keeps __GFP_FS (or cannot be read). */
function clearedBits(maskText: string): string | null {
  const m = evalMask(maskText);
  if (m.fs !== false) return null;
  return m.io === false ? "__GFP_FS and __GFP_IO" : "__GFP_FS";
}

/** Code that clears __GFP_FS in its mappings: a mapping_set_gfp_mask() line of the patch, else (with a tree) of the function's directory. */
function restrictionOf(a: ReclaimAnalysis, patch: Patch, site: AllocSite): Restriction | null {
  for (const f of patch.files) {
    if (!/\.[ch]$/.test(f.path)) continue;
    for (const h of f.hunks) {
      const code = withCode(h.lines);
      for (let i = 0; i < code.length; i++) {
        const l = code[i]!;
        if (l.kind === "del" || !l.code.includes("mapping_set_gfp_mask")) continue;
        // the call as the new side has it, over up to four lines
        const args = callArgs(code.slice(i, i + 4).filter((x) => x.kind !== "del").map((x) => x.code).join(" "), "mapping_set_gfp_mask");
        const bits = args && args[1] ? clearedBits(args[1]) : null;
        if (bits && l.newLine !== null) return { where: `${f.path}:${l.newLine}`, bits };
      }
    }
  }
  if (a.mode === "diff") return null;
  for (const c of a.callersOf(site.fn.path, "mapping_set_gfp_mask")) {
    const call = c.fn.calls.find((x) => x.line === c.line && x.callee === "mapping_set_gfp_mask");
    const bits = call && call.args[1] ? clearedBits(call.args[1]) : null;
    if (bits) return { where: `${c.fn.name}() (${c.file}:${c.line})`, bits };
  }
  return null;
}

/** The arguments of the first call of `name` in a text, or null when it is not there or not closed there. */
function callArgs(text: string, name: string): string[] | null {
  const at = new RegExp(`\\b${name}\\s*\\(`).exec(text);
  return at ? callArguments(text, at.index + at[0].length - 1) : null;
}

/**
 * The call that took the mapping's mask on a line deleted in the same change block as the allocation's first
 * added line (the lines the patch replaced it with): its text, the mapping it names, and its old line.
 */
function droppedMappingMask(patch: Patch, site: AllocSite): { text: string; callee: string; mapping: string; line: number } | null {
  const f = patch.files.find((x) => x.path === site.fn.path);
  if (!f) return null;
  for (const h of f.hunks) {
    const k = h.lines.findIndex((l) => l.kind === "add" && l.newLine === site.at);
    if (k < 0) continue;
    let from = k;
    while (from > 0 && h.lines[from - 1]!.kind !== "ctx") from--;
    let to = k;
    while (to + 1 < h.lines.length && h.lines[to + 1]!.kind !== "ctx") to++;
    const code = withCode(h.lines);
    for (let i = from; i <= to; i++) {
      const l = code[i]!;
      if (l.kind !== "del" || l.oldLine === null) continue;
      const m = MAPPING_MASK_CALL.exec(l.code);
      if (!m) continue;
      const callee = m[0].replace(/\s*\($/, "");
      // the call may continue on the next deleted lines
      const text = code
        .slice(i, Math.min(to + 1, i + 4))
        .filter((x) => x.kind === "del")
        .map((x) => x.code)
        .join(" ");
      const args = callArgs(text.slice(text.indexOf(callee)), callee);
      const mapping = args?.[MAPPING_MASK_SOURCES[callee]!.mappingArg]?.replace(/\s+/g, " ") ?? "the mapping";
      return { text: args ? `${callee}(${args.join(", ")})` : `${callee}()`, callee, mapping, line: l.oldLine };
    }
  }
  return null;
}

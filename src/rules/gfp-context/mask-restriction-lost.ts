// mask-restriction-lost: an allocation whose mask names GFP_NOFS or GFP_NOIO
// but or-s it with a mask that puts the cleared bit back (GFP_KERNEL |
// GFP_NOFS, GFP_NOIO | GFP_USER): GFP_NOFS is GFP_KERNEL without __GFP_FS
// and GFP_NOIO is GFP_KERNEL without __GFP_IO and __GFP_FS
// (include/linux/gfp_types.h), so the or is the wider mask and the
// restriction the line asks for is not there. Decided by evaluating the
// mask; a warning when something is held at the allocation (the restriction
// is then what keeps reclaim off it) and no scope covers it, else a note.
import { lockLabel, reclaimAnalysis, type AllocSite } from "../../context/reclaim.js";
import type { Report, Rule } from "../../types.js";
import { allocText, heldWhere } from "../util/phrases.js";

/** The restricted masks a line may name, the bits each clears, and the scope that clears them for a region. */
const RESTRICTED: readonly { name: string; re: RegExp; clears: ("io" | "fs")[]; bits: string; scope: "nofs" | "noio" }[] = [
  { name: "GFP_NOIO", re: /\bGFP_NOIO\b/, clears: ["io", "fs"], bits: "__GFP_IO and __GFP_FS", scope: "noio" },
  { name: "GFP_NOFS", re: /\bGFP_NOFS\b/, clears: ["fs"], bits: "__GFP_FS", scope: "nofs" },
];

export const rule: Rule = {
  meta: {
    id: "mask-restriction-lost",
    class: "gfp-context",
    severity: "warning",
    description: "A mask that names GFP_NOFS/GFP_NOIO but or-s it with a mask that sets the bits it clears (GFP_KERNEL | GFP_NOFS is GFP_KERNEL)",
    docs: {
      why:
        "GFP_NOFS is GFP_KERNEL without __GFP_FS, and GFP_NOIO is GFP_KERNEL without __GFP_IO and __GFP_FS " +
        "(include/linux/gfp_types.h). Or-ing either with GFP_KERNEL, GFP_USER or the bit itself sets the cleared bits " +
        "again: `GFP_KERNEL | GFP_NOFS` is GFP_KERNEL. The allocation may then enter filesystem (and IO) reclaim, " +
        "which the GFP_NOFS/GFP_NOIO on the line was written to prevent; when a lock or a transaction is held there, " +
        "that is the recursion the restriction was for.",
      fix:
        "Use GFP_NOFS (GFP_NOIO) alone, with only modifier bits (__GFP_NOWARN, __GFP_ZERO, __GFP_RETRY_MAYFAIL) or-ed " +
        "in; or, where the whole region needs it, a memalloc_nofs_save() (memalloc_noio_save()) scope and GFP_KERNEL.",
      quiet:
        "Masks whose or keeps the restriction (GFP_NOFS | __GFP_NOWARN), lines the patch does not add (a review) and " +
        "allocations a scope in force already restricts (said at info, as are those with nothing held at the call).",
    },
    messages: {
      lost:
        "{{alloc}} in {{fn}}() names {{restricted}}, but {{restricted}} is GFP_KERNEL without {{bits}} and {{other}} sets {{them}} again: the mask allows {{what}} reclaim{{held}}",
    },
    knowledge: ["gfp-fs-io-doc", "memalloc-nofs-api-2017"],
    scope: "line",
    needles: ["GFP_NOFS", "GFP_NOIO"],
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    const reports: Report[] = [];
    for (const site of a.allocations()) {
      if (!site.added || site.through || site.ev.info.kind !== "alloc") continue;
      const text = site.ev.info.gfpText ?? "";
      if (!text.includes("|")) continue;
      const r = RESTRICTED.find((x) => x.re.test(text));
      if (!r) continue;
      const mask = site.ev.info.mask;
      // the bits the named mask clears that the whole or sets again
      const back = r.clears.filter((b) => mask[b] === true);
      if (back.length === 0) continue;
      const other = otherTerms(text, r.name);
      if (other.length === 0) continue;
      reports.push(report(site, r, back, other));
    }
    return reports;
  },
};

function report(site: AllocSite, r: (typeof RESTRICTED)[number], back: ("io" | "fs")[], other: string[]): Report {
  const fn = site.fn.name;
  // still restricted where it runs: a scope in force covers what the mask lost
  const covered = back.every((b) => site.effective[b] === false);
  const held = site.ev.state.held.find((h) => h.entry.what === "handle" || (h.entry.what === "lock" && h.entry.lock !== undefined && !["spinlock", "rwlock", "rcu"].includes(h.entry.lock)));
  const heldText = covered
    ? "; a scope in force here clears them, so only the line is wrong"
    : held
      ? ` while ${lockLabel(held.entry)} is held (${heldWhere(held.entry, null)}): the recursion the restriction was written against`
      : "";
  const unknowns = !covered && !held ? [`whether ${fn}() or its callers hold a lock or a transaction that reclaim needs (nothing is held in the lines read)`] : [];
  return {
    file: site.fn.path,
    line: site.at,
    messageId: "lost",
    data: {
      alloc: allocText(site),
      fn,
      restricted: r.name,
      bits: r.bits,
      other: other.join(" | "),
      them: back.length > 1 ? "them" : back[0] === "fs" ? "__GFP_FS" : "__GFP_IO",
      what: back.length > 1 ? "filesystem and IO" : back[0] === "fs" ? "filesystem" : "IO",
      held: heldText,
    },
    fix: `Use ${r.name} alone (${r.name} | __GFP_NOWARN and the like keep the restriction), or a memalloc_${r.scope}_save() scope over the region that needs it.`,
    identifiers: [site.ev.callee, r.name, ...other],
    chain: [`${fn}()`, allocText(site)],
    cite: ["gfp-fs-io-doc"],
    ...(covered || !held ? { severity: "info" as const } : {}),
    ...(unknowns.length > 0 ? { unknowns } : {}),
  };
}

/** The or's other terms that set a bit the named mask clears (GFP_KERNEL, GFP_USER, GFP_HIGHUSER*, __GFP_FS, __GFP_IO). */
function otherTerms(text: string, named: string): string[] {
  return (text.match(/\b(?:__)?GFP_\w+\b/g) ?? []).filter((w) => w !== named && /^(?:GFP_(?:KERNEL\w*|USER|HIGHUSER\w*)|__GFP_(?:FS|IO))$/.test(w));
}

// mask-weaker-than-sibling: an allocation the patch adds with a mask that lets
// reclaim enter the filesystem (or start IO), in a function that makes another
// allocation with GFP_NOFS (GFP_NOIO) while holding no more than this one
// does. The function's own code says its context must not recurse into the
// filesystem (IO); the new allocation does what the other one avoids. Either
// the other mask is stale, or this allocation is the deadlock it guards
// against: the reviewer asks which, on the line.
import { lockLabel, reclaimAnalysis, type AllocSite } from "../../context/reclaim.js";
import { sameLock, type FlowEvent } from "../../context/flow.js";
import type { Report, Rule } from "../../types.js";
import { allocationNeedles } from "../../vocab/kernel-api.js";
import { allocText } from "../util/phrases.js";
import { judgedByHazardRules } from "../util/sites.js";

export const rule: Rule = {
  meta: {
    id: "mask-weaker-than-sibling",
    class: "gfp-context",
    severity: "warning",
    description: "A new allocation lets reclaim enter the filesystem (or IO) where the same function allocates with GFP_NOFS (GFP_NOIO) under no more locks",
    docs: {
      why:
        "A GFP_NOFS or GFP_NOIO allocation records the author's knowledge that this function runs where reclaim must " +
        "not call back into the filesystem (or issue IO): under a transaction, a lock a shrinker takes, or inside the IO " +
        "path itself. Another allocation in the same function, made holding the same things or more, has the same " +
        "context; with GFP_KERNEL it can recurse into exactly what the other mask avoids. Reviewers catch this as an " +
        "inconsistency (\"the other allocations here are NOFS\"); lockdep only when the recursion happens.",
      fix:
        "Use the same mask as the other allocation, or better a memalloc_nofs_save() (memalloc_noio_save()) scope over " +
        "the region that needs it, so every allocation in it, including those in helpers, is covered. If the other " +
        "mask is stale, remove it in the same patch and say why in the changelog.",
      quiet:
        "Audits of existing code (the rule judges what a patch adds), allocations the patch did not add or loosen, GFP_NOFS/GFP_NOIO siblings taken while holding something this " +
        "allocation does not hold (their reason may be that lock), siblings that are atomic (GFP_ATOMIC, GFP_NOWAIT: " +
        "no reclaim at all, so no statement about the context), masks held in variables, allocations another rule " +
        "already warns on, and functions whose scope state at the entry or at the site is open (a scope covers it).",
    },
    messages: {
      weaker:
        "{{alloc}} in {{fn}}() lets reclaim {{what}}, but {{fn}}() allocates with {{sibling}} at line {{line}} ({{siblingCall}}) {{heldSibling}}: the function's own code says its context must not {{what}}; use {{sibling}} here too (or a memalloc_{{scope}}_save() scope over both), or drop the stale {{sibling}} there",
    },
    knowledge: ["gfp-fs-io-doc", "memalloc-nofs-api-2017"],
    scope: "line",
    needles: allocationNeedles(),
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    const reports: Report[] = [];
    // what a patch adds; an audit of existing code has no "new" allocation to hold against its neighbours
    if (a.mode === "audit") return reports;
    const seen = new Set<string>();
    for (const site of a.allocations()) {
      if (!site.added || site.through || a.unchanged(site)) continue;
      // a role, a lock reclaim takes, a handle or a freeze: the rules that judge those speak
      if (judgedByHazardRules(site)) continue;
      if (site.effective.reclaim === false || site.scopeSomePaths) continue;
      const sibling = stricterSibling(site);
      if (!sibling) continue;
      // one finding per line: each line needs its own change
      const k = `${site.fn.path}:${site.at}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const { ev, bit } = sibling;
      const info = ev.info as Extract<FlowEvent["info"], { kind: "alloc" }>;
      const name = info.mask.name ?? info.gfpText ?? info.mask.text;
      const held = ev.state.held.filter((h) => h.must).map((h) => lockLabel(h.entry));
      reports.push({
        file: site.fn.path,
        line: site.at,
        identifiers: [site.ev.callee, site.mask.name ?? site.mask.text, name],
        messageId: "weaker",
        data: {
          alloc: allocText(site),
          fn: site.fn.name,
          what: bit === "fs" ? "call into the filesystem" : "start IO",
          sibling: name,
          line: String(ev.line),
          siblingCall: `${ev.callee}()`,
          heldSibling: held.length > 0 ? `while holding ${held.join(", ")}, which this allocation holds too` : "with nothing held",
          scope: bit === "fs" ? "nofs" : "noio",
        },
        fix: `Use ${name} for ${site.ev.callee}() as for ${ev.callee}() at line ${ev.line}, or open memalloc_${bit === "fs" ? "nofs" : "noio"}_save() over the region both run in.`,
        chain: [`${site.fn.name}()`, `${ev.callee}(${name}) at line ${ev.line}`, allocText(site)],
      });
    }
    return reports;
  },
};

/**
 * Another allocation of the same function whose written mask clears __GFP_FS (or __GFP_IO) but still lets reclaim
 * run (an explicit GFP_NOFS/GFP_NOIO choice, not an atomic one), made while holding no lock this site does not
 * hold, where this site's effective mask has that bit set.
 */
function stricterSibling(site: AllocSite): { ev: FlowEvent; bit: "fs" | "io" } | null {
  const atomic = site.ev.state.held.some((h) => h.entry.what === "lock" && (h.entry.lock === "spinlock" || h.entry.lock === "rwlock" || h.entry.lock === "rcu"));
  if (atomic) return null;
  for (const ev of site.fn.flow.events) {
    if (ev === site.ev || ev.info.kind !== "alloc" || ev.info.implicit) continue;
    const m = ev.info.mask;
    // a written mask (a known name or flags), not a variable the caller passes
    if (!ev.info.gfpText || !/\bGFP_NO(?:FS|IO)\b|__GFP_(?:FS|IO)\b/.test(ev.info.gfpText)) continue;
    if (m.reclaim === false) continue;
    // what it holds, this site holds too: the sibling's reason is not a lock only it holds
    const covered = ev.state.held.every((h) => !h.must || site.ev.state.held.some((s) => s.entry.what === h.entry.what && (h.entry.key && s.entry.key ? sameLock(h.entry.key, s.entry.key) : h.entry.api === s.entry.api)));
    if (!covered) continue;
    // a scope open at the sibling and not here would be its reason; scopes here make this site's mask stricter anyway
    if (ev.state.mayScopes.length > 0) continue;
    if (m.io === false && site.effective.io === true) return { ev, bit: "io" };
    if (m.fs === false && site.effective.fs === true) return { ev, bit: "fs" };
  }
  return null;
}

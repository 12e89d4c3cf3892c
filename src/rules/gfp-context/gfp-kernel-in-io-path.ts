// gfp-kernel-in-io-path: an allocation that may start IO (or enter the
// filesystem) from reclaim, in a function that IO or writeback waits on:
// registered as (or called from) queue_rq, submit_bio, a dm map/end_io, a bio
// completion, a SCSI error handler, writepages. The role comes from the ops
// tables and the function's signature, never from its name; the mask is the
// call's mask with the scopes in force (in the function and held by every
// caller) applied.
import { reclaimAnalysis, type AllocSite } from "../../context/reclaim.js";
import type { Report, Rule } from "../../types.js";
import { allocationNeedles } from "../../vocab/kernel-api.js";
import { allocText, alreadyText, atomicText, chainAlreadyText, chainText, roleText, roleWhy } from "../util/phrases.js";
import { HISTORY } from "../../vocab/history.js";

export const rule: Rule = {
  meta: {
    id: "gfp-kernel-in-io-path",
    class: "gfp-context",
    severity: "warning",
    description: "An allocation that may recurse into IO (or the filesystem) in a function the block or writeback path waits on",
    docs: {
      why:
        "Reclaim with __GFP_IO may write back dirty pages or swap, i.e. submit IO, and wait for it; with __GFP_FS " +
        "it may call into filesystems. A function registered as queue_rq, submit_bio, a device-mapper map or " +
        "end_io, a bio completion or a SCSI error handler serves IO that other IO (and reclaim) waits on: if its " +
        "allocation waits for that IO, it waits for itself. The loop driver hit this and was fixed by running its " +
        "worker under PF_MEMALLOC_NOIO (d0a255e795ab).",
      fix:
        "Allocate with GFP_NOIO (GFP_NOFS for filesystem writeback), or better open memalloc_noio_save() / " +
        "memalloc_nofs_save() at the boundary that knows why, so every allocation below it is covered; preallocate " +
        "(mempool, per-request data in the tag set) where a failure cannot be handled.",
      quiet:
        "Masks without __GFP_IO (or __GFP_FS for writeback; a mask given as a parameter is the one the role's own " +
        "chain of calls passes, not another caller's), allocations inside a memalloc scope on every path or " +
        "under a scope every caller holds, functions with no role found in an ops table or signature, and " +
        "allocations the patch only moved. An added allocation on a path that already allocates so is reported as " +
        "pre-existing, naming the older allocation: one of its function's own before it on every path, or one a link " +
        "of the role's chain makes, under no if-condition, before it calls on down the chain. On a writeback path reclaim does not call itself (->writepages, " +
        "->write_inode), an allocation with the whole path in view and no folio marked for writeback " +
        "before it is only a note (info), and so is one that fills a field its function first tests for empty " +
        "(a buffer allocated on first use and kept across resets). With sources, a role chain that cannot run is " +
        "not one: a caller's constant arguments that make false the test (enclosing, or an early exit before " +
        "the call) the next call sits under, or a type or capability test of the root's object (an upper-case " +
        "macro of it) that one call of the chain needs true and another false.",
    },
    messages: {
      inRole:
        "{{alloc}} in {{fn}}() may {{what}} from reclaim, and {{fn}}() {{runsAs}}: {{why}}",
      inWriteback:
        "{{alloc}} in {{fn}}() may {{what}} from reclaim while a folio marked for writeback on this path may still wait for its IO ({{owner}}), and {{fn}}() {{runsAs}}: reclaim waiting on that folio's writeback would wait on this allocation",
      writebackNothingOwned:
        "{{alloc}} in {{fn}}() may {{what}} from reclaim, and {{fn}}() {{runsAs}}; reclaim does not call it, and no call before the allocation on this path (read from {{root}}()'s entry) marks a folio for writeback (a folio only locked is not waited on: reclaim trylocks): a risk only if a lock held here is one eviction or a shrinker takes",
    },
    knowledge: [HISTORY.workerNoioFlag, "memalloc-noio-2013", "gfp-fs-io-doc", HISTORY.shrinkerGfpBit],
    scope: "line",
    needles: allocationNeedles(),
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    const reports: Report[] = [];
    for (const site of a.allocations()) {
      if (!site.added || a.unchanged(site)) continue;
      // (the function's own earlier allocation does not depend on the role: looked for once per site)
      let already: ReturnType<typeof a.alreadyAllocating> | undefined;
      for (const h of site.hazards) {
        // code a fence needs is alloc-in-fence-signalling's (any direct reclaim, not IO or FS recursion)
        if (h.kind !== "role" || h.needs === "reclaim") continue;
        const r = report(site, h as RoleHazard);
        // the function already allocates so on every path here, or a link of the role's chain does before it calls
        // on down: the patch adds a site to a hazard the path had
        if (already === undefined) already = a.alreadyAllocating(site);
        const above = already ? null : a.chainAllocating(site, h.role.chain, h.needs as "io" | "fs");
        if (already) {
          r.preExisting = true;
          r.preExistingWhy = alreadyText(site, already);
        } else if (above) {
          r.preExisting = true;
          r.preExistingWhy = chainAlreadyText(above);
        }
        reports.push(r);
      }
    }
    return reports;
  },
};

type RoleHazard = Extract<AllocSite["hazards"][number], { kind: "role" }> & { needs: "io" | "fs" };

function report(site: AllocSite, h: RoleHazard): Report {
  const fn = site.fn.name;
  const role = h.role;
  const runsAs =
    role.chain.length > 1 ? `is reached from ${roleText(role)} through ${chainText(role.chain)}` : `is ${role.how !== "ops-table" ? role.label : `${role.label} (registered at ${role.at?.file}:${role.at?.line})`}`;
  const unknowns: string[] = [];
  if (site.entryUnknown) unknowns.push(`whether a memalloc_${h.needs === "io" ? "noio" : "nofs"}_save() scope is open above the lines shown (the start of ${fn}() is not in the patch)`);
  if (!h.maskKnown) unknowns.push(h.maskFrom ? `the mask ${site.mask.text} on this path: ${h.maskFrom}` : `the mask ${site.mask.text}: it comes from ${fn}()'s caller`);
  // writeback is not called by reclaim itself: the recursion deadlocks when reclaim ends up waiting on folios this
  // writeback has marked and not yet submitted (or on a lock it holds); filesystems keep writeback NOFS for that
  // reason (iomap allocates its ioends GFP_NOFS). The analysis says whether a mark precedes the allocation on the
  // path, whether none does on a path read whole, or that the path is not all in view
  // a buffer filled only while its field is empty: allocated on first use (probe, open), not on every run of the role
  const once = site.onceGuard;
  if (once) unknowns.push(`whether ${once.field} is empty when ${role.root}() runs: ${once.why}`);
  const wb = h.writeback;
  if (wb && !wb.owner && !wb.known) unknowns.push(`whether ${fn}() has folios marked for writeback and not yet submitted (or holds a lock eviction takes) when it allocates: the path from ${role.root}()'s entry is not all in view`);
  // the whole path read and nothing owned: reclaim cannot be waiting on this task's folios
  const nothingOwned = wb !== undefined && wb.owner === null && wb.known;
  const safe = h.needs === "io" ? "GFP_NOIO, or a memalloc_noio_save() scope" : "GFP_NOFS, or a memalloc_nofs_save() scope";
  const boundary = role.chain.length > 1 ? `in ${role.root}() around the call` : "around the request";
  return {
    file: site.fn.path,
    line: site.at,
    ...(site.atomic ? { also: atomicText(site) } : {}),
    messageId: wb?.owner ? "inWriteback" : nothingOwned ? "writebackNothingOwned" : "inRole",
    data: {
      alloc: allocText(site, h.maskFrom ?? site.maskFrom),
      fn,
      what: h.needs === "io" ? "start IO" : "call into the filesystem",
      runsAs,
      why: roleWhy(role),
      owner: wb?.owner ?? "",
      root: role.root,
    },
    fix: `Use ${safe} ${boundary}, so nothing below it recurses into ${h.needs === "io" ? "IO" : "the filesystem"}.`,
    chain: [...role.chain.map((f) => `${f}()`), allocText(site, h.maskFrom ?? site.maskFrom)],
    identifiers: [site.ev.callee, site.mask.name ?? "GFP_KERNEL", ...role.chain],
    cite: h.needs === "io" ? [HISTORY.workerNoioFlag, "memalloc-noio-2013"] : ["gfp-fs-io-doc"],
    ...(h.maskKnown && !nothingOwned && !once ? {} : { severity: "info" as const }),
    ...(unknowns.length > 0 ? { unknowns } : {}),
  };
}

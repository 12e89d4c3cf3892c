// alloc-in-reclaim-work: an allocation the patch adds, with a mask that lets
// reclaim start IO, in code that runs as the work of a WQ_MEM_RECLAIM queue
// (the work function, or a function it calls a few calls down). The flag is
// the queue's promise that reclaim may wait for its work (a rescuer runs it
// when no worker can be created); work that then waits for reclaim's IO
// waits for itself. Found by the workqueue analysis: the binding (INIT_WORK)
// and the queueing, and the queue's flags read where it is allocated.
import { applyScopes } from "../../context/gfp.js";
import { reclaimAnalysis } from "../../context/reclaim.js";
import { workqueueAnalysis } from "../../context/workqueues.js";
import type { Report, Rule } from "../../types.js";
import { allocationNeedles } from "../../vocab/kernel-api.js";
import { allocText, alreadyText, atomicText, chainAlreadyText, chainText } from "../util/phrases.js";
import { heldTakenByPatch, judgedByHazardRules } from "../util/sites.js";

export const rule: Rule = {
  meta: {
    id: "alloc-in-reclaim-work",
    class: "gfp-context",
    severity: "warning",
    description: "A new allocation that may start IO in the work of a WQ_MEM_RECLAIM queue (reclaim may be waiting for that work)",
    docs: {
      why:
        "WQ_MEM_RECLAIM is set on a queue because reclaim (or IO that reclaim waits for) depends on its work: under " +
        "memory pressure the rescuer thread runs it when no worker can be created. An allocation in that work that may " +
        "start IO from reclaim (GFP_KERNEL, GFP_NOFS) can wait for writeback that waits for this very work, and the " +
        "rescuer is stuck with it. Such work allocates with GFP_NOIO, under memalloc_noio_save(), or from a mempool.",
      fix:
        "Use GFP_NOIO (or open memalloc_noio_save() in the work function so its callees are covered), preallocate, or " +
        "use a mempool sized for the work's progress.",
      quiet:
        "A buffer allocated only while its field is empty (`if (!x->buf)`) is said at info: it is allocated on first use, not each time the work runs. " +
        "Allocations on lines the patch does not touch (a call it rewrites with the same mask is reported as pre-existing, and so is an allocation the work already makes on its path: its function's own before it on every path, or a link of the work's chain that allocates so, or calls a function that always does, under no if-condition before it calls on down), masks relaxed from a stricter one (nofs-to-kernel speaks), GFP_NOFS in a filesystem's work (a directory that registers super or address-space operations and no block-device ones: its writeback is what waits, and NOFS keeps reclaim out of it), masks without __GFP_IO or under a NOIO scope (the function's, a " +
        "caller's, a handle's, or one a link of the work's chain holds across its call down it), queues whose flags are not known (said by other rules), audits of existing code, and " +
        "allocations another rule already warns on.",
    },
    messages: {
      inReclaimWork:
        "{{alloc}} in {{fn}}(), which runs as work of {{queue}}, a WQ_MEM_RECLAIM queue ({{chain}}): reclaim may be waiting for this work, and the allocation may start IO from reclaim that waits for it in turn{{already}}",
    },
    knowledge: ["memalloc-noio-2013", "workqueue-doc"],
    scope: "line",
    needles: allocationNeedles(),
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    const reports: Report[] = [];
    if (a.mode === "audit") return reports;
    let wq: ReturnType<typeof workqueueAnalysis> | null = null;
    const seen = new Set<string>();
    for (const site of a.allocations()) {
      if (!site.added) continue;
      if (a.relaxedFrom(site)) continue; // a stricter mask relaxed: nofs-to-kernel says it, with the same chain
      // the patch rewrites a call that already allocated so: said, marked as what it was before the patch
      const before = a.unchanged(site);
      const prior = before ? a.priorAllocation(site) : null;
      const was = prior?.callee;
      const moved = prior?.movedFrom ?? null;
      if (site.effective.reclaim === false || site.effective.io !== true) continue;
      // another rule speaks; about a call the patch only rewrites the others speak only for something it takes around
      // it, so otherwise this one says the hazard was there
      const heldAdded = site.hazards.some((h) => heldTakenByPatch(a.changedIn(site.fn), h));
      if (judgedByHazardRules(site) && (!before || heldAdded)) continue;
      wq ??= workqueueAnalysis(ctx);
      const work = wq.runsAs(site.fn).ctx;
      if (!work || work.kind !== "wq" || !work.queue || work.queue.flags.memReclaim !== true) continue;
      // a mask given as a parameter: what the work's own chain of calls passes (another caller's mask is not this path's),
      // under the scopes the chain's links hold across their calls down it (a work function that sets
      // PF_MEMALLOC_NOIO, or opens memalloc_noio_save(), before it calls on)
      const along = a.maskOnChain(site, work.chain);
      const onChain = applyScopes(along?.mask ?? site.effective, a.scopesOnChain(site.fn, work.chain));
      if (onChain.reclaim === false || onChain.io !== true) continue;
      // GFP_NOFS in a filesystem's work: what waits on it is the filesystem's writeback, which NOFS keeps reclaim
      // out of (block IO reclaim issues does not wait on it; a block driver's work needs NOIO)
      if (onChain.fs === false && a.filesystemSide(site.fn.path) && (!work.queue.at || a.filesystemSide(work.queue.at.file))) continue;
      const k = `${site.fn.path}:${site.at}`;
      if (seen.has(k)) continue;
      seen.add(k);
      // a site the patch adds where the work already allocates so, on every path, before it; or where a link of the
      // work's chain does before it calls on down
      const already = !before ? a.alreadyAllocating(site) : null;
      const above = !before && !already ? a.chainAllocating(site, work.chain, site.effective.io === true ? "io" : "fs") : null;
      // a buffer filled only while its field is empty: allocated on first use, not every time the work runs
      const once = !before ? a.fieldGuard(site) : null;
      reports.push({
        file: site.fn.path,
        line: site.at,
        ...(once ? { severity: "info" as const, unknowns: [`whether ${once.field} is empty when ${work.root}() runs: ${once.why}`] } : {}),
        ...(site.atomic ? { also: atomicText(site) } : {}),
        identifiers: [site.ev.callee, site.mask.name ?? site.mask.text, "WQ_MEM_RECLAIM"],
        messageId: "inReclaimWork",
        data: { alloc: allocText(site, along ? along.from : site.maskFrom), fn: site.fn.name, queue: work.queue.label, chain: chainText(work.chain), already: !before ? "" : moved ? ` (the patch moves this code from ${moved}; it allocated so before too)` : was && was !== site.ev.callee ? ` (the patch replaces ${was}() here, which allocated so before too)` : " (the patch rewrites this call; it allocated so before too)" },
        ...(before ? { preExisting: true } : already ? { preExisting: true, preExistingWhy: alreadyText(site, already) } : above ? { preExisting: true, preExistingWhy: chainAlreadyText(above) } : {}),
        fix: `Use GFP_NOIO for ${site.ev.callee}() here, or open memalloc_noio_save() in ${work.root}() so every allocation of the work is covered; or preallocate.`,
        chain: [`${work.queue.label} (WQ_MEM_RECLAIM)`, ...work.chain.map((f) => `${f}()`), allocText(site, along ? along.from : site.maskFrom)],
        cite: ["memalloc-noio-2013"],
      });
    }
    return reports;
  },
};

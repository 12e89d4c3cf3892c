// lockdep-reclaim-prime: the patch tells lockdep that a lock is taken in
// reclaim (might_lock() or a lock taken between fs_reclaim_acquire() and
// fs_reclaim_release(), the way shrinkers prime their locks). Topic
// recognition, and what it means for the code: every allocation that may
// enter FS reclaim while that lock is held is now a lockdep report. The
// allocations the analysis sees under the lock are warned about by
// alloc-while-holding (the annotation is the reclaim-side fact it needs).
import { primedLocks, reclaimAnalysis } from "../../context/reclaim.js";
import type { Report, Rule } from "../../types.js";
import { RECLAIM_LOCKDEP_PRIME } from "../../vocab/kernel-api.js";

export const rule: Rule = {
  meta: {
    id: "lockdep-reclaim-prime",
    class: "gfp-context",
    severity: "info",
    description: "A lock declared to lockdep as taken in reclaim (fs_reclaim_acquire() ... might_lock() ... fs_reclaim_release())",
    docs: {
      why:
        "lockdep learns that reclaim takes a lock only when reclaim actually takes it while lockdep watches. Priming " +
        "(might_lock() between fs_reclaim_acquire() and fs_reclaim_release(), at init) records the dependency up front, " +
        "so the first GFP_KERNEL allocation made while the lock is held is reported at once instead of after a rare " +
        "deadlock. It is also a statement about the code: the lock is one reclaim needs.",
      fix:
        "Keep allocations that may enter FS reclaim out from under the lock: allocate before taking it, use GFP_NOFS, " +
        "or open memalloc_nofs_save() where it is taken. alloc-while-holding names those it finds.",
      quiet: "Added lines only; annotations the patch did not add or change.",
    },
    messages: {
      primed:
        "{{fn}}() tells lockdep that {{lock}} is taken in reclaim: from now on lockdep reports every allocation that may enter FS reclaim while {{lock}} is held; allocations under it need GFP_NOFS or a memalloc_nofs_save() scope",
    },
    knowledge: ["gfp-fs-io-doc", "memalloc-nofs-api-2017"],
    scope: "line",
    needles: Object.keys(RECLAIM_LOCKDEP_PRIME.enter),
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    const reports: Report[] = [];
    if (a.mode === "audit") return reports;
    for (const v of a.post()) {
      const changed = a.changedIn(v);
      for (const t of primedLocks(v)) {
        if (!changed.has(t.line)) continue;
        reports.push({
          file: t.file,
          line: t.line,
          identifiers: [t.chain[t.chain.length - 1]!, t.key!.name],
          messageId: "primed",
          data: { fn: v.name, lock: t.key!.expr || t.key!.name },
          chain: ["fs_reclaim_acquire()", `${t.chain[t.chain.length - 1]}(${t.key!.expr})`, "fs_reclaim_release()"],
        });
      }
    }
    return reports;
  },
};

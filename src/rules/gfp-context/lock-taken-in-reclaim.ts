// lock-taken-in-reclaim: the patch makes code reclaim runs or waits on take a
// sleeping lock (inode eviction, folio release, writepage, an mmu notifier's
// invalidation, a dentry release; the IO path: queue_rq, a bio completion, a
// SCSI error handler; a lock taken while a request queue is frozen), and
// elsewhere the same lock is held across an allocation that may enter that
// reclaim. The other half of alloc-while-holding: there the allocation is
// new, here the taker is. Shrinkers are shrinker-blocking's, and locks primed
// for lockdep are lockdep-reclaim-prime's.
import { lockHeldAcross, type HeldAcross } from "../../context/blocking.js";
import { ioPathTaker, reclaimAnalysis, type ReclaimAnalysis, type ReclaimTaker } from "../../context/reclaim.js";
import type { Report, Rule } from "../../types.js";
import { LOCK_CALLS } from "../../vocab/kernel-api.js";
import { freezeState, takerText } from "../util/phrases.js";

export const rule: Rule = {
  meta: {
    id: "lock-taken-in-reclaim",
    class: "gfp-context",
    severity: "warning",
    description:
      "A sleeping lock the patch makes reclaim-side code take (eviction, folio release, the IO path, inside a queue freeze) while other code holds the same lock across an allocation that may enter that reclaim",
    docs: {
      why:
        "Reclaim evicts inodes, releases folios and writes back, and waits for IO. If code on those paths takes a lock " +
        "that another task holds while it allocates with reclaim allowed, the allocation can end up waiting for " +
        "reclaim, and reclaim for the lock: lockdep reports it as a fs_reclaim dependency. A lock taken on the IO path " +
        "(or while a request queue is frozen) is the IO-side version: reclaim that waits for that IO waits for the " +
        "lock. A patch that adds the lock to the reclaim side makes every existing allocation under it a deadlock.",
      fix:
        "Keep the lock out of the reclaim-side path (a trylock that backs off, or deferring the work to a worker), or " +
        "make the allocations under the lock GFP_NOFS/GFP_NOIO, better with memalloc_nofs_save()/memalloc_noio_save() " +
        "where the lock is taken.",
      quiet:
        "Locks not taken on a line the patch changed, trylocks, shrinkers (shrinker-blocking), locks primed for lockdep " +
        "(lockdep-reclaim-prime), and locks no code in view holds across an allocation that may enter that reclaim " +
        "(diff only: the patch's own functions; with a tree: the directory). An allocation the patch adds under the lock " +
        "is alloc-while-holding's, and so is the audit.",
    },
    messages: {
      taken:
        "{{lock}} is now taken on a path reclaim {{runs}}: {{taker}}; and {{holder}}() holds {{lock}} across {{alloc}} ({{where}}), so reclaim entered from that allocation can wait for the lock its own task holds",
    },
    knowledge: ["gfp-fs-io-doc", "memalloc-nofs-api-2017"],
    scope: "line",
    needles: Object.entries(LOCK_CALLS)
      .filter(([, l]) => l.op === "acquire")
      .map(([n]) => n),
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    if (a.mode === "audit") return [];
    const reports: Report[] = [];
    // the takers of the directory are collected only for a patch that takes a lock (or freezes a queue) on a line it changes
    if (!a.post().some((v) => {
      const changed = a.changedIn(v);
      return v.flow.events.some((e) => e.info.kind === "lock" && e.info.op === "acquire" && changed.has(e.line));
    }))
      return reports;
    const seen = new Set<string>();
    for (const t of [...a.takers(), ...a.ioTakers()]) {
      if (t.what !== "lock" || !t.key || t.primed || t.role?.role === "shrinker") continue;
      const at = addedAt(a, t);
      if (at === null) continue;
      const k = `${t.file}:${at}:${t.key.name}`;
      if (seen.has(k)) continue;
      seen.add(k);
      // reclaim itself takes it: an allocation that may enter FS reclaim; the IO path or a frozen queue: one that may start IO
      const needs = t.role?.inReclaim ? "fs" : "io";
      const held = lockHeldAcross(a, t.key, t.file, needs);
      if (!held) continue;
      // an allocation the patch adds under the lock is alloc-while-holding's (it names this taker)
      if (a.post().some((v) => v.path === held.file && a.changedIn(v).has(held.line))) continue;
      reports.push(report(t, at, held, needs));
    }
    return reports;
  },
};

/** The line the patch changed that makes the taker take the lock: the lock call, or the freeze it now sits in. */
function addedAt(a: ReclaimAnalysis, t: ReclaimTaker): number | null {
  for (const v of a.post()) {
    if (v.path !== t.file) continue;
    const changed = a.changedIn(v);
    if (changed.has(t.line)) return t.line;
    if (t.underFreeze && changed.has(t.underFreeze.frozen.line) && v.flow.start <= t.line && t.line <= v.flow.end) return t.underFreeze.frozen.line;
  }
  return null;
}

function report(t: ReclaimTaker, at: number, held: HeldAcross, needs: "fs" | "io"): Report {
  const lock = t.key!.expr || t.key!.name;
  const runs = t.underFreeze ? `waits on (IO held while ${t.underFreeze.frozen.key?.expr ?? "the queue"} is ${freezeState(t.underFreeze.frozen).is})` : ioPathTaker(t) ? "waits on (the IO path)" : "runs";
  return {
    file: t.file,
    line: at,
    messageId: "taken",
    data: {
      lock,
      runs,
      taker: takerText(t),
      holder: held.fn,
      alloc: held.what,
      where: `${held.file}:${held.line}`,
    },
    fix: `Keep ${lock} out of ${t.underFreeze ? `the ${freezeState(t.underFreeze.frozen).is} section` : `${t.role?.root ?? t.chain[0]}()`} (a trylock that backs off, or deferring the work), or make what ${held.fn}() allocates under it ${needs === "io" ? "GFP_NOIO" : "GFP_NOFS"} (a memalloc_${needs === "io" ? "noio" : "nofs"}_save() scope where the lock is taken).`,
    identifiers: [t.key!.name, held.fn, ...(t.role ? [t.role.root] : [])],
    chain: [...t.chain.map((f) => `${f}()`), `${held.fn}(): ${held.what}`],
    cite: ["gfp-fs-io-doc"],
  };
}

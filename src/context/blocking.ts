// What a call blocks on, from the kernel API vocabulary: an IO wait (the
// caller sleeps until IO completes), synchronous IO (it submits IO and waits,
// or waits for IO in flight first), a sleeping lock taken unconditionally,
// or another wait whose waker is not visible (a completion, an event, a
// flush of work). And where a sleeping lock is also held across an
// allocation that may enter reclaim, or across IO: the evidence that makes
// waiting for that lock inside reclaim a deadlock rather than a stall.
import {
  FILE_IO_OPS,
  EVICTING_CALLS,
  FLUSH_CALLS,
  FS_IO_CALLS,
  FS_WRITE_OPS,
  GUARD_CLASSES,
  LOCK_CALLS,
  SYNC_IO_CALLS,
  WAIT_CALLS,
  handleCall,
  isSleepingLock,
  type LockKind,
} from "../vocab/kernel-api.js";
import { directoryFlows } from "./call-chains.js";
import { lockKeyOf, type LockKey } from "./events.js";
import { applyScopes } from "./gfp.js";
import { sameLockStrict, type ReclaimAnalysis } from "./reclaim.js";

export type BlockKind = "io-wait" | "sync-io" | "transaction" | "sleeping-lock" | "final-put" | "wait";

export interface Blocker {
  kind: BlockKind;
  /** The call as named ("wait_on_buffer", "mutex_lock", "guard(mutex)"). */
  call: string;
  /** What it does, for messages ("waits for IO", "takes &c->lock"). */
  what: string;
  /** For a sleeping lock: the lock expression as written. */
  lockExpr?: string;
  lockKind?: LockKind;
  /** For a final put: the ops method it may run (struct and field). */
  runs?: { struct: string; field: string };
}

/** How serious a blocking call is inside reclaim (higher: more certain to stall on IO). */
export const BLOCK_WEIGHT: Readonly<Record<BlockKind, number>> = { "io-wait": 5, "sync-io": 4, transaction: 4, "sleeping-lock": 3, "final-put": 2, wait: 1 };

const GUARD_CALL = /^(?:scoped_)?guard\((\w+)\)$/;

/** The blocking a call does, by the vocabulary; null when it does not block (or is a try-lock). */
export function blockerOf(callee: string, args: readonly string[]): Blocker | null {
  const l = LOCK_CALLS[callee];
  if (l) {
    if (l.op !== "acquire" || !isSleepingLock(l.kind) || l.kind === "freeze") return null;
    const expr = args[l.arg ?? 0] ?? "";
    return { kind: "sleeping-lock", call: callee, what: `takes ${expr || "a sleeping lock"}`, lockExpr: expr, lockKind: l.kind };
  }
  // guard(mutex)(&l) / scoped_guard(mutex, &l): the flow walk names them "guard(mutex)", the scan "guard"/"scoped_guard" with the class first
  const g = GUARD_CALL.exec(callee);
  const cls = g ? g[1]! : callee === "guard" || callee === "scoped_guard" ? (args[0] ?? "") : null;
  if (cls !== null) {
    const kind = GUARD_CLASSES[cls.trim()];
    if (!kind || !isSleepingLock(kind)) return null;
    const expr = g ? (args[0] ?? "") : callee === "scoped_guard" ? (args[1] ?? "") : "";
    return { kind: "sleeping-lock", call: g ? callee : `${callee}(${cls})`, what: `takes ${expr || `a ${cls} lock`}`, lockExpr: expr, lockKind: kind };
  }
  const w = WAIT_CALLS[callee];
  if (w) {
    if (w.kind === "io") return { kind: "io-wait", call: callee, what: "waits for IO to complete" };
    if (w.kind === "writeback") return { kind: "io-wait", call: callee, what: "waits for writeback" };
    return { kind: "wait", call: callee, what: w.kind === "flush" ? "waits for queued work" : w.kind === "freeze" ? "waits for a queue to drain" : `waits for a ${w.kind}` };
  }
  const s = SYNC_IO_CALLS[callee];
  if (s) return { kind: "sync-io", call: callee, what: s.what };
  if (FS_IO_CALLS[callee]) return { kind: "sync-io", call: callee, what: "does filesystem IO and waits for it" };
  if (callee.startsWith("->") && FILE_IO_OPS[callee.slice(2)]) return { kind: "sync-io", call: callee, what: "does filesystem IO through the file's methods" };
  if (callee.startsWith("->") && FS_WRITE_OPS[callee.slice(2)]) return { kind: "transaction", call: callee, what: FS_WRITE_OPS[callee.slice(2)]!.what };
  const h = handleCall(callee);
  if (h && h.op === "start") return { kind: "transaction", call: callee, what: "starts or joins a transaction, which waits for a committing one (and its IO)" };
  if (EVICTING_CALLS[callee])
    return {
      kind: "final-put",
      call: callee,
      what: "may drop the last reference to an inode: evict() then waits for its writeback (inode_wait_for_writeback()) and runs ->evict_inode",
      runs: { struct: "super_operations", field: "evict_inode" },
    };
  const f = FLUSH_CALLS[callee];
  if (f) return { kind: "wait", call: callee, what: f.cancel ? "waits for a running work item to finish" : "waits for queued work to finish" };
  return null;
}

export interface HeldAcross {
  file: string;
  fn: string;
  line: number;
  /** "kzalloc(GFP_KERNEL)" or "wait_on_buffer()". */
  what: string;
  kind: "alloc" | "io";
}

/**
 * A place (the directory with sources, the patch's functions without) where
 * the sleeping lock `key` is held across an allocation that may enter direct
 * reclaim, or across IO. Reclaim from that allocation can run a shrinker that
 * waits for the same lock; IO under it makes every waiter wait for the IO.
 */
export function lockHeldAcross(a: ReclaimAnalysis, key: LockKey, near: string, needs: "reclaim" | "fs" | "io" = "reclaim"): HeldAcross | null {
  const takes = (callee: string, args: string[]): boolean => {
    const b = blockerOf(callee, args);
    return b?.kind === "sleeping-lock" && lockKeyOf(b.lockExpr || callee, () => null).name === key.name;
  };
  for (const { file, flow } of directoryFlows(a, near, takes)) {
    for (const e of flow.events) {
      const held = e.state.held.some((h) => h.entry.what === "lock" && h.entry.key && h.must && sameLockStrict(h.entry.key, key));
      if (!held) continue;
      if (e.info.kind === "alloc") {
        const eff = applyScopes(e.info.mask, e.state.mustScopes);
        // (with `needs`: an allocation that may enter the reclaim a taker on that side waits in: FS or IO reclaim)
        if (eff.reclaim === false || (needs !== "reclaim" && eff[needs] === false)) continue;
        return { file, fn: flow.name, line: e.line, what: e.info.implicit ? `${e.callee}() (always GFP_KERNEL)` : `${e.callee}(${e.info.mask.text})`, kind: "alloc" };
      }
      if (needs !== "reclaim") continue;
      const b = blockerOf(e.callee, e.args);
      if (b && (b.kind === "io-wait" || b.kind === "sync-io")) return { file, fn: flow.name, line: e.line, what: `${e.callee}()`, kind: "io" };
    }
  }
  return null;
}

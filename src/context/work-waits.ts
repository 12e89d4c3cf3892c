// What a function waits for when it flushes or cancel-syncs work: the work
// items' functions (bound with INIT_WORK() and friends, container_of() in a
// work function, DECLARE_WORK() at file scope; for a whole queue, the work
// queued on it), and the first call below each that waits on IO, does IO
// synchronously, starts or joins a transaction, or drops what may be the last
// reference. Inside memory reclaim such a flush makes reclaim wait for that
// IO or transaction, through the work. Computed from the shared analyses
// (reclaim.ts, workqueues.ts); rules only read it.
import { BLOCK_WEIGHT, blockerOf, type Blocker } from "./blocking.js";
import { reachBelow } from "./call-chains.js";
import { keyOf } from "./extract.js";
import type { FlowEvent } from "./flow.js";
import type { FnView, ReclaimAnalysis } from "./reclaim.js";
import type { WorkqueueAnalysis } from "./workqueues.js";

export interface BlockingWork {
  /** The flush or cancel call, and the work or queue it names as written. */
  call: string;
  target: string;
  /** The work function and where it is bound to the work item. */
  fn: string;
  boundAt: { file: string; line: number };
  /** From the work function down to the blocking call (last). */
  chain: string[];
  blocker: Blocker;
  site: { file: string; line: number };
}

/** Calls below a work function that make whoever waits for the work wait on IO or a transaction. */
function deeper(callee: string, args: string[]): Blocker | null {
  const b = blockerOf(callee, args);
  return b && (b.kind === "io-wait" || b.kind === "sync-io" || b.kind === "transaction" || b.kind === "final-put") ? b : null;
}

/**
 * The work a flush or cancel_*_sync() event of `view` waits for, when its function blocks (the most serious blocking
 * call, shortest chain first); null when the work is not bound where the analyses look, a system queue is flushed
 * (its work is everyone's), or no bound function blocks within four calls.
 */
export function blockingWork(a: ReclaimAnalysis, w: WorkqueueAnalysis, view: FnView, ev: FlowEvent): BlockingWork | null {
  if (ev.info.kind !== "flush" || ev.info.target === "system") return null;
  const image = view.image;
  const key = keyOf(ev.info.expr);
  const fns =
    ev.info.target === "work"
      ? w
          .bindings(view.path, image, { work: key })
          // where the work is initialised names the binding better than a container_of() in the work function
          .sort((x, y) => Number(y.how === "init") - Number(x.how === "init"))
          .map((b) => ({ fn: b.fn, file: b.file, line: b.line }))
      : w.workOf(view.path, key, image).map((b) => ({ fn: b.fn, file: b.file, line: b.queueing.ev.line }));
  let best: BlockingWork | null = null;
  const seen = new Set<string>();
  for (const b of fns) {
    if (seen.has(`${b.file}:${b.fn}`) || b.fn === view.name) continue;
    seen.add(`${b.file}:${b.fn}`);
    const h = blockingBelow(a, b.file, b.fn);
    if (h && (!best || moreSerious(h, best))) best = { call: ev.callee, target: ev.info.expr, fn: b.fn, boundAt: { file: b.file, line: b.line }, ...h };
  }
  return best;
}

/** Per analysis, blockingBelow() by file and function: asked by reclaim-waits-on-work and shrinker-blocking alike. */
const belowMemo = new WeakMap<ReclaimAnalysis, Map<string, Pick<BlockingWork, "chain" | "blocker" | "site"> | null>>();

/** The most serious blocking call a function reaches within four calls (shortest chain first), or null. */
export function blockingBelow(a: ReclaimAnalysis, file: string, fn: string): Pick<BlockingWork, "chain" | "blocker" | "site"> | null {
  let m = belowMemo.get(a);
  if (!m) belowMemo.set(a, (m = new Map()));
  const k = `${file}\0${fn}`;
  if (m.has(k)) return m.get(k)!;
  let best: Pick<BlockingWork, "chain" | "blocker" | "site"> | null = null;
  for (const h of reachBelow(a, file, fn, deeper, { maxDepth: 4 })) {
    const c = { chain: h.chain, blocker: h.hit, site: { file: h.file, line: h.line } };
    if (!best || moreSerious(c, best)) best = c;
  }
  m.set(k, best);
  return best;
}

function moreSerious(x: Pick<BlockingWork, "chain" | "blocker">, y: Pick<BlockingWork, "chain" | "blocker">): boolean {
  const dx = BLOCK_WEIGHT[x.blocker.kind];
  const dy = BLOCK_WEIGHT[y.blocker.kind];
  return dx > dy || (dx === dy && x.chain.length < y.chain.length);
}

/** A wait_for_completion() at `path`:`line` whose completion a work function signals after blocking (blockingBelow()). */
export function completionWaitBlocks(a: ReclaimAnalysis, w: WorkqueueAnalysis, path: string, line: number): boolean {
  return w.completionWaits().some((cw) => cw.view.path === path && cw.ev.line === line && cw.signals.some((s) => blockingBelow(a, s.file, s.fn) !== null));
}

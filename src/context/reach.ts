// Questions over the facts that several rules ask: does this function run in
// reclaim (a WQ_MEM_RECLAIM worker, a shrinker, writeback), directly or
// through its callers; is it on the block/writeback IO path.
import type { FactsView, QueueInfo, Role } from "./facts.js";

export interface ReclaimContext {
  /** "wq": a work function of a WQ_MEM_RECLAIM queue; "role": shrinker or writeback. */
  kind: "wq" | "role";
  /** The function that has the context (the worker or callback). */
  root: string;
  queue?: QueueInfo;
  role?: Role;
  /** From the root down to the function asked about: ["foo_sync_worker", "foo_helper", "fn"]. */
  chain: string[];
}

const RECLAIM_ROLES: Role[] = ["shrinker", "writeback"];
export const IO_ROLES: Role[] = ["queue_rq", "submit_bio", "writeback", "bi_end_io", "dm_map", "dm_end_io"];

function direct(view: FactsView, path: string, fn: string, roles: readonly Role[], queues: boolean): Omit<ReclaimContext, "chain" | "root"> | null {
  // a legacy queue's workers are not checked (check_flush_dependency masks __WQ_LEGACY)
  const qs = queues ? view.workqueueOf(path, fn).filter((q) => q.memReclaim === true && !q.legacy) : [];
  if (qs.length > 0) return { kind: "wq", queue: qs[0]! };
  const rs = view.rolesOf(path, fn);
  for (const r of roles) if (rs.has(r)) return { kind: "role", role: r };
  return null;
}

/**
 * Whether fn runs in a reclaim context: itself, or called (within maxDepth
 * callers, through the file and its directory) from a function that does.
 */
const memo = new WeakMap<FactsView, Map<string, ReclaimContext | null>>();

export function reclaimContext(
  view: FactsView,
  path: string,
  fn: string,
  opts: { maxDepth?: number; roles?: readonly Role[]; queues?: boolean } = {},
): ReclaimContext | null {
  let m = memo.get(view);
  if (!m) memo.set(view, (m = new Map()));
  const key = `${path}\0${fn}\0${opts.maxDepth ?? ""}\0${(opts.roles ?? []).join(",")}\0${opts.queues ?? ""}`;
  if (m.has(key)) return m.get(key)!;
  const r = reclaimContextUncached(view, path, fn, opts);
  m.set(key, r);
  return r;
}

function reclaimContextUncached(
  view: FactsView,
  path: string,
  fn: string,
  opts: { maxDepth?: number; roles?: readonly Role[]; queues?: boolean },
): ReclaimContext | null {
  const roles = opts.roles ?? RECLAIM_ROLES;
  const maxDepth = opts.maxDepth ?? 4;
  const queues = opts.queues ?? true;
  const here = direct(view, path, fn, roles, queues);
  if (here) return { ...here, root: fn, chain: [fn] };
  let frontier: { file: string; fn: string; chain: string[] }[] = [{ file: path, fn, chain: [fn] }];
  const seen = new Set([`${path}:${fn}`]);
  for (let d = 0; d < maxDepth && frontier.length > 0; d++) {
    const next: typeof frontier = [];
    for (const s of frontier) {
      for (const c of view.callersOf(s.file, s.fn)) {
        const k = `${c.file}:${c.fn.name}`;
        if (seen.has(k)) continue;
        seen.add(k);
        const chain = [c.fn.name, ...s.chain];
        const hit = direct(view, c.file, c.fn.name, roles, queues);
        if (hit) return { ...hit, root: c.fn.name, chain };
        next.push({ file: c.file, fn: c.fn.name, chain });
      }
    }
    frontier = next;
  }
  return null;
}

/** The IO-path role of fn or of a caller within maxDepth (queue_rq, submit_bio, writeback, bi_end_io, dm map/end_io). */
export function ioPathContext(view: FactsView, path: string, fn: string, maxDepth = 3): ReclaimContext | null {
  return reclaimContext(view, path, fn, { maxDepth, roles: IO_ROLES, queues: false });
}

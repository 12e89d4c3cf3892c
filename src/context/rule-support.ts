// What the diff-only rules ask the source facts, in one call each, so that
// upgrading a rule is a few contained lines: is a scope held here, is this
// function on the IO path or in a shrinker (and through which callers), which
// chain leads from a callback to a blocking call, which return paths leak a
// scope. Every helper returns null when there are no facts (diff-only review),
// so rules keep their diff-only behaviour then.
import type { SourceContext } from "../types.js";
import { stripComments, type ScopeLeak } from "./extract.js";
import { getFacts, type CallSite, type ChainHit, type ContextFacts, type FunctionFact, type Role, type ScopeKind } from "./facts.js";
import { IO_ROLES, reclaimContext } from "./reach.js";

export const ROLE_LABEL: Record<Role, string> = {
  queue_rq: "a blk-mq queue_rq handler",
  submit_bio: "a submit_bio handler",
  writeback: "a writeback (writepages) callback",
  bi_end_io: "a bio completion handler (bi_end_io)",
  dm_map: "a device-mapper target map function",
  dm_end_io: "a device-mapper target end_io function",
  shrinker: "a shrinker callback",
};

/** The facts, when the review has sources. */
export function factsOf(source: SourceContext | undefined): ContextFacts | null {
  return getFacts(source);
}

/** True in an audit of existing code (every line "added"). */
export function isAudit(source: SourceContext | undefined): boolean {
  return getFacts(source)?.audit ?? false;
}

/** The function holding a new-file line per the C parse, else the diff's guess. */
export function functionNameAt(source: SourceContext | undefined, path: string, line: number | null, fallback: string | null): string | null {
  if (line === null) return fallback;
  return getFacts(source)?.functionAt(path, line)?.name ?? fallback;
}

/**
 * The memalloc scope held at a new-file line: a save/restore (or flags) region
 * around it, or one every caller of its function holds. Null without facts.
 */
export function scopeHeldAt(source: SourceContext | undefined, path: string, line: number | null): ScopeKind | null {
  if (line === null) return null;
  return getFacts(source)?.scopeAt(path, line) ?? null;
}

export interface IoPathHit {
  /** The function holding the line. */
  fn: string;
  role: Role;
  label: string;
  /** From the role's function down to fn: ["foo_queue_rq", "foo_prep", "fn"]. */
  chain: string[];
}

/** fn (or a caller within maxDepth) is a queue_rq/submit_bio/writepages/bi_end_io/dm map handler, by the tree's ops tables. */
export function ioPathOf(source: SourceContext | undefined, path: string, fn: string | null, maxDepth = 3): IoPathHit | null {
  const f = getFacts(source);
  if (!f || !fn) return null;
  const ctx = reclaimContext(f, path, fn, { maxDepth, roles: IO_ROLES, queues: false });
  if (!ctx || !ctx.role) return null;
  return { fn, role: ctx.role, label: ROLE_LABEL[ctx.role], chain: ctx.chain };
}

export interface ShrinkerHit {
  /** The registered callback. */
  root: string;
  kind: "scan" | "count";
  /** From the callback down to fn. */
  chain: string[];
}

/** fn is a registered shrinker callback, or is called (within maxDepth) from one. */
export function shrinkerOf(source: SourceContext | undefined, path: string, fn: string | null, maxDepth = 4): ShrinkerHit | null {
  const f = getFacts(source);
  if (!f || !fn) return null;
  const ctx = reclaimContext(f, path, fn, { maxDepth, roles: ["shrinker"], queues: false });
  if (!ctx) return null;
  const counts = (p: string) => f.fileFacts(p)?.countObjects.has(ctx.root) ?? false;
  return { root: ctx.root, kind: counts(path) ? "count" : "scan", chain: ctx.chain };
}

/**
 * From a call made on a line (callee) through the tree to a call matching
 * isBlocking; the chain starts at the callee. Null without facts or when no
 * path within maxDepth reaches one.
 */
export function chainFromCall(
  source: SourceContext | undefined,
  path: string,
  callee: string,
  isBlocking: (site: CallSite, fn: FunctionFact, file: string) => boolean,
  opts: { maxDepth?: number; skip?: (site: CallSite, fn: FunctionFact, file: string) => boolean } = {},
): ChainHit | null {
  const f = getFacts(source);
  if (!f) return null;
  return f.chainTo(path, callee, isBlocking, { maxDepth: opts.maxDepth ?? 5, skip: opts.skip });
}

/** The return paths of fn (by the C parse) that leave a memalloc scope open; null without facts or a parse of fn. */
export function scopeLeaksOf(source: SourceContext | undefined, path: string, fn: string | null): ScopeLeak[] | null {
  const f = getFacts(source);
  if (!f || !fn) return null;
  const def = f.fileFacts(path)?.functions.find((x) => x.name === fn && x.parsed);
  return def ? def.leaks : null;
}

/** Some file of the path's directory (post-image, comments aside) matches re: for "the daemon sets it elsewhere" checks. */
export function directoryMentions(source: SourceContext | undefined, path: string, re: RegExp): boolean | null {
  const f = getFacts(source);
  if (!f) return null;
  const own = f.text(path) ?? source?.postImage(path);
  if (own !== undefined && re.test(stripComments(own))) return true;
  for (const n of f.neighbours(path)) {
    const t = f.text(n);
    if (t !== undefined && re.test(t) && re.test(stripComments(t))) return true;
  }
  return false;
}

export interface WorkerHit {
  /** The work function or IO callback the code runs under. */
  root: string;
  how: "work" | Role;
  chain: string[];
}

/**
 * fn runs as (or is called, within maxDepth, from) a work function
 * (INIT_WORK/DECLARE_WORK/container_of) or an IO callback: the back-end
 * contexts of a driver, as opposed to its set-up and ioctl paths.
 */
export function workerOf(source: SourceContext | undefined, path: string, fn: string | null, maxDepth = 4): WorkerHit | null {
  const f = getFacts(source);
  if (!f || !fn) return null;
  const isWork = (file: string, name: string): boolean => {
    for (const p of [file, ...f.neighbours(file)]) {
      const t = f.text(p);
      if (!t || !t.includes(name)) continue;
      if (f.fileFacts(p)?.works.some((w) => w.fn === name)) return true;
    }
    return false;
  };
  const direct = (file: string, name: string): WorkerHit["how"] | null => {
    for (const r of IO_ROLES) if (f.rolesOf(file, name).has(r)) return r;
    return isWork(file, name) ? "work" : null;
  };
  const here = direct(path, fn);
  if (here) return { root: fn, how: here, chain: [fn] };
  let frontier = [{ file: path, fn, chain: [fn] }];
  const seen = new Set([`${path}:${fn}`]);
  for (let d = 0; d < maxDepth && frontier.length > 0; d++) {
    const next: typeof frontier = [];
    for (const s of frontier)
      for (const c of f.callersOf(s.file, s.fn)) {
        const k = `${c.file}:${c.fn.name}`;
        if (seen.has(k)) continue;
        seen.add(k);
        const chain = [c.fn.name, ...s.chain];
        const how = direct(c.file, c.fn.name);
        if (how) return { root: c.fn.name, how, chain };
        next.push({ file: c.file, fn: c.fn.name, chain });
      }
    frontier = next;
  }
  return null;
}

/**
 * The code on this new-file line was already in the same function before the
 * patch (moved or re-indented, not written): a hazard found on it held in the
 * pre-image too. False without sources or a pre-image.
 */
export function lineExistedBefore(source: SourceContext | undefined, path: string, line: number | null): boolean {
  const f = getFacts(source);
  if (!f || !f.pre || line === null) return false;
  const post = f.text(path);
  const fn = f.functionAt(path, line);
  if (post === undefined || !fn) return false;
  const norm = (s: string) => stripComments(s).replace(/\s+/g, " ").trim();
  const want = norm(post.split("\n")[line - 1] ?? "");
  if (want === "" || /^[{}]?$/.test(want)) return false;
  const preText = f.pre.text(path);
  const preFn = f.pre.fileFacts(path)?.functions.find((x) => x.name === fn.name);
  if (preText === undefined || !preFn) return false;
  return preText
    .split("\n")
    .slice(preFn.start - 1, preFn.end)
    .some((l) => norm(l) === want);
}

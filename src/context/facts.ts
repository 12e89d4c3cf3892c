// The facts context-aware rules read: a lazily filled index over the files
// of a source tree that matter to a patch (the touched files, the other
// files of their directories, the local headers they include). Reached
// through getFacts(ctx.source); everything here is synchronous and pure
// over the texts the edge read beforehand.
import { dirname, posix } from "node:path";
import type { SourceContext } from "../types.js";
import {
  SYSTEM_QUEUES,
  expandMacros,
  keyOf,
  memReclaimOf,
  type CallSite,
  type FileFacts,
  type FunctionFact,
  type MacroFact,
  type ScopeKind,
  type WorkqueueFact,
} from "./extract.js";
import { cachedFacts } from "./facts-cache.js";

export type { CallSite, FileFacts, FunctionFact, ScopeKind, WorkqueueFact } from "./extract.js";

/** What the index reads: texts by path (relative to the tree), and which files sit near a path. */
export interface TextProvider {
  text(path: string): string | undefined;
  /** Other .c/.h files of the path's directory (paths relative to the tree), already read by the edge. */
  neighbours(path: string): readonly string[];
  /**
   * Names of the entries of a directory of the tree ("." for the top), when
   * the edge can list any directory (--tree); text() then reads any of them.
   */
  list?(dir: string): readonly string[];
  /**
   * Paths of the tree's .c/.h files that hold `identifier` as a whole word
   * (git grep at the base commit, time-bounded): how callers in other
   * directories are found. null when unknown (no such search here, or it
   * ran out of time). With `dir`, only the files under that directory (at
   * any depth) are searched.
   */
  grep?(identifier: string, dir?: string, timeoutMs?: number): readonly string[] | null;
}

export interface QueueInfo {
  /** "system_wq", "m_sync_workqueue"... */
  key: string;
  /** true/false when known; null when the flags are not visible. */
  memReclaim: boolean | null;
  legacy: boolean;
  /** Where it was allocated, when seen. */
  at?: { file: string; line: number };
}

export interface ChainOptions {
  maxDepth?: number;
  /** Calls to skip (not followed, never matched). */
  skip?: (site: CallSite, fn: FunctionFact, file: string) => boolean;
  /** Milliseconds for one search (default 250). */
  budgetMs?: number;
}

export interface ChainHit {
  /** Function names from the start to the matching callee: ["foo_scan", "foo_evict", "wait_on_buffer"]. */
  chain: string[];
  /** The matching call. */
  site: CallSite;
  file: string;
}

/** The facts of one image (post or pre) of the sources. */
export interface FactsView {
  /** Which image: "post" (after the patch) or "pre". */
  readonly image: "post" | "pre";
  fileFacts(path: string): FileFacts | undefined;
  functionAt(path: string, line: number): FunctionFact | null;
  /** Scope held at the line: a region around it, or held by every caller of its function. */
  scopeAt(path: string, line: number): ScopeKind | null;
  /** Scope every known caller of fn holds at the call (null when a caller does not, or callers are unknown). */
  heldScope(path: string, fn: string): ScopeKind | null;
  /** Shortest call chain from fn to a call matching pred, through this file and its directory. */
  chainTo(path: string, fn: string, pred: (site: CallSite, fn: FunctionFact, file: string) => boolean, opts?: ChainOptions): ChainHit | null;
  /** The queues fn runs on as a work function (INIT_WORK + queue_work, across the directory). */
  workqueueOf(path: string, fn: string): QueueInfo[];
  /** Flags of a queue expression ("mp->m_sync_workqueue", "system_wq"). */
  queueFlags(path: string, queueExpr: string): QueueInfo | null;
  /** The queues a work item (expression) is queued on. */
  queuesOfWork(path: string, workExpr: string): QueueInfo[];
  /** Functions of the directory that call fn, with the call sites. */
  callersOf(path: string, fn: string): { file: string; fn: FunctionFact; site: CallSite }[];
  /** The text the facts were computed from. */
  text(path: string): string | undefined;
  /** Other C files of the path's directory that the sources hold. */
  neighbours(path: string): string[];
  /**
   * The tree's .c/.h files holding `identifier` as a whole word (TextProvider.grep), or null when the
   * sources cannot search the tree (a diff's own files, an audit) or the search ran out of time.
   */
  grep(identifier: string, dir?: string, timeoutMs?: number): readonly string[] | null;
}

export interface ContextFacts extends FactsView {
  /** The same questions over the pre-image (null without one, e.g. audit). */
  readonly pre: FactsView | null;
  /** An audit of existing code: every line counts as "added"; report each hazard once, where it starts. */
  readonly audit: boolean;
}

const FACTS = Symbol.for("reclaim-review.facts");

/** Attaches facts to a SourceContext (done by src/context). */
export function withFacts(ctx: Omit<SourceContext, "facts">, facts: ContextFacts): SourceContext {
  return { ...ctx, facts: { [FACTS]: facts } };
}

/** The typed facts of a rule context's source, or null when there are none (diff-only review). */
export function getFacts(source: SourceContext | undefined): ContextFacts | null {
  const f = source?.facts as Record<symbol, unknown> | undefined;
  if (!f || typeof f !== "object") return null;
  return (f[FACTS] as ContextFacts | undefined) ?? null;
}

const normal = (p: string) => posix.normalize(p.replace(/\\/g, "/"));

/** A lazily filled facts index over one image of the sources. */
export class FactsIndex implements FactsView {
  private full = new Map<string, FileFacts | null>();
  private macroCache = new Map<string, Map<string, MacroFact>>();
  private dirQueues = new Map<string, WorkqueueFact[]>();
  private lightCache = new Map<string, FileFacts | null>();

  constructor(
    private readonly provider: TextProvider,
    readonly image: "post" | "pre" = "post",
  ) {}

  text(path: string): string | undefined {
    return this.provider.text(normal(path));
  }

  grep(identifier: string, dir?: string, timeoutMs?: number): readonly string[] | null {
    return this.provider.grep?.(identifier, dir, timeoutMs) ?? null;
  }

  /** How many files were given the full C parse so far. */
  parsedCount(): number {
    let n = 0;
    for (const f of this.full.values()) if (f?.parsed) n++;
    return n;
  }

  fileFacts(path: string): FileFacts | undefined {
    const p = normal(path);
    if (!this.full.has(p)) {
      const t = this.provider.text(p);
      this.full.set(p, t === undefined || !/\.[ch]$/.test(p) ? null : cachedFacts(p, t));
    }
    return this.full.get(p) ?? undefined;
  }

  /** Facts without needing the C parse, for scanning neighbours (queues, works). Uses the full facts if present. */
  private light(path: string): FileFacts | undefined {
    const f = this.full.get(path);
    if (f) return f;
    if (!this.lightCache.has(path)) {
      const t = this.provider.text(path);
      this.lightCache.set(path, t === undefined || !/\.[ch]$/.test(path) ? null : cachedFacts(path, t, { parse: false }));
    }
    return this.lightCache.get(path) ?? undefined;
  }

  neighbours(path: string): string[] {
    return this.near(path);
  }

  private near(path: string): string[] {
    const p = normal(path);
    let own = this.provider.neighbours(p).map(normal);
    // a directory the sources did not prepare (one the patch does not touch, reached from a caller in another
    // directory): listed when the edge can list any directory
    if (own.length === 0 && this.provider.list) {
      const d = p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : ".";
      own = this.provider
        .list(d)
        .filter((n) => /\.[ch]$/.test(n))
        .map((n) => (d === "." ? n : `${d}/${n}`))
        .sort();
    }
    return own.filter((x) => x !== p);
  }

  functionAt(path: string, line: number): FunctionFact | null {
    const f = this.fileFacts(path);
    if (!f) return null;
    for (const fn of f.functions) if (line >= fn.start && line <= fn.end) return fn;
    return null;
  }

  private callersMemo = new Map<string, { file: string; fn: FunctionFact; site: CallSite }[]>();

  /** Files defining fn: this file first, then neighbours that define it. */
  private definitions(path: string, fn: string): { file: string; f: FunctionFact }[] {
    const out: { file: string; f: FunctionFact }[] = [];
    const own = this.fileFacts(path);
    const here = own?.functions.find((x) => x.name === fn);
    if (here) return [{ file: normal(path), f: here }];
    const defRe = new RegExp(`(?:^|\\n)[A-Za-z_][^\\n;={}]*\\b${fn}\\s*\\(`);
    for (const n of this.near(path)) {
      const t = this.provider.text(n);
      if (!t || !t.includes(fn) || !defRe.test(t)) continue;
      const d = this.fileFacts(n)?.functions.find((x) => x.name === fn && !x.isStatic);
      if (d) out.push({ file: n, f: d });
    }
    return out;
  }

  callersOf(path: string, fn: string): { file: string; fn: FunctionFact; site: CallSite }[] {
    const key = `${normal(path)}:${fn}`;
    let r = this.callersMemo.get(key);
    if (!r) this.callersMemo.set(key, (r = this.callersUncached(path, fn)));
    return r;
  }

  private callersUncached(path: string, fn: string): { file: string; fn: FunctionFact; site: CallSite }[] {
    const p = normal(path);
    const own = this.fileFacts(p);
    const def = own?.functions.find((x) => x.name === fn);
    const files = [p, ...(def && def.isStatic ? [] : this.near(p).filter((n) => this.provider.text(n)?.includes(fn)))];
    const out: { file: string; fn: FunctionFact; site: CallSite }[] = [];
    for (const file of files) {
      // the file asked about gets the C parse; neighbours the line-based facts (cheaper, same call sites in kernel style)
      const ff = file === p ? this.fileFacts(file) : this.light(file);
      if (!ff) continue;
      for (const f of ff.functions) for (const c of f.calls) if (c.callee === fn) out.push({ file, fn: f, site: c });
    }
    return out;
  }

  private addressTaken(path: string, fn: string): boolean {
    const p = normal(path);
    const own = this.fileFacts(p);
    if (own?.addressTaken.has(fn)) return true;
    const def = own?.functions.find((x) => x.name === fn);
    if (def && def.isStatic) return false;
    for (const n of this.near(p)) {
      const t = this.provider.text(n);
      if (!t || !t.includes(fn)) continue;
      if (this.light(n)?.valueIdents.has(fn)) return true;
    }
    return false;
  }

  scopeAt(path: string, line: number): ScopeKind | null {
    const fn = this.functionAt(path, line);
    if (!fn) return null;
    const region = strongest(fn.scopes.filter((s) => line >= s.start && line <= s.end).map((s) => s.kind));
    if (region) return region;
    return this.heldScope(path, fn.name);
  }

  private heldMemo = new Map<string, ScopeKind | null>();

  heldScope(path: string, fn: string): ScopeKind | null {
    return this.held(normal(path), fn, new Set(), 0);
  }

  /** `active`: the functions being resolved up the stack (a recursion through them holds nothing). */
  private held(path: string, fn: string, active: Set<string>, depth: number): ScopeKind | null {
    const key = `${path}:${fn}`;
    const memo = this.heldMemo.get(key);
    if (memo !== undefined) return memo;
    if (active.has(key) || depth > 6) return null;
    active.add(key);
    const result = this.heldUncached(path, fn, active, depth);
    active.delete(key);
    this.heldMemo.set(key, result);
    return result;
  }

  private heldUncached(path: string, fn: string, active: Set<string>, depth: number): ScopeKind | null {
    if (this.addressTaken(path, fn)) return null;
    const callers = this.callersOf(path, fn);
    if (callers.length === 0) return null;
    const kinds: ScopeKind[] = [];
    for (const c of callers) {
      const region = strongest(c.fn.scopes.filter((s) => c.site.line >= s.start && c.site.line <= s.end).map((s) => s.kind));
      const k = region ?? (c.fn.name === fn ? null : this.held(c.file, c.fn.name, active, depth + 1));
      if (!k) return null;
      kinds.push(k);
    }
    return weakest(kinds);
  }

  chainTo(
    path: string,
    fn: string,
    pred: (site: CallSite, fn: FunctionFact, file: string) => boolean,
    opts: ChainOptions = {},
  ): ChainHit | null {
    const maxDepth = opts.maxDepth ?? 6;
    const deadline = Date.now() + (opts.budgetMs ?? 250);
    const start = this.definitions(path, fn)[0];
    if (!start) return null;
    interface Step {
      file: string;
      f: FunctionFact;
      chain: string[];
    }
    let frontier: Step[] = [{ file: start.file, f: start.f, chain: [fn] }];
    const seen = new Set([`${start.file}:${fn}`]);
    for (let depth = 0; depth < maxDepth && frontier.length > 0; depth++) {
      const next: Step[] = [];
      for (const s of frontier) {
        for (const c of s.f.calls) {
          if (opts.skip?.(c, s.f, s.file)) continue;
          if (pred(c, s.f, s.file)) return { chain: [...s.chain, c.callee], site: c, file: s.file };
        }
        if (depth + 1 >= maxDepth) continue;
        for (const c of s.f.calls) {
          if (opts.skip?.(c, s.f, s.file)) continue;
          if (Date.now() > deadline) return null;
          for (const d of this.definitions(s.file, c.callee)) {
            const k = `${d.file}:${c.callee}`;
            if (seen.has(k)) continue;
            seen.add(k);
            next.push({ file: d.file, f: d.f, chain: [...s.chain, c.callee] });
          }
        }
      }
      frontier = next;
    }
    return null;
  }

  private macros(path: string): Map<string, MacroFact> {
    const p = normal(path);
    const dir = dirname(p);
    let m = this.macroCache.get(p);
    if (m) return m;
    m = new Map();
    const own = this.light(p) ?? this.fileFacts(p);
    const headers = new Set<string>();
    for (const inc of own?.includes ?? []) headers.add(normal(posix.join(dir, inc)));
    for (const n of this.near(p)) if (n.endsWith(".h")) headers.add(n);
    for (const h of headers) {
      const t = this.provider.text(h);
      if (!t || !/#\s*define/.test(t)) continue;
      const hf = cachedFacts(h, t, { parse: false });
      for (const [k, v] of hf.macros) if (!m.has(k)) m.set(k, v);
    }
    for (const [k, v] of own?.macros ?? []) m.set(k, v);
    this.macroCache.set(p, m);
    return m;
  }

  /** Queues allocated in the path's file and directory, flags resolved. */
  private queuesNear(path: string): WorkqueueFact[] {
    const p = normal(path);
    const dir = dirname(p);
    let qs = this.dirQueues.get(dir);
    if (qs) return qs;
    qs = [];
    for (const file of [p, ...this.near(p)]) {
      const t = this.provider.text(file);
      if (!t || !/alloc_workqueue|alloc_ordered_workqueue|create_\w*workqueue/.test(t)) continue;
      const ff = this.light(file);
      for (const q of ff?.queues ?? []) {
        if (q.legacy) {
          qs.push({ ...q, memReclaim: true });
          continue;
        }
        const expanded = expandMacros(q.flags, this.macros(file));
        // a macro defined two ways (#ifdef): WQ_MEM_RECLAIM must show in the flags argument itself or every expansion
        qs.push({ ...q, expanded, memReclaim: memReclaimOf(expanded), legacy: /\b__WQ_LEGACY\b/.test(expanded) });
      }
    }
    this.dirQueues.set(dir, qs);
    return qs;
  }

  queueFlags(path: string, queueExpr: string): QueueInfo | null {
    const key = keyOf(queueExpr);
    if (SYSTEM_QUEUES.has(key)) return { key, memReclaim: false, legacy: false };
    const found = this.queuesNear(path).filter((q) => q.key === key);
    if (found.length === 0) return null;
    const vals = new Set(found.map((q) => q.memReclaim));
    const memReclaim = vals.size === 1 ? found[0]!.memReclaim : null;
    return { key, memReclaim, legacy: found.every((q) => q.legacy), at: { file: found[0]!.file, line: found[0]!.line } };
  }

  queuesOfWork(path: string, workExpr: string): QueueInfo[] {
    const key = keyOf(workExpr);
    const out = new Map<string, QueueInfo>();
    const p = normal(path);
    for (const file of [p, ...this.near(p)]) {
      const t = this.provider.text(file);
      if (!t || !t.includes(key)) continue;
      for (const q of this.light(file)?.queued ?? []) {
        if (q.work !== key || out.has(q.queue)) continue;
        out.set(q.queue, this.queueFlags(p, q.queue) ?? { key: q.queue, memReclaim: null, legacy: false });
      }
    }
    return [...out.values()];
  }

  workqueueOf(path: string, fn: string): QueueInfo[] {
    const p = normal(path);
    const keys = new Set<string>();
    for (const file of [p, ...this.near(p)]) {
      const t = this.provider.text(file);
      if (!t || !t.includes(fn)) continue;
      for (const w of this.light(file)?.works ?? []) if (w.fn === fn) keys.add(w.key);
    }
    const out = new Map<string, QueueInfo>();
    for (const k of keys) for (const q of this.queuesOfWork(p, k)) out.set(q.key, q);
    return [...out.values()];
  }
}

const RANK: Record<ScopeKind, number> = { nofs: 1, noio: 2, noreclaim: 3 };

function strongest(kinds: ScopeKind[]): ScopeKind | null {
  let best: ScopeKind | null = null;
  for (const k of kinds) if (!best || RANK[k] > RANK[best]) best = k;
  return best;
}

function weakest(kinds: ScopeKind[]): ScopeKind | null {
  let w: ScopeKind | null = null;
  for (const k of kinds) if (!w || RANK[k] < RANK[w]) w = k;
  return w;
}

/** Pairs a post-image index with an optional pre-image one. */
export function contextFacts(post: FactsIndex, pre: FactsIndex | null, opts: { audit?: boolean } = {}): ContextFacts {
  return Object.assign(Object.create(post) as FactsIndex, { pre, audit: opts.audit ?? false }) as unknown as ContextFacts;
}

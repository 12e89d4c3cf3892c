// Call chains across functions, for rules that ask "which role is this
// function reached from, and through which calls" and "what does this call
// reach below it". Upwards: the roots a function is reached from (its own
// ops-table registration or signature, its callers', and, for work items, the
// functions that queue the work), each path with the call sites on it, so a
// rule can read the state (scopes, locks) in force at every edge. Downwards:
// the calls a function reaches, through the definitions of its directory.
//
// Built on reclaim.ts's public API (views, roleOf, callersOf) and the
// c-scan of the directory; diff-only review follows the functions the patch
// shows, and says less.
import { dirname } from "node:path";
import { OPS_ROLES, QUEUE_CALLS, SIGNATURE_ROLES, WORK_INITS, type Role } from "../vocab/kernel-api.js";
import type { ScanFile, ScanFunction } from "./c-scan.js";
import { chainConflict, linksOf, type ChainConflict } from "./chain-conds.js";
import { getFacts } from "./facts.js";
import { analyseFunction, functionName, type FunctionFlow } from "./flow.js";
import { parseC } from "./parser.js";
import { evictionNotInReclaim } from "./pinned-dentries.js";
import { cachedScan, localStructType, noFlusher, opsRole, paramTypes, signatureRole, type FnView, type ReclaimAnalysis, type RoleFact } from "./reclaim.js";
import { registerMemo } from "./memos.js";

// ---------------------------------------------------------------- types

export interface Edge {
  /** The calling function (for a work edge: the function that queues the work). */
  caller: string;
  /** The called function (for a work edge: the work function). */
  callee: string;
  file: string;
  line: number;
  /** "work": the callee runs later in a worker (a new task context: nothing held or set at the queueing carries over). */
  kind: "call" | "work";
  /** For a work edge: the queueing call as written ("queue_work(fl->wq, &fl->work)"). */
  via?: string;
}

export interface RootPath {
  /** The root's own role (registration or signature). */
  role: RoleFact;
  /** From the root down to the function asked about; a work edge appears as its queueing call. */
  chain: string[];
  /** The call edges from the root down, outermost first. */
  edges: Edge[];
}

export interface Reached<T> {
  /** From the start function down to the matching callee (last). */
  chain: string[];
  /** Where the matching call is. */
  file: string;
  line: number;
  /** The function making the matching call. */
  fn: string;
  hit: T;
}

// ---------------------------------------------------------------- the directory

const MAX_DIR_BYTES = 16 * 1024 * 1024;
const flowCache = new Map<string, { text: string; flow: FunctionFlow | null }>();
registerMemo("call-chain flows", flowCache);

interface Dir {
  files: string[];
  /** c-scans, made when first asked (shared with reclaim.ts's cache). */
  scans: { get(file: string): ScanFile | undefined };
  texts: Map<string, string>;
  /** Where each line of a text starts (offsets), found when first asked. */
  lines: Map<string, Uint32Array>;
  /** Registrations by function name (built when first asked). */
  opsByFn: Map<string, { file: string; struct: string | null; field: string; line: number; holder: string }[]> | null;
  /** Role words found in the directory's texts, by the role set asked about. */
  mentions: Map<string, boolean>;
  /** Definitions by name (built when first asked). */
  defs?: Map<string, { file: string; fn: ScanFunction }[]>;
  /** Work-item initialisers by work function, and every queueing call (built when first asked). */
  work?: { inits: Map<string, { file: string; fn: ScanFunction; args: string[]; callee: string }[]>; queues: { file: string; fn: ScanFunction; args: string[]; callee: string; line: number }[] };
}

function workIndex(d: Dir): NonNullable<Dir["work"]> {
  if (d.work) return d.work;
  const inits = new Map<string, { file: string; fn: ScanFunction; args: string[]; callee: string }[]>();
  const queues: NonNullable<Dir["work"]>["queues"] = [];
  for (const f of d.files)
    for (const fn of d.scans.get(f)!.functions)
      for (const c of fn.calls) {
        const wi = WORK_INITS[c.callee];
        if (wi) {
          const target = (c.args[wi.fnArg] ?? "").replace(/^&\s*/, "");
          const l = inits.get(target);
          const e = { file: f, fn, args: c.args, callee: c.callee };
          if (l) l.push(e);
          else inits.set(target, [e]);
        } else if (QUEUE_CALLS[c.callee]) queues.push({ file: f, fn, args: c.args, callee: c.callee, line: c.line });
      }
  return (d.work = { inits, queues });
}

const dirMemo = new WeakMap<ReclaimAnalysis, Map<string, Dir>>();

/**
 * The post-image text of a file in the sources (undefined without sources);
 * when the patch did not apply to the tree, the tree's own file stands in.
 */
export function sourceText(a: ReclaimAnalysis, path: string): string | undefined {
  const facts = getFacts(a.source);
  if (!facts) return undefined;
  return a.source?.postImage(path) ?? facts.text(path) ?? a.source?.preImage(path);
}

/** Directories already read, shared across patches and files while their texts stay the same (few kept). */
const sharedDirs = new Map<string, Dir>();
registerMemo("call-chain directories", sharedDirs);

/** The C files of a path's directory, the path itself first (tree only; bounded in bytes); scanned and indexed when asked. */
function dirOf(a: ReclaimAnalysis, path: string): Dir {
  let m = dirMemo.get(a);
  if (!m) dirMemo.set(a, (m = new Map()));
  const d = dirname(path);
  let dir = m.get(d);
  if (dir) return dir;
  const files: string[] = [];
  const texts = new Map<string, string>();
  const facts = getFacts(a.source);
  if (facts) {
    let bytes = 0;
    for (const f of [path, ...facts.neighbours(path)]) {
      if (!/\.[ch]$/.test(f) || texts.has(f)) continue;
      const t = sourceText(a, f);
      if (t === undefined) continue;
      bytes += t.length;
      if (bytes > MAX_DIR_BYTES) break;
      files.push(f);
      texts.set(f, t);
    }
  }
  // the same directory with the same texts (another file of an audit, another patch of a series): reuse its indices
  const shared = sharedDirs.get(d);
  if (shared && shared.files.length === files.length && files.every((f) => shared.texts.get(f) === texts.get(f))) {
    m.set(d, shared);
    return shared;
  }
  const scans = new Map<string, ScanFile>();
  dir = {
    files,
    texts,
    scans: {
      get: (f) => {
        let sc = scans.get(f);
        const t = texts.get(f);
        if (!sc && t !== undefined) scans.set(f, (sc = cachedScan(`post:${f}`, t)));
        return sc;
      },
    },
    lines: new Map(),
    opsByFn: null,
    mentions: new Map(),
  };
  m.set(d, dir);
  if (files.length > 0) {
    if (sharedDirs.size >= 4) sharedDirs.delete(sharedDirs.keys().next().value!);
    sharedDirs.set(d, dir);
  }
  return dir;
}

/** The definition of `name` as seen from `path`: its own file first, then a non-static one of the directory. */
export function definitionOf(a: ReclaimAnalysis, path: string, name: string): { file: string; fn: ScanFunction } | null {
  const d = dirOf(a, path);
  if (!d.defs) {
    d.defs = new Map();
    for (const f of d.files)
      for (const fn of d.scans.get(f)!.functions) {
        const l = d.defs.get(fn.name);
        if (l) l.push({ file: f, fn });
        else d.defs.set(fn.name, [{ file: f, fn }]);
      }
  }
  const defs = d.defs.get(name);
  if (!defs) return null;
  return defs.find((x) => x.file === path) ?? defs.find((x) => !x.fn.isStatic) ?? null;
}

/** The lines of a scanned function as text (tree only). */
export function functionText(a: ReclaimAnalysis, file: string, fn: ScanFunction): string {
  const d = dirOf(a, file);
  const text = d.texts.get(file) ?? sourceText(a, file) ?? "";
  let starts = d.lines.get(file);
  if (!starts) {
    const at: number[] = [0];
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) at.push(i + 1);
    d.lines.set(file, (starts = Uint32Array.from(at)));
  }
  const from = starts[fn.start - 1] ?? text.length;
  const to = fn.end < starts.length ? starts[fn.end]! - 1 : text.length;
  return text.slice(from, Math.max(from, to));
}

/** Registrations of the directory by function name. */
function opsIndex(d: Dir): NonNullable<Dir["opsByFn"]> {
  if (d.opsByFn) return d.opsByFn;
  const m: NonNullable<Dir["opsByFn"]> = new Map();
  for (const f of d.files)
    for (const o of d.scans.get(f)!.ops) {
      const l = m.get(o.fn);
      const e = { file: f, struct: o.struct, field: o.field, line: o.line, holder: o.holder };
      if (l) l.push(e);
      else m.set(o.fn, [e]);
    }
  return (d.opsByFn = m);
}

const roleWordsMemo = new Map<string, RegExp>();

/** The words that must appear somewhere for a role to be found at all: its ops fields and its signature types. */
function roleWords(key: string, accept: (r: Role) => boolean): RegExp {
  let re = roleWordsMemo.get(key);
  if (re) return re;
  const words = new Set<string>();
  for (const table of Object.values(OPS_ROLES)) for (const [field, f] of Object.entries(table)) if (accept(f.role)) words.add(field);
  for (const r of SIGNATURE_ROLES) if (accept(r.role)) for (const p of r.params) words.add(p.replace(/^struct\s+/, ""));
  re = new RegExp(`\\b(?:${[...words].join("|")})\\b`);
  roleWordsMemo.set(key, re);
  return re;
}

/**
 * Whether a root of the accepted roles can exist near a function at all: the
 * directory (sources) or the patch (diff only) names one of the role's ops
 * fields or signature types. The search never leaves the directory, so
 * without them there is no path to find.
 */
function rolesPossible(a: ReclaimAnalysis, view: FnView, accept: (r: Role) => boolean, key: string): boolean {
  const re = roleWords(key, accept);
  if (a.patch.files.some((f) => f.hunks.some((h) => re.test(h.section) || h.lines.some((l) => l.kind !== "del" && re.test(l.text))))) return true;
  if (a.mode === "diff") return false;
  const d = dirOf(a, view.path);
  let m = d.mentions.get(key);
  if (m === undefined) d.mentions.set(key, (m = [...d.texts].some(([f, t]) => fileMentions(f, t, key, re))));
  return m;
}

/** Per file and text: whether it names a role word of `key` (a patch changes one file; the others keep their answer). */
const mentionCache = new Map<string, { text: string; byKey: Map<string, boolean> }>();
registerMemo("call-chain mentions", mentionCache);

function fileMentions(file: string, text: string, key: string, re: RegExp): boolean {
  let c = mentionCache.get(file);
  if (!c || c.text !== text) {
    c = { text, byKey: new Map() };
    if (mentionCache.size > 8000) mentionCache.delete(mentionCache.keys().next().value!);
    mentionCache.set(file, c);
  }
  let hit = c.byKey.get(key);
  if (hit === undefined) c.byKey.set(key, (hit = re.test(text)));
  return hit;
}

/** The definition text up to its body ("static blk_status_t foo(struct blk_mq_hw_ctx *h, ...)"). */
function signatureText(a: ReclaimAnalysis, file: string, fn: ScanFunction): string {
  const text = functionText(a, file, fn);
  const brace = text.indexOf("{");
  return (brace < 0 ? text : text.slice(0, brace)).replace(/\s+/g, " ").trim() || `${fn.name}(${fn.params})`;
}

/**
 * One function of a file walked by flow.ts: its span (from the directory
 * scan) parsed on its own, so a caller's state costs one function's parse,
 * not the file's. A few hundred kept, validated by the span's text.
 */
function flowOfSpan(a: ReclaimAnalysis, file: string, name: string): FunctionFlow | null {
  const def = definitionOf(a, file, name);
  if (!def || def.file !== file) return null;
  const text = functionText(a, file, def.fn);
  const key = `${file}\0${name}`;
  const c = flowCache.get(key);
  if (c && c.text === text) return c.flow;
  let flow: FunctionFlow | null = null;
  const tree = parseC(text);
  try {
    const n = tree.rootNode.descendantsOfType("function_definition").find((x) => x !== null && functionName(x) === name);
    if (n) flow = analyseFunction(n, { lineOffset: def.fn.start - 1 });
  } finally {
    tree.delete();
  }
  if (flowCache.size >= 256) flowCache.delete(flowCache.keys().next().value!);
  flowCache.set(key, { text, flow });
  return flow;
}

/** The path walk of a function: a view of the patch when it is one, else (tree) the function parsed from its file. */
export function flowIn(a: ReclaimAnalysis, file: string, name: string): FunctionFlow | null {
  const v = a.post().find((x) => x.path === file && x.name === name);
  // the patch's own view: whole, or a fragment when the patch did not apply to the tree (the tree's text is the old code)
  if (v && (v.whole || a.mode === "diff" || a.source?.postImage(file) === undefined)) return v.flow;
  if (a.mode === "diff") return v?.flow ?? null;
  return flowOfSpan(a, file, name) ?? v?.flow ?? null;
}

// ---------------------------------------------------------------- roles

/** A function's own role (ops table of its directory, or its signature): no callers. */
function ownRoleInTree(a: ReclaimAnalysis, file: string, fn: ScanFunction): RoleFact | null {
  const d = dirOf(a, file);
  for (const o of opsIndex(d).get(fn.name) ?? []) {
    const r = opsRole(o.struct, o.field);
    if (r && !evictionNotInReclaim(d.scans.get(o.file), o, r.role)) return { role: r.role, label: r.label, root: fn.name, chain: [fn.name], how: "ops-table", at: { file: o.file, line: o.line }, ...noFlusher(d.scans.get(o.file), o) };
  }
  const s = signatureRole(signatureText(a, file, fn));
  return s ? { role: s.role, label: s.label, root: fn.name, chain: [fn.name], how: "signature" } : null;
}

/** A view's own role (registration or signature), as the analysis sees it. */
function ownRoleOfView(a: ReclaimAnalysis, v: FnView): RoleFact | null {
  const r = a.roleOf(v);
  return r && r.chain.length === 1 ? r : null;
}

// ---------------------------------------------------------------- upwards

interface Node {
  file: string;
  name: string;
  chain: string[];
  edges: Edge[];
}

export interface RootOptions {
  /** Names the accepted role set (memoises the words a root needs to exist). */
  key?: string;
  /** Also climb from a work function to the functions that queue its work item. */
  work?: boolean;
  /** Call levels to climb (default 5). */
  maxDepth?: number;
  /** Most paths returned (default 16). */
  maxPaths?: number;
}

/**
 * The paths by which a function is reached from a root whose role `accept`
 * takes: the function itself, its callers (the directory with sources, the
 * patch's functions without), and with `work` the queueing of its work item.
 * Shortest first.
 */
export function rootsOf(a: ReclaimAnalysis, view: FnView, accept: (r: Role) => boolean, opts: RootOptions = {}): RootPath[] {
  const maxDepth = opts.maxDepth ?? 5;
  const maxPaths = opts.maxPaths ?? 16;
  const out: RootPath[] = [];
  if (opts.key !== undefined && !rolesPossible(a, view, accept, opts.key)) return out;
  const own = ownRoleOfView(a, view);
  if (own && accept(own.role)) out.push({ role: own, chain: [view.name], edges: [] });
  let frontier: Node[] = [{ file: view.path, name: view.name, chain: [view.name], edges: [] }];
  const seen = new Set<string>([`${view.path}:${view.name}`]);
  for (let depth = 0; depth < maxDepth && frontier.length > 0 && out.length < maxPaths; depth++) {
    const next: Node[] = [];
    for (const n of frontier) {
      for (const up of [...callersUp(a, n), ...(opts.work ? workUp(a, n) : [])]) {
        const k = `${up.node.file}:${up.node.name}`;
        if (seen.has(k)) continue;
        seen.add(k);
        if (up.role && accept(up.role.role)) {
          // a chain whose calls need one fact both ways never runs
          if (up.node.edges.length > 1 && chainConflictOf(a, up.node.edges)) continue;
          out.push({ role: up.role, chain: up.node.chain, edges: up.node.edges });
          if (out.length >= maxPaths) break;
          continue;
        }
        next.push(up.node);
      }
    }
    frontier = next.slice(0, 64);
  }
  return out.sort((x, y) => x.edges.length - y.edges.length);
}

/**
 * Whether two calls of a chain (root first) need a condition on the root's objects both true and false
 * (chain-conds.ts): `IS_P3P_TYPE(vha->hw)` at the root's call, `!IS_P3P_TYPE(ha)` (an early exit) three links down.
 */
export function chainConflictOf(a: ReclaimAnalysis, edges: readonly Edge[]): ChainConflict | null {
  const links = linksOf(edges, (file, name) => {
    const flow = flowIn(a, file, name);
    if (!flow) return null;
    // the text the walk was made from: none for a fragment of the patch (the tree's version may be other code)
    const fragment = a.post().some((v) => v.path === file && v.name === name && !v.whole && v.flow === flow);
    const def = a.mode === "diff" || fragment ? null : definitionOf(a, file, name);
    return { flow, text: def && def.file === file ? functionText(a, file, def.fn) : "" };
  });
  return links.length > 1 ? chainConflict(links) : null;
}

/** A view of the patch whose text the tree does not hold (diff only, or the patch did not apply): only the patch shows it. */
function patchOnly(a: ReclaimAnalysis, v: FnView): boolean {
  return a.mode === "diff" || (!v.whole && a.source?.postImage(v.path) === undefined);
}

function callersUp(a: ReclaimAnalysis, n: Node): { node: Node; role: RoleFact | null }[] {
  const out: { node: Node; role: RoleFact | null }[] = [];
  {
    // the patch's own functions that the tree cannot show
    for (const o of a.post()) {
      if (!patchOnly(a, o)) continue;
      if (o.name === n.name || o.name === "?") continue;
      const ev = o.flow.events.find((e) => e.callee === n.name);
      if (!ev) continue;
      out.push({
        node: { file: o.path, name: o.name, chain: [o.name, ...n.chain], edges: [{ caller: o.name, callee: n.name, file: o.path, line: ev.line, kind: "call" }, ...n.edges] },
        role: ownRoleOfView(a, o),
      });
    }
    if (a.mode === "diff") return out;
  }
  const fromPatch = new Set(out.map((o) => `${o.node.file}:${o.node.name}`));
  for (const c of a.callersOf(n.file, n.name)) {
    if (c.fn.name === n.name || fromPatch.has(`${c.file}:${c.fn.name}`)) continue;
    out.push({
      node: { file: c.file, name: c.fn.name, chain: [c.fn.name, ...n.chain], edges: [{ caller: c.fn.name, callee: n.name, file: c.file, line: c.line, kind: "call" }, ...n.edges] },
      role: ownRoleInTree(a, c.file, c.fn),
    });
    if (out.length >= 32) break;
  }
  return out;
}

/** A work item as an initialiser or a queueing call names it: the member path after its base, and the base's struct type. */
interface WorkKey {
  /** "rootcg_work", "f.work"; a plain identifier for a global or a local. */
  path: string;
  /** The base variable ("lo"), or null for a plain identifier. */
  base: string | null;
  type: string | null;
}

function workKey(expr: string, typeOf: (v: string) => string | null): WorkKey | null {
  const e = expr.replace(/\s+/g, "").replace(/^\(+|\)+$/g, "").replace(/^&/, "");
  const m = /^([A-Za-z_]\w*)((?:->|\.)[A-Za-z_][\w.>-]*)$/.exec(e);
  if (m) return { path: m[2]!.replace(/^(?:->|\.)/, "").replace(/->/g, "."), base: m[1]!, type: typeOf(m[1]!) };
  if (/^[A-Za-z_]\w*$/.test(e)) return { path: e, base: null, type: null };
  return null;
}

/**
 * The same work item: the same member path, and the same struct type when
 * both are known; with a type unknown, only a path that says more than one
 * short word ("rootcg_work", "f.work", not "work") is taken as the same.
 */
function sameWork(x: WorkKey, y: WorkKey): boolean {
  if (x.path !== y.path) return false;
  if (x.type && y.type) return x.type === y.type;
  return /[._]/.test(x.path);
}

/** Struct types of a scanned function's parameters and (from its text) locals. */
function typesIn(a: ReclaimAnalysis, file: string, fn: ScanFunction): (v: string) => string | null {
  const params = paramTypes(fn.params);
  let body: string | null = null;
  return (v) => {
    const p = params.get(v);
    if (p) return p;
    body ??= functionText(a, file, fn);
    return localStructType(body, v);
  };
}

/**
 * Functions that queue the work item whose function is `n`: an initialiser
 * (INIT_WORK(&x->m, n)) names the item; a queueing call whose work argument
 * is the same item, or a local the queueing function fills from it.
 */
function workUp(a: ReclaimAnalysis, n: Node): { node: Node; role: RoleFact | null }[] {
  const out: { node: Node; role: RoleFact | null }[] = [];
  const items: WorkKey[] = [];
  const queuers: { file: string; name: string; line: number; call: string; fn: ScanFunction | null; view: FnView | null }[] = [];
  /** The work items a queueing argument may be: itself, or what a local of the function is filled from. */
  const candidates = (arg: string, typeOf: (v: string) => string | null, body: () => string): WorkKey[] => {
    const k = workKey(arg, typeOf);
    if (!k) return [];
    if (k.base !== null) return [k];
    const out: WorkKey[] = [k];
    for (const m of body().matchAll(new RegExp(`\\b${k.path}\\s*=\\s*&?\\s*([A-Za-z_]\\w*(?:\\s*(?:->|\\.)\\s*[A-Za-z_]\\w*)+)`, "g"))) {
      const f = workKey(m[1]!, typeOf);
      if (f) out.push(f);
    }
    return out;
  };
  if (a.mode === "diff") {
    for (const o of a.post())
      for (const e of o.flow.events)
        if (e.info.kind === "work-init" && e.info.fn === n.name) {
          const k = workKey(e.info.work, (v) => o.flow.types.get(v) ?? null);
          if (k) items.push(k);
        }
    if (items.length === 0) return out;
    for (const o of a.post())
      for (const e of o.flow.events) {
        if (e.info.kind !== "queue") continue;
        const body = () => viewText(a, o);
        if (candidates(e.info.work, (v) => o.flow.types.get(v) ?? null, body).some((c) => items.some((i) => sameWork(i, c))))
          queuers.push({ file: o.path, name: o.name, line: e.line, call: `${e.callee}(${e.args.join(", ")})`, fn: null, view: o });
      }
  } else {
    const w = workIndex(dirOf(a, n.file));
    for (const c of w.inits.get(n.name) ?? []) {
      const k = workKey(c.args[WORK_INITS[c.callee]!.workArg] ?? "", typesIn(a, c.file, c.fn));
      if (k) items.push(k);
    }
    if (items.length === 0) return out;
    for (const c of w.queues) {
      const q = QUEUE_CALLS[c.callee]!;
      const typeOf = typesIn(a, c.file, c.fn);
      if (candidates(c.args[q.workArg] ?? "", typeOf, () => functionText(a, c.file, c.fn)).some((k) => items.some((i) => sameWork(i, k))))
        queuers.push({ file: c.file, name: c.fn.name, line: c.line, call: `${c.callee}(${c.args.join(", ")})`, fn: c.fn, view: null });
    }
  }
  for (const q of queuers) {
    if (q.name === n.name) continue;
    const role = q.view ? ownRoleOfView(a, q.view) : q.fn ? ownRoleInTree(a, q.file, q.fn) : null;
    out.push({
      node: { file: q.file, name: q.name, chain: [q.name, q.call, ...n.chain], edges: [{ caller: q.name, callee: n.name, file: q.file, line: q.line, kind: "work", via: q.call }, ...n.edges] },
      role,
    });
  }
  return out;
}

/** The lines of a patch view as one text (diff only: what the hunks show). */
function viewText(a: ReclaimAnalysis, v: FnView): string {
  const out: string[] = [];
  for (const f of a.patch.files) {
    if (f.path !== v.path) continue;
    for (const h of f.hunks) for (const l of h.lines) if (l.kind !== "del" && l.newLine !== null && l.newLine >= v.flow.start && l.newLine <= v.flow.end) out.push(l.text);
  }
  return out.join("\n");
}

// ---------------------------------------------------------------- downwards

export interface ReachOptions {
  /** Call levels to descend below the start function (default 3). */
  maxDepth?: number;
  /** Most hits returned (default 32). */
  maxHits?: number;
}

/**
 * Calls reachable from function `start` (as seen from `file`) that `match`
 * classifies: through the definitions of the directory (sources), or the
 * patch's functions (diff only). Shortest chains first.
 */
export function reachBelow<T>(a: ReclaimAnalysis, file: string, start: string, match: (callee: string, args: string[]) => T | null, opts: ReachOptions = {}): Reached<T>[] {
  const maxDepth = opts.maxDepth ?? 3;
  const maxHits = opts.maxHits ?? 32;
  const out: Reached<T>[] = [];
  let frontier = [{ file, name: start, chain: [start] }];
  const seen = new Set<string>([`${file}:${start}`]);
  for (let depth = 0; depth < maxDepth && frontier.length > 0 && out.length < maxHits; depth++) {
    const next: typeof frontier = [];
    for (const s of frontier) {
      const calls = callsOf(a, s.file, s.name);
      if (!calls) continue;
      for (const c of calls.calls) {
        const hit = match(c.callee, c.args);
        if (hit !== null) {
          out.push({ chain: [...s.chain, c.callee], file: calls.file, line: c.line, fn: s.name, hit });
          if (out.length >= maxHits) break;
          continue;
        }
        const k = `${calls.file}:${c.callee}`;
        if (seen.has(k) || seen.size > 400 || c.callee.startsWith("->")) continue;
        seen.add(k);
        next.push({ file: calls.file, name: c.callee, chain: [...s.chain, c.callee] });
      }
    }
    frontier = next;
  }
  return out;
}

/** The calls a function makes (try-locks excluded from nothing: `match` decides). */
function callsOf(a: ReclaimAnalysis, file: string, name: string): { file: string; calls: { callee: string; args: string[]; line: number }[] } | null {
  // (a fragment of context lines only, around another function's change, is not the patch's version of this one:
  // the tree's definition stands for it when there is one)
  const vs = a.post().filter((v) => v.name === name && patchOnly(a, v) && (v.changed.size > 0 || a.mode === "diff" || definitionOf(a, v.path, name) === null));
  const v = vs.find((x) => x.path === file) ?? vs[0];
  if (v) return { file: v.path, calls: v.flow.events.filter((e) => !(e.info.kind === "lock" && e.info.op === "try")).map((e) => ({ callee: e.callee, args: e.args, line: e.line })) };
  if (a.mode === "diff") return null;
  const def = definitionOf(a, file, name);
  if (!def) return null;
  // calls through a member pointer (`sb->dq_op->write_dquot(dq)`) as "->field", the way the path walk names them
  const pointer = (def.fn.pointerCalls ?? []).map((p) => ({ callee: `->${p.field}`, args: [] as string[], line: p.line }));
  return { file: def.file, calls: pointer.length > 0 ? [...def.fn.calls, ...pointer].sort((x, y) => x.line - y.line) : def.fn.calls };
}

/** Whether the function's definition is visible (the patch shows it, or the directory holds it). */
export function definitionVisible(a: ReclaimAnalysis, file: string, name: string): boolean {
  if (a.mode === "diff") return a.post().some((v) => v.name === name && v.flow.entryVisible);
  return definitionOf(a, file, name) !== null;
}

/** The functions of the directory (tree) whose calls include one that `pick` selects, with their flows. */
export function directoryFlows(a: ReclaimAnalysis, near: string, pick: (callee: string, args: string[]) => boolean): { file: string; flow: FunctionFlow }[] {
  const out: { file: string; flow: FunctionFlow }[] = [];
  if (a.mode === "diff") {
    for (const v of a.post()) if (v.flow.events.some((e) => pick(e.callee, e.args))) out.push({ file: v.path, flow: v.flow });
    return out;
  }
  const d = dirOf(a, near);
  for (const f of d.files)
    for (const fn of d.scans.get(f)!.functions) {
      if (!fn.calls.some((c) => pick(c.callee, c.args))) continue;
      const flow = flowIn(a, f, fn.name);
      if (flow) out.push({ file: f, flow });
      if (out.length >= 64) return out;
    }
  return out;
}

/** "foo_scan (shrinker.scan_objects)": the root of a path as a reviewer names it. */
export function rootLabel(p: RootPath): string {
  return `${p.role.root} (${p.role.label})`;
}

/**
 * The functions reachable from `start` (itself included), each with its path
 * walk and the chain of calls to it: the patch's functions (diff only) or the
 * directory's definitions, parsed (sources). Breadth first, bounded.
 */
export function flowsBelow(a: ReclaimAnalysis, file: string, start: string, maxDepth = 4, maxFns = 48): { file: string; flow: FunctionFlow; chain: string[] }[] {
  const out: { file: string; flow: FunctionFlow; chain: string[] }[] = [];
  let frontier = [{ file, name: start, chain: [start] }];
  const seen = new Set<string>([`${file}:${start}`]);
  for (let depth = 0; depth <= maxDepth && frontier.length > 0 && out.length < maxFns; depth++) {
    const next: typeof frontier = [];
    for (const s of frontier) {
      let at = s.file;
      if (a.mode === "diff") {
        const vs = a.post().filter((x) => x.name === s.name);
        const v = vs.find((x) => x.path === s.file) ?? vs[0];
        if (!v) continue;
        at = v.path;
      } else {
        const def = definitionOf(a, s.file, s.name);
        if (!def) continue;
        at = def.file;
      }
      const flow = flowIn(a, at, s.name);
      if (!flow) continue;
      out.push({ file: at, flow, chain: s.chain });
      if (out.length >= maxFns) break;
      for (const e of flow.events) {
        if (e.info.kind !== "call" || e.callee.startsWith("->")) continue;
        const k = `${at}:${e.callee}`;
        if (seen.has(k)) continue;
        seen.add(k);
        next.push({ file: at, name: e.callee, chain: [...s.chain, e.callee] });
      }
    }
    frontier = next;
  }
  return out;
}

/** A function of the sources as a view (not touched by the patch): for asking rootsOf about it. */
export function viewOf(a: ReclaimAnalysis, file: string, flow: FunctionFlow): FnView {
  const own = a.post().find((v) => v.path === file && v.name === flow.name);
  if (own) return own;
  return { path: file, name: flow.name, flow, image: "post", whole: a.mode !== "diff", changed: new Set(), signature: `${flow.returnType ? `${flow.returnType} ` : ""}${flow.name}(${flow.params.join(", ")})` };
}

/** Functions the directory registers for an ops field ("super_operations.evict_inode"); none without sources. */
export function opsImplementations(a: ReclaimAnalysis, near: string, struct: string, field: string): { file: string; name: string; line: number }[] {
  if (a.mode === "diff") return [];
  const d = dirOf(a, near);
  const out: { file: string; name: string; line: number }[] = [];
  for (const f of d.files)
    for (const o of d.scans.get(f)!.ops) if (o.field === field && (o.struct === struct || o.struct === null)) out.push({ file: f, name: o.fn, line: o.line });
  return out;
}

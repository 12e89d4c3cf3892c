// The reclaim-context analysis: computed once per patch (and source
// context), read by every rule. For each function the patch touches it
// knows, at every tracked call, which memalloc scopes are in force (in the
// function, and held by every caller), what is held (locks, handles, a frozen
// queue — in the function or by some caller), which role the function has in
// a path reclaim waits on (from ops tables, signatures and callers), and
// which locks and handles reclaim itself takes (from the shrinker, eviction,
// release and writeback paths of the same code). From those, each allocation
// gets its hazards: a chain that is complete, or the one missing link.
//
// Diff-only review sees fragments; with a source tree the whole functions,
// their directory and callers. The same questions, the same vocabulary.
import { dirname } from "node:path";
import type { Hunk, KernelVersion, Patch, SourceContext } from "../types.js";
import {
  allocatorOf,
  EVICTING_CALLS,
  EVICT_UNLINKED,
  FILE_IO_OPS,
  FS_IO_CALLS,
  SYNC_IO_CALLS,
  WAIT_CALLS,
  WRITEBACK_MARKS,
  allocationNeedles,
  FIELD_ROLES,
  CORE_PATH_FUNCTIONS,
  MAPPING_MASK_SOURCES,
  HANDLE_APIS,
  LAST_REFERENCE_TESTS,
  DISK_NOT_LIVE_CALLS,
  WRITE_PATH_FIELDS,
  FILESYSTEM_TABLES,
  BLOCK_DRIVER_TABLES,
  LOCK_CALLS,
  RECLAIM_LOCKDEP_PRIME,
  THREAD_SPAWNERS,
  WQ_CONSTRUCTORS,
  WORK_INITS,
  OPS_ROLES,
  ROLE_NEEDS,
  SIGNATURE_ROLES,
  handleCall,
  handleParam,
  isSleepingLock,
  type OpsField,
  type Role,
  type ScopeKind,
} from "../vocab/kernel-api.js";
import { NEWEST_RELEASE } from "../vocab/release.js";
import { lowerBound } from "../sorted.js";
import { paramName, paramsOfSignature, scanFile, type ScanFile, type ScanFunction, type ScanOps } from "./c-scan.js";

export { paramsOfSignature };
import { regionFlow, regionsOf, type Region } from "./diff-model.js";
import { lockKeyOf, mayAllocateWithMask, type LockKey } from "./events.js";
import { getFacts, type ContextFacts } from "./facts.js";
import { contradicted, isConstant } from "./feasible.js";
import { unlinkedOnly } from "./unlinked.js";
import { evictionNotInReclaim } from "./pinned-dentries.js";
import { writepageWithoutFlusher } from "./untagged-writeback.js";
import { chainConflict, linksOf, type ChainEdge } from "./chain-conds.js";
import { analyseFunction, functionName, sameLock, type FlowEvent, type FlowOptions, type FunctionFlow, type HeldEntry } from "./flow.js";
import { applyScopes, decidedByCaller, evalMask, looksLikeGfpVariable, scopeKinds, type Mask } from "./gfp.js";
import { parseC, parserReady } from "./parser.js";
import { MAX_LINE, blankDeadConditionals, stripLine, takeFirstBranches } from "./c-lines.js";
import { findLockWrappers, wrapperLockExpr, wrappersKey, type LockWrapper, type LockWrappers } from "./lock-wrappers.js";
import { registerMemo } from "./memos.js";

// ---------------------------------------------------------------- types

export interface FnView {
  path: string;
  name: string;
  flow: FunctionFlow;
  image: "post" | "pre";
  /** The whole function from a source file (entry and end visible), not a fragment of a hunk. */
  whole: boolean;
  /** Lines of this function the patch added (post image) or deleted (pre image). */
  changed: ReadonlySet<number>;
  /** The definition text (signature), as far as known. */
  signature: string;
}

/**
 * For an allocation on a writeback path reclaim does not call itself
 * (->writepages, ->write_inode, their helpers): whether the task owns folios
 * reclaim may wait on when it allocates. `owner`: the call that says so
 * ("folio_start_writeback() at line 412 of foo_writepage()"); null
 * when none precedes it on the path. `known`: the whole path was read, from the
 * entry of a registered ->writepages or ->write_inode (the VFS calls those
 * owning no folio) through every function of the chain.
 */
export interface WritebackState {
  owner: string | null;
  known: boolean;
}

export interface RoleFact {
  role: Role;
  /** Reclaim itself calls the root (see OpsField.inReclaim). */
  inReclaim?: boolean;
  /** "blk_mq_ops.queue_rq", "a shrinker callback (struct shrink_control parameter)". */
  label: string;
  /** The function that has the role. */
  root: string;
  /** From the root down to the function asked about. */
  chain: string[];
  /** "core": a function of the kernel's own IO path the vocabulary names (CORE_PATH_FUNCTIONS), in its file. */
  how: "ops-table" | "signature" | "core";
  /** Where the registration was seen. */
  at?: { file: string; line: number };
  /** The file of each link of the chain but the last, where the caller search found it (links in other directories). */
  linkFiles?: string[];
  /**
   * A ->writepage whose table marks folios dirty with this untagging dirty_folio and has no ->writepages
   * (vocabulary UNTAGGED_DIRTY): no flusher writeback runs it, only page reclaim itself.
   */
  noFlusher?: string;
  /**
   * A bio completion of a filesystem directory with no write path (address_space_operations registered, none of
   * WRITE_PATH_FIELDS set): its IO is reads, which page reclaim does not wait for.
   */
  readsOnly?: string;
}

export interface ReclaimTaker {
  what: "lock" | "handle";
  key?: LockKey;
  api?: string;
  /** The reclaim-side function that takes it, and its role (null for a lock taken inside a queue freeze). */
  role: RoleFact | null;
  /** The code tells lockdep the lock is taken in reclaim (fs_reclaim_acquire() ... might_lock()) in `fn`. */
  primed?: { fn: string };
  /**
   * The lock is taken while a request queue is frozen (`frozen`: the freeze, `fn`: the function): IO that
   * reclaim issues to the queue waits for the unfreeze, and the unfreeze waits for whoever holds the lock.
   */
  underFreeze?: { frozen: HeldEntry; fn: string };
  /** From the role function to the call that takes it. */
  chain: string[];
  file: string;
  line: number;
  /** The if-conditions the lock is taken under in its function (none: on every path that reaches the call). */
  conds?: string[];
}

export interface CallerPath {
  /** Outermost caller first, ending with the caller that calls the function asked about. */
  chain: string[];
  /** The arguments of the immediate caller's call. */
  args: string[];
  file: string;
  line: number;
  mustScopes: ScopeKind[];
  held: { entry: HeldEntry; must: boolean }[];
  /** Transaction handles the path's callers are given as parameters (they run inside a transaction), outermost first. */
  handleParams: { api: string; param: string; fn: string }[];
}

export interface CallerFacts {
  /** Callers were looked for (a source tree). */
  searched: boolean;
  /** Every caller is known: the function is static and its address is not taken (or the tree was searched whole). */
  complete: boolean;
  paths: CallerPath[];
  /** Scopes every caller path holds at the call (only when complete and there is at least one caller). */
  everyScope: ScopeKind[];
}

export type Hazard =
  | {
      kind: "role";
      role: RoleFact;
      needs: "io" | "fs" | "reclaim";
      maskKnown: boolean;
      /** The mask is a parameter and the role's chain passes it: "find_dev() passes GFP_ATOMIC" (else the site's maskFrom). */
      maskFrom?: string;
      writeback?: WritebackState;
    }
  | { kind: "held-lock"; held: HeldEntry; must: boolean; via: string[] | null; taker: ReclaimTaker | null }
  | {
      kind: "held-handle";
      held: HeldEntry | null;
      api: string;
      via: string[] | null;
      /** The handle is a parameter: of the function itself, or (`paramOf`) of a caller on `via`, whose callers hold it. */
      param?: string;
      paramOf?: string;
      scope: HandleScope;
    }
  | { kind: "frozen"; held: HeldEntry; via: string[] | null }
  /** A dma-fence signalling section is open: reclaim (shrinkers, mmu notifiers) may wait for the fence this code signals. */
  | { kind: "fence"; held: HeldEntry; via: string[] | null; fs: boolean };

export interface HandleScope {
  scope: "nofs" | null;
  where: string;
  /** "tree": derived from the sources under review; "vocabulary": what the derivation found in linux-6.12. */
  how: "tree" | "vocabulary";
}

export interface AllocSite {
  fn: FnView;
  /**
   * A spinlock, rwlock or RCU read section held here on every path: an allocation that may sleep is a bug of its own
   * (sleeping in atomic context), which the rules say beside the reclaim hazard; no held-lock hazard is recorded then
   * (what else is held is not judged).
   */
  atomic?: { lock: string; line: number };
  ev: FlowEvent & { info: Extract<FlowEvent["info"], { kind: "alloc" }> };
  /** On a line the patch added. */
  added: boolean;
  /** Where a finding on it goes: the first added line of the call (its arguments may span several lines), else its first line. */
  at: number;
  /** The mask as written. */
  mask: Mask;
  /** A mask variable of the function resolved from its assignments (maskFromLocals): the value, and where from. */
  maskLocal?: LocalMask;
  /** After the scopes open on every path here and held by every caller. */
  effective: Mask;
  /** A scope is open on some path to here but not on all. */
  scopeSomePaths: boolean;
  /** Scopes every caller holds. */
  callerScopes: ScopeKind[];
  /** The mask is a parameter: the caller whose argument made it what `effective` says ("foo() passes GFP_KERNEL"). */
  maskFrom: string | null;
  /** The event is a call to a function that allocates: the chain from the callee to the allocation. */
  through?: string[];
  /** The call is through a pointer (`entry->store()`): the target that allocates and the initialisers it is registered in. */
  pointer?: { call: string; struct: string; field: string; target: string };
  /** The state at the start of the function is not visible (a fragment): a scope or lock above it is unknown. */
  entryUnknown: boolean;
  /**
   * The allocation fills a field that the function first tests for empty (`if (!x->buf)`, `if (x->buf) return`):
   * it runs only while the field is empty, which for a buffer kept across resets is first use, not the reset.
   */
  onceGuard?: { field: string; why: string };
  /** A transaction handle held here (started above, or passed in) whose start saves a NOFS scope into it: what makes it NOFS. */
  handleNofs?: { api: string; scope: HandleScope; param: string | null };
  hazards: Hazard[];
}

// ---------------------------------------------------------------- caches

const MAX_DIR_BYTES = 16 * 1024 * 1024;
/**
 * Callers in other directories (with a tree, for patches): the time one review spends searching the tree for users
 * of exported functions (a search starts only while less has been spent; a search of fs/ takes ~0.04 s, of
 * drivers/ ~0.7 s, of the whole linux-6.12 tree ~1 s), and the most files of other directories read for one such
 * function (a helper used more widely than that is left unread: what its users hold is not known).
 */
const REMOTE_SEARCH_MS = 1000;
const MAX_REMOTE_FILES = 24;
/**
 * One search's time bound (git grep is stopped after it), and the search roots that ran out of it in this process:
 * those are not searched again; the function's own directory is (drivers/ of linux-6.12 at a commit of a bare
 * repository takes ~4 s, fs/ ~0.3 s).
 */
const REMOTE_GREP_MS = 500;
/** How many callers up the role of an allocation is looked for in a patch review (other role lookups and the audit: four). */
const ALLOC_ROLE_DEPTH = 10;
/** More functions than this calling a framework's ops field through a pointer: the field says too little (frameworkCallersOf()). */
const MAX_FRAMEWORK_SITES = 8;
const slowRoots = new Set<string>();
/** The names a file exports to other modules (EXPORT_SYMBOL(name) and its _GPL/_NS forms), per scan of its text. */
const exportMemo = new WeakMap<ScanFile, Set<string>>();
const EXPORT_RE = /^\s*EXPORT_SYMBOL(?:_GPL)?(?:_NS(?:_GPL)?)?\s*\(\s*([A-Za-z_]\w*)/gm;
function exportsOf(scan: ScanFile, text: string): Set<string> {
  let m = exportMemo.get(scan);
  if (!m) {
    m = new Set([...text.matchAll(EXPORT_RE)].map((x) => x[1]!));
    exportMemo.set(scan, m);
  }
  return m;
}
const scanCache = new Map<string, { text: string; scan: ScanFile }>();
const parseCache = new Map<string, FileFlows>();
registerMemo("reclaim scans", scanCache);
registerMemo("reclaim flows", parseCache);

/** The c-scan of a text, cached by key (shared with the modules built on this analysis). */
export function cachedScan(path: string, text: string): ScanFile {
  const c = scanCache.get(path);
  if (c && c.text === text) {
    // least recently used first out: a hit moves to the end
    scanCache.delete(path);
    scanCache.set(path, c);
    return c.scan;
  }
  const scan = scanFile(blankDeadConditionals(text));
  if (scanCache.size > 6000) scanCache.delete(scanCache.keys().next().value!);
  scanCache.set(path, { text, scan });
  return scan;
}

/** Every function of a file walked by flow.ts (parsed once per text). */
/**
 * The functions of one file, walked on demand: the directory scan gives each
 * function's lines, and only a function asked about is parsed (its own text,
 * not the whole file) and walked, once.
 */
class FileFlows {
  private flows = new Map<string, FunctionFlow | null>();
  /**
   * Every function of the file with its lines, in order; `key` finds its walk: the name for the first definition of
   * a name, `name@line` for another one (alternatives under preprocessor conditionals, `#if !defined(X)` stubs).
   */
  readonly spans: { name: string; key: string; start: number; end: number }[];
  private byName = new Map<string, ScanFunction>();
  /** The text's lines with never-compiled conditional blocks blanked (null: there are none). */
  private live: string[] | null | undefined;

  constructor(
    readonly path: string,
    readonly text: string,
    private readonly wrappers?: LockWrappers,
  ) {
    const scan = cachedScan(path, text);
    this.spans = [];
    for (const f of scan.functions) {
      const key = this.byName.has(f.name) ? `${f.name}@${f.start}` : f.name;
      if (this.byName.has(key)) continue;
      this.byName.set(key, f);
      this.spans.push({ name: f.name, key, start: f.start, end: f.end });
    }
  }

  /** The walk of a function by name (its first definition) or by a span's key. */
  get(key: string): FunctionFlow | undefined {
    if (this.flows.has(key)) return this.flows.get(key) ?? undefined;
    const fn = this.byName.get(key);
    const name = fn?.name ?? key;
    let flow: FunctionFlow | null = null;
    if (fn) {
      // the lines the preprocessor never compiles (#if 0) are blank: their calls are not events; of the other
      // conditional groups inside the function the first branch is read (every configuration option on), so that a
      // group splitting a statement does not leave the parser an error where the rest of the function was (a group
      // around whole functions is left alone: each of its definitions has a span of its own)
      if (this.live === undefined) {
        const live = blankDeadConditionals(this.text);
        this.live = live === this.text ? null : live.split("\n");
      }
      const body = takeFirstBranches((this.live ?? treeLines(this.path, this.text)).slice(fn.start - 1, fn.end).join("\n"));
      const tree = parseC(body);
      try {
        // a definition through a macro is the one definition of its lines, under the macro's name: it takes the name
        // the scan gave it, and its parameters (the macro's arguments) are not read as parameters
        const defs = tree.rootNode.descendantsOfType("function_definition");
        const node = fn.definedBy ? (defs.find((n) => n !== null && n.parent?.type === "translation_unit") ?? null) : (defs.find((n) => n !== null && functionName(n) === name) ?? null);
        if (node) flow = analyseFunction(node, { lineOffset: fn.start - 1, ...(this.wrappers ? { wrappers: this.wrappers } : {}) });
        if (flow && fn.definedBy) flow = { ...flow, name, params: [] };
      } finally {
        tree.delete();
      }
    }
    this.flows.set(key, flow);
    return flow ?? undefined;
  }

  values(): FunctionFlow[] {
    return this.spans.map((s) => this.get(s.key)).filter((f): f is FunctionFlow => f !== undefined);
  }
}

function cachedFlows(path: string, text: string, wrappers?: LockWrappers): FileFlows {
  // the walk depends on the lock wrappers of the file's directory as well as on its text
  const key = wrappers && wrappers.size > 0 ? `${path}#${wrappersKey(wrappers)}` : path;
  const c = parseCache.get(key);
  if (c && c.text === text) {
    parseCache.delete(key);
    parseCache.set(key, c);
    return c;
  }
  const f = new FileFlows(path, text, wrappers);
  if (parseCache.size > 600) parseCache.delete(parseCache.keys().next().value!);
  parseCache.set(key, f);
  return f;
}

/** `struct foo *f, int x` -> {f: foo}. */
/** The struct type of a variable declared in a function's text (`struct foo *f = ...;`, `struct foo *f;`), or null. */
export function localStructType(body: string, v: string): string | null {
  if (!/^[A-Za-z_]\w*$/.test(v)) return null;
  return new RegExp(`\\bstruct\\s+([A-Za-z_]\\w*)\\s*\\*\\s*(?:const\\s+)?${v}\\b`).exec(body)?.[1] ?? null;
}

export function paramTypes(params: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of params.matchAll(/\bstruct\s+([A-Za-z_]\w*)\s*\*+\s*(?:const\s+)?([A-Za-z_]\w*)/g)) out.set(m[2]!, m[1]!);
  return out;
}


/** Lock names too common to identify a lock without its struct type. */
const GENERIC_LOCK = /^(?:lock|mutex|sem|rwsem|mtx|spin|rwlock|lk|lck|io_lock|list_lock|rw_sem)$/;

/** Same lock, strictly: a generic member name needs both struct types known and equal. */
export function sameLockStrict(a: LockKey, b: LockKey): boolean {
  if (a.name !== b.name) return false;
  if (GENERIC_LOCK.test(a.name)) return a.type !== null && a.type === b.type;
  return sameLock(a, b);
}

/** The role an ops-table field gives, by struct type (or by an unambiguous field name). */
export function opsRole(struct: string | null, field: string): OpsField | null {
  if (struct) {
    const table = OPS_ROLES[struct];
    if (table) return table[field] ?? null;
  }
  return FIELD_ROLES[field] ?? null;
}

/** Roles a signature's return and parameter types give. */
export function signatureRole(sig: string): (OpsField & { generic?: boolean }) | null {
  // a pure function of the text, asked of every region several times (prefilters, roles): answered once per text
  let r = sigRoles.get(sig);
  if (r === undefined) {
    if (sigRoles.size >= 4096) sigRoles.clear();
    sigRoles.set(sig, (r = signatureRoleOf(sig)));
  }
  return r;
}
const sigRoles = new Map<string, (OpsField & { generic?: boolean }) | null>();

function signatureRoleOf(sig: string): (OpsField & { generic?: boolean }) | null {
  const open = sig.indexOf("(");
  if (open < 0) return null;
  const head = sig.slice(0, open).replace(/\b(?:static|inline|__always_inline|noinline|extern)\b/g, "").trim();
  const returns = head.replace(/\s*\b[A-Za-z_]\w*$/, "").trim();
  const complete = /\)\s*\{?\s*$/.test(sig);
  const params = paramsOfSignature(sig).map((p) => p.replace(/\s+/g, " "));
  // git cuts a hunk header's function line at 80 bytes: a last parameter cut inside its struct name still names
  // the type it begins (at least six characters of the name)
  const last = complete ? null : (params[params.length - 1] ?? "").trim().replace(/^const /, "");
  const cut = last !== null && /^struct [A-Za-z_]\w{5,}$/.test(last) ? last : null;
  for (const r of SIGNATURE_ROLES) {
    if (r.returns !== undefined && returns !== r.returns) continue;
    if (r.only && (!complete || params.length !== r.params.length)) continue;
    if (r.params.every((t) => params.some((p) => pointerTo(t).test(p)) || (cut !== null && t.startsWith(cut)))) return r;
  }
  return null;
}

/** `\bT\s*\*` for a parameter type of SIGNATURE_ROLES, compiled once per type. */
const pointerRes = new Map<string, RegExp>();
function pointerTo(t: string): RegExp {
  let re = pointerRes.get(t);
  if (!re) pointerRes.set(t, (re = new RegExp(`\\b${t}\\s*\\*`)));
  return re;
}


/** A directory's scanned files, indexed once: definitions, call sites, registrations and functions used as values. */
/** What a directory index's maps offer: a Map, or a few keys laid over one. */
export interface KeyMap<V> {
  get(k: string): V | undefined;
  has(k: string): boolean;
  set(k: string, v: V): unknown;
  delete(k: string): unknown;
}

/** Keys changed over a base map that stays as it was (a deleted key reads as absent). */
class Layer<V> implements KeyMap<V> {
  private readonly own = new Map<string, V | undefined>();
  constructor(private readonly base: KeyMap<V>) {}
  get(k: string): V | undefined {
    return this.own.has(k) ? this.own.get(k) : this.base.get(k);
  }
  has(k: string): boolean {
    return this.get(k) !== undefined;
  }
  set(k: string, v: V): this {
    this.own.set(k, v);
    return this;
  }
  delete(k: string): boolean {
    this.own.set(k, undefined);
    return true;
  }
}

export interface DirIndex {
  files: string[];
  scans: Map<string, ScanFile>;
  /** Every file of the directory was read (not cut by the size bound). */
  complete: boolean;
  defs: KeyMap<{ file: string; fn: ScanFunction }[]>;
  callers: KeyMap<{ file: string; fn: ScanFunction; line: number }[]>;
  opsByFn: KeyMap<(ScanFile["ops"][number] & { file: string })[]>;
  /** How often each name is used as a value (an ops initialiser, an assignment, an argument): its callers are not all known. */
  valueRefs: KeyMap<number>;
  /** An overlay's base index and the files laid over it (overlayIndex). */
  base?: DirIndex;
  changed?: readonly string[];
}

const dirIndexCache = new Map<string, DirIndex>();
registerMemo("reclaim directory indexes", dirIndexCache);
/** Per directory index: the takers its functions declare (freeze, lockdep priming); the index changes when a file does. */
const dirTakerMemo = new WeakMap<DirIndex, ReclaimTaker[]>();
/** Per directory index: the locks its IO-path functions take. */
const dirIoTakerMemo = new WeakMap<DirIndex, ReclaimTaker[]>();
/**
 * Roles on the path of IO that reclaim may wait for (its writeback and swap-out): a lock taken there is one that
 * IO waits on, so an allocation that may start IO while holding it can wait for itself (the reason for GFP_NOIO).
 */
const IO_PATH_ROLES: ReadonlySet<Role> = new Set(["io-submit", "io-complete", "io-error"]);
/** Per directory index: the struct types each ops field is set in (an indirect call `->f()` is resolved only when one). */
const fieldStructMemo = new WeakMap<DirIndex, Map<string, Set<string>>>();
/** The struct types each ops field is set in, across a directory's initialisers (memoised per index). */
function fieldStructs(d: DirIndex): Map<string, Set<string>> {
  let structs = fieldStructMemo.get(d);
  if (!structs) {
    structs = new Map();
    for (const f of d.files)
      for (const o of d.scans.get(f)!.ops) {
        let set = structs.get(o.field);
        if (!set) structs.set(o.field, (set = new Set()));
        set.add(o.struct ?? "?");
      }
    fieldStructMemo.set(d, structs);
  }
  return structs;
}
/** An ops table a role chain went up through (roleUncached()): its type and field, and the function a file of which directory registered there. */
interface Crossed {
  struct: string;
  dir: string;
  file: string;
  field: string;
  fn: string;
}
/** A lock that is a member of an object (`&q->sysfs_lock`, `&dev.lock`), not a global. */
function isMemberLock(key: LockKey): boolean {
  return /->|\./.test(key.expr);
}

/**
 * A caller path (outermost first) that runs through a call below which the disk is not live (DISK_NOT_LIVE_CALLS)
 * above the function that took the lock (the path's own function when `takenIn` is not given).
 */
function belowNotLive(via: readonly string[] | null, takenIn: string | undefined): boolean {
  if (!via) return false;
  const at = takenIn === undefined ? via.length - 1 : via.lastIndexOf(takenIn);
  if (at < 0) return false;
  return via.slice(0, at).some((f) => Object.hasOwn(DISK_NOT_LIVE_CALLS, f));
}

/** A condition that is a last-reference test (LAST_REFERENCE_TESTS), `refcount_dec_and_test(&x->ref)`: true only on the release path. */
const LAST_REFERENCE_RE = new RegExp(`^\\(?(?:${Object.keys(LAST_REFERENCE_TESTS).join("|")})\\(`);
/** Whether an if-condition or guard holds only when the last reference was dropped (a double negation read as none). */
const lastReference = (c: string) => LAST_REFERENCE_RE.test(c.replace(/^(?:!!)+/, ""));
/** A function-like macro whose body is a call (after any line continuations and an opening parenthesis): its name and the callee. */
const MACRO_CALL_RE = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\([^)\n]*\)[ \t]*(?:\\\r?\n[ \t]*)*\(?[ \t]*([A-Za-z_]\w*)[ \t]*\(/gm;
/** What a workqueue constructor allocates the queue with (kernel/workqueue.c alloc_workqueue(): kzalloc(..., GFP_KERNEL)). */
const WQ_ALLOC_MASK = evalMask("GFP_KERNEL");
/** Per directory index: whether it is a filesystem without a write path (RoleFact.readsOnly). */
const readsOnlyMemo = new WeakMap<DirIndex, boolean>();
function readsOnly(d: DirIndex): boolean {
  let r = readsOnlyMemo.get(d);
  if (r === undefined) {
    let aops = false;
    let writes = false;
    for (const f of d.files)
      for (const o of d.scans.get(f)!.ops) {
        if (o.struct === "address_space_operations") aops = true;
        if ((o.struct === "address_space_operations" || o.struct === "file_operations") && WRITE_PATH_FIELDS[o.field]) writes = true;
      }
    r = aops && !writes;
    readsOnlyMemo.set(d, r);
  }
  return r;
}
/** Per directory index: the struct types its initialisers register functions in. */
const tableTypesMemo = new WeakMap<DirIndex, Set<string>>();
function tableTypes(d: DirIndex): ReadonlySet<string> {
  let types = tableTypesMemo.get(d);
  if (!types) {
    types = new Set();
    for (const f of d.files) for (const o of d.scans.get(f)!.ops) if (o.struct !== null) types.add(o.struct);
    tableTypesMemo.set(d, types);
  }
  return types;
}
/** Whether a directory is a filesystem's and no block driver's (filesystemSide()). */
function filesystemDir(d: DirIndex): boolean {
  const types = tableTypes(d);
  return [...FILESYSTEM_TABLES].some((t) => types.has(t)) && ![...BLOCK_DRIVER_TABLES].some((t) => types.has(t));
}
/** Per directory index: function -> the calls of the files it scanned that pass it as an argument (passesOf()). */
const callbackPassMemo = new WeakMap<DirIndex, Map<string, { file: string; callee: string; idx: number }[]>>();
function ownPasses(d: DirIndex, files: readonly string[]): Map<string, { file: string; callee: string; idx: number }[]> {
  let passes = callbackPassMemo.get(d);
  if (!passes) {
    passes = new Map();
    for (const f of files)
      for (const fn of d.scans.get(f)?.functions ?? [])
        for (const c of fn.calls)
          for (let i = 0; i < c.args.length; i++) {
            const arg = c.args[i]!.replace(/^&\s*/, "").trim();
            if (!/^[A-Za-z_]\w*$/.test(arg) || !d.defs.has(arg)) continue;
            const list = passes.get(arg) ?? [];
            if (!list.some((x) => x.file === f && x.callee === c.callee && x.idx === i)) list.push({ file: f, callee: c.callee, idx: i });
            passes.set(arg, list);
          }
    callbackPassMemo.set(d, passes);
  }
  return passes;
}
/** Per directory index: function -> the macros that call it (macroAliases()). */
const macroAliasMemo = new WeakMap<DirIndex, Map<string, string[]>>();
/** The struct types named among a field's registrations (fieldStructs()), without "?" (`ops_var.F = fn;`). */
function namedStructs(types: ReadonlySet<string> | undefined): string[] {
  return [...(types ?? [])].filter((t) => t !== "?");
}
/** Per directory index: member name -> the struct type its declarations in the directory's files give it, or null (none, or several). */
const memberTypeMemo = new WeakMap<DirIndex, Map<string, string | null>>();
/** Per directory index: "struct.field" -> the functions its initialisers register there, in file order. */
const registeredMemo = new WeakMap<DirIndex, Map<string, string[]>>();
function registeredAs(d: DirIndex, struct: string, field: string): string[] {
  let m = registeredMemo.get(d);
  if (!m) {
    m = new Map();
    for (const f of d.files)
      for (const o of d.scans.get(f)!.ops) {
        if (o.struct === null) continue;
        const k = `${o.struct}.${o.field}`;
        const a = m.get(k);
        if (!a) m.set(k, [o.fn]);
        else if (!a.includes(o.fn)) a.push(o.fn);
      }
    registeredMemo.set(d, m);
  }
  return m.get(`${struct}.${field}`) ?? [];
}
/** How far a mask lets reclaim go: 0 none, 2 IO, 4 filesystem, 6 both. */
function maskRank(m: Mask): number {
  return m.reclaim === false ? 0 : (m.fs === true ? 4 : 0) + (m.io === true ? 2 : 0);
}
/** The same, for picking the least restricted of what callers pass: a filesystem bit not known counts half. */
function maskOpenness(m: Mask): number {
  return m.reclaim === false ? 0 : (m.fs === true ? 4 : m.fs === null ? 2 : 0) + (m.io === true ? 1 : 0);
}
/** Per directory index and ops field: the functions that call it through a pointer (`->f(`). */
const indirectSiteMemo = new WeakMap<DirIndex, Map<string, { file: string; fn: ScanFunction; line: number }[]>>();
/** Per directory index: its lock wrappers. */
const wrapperMemo = new WeakMap<DirIndex, Map<string, LockWrapper>>();

const words = (ws: readonly string[]) => new RegExp(ws.filter((w, i, a) => a.indexOf(w) === i).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"));

/** Token classes of a line, for the diff-only prefilter (necessary conditions, never heuristics). */
const TOKENS = {
  alloc: words([...allocationNeedles()]),
  // (and the lockdep annotations of reclaim context: fs_reclaim priming, a fence signalling section opened)
  scope: words([
    "memalloc_",
    "PF_MEMALLOC",
    "current->flags",
    "PF_LOCAL_THROTTLE",
    "PF_LESS_THROTTLE",
    "current_is_kswapd",
    "current_gfp_context",
    ...Object.keys(RECLAIM_LOCKDEP_PRIME.enter),
    ...Object.entries(LOCK_CALLS).filter(([, l]) => l.kind === "fence" && l.op === "acquire").map(([n]) => n),
  ]),
  held: words([
    ...Object.entries(LOCK_CALLS).filter(([, l]) => l.op !== "release").map(([n]) => n),
    "guard",
    ...Object.values(HANDLE_APIS).flatMap((h) => [...Object.keys(h.start), ...h.types.map((t) => t.replace(/^struct /, ""))]),
  ]),
  /** What is held whatever else the patch shows: a frozen queue, a fence signalling section, a transaction handle (reclaim's need of them is known). */
  heldAlways: words([
    ...Object.entries(LOCK_CALLS).filter(([, l]) => l.op !== "release" && (l.kind === "freeze" || l.kind === "fence")).map(([n]) => n),
    ...Object.values(HANDLE_APIS).flatMap((h) => [...Object.keys(h.start), ...h.types.map((t) => t.replace(/^struct /, ""))]),
  ]),
  freeze: words(Object.entries(LOCK_CALLS).filter(([, l]) => l.op === "acquire" && l.kind === "freeze").map(([n]) => n)),
  sleepingLock: words(Object.entries(LOCK_CALLS).filter(([, l]) => l.op === "acquire" && l.kind !== "freeze" && isSleepingLock(l.kind)).map(([n]) => n)),
  reclaimQueue: words(["WQ_MEM_RECLAIM", ...Object.entries(WQ_CONSTRUCTORS).filter(([, c]) => c.legacy).map(([n]) => n)]),
  relaxed: /\bGFP_NO(?:FS|IO)\b|__GFP_(?:FS|IO)\b/,
  other: words([...Object.keys(WAIT_CALLS), ...Object.keys(EVICTING_CALLS), "flush_", "cancel_", "queue_", "schedule_", "_WORK", "workqueue", "WQ_", "prctl", "vfs_", "kernel_write", "kernel_read", "_iter"]),
};

/** Besides allocations and scopes, what an audited function must name to be walked: filesystem and synchronous IO (the back-end IO rule's sites). */
const AUDIT_TOKENS = words([...Object.keys(FS_IO_CALLS), ...Object.keys(SYNC_IO_CALLS), ...Object.keys(FILE_IO_OPS)]);

/**
 * Can this diff region (a hunk's function) produce anything the rules judge,
 * without a source tree? Only when what it changes meets something it can be
 * judged against in the lines shown: a scope or task-flag change; an
 * allocation changed next to something held, a role, or a mask it relaxes;
 * something held changed next to an allocation; waits, flushes, queueing or
 * filesystem IO changed in a function with a role. A necessary condition: a
 * region that fails it cannot yield a finding in a diff-only review.
 */
function regionMatters(r: Region, role: boolean, locks: boolean, heldBefore = false): boolean {
  // a plain lock is a hazard only when a reclaim-side function takes it, and diff-only that function must be in the patch
  const heldRe = locks ? TOKENS.held : TOKENS.heldAlways;
  const c = hunkChanges(r.hunk, locks);
  if (c.scope || c.passedThrough || c.mappingDropped || c.misplacedMask) return true;
  const { changedAlloc, changedHeld, changedOther, changedExit } = c;
  // a new exit path can leave a scope open (or a lock held) that the lines shown opened
  if (changedExit && r.lines.some((l) => TOKENS.scope.test(l.text))) return true;
  if (!changedAlloc && !changedHeld && !changedOther) return false;
  if (role) return true;
  let alloc = false;
  // an earlier hunk of the function took something (carried into this one when this one releases it)
  let held = heldBefore;
  for (const l of r.lines) {
    if (!alloc && TOKENS.alloc.test(l.text)) alloc = true;
    if (!held && heldRe.test(l.text)) held = true;
  }
  if (held && heldRe.test(r.signature)) held = true;
  // an allocation changed beside one that asks for GFP_NOFS/GFP_NOIO: the function's own statement of its context
  // (or in a function with a gfp_t parameter: the caller's statement of its context)
  const stricter = changedAlloc && (r.lines.some((l) => TOKENS.relaxed.test(l.text) && TOKENS.alloc.test(l.text)) || /\bgfp_t\s+[A-Za-z_]/.test(r.signature));
  return (changedAlloc && held) || (changedHeld && alloc) || (changedAlloc && heldRe.test(r.signature)) || stricter;
}

/** The lines shown take a sleeping lock after freezing a queue: the function is a taker of that lock inside a freeze. */
function locksInsideFreeze(r: Region): boolean {
  const at = r.lines.findIndex((l) => TOKENS.freeze.test(l.text));
  return at >= 0 && r.lines.slice(at + 1).some((l) => TOKENS.sleepingLock.test(l.text));
}

/** What a hunk's changed lines name, for regionMatters (every region of a hunk reads the same lines): per hunk and `locks`. */
interface HunkChanges {
  scope: boolean;
  passedThrough: boolean;
  /** A call that takes a mapping's own mask deleted, an allocation with a written-out FS mask added (mapping-mask-ignored). */
  mappingDropped: boolean;
  /** An added call of an allocator with a mask as its first argument where the gfp argument sits elsewhere (gfp-arg-misplaced). */
  misplacedMask: boolean;
  changedAlloc: boolean;
  changedHeld: boolean;
  changedOther: boolean;
  changedExit: boolean;
}
const hunkMemo = new WeakMap<Hunk, Record<"locks" | "always", HunkChanges>>();
/** A written-out mask that lets reclaim into the filesystem and IO, and a mask variable (`gfp`, `gfp_mask`, `sc->gfp_mask`). */
const FS_MASK_WORD = /\bGFP_(?:KERNEL|USER|HIGHUSER\w*)\b/;
const MASK_VARIABLE = /\b\w*gfp\w*\b/;
/** A call that takes an address_space's own gfp mask (vocabulary MAPPING_MASK_SOURCES). */
export const MAPPING_MASK_CALL = new RegExp(`\\b(?:${Object.keys(MAPPING_MASK_SOURCES).join("|")})\\s*\\(`);
function hunkChanges(h: Hunk, locks: boolean) {
  let m = hunkMemo.get(h);
  if (!m) {
    hunkMemo.set(h, (m = scanHunkChanges(h)));
  }
  return m[locks ? "locks" : "always"]!;
}

const MASK_FIRST = /\b([A-Za-z_]\w*)\s*\(\s*(?:__)?GFP_[A-Z0-9_]+\s*[,|)]/g;
/** A call of an allocator on the line with a mask as its first argument, where neither its gfp slot nor an older one is first. */
function maskFirstMisplaced(t: string): boolean {
  for (const m of t.matchAll(MASK_FIRST)) {
    const a = allocatorOf(m[1]!);
    if (a && a.gfpArg !== null && a.gfpArg !== 0 && a.formerGfpArg?.arg !== 0) return true;
  }
  return false;
}

/** One pass over a hunk's changed lines for both readings of "held" (each test made until it first holds). */
function scanHunkChanges(h: Hunk): Record<"locks" | "always", HunkChanges> {
  const base = { scope: false, passedThrough: false, mappingDropped: false, misplacedMask: false, changedAlloc: false, changedOther: false, changedExit: false };
  let heldLocks = false;
  let heldAlways = false;
  let deletedFsMask = false;
  let addedVariableMask = false;
  let deletedMappingMask = false;
  let addedFsMask = false;
  for (const l of h.lines) {
    if (l.kind === "ctx") continue;
    const t = l.text;
    // a scope or strict mask deleted, or a gfp_t parameter dropped (its callers' masks with it)
    if (TOKENS.scope.test(t) || (l.kind === "del" && (TOKENS.relaxed.test(t) || /\bgfp_t\s+[A-Za-z_]/.test(t)))) {
      base.scope = true;
      break;
    }
    const alloc = TOKENS.alloc.test(t);
    if (alloc) base.changedAlloc = true;
    // an allocation's GFP_KERNEL replaced by a mask it is given (mask-passed-through)
    if (!deletedFsMask && alloc && l.kind === "del" && t.includes("GFP_") && FS_MASK_WORD.test(t)) deletedFsMask = true;
    if (!deletedMappingMask && l.kind === "del" && MAPPING_MASK_CALL.test(t)) deletedMappingMask = true;
    if (!addedFsMask && alloc && l.kind === "add" && t.includes("GFP_") && FS_MASK_WORD.test(t)) addedFsMask = true;
    if (!base.misplacedMask && alloc && l.kind === "add" && t.includes("GFP_")) base.misplacedMask = maskFirstMisplaced(t);
    if (!addedVariableMask && l.kind === "add" && t.includes("gfp") && !FS_MASK_WORD.test(t) && MASK_VARIABLE.test(t.replace(/\bgfp_t\b/g, ""))) addedVariableMask = true;
    if (!base.changedExit && /\b(?:return|goto|break|continue)\b/.test(t)) base.changedExit = true;
    if (!heldAlways && TOKENS.heldAlways.test(t)) heldAlways = heldLocks = true;
    else if (!heldLocks && TOKENS.held.test(t)) heldLocks = true;
    if (!base.changedOther && TOKENS.other.test(t)) base.changedOther = true;
  }
  base.passedThrough = deletedFsMask && addedVariableMask;
  base.mappingDropped = deletedMappingMask && addedFsMask;
  return { locks: { ...base, changedHeld: heldLocks }, always: { ...base, changedHeld: heldAlways } };
}

/**
 * What the shrinker and stacked-IO rules judge across functions (call-chains.ts,
 * blocking.ts): a changed blocking call (an IO wait, synchronous or filesystem
 * IO, a final put, a sleeping lock), a changed test of the reclaim caller's
 * mask, or a queued work item; any region that is a link of a call chain the
 * patch shows (it calls another region's function), or has a role by its
 * signature. A necessary condition for those rules, as regionMatters is for
 * the allocation rules.
 */
const CHAIN_TOKENS = words([
  ...Object.keys(WAIT_CALLS),
  ...Object.keys(EVICTING_CALLS),
  ...Object.keys(FS_IO_CALLS),
  ...Object.keys(FILE_IO_OPS),
  ...Object.keys(SYNC_IO_CALLS),
  ...Object.entries(LOCK_CALLS).filter(([, l]) => l.op !== "release").map(([n]) => n),
  ...Object.values(HANDLE_APIS).flatMap((h) => Object.keys(h.start)),
  "guard",
  "SHRINK_STOP",
  "__GFP_FS",
  "__GFP_IO",
  "gfp_mask",
  "queue_",
  "flush_",
]);

function chainMatters(r: Region, calls: RegExp | null): boolean {
  if (r.hunk.lines.some((l) => l.kind !== "ctx" && CHAIN_TOKENS.test(l.text))) return true;
  if (calls !== null && r.lines.some((l) => calls.test(l.text) && !(r.name !== null && l.text.includes(`${r.name}(`)))) return true;
  return signatureRole(r.signature) !== null;
}

type DirEntry = { file: string };

function pushTo<T extends DirEntry>(m: KeyMap<T[]>, k: string, v: T, owned?: Set<string>, order?: ReadonlyMap<string, number>): void {
  let a = m.get(k);
  if (!a) {
    m.set(k, [v]);
    owned?.add(k);
    return;
  }
  if (owned && !owned.has(k)) {
    // copy on write: the array is shared with the index this one was made from
    a = [...a];
    m.set(k, a);
    owned.add(k);
  }
  if (!order) {
    a.push(v);
    return;
  }
  // in file order, as a full index would have it (the same chains and definitions whichever index was built first)
  const at = order.get(v.file) ?? Infinity;
  let i = a.length;
  while (i > 0 && (order.get(a[i - 1]!.file) ?? Infinity) > at) i--;
  a.splice(i, 0, v);
}

/** One file's entries into the maps of a directory index (`sign` 1 adds them, -1 takes them out). */
function indexFile(
  idx: Pick<DirIndex, "defs" | "callers" | "opsByFn" | "valueRefs">,
  file: string,
  s: ScanFile,
  sign: 1 | -1,
  owned?: { defs: Set<string>; callers: Set<string>; opsByFn: Set<string> },
  order?: ReadonlyMap<string, number>,
): void {
  const ref = (name: string) => {
    const n = (idx.valueRefs.get(name) ?? 0) + sign;
    if (n > 0) idx.valueRefs.set(name, n);
    else idx.valueRefs.delete(name);
  };
  // taking a file out: each key it used is filtered once
  const dropped = sign < 0 ? { defs: new Set<string>(), callers: new Set<string>(), opsByFn: new Set<string>() } : null;
  for (const fn of s.functions) {
    if (dropped) dropped.defs.add(fn.name);
    else pushTo(idx.defs, fn.name, { file, fn }, owned?.defs, order);
    for (const c of fn.calls) {
      if (dropped) dropped.callers.add(c.callee);
      else pushTo(idx.callers, c.callee, { file, fn, line: c.line }, owned?.callers, order);
      for (const a of c.args) if (/^&?[A-Za-z_]\w*$/.test(a)) ref(a.replace(/^&/, ""));
    }
  }
  for (const o of s.ops) {
    if (dropped) dropped.opsByFn.add(o.fn);
    else pushTo(idx.opsByFn, o.fn, { ...o, file }, owned?.opsByFn, order);
    ref(o.fn);
  }
  if (!dropped) return;
  const drop = <T extends DirEntry>(m: KeyMap<T[]>, keys: Set<string>, own?: Set<string>) => {
    for (const k of keys) {
      const a = m.get(k);
      if (!a) continue;
      const rest = a.filter((x) => x.file !== file);
      if (rest.length > 0) m.set(k, rest);
      else m.delete(k);
      own?.add(k);
    }
  };
  drop(idx.defs, dropped.defs, owned?.defs);
  drop(idx.callers, dropped.callers, owned?.callers);
  drop(idx.opsByFn, dropped.opsByFn, owned?.opsByFn);
}

export function indexDirectory(files: string[], scans: Map<string, ScanFile>, complete: boolean): DirIndex {
  const idx: DirIndex = { files, scans, complete, defs: new Map(), callers: new Map(), opsByFn: new Map(), valueRefs: new Map() };
  for (const file of files) indexFile(idx, file, scans.get(file)!, 1);
  return idx;
}

/**
 * The index of `base`'s directory with a few files' scans replaced (a patch's post-images): the keys those files
 * use are laid over `base`'s maps, their entries taken out and put back from the new scans; arrays shared with
 * `base` are copied before they change, and `base` stays as it was.
 */
export function overlayIndex(base: DirIndex, scans: Map<string, ScanFile>, changed: readonly string[]): DirIndex {
  const idx: DirIndex = { files: base.files, scans, complete: base.complete, defs: new Layer(base.defs), callers: new Layer(base.callers), opsByFn: new Layer(base.opsByFn), valueRefs: new Layer(base.valueRefs), base, changed };
  const owned = { defs: new Set<string>(), callers: new Set<string>(), opsByFn: new Set<string>() };
  const order = new Map(base.files.map((f, i) => [f, i]));
  for (const f of changed) {
    indexFile(idx, f, base.scans.get(f)!, -1, owned);
    indexFile(idx, f, scans.get(f)!, 1, owned, order);
  }
  return idx;
}

// ---------------------------------------------------------------- the analysis

/**
 * Where the users of a directory's exported functions are looked for: under the directory's parent (a library
 * directory's siblings: the drivers of its subsystem, the filesystems beside a filesystem library), or under the
 * directory itself when it is a top-level one (its subdirectories). A bound on the search, whose cost grows with
 * the bytes under the root: users elsewhere in the tree are not read.
 */
function searchRoot(dir: string): string {
  const parts = dir.split("/");
  return parts.length >= 2 ? parts.slice(0, -1).join("/") : dir;
}

/** The RoleFact part saying a ->writepage registration is no flusher writeback (writepageWithoutFlusher()). */
export function noFlusher(scan: ScanFile | undefined, o: Pick<ScanOps, "struct" | "field" | "holder">): { noFlusher?: string } {
  const dirty = writepageWithoutFlusher(scan, o);
  return dirty ? { noFlusher: dirty } : {};
}

/** An ops-table registration of `name` with a role in a file of another directory. */
function remoteRegistration(u: { file: string; scan: ScanFile }, name: string): RoleFact | null {
  for (const o of u.scan.ops) {
    if (o.fn !== name) continue;
    const r = opsRole(o.struct, o.field);
    if (r && !evictionNotInReclaim(u.scan, o, r.role)) return { role: r.role, label: r.label, root: name, chain: [name], how: "ops-table", at: { file: u.file, line: o.line }, ...(r.inReclaim ? { inReclaim: true } : {}), ...noFlusher(u.scan, o) };
  }
  return null;
}

/** The functions of other directories' files that call `name` (its first call in each). */
function remoteCallers(uses: readonly { file: string; scan: ScanFile }[] | null, name: string): { file: string; fn: ScanFunction; line: number }[] {
  const out: { file: string; fn: ScanFunction; line: number }[] = [];
  for (const u of uses ?? []) {
    for (const fn of u.scan.functions) {
      const call = fn.calls.find((c) => c.callee === name);
      if (call) out.push({ file: u.file, fn, line: call.line });
    }
  }
  return out;
}

export class ReclaimAnalysis {
  readonly mode: "diff" | "tree" | "audit";
  readonly kernel: KernelVersion;
  private readonly facts: ContextFacts | null;
  private postViews: FnView[] | null = null;
  /** The post-image views by function name (patchLinks()), built once. */
  private postByName: Map<string, FnView[]> | null = null;
  private preViews: FnView[] | null = null;
  private allocMemo: AllocSite[] | null = null;
  private readonly localViews = new WeakMap<FnView, LocalView>();
  private readonly viewLineMemo = new WeakMap<FnView, ViewLine[]>();
  private readonly passedMemo = new WeakMap<FnView, AllocSite["ev"][]>();
  private roleMemo = new Map<string, RoleFact | null>();
  private callerMemo = new Map<string, CallerFacts>();
  private takersMemo: ReclaimTaker[] | null = null;
  private handleMemo = new Map<string, HandleScope>();
  private dirMemo = new Map<string, DirIndex>();
  private remoteMemo = new Map<string, { file: string; scan: ScanFile }[] | null>();
  private remoteMs = 0;

  constructor(
    readonly patch: Patch,
    readonly source: SourceContext | undefined,
  ) {
    if (!parserReady()) throw new Error("the C parser is not initialised: await initParser() before reviewing");
    this.facts = getFacts(source);
    this.mode = this.facts ? (this.facts.audit ? "audit" : "tree") : "diff";
    this.kernel = source?.kernel ?? NEWEST_RELEASE;
  }

  // ------------------------------------------------------------ functions

  /** The functions of the post image the patch touches (whole with sources, fragments without). */
  post(): FnView[] {
    return (this.postViews ??= this.views("post"));
  }

  /** The same over the pre image. */
  pre(): FnView[] {
    return (this.preViews ??= this.views("pre"));
  }

  /** The pre-image views of one function (only its regions walked, unless every pre view already is). */
  preViewsOf(path: string, name: string): FnView[] {
    if (this.preViews) return this.preViews.filter((p) => p.name === name && p.path === path);
    const key = `${path}\0${name}`;
    let vs = this.preByFn.get(key);
    if (!vs) {
      // with sources, a hunk header may name another function than the tree's (a definition through a macro, a header
      // git took from a line that is no function's): the regions of the file are read, the tree's functions kept
      const only = this.facts ? (r: Region) => (r.file.oldPath ?? r.file.path) === path : (r: Region) => r.name === name;
      vs = this.views("pre", only).filter((p) => p.name === name && p.path === path);
      this.preByFn.set(key, vs);
    }
    return vs;
  }

  private preByFn = new Map<string, FnView[]>();

  private views(image: "post" | "pre", only?: (r: Region) => boolean): FnView[] {
    const out: FnView[] = [];
    const side = image === "post" ? "new" : "old";
    const regions = only ? regionsOf(this.patch, side).filter(only) : regionsOf(this.patch, side);
    if (this.facts) {
      // whole functions from the image's text
      const byFile = new Map<string, Region[]>();
      for (const r of regions) byFile.set(r.file.path, [...(byFile.get(r.file.path) ?? []), r]);
      for (const [path, rs] of byFile) {
        const file = rs[0]!.file;
        const p = image === "post" ? path : file.oldPath ?? path;
        // the patch applied to the tree (a post image exists): both images are the files; otherwise the tree's file is
        // some other version, and the patch's own lines are the images (their start taken from the tree where it matches)
        const applied = this.source!.postImage(path) !== undefined;
        const text = !applied ? undefined : image === "post" ? this.source!.postImage(p) ?? this.facts.text(p) : this.source!.preImage(p);
        if (text === undefined) {
          // the patch does not apply to the tree: its fragments, with the state at their start taken from the tree's function
          out.push(...this.fragmentViews(rs, image, true));
          continue;
        }
        const flows = cachedFlows(`${image}:${p}`, text, this.wrappersOf(p));
        const changed = new Set<number>();
        for (const r of rs) for (const l of r.lines) if (l.changed) changed.add(l.line);
        // a hunk that only deletes still touches the function its context lines sit in
        const shown = new Set<number>();
        for (const r of rs) if (r.hunk.lines.some((l) => l.kind !== "ctx")) for (const l of r.lines) shown.add(l.line);
        const seen = new Set<string>();
        const shownSorted = [...shown].sort((a, b) => a - b);
        const changedSorted = [...changed].sort((a, b) => a - b);
        const textLines = this.mode === "audit" ? treeLines(p, text) : null;
        for (const span of flows.spans) {
          // a shown line inside the span (binary search: an audit shows every line)
          const k = lowerBound(shownSorted, span.start);
          if (k >= shownSorted.length || shownSorted[k]! > span.end || seen.has(span.key)) continue;
          seen.add(span.key);
          // an audit walks only functions with something the rules judge in their text, or a role
          if (textLines && !this.auditMatters(p, span, textLines)) continue;
          const f = flows.get(span.key);
          if (!f) continue;
          const lines = new Set<number>();
          for (let j = lowerBound(changedSorted, f.start); j < changedSorted.length && changedSorted[j]! <= f.end; j++) lines.add(changedSorted[j]!);
          out.push({ path: p, name: f.name, flow: f, image, whole: true, changed: lines, signature: f.params.length > 0 ? `${f.returnType ? `${f.returnType} ` : ""}${f.name}(${f.params.join(", ")})` : f.name });
        }
      }
      return out;
    }
    return this.fragmentViews(regions, image);
  }

  private fragmentViews(regions: Region[], image: "post" | "pre", seed = false): FnView[] {
    const out: FnView[] = [];
    // per function: its earlier hunks (a lock one of them takes may be held into a later one)
    const prior = new Map<string, Region[]>();
    const flows = new Map<Region, FunctionFlow | null>();
    const flowOf = (r: Region) => {
      if (!flows.has(r)) {
        const params = this.regionParams(r);
        const wrappers = this.wrappersOf(r.file.path);
        flows.set(r, regionFlow(r, { params, types: paramTypes(params.join(", ")), ...(wrappers ? { wrappers } : {}) }));
      }
      return flows.get(r)!;
    };
    // a link of a call chain the patch shows: a region that calls a function another region of the patch is in
    const names = [...new Set(regions.map((r) => r.name).filter((n): n is string => n !== null && /^[A-Za-z_]\w*$/.test(n)))];
    const calls = names.length > 0 ? new RegExp(`\\b(?:${names.join("|")})\\s*\\(`) : null;
    for (const r of regions) {
      const fnKey = `${r.file.path}:${r.name ?? "?"}`;
      const before = prior.get(fnKey) ?? [];
      prior.set(fnKey, [...before, r]);
      // regions with a change on either side of their hunk (a deleted scope changes the lines around it)
      if (!r.lines.some((l) => l.changed) && !r.hunk.lines.some((l) => l.kind !== "ctx")) continue;
      // diff-only: nothing this region changes can be judged against what it shows (with a tree, callers and
      // the directory can supply what the lines do not)
      // (the chains the shrinker and stacked-IO rules follow start at a role: diff-only, one the patch shows)
      const heldBefore = r.name !== null && before.some((b) => b.lines.some((l) => TOKENS.sleepingLock.test(l.text)));
      // (a queue with a rescuer the patch shows: the functions that may run as its work)
      if (!seed && !this.facts && !regionMatters(r, this.regionHasRole(r) || this.mayRunAsReclaimWork(r), this.patchHasReclaimSide(), heldBefore) && !(this.patchHasRole() && chainMatters(r, calls)) && !locksInsideFreeze(r)) continue;
      const params = this.regionParams(r);
      const initial = seed ? this.seedFor(r) : undefined;
      const wrappers = this.wrappersOf(r.file.path);
      const known = { params, types: paramTypes(params.join(", ")), ...(wrappers ? { wrappers } : {}) };
      let flow = initial ? regionFlow(r, { ...known, initial }) : flowOf(r);
      if (!flow) continue;
      // an earlier hunk of the same function took a lock this one releases: it is held in between (on some paths at
      // least), so the lines of this hunk before the release run under it
      if (heldBefore) {
        let open: HeldEntry[] = [];
        for (const b of before) {
          const f = flowOf(b);
          if (f) open = openAfter(open, f);
        }
        const carried = open.filter((h) => h.key && flow!.events.some((e) => e.info.kind === "lock" && e.info.op === "release" && e.info.key && sameLock(e.info.key, h.key!)));
        if (carried.length > 0) {
          const again = regionFlow(r, { ...known, entryKnown: initial !== undefined, initial: { scopes: initial?.scopes ?? [], held: [...(initial?.held ?? []), ...carried.map((entry) => ({ entry, must: false }))] } });
          if (again) flow = again;
        }
      }
      out.push({
        path: image === "post" ? r.file.path : r.file.oldPath ?? r.file.path,
        name: r.name ?? "?",
        flow,
        image,
        whole: false,
        changed: new Set(r.lines.filter((l) => l.changed).map((l) => l.line)),
        signature: r.signature,
      });
    }
    return out;
  }

  /**
   * The state at a fragment's first line in the tree's own version of its
   * function (a patch written against another tree): the fragment's first
   * context lines located in that function, and the state the path walk had
   * there. Undefined when the function or the lines are not found.
   */
  private seedFor(r: Region): FlowOptions["initial"] | undefined {
    const found = this.treeLocation(r);
    if (!found) return undefined;
    const ev = found.flow.events.find((e) => e.line >= found.at);
    if (!ev) return undefined;
    return { scopes: ev.state.scopes, held: seenInTree(ev.state.held) };
  }

  private locationMemo = new WeakMap<Region, Map<boolean, { flow: FunctionFlow; at: number; path: string } | null>>();

  /**
   * Where a fragment's first context line stands in the tree's own version of its function (a patch written against
   * another tree), with that function's path walk: the hunk's context lines must stand there as they are, in place.
   * Undefined when the function or the lines are not found. `leading`: only the context lines above the hunk's
   * first change must stand there (at least two that are not blank): where the fragment starts, though the tree may
   * differ below it.
   */
  private treeLocation(r: Region, leading = false): { flow: FunctionFlow; at: number; path: string } | undefined {
    let memo = this.locationMemo.get(r);
    if (!memo) this.locationMemo.set(r, (memo = new Map()));
    if (memo.has(leading)) return memo.get(leading) ?? undefined;
    let out: { flow: FunctionFlow; at: number; path: string } | null = null;
    const path = r.file.oldPath ?? r.file.path;
    const t = this.facts && !r.hasDefinition && r.name ? this.source!.preImage(path) : undefined;
    const flow = t !== undefined ? cachedFlows(`pre:${path}`, t, this.wrappersOf(path)).get(r.name!) : undefined;
    if (t !== undefined && flow) {
      const lines = treeLines(path, t);
      // the hunk's context lines must stand in the tree's function as they are, in place (the lines the patch deletes
      // may read otherwise there: the tree may have changed exactly those): then the code above is likely the same
      // too; a hunk whose surroundings the tree changed says nothing about the state there
      const firstChange = r.hunk.lines.findIndex((l) => l.kind !== "ctx");
      const lines0 = leading ? r.hunk.lines.slice(0, Math.max(0, firstChange)) : r.hunk.lines;
      const old = lines0.filter((l) => l.kind !== "add").map((l) => (l.kind === "del" ? null : l.text.trim()));
      if (leading && old.filter((l) => l !== null && l !== "").length < 2) old.length = 0;
      const firstShown = r.lines.find((l) => !l.changed);
      const oldIndex = firstShown ? r.hunk.lines.filter((l) => l.kind !== "add").findIndex((l) => l.oldLine !== null && l.newLine === firstShown.line) : -1;
      if (old.length > 0 && oldIndex >= 0)
        // (the hunk may show a few lines after the function's end)
        for (let n = flow.start; n <= flow.end && n + old.length - 1 <= flow.end + 3; n++) {
          let ok = true;
          for (let k = 0; k < old.length && ok; k++) if (old[k] !== null && (lines[n - 1 + k] ?? "").trim() !== old[k]) ok = false;
          if (!ok) continue;
          out = { flow, at: n + oldIndex, path };
          break;
        }
    }
    memo.set(leading, out);
    return out ?? undefined;
  }

  /**
   * An allocation the patch deletes from this function or from a function it called before the patch, with at
   * least as much reclaim allowed and under every lock or handle held at the added site, where neither it nor the
   * call to that function sits under an if-condition (a loop's body counts: the old code's buffer was allocated on
   * the loop's first pass): the function allocated so before the patch, which restructures the allocation (a buffer
   * the caller now allocates and passes down), not the context. Read in the patch's old side of both functions. Also
   * the other way: a function that calls this one on every path after the patch, and did not before, deleted such an
   * allocation (moved down into a helper the patch adds), and every other function the patch makes call it did so too.
   */
  private movedUpFrom(site: AllocSite): { line: number; callee: string; inTree: boolean; from: string; down?: true } | null {
    const v = site.fn;
    const need = site.effective;
    const held = site.ev.state.held.filter((h) => h.must);
    const heldThere = (e: FlowEvent) => held.every((h) => e.state.held.some((x) => x.must && sameHeld(x.entry, h.entry)));
    const deleted = (g: FnView) => {
      for (const e of g.flow.events) {
        if (e.info.kind !== "alloc" || (e.conds?.length ?? 0) > 0 || !g.changed.has(e.line)) continue;
        const m = applyScopes(e.info.mask, e.state.mustScopes);
        if ((need.fs === true && m.fs !== true) || (need.io === true && m.io !== true) || (need.reclaim !== false && m.reclaim === false)) continue;
        return e;
      }
      return null;
    };
    for (const old of this.preViewsOf(v.path, v.name)) {
      const own = deleted(old);
      if (own && heldThere(own)) return { line: own.line, callee: own.callee, inTree: false, from: v.name };
      for (const call of old.flow.events) {
        if (call.info.kind === "alloc" || (call.conds?.length ?? 0) > 0 || call.callee === v.name || call.callee.startsWith("->") || !heldThere(call)) continue;
        for (const g of this.preViewsOf(v.path, call.callee)) {
          const e = deleted(g);
          if (e) return { line: e.line, callee: e.callee, inTree: false, from: g.name };
        }
      }
    }
    // moved down: a function the patch makes call this one on every path deleted such an allocation (the helper
    // it now calls allocates for it); for a call of a function that allocates, a deleted call of that same function
    // under no more if-conditions than the call it moved to (the callers' `alloc_req(size)` now made inside a
    // wrapper they call; a branch that re-enables a feature moved whole into a helper the caller now calls)
    const depth = site.ev.conds?.length ?? 0;
    const sameCall = (g: FnView) =>
      site.through ? g.flow.events.find((e) => e.callee === site.ev.callee && (e.conds?.length ?? 0) <= depth && g.changed.has(e.line)) ?? null : null;
    // (only when every function the patch makes call this one is such a caller: one that newly calls it without
    // having allocated so brings the allocation into its own context, a new one)
    let mover: { line: number; callee: string; inTree: boolean; from: string; down?: true } | null = null;
    for (const caller of this.post()) {
      if (caller.name === v.name || !caller.flow.events.some((e) => e.callee === v.name)) continue;
      const olds = this.preViewsOf(caller.path, caller.name);
      if (olds.length === 0 || olds.some((old) => old.flow.events.some((e) => e.callee === v.name))) continue;
      let moved: FlowEvent | null = null;
      if (caller.flow.events.some((e) => e.callee === v.name && (e.conds?.length ?? 0) === 0))
        for (const old of olds) if ((moved = deleted(old) ?? sameCall(old))) break;
      if (!moved) return null;
      mover ??= { line: moved.line, callee: moved.callee, inTree: false, from: caller.name, down: true };
    }
    return mover;
  }

  /**
   * An allocation the function already makes, on a line the patch does not change, before this added one and on
   * every path to it, with at least as much reclaim allowed and under every lock or handle held here: the patch adds
   * a site to a hazard the function had. "On every path": a statement of the function's own block (no branch), with
   * no label between it and the site a jump could land on. Read in the patch's version of the function, or, for a
   * fragment of a file the patch does not apply to, in the tree's version above the fragment's place
   * (treeLocation()). None when the patch adds or deletes a scope, lock or handle call in the function before the
   * site: the context of the older allocation is then not what it was.
   */
  alreadyAllocating(site: AllocSite): { line: number; callee: string; inTree: boolean; from?: string; down?: true } | null {
    const v = site.fn;
    if (!site.added || v.image !== "post") return null;
    if (this.contextChangedAbove(v, site.ev.line)) return null;
    const moved = this.movedUpFrom(site);
    if (moved) return moved;
    // the site's mask when it is the function's own gfp_t parameter (`kzalloc(n, gfp)` in `f(..., gfp_t gfp)`): an
    // earlier allocation handed the same parameter, under no scope the site is not under, allocates as it does
    const paramMask = this.maskParamIndex(v, site.ev) >= 0 ? site.ev.info.gfpText : null;
    const enough = (e: FlowEvent) => {
      // (a workqueue's creation allocates the queue with GFP_KERNEL: kernel/workqueue.c alloc_workqueue())
      const mask = e.info.kind === "alloc" ? e.info.mask : e.info.kind === "wq-alloc" ? WQ_ALLOC_MASK : null;
      if (!mask || e.conditional) return false;
      const m = applyScopes(mask, e.state.mustScopes);
      const need = site.effective;
      const sameParam = paramMask !== null && e.info.kind === "alloc" && e.info.gfpText === paramMask && e.state.mustScopes.every((k) => site.ev.state.mustScopes.includes(k));
      if (!sameParam && ((need.fs === true && m.fs !== true) || (need.io === true && m.io !== true) || (need.reclaim !== false && m.reclaim === false))) return false;
      // what is held at the site (on every path) was held there too
      return site.ev.state.held.every((h) => !h.must || e.state.held.some((x) => x.must && sameHeld(x.entry, h.entry)));
    };
    const text = v.whole ? this.text(v.path) : undefined;
    if (v.whole) {
      const lines = text !== undefined ? treeLines(v.path, text) : undefined;
      for (const e of this.unchangedAllocations(v)) {
        if (e.line >= site.ev.line) break;
        if (!enough(e) || labelBetween(lines, e.line, site.ev.line, v.flow)) continue;
        return { line: e.line, callee: e.callee, inTree: false };
      }
      return null;
    }
    // a fragment: first its own lines above the site, then (with sources) the tree's function above the fragment's
    // place
    const region = regionsOf(this.patch, "new").find((r) => r.file.path === v.path && r.name === v.name && r.lines.length > 0 && r.lines[0]!.line <= site.ev.line && site.ev.line <= r.lines[r.lines.length - 1]!.line);
    if (!region) return null;
    const shown = this.shownLines(v);
    for (const e of this.unchangedAllocations(v)) {
      if (e.line >= site.ev.line) break;
      if (!enough(e) || labelBetween(shown, e.line, site.ev.line)) continue;
      return { line: e.line, callee: e.callee, inTree: false };
    }
    const loc = this.facts ? this.treeLocation(region, true) : undefined;
    if (!loc || labelBetween(shown, region.lines[0]!.line - 1, site.ev.line)) return null;
    const t = this.source!.preImage(loc.path);
    const lines = t !== undefined ? treeLines(loc.path, t) : undefined;
    for (const e of loc.flow.events) {
      if (e.line >= loc.at || !enough(e) || labelBetween(lines, e.line, loc.at, loc.flow)) continue;
      return { line: e.line, callee: e.callee, inTree: true };
    }
    return null;
  }

  /**
   * A link of a role's or a work's chain (root first, ending with the site's function) that already allocates so
   * before it calls the next link: an allocation of its own, or a call of a function that allocates so whenever it
   * runs (allocatesOnEntry()), under no if-condition, before its first call of the next link
   * with no label between (every path that goes on down the chain made it), on a line the patch does not change,
   * with at least as much reclaim allowed as the site needs (the link's scopes there applied). The chain already
   * allocated in the role's context; the patch adds a site to that hazard. The nearest such link, or null.
   */
  chainAllocating(site: AllocSite, chain: readonly string[], needs: "io" | "fs"): { fn: string; line: number; callee: string; next: string; through?: string[] } | null {
    if (!this.facts || !site.added || chain.length < 2 || chain[chain.length - 1] !== site.fn.name) return null;
    let near = site.fn.path;
    for (let i = chain.length - 2; i >= 0; i--) {
      const def = this.linkDefinition(near, chain[i]!, chain[i + 1]!);
      if (!def) return null;
      const call = def.flow.events.find((e) => e.callee === chain[i + 1])!;
      const changed = this.post().find((v) => v.path === def.file && v.name === chain[i])?.changed ?? new Set<number>();
      const t = this.text(def.file);
      const lines = t !== undefined ? treeLines(def.file, t) : undefined;
      for (const e of def.flow.events) {
        if (e.line >= call.line) break;
        if (e.conditional || changed.has(e.line)) continue;
        // an allocation of its own, or a call of a function that allocates so whenever it runs (allocatesOnEntry())
        // (a function the patch changes on the way down: what it allocates may be the patch's own new allocation)
        const summary = e.info.kind === "call" && e.callee !== chain[i + 1] && /^[A-Za-z_]\w*$/.test(e.callee) ? this.allocatesOnEntry(def.file, e.callee, needs, 2) : null;
        const through = summary && ![e.callee, ...summary.chain.slice(0, -1)].some((n) => this.changedByPatch(n)) ? summary : null;
        const mask = e.info.kind === "alloc" ? e.info.mask : through?.mask;
        if (!mask || !allowsReclaimOf(applyScopes(mask, e.state.mustScopes), needs)) continue;
        if (labelBetween(lines, e.line, call.line, def.flow)) continue;
        return { fn: chain[i]!, line: e.line, callee: e.callee, next: chain[i + 1]!, ...(through ? { through: [e.callee, ...through.chain] } : {}) };
      }
      near = def.file;
    }
    return null;
  }

  /**
   * A function that allocates so (at least as much reclaim allowed as `needs`, its scopes applied) whenever it runs:
   * an allocation of its own under no if-condition, with no return or goto before it, or a call so made of a function
   * that does (`depth` calls down). The chain to the allocation, or null. Unlike allocSummary(), an allocation a
   * branch or a first-use test guards does not count.
   */
  private allocatesOnEntry(near: string, name: string, needs: "io" | "fs", depth: number): { mask: Mask; chain: string[] } | null {
    const def = this.definitionFlow(near, name);
    const t = def ? this.text(def.file) : undefined;
    if (!def || t === undefined) return null;
    const key = `${def.file}\0${name}\0${needs}\0${depth}`;
    if (this.onEntryMemo.has(key)) return this.onEntryMemo.get(key)!;
    // an exit (an early return, even an error one) or a jump (which may land past it) before the allocation: not
    // every run allocates
    const lines = treeLines(def.file, t);
    let stop = Math.min(def.flow.end + 1, ...def.flow.exits.filter((x) => x.how === "return").map((x) => x.line));
    for (let n = def.flow.start; n < stop; n++) if (/\bgoto\s+[A-Za-z_]\w*\s*;/.test(stripLine(lines[n - 1] ?? ""))) stop = n;
    let found: { mask: Mask; chain: string[] } | null = null;
    for (const e of def.flow.events) {
      if (e.line > stop) break;
      if (e.conditional || e.conds?.length || e.guards?.length) continue;
      const scopes = e.state.mustScopes;
      const sub = e.info.kind === "alloc" ? { mask: e.info.mask, chain: [`${e.callee}(${e.info.gfpText ?? ""})`] } : e.info.kind === "call" && depth > 0 && /^[A-Za-z_]\w*$/.test(e.callee) && e.callee !== name ? this.allocatesOnEntry(def.file, e.callee, needs, depth - 1) : null;
      if (!sub) continue;
      const m = applyScopes(sub.mask, scopes);
      if (allowsReclaimOf(m, needs)) {
        found = { mask: m, chain: e.info.kind === "alloc" ? sub.chain : [e.callee, ...sub.chain] };
        break;
      }
    }
    this.onEntryMemo.set(key, found);
    return found;
  }

  private onEntryMemo = new Map<string, { mask: Mask; chain: string[] } | null>();

  private changedFns: Set<string> | null = null;

  /** A function the patch changes (a view of it with changed lines, in any file). */
  private changedByPatch(name: string): boolean {
    this.changedFns ??= new Set(this.post().filter((p) => p.changed.size > 0).map((p) => p.name));
    return this.changedFns.has(name);
  }

  private shownMemo = new WeakMap<FnView, string[]>();

  /** The lines the patch shows of a fragment's function, by line number (the ones not shown blank; once per view). */
  private shownLines(v: FnView): string[] {
    let shown = this.shownMemo.get(v);
    if (!shown) {
      shown = [];
      for (const r of regionsOf(this.patch, "new")) if (r.file.path === v.path && r.name === v.name) for (const l of r.lines) shown[l.line - 1] = l.text;
      for (let i = 0; i < shown.length; i++) shown[i] ??= "";
      this.shownMemo.set(v, shown);
    }
    return shown;
  }

  private unchangedAllocMemo = new WeakMap<FnView, FlowEvent[]>();

  /** A view's allocations of its own block (no branch) on lines the patch does not change, in line order (once per view). */
  private unchangedAllocations(v: FnView): FlowEvent[] {
    let out = this.unchangedAllocMemo.get(v);
    if (!out) {
      const changed = this.changedIn(v);
      out = v.flow.events.filter((e) => (e.info.kind === "alloc" || e.info.kind === "wq-alloc") && !e.conditional && !changed.has(e.line)).sort((x, y) => x.line - y.line);
      this.unchangedAllocMemo.set(v, out);
    }
    return out;
  }

  private contextChangeMemo = new Map<string, number>();

  /**
   * The patch adds or deletes a scope, lock or handle call in this function before `line` (on either side): the
   * first such line of the new side is found once per function (any on the old side counts as before every line).
   */
  private contextChangedAbove(v: FnView, line: number): boolean {
    const key = `${v.path}\0${v.name}`;
    let first = this.contextChangeMemo.get(key);
    if (first === undefined) {
      first = Infinity;
      const oldPath = this.patch.files.find((f) => f.path === v.path)?.oldPath ?? v.path;
      for (const w of [...this.post(), ...this.pre()]) {
        if ((w.path !== v.path && w.path !== oldPath) || w.name !== v.name) continue;
        for (const e of w.flow.events) {
          if (!w.changed.has(e.line) || !(e.info.kind === "scope" || e.info.kind === "lock" || e.info.kind === "handle")) continue;
          first = Math.min(first, w.image === "post" ? e.line : -Infinity);
        }
      }
      this.contextChangeMemo.set(key, first);
    }
    return first < line;
  }

  /** The directory's locks taken inside a queue freeze or declared to lockdep as taken in reclaim (per index). */
  private dirDeclaredTakers(d: DirIndex): ReclaimTaker[] {
    const memo = dirTakerMemo.get(d);
    if (memo) return memo;
    const out: ReclaimTaker[] = [];
    for (const f of d.files) {
      const scan = d.scans.get(f)!;
      const freezers = scan.functions.filter((fn) => fn.calls.some((c) => LOCK_CALLS[c.callee]?.kind === "freeze" && LOCK_CALLS[c.callee]?.op === "acquire"));
      const primers = scan.functions.filter((fn) => fn.calls.some((c) => RECLAIM_LOCKDEP_PRIME.enter[c.callee]));
      if (freezers.length === 0 && primers.length === 0) continue;
      const t = this.text(f);
      if (t === undefined) continue;
      const flows = cachedFlows(`post:${f}`, t, this.wrappersOf(f));
      for (const fn of freezers) {
        const flow = flows.get(fn.name);
        if (flow) out.push(...frozenTakers(f, fn.name, flow));
      }
      for (const fn of primers) {
        const flow = flows.get(fn.name);
        if (flow) out.push(...primedLocks({ path: f, name: fn.name, flow, image: "post", whole: true, changed: new Set(), signature: fn.name }));
      }
    }
    dirTakerMemo.set(d, out);
    return out;
  }

  private changedMemo = new Map<string, ReadonlySet<number>>();

  /** The lines the patch changed in a function: every hunk of it (a fragment view holds one hunk). */
  changedIn(view: FnView): ReadonlySet<number> {
    if (view.whole) return view.changed;
    const k = `${view.image}:${view.path}:${view.name}`;
    let m = this.changedMemo.get(k);
    if (!m) {
      const all = new Set<number>();
      for (const v of view.image === "post" ? this.post() : this.pre()) if (v.path === view.path && v.name === view.name) for (const l of v.changed) all.add(l);
      this.changedMemo.set(k, (m = all));
    }
    return m;
  }

  /** The post-image function holding a line. */
  viewAt(path: string, line: number): FnView | null {
    return this.post().find((v) => v.path === path && line >= v.flow.start && line <= v.flow.end) ?? null;
  }

  // ------------------------------------------------------------ the directory

  /** The scanned C files of a path's directory (the path itself first); bounded in bytes. */
  private dir(path: string): DirIndex {
    const d = dirname(path);
    let m = this.dirMemo.get(d);
    if (m) return m;
    const scans = new Map<string, ScanFile>();
    const files: string[] = [];
    let bytes = 0;
    let complete = true;
    if (this.facts) {
      // the patched file when the patch applied to the tree; else the tree's own file stands in for the context
      const own = this.source!.postImage(path) ?? this.facts.text(path) ?? this.source!.preImage(path);
      const all = [path, ...this.facts.neighbours(path)];
      for (const f of all) {
        const t = f === path ? own : this.text(f); // the patch's own version of a neighbour it changes
        if (t === undefined || !/\.[ch]$/.test(f)) continue;
        bytes += t.length;
        if (bytes > MAX_DIR_BYTES) {
          complete = false;
          break;
        }
        files.push(f);
        scans.set(f, cachedScan(`post:${f}`, t));
      }
    }
    files.sort();
    // the same files (the same scan objects) as the last patch looked at: the index is reused across patches
    const cached = dirIndexCache.get(d);
    const same = cached !== undefined && cached.complete === complete && cached.files.length === files.length && cached.files.every((f, i) => f === files[i]);
    const differ = same ? files.filter((f) => cached!.scans.get(f) !== scans.get(f)) : [];
    if (same && differ.length === 0) {
      m = cached!;
      dirIndexCache.delete(d);
      dirIndexCache.set(d, m);
    } else if (same && differ.length <= 4) {
      // the files a patch changed: the cached index stays the base the next patch is laid over
      m = overlayIndex(cached!, scans, differ);
      dirIndexCache.delete(d);
      dirIndexCache.set(d, cached!);
    } else {
      m = indexDirectory(files, scans, complete);
      if (dirIndexCache.size > 64) dirIndexCache.delete(dirIndexCache.keys().next().value!);
      dirIndexCache.set(d, m);
    }
    this.dirMemo.set(d, m);
    return m;
  }

  /** The lock wrappers of a file's directory (with a source tree; per directory index). */
  wrappersOf(path: string): LockWrappers | undefined {
    if (!this.facts) return undefined;
    const d = this.dir(path);
    let w = wrapperMemo.get(d);
    if (w) return w;
    const defs = (n: string) => d.defs.get(n)?.length ?? 0;
    const base = d.base ? wrapperMemo.get(d.base) : undefined;
    if (d.base && d.changed && base) {
      // an overlay (a patch's files laid over the cached index): the base's wrappers, those of the changed files
      // found again with the rest as seeds (a wrapper elsewhere built on one the patch changes keeps its old form)
      const seed = new Map([...base].filter(([, x]) => !d.changed!.includes(x.file)));
      w = findLockWrappers(d.changed, d.scans, (f) => this.text(f), defs, seed);
    } else {
      w = findLockWrappers(d.files, d.scans, (f) => this.text(f), defs);
    }
    wrapperMemo.set(d, w);
    return w;
  }

  private text(path: string): string | undefined {
    return this.source?.postImage(path) ?? this.facts?.text(path) ?? this.source?.preImage(path);
  }

  /**
   * A fragment's parameters. Git quotes one line of the definition in the hunk header, so a signature that goes on
   * past it is cut; with a tree, it is completed from the tree's definition of the function in the same file when
   * the parameters the header does show are that definition's first ones (the last perhaps cut short).
   */
  private regionParams(r: Region): string[] {
    let out = this.regionParamsMemo.get(r);
    if (out) return out;
    out = paramsOfSignature(r.signature);
    const def = this.facts && !r.hasDefinition && r.name !== null && !signatureClosed(r.signature, r.name) ? this.definitionOf(r.file.path, r.name) : null;
    if (def && def.file === r.file.path) {
      const shown = out;
      const full = paramsOfSignature(`f(${def.fn.params})`);
      // (the scan joins a declaration's tokens: `struct a*x` for `struct a *x`)
      const norm = (t: string) => t.replace(/\s*\*\s*/g, "*").replace(/\s+/g, " ").trim();
      if (full.length >= shown.length && shown.every((p, i) => (i < shown.length - 1 ? norm(p) === norm(full[i]!) : norm(full[i]!).startsWith(norm(p))))) out = full;
    }
    this.regionParamsMemo.set(r, out);
    return out;
  }

  /** regionParams() per region (a fragment's walk and the view built from it both ask). */
  private regionParamsMemo = new WeakMap<Region, string[]>();

  private definitionOf(path: string, name: string): { file: string; fn: ScanFunction } | null {
    const defs = this.dir(path).defs.get(name);
    if (!defs) return null;
    // this file's own definition; another .c file's static function is not this one, a header's static inline is
    return defs.find((x) => x.file === path) ?? defs.find((x) => !x.fn.isStatic || x.file.endsWith(".h")) ?? null;
  }

  /** Ops-table and assignment registrations of `name` in the directory, with their roles. */
  private registrations(path: string, name: string): RoleFact[] {
    const out: RoleFact[] = [];
    const d = this.dir(path);
    for (const o of d.opsByFn.get(name) ?? []) {
      const r = opsRole(o.struct, o.field);
      if (r && !evictionNotInReclaim(d.scans.get(o.file), o, r.role))
        out.push({ role: r.role, label: r.label, root: name, chain: [name], how: "ops-table", at: { file: o.file, line: o.line }, ...(r.inReclaim ? { inReclaim: true } : {}), ...noFlusher(d.scans.get(o.file), o), ...(r.role === "io-complete" && readsOnly(d) ? { readsOnly: `${dirname(o.file)}/ registers address_space_operations without a write path` } : {}) });
    }
    return out;
  }

  // ------------------------------------------------------------ roles

  /** The role of a function in a path reclaim waits on: its own (ops table, signature) or a caller's within a few calls. */
  roleOf(view: FnView): RoleFact | null {
    return this.memoRole(view, undefined, false);
  }

  /**
   * A role lookup, once per function, line (roleAt()), reach (roleWithUsers()) and want: `clearing` passes over roles
   * under which an allocation is no hazard (ROLE_NEEDS clear null: eviction, shrinkers, folio release run inside
   * reclaim) and goes on up the chain past them, so a helper that eviction and writeback both call is judged for
   * writeback.
   */
  private memoRole(view: FnView, line: number | undefined, users: boolean, clearing = false): RoleFact | null {
    const key = `${view.path}\0${view.name}\0${line ?? ""}\0${users ? "users" : ""}\0${clearing ? "clearing" : ""}`;
    if (this.roleMemo.has(key)) return this.roleMemo.get(key)!;
    const r = this.roleUncached(view, line, users, clearing);
    this.roleMemo.set(key, r);
    return r;
  }

  private directRole(path: string, name: string, signature: string | null): RoleFact | null {
    const regs = this.facts ? this.registrations(path, name) : this.patchRegistrations(name);
    if (regs.length > 0) return regs[0]!;
    const core = Object.hasOwn(CORE_PATH_FUNCTIONS, name) ? CORE_PATH_FUNCTIONS[name]! : null;
    if (core && core.file === path) return { role: core.role, label: core.label, root: name, chain: [name], how: "core", ...(core.inReclaim ? { inReclaim: true } : {}) };
    if (signature) {
      const s = signatureRole(signature);
      // a guess by a signature helpers share, when the patch shows the function called by name and never handed
      // over as a value: a helper, whose callers (not its signature) say where it runs
      if (s && !(s.generic && this.patchCallsOnly(name))) return { role: s.role, label: s.label, root: name, chain: [name], how: "signature", ...(s.inReclaim ? { inReclaim: true } : {}) };
    }
    return null;
  }

  private callsOnlyMemo = new Map<string, boolean>();

  /**
   * The patch's lines (added and context) call `name` directly and never use it as a value (an initialiser, an
   * assignment, an argument): a helper whose callers are shown. Declarations and its definition are neither.
   */
  private patchCallsOnly(name: string): boolean {
    if (!/^[A-Za-z_]\w*$/.test(name)) return false;
    let r = this.callsOnlyMemo.get(name);
    if (r !== undefined) return r;
    let calls = 0;
    let values = 0;
    const call = new RegExp(`(?<![\\w.>])${name}\\s*\\(`);
    const value = new RegExp(`(?:[=,(]|return)\\s*&?\\s*${name}\\s*(?:[,;)}]|$)`);
    for (const f of this.patch.files)
      for (const h of f.hunks)
        for (const l of h.lines) {
          if (l.kind === "del" || !l.text.includes(name)) continue;
          const code = stripLine(l.text);
          if (value.test(code)) values++;
          // a definition or prototype starts at column 0 (kernel style); a call is indented
          else if (call.test(code) && /^\s/.test(l.text)) calls++;
        }
    r = calls > 0 && values === 0;
    this.callsOnlyMemo.set(name, r);
    return r;
  }

  /**
   * Whether a function of an audited file can hold anything the rules judge:
   * its text names an allocation, a scope or task flag, a lock, handle or
   * freeze, a wait, flush, queueing or filesystem IO call (the diff-only
   * prefilter's token classes), or it has a role. A necessary condition: a
   * function without any of these yields no site, and callers and callees are
   * read through the directory index, not through these views.
   */
  private auditMatters(path: string, span: { name: string; start: number; end: number }, lines: readonly string[]): boolean {
    for (let i = span.start - 1; i < span.end && i < lines.length; i++) {
      const t = lines[i]!;
      if (TOKENS.alloc.test(t) || TOKENS.scope.test(t) || TOKENS.relaxed.test(t) || AUDIT_TOKENS.test(t)) return true;
    }
    const sig = lines.slice(span.start - 1, Math.min(span.end, span.start + 4)).join(" ");
    return this.directRole(path, span.name, sig.slice(0, sig.indexOf("{") >= 0 ? sig.indexOf("{") : sig.length)) !== null;
  }

  private reclaimSide: boolean | null = null;
  private anyRole: boolean | null = null;

  /** Some function the patch shows has a role (by a registration the patch shows, or by its signature). */
  private patchHasRole(): boolean {
    if (this.anyRole !== null) return this.anyRole;
    this.anyRole = regionsOf(this.patch, "new").some((r) => r.name !== null && this.directRole(r.file.path, r.name, r.signature) !== null);
    return this.anyRole;
  }

  private reclaimQueue: boolean | null = null;

  private reclaimWorkNames: Set<string> | null = null;

  /**
   * Diff only, with a WQ_MEM_RECLAIM queue in the patch: a region that may run as work of it. Work is bound where the
   * patch shows it (an INIT_WORK()-like call naming the function, or a function taking a work_struct and finding its
   * object with container_of()), and runs the functions it calls: the regions named on a line with a work-init call
   * or taking a work_struct, and those the functions of the set call, on either side. A necessary condition: the
   * workqueue analysis finds work only through such bindings in a diff.
   */
  private mayRunAsReclaimWork(r: Region): boolean {
    if (!this.patchShowsReclaimQueue() || r.name === null) return false;
    if (!this.reclaimWorkNames) {
      const regions = [...regionsOf(this.patch, "new"), ...regionsOf(this.patch, "old")];
      const names = new Set(regions.map((x) => x.name).filter((n): n is string => n !== null));
      const inits = new RegExp(`\\b(?:${Object.keys(WORK_INITS).join("|")})\\s*\\(`);
      const set = new Set<string>();
      for (const f of this.patch.files)
        for (const h of f.hunks)
          h.lines.forEach((l, i) => {
            if (!inits.test(l.text)) return;
            // the call's arguments may go on to the next line
            for (const w of `${l.text} ${h.lines[i + 1]?.text ?? ""}`.match(/[A-Za-z_]\w*/g) ?? []) if (names.has(w)) set.add(w);
          });
      for (const x of regions) if (x.name !== null && /\bstruct\s+work_struct\s*\*/.test(x.signature)) set.add(x.name);
      // what the work calls, among the patch's functions (each region's calls read once)
      const calls = new Map<string, string[]>();
      for (const x of regions) {
        if (x.name === null) continue;
        const own = calls.get(x.name) ?? [];
        for (const l of x.lines) for (const w of l.text.match(/[A-Za-z_]\w*(?=\s*\()/g) ?? []) if (names.has(w)) own.push(w);
        calls.set(x.name, own);
      }
      for (let todo = [...set]; todo.length > 0; ) {
        const next: string[] = [];
        for (const n of todo)
          for (const w of calls.get(n) ?? []) {
            if (set.has(w)) continue;
            set.add(w);
            next.push(w);
          }
        todo = next;
      }
      this.reclaimWorkNames = set;
    }
    return this.reclaimWorkNames.has(r.name);
  }

  /** The patch's lines name WQ_MEM_RECLAIM or a legacy constructor (which implies it): a queue whose work reclaim may wait on. */
  private patchShowsReclaimQueue(): boolean {
    if (this.reclaimQueue !== null) return this.reclaimQueue;
    this.reclaimQueue = this.patch.files.some((f) => f.hunks.some((h) => h.lines.some((l) => TOKENS.reclaimQueue.test(l.text))));
    return this.reclaimQueue;
  }

  /**
   * The patch shows a function reclaim runs (a shrinker, eviction, folio release...), or a lock taken inside a queue
   * freeze: only then can a lock it shows be one reclaim waits on.
   */
  private patchHasReclaimSide(): boolean {
    if (this.reclaimSide !== null) return this.reclaimSide;
    const regions = regionsOf(this.patch, "new");
    this.reclaimSide =
      regions.some((r) => r.name !== null && this.directRole(r.file.path, r.name, r.signature)?.inReclaim === true) ||
      // a lock taken inside a queue freeze the patch shows: reclaim's IO to the queue waits on that lock
      regions.some(locksInsideFreeze);
    return this.reclaimSide;
  }

  /** A diff region's function has a role the patch or its signature shows (diff-only prefilter). */
  private regionHasRole(r: Region): boolean {
    if (r.name && this.patchRegistrations(r.name).length > 0) return true;
    return signatureRole(r.signature) !== null;
  }

  private patchRegs: Map<string, RoleFact[]> | null = null;

  /** Registrations visible in the patch's own lines (diff-only review): read once per patch. */
  private patchRegistrations(name: string): RoleFact[] {
    if (!this.patchRegs) {
      const regs = new Map<string, RoleFact[]>();
      for (const [fn, entries] of this.shownEntries())
        for (const en of entries) {
          const r = opsRole(en.struct, en.field);
          if (!r) continue;
          const fact: RoleFact = { role: r.role, label: r.label, root: fn, chain: [fn], how: "ops-table", at: { file: en.file, line: en.line }, ...(r.inReclaim ? { inReclaim: true } : {}) };
          regs.set(fn, [...(regs.get(fn) ?? []), fact]);
        }
      this.patchRegs = regs;
    }
    return this.patchRegs.get(name) ?? [];
  }

  private shownEntryMemo: Map<string, { struct: string | null; field: string; file: string; line: number }[]> | null = null;

  /**
   * The table entries the patch's lines (added and context) show, by the function they register: `.F = fn,` in an
   * initialiser or `x->F = fn;`, each with the struct type of the initialiser the hunk shows it in (`struct T v[] =
   * {`), or null when the hunk does not show it.
   */
  private shownEntries(): Map<string, { struct: string | null; field: string; file: string; line: number }[]> {
    if (this.shownEntryMemo) return this.shownEntryMemo;
    const out = new Map<string, { struct: string | null; field: string; file: string; line: number }[]>();
    for (const file of this.patch.files)
      for (const h of file.hunks) {
        let struct: string | null = null;
        for (const l of h.lines) {
          if (l.kind === "del") continue;
          const t = l.text.length > 512 ? l.text.slice(0, 512) : l.text;
          if (t.includes("struct") && t.includes("=")) {
            const so = /\bstruct\s+([A-Za-z_]\w*)\s+[A-Za-z_]\w*(?:\s*\[[^\]]*\])?\s*=\s*\{/.exec(t);
            if (so) struct = so[1]!;
          }
          if (t.startsWith("};")) struct = null;
          if (!t.includes("=")) continue;
          const m = /^\s*\.\s*([A-Za-z_]\w*)\s*=\s*&?\s*([A-Za-z_]\w*)\s*,?\s*(?:\/[/*].*)?$/.exec(t) ?? /(?:->|\.)\s*([A-Za-z_]\w*)\s*=\s*&?\s*([A-Za-z_]\w*)\s*;\s*$/.exec(t);
          if (!m) continue;
          const list = out.get(m[2]!) ?? [];
          list.push({ struct, field: m[1]!, file: file.path, line: l.newLine ?? 0 });
          out.set(m[2]!, list);
        }
      }
    return (this.shownEntryMemo = out);
  }

  /**
   * The role for an event under if-conditions at `line`: callers whose constant arguments rule out its branch do not
   * count (`if (initial)` called with 0 from the reset path).
   */
  roleAt(view: FnView, line: number): RoleFact | null {
    return this.memoRole(view, line, false);
  }

  /**
   * roleOf()/roleAt(), and when the directory gives none, the role users in other directories give an exported
   * function on the way up (remoteUses()). Asked only for a changed allocation that may enter reclaim: such a
   * lookup searches the tree (under the library directory's parent, within the review's search time).
   */
  roleWithUsers(view: FnView, line?: number, clearing = false): RoleFact | null {
    const own = this.memoRole(view, line, false, clearing);
    return own || this.mode !== "tree" ? own : this.memoRole(view, line, true, clearing);
  }

  /** The role an allocation is judged under (memoRole()'s `clearing`): added ones with users, others by line or function. */
  private allocationRole(v: FnView, line: number | undefined, added: boolean): RoleFact | null {
    if (added) return this.roleWithUsers(v, line, true);
    return this.memoRole(v, line, false, true);
  }

  private roleUncached(view: FnView, line?: number, users = false, clearing = false): RoleFact | null {
    const wanted = (r: RoleFact | null): r is RoleFact => r !== null && (!clearing || ROLE_NEEDS[r.role].clear !== null);
    const direct = this.directRole(view.path, view.name, view.signature);
    if (wanted(direct)) return direct;
    if (direct && !this.facts) return null;
    if (!this.facts) return this.patchCallerRole(view);
    // a function the patch adds to a file it does not apply to: the tree does not have it, the patch's fragments
    // that call it do (each of them with the role the tree gives its own version, readInTree())
    if (!view.whole && !this.readInTree(view) && this.source?.postImage(view.path) === undefined) return this.fragmentCallerRole(view, users);
    // callers within the directory, breadth first (and, for a function exported to other modules, its users in
    // other directories: their ops tables and their callers)
    // (`crossed`: the ops types a link went up through, with the directory that registered the function; a caller
    // in another directory with its own table of such a type calls its own functions through it, not these)
    // (and, within the directory, a caller in another file that registers its own function for the same field of
    // that type: the object it works on carries its own table, a write path's pgio ops rather than the read path's)
    // (`near`: a header's inline wrapper of an exported function is called where that function's callers are, so its
    // callers are looked for in the directory of the function it wraps: headerWrappers())
    let frontier: { file: string; name: string; chain: string[]; edges: ChainEdge[]; crossed: Crossed[]; near?: string }[] = [{ file: view.path, name: view.name, chain: [view.name], edges: [], crossed: [] }];
    const seen = new Set([`${view.path}:${view.name}`]);
    // (an allocation's role is looked for ten callers up in a patch review: a controller reset reaches its
    // configuration-page helper five calls below the host reset handler, an MMC host's tuning helper is nine links
    // below the MMC block driver's queue_rq (through the core's retune and two ops pointers); other lookups, and an
    // audit, whose every function is a candidate and whose deeper reset chains are not judged yet, stop at four)
    const maxDepth = clearing && this.mode !== "audit" ? ALLOC_ROLE_DEPTH : 4;
    for (let depth = 0; depth < maxDepth && frontier.length > 0; depth++) {
      const next: typeof frontier = [];
      for (const s of frontier) {
        // (a header's wrapper: only its callers near the function it wraps, not a search of the header's directory)
        const uses = users && !s.near ? this.remoteUses(s.file, s.name) : null;
        for (const u of uses ?? []) {
          const reg = remoteRegistration(u, s.name);
          if (!wanted(reg)) continue;
          if (s.edges.length > 1 && chainConflict(linksOf(s.edges, (f, n) => this.linkSource(f, n)))) continue;
          return { ...reg, chain: s.chain, ...(s.edges.length > 0 ? { linkFiles: s.edges.map((e) => e.file) } : {}) };
        }
        const framework = users && !s.near ? this.frameworkCallersOf(s.file, s.name) : [];
        let callers: { file: string; fn: ScanFunction; line: number; struct?: string; via?: string; near?: string }[] = s.near
          ? this.callersOf(s.near, s.name)
          : [...this.callersOf(s.file, s.name), ...this.indirectCallersOf(s.file, s.name), ...remoteCallers(uses, s.name), ...framework];
        // (a public header's wrappers are searched for only when nothing else calls the function: one more search)
        if (users && !s.near && callers.length === 0) callers = this.headerWrappers(s.file, s.name);
        for (const c of callers) {
          const k = `${c.file}:${c.fn.name}`;
          if (seen.has(k)) continue;
          const crossed = c.struct !== undefined ? [...s.crossed, { struct: c.struct, dir: dirname(s.file), file: s.file, field: c.via ?? "", fn: s.name }] : s.crossed;
          if (c.struct === undefined && crossed.some((t) => (dirname(c.file) !== t.dir ? this.implements(c.file, t.struct) : c.file !== t.file && this.registersOther(c.file, t)))) continue;
          // the caller's constant arguments rule out every call s makes to the next link of the chain
          if (this.pathRuledOut(c, s.file, s.chain, line)) continue;
          seen.add(k);
          const chain = [c.fn.name, ...s.chain];
          const edges = [{ caller: c.fn.name, callee: s.name, file: c.file, line: c.line }, ...s.edges];
          const r = this.directRole(c.file, c.fn.name, `${c.fn.name}(${c.fn.params})`);
          if (wanted(r)) {
            // the chain's calls need a fact of the root's objects both ways (chain-conds.ts): it never runs
            if (edges.length > 1 && chainConflict(linksOf(edges, (f, n) => this.linkSource(f, n)))) continue;
            return { ...r, chain, linkFiles: edges.map((e) => e.file) };
          }
          next.push({ file: c.file, name: c.fn.name, chain, edges, crossed, ...(c.near ? { near: c.near } : {}) });
        }
      }
      frontier = next;
    }
    return null;
  }

  /**
   * A call site `c` of chain[0] passes constants that, carried down the chain through parameters passed on as they
   * are, make false a condition over some link's parameters under which every call of that link to the next (or,
   * for the last link, every event on `line`) sits, or that an early exit before it tests (`if (!initial) return;`):
   * the path never reaches the end of the chain.
   */
  private pathRuledOut(c: { file: string; fn: ScanFunction; line: number }, file: string, chain: readonly string[], line: number | undefined): boolean {
    const call = c.fn.calls.find((x) => x.line === c.line && x.callee === chain[0]);
    let args = call ? call.args.map((a) => a.replace(/\s+/g, "")) : [];
    for (let i = 0; i < chain.length && args.some(isConstant); i++) {
      const name = chain[i]!;
      const next: string | number | undefined = i + 1 < chain.length ? chain[i + 1] : line;
      if (next === undefined) return false;
      const def = this.definitionFlow(file, name);
      if (!def) return false;
      const flow = def.flow;
      const targets = flow.events.filter((e) => (typeof next === "number" ? e.line === next : e.callee === next));
      if (targets.length === 0) return false;
      const names = flow.params.map(paramName);
      if (targets.every((e) => contradicted([...(e.conds ?? []), ...(e.guards ?? [])], names, args) !== null)) return true;
      // what the next link is called with: constants, and this link's parameters carried on with their values
      if (typeof next === "number") return false;
      const bound = new Map(names.map((n, k) => [n, isConstant(args[k] ?? "") ? args[k]! : ""]));
      const passed = targets.map((e) =>
        e.args.map((a) => {
          const x = a.replace(/\s+/g, "");
          return isConstant(x) ? x : bound.get(x) ?? "";
        }),
      );
      // several calls of the next link: only the values they all pass carry on
      args = passed[0]!.map((v, k) => (passed.every((p) => p[k] === v) ? v : ""));
      file = def.file;
    }
    return false;
  }

  /**
   * An allocation whose mask is its function's gfp_t parameter, on one chain of calls that ends in that function
   * (a work function's, a role's): the mask the chain passes, with the site's own scopes; null when the mask is no
   * parameter or the chain's links are not all read (the site's mask, from every caller, stands).
   */
  maskOnChain(site: AllocSite, chain: readonly string[]): { mask: Mask; from: string } | null {
    if (!this.facts || chain.length < 2 || chain[chain.length - 1] !== site.fn.name) return null;
    const idx = this.maskParamIndex(site.fn, site.ev);
    const along = idx >= 0 ? this.maskAlongChain(site.fn.path, idx, chain) : null;
    if (!along) return null;
    return { mask: applyScopes({ ...along.mask, text: site.ev.info.mask.text, name: null }, site.ev.state.mustScopes), from: along.from };
  }

  /**
   * The mask an allocation whose gfp is the function's parameter `idx` gets on one chain of calls (root first,
   * ending with the function): the argument each link passes the next, followed up through parameters passed on
   * as they are, with the scopes every such call is under. Null when the chain's links are not all read, or the
   * mask stays a parameter of the root (its callers decide).
   */
  private maskAlongChain(file: string, idx: number, chain: readonly string[]): { mask: Mask; from: string } | null {
    let at = idx;
    for (let i = chain.length - 2; i >= 0; i--) {
      const name = chain[i]!;
      const def = this.definitionFlow(file, name);
      if (!def) return null;
      const calls = def.flow.events.filter((e) => e.callee === chain[i + 1] && e.args[at] !== undefined);
      if (calls.length === 0) return null;
      const texts = [...new Set(calls.map((e) => e.args[at]!.replace(/\s+/g, "")))];
      const names = def.flow.params.map(paramName);
      // the link passes its own parameter on: the mask is its caller's
      if (texts.length === 1 && names.includes(texts[0]!)) {
        at = names.indexOf(texts[0]!);
        file = def.file;
        continue;
      }
      // the least restricted of what the link passes (a parameter among several: unknown)
      let worst: { mask: Mask; from: string } | null = null;
      for (const e of calls) {
        const arg = e.args[at]!;
        const m = applyScopes(evalMask(arg), e.state.mustScopes);
        if (!worst || maskOpenness(m) > maskOpenness(worst.mask)) worst = { mask: m, from: `${name}() passes ${cleanMask(arg)}` };
      }
      return worst;
    }
    return null;
  }

  /**
   * With a tree the patch does not apply to: the role of a function the tree does not define (the patch adds it),
   * from the functions of the patch that call it. A caller read in the tree gives the role the tree gives its
   * version of it, and one the patch shows whole (a file it adds) its own role, as far as four calls up; the chain
   * ends with the added function.
   */
  private fragmentCallerRole(view: FnView, users: boolean, depth = 0, seen: Set<string> = new Set()): RoleFact | null {
    seen.add(view.name);
    const patchOnly = (v: FnView) => !v.whole && !this.readInTree(v) && this.source?.postImage(v.path) === undefined;
    for (const other of this.post()) {
      if (other === view || other.name === view.name || !other.flow.events.some((e) => e.callee === view.name)) continue;
      // (a caller the patch shows whole, in a file it adds or applies to: its own role, its callers the tree's)
      const r = this.directRole(other.path, other.name, other.signature) ?? (other.whole || this.readInTree(other) ? this.memoRole(other, undefined, users) : null);
      if (r && r.chain.length < 5) return { ...r, chain: [...r.chain, view.name] };
      // a caller the patch adds too: its own callers in the patch, a few links up
      if (!r && depth < 3 && !seen.has(other.name) && patchOnly(other)) {
        const up = this.fragmentCallerRole(other, users, depth + 1, seen);
        if (up) return { ...up, chain: [...up.chain, view.name] };
      }
    }
    // registered by the patch's lines in an initialiser of a table type of the code's own (`.hw_reset = fn,` in a
    // `struct foo_bus_ops` the directory calls through): the role of the tree's functions that call through that field
    const reg = this.patchTableEntry(view.path, view.name);
    if (!reg) return null;
    const own = opsRole(reg.struct, reg.field);
    if (own) return { role: own.role, label: own.label, root: view.name, chain: [view.name], how: "ops-table", at: { file: view.path, line: reg.line } };
    for (const c of this.fieldCallSites(view.path, reg.struct, reg.field)) {
      const flow = this.definitionFlow(c.file, c.fn.name)?.flow;
      if (!flow) continue;
      const caller: FnView = { path: c.file, name: c.fn.name, flow, image: "post", whole: true, changed: new Set(), signature: `${c.fn.name}(${c.fn.params})` };
      const r = this.directRole(c.file, c.fn.name, caller.signature) ?? this.memoRole(caller, undefined, users);
      if (r && r.chain.length < 6) return { ...r, chain: [...r.chain, view.name] };
    }
    return null;
  }

  /**
   * The initialiser entry the patch's lines of `path` show for `name` (`.F = name,` inside `struct T x = {`, the
   * type read from the lines above it or the hunk's header): T, F and the entry's line. Null when the type is not in
   * view or no entry names the function.
   */
  private patchTableEntry(path: string, name: string): { struct: string; field: string; line: number } | null {
    const entry = new RegExp(`^\\s*\\.\\s*([A-Za-z_]\\w*)\\s*=\\s*&?\\s*${name}\\s*,?\\s*$`);
    const opens = /\bstruct\s+([A-Za-z_]\w*)\s+[A-Za-z_]\w*\s*(?:\[[^\]]*\])?\s*=\s*\{/;
    for (const f of this.patch.files) {
      if (f.path !== path) continue;
      // the new side's lines in order, each hunk's header text first (git names the enclosing initialiser there)
      const lines: { text: string; line: number }[] = [];
      for (const h of f.hunks) {
        lines.push({ text: h.section, line: 0 });
        for (const l of h.lines) if (l.kind !== "del" && l.newLine !== null) lines.push({ text: l.text, line: l.newLine });
      }
      for (let i = 0; i < lines.length; i++) {
        const m = entry.exec(lines[i]!.text);
        if (!m) continue;
        for (let j = i - 1; j >= 0 && j >= i - 64; j--) {
          const t = lines[j]!.text;
          const o = opens.exec(t);
          if (o) return { struct: o[1]!, field: m[1]!, line: lines[i]!.line };
          if (/^\s*\}/.test(t) || /^[A-Za-z_].*\)\s*$/.test(t)) break;
        }
      }
    }
    return null;
  }

  /** Diff-only: a caller shown in the patch that has a role. */
  private patchCallerRole(view: FnView): RoleFact | null {
    for (const other of this.post()) {
      if (other === view || !other.flow.events.some((e) => e.callee === view.name)) continue;
      const r = this.directRole(other.path, other.name, other.signature);
      if (r) return { ...r, chain: [other.name, view.name] };
    }
    return null;
  }

  /**
   * The function is a kernel thread's body (passed to kthread_create/kthread_run
   * in the patch or the directory): the task ends when it returns, so a scope
   * it leaves open ends with it.
   */
  runsAsThread(view: FnView): boolean {
    const spawns = (callee: string, args: readonly string[]) => THREAD_SPAWNERS[callee] !== undefined && (args[0] ?? "").replace(/^&/, "") === view.name;
    if (this.post().some((v) => v.flow.events.some((e) => spawns(e.callee, e.args)))) return true;
    if (!this.facts) return false;
    for (const callee of Object.keys(THREAD_SPAWNERS))
      for (const c of this.dir(view.path).callers.get(callee) ?? []) {
        const call = c.fn.calls.find((x) => x.line === c.line && x.callee === callee);
        if (call && spawns(callee, call.args)) return true;
      }
    return false;
  }

  /**
   * Call sites of `name` in the directory (scan facts), and the call sites of the directory's function-like macros
   * whose body is a call of it (`as`: the macro's name, which is what the site calls).
   */
  callersOf(path: string, name: string): { file: string; fn: ScanFunction; line: number; as?: string }[] {
    if (!this.facts) return [];
    const d = this.dir(path);
    const direct = d.callers.get(name) ?? [];
    const macros = this.macroAliases(d).get(name) ?? [];
    const viaMacro = macros.flatMap((m) => (d.callers.get(m) ?? []).map((c) => ({ ...c, as: m })));
    const viaParam = d.valueRefs.has(name) ? this.callbackCallers(d, name) : [];
    const all = viaMacro.length + viaParam.length === 0 ? direct : [...direct, ...viaMacro, ...viaParam];
    const def = this.definitionOf(path, name);
    // a static function is called from its own file only
    return def && def.fn.isStatic && !def.file.endsWith(".h") ? all.filter((c) => c.file === def.file) : all;
  }

  /**
   * The functions of the directory that call `name` through a function-pointer parameter it is passed for
   * (`process_jobs(&kc->copy_jobs, kc, run_copy_job)`, where `process_jobs(..., int (*fn)(struct job *))` calls
   * `fn(job)`): each call of the parameter (`as`: the parameter's name, which is what the site calls).
   */
  private callbackCallers(d: DirIndex, name: string): { file: string; fn: ScanFunction; line: number; as: string }[] {
    const passes = this.passesOf(d, name);
    const out: { file: string; fn: ScanFunction; line: number; as: string }[] = [];
    for (const p of passes) {
      const g = this.definitionOf(p.file, p.callee);
      if (!g) continue;
      const param = /\(\s*\*\s*([A-Za-z_]\w*)\s*\)\s*\(/.exec(paramsOfSignature(`f(${g.fn.params})`)[p.idx] ?? "")?.[1];
      if (!param) continue;
      for (const c of g.fn.calls) if (c.callee === param) out.push({ file: g.file, fn: g.fn, line: c.line, as: param });
    }
    return out;
  }

  /**
   * The calls of the directory that pass `name` as an argument: an overlay index (a patch's changed files laid over
   * the tree's) reads its base's for the files it does not change, and scans only its own changed files.
   */
  private passesOf(d: DirIndex, name: string): { file: string; callee: string; idx: number }[] {
    if (d.base && d.changed) {
      const changed = d.changed;
      return [...this.passesOf(d.base, name).filter((x) => !changed.includes(x.file)), ...(ownPasses(d, changed).get(name) ?? [])];
    }
    return ownPasses(d, d.files).get(name) ?? [];
  }

  /**
   * Per directory: function -> the function-like macros of the directory's headers whose body is a call of it
   * (`#define foo_force_shutdown(m, f) foo_do_force_shutdown(m, f, __FILE__, __LINE__)`), for functions the
   * directory defines: a call of the macro is a call of the function.
   */
  private macroAliases(d: DirIndex): Map<string, string[]> {
    // (an overlay that changes no header has its base's)
    if (d.base && d.changed && !d.changed.some((f) => f.endsWith(".h"))) return this.macroAliases(d.base);
    let m = macroAliasMemo.get(d);
    if (!m) {
      m = new Map();
      for (const f of d.files) {
        if (!f.endsWith(".h")) continue;
        const t = this.text(f);
        if (t === undefined || !t.includes("#define")) continue;
        for (const x of t.matchAll(MACRO_CALL_RE)) {
          const [, macro, callee] = x as unknown as [string, string, string];
          if (macro === callee || !d.defs.has(callee)) continue;
          const list = m.get(callee) ?? [];
          if (!list.includes(macro)) m.set(callee, [...list, macro]);
        }
      }
      macroAliasMemo.set(d, m);
    }
    return m;
  }

  /**
   * The files of other directories that use `name`, a function of `path`'s directory exported to other modules
   * (EXPORT_SYMBOL), with their scans: a library's function whose role is given where a driver or filesystem
   * registers it (`.eh_abort_handler = lib_eh_abort`) or calls it from one of its own callbacks. With a tree, for
   * patches; null when the function is not exported, the tree cannot be searched, the search time of the
   * review (REMOTE_SEARCH_MS) is spent, or more than MAX_REMOTE_FILES files use it. Only files under searchRoot() are searched.
   */
  private remoteUses(path: string, name: string): { file: string; scan: ScanFile }[] | null {
    if (this.mode !== "tree" || !this.facts) return null;
    const def = this.definitionOf(path, name);
    if (!def || def.fn.isStatic || def.file.endsWith(".h")) return null;
    const key = `${def.file}\0${name}`;
    if (this.remoteMemo.has(key)) return this.remoteMemo.get(key)!;
    let out: { file: string; scan: ScanFile }[] | null = null;
    const own = this.text(def.file);
    if (own !== undefined && exportsOf(cachedScan(`post:${def.file}`, own), own).has(name) && this.remoteMs < REMOTE_SEARCH_MS) {
      const d = dirname(def.file);
      const t0 = performance.now();
      // under the parent, unless a search there ran out of time before: then under the directory itself
      let root = searchRoot(d);
      if (slowRoots.has(root)) root = d;
      let found = this.facts.grep(name, root, REMOTE_GREP_MS);
      if (found === null && root !== d) {
        slowRoots.add(root);
        found = this.facts.grep(name, d, REMOTE_GREP_MS);
      }
      const files = found?.filter((f) => f.endsWith(".c") && dirname(f) !== d).sort() ?? null;
      this.remoteMs += performance.now() - t0;
      if (files && files.length <= MAX_REMOTE_FILES) {
        out = [];
        for (const f of files) {
          const t = this.text(f);
          if (t !== undefined) out.push({ file: f, scan: cachedScan(`post:${f}`, t) });
        }
      }
    }
    this.remoteMemo.set(key, out);
    return out;
  }

  /**
   * Callers through an ops table of the code under review (not the kernel's: those are roles): `name` is
   * registered as field F in initialisers of one struct type, no other struct type of the directory has a field F
   * set, and a function calls `->F(...)` or `.F(...)`. With a tree, for patches: an audit follows them for what a
   * caller holds across the call (a queue frozen around `->init_sched()`), not for roles (a chain of pointer calls
   * up to an error handler passes conditions on the object the audit cannot read).
   */
  indirectCallersOf(path: string, name: string): { file: string; fn: ScanFunction; line: number; via: string; struct: string }[] {
    if (this.mode === "audit") return [];
    return this.indirectSites(path, name);
  }

  /** indirectCallersOf() in every mode with sources (what is held across the call is read in an audit too). */
  private indirectSites(path: string, name: string): { file: string; fn: ScanFunction; line: number; via: string; struct: string }[] {
    if (!this.facts) return [];
    const d = this.dir(path);
    const structs = fieldStructs(d);
    let regs = this.typedRegistrations(d, name);
    // (a function only the patch registers, in a file the tree does not apply it to: the registration its lines show,
    // typed by the hunk's initialiser or by the one struct type whose initialisers in the directory set that field)
    if (regs.length === 0 && this.mode !== "audit")
      regs = this.shownRegistrations(path, name).map((r) => {
        const named = namedStructs(structs.get(r.field));
        return { ...r, struct: r.struct ?? (named.length === 1 ? named[0]! : null) };
      });
    regs = regs.filter((o) => o.struct !== null && !opsRole(o.struct, o.field));
    if (regs.length === 0) return [];
    const out: { file: string; fn: ScanFunction; line: number; via: string; struct: string }[] = [];
    for (const field of new Set(regs.map((r) => r.field))) {
      // (one struct type named; registrations whose type the syntax does not say, `ops_var.F = fn;`, do not count)
      if (namedStructs(structs.get(field)).length !== 1) continue;
      const sites = this.sitesOfField(d, field);
      // (with the struct type, so a role chain that went up through this table does not go on into a directory
      // with its own table of the type: roleUncached()'s `crossed`)
      const struct = regs.find((r) => r.field === field)!.struct!;
      for (const c of sites) if (c.fn.name !== name) out.push({ ...c, via: field, struct });
    }
    return out;
  }

  /**
   * The registrations of `name` as a field of a table that the patch's lines in `path`'s directory show
   * (shownEntries()).
   */
  private shownRegistrations(path: string, name: string): { struct: string | null; field: string }[] {
    const dir = dirname(path);
    return (this.shownEntries().get(name) ?? []).filter((r) => dirname(r.file) === dir).map((r) => ({ struct: r.struct, field: r.field }));
  }

  /** The calls through field `field` (`->F(` or `.F(`) in the directory's files (the first 32 or so; once per directory and field). */
  private sitesOfField(d: DirIndex, field: string): { file: string; fn: ScanFunction; line: number }[] {
    let sitesByField = indirectSiteMemo.get(d);
    if (!sitesByField) indirectSiteMemo.set(d, (sitesByField = new Map()));
    let sites = sitesByField.get(field);
    if (!sites) {
      sites = [];
      const re = new RegExp(`(?:->|\\.)\\s*${field}\\s*\\(`, "g");
      for (const f of d.files) {
        const t = this.text(f);
        if (t === undefined || !t.includes(field)) continue;
        sites.push(...callSitesIn(f, t, d.scans.get(f)!.functions, re));
        if (sites.length > 32) break;
      }
      sitesByField.set(field, sites);
    }
    return sites;
  }

  /**
   * The calls in `path`'s directory through field F of the directory's own table type T (the one struct type whose
   * initialisers there set F): where a function the patch registers as T.F is called.
   */
  private fieldCallSites(path: string, struct: string, field: string): { file: string; fn: ScanFunction; line: number }[] {
    if (!this.facts) return [];
    const d = this.dir(path);
    const named = namedStructs(fieldStructs(d).get(field));
    if (named.length !== 1 || named[0] !== struct) return [];
    return this.sitesOfField(d, field);
  }

  /**
   * A function's registrations in the directory's ops tables, each with its struct type. One whose type the syntax
   * does not say, a field assignment at probe time, has the type of the member it is assigned through when the
   * directory's files declare that member with one struct type: `host->mmc_host_ops.F = fn;` with
   * `struct mmc_host_ops mmc_host_ops;` in a header of the directory, `x->ops->F = fn;` with `struct foo_ops *ops;`.
   * Otherwise it stays untyped (null).
   */
  private typedRegistrations(d: DirIndex, name: string): { struct: string | null; field: string }[] {
    const regs = d.opsByFn.get(name) ?? [];
    if (regs.every((o) => o.struct !== null)) return regs;
    let types = memberTypeMemo.get(d);
    if (!types) memberTypeMemo.set(d, (types = new Map()));
    return regs.map((o) => {
      if (o.struct !== null) return o;
      // (the holder is the assigned expression, `host->mmc_host_ops.F`: the member is the name before F)
      const member = /([A-Za-z_]\w*)\s*(?:->|\.)\s*[A-Za-z_]\w*\s*$/.exec(o.holder)?.[1];
      if (!member) return o;
      let type = types.get(member);
      if (type === undefined) {
        const found = new Set<string>();
        const re = new RegExp(`\\bstruct\\s+([A-Za-z_]\\w*)\\s*(?:\\*\\s*)?(?:const\\s+)?${member}\\s*;`, "g");
        for (const f of d.files) {
          const t = this.text(f);
          if (t === undefined || !t.includes(member)) continue;
          for (const m of t.matchAll(re)) found.add(m[1]!);
        }
        type = found.size === 1 ? [...found][0]! : null;
        types.set(member, type);
      }
      return type === null ? o : { ...o, struct: type };
    });
  }

  private frameworkMemo = new Map<string, { file: string; fn: ScanFunction; line: number }[]>();
  private wrapperMemo = new Map<string, { file: string; fn: ScanFunction; line: number; near: string }[]>();

  /**
   * The static inline functions of headers under include/ that call `name`, a function of `path`'s directory
   * exported to other modules (`ubi_read_sg()` in a public header wrapping the exported `ubi_leb_read_sg()`): each
   * with `near`, where its callers are looked for (the exported function's directory, whose code the header serves).
   * With a tree, for patches, within the review's search time, when nothing else calls the function; at most four
   * headers.
   */
  private headerWrappers(path: string, name: string): { file: string; fn: ScanFunction; line: number; near: string }[] {
    if (this.mode !== "tree" || !this.facts) return [];
    const def = this.definitionOf(path, name);
    if (!def || def.fn.isStatic || def.file.endsWith(".h")) return [];
    const key = `${def.file}\0${name}`;
    let out = this.wrapperMemo.get(key);
    if (out) return out;
    out = [];
    const own = this.text(def.file);
    if (own !== undefined && exportsOf(cachedScan(`post:${def.file}`, own), own).has(name) && this.remoteMs < REMOTE_SEARCH_MS && !slowRoots.has("include")) {
      const t0 = performance.now();
      const found = this.facts.grep(name, "include", REMOTE_GREP_MS);
      this.remoteMs += performance.now() - t0;
      if (found === null) slowRoots.add("include");
      const headers = found?.filter((f) => f.endsWith(".h")) ?? [];
      for (const h of headers.length <= 4 ? headers : []) {
        const t = this.text(h);
        if (t === undefined) continue;
        for (const fn of cachedScan(`post:${h}`, t).functions) {
          const call = fn.isStatic && fn.name !== name ? fn.calls.find((c) => c.callee === name) : undefined;
          if (call) out.push({ file: h, fn, line: call.line, near: def.file });
        }
      }
    }
    this.wrapperMemo.set(key, out);
    return out;
  }

  /**
   * Callers through an ops table a framework declares (tree review, on the way up from a changed allocation): `name`
   * is registered as field F of a struct type the directory does not declare (a host driver's variant ops that the
   * core of its subsystem calls), no other struct type of the directory sets F, and no call of `->F(` sits in the
   * directory. The framework's calls are searched under the directory's parent (searchRoot(), within the review's
   * search time): functions of other directories (headers included: a core's inline wrapper) that call `->F(...)`.
   * None when a file there registers F in another struct type, or when more than MAX_FRAMEWORK_SITES functions call
   * it (a field name too common to say which table is called).
   */
  private frameworkCallersOf(path: string, name: string): { file: string; fn: ScanFunction; line: number; via: string; struct: string }[] {
    if (this.mode !== "tree" || !this.facts) return [];
    const d = this.dir(path);
    const regs = this.typedRegistrations(d, name).filter((o) => o.struct !== null && !opsRole(o.struct, o.field) && !this.declaresStruct(d, o.struct));
    if (regs.length === 0) return [];
    const structs = fieldStructs(d);
    const out: { file: string; fn: ScanFunction; line: number; via: string; struct: string }[] = [];
    const inDirectory = new Set(this.indirectSites(path, name).map((c) => c.via));
    for (const r of regs) {
      // (another struct type of the directory with a field F is called within the directory: its calls are not the
      // framework's, which are searched outside it; one the directory does not declare may be)
      if (namedStructs(structs.get(r.field)).some((t) => t !== r.struct && !this.declaresStruct(d, t)) || inDirectory.has(r.field)) continue;
      const dir = dirname(path);
      const key = `${dir}\0${r.struct}\0${r.field}`;
      let sites = this.frameworkMemo.get(key);
      if (!sites) {
        sites = [];
        const root = searchRoot(dir);
        if (this.remoteMs < REMOTE_SEARCH_MS && !slowRoots.has(root)) {
          const t0 = performance.now();
          const found = this.facts.grep(r.field, root, REMOTE_GREP_MS);
          this.remoteMs += performance.now() - t0;
          if (found === null) slowRoots.add(root);
          const files = found?.filter((f) => /\.[ch]$/.test(f) && dirname(f) !== dir).sort() ?? [];
          const re = new RegExp(`->\\s*${r.field}\\s*\\(`, "g");
          let ambiguous = files.length > MAX_REMOTE_FILES;
          for (const f of ambiguous ? [] : files) {
            const t = this.text(f);
            if (t === undefined) continue;
            const scan = cachedScan(`post:${f}`, t);
            if (scan.ops.some((o) => o.field === r.field && o.struct !== null && o.struct !== r.struct)) {
              ambiguous = true;
              break;
            }
            sites.push(...callSitesIn(f, t, scan.functions, re));
          }
          if (ambiguous || new Set(sites.map((c) => `${c.file}:${c.fn.name}`)).size > MAX_FRAMEWORK_SITES) sites = [];
        }
        this.frameworkMemo.set(key, sites);
      }
      for (const c of sites) out.push({ ...c, via: r.field, struct: r.struct! });
    }
    return out;
  }

  /** Whether `file` registers, in an initialiser of the crossed link's struct type, another function than its own for its field. */
  private registersOther(file: string, t: Crossed): boolean {
    if (!t.field) return false;
    const scan = this.dir(file).scans.get(file);
    return scan?.ops.some((o) => o.struct === t.struct && o.field === t.field && o.fn !== t.fn) ?? false;
  }

  /** Whether a file of the directory of `path` registers a function in an initialiser of struct type `struct`. */
  private implements(path: string, struct: string): boolean {
    return tableTypes(this.dir(path)).has(struct);
  }

  private addressTaken(path: string, name: string): boolean {
    return this.dir(path).valueRefs.has(name);
  }

  // ------------------------------------------------------------ callers

  /** What the callers of a function hold when they call it (a source tree; depth-bounded). */
  callers(view: FnView): CallerFacts {
    const key = `${view.path}\0${view.name}`;
    let c = this.callerMemo.get(key);
    if (!c) this.callerMemo.set(key, (c = this.callersUncached(view.path, view.name, 0, new Set())));
    return c;
  }

  /**
   * The directory of `path` is a filesystem's and no block driver's: its files register a filesystem's tables
   * (FILESYSTEM_TABLES: super or address-space operations) and none of a block driver's (BLOCK_DRIVER_TABLES). Work
   * such code runs is waited on by the filesystem's writeback, so GFP_NOFS keeps reclaim out of what it waits for;
   * block IO waits on a block driver's. False without sources.
   */
  filesystemSide(path: string): boolean {
    return this.facts !== null && filesystemDir(this.dir(path));
  }

  /** A file the patch changes that the tree does not apply it to (a patch review with a tree). */
  private unappliedFile(path: string): boolean {
    return this.mode === "tree" && !!this.source && this.source.postImage(path) === undefined && this.patch.files.some((f) => f.path === path);
  }

  /** A fragment of a patch the tree does not apply to, whose function the tree defines: its callers are the tree's. */
  readInTree(v: FnView): boolean {
    return this.facts !== null && this.mode !== "audit" && !v.whole && v.name !== "?" && this.source?.postImage(v.path) === undefined && this.definitionOf(v.path, v.name) !== null;
  }

  /**
   * The patch's callers of a function only the patch defines, in a file the tree does not apply it to (a helper
   * added next to code of a later release): the fragments of such files whose lines call it. Its callers in the tree
   * are the tree's callers of those fragments' functions (readInTree()). None without a tree, in an audit, or when
   * the tree defines the function.
   */
  patchOnlyCallers(path: string, name: string): FnView[] {
    if (this.mode !== "tree" || !this.source || this.definitionOf(path, name) !== null) return [];
    const unapplied = (v: FnView) => !v.whole && this.unappliedFile(v.path);
    const post = this.post();
    if (!post.some((v) => unapplied(v) && v.name === name && v.path === path)) return [];
    return post.filter((v) => unapplied(v) && v.name !== name && v.flow.events.some((e) => e.callee === name));
  }

  /**
   * A fragment of a patch the tree does not apply to: the callers of the tree's version of its function (the
   * function is defined there under the same name), each held entry marked as seen in the tree's version.
   * None without a tree, or when the tree does not define the function.
   */
  private treeCallers(v: FnView): CallerFacts {
    if (!this.readInTree(v)) return { searched: false, complete: false, paths: [], everyScope: [] };
    const c = this.callers(v);
    return {
      ...c,
      paths: c.paths.map((p) => {
        // the patch's own version of the immediate caller: a scope it shows opened above its call (in any hunk)
        const shown = this.scopesShownAbove(p.file, p.chain[p.chain.length - 1]!, v.name);
        return { ...p, mustScopes: [...new Set([...p.mustScopes, ...shown])], held: seenInTree(p.held) };
      }),
    };
  }

  /**
   * The scopes the patch's lines of `caller` (its fragments in `file`, across hunks) show saved before every call
   * of `callee` they show, unconditionally and not restored between: the patch's version of the caller opens them,
   * whatever the tree's version (another release) does. None when the patch shows no call of `callee` there.
   */
  private scopesShownAbove(file: string, caller: string, callee: string): ScopeKind[] {
    const frags = this.post().filter((x) => x.path === file && x.name === caller && !x.whole);
    const calls = frags.flatMap((x) => x.flow.events.filter((e) => e.callee === callee).map((e) => e.line));
    if (calls.length === 0) return [];
    const scopes = frags.flatMap((x) => x.flow.events.filter((e) => e.info.kind === "scope")).sort((a, b) => a.line - b.line);
    const out: ScopeKind[] = [];
    for (const kind of ["noio", "nofs"] as const) {
      const covered = calls.every((at) => {
        let open = false;
        for (const e of scopes) {
          if (e.line >= at || e.info.kind !== "scope") break;
          // a restore of every flag (current_restore_flags() with none named) closes this kind too
          if (!e.info.scope.includes(kind) && !(e.info.op === "restore" && e.info.restoresAll)) continue;
          // (an early exit before the save also skips the call: only a branch around the save itself counts)
          if (e.info.op === "save") open = (e.conds?.length ?? 0) === 0;
          else open = false;
        }
        return open;
      });
      if (covered) out.push(kind);
    }
    return out;
  }

  private callersUncached(path: string, name: string, depth: number, active: Set<string>, origin = path): CallerFacts {
    if (!this.facts) return { searched: false, complete: false, paths: [], everyScope: [] };
    const def = this.definitionOf(path, name);
    const complete = !!def && def.fn.isStatic && !this.addressTaken(path, name) && this.dir(path).complete;
    const paths: CallerPath[] = [];
    const k = `${path}:${name}`;
    active.add(k);
    // a caller's path, or the paths of its own callers through it (what they hold marked as the tree's when the
    // caller is a fragment of a patch the tree does not apply to)
    const addPath = (here: CallerPath, up: CallerFacts | null, upFromTree: boolean) => {
      if (!up || up.paths.length === 0) {
        paths.push(here);
        return;
      }
      for (const u of up.paths.slice(0, 8))
        paths.push({ ...here, chain: [...u.chain, ...here.chain], mustScopes: [...new Set([...u.mustScopes, ...here.mustScopes])], held: [...(upFromTree ? seenInTree(u.held) : u.held), ...here.held], handleParams: [...u.handleParams, ...here.handleParams] });
    };
    // callers through an ops pointer of the code's own (`e->ops.init_sched(q, e)`): what they hold across the call;
    // and, with a tree, for a function exported to other modules, its callers in other directories (remoteUses())
    const remote = this.mode === "tree" && def && !def.fn.isStatic ? remoteCallers(this.remoteUses(path, name), name) : [];
    for (const c of [...this.callersOf(path, name), ...this.indirectSites(path, name), ...remote]) {
      if (paths.length >= 32) break;
      const t = this.text(c.file);
      if (t === undefined) continue;
      const flow = cachedFlows(`post:${c.file}`, t, this.wrappersOf(c.file)).get(c.fn.name);
      const via = "via" in c ? (c.via as string) : null;
      const called = "as" in c && typeof c.as === "string" ? c.as : name;
      const ev = via
        ? flow?.events.find((e) => e.line === c.line && e.callee === `->${via}`)
        : flow?.events.find((e) => e.line === c.line && e.callee === called) ?? flow?.events.find((e) => e.callee === called);
      if (via && !ev) continue;
      const mustScopes = [...new Set([...scopeKinds(ev?.state.mustScopes ?? []), ...(flow ? this.helperScopes(c.file, flow, c.line) : [])])];
      // (a caller in a file of the patch the tree does not apply it to: what it holds is seen in the tree's version)
      const held = heldIn(ev?.state.held ?? [], c.fn.name, c.file, origin);
      const here: CallerPath = { chain: [c.fn.name], args: ev?.args ?? [], file: c.file, line: c.line, mustScopes, held: this.unappliedFile(c.file) ? seenInTree(held) : held, handleParams: handleParamsOf(paramsOfSignature(`f(${c.fn.params})`), c.fn.name) };
      const ck = `${c.file}:${c.fn.name}`;
      addPath(here, depth < 3 && !active.has(ck) && c.fn.name !== name ? this.callersUncached(c.file, c.fn.name, depth + 1, active, origin) : null, false);
    }
    // a helper only the patch defines, in a file the tree does not apply it to: the patch's fragments that call it
    // (what their walk, seeded with the tree's state above them, holds at the call), then the tree's callers of
    // their functions
    if (paths.length === 0 && !def)
      for (const f of this.patchOnlyCallers(path, name)) {
        const ev = f.flow.events.find((e) => e.callee === name);
        if (!ev || paths.length >= 32) continue;
        const mustScopes = [...new Set(scopeKinds(ev.state.mustScopes))];
        const here: CallerPath = { chain: [f.name], args: ev.args, file: f.path, line: ev.line, mustScopes, held: heldIn(ev.state.held, f.name, f.path, origin), handleParams: handleParamsOf(f.flow.params, f.name) };
        const fk = `${f.path}:${f.name}`;
        // (a caller the tree defines: its callers are the tree's; one only the patch defines: the patch's fragments
        // that call it, in turn)
        const inTree = this.readInTree(f);
        const up = inTree || this.definitionOf(f.path, f.name) === null;
        addPath(here, depth < 3 && !active.has(fk) && up ? this.callersUncached(f.path, f.name, depth + 1, active, origin) : null, inTree);
      }
    active.delete(k);
    let everyScope: ScopeKind[] = [];
    if (complete && paths.length > 0) {
      everyScope = paths[0]!.mustScopes.filter((s) => paths.every((p) => p.mustScopes.includes(s)));
    }
    return { searched: true, complete, paths, everyScope };
  }

  /** AllocSite.onceGuard, or for a site without a role, the same test in its own function (the work's rule reads it). */
  fieldGuard(site: AllocSite): { field: string; why: string } | null {
    return site.onceGuard ?? this.onceGuard(site.fn, site.ev);
  }

  /** A test, before the allocation in its function, that its destination field is empty (see AllocSite.onceGuard). */
  private onceGuard(v: FnView, ev: AllocSite["ev"]): { field: string; why: string } | null {
    const dest = (ev.assignedTo ?? "").replace(/\s+/g, "");
    let lines: readonly string[];
    if (v.whole) {
      const t = this.text(v.path);
      if (t === undefined) return null;
      lines = treeLines(v.path, t);
    } else {
      // a fragment: its own lines, the ones not shown left blank (a test above the hunk is not seen; one the hunk
      // shows, in a file the tree's version of which does not have it, is)
      lines = this.shownLines(v);
    }
    const guard = /^[A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*|\[[^\]]*\])+$/.test(dest) ? this.destGuard(v, ev, dest, lines) : null; // a field, not a local
    return guard ?? this.blockGuard(v, ev, lines);
  }

  private destGuard(v: FnView, ev: AllocSite["ev"], dest: string, lines: readonly string[]): { field: string; why: string } | null {
    const e = fieldPattern(dest);
    const notAfter = "(?!\\s*(?:->|\\.|\\[|\\w))";
    const empty = new RegExp(`\\bif\\s*\\((?:[^;{]*[(\\s&|!])?(?:!\\s*\\(?\\s*${e}${notAfter}|${e}${notAfter}\\s*==\\s*(?:NULL|0)\\b|\\b(?:NULL|0)\\s*==\\s*${e}${notAfter})`);
    const full = new RegExp(`\\bif\\s*\\(\\s*(?:unlikely\\s*\\()?\\s*${e}${notAfter}\\s*\\)?\\s*\\)\\s*(?:return|goto)\\b`);
    for (let ln = v.flow.start; ln < ev.line && ln <= lines.length; ln++) {
      const here = lines[ln - 1]!;
      if (!here.includes("if") || here.length > 400) continue;
      const two = `${here} ${lines[ln] ?? ""}`;
      if (empty.test(two) || full.test(two)) return { field: dest, why: `the allocation only follows the test at line ${ln} (${here.trim()})` };
    }
    return null;
  }

  /**
   * A caller on the role's chain calls the next link only under a test that a field is empty (`if (!x->table)`,
   * `if (x->count == 0)`), and the functions below that call (a call further down at most) fill that field: the
   * path runs on first setup, not when the role runs again later (a reset finds the field filled).
   */
  private chainGuard(v: FnView, role: RoleFact): { field: string; why: string } | null {
    const chain = role.chain;
    if (chain.length < 2 || !this.facts) return null;
    for (let i = 0; i < chain.length - 1; i++) {
      const caller = this.definitionOf(v.path, chain[i]!);
      const t = caller ? this.text(caller.file) : undefined;
      if (!caller || t === undefined) continue;
      const calls = (cachedFlows(`post:${caller.file}`, t, this.wrappersOf(caller.file)).get(chain[i]!)?.events ?? []).filter((e) => e.callee === chain[i + 1]);
      if (calls.length === 0) continue;
      // the same emptiness test over every call of the next link
      const fieldsOf = (e: FlowEvent) =>
        (e.conds ?? []).flatMap((c) => {
          if (c.startsWith("!(")) return [];
          const m = /^\(?(?:!([A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)+)|([A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)+)==(?:NULL|0))\)?$/.exec(c);
          const f = m?.[1] ?? m?.[2];
          return f ? [{ field: f, cond: c }] : [];
        });
      const first = fieldsOf(calls[0]!);
      for (const g of first) {
        const member = /([A-Za-z_]\w*)$/.exec(g.field)![1]!;
        if (!calls.every((e) => fieldsOf(e).some((x) => x.field === g.field))) continue;
        const fills = new RegExp(`(?:->|\\.)${member}\\s*(?:=[^=]|\\+\\+|\\+=)|\\+\\+\\s*[A-Za-z_][\\w.>-]*(?:->|\\.)${member}\\b`);
        const filler = this.fillsBelow(caller.file, chain.slice(i + 1), fills);
        if (filler) return { field: g.field, why: `${chain[i]}() calls ${chain[i + 1]}() only under ${g.cond}, and ${filler}() fills ${member}: this path runs when the field is still empty (first setup), not when ${role.root}() runs again` };
      }
    }
    return null;
  }

  /** The first function among `names` (and the functions they call) whose text matches `fills`. */
  private fillsBelow(near: string, names: readonly string[], fills: RegExp): string | null {
    const seen = new Set<string>();
    let frontier = [...names];
    for (let depth = 0; depth < 2 && frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const n of frontier) {
        if (seen.has(n) || seen.size > 64) continue;
        seen.add(n);
        const def = this.definitionOf(near, n);
        const t = def ? this.text(def.file) : undefined;
        if (!def || t === undefined) continue;
        if (treeLines(def.file, t).slice(def.fn.start - 1, def.fn.end).some((l) => l.length <= 400 && fills.test(l))) return n;
        for (const c of def.fn.calls) if (/^[A-Za-z_]\w*$/.test(c.callee)) next.push(c.callee);
      }
      frontier = next;
    }
    return null;
  }

  private blockGuard(v: FnView, ev: AllocSite["ev"], lines: readonly string[]): { field: string; why: string } | null {
    // or the allocation sits under a test that another field is empty, and the function fills that field (the block
    // sets a buffer up once: `if (ioc->reply_frames == NULL) { ...alloc...; ioc->reply_frames = ...; }`)
    for (const c of ev.conds ?? []) {
      if (c.startsWith("!(")) continue;
      const m = /^\(?(?:!([A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)+)|([A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)+)==(?:NULL|0))\)?$/.exec(c);
      const field = m?.[1] ?? m?.[2];
      if (!field) continue;
      const fe = fieldPattern(field);
      const fills = new RegExp(`(?:^|[^\\w>.])${fe}\\s*=[^=]`);
      for (let ln = v.flow.start; ln <= v.flow.end && ln <= lines.length; ln++) {
        const t = lines[ln - 1]!;
        if (t.length <= 400 && fills.test(t)) return { field, why: `the allocation is under the test ${c}, and ${v.name}() fills ${field} at line ${ln}` };
      }
    }
    return null;
  }

  /**
   * Scopes open at `line` of `flow` that a helper opened: an earlier call, outside any branch, whose result is
   * stored and whose definition returns a memalloc save (a lock helper that returns
   * memalloc_nofs_save()), not yet handed to a helper that restores its parameter. Read from the tree.
   */
  private helperScopes(file: string, flow: FunctionFlow, line: number): ScopeKind[] {
    if (!this.facts) return [];
    const out = new Set<ScopeKind>();
    for (const e of flow.events) {
      if (e.line >= line || e.conditional || e.info.kind !== "call" || !e.assignedTo || !/^[A-Za-z_]\w*$/.test(e.callee)) continue;
      const kinds = scopeKinds(this.helperFlow(file, e.callee)?.returnsScope ?? []);
      if (kinds.length === 0) continue;
      const v = e.assignedTo.replace(/\s+/g, "");
      const closed = flow.events.some(
        (r) => r.line > e.line && r.line < line && r.args.some((a) => a.replace(/\s+/g, "") === v) && (r.info.kind === "scope" || this.helperFlow(file, r.callee)?.restoresParam === true),
      );
      if (!closed) for (const k of kinds) out.add(k);
    }
    return [...out];
  }

  private helperFlow(file: string, name: string): FunctionFlow | undefined {
    return this.definitionFlow(file, name)?.flow;
  }

  /** A function's walk and definition text, as seen from `path` (for chain-conds.ts), or null when not read. */
  private linkSource(path: string, name: string): { flow: FunctionFlow; text: string } | null {
    const def = this.definitionFlow(path, name);
    const t = def ? this.text(def.file) : undefined;
    if (!def || t === undefined) return null;
    return { flow: def.flow, text: treeLines(def.file, t).slice(def.flow.start - 1, def.flow.end).join("\n") };
  }

  /**
   * The scopes the links of a role's or a work's chain hold on every call down it (root first, ending with `v`):
   * for each caller, the scopes open on every path at all of its calls of the next link (none for a link called
   * through a pointer or a macro; the chain's links above one found neither in the directories read nor in the patch
   * are not read).
   */
  scopesOnChain(v: FnView, chain: readonly string[], linkFiles?: readonly string[]): ScopeKind[] {
    const out = new Set<ScopeKind>();
    let near = v.path;
    for (let i = chain.length - 2; i >= 0; i--) {
      // (where the caller search found the link, when it says: a chain that crosses directories; else a static
      // function of another file of the directory is the link when it is the directory's only definition; a link the
      // tree does not have, or without a tree: the patch's own lines of it)
      const found = this.facts && linkFiles?.[i] !== undefined ? this.definitionFlow(linkFiles[i]!, chain[i]!) : null;
      const defs = this.facts && !found ? this.dir(near).defs.get(chain[i]!) ?? [] : [];
      const only = defs.length === 1 ? defs[0]! : null;
      const def = found ?? (this.facts ? this.definitionFlow(near, chain[i]!) ?? (only ? this.definitionFlow(only.file, chain[i]!) : null) : null);
      const links = def ? [def] : this.patchLinks(near, chain[i]!);
      if (links.length === 0) break;
      // (with the scopes a helper opened and returned above the call: `ctx = foo_writepages_down_read(sb);` whose
      // definition returns memalloc_nofs_save(), helperScopes())
      // (and a transaction handle held on every path to the call whose start API opens a NOFS scope: handleScope())
      const calls = links.flatMap((l) => l.flow.events.filter((e) => e.callee === chain[i + 1]).map((c) => [...scopeKinds(c.state.mustScopes), ...this.helperScopes(l.file, l.flow, c.line), ...this.handleScopesAt(l.file, c)]));
      if (calls.length > 0) for (const k of calls[0]!) if (calls.every((c) => c.includes(k))) out.add(k);
      near = links[0]!.file;
    }
    return [...out];
  }

  /** NOFS when a handle held on every path to this event starts with an API that opens a NOFS scope (handleScope()). */
  private handleScopesAt(file: string, e: FlowEvent): ScopeKind[] {
    for (const h of e.state.held) if (h.must && h.entry.what === "handle" && h.entry.api && this.handleScope(h.entry.api, file).scope === "nofs") return ["nofs"];
    return [];
  }

  /**
   * The patch's own lines of a link `name` the tree does not have (or without a tree): its post-image views in `near`'s
   * file or, when that file has none, in the one file of the patch that has it. A scope they show open on every path
   * to a call holds there whatever the lines not shown do.
   */
  private patchLinks(near: string, name: string): { file: string; flow: FunctionFlow }[] {
    this.postByName ??= groupBy(this.post(), (w) => w.name);
    const views = this.postByName.get(name) ?? [];
    const here = views.filter((w) => w.path === near);
    const files = new Set(views.map((w) => w.path));
    return (here.length > 0 ? here : files.size === 1 ? views : []).map((w) => ({ file: w.path, flow: w.flow }));
  }

  /**
   * The definition of a link of a call chain that calls the next link: the one definitionFlow() finds from `near`,
   * else (a static function of another file of the directory: the chain was found through that file) the
   * directory's one definition of the name whose body calls `next`.
   */
  private linkDefinition(near: string, name: string, next: string): { file: string; flow: FunctionFlow } | null {
    const calls = (d: { file: string; flow: FunctionFlow } | null) => d !== null && d.flow.events.some((e) => e.callee === next);
    const def = this.definitionFlow(near, name);
    if (calls(def)) return def;
    const found: { file: string; flow: FunctionFlow }[] = [];
    for (const x of this.dir(near).defs.get(name) ?? []) {
      if (x.file === def?.file) continue;
      const t = this.text(x.file);
      const flow = t !== undefined ? cachedFlows(`post:${x.file}`, t, this.wrappersOf(x.file)).get(name) : undefined;
      if (flow && calls({ file: x.file, flow })) found.push({ file: x.file, flow });
    }
    return found.length === 1 ? found[0]! : null;
  }

  /** The path walk of the directory's definition of `name` (as definitionOf() finds it), with the file it is in. */
  private definitionFlow(path: string, name: string): { file: string; flow: FunctionFlow } | null {
    const def = this.definitionOf(path, name);
    const t = def ? this.text(def.file) : undefined;
    const flow = def && t !== undefined ? cachedFlows(`post:${def.file}`, t, this.wrappersOf(def.file)).get(name) : undefined;
    return def && flow ? { file: def.file, flow } : null;
  }

  // ------------------------------------------------------------ what reclaim takes

  /** Locks and handles taken on the reclaim side (shrinkers, eviction, release, writeback) of the code in view. */
  takers(): ReclaimTaker[] {
    if (this.takersMemo) return this.takersMemo;
    const out: ReclaimTaker[] = [];
    if (this.facts) {
      const done = new Set<string>();
      for (const p of new Set(this.post().map((v) => v.path))) {
        if (done.has(dirname(p))) continue;
        done.add(dirname(p));
        out.push(...this.reclaimTakersOfDir(p));
      }
    }
    // locks taken inside a queue freeze, and locks declared to lockdep as taken in reclaim: the patch's own
    // functions, and (a source tree) the directory's other functions (found once per directory index)
    for (const v of this.post()) out.push(...frozenTakers(v.path, v.name, v.flow), ...primedLocks(v));
    if (this.facts) {
      const done = new Set<string>();
      const own = new Set(this.post().map((v) => `${v.path}:${v.name}`));
      for (const p of new Set(this.post().map((v) => v.path))) {
        if (done.has(dirname(p))) continue;
        done.add(dirname(p));
        for (const t of this.dirDeclaredTakers(this.dir(p))) if (!own.has(`${t.file}:${t.chain[0]}`)) out.push(t);
      }
    }
    // the patch's own reclaim-side and IO-path functions (diff-only, or new code)
    for (const v of this.post()) {
      const r = this.directRole(v.path, v.name, v.signature);
      if (!r || !r.inReclaim) continue;
      const dying = r.role === "reclaim-evict" || r.role === "reclaim-release";
      const first = dying ? paramName(v.flow.params[0] ?? "") || undefined : undefined;
      const objects = first ? derivedFrom(this.viewText(v), new Set([first])) : null;
      // with a tree, an eviction callback whose filesystem drops inodes without links: what it does only for those
      // is not done in reclaim (as collectTakers() reads the directory's)
      const unlinked = this.facts && v.whole && r.role === "reclaim-evict" && this.registeredDroppingUnlinked(v.path, v.name) ? this.viewText(v) : null;
      for (const e of v.flow.events) {
        if (e.info.kind === "lock" && objects && ownOf(e.info.key.expr, objects)) continue; // the dying object's own lock
        if (unlinked !== null && unlinkedOnly([...(e.conds ?? []), ...(e.guards ?? [])], unlinked) !== null) continue;
        if (e.info.kind === "lock" && e.info.op === "acquire" && isSleepingLock(e.info.lock)) out.push({ what: "lock", key: e.info.key, role: r, chain: [v.name, e.callee], file: v.path, line: e.line });
        if (e.info.kind === "handle" && e.info.op === "start") out.push({ what: "handle", api: e.info.api, role: r, chain: [v.name, e.callee], file: v.path, line: e.line });
      }
    }
    return (this.takersMemo = out);
  }

  private dirTakersMemo = new Map<string, ReclaimTaker[]>();

  /**
   * The sleeping locks and handle starts the reclaim-side functions of a path's directory reach (its ops tables'
   * callbacks that reclaim calls): per directory, for takers() (the patch's directories) and for a lock a caller
   * in another directory holds.
   */
  private reclaimTakersOfDir(p: string): ReclaimTaker[] {
    let out = this.dirTakersMemo.get(dirname(p));
    if (out) return out;
    out = [];
    const d = this.dir(p);
    for (const f of d.files)
      for (const o of d.scans.get(f)!.ops) {
        const r = opsRole(o.struct, o.field);
        if (!r || !r.inReclaim || evictionNotInReclaim(d.scans.get(f), o, r.role)) continue;
        // an eviction callback of a filesystem whose drop_inode drops every inode without links: what it does only
        // for such an inode runs at that inode's last iput, never from reclaim (vocabulary EVICT_UNLINKED)
        const linkedOnly = r.role === "reclaim-evict" && dropsUnlinked(d.scans.get(f)!, o);
        this.collectTakers(f, o.fn, { role: r.role, label: r.label, root: o.fn, chain: [o.fn], how: "ops-table", at: { file: f, line: o.line }, inReclaim: true }, out, linkedOnly);
      }
    this.dirTakersMemo.set(dirname(p), out);
    return out;
  }

  private ioTakersMemo: ReclaimTaker[] | null = null;

  /**
   * Sleeping locks taken on the IO path (the directory's IO-path functions, with a tree, and the patch's own):
   * asked only when a held lock has no reclaim-side taker, so most reviews never collect them. Not for an audit
   * (IO-path locks of big driver directories need a patch's focus).
   */
  ioTakers(): ReclaimTaker[] {
    if (this.ioTakersMemo) return this.ioTakersMemo;
    const out: ReclaimTaker[] = [];
    if (this.mode !== "audit") {
      if (this.facts) {
        const done = new Set<string>();
        for (const p of new Set(this.post().map((v) => v.path))) {
          if (done.has(dirname(p))) continue;
          done.add(dirname(p));
          out.push(...this.dirIoTakers(this.dir(p)));
        }
      }
      for (const v of this.post()) {
        const r = this.directRole(v.path, v.name, v.signature);
        if (!r || r.inReclaim || !IO_PATH_ROLES.has(r.role)) continue;
        for (const e of v.flow.events)
          if (e.info.kind === "lock" && e.info.op === "acquire" && isSleepingLock(e.info.lock)) out.push({ what: "lock", key: e.info.key, role: r, chain: [v.name, e.callee], file: v.path, line: e.line });
      }
    }
    return (this.ioTakersMemo = out);
  }

  /**
   * Sleeping locks the directory's IO-path functions take (queue_rq, bio completion, a device-mapper map, SCSI
   * error handlers, and what they call a few levels down): reclaim may wait for IO that waits for them. Per index.
   */
  private dirIoTakers(d: DirIndex): ReclaimTaker[] {
    const memo = dirIoTakerMemo.get(d);
    if (memo) return memo;
    const out: ReclaimTaker[] = [];
    for (const f of d.files)
      for (const o of d.scans.get(f)!.ops) {
        const r = opsRole(o.struct, o.field);
        if (!r || r.inReclaim || !IO_PATH_ROLES.has(r.role)) continue;
        this.collectTakers(f, o.fn, { role: r.role, label: r.label, root: o.fn, chain: [o.fn], how: "ops-table", at: { file: f, line: o.line } }, out);
      }
    // handles are no IO-path fact: a transaction started on the IO path is another story
    const locks = out.filter((t) => t.what === "lock");
    dirIoTakerMemo.set(d, locks);
    return locks;
  }

  private collectTakers(file: string, root: string, role: RoleFact, out: ReclaimTaker[], linkedOnly = false): void {
    // eviction and folio release work on an object nobody else holds any more: its own locks (reached through the
    // object the callback was given) cannot be held by the allocating task, so they are not what reclaim waits on
    const dying = role.role === "reclaim-evict" || role.role === "reclaim-release";
    let frontier: { file: string; name: string; chain: string[]; objects: Set<string> | null }[] = [{ file, name: root, chain: [root], objects: null }];
    const seen = new Set<string>([`${file}:${root}`]);
    for (let depth = 0; depth < 4 && frontier.length > 0; depth++) {
      const next: typeof frontier = [];
      for (const s of frontier) {
        const def = this.definitionOf(s.file, s.name);
        if (!def) continue;
        const types = paramTypes(def.fn.params);
        // a lock reached through a local (`struct foo *f = s->private_data;`) is keyed by the local's struct type, as
        // the patch's own walk keys it: a generic member name (`lock`, `mutex`) matches only with both types known
        let body: string | undefined;
        const typeOf = (v: string) => types.get(v) ?? localStructType((body ??= this.scannedText(def.file, def.fn) ?? ""), v);
        const params = paramsOfSignature(`f(${def.fn.params})`).map(paramName);
        // the object: the root's first parameter, then whatever is derived from it
        let objects = s.objects ?? (dying && params[0] ? new Set([params[0]]) : null);
        if (objects && objects.size > 0) objects = this.derivedVars(def.file, def.fn, objects);
        const mentions = (expr: string) => objects !== null && ownOf(expr, objects);
        const wrappers = this.wrappersOf(def.file);
        const unlinked = linkedOnly && depth === 0 ? this.unlinkedCalls(def.file, def.fn) : null;
        for (const c of def.fn.calls) {
          if (unlinked?.has(`${c.line}:${c.callee}`)) continue;
          const l = LOCK_CALLS[c.callee];
          // a lock wrapper of the directory takes the lock its caller names (it is not walked into)
          const w = l ? undefined : wrappers?.get(c.callee);
          if (w) {
            const expr = w.op === "acquire" && isSleepingLock(w.kind) ? wrapperLockExpr(w, c.args) : null;
            if (expr && !mentions(expr)) {
              const conds = s.chain.length > 1 ? this.condsAt(def.file, s.name, c.line, c.callee) : [];
              out.push({ what: "lock", key: lockKeyOf(expr, typeOf), role, chain: [...s.chain, c.callee], file: def.file, line: c.line, ...(conds.length > 0 ? { conds } : {}) });
            }
            continue;
          }
          if (l && l.op === "acquire" && isSleepingLock(l.kind)) {
            const expr = c.args[l.arg ?? 0] ?? c.callee;
            if (mentions(expr)) continue; // the dying object's own lock
            // the branch a lock is taken in matters only calls below the entry (see alloc-while-holding): walked only then
            const conds = s.chain.length > 1 ? this.condsAt(def.file, s.name, c.line, c.callee) : [];
            out.push({ what: "lock", key: lockKeyOf(expr, typeOf), role, chain: [...s.chain, c.callee], file: def.file, line: c.line, ...(conds.length > 0 ? { conds } : {}) });
            continue;
          }
          const h = handleCall(c.callee);
          if (h && h.op === "start") {
            out.push({ what: "handle", api: h.api, role, chain: [...s.chain, c.callee], file: def.file, line: c.line });
            continue;
          }
          const k = `${def.file}:${c.callee}`;
          if (seen.has(k) || seen.size > 400) continue;
          seen.add(k);
          // which of the callee's parameters carry the object on
          let carried: Set<string> | null = null;
          if (objects) {
            carried = new Set();
            const callee = this.definitionOf(def.file, c.callee);
            const cparams = callee ? paramsOfSignature(`f(${callee.fn.params})`).map(paramName) : [];
            c.args.forEach((a, i) => {
              if (mentions(a) && cparams[i]) carried!.add(cparams[i]!);
            });
          }
          next.push({ file: def.file, name: c.callee, chain: [...s.chain, c.callee], objects: carried });
        }
      }
      frontier = next;
    }
  }

  /** `name` is registered in the directory as a super_operations eviction callback of a filesystem that drops inodes without links. */
  private registeredDroppingUnlinked(path: string, name: string): boolean {
    const d = this.dir(path);
    for (const f of d.files) {
      const scan = d.scans.get(f)!;
      for (const o of scan.ops) if (o.fn === name && opsRole(o.struct, o.field)?.role === "reclaim-evict" && dropsUnlinked(scan, o)) return true;
    }
    return false;
  }

  /** The calls of an eviction callback made only for an inode without links (unlinked.ts), as `line:callee`. */
  private unlinkedCalls(file: string, fn: ScanFunction): Set<string> {
    const out = new Set<string>();
    const t = this.text(file);
    if (t === undefined) return out;
    // (a second definition of the name in the file has a key of its own: the walk of this one)
    const flows = cachedFlows(`post:${file}`, t, this.wrappersOf(file));
    const flow = flows.get(`${fn.name}@${fn.start}`) ?? flows.get(fn.name);
    if (!flow) return out;
    const body = this.scannedText(file, fn) ?? "";
    for (const e of flow.events) {
      const conds = [...(e.conds ?? []), ...(e.guards ?? [])];
      if (conds.length > 0 && unlinkedOnly(conds, body) !== null) out.add(`${e.line}:${e.callee}`);
    }
    return out;
  }

  /** The text of a scanned function of the tree (definition to closing brace), or undefined when the file is not read. */
  private scannedText(file: string, fn: ScanFunction): string | undefined {
    const t = this.text(file);
    return t === undefined ? undefined : treeLines(file, t).slice(fn.start - 1, fn.end).join("\n");
  }

  /** The if-conditions a call is made under in its function (from the function's path walk). */
  private condsAt(file: string, fn: string, line: number, callee: string): string[] {
    const t = this.text(file);
    if (t === undefined) return [];
    const flow = cachedFlows(`post:${file}`, t, this.wrappersOf(file)).get(fn);
    return flow?.events.find((e) => e.line === line && e.callee === callee)?.conds ?? [];
  }

  /** Local variables of a function derived from the given ones (`f = FOO_I(inode)`, `struct x *y = inode->i_private`). */
  private derivedVars(file: string, fn: ScanFunction, from: Set<string>): Set<string> {
    const body = this.scannedText(file, fn);
    return body === undefined ? from : derivedFrom(body, from);
  }

  /**
   * The struct type a local is declared with (`struct T *x`) in a fragment's function: the declared types of the
   * tree's version of it (the declaration is often above the hunk).
   */
  private declaredIn(v: FnView, name: string): string | null {
    if (v.whole) return null;
    return this.definitionFlow(v.path, v.name)?.flow.types.get(name) ?? null;
  }

  /** The text of a view's function: the patch's lines for a fragment, the file's for a whole function. */
  viewText(v: FnView): string {
    const t = v.whole ? this.text(v.path) : undefined;
    if (t !== undefined) return treeLines(v.path, t).slice(v.flow.start - 1, v.flow.end).join("\n");
    const lines: string[] = [];
    for (const f of this.patch.files)
      if (f.path === v.path)
        for (const h of f.hunks) for (const l of h.lines) if (l.kind !== "del" && l.newLine !== null && l.newLine >= v.flow.start && l.newLine <= v.flow.end) lines.push(l.text);
    return lines.join("\n");
  }

  /** Whether a handle API's handle carries a NOFS scope: derived from the tree when its start function is there, else the vocabulary's record. */
  handleScope(api: string, near: string): HandleScope {
    const memo = this.handleMemo.get(api);
    if (memo) return memo;
    const h = HANDLE_APIS[api]!;
    let out: HandleScope = { scope: h.derived.scope, where: h.derived.where, how: "vocabulary" };
    if (this.facts) {
      for (const start of Object.keys(h.start)) {
        const def = this.definitionOf(near, start);
        if (!def) continue;
        const found = this.savesIntoObject(def.file, start);
        if (found.saves) out = { scope: "nofs", where: `${found.saves.file} ${found.saves.fn}(): a NOFS scope saved into ${found.saves.field}`, how: "tree" };
        // the search left the sources (the handle is started by code outside them): keep the vocabulary's record
        else if (found.complete) out = { scope: null, where: `${def.file} ${start}() and what it calls: no scope saved into the handle`, how: "tree" };
        break;
      }
    }
    this.handleMemo.set(api, out);
    return out;
  }

  /**
   * A function reached from `root` (a few calls deep) that saves a memalloc
   * scope into an object's field. `complete`: every start call of a handle API
   * met on the way was followed into its definition.
   */
  private savesIntoObject(file: string, root: string): { saves: { file: string; fn: string; field: string } | null; complete: boolean } {
    let frontier = [{ file, name: root }];
    const seen = new Set([`${file}:${root}`]);
    let complete = true;
    for (let depth = 0; depth < 4 && frontier.length > 0; depth++) {
      const next: typeof frontier = [];
      for (const s of frontier) {
        const def = this.definitionOf(s.file, s.name);
        if (!def) {
          if (handleCall(s.name)?.op === "start") complete = false;
          continue;
        }
        const t = this.text(def.file);
        if (t === undefined) continue;
        if (def.fn.calls.some((c) => c.callee === "memalloc_nofs_save" || c.callee === "memalloc_flags_save")) {
          const flow = cachedFlows(`post:${def.file}`, t, this.wrappersOf(def.file)).get(s.name);
          const h = flow?.handedOver.find((e) => e.kinds.includes("nofs") || e.kinds.includes("noio"));
          if (h) return { saves: { file: def.file, fn: s.name, field: h.variable ?? "a field" }, complete: true };
        }
        for (const c of def.fn.calls) {
          const k = `${def.file}:${c.callee}`;
          if (seen.has(k) || seen.size > 200) continue;
          seen.add(k);
          next.push({ file: def.file, name: c.callee });
        }
      }
      frontier = next;
    }
    return { saves: null, complete };
  }

  // ------------------------------------------------------------ allocation sites

  /** Every allocation in the touched functions of the post image, with its hazards. */
  allocations(): AllocSite[] {
    if (this.allocMemo) return this.allocMemo;
    const out: AllocSite[] = [];
    for (const v of this.post()) {
      const allocs = [...v.flow.events.filter((e): e is AllocSite["ev"] => e.info.kind === "alloc"), ...this.passedLocalMasks(v)];
      // calls into functions of the sources that allocate (a source tree): the call stands for the allocation
      // (an audit reports each allocation where it is, once)
      const through = this.facts && this.mode !== "audit" ? this.allocatingCalls(v) : [];
      if (allocs.length === 0 && through.length === 0) continue;
      // (a fragment of a function only the patch defines, in a file the tree does not apply it to: its callers as
      // callersUncached() finds them, the patch's fragments that call it or the calls through a table the patch shows
      // it registered in)
      const callers = v.whole || (this.mode === "tree" && this.definitionOf(v.path, v.name) === null) ? this.callers(v) : this.treeCallers(v);
      for (const ev of allocs) out.push(this.allocSite(v, ev, callers));
      for (const t of through) {
        const site = this.allocSite(v, t.ev, callers);
        site.through = t.chain;
        if (t.pointer) site.pointer = t.pointer;
        out.push(site);
      }
    }
    return (this.allocMemo = out);
  }

  /**
   * Calls in a touched function to functions of the sources that allocate with
   * a mask reclaim can recurse with (their own scopes applied), a few calls
   * deep: each becomes an allocation event at the call, with the chain to the
   * allocation. Only calls on lines the patch added, or made while something
   * is held or a scope is absent where the patch changed the function.
   */
  private allocatingCalls(v: FnView): { ev: AllocSite["ev"]; chain: string[]; pointer?: AllocSite["pointer"] }[] {
    const out: { ev: AllocSite["ev"]; chain: string[]; pointer?: AllocSite["pointer"] }[] = [];
    const changed = this.changedIn(v);
    const touchedHeld = (e: FlowEvent) => e.state.held.some((h) => changed.has(h.entry.line));
    for (const e of v.flow.events) {
      if (e.info.kind !== "call") continue;
      if (!touchesLines(v.changed, e.line, e.endLine ?? e.line) && !touchedHeld(e)) continue;
      let sum: { mask: Mask; chain: string[]; pointer?: AllocSite["pointer"] } | null = null;
      if (e.callee.startsWith("->")) {
        // a call through a pointer: the least restricted allocation of the functions it can be
        const field = e.callee.slice(2);
        const targets = this.pointerTargets(v, e);
        for (const t of targets.fns.slice(0, 64)) {
          if (this.changedByPatch(t)) continue;
          const s = this.allocSummary(v.path, t, 3, new Set());
          if (s && maskRank(s.mask) > 0 && (!sum || maskRank(s.mask) > maskRank(sum.mask)))
            sum = { mask: s.mask, chain: [t, ...s.chain], pointer: { call: `${e.receiver ?? ""}->${field}`, struct: targets.struct, field, target: t } };
        }
        if (!sum) continue;
      } else {
        // a callee the patch itself changes: its own allocations are judged where they are (with the patch applied, its
        // callers include this call); read as fragments, a call the patch adds of a function it shows whole stands for
        // what the patch's version allocates (the tree's callers do not include the new call)
        // (only for a function the tree has: one only the patch defines takes its role from the patch's calls of it,
        // fragmentCallerRole(), and its own allocation is judged there)
        if (this.changedByPatch(e.callee)) {
          const def = v.whole || !this.facts || !touchesLines(changed, e.line, e.endLine ?? e.line) ? null : this.definitionOf(v.path, e.callee);
          if (!def) continue;
          // (the patch shows only part of it (a version it shows whole is its own, allocating or not), in a file the tree
          // does not apply it to, and calls it from a function only the patch defines: the tree's version of it stands
          // in, as its callers there do not include this new call; a changed call in a function the tree has may be the
          // old call renamed with its callee)
          const ps = this.patchFunctionSummary(e.callee) ?? (this.shownWhole(e.callee).length === 0 && this.unappliedFile(def.file) && this.definitionOf(v.path, v.name) === null ? this.allocSummary(v.path, e.callee, 3, new Set()) : null);
          if (ps) out.push({ ev: { ...e, info: { kind: "alloc" as const, name: e.callee, family: "through", mask: ps.mask, implicit: false, gfpText: ps.mask.text } } as AllocSite["ev"], chain: [e.callee, ...ps.chain] });
          continue;
        }
        const s = this.allocSummary(v.path, e.callee, 3, new Set());
        if (!s) continue;
        sum = { mask: s.mask, chain: [e.callee, ...s.chain] };
      }
      const info = { kind: "alloc" as const, name: e.callee, family: "through", mask: sum.mask, implicit: false, gfpText: sum.mask.text };
      out.push({ ev: { ...e, info } as AllocSite["ev"], chain: sum.chain, ...(sum.pointer ? { pointer: sum.pointer } : {}) });
    }
    return out;
  }

  /**
   * The functions a call through a pointer (`recv->F(...)`) can be, by the code's own initialisers: those the
   * directory registers as field F of struct T, where T is the declared type of `recv` in the function, or (its
   * type unknown) the one struct type of the directory whose initialisers set F, when the directory declares that
   * type (the code's own ops). Kernel ops tables (whose fields give roles, or declared elsewhere: file_operations)
   * and fields set in initialisers of several types when the receiver's type is unknown: none.
   */
  pointerTargets(v: FnView, e: FlowEvent): { struct: string; fns: string[] } {
    const none = { struct: "", fns: [] as string[] };
    if (!this.facts || !e.callee.startsWith("->")) return none;
    const field = e.callee.slice(2);
    const d = this.dir(v.path);
    const recv = e.receiver ?? "";
    const declared = /^[A-Za-z_]\w*$/.test(recv) ? v.flow.types.get(recv) ?? this.declaredIn(v, recv) : null;
    const setIn = [...(fieldStructs(d).get(field) ?? [])];
    const struct = declared ?? (setIn.length === 1 ? setIn[0]! : null);
    if (!struct || struct === "?" || opsRole(struct, field)) return none;
    // the code's own ops type (declared in the directory): a kernel-wide table (file_operations, say) may hold any
    // filesystem's or driver's function, and the directory's own registration is only one of them
    if (!this.declaresStruct(d, struct)) return none;
    return { struct, fns: registeredAs(d, struct, field) };
  }

  private structMemo = new WeakMap<DirIndex, Map<string, boolean>>();

  /** Whether a file of the directory (a header or a source file) declares `struct name { ... }`. */
  private declaresStruct(d: DirIndex, name: string): boolean {
    let m = this.structMemo.get(d);
    if (!m) this.structMemo.set(d, (m = new Map()));
    let r = m.get(name);
    if (r === undefined) {
      const re = new RegExp(`\\bstruct\\s+${name}\\s*\\{`);
      r = d.files.some((f) => {
        const t = this.text(f);
        return t !== undefined && t.includes(name) && re.test(t);
      });
      m.set(name, r);
    }
    return r;
  }

  private summaryMemo = new Map<string, { mask: Mask; chain: string[] } | null>();

  private patchSummaryMemo = new Map<string, { mask: Mask; chain: string[] } | null>();

  /**
   * What a function the patch shows whole (its definition and closing brace in one region of the new side)
   * allocates whenever it gets that far: its own allocations (the vocabulary's allocators) under no if-condition or
   * loop, with its scopes applied (not what the functions it calls may allocate, a mask it only passes on, nor a
   * buffer allocated only when missing). Null when the patch does not show it whole or it allocates nothing so.
   */
  /** The patch's views of a function it shows whole (a fragment with the definition and the closing brace; the post image's views are walked already). */
  private shownWhole(name: string): FnView[] {
    return this.post().filter((v) => v.name === name && v.flow.entryVisible && v.flow.endVisible);
  }

  private patchFunctionSummary(name: string): { mask: Mask; chain: string[] } | null {
    if (this.patchSummaryMemo.has(name)) return this.patchSummaryMemo.get(name)!;
    let best: { mask: Mask; chain: string[] } | null = null;
    for (const v of this.shownWhole(name)) {
      for (const e of v.flow.events) {
        if (e.conds?.some(lastReference) || e.guards?.some(lastReference)) continue;
        // its own allocations by the vocabulary's allocators (not a call that only passes a mask on), made whenever it
        // gets that far (under no if-condition or loop of its own)
        if (e.info.kind !== "alloc" || e.info.family === "passed" || e.conditional) continue;
        const m = applyScopes(e.info.mask, e.state.mustScopes);
        if (maskRank(m) > 0 && (!best || maskRank(m) > maskRank(best.mask))) best = { mask: m, chain: [`${e.callee}(${e.info.gfpText ?? ""})`] };
      }
    }
    this.patchSummaryMemo.set(name, best);
    return best;
  }

  /** The least restricted allocation a function makes (directly or a few calls down), with its own scopes applied. */
  private allocSummary(near: string, name: string, depth: number, active: Set<string>): { mask: Mask; chain: string[] } | null {
    const def = this.definitionOf(near, name);
    if (!def) return null;
    const key = `${def.file}:${name}`;
    if (this.summaryMemo.has(key)) return this.summaryMemo.get(key)!;
    if (active.has(key) || depth <= 0) return null;
    // cheap first: the scan says whether anything allocates in or below it at all
    const t = this.text(def.file);
    if (t === undefined) return null;
    active.add(key);
    const flow = cachedFlows(`post:${def.file}`, t, this.wrappersOf(def.file)).get(name);
    let best: { mask: Mask; chain: string[] } | null = null;
    for (const e of flow?.events ?? []) {
      // the release branch of a reference drop runs when the caller's reference was the last one: what it
      // allocates is the object's teardown, not what a caller on a path that holds the object reaches
      if (e.conds?.some(lastReference) || e.guards?.some(lastReference)) continue;
      const scopes = e.state.mustScopes;
      if (e.info.kind === "alloc") {
        const m = applyScopes(e.info.mask, scopes);
        if (maskRank(m) > 0 && (!best || maskRank(m) > maskRank(best.mask))) best = { mask: m, chain: [`${e.callee}(${e.info.gfpText ?? ""})`] };
      } else if (e.info.kind === "call" && !e.callee.startsWith("->")) {
        const sub = this.allocSummary(def.file, e.callee, depth - 1, active);
        if (!sub) continue;
        const m = applyScopes(sub.mask, scopes);
        if (maskRank(m) > 0 && (!best || maskRank(m) > maskRank(best.mask))) best = { mask: m, chain: [e.callee, ...sub.chain] };
      }
      if (best && maskRank(best.mask) >= 6) break;
    }
    active.delete(key);
    this.summaryMemo.set(key, best);
    return best;
  }

  /** The same call in the pre image (same function, callee and first argument or target), when there is one. */
  before(site: AllocSite): FlowEvent | null {
    return this.beforeIn(site)?.e ?? null;
  }

  private beforeIn(site: AllocSite): { e: FlowEvent; v: FnView } | null {
    // every candidate of the function's old side; when several match (the same call in several places), the one
    // into the same lvalue, on a line the patch changed, nearest the site's line
    let best: { e: FlowEvent; v: FnView; score: number; dist: number } | null = null;
    for (const p of this.oldVersionsOf(site.fn)) {
      // a call handed a mask variable was one in the old side too when its variable was read there
      for (const e of site.maskLocal ? [...p.flow.events, ...this.passedLocalMasks(p)] : p.flow.events) {
        if (e.info.kind !== "alloc") continue;
        const sameLvalue = site.ev.assignedTo !== null && noSpace(e.assignedTo) === noSpace(site.ev.assignedTo);
        // another allocator into the same lvalue (kzalloc -> mempool_alloc): the same allocation, made another way
        if (!sameLvalue && !(e.info.name === site.ev.info.name && noSpace(e.args[0]) === noSpace(site.ev.args[0]))) continue;
        const score = (sameLvalue ? 2 : 0) + (p.changed.has(e.line) ? 1 : 0);
        const dist = Math.abs(e.line - site.at);
        if (!best || score > best.score || (score === best.score && dist < best.dist)) best = { e, v: p, score, dist };
      }
    }
    return best ?? this.replacedIn(site) ?? this.onlyOfItsKind(site) ?? this.inlinedIn(site);
  }

  /**
   * The allocation an added one stood for when the patch writes a helper's call out in place: the old side's deleted
   * call, into the same lvalue, of a function whose old definition the patch shows, and that definition's call of the
   * same allocator with the same mask (`bio = foo_bio_alloc(sbi, n, false)` -> `bio = bio_alloc(GFP_KERNEL, n)`, with
   * the helper's body, which allocated so, deleted).
   */
  private inlinedIn(site: AllocSite): { e: FlowEvent; v: FnView } | null {
    if (site.through || site.maskLocal || site.ev.assignedTo === null) return null;
    const into = noSpace(site.ev.assignedTo);
    const mask = noSpace(site.ev.info.kind === "alloc" ? site.ev.info.gfpText : null);
    if (!mask) return null;
    for (const p of this.oldVersionsOf(site.fn))
      for (const c of p.flow.events) {
        if (c.info.kind !== "call" || !p.changed.has(c.line) || noSpace(c.assignedTo) !== into || c.callee === site.fn.name || !/^[A-Za-z_]\w*$/.test(c.callee)) continue;
        for (const h of this.oldDefinitionsShown(c.callee)) {
          const same = (this.allocsByCallee(h).get(site.ev.callee) ?? []).find((e) => e.info.kind === "alloc" && noSpace(e.info.gfpText) === mask);
          if (same) return { e: same, v: h };
        }
      }
    return null;
  }

  /** Old-side views of a function whose definition the patch shows (every file of the patch). */
  private oldDefinitionsShown(name: string): FnView[] {
    const key = `shown\0${name}`;
    let vs = this.preByFn.get(key);
    if (!vs) {
      vs = this.views("pre", (r) => r.name === name && r.hasDefinition).filter((p) => p.name === name);
      this.preByFn.set(key, vs);
    }
    return vs;
  }

  /**
   * The allocation an added one replaces when the function calls that allocator nowhere else, before or after, with
   * a mask written out: the old side's one call of it, which the patch deletes (`info = kmem_cache_zalloc(info_cachep, GFP_KERNEL)` split
   * into `inode_info = kmem_cache_zalloc(inode_info_cachep, GFP_KERNEL)` when the patch splits the structure).
   */
  private onlyOfItsKind(site: AllocSite): { e: FlowEvent; v: FnView } | null {
    // (a mask written out: one given by a parameter or a variable is compared through its callers, maskBefore(), which
    // pairing two different allocations would mislead)
    const m = site.ev.info.mask;
    if (site.through || site.maskLocal || m.fs === null || m.io === null || this.allocsByCallee(site.fn).get(site.ev.callee)?.length !== 1) return null;
    let found: { e: FlowEvent; v: FnView } | null = null;
    for (const p of this.oldVersionsOf(site.fn)) {
      const same = this.allocsByCallee(p).get(site.ev.callee) ?? [];
      if (same.length === 0) continue;
      if (same.length > 1 || found || !p.changed.has(same[0]!.line)) return null;
      found = { e: same[0]!, v: p };
    }
    return found;
  }

  private allocsByCalleeMemo = new WeakMap<FnView, Map<string, FlowEvent[]>>();

  /** A view's allocation events by allocator (once per view: a hunk of many allocations asks for each). */
  private allocsByCallee(v: FnView): Map<string, FlowEvent[]> {
    let m = this.allocsByCalleeMemo.get(v);
    if (!m) this.allocsByCalleeMemo.set(v, (m = groupBy(v.flow.events.filter((e) => e.info.kind === "alloc"), (e) => e.callee)));
    return m;
  }

  /**
   * The old side of a function: its pre-image views in its file, or, for a function the patch adds to a file
   * (its definition line is added) that another file of the patch loses (there its definition line is deleted),
   * that file's: the function moved.
   */
  private oldVersionsOf(fn: FnView): FnView[] {
    const own = this.preViewsOf(fn.path, fn.name);
    if (own.length > 0 || fn.name === "?" || !fn.changed.has(fn.flow.start)) return own;
    const key = `moved\0${fn.path}\0${fn.name}`;
    let vs = this.preByFn.get(key);
    if (!vs) {
      vs = this.views("pre", (r) => r.name === fn.name && (r.file.oldPath ?? r.file.path) !== fn.path).filter((p) => p.name === fn.name && p.path !== fn.path && p.changed.has(p.flow.start));
      this.preByFn.set(key, vs);
    }
    return vs;
  }

  /** The old-side allocation an added one is compared with (beforeIn()): its callee, and the file it was in when the function moved (oldVersionsOf()). */
  priorAllocation(site: AllocSite): { callee: string; movedFrom: string | null } | null {
    const b = this.beforeIn(site);
    return b ? { callee: b.e.callee, movedFrom: b.v.path !== site.fn.path ? b.v.path : null } : null;
  }

  /**
   * The allocation an added one replaces when neither its lvalue nor its allocator and size match: the one
   * allocation the same change block deletes (`req = alloc_page(GFP_KERNEL)` rewritten as
   * `request = foo_buf_alloc(0, len, GFP_KERNEL)`), when that block adds no other allocation.
   */
  private replacedIn(site: AllocSite): { e: FlowEvent; v: FnView } | null {
    const block = this.changeBlocks(site.fn.path).find((b) => b.added.has(site.ev.line));
    if (!block || block.deleted.size === 0) return null;
    if (site.fn.flow.events.filter((e) => e.info.kind === "alloc" && block.added.has(e.line)).length !== 1) return null;
    // the old side of the function the deleted lines were in: the same name, or, for a function the patch renames
    // (`f()` -> `__f()` with a new `f()` around it: the old definition line deleted, the new one added), the name the
    // old side gives them
    const oldPath = this.patch.files.find((f) => f.path === site.fn.path)?.oldPath ?? site.fn.path;
    const names = [site.fn.name];
    const definedByPatch = (r: Region, name: string) => r.hasDefinition && r.lines.some((l) => l.changed && new RegExp(`(?:^|[^\\w])${name}\\s*\\(`).test(l.text));
    const renamed = regionsOf(this.patch, "new").some((r) => r.file.path === site.fn.path && r.name === site.fn.name && definedByPatch(r, site.fn.name));
    if (renamed)
      for (const r of regionsOf(this.patch, "old"))
        if ((r.file.oldPath ?? r.file.path) === oldPath && r.name && !names.includes(r.name) && definedByPatch(r, r.name) && r.lines.some((l) => block.deleted.has(l.line))) names.push(r.name);
    for (const p of names.flatMap((n) => this.preViewsOf(oldPath, n))) {
      const gone = p.flow.events.filter((e) => e.info.kind === "alloc" && block.deleted.has(e.line));
      if (gone.length === 1) return { e: gone[0]!, v: p };
      if (gone.length > 1) return null;
    }
    return null;
  }

  private blocksMemo = new Map<string, { deleted: Set<number>; added: Set<number> }[]>();

  /** The change blocks of a file: runs of deleted and added lines with no context line between, as old and new line numbers. */
  private changeBlocks(path: string): { deleted: Set<number>; added: Set<number> }[] {
    let out = this.blocksMemo.get(path);
    if (out) return out;
    out = [];
    for (const f of this.patch.files) {
      if (f.path !== path) continue;
      for (const h of f.hunks) {
        let cur: { deleted: Set<number>; added: Set<number> } | null = null;
        for (const l of h.lines) {
          if (l.kind === "ctx") {
            cur = null;
            continue;
          }
          if (!cur) out.push((cur = { deleted: new Set(), added: new Set() }));
          if (l.kind === "del" && l.oldLine !== null) cur.deleted.add(l.oldLine);
          if (l.kind === "add" && l.newLine !== null) cur.added.add(l.newLine);
        }
      }
    }
    this.blocksMemo.set(path, out);
    return out;
  }

  /**
   * The mask the allocation asked for before the patch. When that was the function's gfp_t parameter and the
   * patch shows (on its old side) callers passing a mask, the strictest of those, with the caller named: a
   * function that stops taking its callers' mask drops what they asked for.
   */
  maskBefore(site: AllocSite): { mask: Mask; passedBy: string | null } | null {
    const found = this.beforeIn(site);
    const b = found?.e;
    if (!found || !b || b.info.kind !== "alloc") return null;
    const m = b.info.mask;
    if (m.fs !== null && m.io !== null) return { mask: m, passedBy: null };
    const name = (b.info.gfpText ?? "").trim();
    const pv = this.preViewsOf(site.fn.path, site.fn.name)[0];
    if (!pv || !/^[A-Za-z_]\w*$/.test(name)) return { mask: m, passedBy: null };
    const idx = pv.flow.params.findIndex((p) => new RegExp(`\\b${name}\\s*$`).test(p));
    if (idx < 0) {
      // a mask variable of the function: what its assignments gave before (the old side read as the new one is)
      const local = site.maskLocal ? this.maskFromLocals(found.v, b as AllocSite["ev"]) : null;
      return { mask: local ? { ...local.mask, text: `${name} = ${local.value}`, name: null } : m, passedBy: null };
    }
    let best: { mask: Mask; passedBy: string } | null = null;
    const cleared = (x: Mask) => Number(x.io === false) + Number(x.fs === false);
    for (const o of this.pre())
      for (const e of o.flow.events) {
        if (e.callee !== site.fn.name || o.name === site.fn.name) continue;
        const arg = e.args[idx];
        if (arg === undefined) continue;
        const passed = applyScopes(evalMask(arg), e.state.mustScopes);
        if (cleared(passed) > 0 && (!best || cleared(passed) > cleared(best.mask))) best = { mask: { ...passed, text: cleanMask(arg), name: passed.name ?? cleanMask(arg) }, passedBy: o.name };
      }
    return best ?? { mask: m, passedBy: null };
  }

  /** The allocation was already there, with a mask no stricter (moved, re-indented or reformatted, not new). */
  unchanged(site: AllocSite): boolean {
    // a call to a function that allocates, made before the patch too (the old side read it as a plain call): the
    // same callee into the same lvalue (or both into none), the line only rewritten (`f(&ctx, s)` -> `f(ctx, s)`);
    // what the callee does is judged at its own lines when the patch changes them
    if (site.through && !site.maskLocal && this.callBefore(site)) return true;
    const found = this.beforeIn(site);
    const b = found?.e;
    if (!b || b.info.kind !== "alloc") return false;
    let m = this.maskBefore(site)?.mask ?? b.info.mask;
    const now = site.maskLocal?.mask ?? site.mask;
    // a mask variable: compare what its assignments gave before with what they give now
    if (site.maskLocal && (m.fs === null || m.io === null)) m = this.maskFromLocals(found.v, b as AllocSite["ev"])?.mask ?? m;
    const weaker = (was: boolean | null, now: boolean | null) => was === false && now !== false;
    return !weaker(m.fs, now.fs) && !weaker(m.io, now.io) && !weaker(m.reclaim, now.reclaim);
  }

  /** An old-side plain call of the function an allocating call site calls, into the same lvalue (see unchanged()). */
  private callBefore(site: AllocSite): boolean {
    const into = noSpace(site.ev.assignedTo);
    return this.oldVersionsOf(site.fn).some((p) => p.flow.events.some((e) => e.info.kind === "call" && e.callee === site.ev.callee && noSpace(e.assignedTo) === into));
  }

  /** The mask in effect for this allocation before the patch when it was stricter than now (GFP_NOFS -> GFP_KERNEL, or a scope gone), else null. */
  relaxedFrom(site: AllocSite): Mask | null {
    const b = this.before(site);
    if (!b || b.info.kind !== "alloc") return null;
    const was = applyScopes(this.maskBefore(site)?.mask ?? b.info.mask, b.state.mustScopes);
    const now = site.effective;
    if ((was.fs === false && now.fs !== false) || (was.io === false && now.io !== false)) return was;
    return null;
  }

  /**
   * A mask passed in as a parameter, resolved at the callers: the least
   * restricted mask any caller passes (with the scopes that caller holds).
   */
  /** The index of the parameter an allocation's mask is (`kmalloc(n, gfp)` in `f(..., gfp_t gfp)`), or -1. */
  private maskParamIndex(v: FnView, ev: AllocSite["ev"]): number {
    const m = ev.info.mask;
    if (m.reclaim !== null && m.io !== null && m.fs !== null) return -1;
    const name = (ev.info.gfpText ?? "").trim();
    if (!/^[A-Za-z_]\w*$/.test(name)) return -1;
    return v.flow.params.findIndex((p) => new RegExp(`\\b${name}\\s*$`).test(p));
  }

  /**
   * A mask held in a local variable of the function (`gfp_t gfp = GFP_NOFS; if (x) gfp = GFP_KERNEL;
   * kmalloc(n, gfp)`), resolved from the assignments visible before the allocation: the least restricted
   * value any of them gives (the path where it holds). Assignments that an unconditional one at the
   * allocation's depth or shallower overrides are dropped (unless a label between lets a goto skip it);
   * values that are not written-out masks (a call's result, a parameter) are left out, and a variable whose
   * address is taken, or any line from its declaration to the allocation not in view, is not resolved. With
   * the declaration out of view (a hunk), only an assignment every path from the first line in view to the
   * allocation passes decides the value.
   */
  private maskFromLocals(v: FnView, ev: AllocSite["ev"]): LocalMask | null {
    const m = ev.info.mask;
    if (m.reclaim !== null && m.io !== null && m.fs !== null) return null;
    const name = (ev.info.gfpText ?? "").trim();
    // a parameter is resolved at the callers (maskFromCallers), not here
    if (!/^[A-Za-z_]\w*$/.test(name) || this.maskParamIndex(v, ev) >= 0) return null;
    const view = this.localView(v);
    const key = `${name}\0${ev.line}`;
    if (!view.results.has(key)) view.results.set(key, this.readLocal(view, name, ev.line, m));
    return view.results.get(key)!;
  }

  private readLocal(view: LocalView, name: string, at: number, m: Mask): LocalMask | null {
    const facts = this.localVar(view, name);
    // the declaration in force at the call, and nothing between it and the call that hides an assignment; without
    // one in view, the lines from the first in view, if a plain assignment there decides the value (below)
    const declared = facts.decls[lowerBound(facts.decls, at) - 1];
    // (the view's lines are in order: the first key is the first line in view)
    const d = declared ?? view.lines.keys().next().value;
    if (d === undefined || d >= at) return null;
    const gap = view.gaps[lowerBound(view.gaps, d)];
    if (gap !== undefined && gap < at) return null;
    const addr = facts.address[lowerBound(facts.address, d)];
    if (addr !== undefined && addr < at) return null;
    const steps = facts.steps.filter((st) => st.line >= d && st.line < at);
    if (steps.length > MAX_MASK_STEPS) return null;
    const labels = view.labels.filter((l) => l > d && l < at);
    const callIndent = indentOf((view.lines.get(at) ?? "").slice(0, MAX_LINE));
    // the last plain assignment that every path to the allocation passes: at its depth or shallower, no label after it
    let from = -1;
    for (let i = steps.length - 1; i >= 0; i--) {
      const st = steps[i]!;
      if (st.op === "=" && st.indent !== null && st.indent <= callIndent && !labels.some((l) => l > st.line)) {
        from = i;
        break;
      }
    }
    // the declaration not in view: only an assignment every path passes tells the value
    if (from < 0 && declared === undefined) return null;
    from = Math.max(from, 0);
    let values: { text: string; line: number }[] = [];
    for (const st of steps.slice(from)) {
      if (st.op === "=") {
        for (const t of maskAlternatives(st.rhs)) values.push({ text: t, line: st.line });
      } else values = values.map((x) => ({ text: `(${x.text}) ${st.op === "|=" ? "|" : "&"} ${st.rhs}`, line: st.line }));
    }
    let best: { mask: Mask; text: string; line: number } | null = null;
    // a value that is no written-out mask (a call's result, a parameter): what it allows is unknown
    let unknown = false;
    for (const x of values) {
      const mask = evalMask(x.text);
      if (mask.reclaim === null || mask.io === null || mask.fs === null) unknown = true;
      if (mask.reclaim === null && mask.io === null && mask.fs === null) continue;
      if (!best || maskOpenness(mask) > maskOpenness(best.mask)) best = { mask, text: x.text, line: x.line };
    }
    if (!best) return null;
    // with an unknown value on some path, a bit the known ones clear is not known to be clear
    const orUnknown = (b: boolean | null) => (b === true ? true : unknown ? null : b);
    const mask = { reclaim: orUnknown(best.mask.reclaim), io: orUnknown(best.mask.io), fs: orUnknown(best.mask.fs), text: m.text, name: null };
    return { mask, from: `${name} is ${cleanMask(best.text)} from line ${best.line}`, line: best.line, value: cleanMask(best.text) };
  }

  /** A function view's lines read once for maskFromLocals: the lines, those missing from view, the labels. */
  private localView(v: FnView): LocalView {
    let lv = this.localViews.get(v);
    if (lv) return lv;
    const lines = new Map<number, string>();
    const code = new Map<number, string>();
    const labels: number[] = [];
    for (const l of this.viewLines(v)) {
      const c = l.code.length > MAX_LINE ? l.code.slice(0, MAX_LINE) : l.code;
      lines.set(l.line, l.text);
      code.set(l.line, c);
      if (/^\s*[A-Za-z_]\w*\s*:(?!:)\s*$/.test(c) && !/^\s*default\s*:/.test(c)) labels.push(l.line);
    }
    const gaps: number[] = [];
    for (let ln = v.flow.start; ln <= v.flow.end; ln++) if (!lines.has(ln)) gaps.push(ln);
    lv = { lines, code, gaps, labels, vars: new Map(), results: new Map() };
    this.localViews.set(v, lv);
    return lv;
  }

  /** The declarations, assignments and address-takings of one variable in a view (lines in order). */
  private localVar(view: LocalView, name: string): LocalVar {
    let lv = view.vars.get(name);
    if (lv) return lv;
    lv = { decls: [], steps: [], address: [] };
    const decl = new RegExp(`\\bgfp_t\\s+(?:[^;]*,\\s*)?${name}\\s*(?:=\\s*([^;,]+))?[;,]`);
    const assign = new RegExp(`(?:^|[^\\w.>])${name}\\s*(\\|=|&=|=)(?!=)\\s*([^;]+);`);
    const statement = new RegExp(`^\\s*${name}\\s*[|&]?=`);
    const address = new RegExp(`&\\s*${name}\\b`);
    for (const [ln, c] of view.code) {
      if (!c.includes(name)) continue;
      if (address.test(c)) lv.address.push(ln);
      const d = decl.exec(c);
      if (d) {
        lv.decls.push(ln);
        if (d[1] !== undefined) lv.steps.push({ line: ln, indent: -1, op: "=", rhs: d[1].trim() });
        continue;
      }
      const a = assign.exec(c);
      if (a) lv.steps.push({ line: ln, indent: statement.test(c) ? indentOf(view.lines.get(ln)!.slice(0, MAX_LINE)) : null, op: a[1] as LocalStep["op"], rhs: a[2]!.trim() });
    }
    view.vars.set(name, lv);
    return lv;
  }

  /**
   * Calls that get a mask variable of the function whose assignments give a written-out mask (maskFromLocals):
   * like a call given that mask, they may allocate with it (`zeta_encrypt_page(folio, gfp)` after `gfp = GFP_KERNEL`).
   */
  private passedLocalMasks(v: FnView): AllocSite["ev"][] {
    let out = this.passedMemo.get(v);
    if (out) return out;
    out = [];
    for (const e of v.flow.events) {
      if (e.info.kind !== "call" || e.callee.startsWith("->") || !mayAllocateWithMask(e.callee)) continue;
      const arg = e.args.find((x) => /^[A-Za-z_]\w*$/.test(x.trim()) && looksLikeGfpVariable(x));
      if (arg === undefined) continue;
      const ev = { ...e, info: { kind: "alloc" as const, name: e.callee, family: "passed", mask: evalMask(arg), implicit: false, gfpText: arg.trim() } };
      if (this.maskFromLocals(v, ev)) out.push(ev);
    }
    this.passedMemo.set(v, out);
    return out;
  }

  /** The lines of a function as the patch (fragment) or the tree (whole function) shows them, in order (read once per view). */
  viewLines(v: FnView): readonly ViewLine[] {
    let out = this.viewLineMemo.get(v);
    if (out) return out;
    out = [];
    const state = { inComment: false };
    const text = v.whole && this.source ? (v.image === "post" ? this.source.postImage(v.path) : this.source.preImage(v.path)) : undefined;
    if (text !== undefined) {
      const lines = treeLines(v.path, text);
      for (let n = v.flow.start; n <= v.flow.end && n <= lines.length; n++) {
        const t = lines[n - 1]!;
        out.push({ line: n, text: t, code: stripLine(t, state), changed: v.changed.has(n) });
      }
    } else {
      const file = this.patch.files.find((f) => (v.image === "post" ? f.path === v.path : (f.oldPath ?? f.path) === v.path));
      for (const h of file?.hunks ?? [])
        for (const l of h.lines) {
          if (v.image === "post" ? l.kind === "del" : l.kind === "add") continue;
          const n = v.image === "post" ? l.newLine : l.oldLine;
          if (n === null || n < v.flow.start || n > v.flow.end) continue;
          out.push({ line: n, text: l.text, code: stripLine(l.text, state), changed: l.kind !== "ctx" });
        }
      out.sort((x, y) => x.line - y.line);
    }
    this.viewLineMemo.set(v, out);
    return out;
  }

  private maskFromCallers(v: FnView, ev: AllocSite["ev"], callers: CallerFacts): { mask: Mask; from: string } | null {
    const m = ev.info.mask;
    const idx = this.maskParamIndex(v, ev);
    if (idx < 0 || callers.paths.length === 0) return null;
    let worst: Mask | null = null;
    let from = "";
    for (const p of callers.paths) {
      const arg = p.args[idx];
      if (arg === undefined) continue;
      // (a choice on the caller's own parameter is its callers' to decide)
      const given = evalMask(arg);
      const callerParams = given.choice && this.facts ? paramsOfSignature(`f(${this.definitionOf(p.file, p.chain[p.chain.length - 1]!)?.fn.params ?? ""})`).map(paramName) : [];
      const passed = applyScopes(decidedByCaller(given, callerParams), p.mustScopes);
      if (!worst || maskOpenness(passed) > maskOpenness(worst)) {
        worst = passed;
        from = `${p.chain[p.chain.length - 1]}() passes ${cleanMask(arg)}`;
      }
    }
    return worst ? { mask: { ...worst, text: m.text, name: null }, from } : null;
  }

  /**
   * Whether a writeback-path allocation happens while the task owns folios reclaim may wait on: a folio marked for
   * writeback earlier on the path (WRITEBACK_MARKS), which reclaim waits on (memcg v1 folio_wait_writeback()). A
   * folio only locked is not: reclaim only trylocks folios (mm/vmscan.c shrink_folio_list()).
   */
  private writebackState(v: FnView, ev: AllocSite["ev"], role: RoleFact): WritebackState {
    const here = v.flow.events.find((e) => e.line < ev.line && WRITEBACK_MARKS[e.callee]);
    if (here) return { owner: `${here.callee}() at line ${here.line} of ${v.name}()`, known: true };
    // the path's entry is known only for a registered ->writepages / ->write_inode (the VFS calls those owning no
    // folio); a function that only looks like a callback may be called by one that holds folios
    let known = v.flow.entryVisible && role.how === "ops-table";
    // the callers on the role's chain
    const chain = role.chain;
    for (let i = chain.length - 2; i >= 0; i--) {
      const def = this.facts ? this.definitionOf(v.path, chain[i]!) : null;
      if (!def) {
        known = false;
        continue;
      }
      // a caller that marks a folio anywhere (a loop may run the mark before the call) may own one when it calls
      const mark = def.fn.calls.find((c) => WRITEBACK_MARKS[c.callee]);
      if (mark) return { owner: `${mark.callee}() at line ${mark.line} of ${chain[i]}()`, known: true };
    }
    return { owner: null, known };
  }

  private allocSite(v: FnView, ev: AllocSite["ev"], callers: CallerFacts): AllocSite {
    const must = [...new Set([...scopeKinds(ev.state.mustScopes), ...(v.whole ? this.helperScopes(v.path, v.flow, ev.line) : [])])];
    const may = scopeKinds(ev.state.mayScopes);
    // a transaction handle held here (started above, or passed in) whose start saves a NOFS scope into it (found in the tree)
    const handles = [
      ...ev.state.held.filter((h) => h.must && h.entry.what === "handle" && h.entry.api).map((h) => ({ api: h.entry.api!, param: null as string | null })),
      ...v.flow.params.map((p) => ({ api: handleParam(p), param: p })).filter((x): x is { api: string; param: string } => x.api !== undefined),
    ];
    const nofsHandle = handles.map((h) => ({ ...h, scope: this.handleScope(h.api, v.path) })).find((h) => h.scope.scope === "nofs");
    if (nofsHandle && !must.includes("nofs")) must.push("nofs");
    const callerScopes = callers.everyScope;
    const fromCallers = this.maskFromCallers(v, ev, callers);
    const fromLocals = fromCallers ? null : this.maskFromLocals(v, ev);
    // a mask chosen by a condition on one of the function's parameters is its callers' to decide
    const own = decidedByCaller(ev.info.mask, v.flow.params.map(paramName));
    const effective = applyScopes(fromCallers?.mask ?? fromLocals?.mask ?? own, [...must, ...callerScopes]);
    const site: AllocSite = {
      fn: v,
      ev,
      // a mask variable the patch assigns: the allocation it reaches is the patch's (the finding sits on the assignment)
      added: this.mode === "audit" || touchesLines(v.changed, ev.line, ev.endLine ?? ev.line) || (fromLocals !== null && v.changed.has(fromLocals.line)),
      at: firstChanged(v.changed, ev.line, ev.endLine ?? ev.line) ?? (fromLocals !== null && v.changed.has(fromLocals.line) ? fromLocals.line : ev.line),
      mask: own,
      effective,
      scopeSomePaths: may.length > must.length,
      callerScopes,
      maskFrom: fromCallers?.from ?? fromLocals?.from ?? null,
      entryUnknown: !v.flow.entryVisible,
      ...(nofsHandle ? { handleNofs: nofsHandle } : {}),
      ...(fromLocals ? { maskLocal: fromLocals } : {}),
      hazards: [],
    };
    if (fromLocals && site.at !== ev.line && site.maskFrom === fromLocals.from) site.maskFrom = `${fromLocals.from}; the call is at line ${ev.line}`;
    if (effective.reclaim === false) return site;
    const spin = ev.state.held.find((h) => h.must && h.entry.what === "lock" && (h.entry.lock === "spinlock" || h.entry.lock === "rwlock" || h.entry.lock === "rcu"));
    if (spin) site.atomic = { lock: lockLabel(spin.entry), line: spin.entry.line };
    // the role of the function (for a line under if-conditions: through callers that can reach it)
    // (for an allocation the patch changes: also the role another directory gives an exported function)
    const conditional = v.whole && (ev.conds?.length ?? 0) > 0;
    const role = this.allocationRole(v, conditional ? ev.line : undefined, site.added);
    if (role) {
      const guard = this.onceGuard(v, ev) ?? (v.whole ? this.chainGuard(v, role) : null);
      if (guard) site.onceGuard = guard;
      let needs = ROLE_NEEDS[role.role].clear;
      // a filesystem's own IO path (its bios' submission, completion, error handling, in a directory that is a
      // filesystem's and no block driver's): what waits on it is the filesystem's writeback, which GFP_NOFS keeps
      // reclaim out of; reclaim's block IO goes to the block drivers (a block driver's path needs NOIO)
      if (needs === "io" && this.filesystemSide(v.path) && (!role.at || this.filesystemSide(role.at.file))) needs = "fs";
      // a mask given as a parameter: what the role's own chain of calls passes (another caller's mask is not this path's)
      const idx = this.facts && role.chain.length > 1 ? this.maskParamIndex(v, ev) : -1;
      const along = idx >= 0 ? this.maskAlongChain(v.path, idx, role.chain) : null;
      // (and the scopes the chain's own links hold across their calls down it: a workspace allocator called inside
      // memalloc_nofs_save() by the function that hands workspaces to writeback)
      const linkScopes = role.chain.length > 1 ? this.scopesOnChain(v, role.chain, role.linkFiles) : [];
      const onPath = applyScopes(along ? { ...along.mask, text: ev.info.mask.text, name: null } : effective, [...(along ? [...must, ...callerScopes] : []), ...linkScopes]);
      // a ->writepage no flusher runs (UNTAGGED_DIRTY): page reclaim calls it itself, under PF_MEMALLOC, and never
      // waits for another task running it
      // (a read-only filesystem's bio completion: reclaim never waits for a read; an allocation in the release
      // branch of a last-reference test, reached from a caller: that caller holds a reference of its own)
      const released = role.chain.length > 1 && [...(ev.conds ?? []), ...(ev.guards ?? [])].some(lastReference);
      if (needs && onPath[needs] !== false && !(role.role === "writeback" && role.noFlusher) && !(role.role === "io-complete" && role.readsOnly) && !released) {
        const writeback = role.role === "writeback" && !role.inReclaim ? this.writebackState(v, ev, role) : undefined;
        site.hazards.push({ kind: "role", role, needs, maskKnown: onPath[needs] === true, ...(along ? { maskFrom: along.from } : {}), ...(writeback ? { writeback } : {}) });
      }
    }
    // what is held here (any caller's mask), or by a caller (that caller's own mask and scopes)
    const paramIdx = this.maskParamIndex(v, ev);
    const pathMask = (p: CallerPath): Mask => {
      const m = paramIdx >= 0 && p.args[paramIdx] !== undefined ? evalMask(p.args[paramIdx]!) : (fromLocals?.mask ?? ev.info.mask);
      return applyScopes(m, [...must, ...callerScopes, ...p.mustScopes]);
    };
    const heldHere = ev.state.held.map((h) => ({ entry: h.entry, must: h.must, via: null as string[] | null, mask: effective }));
    const heldByCallers = callers.paths.flatMap((p) => p.held.map((h) => ({ entry: h.entry, must: false, via: [...p.chain, v.name], mask: pathMask(p) })));
    const takers = this.takers();
    const seenHandle = new Set<string>();
    // a spinlock, rwlock or RCU read section held here on every path: an allocation that may sleep is a different bug
    // (sleeping in atomic context); what else is held is not judged here
    const atomic = site.atomic !== undefined;
    for (const h of atomic ? [] : [...heldHere, ...heldByCallers]) {
      const e = h.entry;
      if (h.mask.reclaim === false) continue;
      if (e.what === "handle" && e.api) {
        if (seenHandle.has(e.api)) continue;
        const scope = this.handleScope(e.api, v.path);
        if (scope.scope === "nofs") continue; // the handle's scope covers this allocation
        if (h.mask.fs !== false) {
          seenHandle.add(e.api);
          site.hazards.push({ kind: "held-handle", held: e, api: e.api, via: h.via, scope });
        }
        continue;
      }
      if (e.what !== "lock" || !e.lock) continue;
      if (e.lock === "freeze") {
        if (h.mask.io !== false) site.hazards.push({ kind: "frozen", held: e, via: h.via });
        continue;
      }
      if (e.lock === "fence") {
        // any allocation that may reclaim directly: __GFP_FS reaches shrinkers, and with mmu notifiers so does NOFS/NOIO
        site.hazards.push({ kind: "fence", held: e, via: h.via, fs: h.mask.fs !== false });
        continue;
      }
      if (!isSleepingLock(e.lock) || e.lock === "folio" || e.lock === "buffer" || e.lock === "bit") continue;
      if (h.mask.fs === false && h.mask.io === false) continue;
      // a reclaim-side taker needs __GFP_FS to be reached; one inside a queue freeze only needs IO to the queue
      // an IO-path taker in another file is the same lock only by its struct type: a directory of many drivers
      // reuses member names (ioctl_lock, mutex) for locks of different devices
      const same = (t: ReclaimTaker) =>
        t.what === "lock" && t.key !== undefined && sameLockStrict(t.key, e.key!) && !(t.file === v.path && t.line === e.line) && (!ioPathTaker(t) || t.file === v.path || (t.key.type !== null && t.key.type === e.key!.type));
      // (a taker on the IO path only needs the IO to be waited for: __GFP_IO; those are collected only when needed)
      // (a lock a caller in another directory holds: what that directory's reclaim-side functions take)
      const remoteTakers = e.takenInFile && this.mode === "tree" && h.mask.fs !== false ? this.reclaimTakersOfDir(e.takenInFile) : [];
      // a lock of an object, taken below the call that makes a disk live or the one that marks it dead: no IO reclaim
      // issues waits there for the queue's unfreeze, so a taker inside that freeze is not waited for by reclaim here
      const notLive = e.key !== undefined && isMemberLock(e.key) && belowNotLive(h.via, e.takenIn);
      const taker = e.key
        ? ((h.mask.fs !== false ? takers.find((t) => same(t) && (t.role !== null || t.primed)) ?? remoteTakers.find((t) => same(t) && t.role !== null) : undefined) ??
          (h.mask.io !== false ? takers.find((t) => same(t) && t.underFreeze && !notLive) ?? this.ioTakers().find(same) : undefined) ??
          null)
        : null;
      if (h.mask.fs === false && !taker) continue;
      site.hazards.push({ kind: "held-lock", held: e, must: h.must, via: h.via, taker });
    }
    // a handle passed in: the caller holds a running transaction
    for (const p of v.flow.params) {
      const api = handleParam(p);
      if (!api || seenHandle.has(api)) continue;
      seenHandle.add(api);
      const scope = this.handleScope(api, v.path);
      if (scope.scope === "nofs" || effective.fs === false) continue;
      site.hazards.push({ kind: "held-handle", held: null, api, via: null, param: p, scope });
    }
    // a handle a caller is given: that caller runs inside a transaction, and so does everything it calls (the
    // nearest such caller of each path; its mask and scopes on the way down are that path's)
    if (!atomic) {
      for (const p of callers.paths) {
        const hp = p.handleParams[p.handleParams.length - 1];
        if (!hp || seenHandle.has(hp.api) || pathMask(p).fs === false) continue;
        const scope = this.handleScope(hp.api, v.path);
        if (scope.scope === "nofs") continue;
        seenHandle.add(hp.api);
        const via = [...p.chain.slice(p.chain.lastIndexOf(hp.fn)), v.name];
        site.hazards.push({ kind: "held-handle", held: null, api: hp.api, via, param: hp.param, paramOf: hp.fn, scope });
      }
    }
    site.hazards = dedupeHazards(site.hazards);
    return site;
  }
}

/** What is held, marked as seen in the tree's version of the code (a file the patch does not apply to). */
function seenInTree<T extends { entry: HeldEntry }>(held: readonly T[]): T[] {
  return held.map((h) => ({ ...h, entry: { ...h.entry, fromTree: true } }));
}

/** A text with its whitespace taken out (lvalues and masks compared across a rewrap). */
function noSpace(s: string | null | undefined): string {
  return (s ?? "").replace(/\s+/g, "");
}

/** Whether a signature text closes the parameter list that follows `name(` (a hunk header may cut it). */
function signatureClosed(sig: string, name: string): boolean {
  const at = sig.indexOf(`${name}(`);
  if (at < 0) return false;
  let depth = 0;
  for (let i = at + name.length; i < sig.length; i++) {
    if (sig[i] === "(") depth++;
    else if (sig[i] === ")" && --depth === 0) return true;
  }
  return false;
}

/** A lock taken on the path of IO (submission, completion, error handling), not inside reclaim itself. */
export function ioPathTaker(t: ReclaimTaker): boolean {
  return t.role !== null && !t.role.inReclaim && IO_PATH_ROLES.has(t.role.role);
}

/** Sleeping locks a function takes while a request queue is frozen (reclaim's IO to the queue waits for their holders). */
function frozenTakers(file: string, name: string, flow: FunctionFlow): ReclaimTaker[] {
  const out: ReclaimTaker[] = [];
  // a disk's deletion marks it dead before it freezes the queue: new IO to it fails instead of waiting (DISK_NOT_LIVE_CALLS)
  if (Object.hasOwn(DISK_NOT_LIVE_CALLS, name)) return out;
  for (const e of flow.events) {
    if (e.info.kind !== "lock" || e.info.op !== "acquire" || !isSleepingLock(e.info.lock) || e.info.lock === "freeze") continue;
    const fz = e.state.held.find((h) => h.entry.what === "lock" && h.entry.lock === "freeze");
    if (fz) out.push({ what: "lock", key: e.info.key, role: null, underFreeze: { frozen: fz.entry, fn: name }, chain: [name, e.callee], file, line: e.line });
  }
  return out;
}

/** Locks a function declares to lockdep as taken in reclaim: might_lock() (or a lock taken) between fs_reclaim_acquire() and fs_reclaim_release(). */
export function primedLocks(v: FnView): ReclaimTaker[] {
  const out: ReclaimTaker[] = [];
  let inside = false;
  for (const e of v.flow.events) {
    if (RECLAIM_LOCKDEP_PRIME.enter[e.callee]) inside = true;
    else if (RECLAIM_LOCKDEP_PRIME.exit[e.callee]) inside = false;
    else if (inside) {
      const declared = RECLAIM_LOCKDEP_PRIME.declare[e.callee] && e.args[0] ? lockKeyOf(e.args[0], (x) => v.flow.types.get(x) ?? null) : null;
      const taken = e.info.kind === "lock" && e.info.op === "acquire" && isSleepingLock(e.info.lock) ? e.info.key : null;
      const key = declared ?? taken;
      if (key) out.push({ what: "lock", key, role: null, primed: { fn: v.name }, chain: [v.name, e.callee], file: v.path, line: e.line });
    }
  }
  return out;
}

/** Sleeping locks held where a fragment ends: those held before it that it does not release, and those it takes and does not release. */
function openAfter(before: readonly HeldEntry[], flow: FunctionFlow): HeldEntry[] {
  const out: HeldEntry[] = [...before];
  for (const e of flow.events) {
    if (e.info.kind !== "lock" || !e.info.key) continue;
    const key = e.info.key;
    if (e.info.op === "acquire" && isSleepingLock(e.info.lock) && e.info.lock !== "freeze") {
      const later = flow.events.find((x) => x.line > e.line && x.state.held.some((h) => h.entry.line === e.line))?.state.held.find((h) => h.entry.line === e.line)?.entry;
      out.push(later ?? { id: 100000 + e.line, what: "lock", lock: e.info.lock, key, shared: e.info.shared ?? false, line: e.line, conds: [] });
    } else if (e.info.op === "release") {
      for (let i = out.length - 1; i >= 0; i--) if (out[i]!.key && sameLock(out[i]!.key!, key)) out.splice(i, 1);
    }
  }
  return out;
}

/** A field expression ("ioc->reply_frames") as a regex source that allows spaces around `->` and `.`. */
function fieldPattern(field: string): string {
  return field
    .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    .replace(/->/g, "\\s*->\\s*")
    .replace(/\\\./g, "\\s*\\.\\s*");
}

/** Variables of a function body assigned from expressions that mention the given ones (two passes). */
function derivedFrom(body: string, from: Set<string>): Set<string> {
  const out = new Set(from);
  for (let pass = 0; pass < 2; pass++)
    for (const m of body.matchAll(/\b([A-Za-z_]\w*)\s*=\s*([^;=][^;]*);/g)) if (ownOf(m[2]!, out)) out.add(m[1]!);
  return out;
}

/**
 * An eviction callback registered in a super_operations table whose drop_inode is absent or one that drops every
 * inode without links (vocabulary EVICT_UNLINKED): such inodes are evicted at their last iput, never from reclaim.
 */
function dropsUnlinked(scan: ScanFile, o: ScanFile["ops"][number]): boolean {
  if (o.struct !== "super_operations") return false;
  return !scan.ops.some((x) => x.holder === o.holder && x.field === "drop_inode" && !EVICT_UNLINKED.drops.includes(x.fn));
}

/**
 * The expression names one of the dying objects (or what was derived from them: the filesystem's own state reached
 * through the inode's superblock is counted as the object's too, so locks of the filesystem that eviction takes
 * through it are not reclaim takers; tried the other way, they were taken mostly for inodes without links, which
 * reclaim never evicts, under tests of the filesystem's own link counts the analysis cannot read).
 */
function ownOf(expr: string, objects: ReadonlySet<string>): boolean {
  return (expr.match(/[A-Za-z_]\w*/g) ?? []).some((id) => objects.has(id));
}

/** Is any line of [from, to] among the changed ones? */
export function touchesLines(changed: ReadonlySet<number>, from: number, to: number): boolean {
  for (let n = from; n <= to; n++) if (changed.has(n)) return true;
  return false;
}

export function firstChanged(changed: ReadonlySet<number>, from: number, to: number): number | null {
  for (let n = from; n <= to; n++) if (changed.has(n)) return n;
  return null;
}

const linesCache = new Map<string, { text: string; lines: string[] }>();
registerMemo("reclaim lines", linesCache);
/** The matches of `re` (a global pattern of a call) in a file's text, each with the function it sits in. */
/** Items by key, in their order. */
function groupBy<T>(items: Iterable<T>, key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of items) {
    const k = key(x);
    const list = out.get(k);
    if (list) list.push(x);
    else out.set(k, [x]);
  }
  return out;
}

/** A mask (its scopes applied) that lets reclaim do what `needs` names: enter the filesystem, and for "io" start IO. */
function allowsReclaimOf(m: Mask, needs: "io" | "fs"): boolean {
  return m.reclaim !== false && m.fs === true && (needs === "fs" || m.io === true);
}

/** What a caller holds at its call, each entry marked with the caller (and its file when it is not `origin`). */
function heldIn(held: readonly { entry: HeldEntry; must: boolean }[], fn: string, file: string, origin: string): { entry: HeldEntry; must: boolean }[] {
  return held.map((h) => ({ ...h, entry: { ...h.entry, takenIn: fn, ...(file !== origin ? { takenInFile: file } : {}) } }));
}

/** The transaction handles a function is given as parameters (handleParam()). */
function handleParamsOf(params: readonly string[], fn: string): { api: string; param: string; fn: string }[] {
  return params.flatMap((p) => {
    const api = handleParam(p);
    return api ? [{ api, param: paramName(p), fn }] : [];
  });
}

/** A line between `from` and `to` (exclusive) that is a label: a jump from above may land there, past `from`. True without the lines. */
function labelBetween(lines: readonly (string | undefined)[] | undefined, from: number, to: number, fn?: { start: number; end: number }): boolean {
  if (!lines) return true;
  for (let n = from + 1; n < to; n++) {
    const t = stripLine(lines[n - 1] ?? "");
    const m = /^\s*([A-Za-z_]\w*)\s*:(?!:)/.exec(t);
    if (!m || m[1] === "default") continue;
    // with the whole function in view, a label only jumped to from after `from` (an error exit of the code between)
    // is reached only by paths that went through `from`
    if (fn && onlyJumpedFromAfter(lines, m[1]!, from, fn)) continue;
    return true;
  }
  return false;
}

/** Every `goto label;` of the function lies after line `from` (and there is at least one). */
function onlyJumpedFromAfter(lines: readonly (string | undefined)[], label: string, from: number, fn: { start: number; end: number }): boolean {
  const re = new RegExp(`\\bgoto\\s+${label}\\s*;`);
  let any = false;
  for (let n = fn.start; n <= fn.end; n++) {
    if (!re.test(stripLine(lines[n - 1] ?? ""))) continue;
    if (n <= from) return false;
    any = true;
  }
  return any;
}

function callSitesIn(file: string, text: string, fns: readonly ScanFunction[], re: RegExp): { file: string; fn: ScanFunction; line: number }[] {
  const out: { file: string; fn: ScanFunction; line: number }[] = [];
  // lines counted as the matches go (in order), not from the start of the text for each
  let line = 1;
  let at = 0;
  for (const m of text.matchAll(re)) {
    for (let i = text.indexOf("\n", at); i >= 0 && i < m.index; i = text.indexOf("\n", i + 1)) line++;
    at = m.index;
    const fn = fns.find((x) => x.start <= line && line <= x.end);
    if (fn) out.push({ file, fn, line });
  }
  return out;
}

/** The same lock (by its key) or the same kind of handle (by its start API), held at two sites. */
function sameHeld(a: HeldEntry, b: HeldEntry): boolean {
  if (a.what !== b.what) return false;
  if (a.what === "handle") return a.api === b.api && (a.variable ?? null) === (b.variable ?? null);
  return a.key !== undefined && b.key !== undefined && sameLock(a.key, b.key);
}

function treeLines(path: string, text: string): string[] {
  const c = linesCache.get(path);
  if (c && c.text === text) return c.lines;
  const lines = text.split("\n");
  if (linesCache.size > 200) linesCache.delete(linesCache.keys().next().value!);
  linesCache.set(path, { text, lines });
  return lines;
}

/** An assignment to a mask variable; indent -1 for the declaration, null inside a statement (`if (x) gfp = ...;`: never dominates). */
interface LocalStep {
  line: number;
  indent: number | null;
  op: "=" | "|=" | "&=";
  rhs: string;
}

interface LocalVar {
  decls: number[];
  steps: LocalStep[];
  address: number[];
}

interface LocalView {
  lines: Map<number, string>;
  code: Map<number, string>;
  gaps: number[];
  labels: number[];
  vars: Map<string, LocalVar>;
  /** maskFromLocals per variable and call line. */
  results: Map<string, LocalMask | null>;
}

/** A mask variable's value at a call: the least strict value, where it was assigned, and how to say it. */
export interface LocalMask {
  mask: Mask;
  from: string;
  line: number;
  value: string;
}

/** A line of a function view; code: without comments and string contents. */
export interface ViewLine {
  line: number;
  text: string;
  code: string;
  changed: boolean;
}

/** More assignments to one mask variable than this before a call: not read (a generated or hostile function). */
const MAX_MASK_STEPS = 64;

const indentOf = (raw: string) => /^\s*/.exec(raw.replace(/\t/g, "        "))![0].length;

/** The masks an assigned expression may give: both arms of a top-level `c ? a : b`, else the expression. */
function maskAlternatives(rhs: string): string[] {
  const q = /^[^?]*\?([^:?]*):([^:?]*)$/.exec(rhs);
  return q ? [q[1]!.trim(), q[2]!.trim()] : [rhs];
}

function cleanMask(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

/** One hazard per held thing (the shortest caller chain, the one with a reclaim taker first). */
function dedupeHazards(hs: Hazard[]): Hazard[] {
  const best = new Map<string, Hazard>();
  const keyOf = (h: Hazard): string => {
    switch (h.kind) {
      case "role":
        return `role:${h.role.root}`;
      case "held-lock":
        return `lock:${h.held.key?.name ?? ""}:${h.held.key?.type ?? ""}`;
      case "held-handle":
        return `handle:${h.api}`;
      case "frozen":
        return `frozen:${h.held.key?.name ?? ""}`;
      case "fence":
        return "fence";
    }
  };
  const score = (h: Hazard): number => {
    const via = "via" in h && h.via ? h.via.length : 0;
    return (h.kind === "held-lock" && h.taker ? 0 : 100) + via;
  };
  for (const h of hs) {
    const k = keyOf(h);
    const cur = best.get(k);
    if (!cur || score(h) < score(cur)) best.set(k, h);
  }
  return [...best.values()];
}

// ---------------------------------------------------------------- access

/** One value per patch and source context, made on first use (the analyses every rule shares). */
export function perPatchAndSource<T>(make: (ctx: { patch: Patch; source?: SourceContext }) => T): (ctx: { patch: Patch; source?: SourceContext }) => T {
  const memo = new WeakMap<Patch, Map<SourceContext | null, T>>();
  return (ctx) => {
    let m = memo.get(ctx.patch);
    if (!m) memo.set(ctx.patch, (m = new Map()));
    const key = ctx.source ?? null;
    if (!m.has(key)) m.set(key, make(ctx));
    return m.get(key)!;
  };
}

/** The analysis of a rule context's patch (computed once per patch and source, shared by every rule). */
export const reclaimAnalysis: (ctx: { patch: Patch; source?: SourceContext }) => ReclaimAnalysis = perPatchAndSource((ctx) => new ReclaimAnalysis(ctx.patch, ctx.source));

/** A lock as a reviewer writes it: "&fs_info->reloc_mutex". */
export function lockLabel(e: HeldEntry): string {
  if (e.what === "handle") return `the ${e.api} handle${e.variable ? ` ${e.variable}` : ""}`;
  // inode_lock(inode) and its variants take the inode's i_rwsem (include/linux/fs.h)
  if (e.lock === "inode" && e.key?.expr) return `${e.key.expr}->i_rwsem`;
  return e.key?.expr || e.key?.name || "a lock";
}


/** The scan of a file's text from the cache above, for other analyses of the same texts (one cache, not two). */
export function sharedScan(key: string, text: string): ScanFile {
  return cachedScan(key, text);
}

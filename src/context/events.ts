// The events of a function body that the reclaim-context analysis tracks:
// allocations (with the mask they ask for), lock acquire/release, memalloc
// scope save/restore and task-flag edits, handle start/stop, waits, flushes
// and queueing. A call is classified once, from the kernel API vocabulary.
import {
  FLAGS_SCOPE_CALLS,
  FLUSH_CALLS,
  MASK_NOT_ALLOCATING,
  GUARD_CLASSES,
  LOCK_CALLS,
  PF_SCOPE_FLAGS,
  QUEUE_CALLS,
  SCOPE_CALLS,
  WAIT_CALLS,
  WORK_INITS,
  WQ_CONSTRUCTORS,
  allocatorOf,
  type Allocator,
  handleCall,
  type LockKind,
  type ScopeKind,
  type WaitKind,
} from "../vocab/kernel-api.js";
import { evalMask, looksLikeGfpVariable, looksLikeMask, ternaryArms, type Mask } from "./gfp.js";
import { wrapperLockExpr, type LockWrappers } from "./lock-wrappers.js";

/** A lock as the analysis identifies it: the member (or variable) name, qualified by the struct type when known. */
export interface LockKey {
  /** "reloc_mutex", "i_rwsem", "foo_lock" (a global). */
  name: string;
  /** "foo_fs_info" when the base variable's type is visible; null otherwise. */
  type: string | null;
  /** The expression as written: "&fs_info->reloc_mutex". */
  expr: string;
}

export type ScopeOrThrottle = ScopeKind | "throttle";

export type EventInfo =
  | { kind: "alloc"; name: string; family: string; mask: Mask; implicit: boolean; gfpText: string | null; misplaced?: { maskArg: number; gfpArg: number } }
  | { kind: "lock"; lock: LockKind; op: "acquire" | "release" | "try"; key: LockKey; guard: "none" | "guard" | "scoped"; shared: boolean; via?: string; base?: string }
  | { kind: "scope"; scope: ScopeOrThrottle[]; op: "save" | "restore"; how: "save" | "flags"; variable: string | null; into: "local" | "field" | null; restoresAll?: boolean }
  | { kind: "handle"; api: string; op: "start" | "stop"; variable: string | null }
  | { kind: "wait"; wait: WaitKind }
  | { kind: "flush"; target: "queue" | "work" | "system"; cancel: boolean; expr: string }
  | { kind: "queue"; queue: string; work: string }
  | { kind: "work-init"; work: string; fn: string }
  | { kind: "wq-alloc"; constructor: string; flags: string | null; maxActive: string | null; legacy: boolean; implied: string[] }
  | { kind: "call" };

export interface CallEvent {
  /** The called function ("kmalloc"), or "->field" for a call through a pointer. */
  callee: string;
  /** For a call through a pointer: the object whose field is called (`entry` of `entry->store(...)`). */
  receiver?: string;
  args: string[];
  /** 1-based line in the real file. */
  line: number;
  /** The last line of the call (its arguments may span several). */
  endLine?: number;
  /** The lvalue the result is stored in ("old", "tp->t_pflags"), when the call is the right side of an assignment or initialiser. */
  assignedTo: string | null;
  info: EventInfo;
}

const MAX_ARG = 200;

/** Collapses whitespace and caps an argument's text. */
export function cleanArg(a: string): string {
  const s = a.replace(/\s+/g, " ").trim();
  return s.length > MAX_ARG ? s.slice(0, MAX_ARG) : s;
}

/** "&fs_info->reloc_mutex" with fs_info: struct foo_fs_info -> {reloc_mutex, foo_fs_info}. */
export function lockKeyOf(expr: string, typeOf: (v: string) => string | null): LockKey {
  const e = expr.replace(/\s+/g, "").replace(/^\(+|\)+$/g, "").replace(/^&/, "");
  // an element of an array of locks is named by the array (`&ei->i_gc_rwsem[WRITE]`: i_gc_rwsem), not its index
  const ids = e.replace(/(?:\[[^\[\]]*\])+$/, "").match(/[A-Za-z_]\w*/g) ?? [];
  const name = ids.length > 0 ? ids[ids.length - 1]! : e;
  let type: string | null = null;
  const m = /^([A-Za-z_]\w*)(?:->|\.)([A-Za-z_]\w*)$/.exec(e);
  if (m) type = typeOf(m[1]!);
  else if (/^[A-Za-z_]\w*$/.test(e)) type = null; // a global or a local lock variable
  return { name, type, expr: cleanArg(expr) };
}

/**
 * The gfp mask an allocation asks for: its gfp argument, evaluated; GFP_KERNEL for the implicit ones. A mask in
 * another slot is the gfp argument of a signature that moved (bio_alloc before v5.18, kvrealloc before v6.12: the
 * vocabulary's formerGfpArg); before the slot, in a call of the signature's length, it is misplaced
 * (`kzalloc(GFP_ATOMIC, size)`), and the mask is what the gfp slot holds; elsewhere it is the mask of a variant of
 * the signature the vocabulary does not know.
 */
function allocMask(args: string[], alloc: Allocator): { mask: Mask; implicit: boolean; gfpText: string | null; misplaced?: { maskArg: number; gfpArg: number } } | null {
  const gfpArg = alloc.gfpArg;
  if (gfpArg === null) return { mask: evalMask("GFP_KERNEL"), implicit: true, gfpText: null };
  const at = args[gfpArg];
  if (at !== undefined && (looksLikeMask(at) || looksLikeGfpVariable(at))) return { mask: evalMask(at), implicit: false, gfpText: at };
  const former = alloc.formerGfpArg?.arg;
  if (former !== undefined && args[former] !== undefined && looksLikeMask(args[former]!)) return { mask: evalMask(args[former]!), implicit: false, gfpText: args[former]! };
  // misplaced: a mask before the gfp slot, in a call with as many arguments as that slot needs (kzalloc(GFP_ATOMIC,
  // size)); a call with more is some other signature of the name (a series' own variant), whose slots are not known
  const maskArg = args.findIndex((a) => looksLikeMask(a));
  const misplaced = maskArg >= 0 && maskArg < gfpArg && args.length === gfpArg + 1;
  if (misplaced) return { mask: evalMask(at!), implicit: false, gfpText: at!, misplaced: { maskArg, gfpArg } };
  // (a variant's mask: the argument that is one)
  if (maskArg >= 0) return { mask: evalMask(args[maskArg]!), implicit: false, gfpText: args[maskArg]! };
  if (at !== undefined) return { mask: evalMask(at), implicit: false, gfpText: at };
  return null;
}

function scopeKindsOf(text: string): ScopeOrThrottle[] {
  const out: ScopeOrThrottle[] = [];
  for (const [flag, kind] of Object.entries(PF_SCOPE_FLAGS)) if (new RegExp(`\\b${flag}\\b`).test(text) && !out.includes(kind)) out.push(kind);
  return out;
}

/** Classifies a call by the vocabulary. `typeOf` gives a local variable's struct type (for lock keys). */
export function classifyCall(callee: string, args: string[], assignedTo: string | null, typeOf: (v: string) => string | null, wrappers?: LockWrappers): EventInfo {
  const alloc = allocatorOf(callee);
  if (alloc) {
    const m = allocMask(args, alloc);
    if (m) return { kind: "alloc", name: alloc.name, family: alloc.family, ...m };
  }
  const l = LOCK_CALLS[callee];
  if (l) {
    const arg = args[l.arg ?? 0] ?? "";
    return { kind: "lock", lock: l.kind, op: l.op, key: lockKeyOf(l.map ?? (arg || callee), typeOf), guard: "none", shared: l.shared ?? false };
  }
  // a function of the code under review that takes or drops one lock for its caller (lock-wrappers.ts)
  const lw = wrappers?.get(callee);
  if (lw) {
    const expr = wrapperLockExpr(lw, args);
    if (expr) return { kind: "lock", lock: lw.kind, op: lw.op, key: lockKeyOf(expr, typeOf), guard: "none", shared: lw.shared, via: callee, base: lw.base };
  }
  const s = SCOPE_CALLS[callee];
  if (s) {
    if (s.op === "save") return { kind: "scope", scope: [s.kind], op: "save", how: "save", variable: assignedTo, into: assignedTo === null ? null : /->|\./.test(assignedTo) ? "field" : "local" };
    return { kind: "scope", scope: [s.kind], op: "restore", how: "save", variable: args[0] ?? null, into: null };
  }
  const fs = FLAGS_SCOPE_CALLS[callee];
  if (fs) {
    if (fs.op === "save") {
      const kinds = scopeKindsOf(args.join(" "));
      return { kind: "scope", scope: kinds, op: "save", how: "save", variable: assignedTo, into: assignedTo === null ? null : /->|\./.test(assignedTo) ? "field" : "local" };
    }
    const kinds = scopeKindsOf(args.slice(1).join(" "));
    return { kind: "scope", scope: kinds, op: "restore", how: callee === "current_restore_flags" ? "flags" : "save", variable: args[0] ?? null, into: null, restoresAll: kinds.length === 0 };
  }
  const h = handleCall(callee);
  if (h) {
    if (h.op === "start") {
      // a handle returned through a pointer argument: the &-argument (argument positions differ between start functions)
      const amp = h.outArg !== undefined ? [...args].reverse().find((a) => /^&\s*[A-Za-z_]\w*$/.test(a)) : undefined;
      const out = h.outArg !== undefined ? (amp ?? args[h.outArg] ?? "").replace(/^&\s*/, "") : assignedTo;
      return { kind: "handle", api: h.api, op: "start", variable: out || null };
    }
    return { kind: "handle", api: h.api, op: "stop", variable: args[h.arg] ?? null };
  }
  const w = WAIT_CALLS[callee];
  if (w) return { kind: "wait", wait: w.kind };
  const f = FLUSH_CALLS[callee];
  if (f) return { kind: "flush", target: f.target, cancel: f.cancel, expr: args[0] ?? "" };
  const q = QUEUE_CALLS[callee];
  if (q) {
    const queue = q.queueArg < 0 ? q.system ?? "system_wq" : args[q.queueArg] ?? "";
    return { kind: "queue", queue, work: args[q.workArg] ?? "" };
  }
  const wi = WORK_INITS[callee];
  if (wi) return { kind: "work-init", work: args[wi.workArg] ?? "", fn: (args[wi.fnArg] ?? "").replace(/^&\s*/, "") };
  const wq = WQ_CONSTRUCTORS[callee];
  if (wq) {
    return {
      kind: "wq-alloc",
      constructor: callee,
      flags: wq.flagsArg === null ? null : args[wq.flagsArg] ?? null,
      maxActive: wq.maxActiveArg === null ? null : args[wq.maxActiveArg] ?? null,
      legacy: wq.legacy,
      implied: wq.implied,
    };
  }
  // any other call given a mask may allocate with it (a gfp_t parameter says so): sbitmap_init_node(..., GFP_KERNEL, ...)
  if (mayAllocateWithMask(callee)) {
    // a mask written out, or a choice between two written out (`i == 0 ? GFP_NOFS : GFP_NOWAIT`)
    const written = (a: string) => /^[\s()|&~A-Z0-9_]+$/.test(a);
    const arg = args.find((a) => {
      if (!looksLikeMask(a)) return false;
      const arms = ternaryArms(a);
      return arms ? written(arms[0]) && written(arms[1]) : written(a);
    });
    if (arg !== undefined) return { kind: "alloc", name: callee, family: "passed", mask: evalMask(arg), implicit: false, gfpText: arg };
  }
  return { kind: "call" };
}

/** A call that, given a gfp mask, may allocate with it: any but the vocabulary's mask readers and the print/trace calls. */
export function mayAllocateWithMask(callee: string): boolean {
  return !(callee in MASK_NOT_ALLOCATING) && !/^(?:trace_|pr_|dev_|printk)/.test(callee);
}

/** `guard(cls)(&l)` / `scoped_guard(cls, &l)`: the lock kind of the class, or null. */
export function guardKind(cls: string): LockKind | null {
  return GUARD_CLASSES[cls.trim()] ?? null;
}

/** A task-flags edit: `current->flags |= PF_MEMALLOC_NOIO`, `&= ~PF_...`, `= old`. */
export function flagsEdit(op: string, right: string, line: number): CallEvent | null {
  const kinds = scopeKindsOf(right);
  if (op === "|=") {
    if (kinds.length === 0) return null;
    return { callee: "current->flags |=", args: [cleanArg(right)], line, assignedTo: null, info: { kind: "scope", scope: kinds, op: "save", how: "flags", variable: null, into: null } };
  }
  if (op === "&=") {
    if (kinds.length === 0 || !/~/.test(right)) return null;
    return { callee: "current->flags &=", args: [cleanArg(right)], line, assignedTo: null, info: { kind: "scope", scope: kinds, op: "restore", how: "flags", variable: null, into: null } };
  }
  if (op === "=") {
    return { callee: "current->flags =", args: [cleanArg(right)], line, assignedTo: null, info: { kind: "scope", scope: kinds, op: "restore", how: "flags", variable: cleanArg(right), into: null, restoresAll: true } };
  }
  return null;
}

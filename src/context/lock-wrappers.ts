// Lock wrappers: functions of the code under review that take or drop one
// lock on behalf of their caller (`void foo_lock_map(struct foo *f) {
// mutex_lock(&f->map_lock); }`, `foo_down_write(&sbi->sb_lock)` over an
// rwsem inside a small struct). Found in a directory's scans, not by name: a
// function whose body makes exactly one lock call (a primitive of the
// vocabulary, or a wrapper found before), unconditionally, on an expression
// built from one of its parameters. A call of the wrapper then takes or
// drops that lock, keyed by what the caller passes: the lock every caller
// and every reclaim-side path of the directory can be matched on.
import type { LockKind } from "../vocab/kernel-api.js";
import { FLAGS_SCOPE_CALLS, LOCK_CALLS, SCOPE_CALLS, handleCall } from "../vocab/kernel-api.js";
import { paramName, paramsOfSignature, type ScanFile, type ScanFunction } from "./c-scan.js";

export interface LockWrapper {
  kind: LockKind;
  op: "acquire" | "release" | "try";
  shared: boolean;
  /** The parameter the lock comes from. */
  param: number;
  /** The lock primitive of the vocabulary the wrapper ends in ("mutex_lock", "dma_resv_lock"). */
  base: string;
  /** The lock expression with the parameter as `$` ("&$->map_lock", "$"). */
  template: string;
  /** Where the wrapper is defined. */
  file: string;
  line: number;
}

export type LockWrappers = ReadonlyMap<string, LockWrapper>;

/** How many rounds of wrappers over wrappers are followed (foo_lock_op -> foo_down_read -> down_read). */
const ROUNDS = 3;
/**
 * A wrapper is small: its lines and calls are bounded, so the one lock call is what it is for. A longer function
 * that takes (or drops) one known lock may drop (take) it again through a helper the vocabulary does not know.
 */
const MAX_LINES = 12;
const MAX_CALLS = 4;
/** Page and buffer locks: helpers that take one often drop it through a put-and-unlock helper; not followed. */
const SKIPPED_KINDS: ReadonlySet<LockKind> = new Set(["folio", "buffer", "bit"]);

/**
 * The lock expression a call of the wrapper takes: the argument itself when
 * it names a lock object by address (`&sbi->sb_lock`: that object is the
 * lock, whatever the wrapper does inside it), else the wrapper's expression
 * with the argument in place of its parameter.
 */
export function wrapperLockExpr(w: LockWrapper, args: readonly string[]): string | null {
  const a = (args[w.param] ?? "").trim();
  if (!a) return null;
  if (a.startsWith("&") && w.template !== "$") return a;
  const base = /^[A-Za-z_][\w.>-]*$/.test(a) ? a : `(${a})`;
  return w.template.replace("$", base);
}

/** Parameter names of a scanned definition, in order ("" where none can be read). */
function paramNames(params: string): string[] {
  return paramsOfSignature(`f(${params})`).map(paramName);
}

/** The lock expression as a template over one parameter: "&sem->internal_rwsem" with sem the 1st -> "&$->internal_rwsem". */
function templateOf(expr: string, params: readonly string[]): { param: number; template: string } | null {
  const e = expr.replace(/\s+/g, "");
  const m = /^(&?)\(?([A-Za-z_]\w*)\)?((?:->|\.)[A-Za-z_][\w.>-]*)?$/.exec(e);
  if (!m) return null;
  const i = params.indexOf(m[2]!);
  if (i < 0) return null;
  return { param: i, template: `${m[1]}$${m[3] ?? ""}` };
}

/**
 * Whether the call on `line` runs on every path through the function: a
 * statement of the body's top level, not the body of an if/else/loop written
 * without braces. Read from the text (the scan keeps no conditions).
 */
function unconditional(lines: readonly string[], fn: ScanFunction, line: number): boolean {
  const t = lines[line - 1];
  if (t === undefined) return false;
  const indent = /^\s*/.exec(t)![0].replace(/ {8}/g, "\t");
  if (indent !== "\t") return false;
  for (let n = line - 1; n > fn.start; n--) {
    const p = (lines[n - 1] ?? "").trim();
    if (p === "" || p.startsWith("/*") || p.startsWith("*") || p.startsWith("//")) continue;
    return !/^(?:if|else|for|while|do)\b/.test(p) && !/^\}?\s*else\b/.test(p);
  }
  return true;
}

/**
 * The lock wrappers among a directory's functions. `textOf` gives a file's
 * text, to tell a top-level statement from a conditional one.
 */
export function findLockWrappers(
  files: readonly string[],
  scans: ReadonlyMap<string, ScanFile>,
  textOf: (file: string) => string | undefined,
  /** How often a name is defined in the directory, when an index already knows (else counted here). */
  definitions?: (name: string) => number,
  /** Wrappers already known (of the directory's other files): kept, and wrappers over them are found. */
  seed?: ReadonlyMap<string, LockWrapper>,
): Map<string, LockWrapper> {
  const found = new Map<string, LockWrapper>(seed ?? []);
  // a name defined more than once in the directory (per-config variants, two static helpers): not trusted
  let count = definitions;
  if (!count) {
    const defined = new Map<string, number>();
    for (const f of files) for (const fn of scans.get(f)?.functions ?? []) defined.set(fn.name, (defined.get(fn.name) ?? 0) + 1);
    count = (n) => defined.get(n) ?? 0;
  }
  const lineCache = new Map<string, string[]>();
  const linesOf = (f: string) => {
    let l = lineCache.get(f);
    if (!l) lineCache.set(f, (l = (textOf(f) ?? "").split("\n")));
    return l;
  };
  for (let round = 0; round < ROUNDS; round++) {
    let added = 0;
    for (const f of files) {
      const scan = scans.get(f);
      if (!scan) continue;
      for (const fn of candidatesOf(scan)) {
        if (found.has(fn.name) || LOCK_CALLS[fn.name] || count(fn.name) > 1) continue;
        const lockCalls = fn.calls.filter((c) => LOCK_CALLS[c.callee] !== undefined || (found.has(c.callee) && c.callee !== fn.name));
        if (lockCalls.length !== 1) continue;
        const c = lockCalls[0]!;
        const prim = LOCK_CALLS[c.callee];
        const inner = prim ? null : found.get(c.callee)!;
        const expr = prim ? (prim.map ?? c.args[prim.arg ?? 0] ?? "") : wrapperLockExpr(inner!, c.args);
        if (!expr) continue;
        if (SKIPPED_KINDS.has(prim ? prim.kind : inner!.kind)) continue;
        const t = templateOf(expr, paramNames(fn.params));
        if (!t) continue;
        if (!unconditional(linesOf(f), fn, c.line)) continue;
        const w: LockWrapper = {
          kind: prim ? prim.kind : inner!.kind,
          op: prim ? prim.op : inner!.op,
          shared: prim ? (prim.shared ?? false) : inner!.shared,
          base: prim ? c.callee : inner!.base,
          ...t,
          file: f,
          line: fn.start,
        };
        found.set(fn.name, w);
        added++;
      }
    }
    if (added === 0) break;
  }
  return found;
}

const keyMemo = new WeakMap<LockWrappers, string>();

const candidateMemo = new WeakMap<ScanFile, ScanFunction[]>();

/**
 * The functions of a scan that could be wrappers: small, with at most a few calls, none of them a scope or handle
 * call (a helper that also opens or ends a scope, or starts or stops a handle, is more than a lock: the walk follows
 * what it returns and restores as a call). Once per scan: a directory's unchanged files keep theirs across patches.
 */
function candidatesOf(scan: ScanFile): ScanFunction[] {
  let c = candidateMemo.get(scan);
  if (!c) {
    c = scan.functions.filter((fn) => fn.end - fn.start + 1 <= MAX_LINES && fn.calls.length > 0 && fn.calls.length <= MAX_CALLS && !fn.calls.some((x) => SCOPE_CALLS[x.callee] || FLAGS_SCOPE_CALLS[x.callee] || handleCall(x.callee)));
    candidateMemo.set(scan, c);
  }
  return c;
}

/** A short stable text for a set of wrappers (part of a cache key; once per set). */
export function wrappersKey(ws: LockWrappers | undefined): string {
  if (!ws || ws.size === 0) return "";
  const memo = keyMemo.get(ws);
  if (memo !== undefined) return memo;
  const k = computeKey(ws);
  keyMemo.set(ws, k);
  return k;
}

function computeKey(ws: LockWrappers): string {
  let h = 2166136261;
  for (const [n, w] of [...ws].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const s = `${n}|${w.kind}|${w.op}|${w.param}|${w.template};`;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  }
  return `${ws.size}:${(h >>> 0).toString(36)}`;
}

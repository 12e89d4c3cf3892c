// Every path through one function body: from the tree-sitter parse to a
// small statement tree, then a forward walk that carries what is held (locks,
// handles, a frozen queue) and which memalloc scopes are open, joined where
// paths meet (if/else, loops, switch, goto labels). Each tracked call gets the
// state in force before it: scopes open on every path / on some path, things
// held on every path / on some path. Exits (returns, falling off the end)
// record the scopes still open, and scope misuse (restore with nothing open,
// of another variable or kind, twice) is recorded where it happens.
//
// The same walk serves a whole function (a source tree) and a fragment of one
// (the lines a diff shows): then the state at the start is unknown, and only
// what the fragment shows is claimed.
import { balanced } from "./feasible.js";
import type { Node } from "web-tree-sitter";
import type { LockWrappers } from "./lock-wrappers.js";
import { classifyCall, cleanArg, flagsEdit, guardKind, lockKeyOf, type CallEvent, type LockKey, type ScopeOrThrottle } from "./events.js";
import type { LockKind } from "../vocab/kernel-api.js";

// ---------------------------------------------------------------- state

export interface ScopeEntry {
  id: number;
  kinds: ScopeOrThrottle[];
  variable: string | null;
  line: number;
  how: "save" | "flags";
  /** The if-conditions the save sits under, outermost first ("!c" on else branches), for `if (c) save ... if (c) restore`. */
  conds: string[];
}

export interface HeldEntry {
  id: number;
  what: "lock" | "handle";
  lock?: LockKind;
  key?: LockKey;
  /** A handle's start API; for a frozen or quiesced queue, the call that did it. */
  api?: string;
  variable?: string | null;
  shared?: boolean;
  line: number;
  conds: string[];
  /** Released when this block ends (guard()). */
  block?: number;
  /** Seen in the source tree's version of the function, not in the patch's (a patch written against another tree). */
  fromTree?: boolean;
  /** Held by a caller: the function that took it (set by the caller search). */
  takenIn?: string;
  /** ... and its file, when that is not the file of the function asked about. */
  takenInFile?: string;
}

interface Slot<T> {
  e: T;
  /** Open / held on every path that reaches here. */
  must: boolean;
}

interface State {
  scopes: Map<number, Slot<ScopeEntry>>;
  held: Map<number, Slot<HeldEntry>>;
  /** Some path here comes from lines the walk did not see (a fragment's case or label reached from above it). */
  unseen?: boolean;
}

function cloneState(s: State): State {
  return { scopes: new Map(s.scopes), held: new Map(s.held), ...(s.unseen ? { unseen: true } : {}) };
}

/** The state a fragment's jump from lines not shown brings (its start's), marked as not seen. */
function fromUnseen(w: Walk): State | null {
  return !w.entryVisible && w.entry ? { ...cloneState(w.entry), unseen: true } : null;
}

function joinMaps<T>(a: Map<number, Slot<T>>, b: Map<number, Slot<T>>): Map<number, Slot<T>> {
  const out = new Map<number, Slot<T>>();
  for (const [id, x] of a) {
    const y = b.get(id);
    out.set(id, { e: x.e, must: x.must && y !== undefined && y.must });
  }
  for (const [id, y] of b) if (!a.has(id)) out.set(id, { e: y.e, must: false });
  return out;
}

function join(a: State | null, b: State | null): State | null {
  if (!a) return b ? cloneState(b) : null;
  if (!b) return cloneState(a);
  return { scopes: joinMaps(a.scopes, b.scopes), held: joinMaps(a.held, b.held), ...(a.unseen || b.unseen ? { unseen: true } : {}) };
}

// ---------------------------------------------------------------- results

export interface SiteState {
  /** Scope kinds open on every path to the site. */
  mustScopes: ScopeOrThrottle[];
  /** Scope kinds open on some path. */
  mayScopes: ScopeOrThrottle[];
  /** Things held on some path to the site (must: on every path). */
  held: { entry: HeldEntry; must: boolean }[];
  /** The open scopes themselves (must: on every path). */
  scopes: { entry: ScopeEntry; must: boolean }[];
}

export interface FlowEvent extends CallEvent {
  state: SiteState;
  /** Inside the condition or body of a branch (if/loop/switch) of this function. */
  conditional: boolean;
  /** The if-conditions it is under, outermost first, whitespace removed; "!cond" in an else branch. */
  conds?: string[];
  /**
   * Conditions of earlier ifs of its block (or an enclosing one) whose other branch never falls through
   * (`if (c) return;` or `goto`, `break`, `continue`): "!c" after `if (c) goto out;`. Only those every path
   * to the site passed: a label between that a goto from outside the guarded stretch jumps to ends them.
   */
  guards?: string[];
}

export interface ScopeProblem {
  kind: "restore-without-save" | "wrong-variable" | "wrong-kind" | "leak" | "double-restore";
  line: number;
  /** The save involved, when there is one. */
  save?: ScopeEntry;
  detail: string;
}

export interface ExitState {
  line: number;
  /** "return" or the function's end. */
  how: "return" | "end";
  openScopes: { entry: ScopeEntry; must: boolean }[];
  held: { entry: HeldEntry; must: boolean }[];
}

export interface FunctionFlow {
  name: string;
  /** 1-based lines of the function (or fragment) in the real file. */
  start: number;
  end: number;
  /** The function's start is visible (a whole function): the state at entry is known to be empty of this function's own doing. */
  entryVisible: boolean;
  /** The end is visible (falling off the end is an exit). */
  endVisible: boolean;
  isStatic: boolean;
  /** Parameter declarations as written ("struct shrink_control *sc"). */
  params: string[];
  returnType: string;
  events: FlowEvent[];
  exits: ExitState[];
  problems: ScopeProblem[];
  /** Declared struct types of parameters and locals: var -> struct name. */
  types: Map<string, string>;
  /** Scopes saved into a field of an object (handed over, e.g. a handle's saved context). */
  handedOver: ScopeEntry[];
  /** Return values that come straight from a scope save (`return memalloc_noio_save()` or its variable). */
  returnsScope: ScopeOrThrottle[];
  /** Parameters passed to a scope restore (a function that ends a scope it was handed). */
  restoresParam: boolean;
}

// ---------------------------------------------------------------- the walk

const LOOPS = new Set(["for_statement", "while_statement", "do_statement", "for_range_loop"]);

interface Walk {
  lineOffset: number;
  /** Lock wrappers of the code under review (lock-wrappers.ts). */
  wrappers?: LockWrappers;
  events: FlowEvent[];
  exits: ExitState[];
  problems: ScopeProblem[];
  handedOver: ScopeEntry[];
  types: Map<string, string>;
  nextId: number;
  labels: Map<string, State | null>;
  /** Labels defined in the body: a goto to a label not here leaves the visible code. */
  defined: Set<string>;
  breaks: (State | null)[][];
  continues: (State | null)[][];
  conds: string[];
  depth: number;
  blockIds: number[];
  entryVisible: boolean;
  /** The state the walk started from (a fragment's: seeded from the tree's version above it, or empty). */
  entry: State | null;
  returnsScope: Set<ScopeOrThrottle>;
  scopeVars: Map<string, ScopeOrThrottle[]>;
  params: Set<string>;
  restoresParam: boolean;
  /** Names declared in the visible body. */
  locals: Set<string>;
  /** Variables any save in the body assigns (a loop may restore before the save it pairs with). */
  savedAnywhere: Set<string>;
  /** Flags set true under a condition path (`suspend = true`), as conditions that stand for it. */
  flagsAt: Map<string, string[]>;
  /** Early-exit conditions (FlowEvent.guards) and the lines they hold on: after `from` up to `to`. */
  guards: Guard[];
  /** The body, and the lines of its gotos by label (read at the first label). */
  body: Node | null;
  gotoLines?: Map<string, number[]>;
}

interface Guard {
  cond: string;
  from: number;
  to: number;
}

/** The guards in force on a line (FlowEvent.guards), or undefined for none. */
function guardsAt(w: Walk, at: number): string[] | undefined {
  if (w.guards.length === 0) return undefined;
  const out = w.guards.filter((g) => at > g.from && at <= g.to).map((g) => g.cond);
  return out.length > 0 ? out : undefined;
}

/** The event record of a call, with the branch conditions and guards it sits under. */
function recorded(w: Walk, ev: CallEvent, s: State): FlowEvent {
  const guards = guardsAt(w, ev.line);
  return { ...ev, state: siteState(s), conditional: w.conds.length > 0 || w.depth > 0, ...(w.conds.length > 0 ? { conds: [...w.conds] } : {}), ...(guards ? { guards } : {}) };
}

/**
 * An if whose one branch never falls through guards the rest of the block it sits in (through labels on it): the
 * line it ends on and the block's last line, or null when it is the only statement of a branch or loop.
 */
function guardedStretch(w: Walk, n: Node): { from: number; to: number } | null {
  let p = n.parent;
  while (p && p.type === "labeled_statement") p = p.parent;
  if (!p || (p.type !== "compound_statement" && p.type !== "case_statement")) return null;
  return { from: line(w, n) + n.endPosition.row - n.startPosition.row, to: p.endPosition.row + 1 + w.lineOffset };
}

const line = (w: Walk, n: Node) => n.startPosition.row + 1 + w.lineOffset;

/** The state of most call sites: nothing open, nothing held (shared, never mutated). */
const EMPTY_SITE: SiteState = Object.freeze({ mustScopes: [], mayScopes: [], held: [], scopes: [] }) as unknown as SiteState;

function siteState(s: State): SiteState {
  if (s.scopes.size === 0 && s.held.size === 0) return EMPTY_SITE;
  const must = new Set<ScopeOrThrottle>();
  const may = new Set<ScopeOrThrottle>();
  for (const { e, must: m } of s.scopes.values())
    for (const k of e.kinds) {
      may.add(k);
      if (m) must.add(k);
    }
  return {
    mustScopes: [...must],
    mayScopes: [...may],
    held: [...s.held.values()].map((x) => ({ entry: x.e, must: x.must })),
    scopes: [...s.scopes.values()].map((x) => ({ entry: x.e, must: x.must })),
  };
}

/** A declaration's struct type per declared name: `struct foo *a, *b = x;` */
function recordTypes(w: Walk, decl: Node): void {
  for (const d of decl.childrenForFieldName("declarator")) {
    if (!d) continue;
    const id = /([A-Za-z_]\w*)/.exec(d.type === "init_declarator" ? d.childForFieldName("declarator")?.text.replace(/^[*\s]+/, "") ?? "" : d.text.replace(/^[*\s]+/, ""));
    if (id) w.locals.add(id[1]!);
  }
  const t = decl.childForFieldName("type");
  if (!t || t.type !== "struct_specifier") return;
  const name = t.childForFieldName("name")?.text;
  if (!name) return;
  for (const d of decl.childrenForFieldName("declarator")) {
    if (!d) continue;
    const id = /([A-Za-z_]\w*)/.exec(d.type === "init_declarator" ? d.childForFieldName("declarator")?.text ?? "" : d.text);
    if (id) w.types.set(id[1]!, name);
  }
}

function assignedTarget(call: Node): string | null {
  let p = call.parent;
  while (p && (p.type === "parenthesized_expression" || p.type === "cast_expression")) p = p.parent;
  if (!p) return null;
  if (p.type === "assignment_expression" && p.childForFieldName("right")?.id !== undefined) {
    const left = p.childForFieldName("left");
    return left ? cleanArg(left.text) : null;
  }
  if (p.type === "init_declarator") {
    const d = p.childForFieldName("declarator");
    const m = d ? /([A-Za-z_]\w*)\s*$/.exec(d.text.replace(/\[.*$/, "")) : null;
    return m ? m[1]! : null;
  }
  return null;
}

function argsOf(call: Node): string[] {
  const a = call.childForFieldName("arguments");
  if (!a) return [];
  const out: string[] = [];
  for (const c of a.namedChildren) if (c && c.type !== "comment") out.push(cleanArg(c.text));
  return out;
}

/** The calls and task-flag edits of an expression, in source order. */
const EVENT_NODES = ["call_expression", "assignment_expression", "declaration"];

function eventsOf(w: Walk, n: Node): CallEvent[] {
  const out: CallEvent[] = [];
  // one traversal on the parser's side: every call, assignment and declaration under n, then in evaluation
  // order (a call's arguments before the call: by end position)
  const found = n.descendantsOfType(EVENT_NODES).filter((x): x is Node => x !== null);
  if (EVENT_NODES.includes(n.type) && !found.some((x) => x.id === n.id)) found.push(n);
  if (found.length === 0) return out;
  found.sort((a, b) => a.endIndex - b.endIndex || b.startIndex - a.startIndex);
  for (const x of found) {
    const type = x.type;
    if (type === "declaration") {
      recordTypes(w, x);
      continue;
    }
    if (type === "call_expression") {
      const fnNode = x.childForFieldName("function");
      if (!fnNode) continue;
      const fnType = fnNode.type;
      // the inner call of guard(cls)(&l) is the outer call's function: it names the class
      if (fnType === "identifier" && x.parent?.type === "call_expression" && x.parent.childForFieldName("function")?.id === x.id) continue;
      if (fnType === "call_expression") {
        if (fnNode.childForFieldName("function")?.text !== "guard") continue;
        const cls = fnNode.childForFieldName("arguments")?.namedChildren[0]?.text ?? "";
        const kind = guardKind(cls);
        const arg = argsOf(x)[0] ?? "";
        if (kind) out.push({ callee: `guard(${cls})`, args: [arg], line: line(w, x), assignedTo: null, info: { kind: "lock", lock: kind, op: "acquire", key: lockKeyOf(arg, (v) => w.types.get(v) ?? null), guard: "guard", shared: /read/.test(cls) } });
        continue;
      }
      const callee = fnType === "identifier" ? fnNode.text : fnType === "field_expression" ? `->${fnNode.childForFieldName("field")?.text ?? ""}` : null;
      if (!callee) continue;
      const args = argsOf(x);
      const assignedTo = assignedTarget(x);
      const info = classifyCall(callee, args, assignedTo, (v) => w.types.get(v) ?? null, w.wrappers);
      const ev: CallEvent = { callee, args, line: line(w, x), endLine: x.endPosition.row + 1 + w.lineOffset, assignedTo, info };
      if (fnType === "field_expression") {
        const receiver = fnNode.childForFieldName("argument")?.text;
        if (receiver) ev.receiver = receiver.replace(/\s+/g, "");
      }
      out.push(ev);
      // a queue freeze that hands back saved task flags (`memflags = blk_mq_freeze_queue(q)`) opens a NOIO scope
      // with them, and the unfreeze that takes them back ends it: the call's shape says so, whatever the release
      if (info.kind === "lock" && info.lock === "freeze" && info.op === "acquire" && assignedTo)
        out.push({ ...ev, info: { kind: "scope", scope: ["noio"], op: "save", how: "save", variable: assignedTo, into: /->|\./.test(assignedTo) ? "field" : "local" } });
      if (info.kind === "lock" && info.lock === "freeze" && info.op === "release" && args.length > 1)
        out.push({ ...ev, info: { kind: "scope", scope: ["noio"], op: "restore", how: "save", variable: args[args.length - 1]!, into: null } });
      continue;
    }
    // assignment_expression
    const leftNode = x.childForFieldName("left");
    const rightNode = x.childForFieldName("right");
    const op = x.childForFieldName("operator")?.text ?? x.children[1]?.text ?? "";
    const left = leftNode?.text ?? "";
    if (left.includes("flags") && left.replace(/\s+/g, "") === "current->flags") {
      const ev = flagsEdit(op, rightNode?.text ?? "", line(w, x));
      if (ev) out.push(ev);
      continue;
    }
    if (op === "=" && rightNode && (rightNode.type === "true" || rightNode.text === "1") && /^[A-Za-z_]\w*$/.test(left))
      out.push({ callee: "=", args: [left], line: line(w, x), assignedTo: left, info: { kind: "call" }, flagSet: left } as CallEvent & { flagSet: string });
  }
  return out;
}

function dropBlock(s: State, block: number): void {
  for (const [id, slot] of s.held) if (slot.e.block === block) s.held.delete(id);
}

/** Applies one event to the state (mutating it) and records it. */
function apply(w: Walk, s: State, ev: CallEvent): void {
  const flag = (ev as CallEvent & { flagSet?: string }).flagSet;
  if (flag) {
    // `suspend = true` next to a conditional save (before or after it): a later `if (suspend)` stands for the same condition
    if (w.conds.length === 0) return;
    const here = w.conds.join("\0");
    w.flagsAt.set(here, [...(w.flagsAt.get(here) ?? []), `(${flag})`]);
    for (const { e } of [...s.scopes.values(), ...s.held.values()]) if (e.conds.length > 0 && e.conds.slice(0, w.conds.length).join("\0") === here) e.conds = [...e.conds, `(${flag})`];
    return;
  }
  w.events.push(recorded(w, ev, s));
  const info = ev.info;
  const conds = [...w.conds, ...(w.flagsAt.get(w.conds.join("\0")) ?? [])];
  if (info.kind === "lock") {
    if (info.op === "acquire") {
      const id = w.nextId++;
      const block = info.guard === "guard" ? w.blockIds[w.blockIds.length - 1] : undefined;
      s.held.set(id, { e: { id, what: "lock", lock: info.lock, key: info.key, shared: info.shared, line: ev.line, conds, ...(block !== undefined ? { block } : {}), ...(info.lock === "freeze" ? { api: ev.callee } : {}) }, must: true });
    } else if (info.op === "release") {
      for (const [id, slot] of s.held) if (slot.e.what === "lock" && slot.e.key && sameLock(slot.e.key, info.key)) s.held.delete(id);
    }
    return;
  }
  if (info.kind === "handle") {
    if (info.op === "start") {
      const id = w.nextId++;
      s.held.set(id, { e: { id, what: "handle", api: info.api, variable: info.variable, line: ev.line, conds }, must: true });
    } else {
      const v = (info.variable ?? "").replace(/\s+/g, "");
      let removed = false;
      for (const [id, slot] of s.held)
        if (slot.e.what === "handle" && slot.e.api === info.api && (!v || !slot.e.variable || slot.e.variable.replace(/\s+/g, "") === v)) {
          s.held.delete(id);
          removed = true;
        }
      if (!removed) for (const [id, slot] of s.held) if (slot.e.what === "handle" && slot.e.api === info.api) s.held.delete(id);
    }
    return;
  }
  if (info.kind === "scope") {
    if (info.op === "save") {
      const id = w.nextId++;
      const entry: ScopeEntry = { id, kinds: info.scope, variable: info.variable, line: ev.line, how: info.how, conds };
      if (info.into === "field") {
        // saved into an object: the scope is handed over (a handle that ends it elsewhere)
        w.handedOver.push(entry);
      }
      if (info.variable && info.into === "local") w.scopeVars.set(info.variable, info.scope);
      s.scopes.set(id, { e: entry, must: true });
      return;
    }
    restore(w, s, ev, info.scope, info.variable, info.how, info.restoresAll ?? false);
  }
}

function restore(w: Walk, s: State, ev: CallEvent, kinds: ScopeOrThrottle[], variable: string | null, how: "save" | "flags", all: boolean): void {
  const v = variable?.replace(/\s+/g, "") ?? null;
  if (v && w.params.has(v)) w.restoresParam = true;
  const open = [...s.scopes.values()];
  if (how === "flags") {
    // current->flags &= ~PF_X, current->flags = old, current_restore_flags(old, PF_X): close flag-set scopes of
    // those kinds (all, for a plain assignment); judged by memalloc-flags-direct, not as save/restore pairs
    for (const { e } of open) if ((all || e.kinds.some((k) => kinds.includes(k))) && (e.how === "flags" || all)) s.scopes.delete(e.id);
    return;
  }
  const byVar = v ? open.filter(({ e }) => e.variable !== null && e.variable.replace(/\s+/g, "") === v) : [];
  if (byVar.length > 0) {
    for (const { e } of byVar) {
      s.scopes.delete(e.id);
      if (kinds.length > 0 && !all && !e.kinds.some((k) => kinds.includes(k)) && e.how === "save")
        w.problems.push({ kind: "wrong-kind", line: ev.line, save: e, detail: `${ev.callee}(${v}) restores a ${e.kinds.join("/")} scope saved at line ${e.line}` });
    }
    return;
  }
  if (!v) return;
  if (/->|\./.test(v)) return; // a scope handed over in an object (a handle's saved context)
  if (w.params.has(v)) return; // a function that ends a scope its caller opened
  const sameKind = open.filter(({ e }) => e.how === "save" && (kinds.length === 0 || e.kinds.some((k) => kinds.includes(k))));
  if (sameKind.length > 0 && !w.scopeVars.has(v) && !/^(?:0x)?\d+[uUlL]*$/.test(v)) {
    const e = sameKind[sameKind.length - 1]!.e;
    s.scopes.delete(e.id);
    w.problems.push({ kind: "wrong-variable", line: ev.line, save: e, detail: `${ev.callee}(${v}) restores ${v}, but the scope opened at line ${e.line} was saved in ${e.variable ?? "nothing"}` });
    return;
  }
  // only a variable this function declares in the lines seen can be judged further (else: a global, or saved above);
  // and not on a path from lines the walk did not see (a jump into the fragment may come from inside the scope)
  if (!w.locals.has(v) || s.unseen) return;
  // in a loop, a save later in the body may have run on the previous iteration
  if (w.depth > 0 && w.savedAnywhere.has(v)) return;
  if (w.scopeVars.has(v)) {
    w.problems.push({ kind: "double-restore", line: ev.line, detail: `${ev.callee}(${v}) runs when the scope saved in ${v} is already restored on every path here` });
    return;
  }
  w.problems.push({ kind: "restore-without-save", line: ev.line, detail: `${ev.callee}(${v}) restores a scope that no save in this function opened (${v} never holds a saved value here)` });
}

export function sameLock(a: LockKey, b: LockKey): boolean {
  if (a.name !== b.name) return false;
  if (a.type && b.type) return a.type === b.type;
  return true;
}

function exitAt(w: Walk, s: State, ln: number, how: "return" | "end"): void {
  w.exits.push({
    line: ln,
    how,
    openScopes: [...s.scopes.values()].map((x) => ({ entry: x.e, must: x.must })),
    held: [...s.held.values()].map((x) => ({ entry: x.e, must: x.must })),
  });
}

function applyAll(w: Walk, s: State | null, n: Node | null): State | null {
  if (!s || !n) return s;
  for (const ev of eventsOf(w, n)) apply(w, s, ev);
  return s;
}

/** A try-lock in an if-condition: the branch in which it is held. */
function tryInCondition(w: Walk, cond: Node, s: State): { then: State; else: State } {
  const evs = eventsOf(w, cond);
  const thenS = cloneState(s);
  const elseS = cloneState(s);
  const text = cond.text.replace(/\s+/g, "");
  const negated = /^\(?!/.test(text);
  for (const ev of evs) {
    if (ev.info.kind === "lock" && ev.info.op === "try") {
      w.events.push({ ...ev, state: siteState(s), conditional: true });
      const target = negated ? elseS : thenS;
      const id = w.nextId++;
      target.held.set(id, { e: { id, what: "lock", lock: ev.info.lock, key: ev.info.key, shared: ev.info.shared, line: ev.line, conds: [] }, must: true });
      continue;
    }
    apply(w, thenS, ev);
    // the same event on the else side, without recording it twice
    const before = w.events.length;
    apply(w, elseS, ev);
    w.events.length = before;
  }
  return { then: thenS, else: elseS };
}

/**
 * A condition that tests whether a pointer holds an error or NULL: the
 * variable, and whether the condition is true on failure. `condText` has no
 * whitespace. Covers IS_ERR()/IS_ERR_OR_NULL(), `!x`, `x == NULL`, their
 * negations, a bare `x`, and likely()/unlikely() around any of them.
 */
export function failureTest(condText: string): { variable: string; whenTrue: boolean } | null {
  let c = condText;
  for (;;) {
    const inner = /^\((.*)\)$/.exec(c) ?? /^(?:un)?likely\((.*)\)$/.exec(c);
    if (!inner || !balanced(inner[1]!)) break;
    c = inner[1]!;
  }
  let whenTrue = true;
  if (c.startsWith("!") && !c.startsWith("!=")) {
    const rest = c.slice(1).replace(/^\((.*)\)$/, (m, x: string) => (balanced(x) ? x : m));
    const r = failureTest(rest);
    if (r) return { variable: r.variable, whenTrue: !r.whenTrue };
    return null;
  }
  const ptr = "([A-Za-z_][\\w]*(?:(?:->|\\.)[A-Za-z_][\\w]*)*)";
  let m = new RegExp(`^IS_ERR(?:_OR_NULL)?\\(${ptr}\\)$`).exec(c);
  if (m) return { variable: m[1]!, whenTrue };
  m = new RegExp(`^${ptr}==NULL$`).exec(c) ?? new RegExp(`^NULL==${ptr}$`).exec(c);
  if (m) return { variable: m[1]!, whenTrue };
  m = new RegExp(`^${ptr}!=NULL$`).exec(c) ?? new RegExp(`^NULL!=${ptr}$`).exec(c);
  if (m) return { variable: m[1]!, whenTrue: !whenTrue };
  m = new RegExp(`^${ptr}$`).exec(c);
  if (m) return { variable: m[1]!, whenTrue: !whenTrue };
  return null;
}

function stmt(w: Walk, n: Node, s: State | null): State | null {
  switch (n.type) {
    case "compound_statement":
      return block(w, n, s);
    case "if_statement": {
      const condNode = n.childForFieldName("condition");
      const condText = condNode ? condNode.text.replace(/\s+/g, "") : "";
      let thenS: State | null = null;
      let elseS: State | null = null;
      if (s) {
        if (condNode && /trylock|_try\w*\(/.test(condNode.text)) {
          const r = tryInCondition(w, condNode, s);
          thenS = r.then;
          elseS = r.else;
        } else {
          const after = applyAll(w, s, condNode);
          thenS = after ? cloneState(after) : null;
          elseS = after ? cloneState(after) : null;
        }
      }
      // the branch where a started handle's start failed (`if (IS_ERR(trans))`, `if (!trans)`): no handle is held there
      const failed = failureTest(condText);
      if (failed) {
        const x = failed.whenTrue ? thenS : elseS;
        if (x) for (const [id, slot] of x.held) if (slot.e.what === "handle" && slot.e.variable?.replace(/\s+/g, "") === failed.variable) x.held.delete(id);
      }
      // this branch: what `if (!c) save` opened did not happen here
      if (thenS) {
        for (const [id, slot] of thenS.scopes) if (slot.e.conds.includes(`!${condText}`)) thenS.scopes.delete(id);
        for (const [id, slot] of thenS.held) if (slot.e.conds.includes(`!${condText}`)) thenS.held.delete(id);
      }
      w.conds.push(condText);
      const t = stmt(w, n.childForFieldName("consequence")!, thenS);
      w.conds.pop();
      const alt = n.childForFieldName("alternative");
      // the other branch of `if (c)`: what `if (c) save` opened did not happen there
      const negate = (x: State | null) => {
        if (!x) return x;
        for (const [id, slot] of x.scopes) if (slot.e.conds.includes(condText)) x.scopes.delete(id);
        for (const [id, slot] of x.held) if (slot.e.conds.includes(condText)) x.held.delete(id);
        return x;
      };
      let e: State | null;
      if (alt) {
        w.conds.push(`!${condText}`);
        e = stmt(w, alt, negate(elseS));
        w.conds.pop();
      } else e = negate(elseS);
      // one branch reachable and never falling through: what follows runs only when the condition chose the other
      if (condText !== "" && s && (t === null) !== (e === null)) {
        const stretch = guardedStretch(w, n);
        if (stretch) w.guards.push({ cond: t === null ? `!${condText}` : condText, ...stretch });
      }
      return join(t, e);
    }
    case "else_clause": {
      let out = s;
      for (const c of n.namedChildren) if (c) out = stmt(w, c, out);
      return out;
    }
    case "for_statement":
    case "while_statement":
    case "do_statement":
    case "for_range_loop": {
      const head = n.type === "do_statement" ? null : s ? cloneState(s) : null;
      for (const f of ["initializer", "condition", "update"]) applyAll(w, head, n.childForFieldName(f));
      w.breaks.push([]);
      w.continues.push([]);
      w.depth++;
      const body = n.childForFieldName("body");
      const end = body ? stmt(w, body, n.type === "do_statement" ? (s ? cloneState(s) : null) : head ? cloneState(head) : null) : head;
      w.depth--;
      const brk = w.breaks.pop()!;
      const cont = w.continues.pop()!;
      let out: State | null = n.type === "do_statement" ? end : join(head, end);
      for (const c of cont) out = join(out, c);
      if (n.type === "do_statement") applyAll(w, out, n.childForFieldName("condition"));
      for (const b of brk) out = join(out, b);
      return out;
    }
    case "switch_statement": {
      const head = applyAll(w, s ? cloneState(s) : null, n.childForFieldName("condition"));
      w.breaks.push([]);
      w.depth++;
      const body = n.childForFieldName("body");
      let cur: State | null = null;
      let sawDefault = false;
      for (const c of body?.namedChildren ?? []) {
        if (!c) continue;
        if (c.type === "case_statement") {
          if (/^default\b/.test(c.text)) sawDefault = true;
          // the switch jumps here: what earlier cases guarded does not hold
          const head0 = line(w, n);
          w.guards = w.guards.filter((g) => g.from < head0);
          cur = join(cur, head);
          for (const x of c.namedChildren) {
            if (!x || x === c.childForFieldName("value")) continue;
            cur = stmt(w, x, cur);
          }
        } else cur = stmt(w, c, cur);
      }
      w.depth--;
      let out = cur;
      for (const b of w.breaks.pop()!) out = join(out, b);
      if (!sawDefault) out = join(out, head);
      return out;
    }
    case "case_statement": {
      // a case of a switch whose head the fragment does not show: the switch jumps here from above the lines
      // shown, so the code under it runs even after a `break` or `return` just before it (from the state the
      // fragment started in, all that is known of the switch's head)
      let out = join(s, fromUnseen(w));
      for (const x of n.namedChildren) if (x && x !== n.childForFieldName("value")) out = stmt(w, x, out);
      return out;
    }
    case "labeled_statement": {
      const name = n.childForFieldName("label")?.text ?? "";
      // a goto from outside a guarded stretch lands here without having passed its if (in a fragment, the gotos of
      // the lines not shown are not known: none is kept)
      if (w.guards.length > 0) {
        const gotos = gotoLinesOf(w).get(name) ?? [];
        w.guards = w.entryVisible ? w.guards.filter((g) => gotos.every((l) => l > g.from && l <= g.to)) : [];
      }
      const pending = w.labels.get(name) ?? null;
      w.labels.delete(name);
      // (a fragment: gotos from the lines not shown land here too, from a state the walk did not see; the state the
      // fragment started in stands for it, so the code under the label is walked even after a `return` above it)
      let cur = join(join(s, pending), fromUnseen(w));
      for (const c of n.namedChildren) if (c && c.type !== "statement_identifier") cur = stmt(w, c, cur);
      return cur;
    }
    case "goto_statement": {
      const name = n.childForFieldName("label")?.text ?? "";
      if (s && w.defined.has(name)) w.labels.set(name, join(w.labels.get(name) ?? null, s));
      return null;
    }
    case "return_statement": {
      if (!s) return null;
      const val = n.namedChildren.find((c) => c !== null && c.type !== "comment") ?? null;
      const firstNew = w.nextId;
      applyAll(w, s, val);
      if (val) {
        const t = val.text.replace(/\s+/g, "");
        // returning the saved flags (or the save itself): the scope is the caller's to end
        const returned = [...s.scopes.values()].filter(({ e }) => e.id >= firstNew || (e.variable !== null && e.variable.replace(/\s+/g, "") === t));
        for (const { e } of returned) {
          for (const k of e.kinds) w.returnsScope.add(k);
          s.scopes.delete(e.id);
        }
      }
      exitAt(w, s, line(w, n), "return");
      return null;
    }
    case "break_statement": {
      const b = w.breaks[w.breaks.length - 1];
      if (b && s) b.push(cloneState(s));
      return null;
    }
    case "continue_statement": {
      const c = w.continues[w.continues.length - 1];
      if (c && s) c.push(cloneState(s));
      return null;
    }
    case "preproc_if":
    case "preproc_ifdef":
    case "preproc_elif":
    case "preproc_else": {
      // #if / #else: alternative paths
      let thenS = s ? cloneState(s) : null;
      let alt: Node | null = null;
      for (const c of n.namedChildren) {
        if (!c) continue;
        if (c.type === "preproc_else" || c.type === "preproc_elif") {
          alt = c;
          continue;
        }
        if (c === n.childForFieldName("condition") || c.type === "identifier") continue;
        thenS = stmt(w, c, thenS);
      }
      const e = alt ? stmt(w, alt, s ? cloneState(s) : null) : s;
      return join(thenS, e);
    }
    case "comment":
    case "preproc_call":
    case "preproc_def":
    case "preproc_function_def":
    case "preproc_include":
      return s;
    case "declaration":
      recordTypes(w, n);
      return applyAll(w, s, n);
    default:
      if (n.type === "ERROR") {
        let out = s;
        for (const c of n.namedChildren) if (c) out = stmt(w, c, out);
        return out;
      }
      return applyAll(w, s, n);
  }
}

/** The lines of the body's gotos, by label. */
function gotoLinesOf(w: Walk): Map<string, number[]> {
  if (w.gotoLines) return w.gotoLines;
  const out = new Map<string, number[]>();
  for (const g of w.body?.descendantsOfType("goto_statement") ?? []) {
    const name = g?.childForFieldName("label")?.text;
    if (!g || !name) continue;
    const l = out.get(name) ?? [];
    l.push(line(w, g));
    out.set(name, l);
  }
  w.gotoLines = out;
  return out;
}

function block(w: Walk, n: Node, s: State | null): State | null {
  const id = w.nextId++;
  w.blockIds.push(id);
  let cur = s;
  const kids = n.namedChildren.filter((c): c is Node => c !== null);
  for (let i = 0; i < kids.length; i++) {
    const c = kids[i]!;
    // a macro loop or scoped_guard: `name(args)` with its ";" missing, then a block
    const next = kids[i + 1];
    if (c.type === "expression_statement" && next?.type === "compound_statement" && c.lastChild?.type === ";" && c.lastChild.text === "") {
      const call = c.namedChildren[0];
      if (call?.type === "call_expression") {
        const callee = call.childForFieldName("function")?.text ?? "";
        if (callee === "scoped_guard" || callee === "scoped_cond_guard") {
          const args = argsOf(call);
          const kind = guardKind(args[0] ?? "");
          const inner = cur ? cloneState(cur) : null;
          const bid = w.nextId++;
          if (inner && kind) {
            const key = lockKeyOf(args[callee === "scoped_guard" ? 1 : 2] ?? "", (v) => w.types.get(v) ?? null);
            const ev: CallEvent = { callee: `scoped_guard(${args[0]})`, args: args.slice(1), line: line(w, call), assignedTo: null, info: { kind: "lock", lock: kind, op: "acquire", key, guard: "scoped", shared: /read/.test(args[0] ?? "") } };
            w.events.push(recorded(w, ev, inner));
            inner.held.set(bid, { e: { id: bid, what: "lock", lock: kind, key, line: ev.line, conds: [], block: bid }, must: true });
          }
          const after = stmt(w, next, inner);
          if (after) dropBlock(after, bid);
          cur = after;
          i++;
          continue;
        }
        // a loop macro (list_for_each_entry...): zero or more passes
        applyAll(w, cur, call);
        w.breaks.push([]);
        w.continues.push([]);
        w.depth++;
        const end = stmt(w, next, cur ? cloneState(cur) : null);
        w.depth--;
        let out = join(cur, end);
        for (const x of w.continues.pop()!) out = join(out, x);
        for (const x of w.breaks.pop()!) out = join(out, x);
        cur = out;
        i++;
        continue;
      }
    }
    cur = stmt(w, c, cur);
    if (!cur) {
      // unreachable until a label: keep walking for labels (gotos land there)
      continue;
    }
  }
  w.blockIds.pop();
  if (cur) dropBlock(cur, id);
  return cur;
}

// ---------------------------------------------------------------- entry points

function declaratorOf(fn: Node): Node | null {
  let d = fn.childForFieldName("declarator");
  for (let g = 0; d && d.type !== "function_declarator" && g < 8; g++) d = d.childForFieldName("declarator");
  return d;
}

/** The name of a function_definition node. */
export function functionName(fn: Node): string | null {
  const d = declaratorOf(fn);
  const id = d?.childForFieldName("declarator");
  if (!id) return null;
  const m = /([A-Za-z_]\w*)\s*$/.exec(id.text);
  return m ? m[1]! : null;
}

export interface FlowOptions {
  /** Added to every line (a fragment parsed at an offset). */
  lineOffset?: number;
  /** Functions of the code under review that take or drop one lock for their caller. */
  wrappers?: LockWrappers;
  entryVisible?: boolean;
  endVisible?: boolean;
  /** A name for a fragment whose definition is not visible. */
  name?: string;
  /** Struct types of variables known from elsewhere (a fragment's signature): var -> struct name. */
  types?: ReadonlyMap<string, string>;
  /** Parameter declarations known from elsewhere (a fragment's signature). */
  params?: string[];
  /**
   * The state at the fragment's start, when known from elsewhere (the same
   * function in the source tree, up to the fragment's first line): what is
   * held and which scopes are open there, with must/may as in that walk.
   */
  initial?: { scopes: { entry: ScopeEntry; must: boolean }[]; held: { entry: HeldEntry; must: boolean }[] };
}

/** Walks every path of a function_definition (or a compound statement standing for a fragment's body). */
export function analyseFunction(node: Node, opts: FlowOptions = {}): FunctionFlow {
  const isDef = node.type === "function_definition";
  const body = isDef ? node.childForFieldName("body") : node;
  const params: string[] = [];
  const types = new Map<string, string>(opts.types ?? []);
  const paramNames = new Set<string>();
  for (const p of opts.params ?? []) {
    params.push(p);
    const nm = /([A-Za-z_]\w*)\s*(?:\[.*)?$/.exec(p);
    if (nm) paramNames.add(nm[1]!);
  }
  let returnType = "";
  if (isDef && !opts.params) {
    const d = declaratorOf(node);
    for (const p of d?.childForFieldName("parameters")?.namedChildren ?? []) {
      if (!p || p.type !== "parameter_declaration") continue;
      params.push(cleanArg(p.text));
      const t = p.childForFieldName("type");
      const pd = p.childForFieldName("declarator");
      const nm = pd ? /([A-Za-z_]\w*)\s*(?:\[.*)?$/.exec(pd.text) : null;
      if (nm) paramNames.add(nm[1]!);
      if (t?.type === "struct_specifier" && nm) {
        const sn = t.childForFieldName("name")?.text;
        if (sn) types.set(nm[1]!, sn);
      }
    }
    // the pointer stars of a returned pointer sit in the declarator (`struct dma_fence *f(...)`)
    let stars = "";
    for (let d = node.childForFieldName("declarator"); d && d.type === "pointer_declarator"; d = d.childForFieldName("declarator")) stars += "*";
    returnType = cleanArg(node.childForFieldName("type")?.text ?? "") + (stars ? ` ${stars}` : "");
  }
  const defined = new Set<string>();
  if (body) for (const l of body.descendantsOfType("statement_identifier")) if (l && l.parent?.type === "labeled_statement") defined.add(l.text);
  const w: Walk = {
    lineOffset: opts.lineOffset ?? 0,
    ...(opts.wrappers ? { wrappers: opts.wrappers } : {}),
    events: [],
    exits: [],
    problems: [],
    handedOver: [],
    types,
    nextId: 1,
    labels: new Map(),
    defined,
    breaks: [],
    continues: [],
    conds: [],
    depth: 0,
    blockIds: [],
    entryVisible: opts.entryVisible ?? isDef,
    entry: null,
    returnsScope: new Set(),
    scopeVars: new Map(),
    params: paramNames,
    restoresParam: false,
    locals: new Set(),
    flagsAt: new Map(),
    guards: [],
    body: body ?? null,
    savedAnywhere: new Set(body && body.text.includes("memalloc_") ? [...body.text.matchAll(/([A-Za-z_]\w*)\s*=\s*memalloc_\w+_save\s*\(/g)].map((m) => m[1]!) : []),
  };
  const start: State = { scopes: new Map(), held: new Map() };
  for (const x of opts.initial?.scopes ?? []) start.scopes.set(-x.entry.id, { e: { ...x.entry, id: -x.entry.id, conds: [] }, must: x.must });
  for (const x of opts.initial?.held ?? []) start.held.set(-x.entry.id, { e: { ...x.entry, id: -x.entry.id, conds: [], block: undefined }, must: x.must });
  w.entry = cloneState(start);
  const end = body ? block(w, body, start) : start;
  const endVisible = opts.endVisible ?? isDef;
  const lastLine = node.endPosition.row + 1 + w.lineOffset;
  if (end && endVisible) exitAt(w, end, lastLine, "end");
  // scopes left open at an exit: a leak unless handed over (saved into an object) or returned
  {
    const reported = new Set<number>();
    for (const x of w.exits) {
      for (const { entry } of x.openScopes) {
        if (reported.has(entry.id)) continue;
        if (w.handedOver.some((h) => h.id === entry.id)) continue;
        if (entry.id < 0) continue; // opened before the fragment (seeded from the tree): not this fragment's to close
        if (entry.how === "flags") continue; // flag edits are judged by their own rule
        if (entry.kinds.includes("throttle")) continue;
        reported.add(entry.id);
        w.problems.push({ kind: "leak", line: x.line, save: entry, detail: `${x.how === "return" ? "returns" : "reaches the end"} at line ${x.line} with the ${entry.kinds.join("/")} scope saved at line ${entry.line}${entry.variable ? ` (in ${entry.variable})` : ""} still open` });
      }
    }
  }
  return {
    name: isDef ? functionName(node) ?? opts.name ?? "?" : opts.name ?? "?",
    start: node.startPosition.row + 1 + w.lineOffset,
    end: lastLine,
    entryVisible: w.entryVisible,
    endVisible,
    isStatic: isDef && node.children.some((c) => c?.type === "storage_class_specifier" && c.text === "static"),
    params,
    returnType,
    events: w.events,
    exits: w.exits,
    problems: w.problems,
    types,
    handedOver: w.handedOver,
    returnsScope: [...w.returnsScope],
    restoresParam: w.restoresParam,
  };
}

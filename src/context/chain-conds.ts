// Whether a chain of calls can run at all, judged from the conditions its
// calls sit under, read as facts about the root's own objects: the root calls
// `f(vha)` only `if (IS_P3P_TYPE(vha->hw))`, and three calls down the next
// link is called only after `if (IS_P3P_TYPE(ha)) goto out;` with
// `ha = vha->hw`: no path through that chain exists. A condition is carried
// down only through what it can be named by in the root: a parameter the
// function never assigns, bound to the argument its caller passed (a
// variable or a member path of one), and a local assigned once, from such a
// path. Only tests of a fixed property are read: an upper-case function-like
// macro of one path (a type or capability test, IS_P3P_TYPE(ha)), possibly
// negated, whose path no link of the chain assigns to; a state field or its
// comparison with a constant is not (code between the two tests, a helper
// the later link calls first, may change it), nor a macro that reads memory
// as it is now (READ_ONCE: vocabulary VOLATILE_READ_MACROS). Anything else
// (a call, arithmetic, a global) says nothing. Pure: texts in, verdict out.
import { assignments, balanced, escape, operands, stripParens as strip } from "./feasible.js";
import { VOLATILE_READ_MACROS } from "../vocab/kernel-api.js";
import { paramName } from "./c-scan.js";
import type { FunctionFlow } from "./flow.js";

/** One function of a chain, root first. */
export interface ChainLink {
  /** The function's name. */
  name: string;
  /** Its parameter names, in order. */
  params: readonly string[];
  /** Its text (the definition); empty when not read, and then nothing is carried through it. */
  text: string;
  /**
   * The conditions (FlowEvent.conds and .guards, whitespace removed) of its call to the next link, with the
   * arguments of that call; null when the call is not read (nothing carried on).
   */
  call: { conds: readonly string[]; args: readonly string[] } | null;
}

export interface ChainConflict {
  /** The condition as the root names it ("IS_P3P_TYPE(vha->hw)"). */
  fact: string;
  /** The link whose call needs it true, and the one whose call needs it false. */
  whenTrue: string;
  whenFalse: string;
}

const PATH = /^[A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)*$/;
const MACRO_OF = /^([A-Z][A-Z0-9_]*)\((.*)\)$/;

/** Names the root gives the variables of one link: variable -> path in the root's terms. */
type Env = Map<string, string>;

/** A path of the link in the root's terms, or null when its base is not carried. */
function inRoot(path: string, env: Env): string | null {
  const m = /^([A-Za-z_]\w*)(.*)$/.exec(path);
  if (!m) return null;
  const base = env.get(m[1]!);
  return base === undefined ? null : base + m[2]!;
}

/** Whether a link writes any member of `path` (`->hw =`, `.online++`). */
function writesMember(text: string, path: string): boolean {
  for (const m of path.matchAll(/(?:->|\.)([A-Za-z_]\w*)/g)) {
    const re = new RegExp(`(?:->|\\.)\\s*${escape(m[1]!)}\\s*(?:=(?!=)|[-+*/%|&^]=|<<=|>>=|\\+\\+|--)`);
    if (re.test(text)) return true;
  }
  return false;
}

/** The variables of a link the root can name: parameters never assigned (bound by the caller), locals assigned once from a carried path. */
function envOf(link: ChainLink, bound: (string | null)[] | null): Env {
  const env: Env = new Map();
  if (link.text === "") return env;
  link.params.forEach((p, i) => {
    if (assignments(link.text, p).count > 0) return;
    const b = bound === null ? p : bound[i] ?? null;
    if (b !== null) env.set(p, b);
  });
  // the root's own locals assigned once from anything but a path (a call, say): themselves
  if (bound === null)
    for (const m of link.text.matchAll(/(?<![\w.>])([A-Za-z_]\w*)\s*=(?!=)/g)) {
      const v = m[1]!;
      if (env.has(v) || link.params.includes(v)) continue;
      const a = assignments(link.text, v);
      if (a.count === 1 && a.value !== null && !PATH.test(a.value)) env.set(v, v);
    }
  // locals: `struct foo *ha = vha->hw;`, in order, so that a local from another local is carried too
  for (const m of link.text.matchAll(/(?<![\w.>])([A-Za-z_]\w*)\s*=(?!=)\s*([A-Za-z_][\w]*(?:\s*(?:->|\.)\s*[A-Za-z_]\w*)*)\s*;/g)) {
    const v = m[1]!;
    if (env.has(v) || link.params.includes(v)) continue;
    const a = assignments(link.text, v);
    if (a.count !== 1 || a.value === null || !PATH.test(a.value)) continue;
    const r = inRoot(a.value, env);
    if (r !== null) env.set(v, r);
  }
  return env;
}

/** One operand as a fact about the root's objects: its key and the value the condition needs, or null. */
function atom(x: string, env: Env, chainText: string): { key: string; value: boolean } | null {
  let s = strip(x);
  let value = true;
  while (s.startsWith("!") && !s.startsWith("!=")) {
    value = !value;
    s = strip(s.slice(1));
  }
  const mac = MACRO_OF.exec(s);
  if (!mac || !balanced(mac[2]!) || VOLATILE_READ_MACROS[mac[1]!] !== undefined) return null;
  const path = strip(mac[2]!);
  const root = PATH.test(path) && !writesMember(chainText, path) ? inRoot(path, env) : null;
  return root === null ? null : { key: `${mac[1]}(${root})`, value };
}

/** The facts one call's conditions need ("c" in the then-branch, "!c" after the else or an early exit). */
function factsOf(conds: readonly string[], env: Env, chainText: string): { key: string; value: boolean }[] {
  const out: { key: string; value: boolean }[] = [];
  for (const raw of conds) {
    const negated = raw.startsWith("!") && !raw.startsWith("!=");
    const body = strip(negated ? raw.slice(1) : raw);
    // the then-branch needs every conjunct; "!(a || b)" needs each disjunct false; "!(a && b)" says nothing alone
    const and = operands(body, "&&");
    const parts = negated ? (and.length > 1 ? [] : operands(body, "||")) : and;
    if (!negated && and.length === 1 && operands(body, "||").length > 1) continue;
    for (const p of parts) {
      const f = atom(p, env, chainText);
      if (f) out.push(negated ? { key: f.key, value: !f.value } : f);
    }
  }
  return out;
}

/**
 * The first fact two links of a chain (root first) need with opposite values, or null when the chain may run.
 * Each link's call to the next binds the next link's parameters to its arguments in the root's terms.
 */
export function chainConflict(links: readonly ChainLink[]): ChainConflict | null {
  const seen = new Map<string, { value: boolean; link: string }>();
  // a member any link writes is not a fixed fact of the object
  const chainText = links.map((l) => l.text).join("\n");
  let bound: (string | null)[] | null = null;
  for (let i = 0; i < links.length; i++) {
    const link = links[i]!;
    const env = envOf(link, i === 0 ? null : bound);
    if (i > 0 && env.size === 0) return null;
    if (!link.call) return null;
    for (const f of factsOf(link.call.conds, env, chainText)) {
      const before = seen.get(f.key);
      if (before && before.value !== f.value && before.link !== link.name)
        return { fact: f.key, whenTrue: f.value ? link.name : before.link, whenFalse: f.value ? before.link : link.name };
      if (!before) seen.set(f.key, { value: f.value, link: link.name });
    }
    bound = link.call.args.map((a) => {
      const x = a.replace(/\s+/g, "");
      return PATH.test(x) ? inRoot(x, env) : null;
    });
  }
  return null;
}

/** A call of a chain as the callers' searches record it. */
export interface ChainEdge {
  caller: string;
  callee: string;
  /** The caller's file. */
  file: string;
  line: number;
  /** A work edge binds nothing (the work function runs later, from a work item). */
  kind?: "call" | "work";
}

/**
 * The links of a chain of edges (root first): each caller's walk and text as `read` gives them (text "" when the
 * definition is not read), with its one call to the next link on the edge's line (a call through an ops pointer,
 * `->field`, when the edge is one); links end at the first call that is not read.
 */
export function linksOf(edges: readonly ChainEdge[], read: (file: string, name: string) => { flow: FunctionFlow; text: string } | null): ChainLink[] {
  const links: ChainLink[] = [];
  for (const e of edges) {
    const r = read(e.file, e.caller);
    if (!r) break;
    // the call by its name; a call through an ops pointer (`->field`) only when the edge is one (no call by name)
    const here = e.kind === "work" ? [] : r.flow.events.filter((x) => x.line === e.line);
    const named = here.filter((x) => x.callee === e.callee);
    const calls = named.length > 0 ? named : here.filter((x) => x.callee.startsWith("->"));
    // one call read: its conditions and arguments (several on a line: none carried)
    const call = calls.length === 1 ? { conds: [...(calls[0]!.conds ?? []), ...(calls[0]!.guards ?? [])], args: calls[0]!.args } : null;
    links.push({ name: e.caller, params: r.flow.params.map(paramName), text: r.text, call });
    if (!call) break;
  }
  return links;
}

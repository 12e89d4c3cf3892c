// Whether a call can reach a line of the callee at all, judged from the
// callee's if-conditions over its own parameters and the constants the call
// passes: `if (reason == MPT_..._BRINGUP)` is never true for a caller passing
// MPT_..._RECOVER, `if (initial)` never for one passing 0, `if (buf && len)`
// never for one passing NULL. Only conditions on a parameter against a
// constant are judged; anything else counts as reachable. chainRuledOut()
// carries such constants down a chain of calls, link by link.

/** A constant as the call or the condition writes it: a number, NULL/true/false, or an upper-case macro or enumerator. */
const CONSTANT = /^(?:-?\d+[uUlL]*|0[xX][0-9a-fA-F]+[uUlL]*|NULL|true|false|[A-Z][A-Z0-9_]*)$/;

/** Whether an argument (whitespace removed) is such a constant. */
export function isConstant(a: string): boolean {
  return CONSTANT.test(a);
}

/** An expression without the parentheses that enclose all of it. */
export function stripParens(x: string): string {
  let s = x;
  while (s.startsWith("(") && s.endsWith(")") && balanced(s.slice(1, -1))) s = s.slice(1, -1);
  return s;
}

/** Parentheses balanced in `x` (never closing more than are open). */
export function balanced(x: string): boolean {
  let d = 0;
  for (const ch of x) {
    if (ch === "(") d++;
    else if (ch === ")" && --d < 0) return false;
  }
  return d === 0;
}

/** Top-level operands of `op` ("&&" or "||") of an expression without whitespace, each without enclosing parentheses. */
export function operands(x: string, op: "&&" | "||"): string[] {
  const out: string[] = [];
  let d = 0;
  let from = 0;
  for (let i = 0; i < x.length; i++) {
    const ch = x[i];
    if (ch === "(") d++;
    else if (ch === ")") d--;
    else if (d === 0 && ch === op[0] && x[i + 1] === op[1]) {
      out.push(x.slice(from, i));
      from = i + 2;
      i++;
    }
  }
  out.push(x.slice(from));
  return out.map(stripParens);
}

const conjuncts = (x: string) => operands(x, "&&");

const falsy = (a: string) => /^(?:0+[uUlL]*|0[xX]0+|NULL|false)$/.test(a);
const truthy = (a: string) => /^(?:-?[1-9]\d*[uUlL]*|0[xX][0-9a-fA-F]*[1-9a-fA-F][0-9a-fA-F]*|true)$/.test(a);

/**
 * The condition of `conds` (as FlowEvent.conds writes them) that a call
 * passing `args` to parameters named `params` makes false, or null when every
 * condition may hold.
 */
export function contradicted(conds: readonly string[], params: readonly string[], args: readonly string[]): string | null {
  const argOf = (name: string): string | null => {
    const i = params.indexOf(name);
    if (i < 0) return null;
    const a = (args[i] ?? "").replace(/\s+/g, "");
    return CONSTANT.test(a) ? a : null;
  };
  for (const raw of conds) {
    const negated = raw.startsWith("!") && !raw.startsWith("!=");
    const body = stripParens(negated ? raw.slice(1) : raw);
    // the then-branch needs every conjunct; the else-branch of a single test needs it false
    const parts = negated ? [body] : conjuncts(body);
    if (negated && parts.length === 1 && conjuncts(body).length > 1) continue;
    for (const part of parts) {
      const p = stripParens(part);
      let m = /^([A-Za-z_]\w*)(==|!=)(\S+)$/.exec(p) ?? null;
      if (m && !CONSTANT.test(m[3]!)) m = null;
      if (!m) {
        const r = /^(\S+)(==|!=)([A-Za-z_]\w*)$/.exec(p);
        if (r && CONSTANT.test(r[1]!)) m = [p, r[3]!, r[2]!, r[1]!] as unknown as RegExpExecArray;
      }
      if (m) {
        const a = argOf(m[1]!);
        if (a === null) continue;
        const num = (x: string) => (/^[-\d]/.test(x) ? Number(x.replace(/[uUlL]+$/, "")) : NaN);
        const both = !Number.isNaN(num(a)) && !Number.isNaN(num(m[3]!));
        const equal = a === m[3] || (both && num(a) === num(m[3]!));
        // two different names may still be the same value only if they are not both constants we can read; names are
        // compared as written (an enum or macro), numbers by value, a name against a number is unknown
        const different = !equal && (both || (/^[A-Z]/.test(a) && /^[A-Z]/.test(m[3]!) && a !== "NULL" && m[3] !== "NULL"));
        const holds = m[2] === "==" ? (equal ? true : different ? false : null) : equal ? false : different ? true : null;
        if (holds === null) continue;
        if (holds === negated) return raw;
        continue;
      }
      const bare = /^(!?)([A-Za-z_]\w*)$/.exec(p);
      if (bare) {
        const a = argOf(bare[2]!);
        if (a === null) continue;
        const value = truthy(a) ? true : falsy(a) ? false : null;
        if (value === null) continue;
        const holds = bare[1] === "!" ? !value : value;
        if (holds === negated) return raw;
      }
    }
  }
  return null;
}

/** `s` as a literal inside a regular expression. */
export const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** How often `v` is assigned in `text` (declaration initialisers included), and the one value when there is one. */
export function assignments(text: string, v: string): { count: number; value: string | null } {
  // `v = x`, `v += x`, `v++`, `++v`, `&v` (its address handed out; not `a && v`)
  const re = new RegExp(`(?<![\\w.>])${escape(v)}\\s*(?:(=)(?!=)\\s*([^;,)]*)|[-+*/%|&^]=|<<=|>>=|\\+\\+|--)|(?:\\+\\+|--|(?<!&)&)\\s*${escape(v)}\\b(?!\\s*(?:->|\\.))`, "g");
  let count = 0;
  let value: string | null = null;
  for (const m of text.matchAll(re)) {
    count++;
    value = m[1] ? m[2]!.replace(/\s+/g, "") : null;
  }
  return { count, value: count === 1 ? value : null };
}

/** One function of a call chain (root first): its parameter names, its text, and its calls as FlowEvent writes them. */
export interface PathLink {
  name: string;
  params: readonly string[];
  /** The definition's text; empty when not read (then nothing is carried through it). */
  text: string;
  calls: readonly { callee: string; args: readonly string[]; conds?: readonly string[]; guards?: readonly string[] }[];
}

/**
 * Whether constants passed down a chain rule it out: a link passes constants to the next (carried on through
 * parameters passed as they are and never assigned), and some later link calls the one after it only under
 * conditions those constants make false (`handle_data(..., true)`, then `if (!offloaded) reconnect();`).
 * The link whose calls are ruled out and the condition, or null when the chain may run.
 */
export function chainRuledOut(links: readonly PathLink[]): { link: string; cond: string } | null {
  let bound: readonly string[] = [];
  for (let i = 0; i + 1 < links.length; i++) {
    const l = links[i]!;
    const args = l.params.map((n, k) => (bound[k] && l.text !== "" && assignments(l.text, n).count === 0 ? bound[k]! : ""));
    const calls = l.calls.filter((e) => e.callee === links[i + 1]!.name);
    if (calls.length === 0) return null;
    if (args.some((a) => a !== "")) {
      const why = calls.map((e) => contradicted([...(e.conds ?? []), ...(e.guards ?? [])], l.params, args));
      if (why.every((w) => w !== null)) return { link: l.name, cond: why[0]! };
    }
    // what the next link is called with: constants, and this link's parameters carried on with their values;
    // several calls: only the values they all pass
    const passed = calls.map((e) =>
      e.args.map((a) => {
        const x = a.replace(/\s+/g, "");
        if (isConstant(x)) return x;
        const k = l.params.indexOf(x);
        return k >= 0 ? args[k] ?? "" : "";
      }),
    );
    bound = passed[0]!.map((v, k) => (passed.every((p) => p[k] === v) ? v : ""));
  }
  return null;
}

// GFP mask expressions evaluated to what reclaim may do: enter direct
// reclaim, start IO (__GFP_IO), call into filesystems (__GFP_FS). Each bit is
// true, false or null (unknown: a variable, a mapping's mask, a macro we do not
// know). Then the scope in force clears bits, as current_gfp_context() does.
import { GFP_MASKS, GFP_MODIFIERS, PRIVATE_NOFS_MASKS, SCOPE_CLEARS, type ScopeKind } from "../vocab/kernel-api.js";

export type Tri = boolean | null;

export interface Mask {
  reclaim: Tri;
  io: Tri;
  fs: Tri;
  /** The expression as written (whitespace collapsed). */
  text: string;
  /** A word that names a known mask: "GFP_KERNEL", "GFP_NOFS"... (null for mixed or unknown). */
  name: string | null;
  /** `c ? a : b` whose arms differ: the condition and each arm's bits (the bits above are the least strict of the two). */
  choice?: { cond: string; arms: [Bits, Bits] };
}

const UNKNOWN = { reclaim: null, io: null, fs: null } as const;

/**
 * Helpers that compute a mask from others (include/linux/pagemap.h,
 * include/linux/sched/mm.h): mapping_gfp_constraint(mapping, m) is the
 * mapping's mask AND m; current_gfp_context(m) is m with the task's scope
 * applied (at least as strict as m).
 */
const MASK_FUNCTIONS: Record<string, (args: Bits[]) => Bits> = {
  mapping_gfp_constraint: (a) => bitsAnd({ ...UNKNOWN }, a[1] ?? { ...UNKNOWN }),
  current_gfp_context: (a) => bitsAnd({ ...UNKNOWN }, a[0] ?? { ...UNKNOWN }),
};

type Bits = { reclaim: Tri; io: Tri; fs: Tri };

const or = (a: Tri, b: Tri): Tri => (a === true || b === true ? true : a === false && b === false ? false : null);
const and = (a: Tri, b: Tri): Tri => (a === false || b === false ? false : a === true && b === true ? true : null);
const not = (a: Tri): Tri => (a === null ? null : !a);

function bitsOr(a: Bits, b: Bits): Bits {
  return { reclaim: or(a.reclaim, b.reclaim), io: or(a.io, b.io), fs: or(a.fs, b.fs) };
}
function bitsAnd(a: Bits, b: Bits): Bits {
  return { reclaim: and(a.reclaim, b.reclaim), io: and(a.io, b.io), fs: and(a.fs, b.fs) };
}
function bitsNot(a: Bits): Bits {
  return { reclaim: not(a.reclaim), io: not(a.io), fs: not(a.fs) };
}

/** Does the text hold a gfp mask word at all (GFP_x, __GFP_x, or a filesystem's private NOFS word)? */
export function looksLikeMask(expr: string): boolean {
  if (/\b(?:__)?GFP_[A-Z0-9_]+\b/.test(expr)) return true;
  for (const w of Object.keys(PRIVATE_NOFS_MASKS)) if (expr.includes(w)) return true;
  return false;
}

/** Does an argument look like a gfp value passed through (a parameter or field named gfp/gfp_mask/flags...)? */
export function looksLikeGfpVariable(expr: string): boolean {
  return /^(?:[\w.>-]*(?:->|\.))?\w*gfp\w*$/i.test(expr.replace(/\s+/g, ""));
}

/**
 * Evaluates a mask expression: identifiers, |, &, ~ and parentheses; calls
 * and unknown identifiers are unknown bits. Linear in the expression length.
 */
/** `c ? a : b` at the top level of an expression (outside parentheses): its two arms, or null. */
export function ternaryArms(text: string): [string, string] | null {
  if (!text.includes("?")) return null;
  let depth = 0;
  let q = -1;
  let nested = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (depth === 0 && c === "?") {
      if (q < 0) q = i;
      else nested++;
    } else if (depth === 0 && c === ":" && q >= 0) {
      if (nested > 0) nested--;
      else return [text.slice(q + 1, i).trim(), text.slice(i + 1).trim()];
    }
  }
  return null;
}

export function evalMask(expr: string): Mask {
  const text = expr.replace(/\s+/g, " ").trim();
  // `c ? a : b`: either arm may be the mask, so a bit is set when either sets it and clear only when both clear it
  const arms = ternaryArms(text);
  if (arms) {
    const a = evalMask(arms[0]);
    const b = evalMask(arms[1]);
    const differ = a.reclaim !== b.reclaim || a.io !== b.io || a.fs !== b.fs;
    const cond = text.slice(0, text.indexOf("?")).trim();
    return { ...bitsOr(a, b), text, name: null, ...(differ ? { choice: { cond, arms: [bitsOf(a), bitsOf(b)] as [Bits, Bits] } } : {}) };
  }
  const toks: string[] = text.match(/[A-Za-z_]\w*|\d+|[|&~(),]|[^\s|&~(),A-Za-z_\d]+/g) ?? [];
  let i = 0;
  const peek = () => toks[i];
  // grammar: or := and ('|' and)* ; and := unary ('&' unary)* ; unary := '~' unary | atom ; atom := '(' or ')' | word [call args]
  const parseOr = (): Bits => {
    let v = parseAnd();
    while (peek() === "|") {
      i++;
      v = bitsOr(v, parseAnd());
    }
    return v;
  };
  const parseAnd = (): Bits => {
    let v = parseUnary();
    while (peek() === "&") {
      i++;
      v = bitsAnd(v, parseUnary());
    }
    return v;
  };
  const parseUnary = (): Bits => {
    if (peek() === "~") {
      i++;
      return bitsNot(parseUnary());
    }
    return parseAtom();
  };
  const parseAtom = (): Bits => {
    const t = toks[i++];
    if (t === undefined) return { ...UNKNOWN };
    if (t === "(") {
      // a cast "(gfp_t)" or a group
      if (/^[a-z_]\w*$/.test(toks[i] ?? "") && toks[i + 1] === ")" && /_t$|^unsigned$|^int$/.test(toks[i]!)) {
        i += 2;
        return parseUnary();
      }
      const v = parseOr();
      if (peek() === ")") i++;
      return v;
    }
    if (/^\d+$/.test(t)) return t === "0" ? { reclaim: false, io: false, fs: false } : { ...UNKNOWN };
    if (/^[A-Za-z_]\w*$/.test(t)) {
      if (peek() === "(" && (t in MASK_FUNCTIONS)) {
        // a mask combinator: the mapping's (unknown) mask constrained by a known one
        i++;
        const args: Bits[] = [];
        for (;;) {
          args.push(parseOr());
          if (peek() === ",") {
            i++;
            continue;
          }
          if (peek() === ")") i++;
          break;
        }
        return MASK_FUNCTIONS[t]!(args);
      }
      if (peek() === "(") {
        // a call: skip its arguments
        let depth = 0;
        for (; i < toks.length; i++) {
          if (toks[i] === "(") depth++;
          else if (toks[i] === ")" && --depth === 0) {
            i++;
            break;
          }
        }
        return { ...UNKNOWN };
      }
      const known = GFP_MASKS[t];
      if (known) return { ...known };
      if (GFP_MODIFIERS.has(t)) return { reclaim: false, io: false, fs: false };
      if (t in PRIVATE_NOFS_MASKS) return { reclaim: true, io: true, fs: false };
      return { ...UNKNOWN };
    }
    return { ...UNKNOWN };
  };
  const bits = toks.length > 0 ? parseOr() : { ...UNKNOWN };
  const words = toks.filter((t) => t in GFP_MASKS || t in PRIVATE_NOFS_MASKS);
  const name = words.length === 1 && !toks.includes("~") && !toks.includes("&") ? words[0]! : null;
  return { ...bits, text, name };
}

function bitsOf(m: Bits): Bits {
  return { reclaim: m.reclaim, io: m.io, fs: m.fs };
}

/**
 * A mask chosen by a condition on the value of a parameter of the function (`flags & X_ATOMIC ? GFP_ATOMIC :
 * GFP_KERNEL`, `for_write ? GFP_NOIO : GFP_KERNEL`) is the caller's to decide: where the arms differ the bit is
 * unknown, not the least strict arm's. A condition on anything else (`i == 0`, `in_interrupt()`, the state of an
 * object passed in, `wd->atomic`) keeps the least strict.
 */
export function decidedByCaller(mask: Mask, params: readonly string[]): Mask {
  const c = mask.choice;
  if (!c || params.length === 0) return mask;
  // a parameter read as a value (`flags & X`, `for_write`), not an object whose state is read (`wd->atomic`)
  const words = new Set([...c.cond.matchAll(/\b([A-Za-z_]\w*)\b(?!\s*(?:->|\.))/g)].map((m) => m[1]!));
  if (!params.some((p) => p !== "" && words.has(p))) return mask;
  const [a, b] = c.arms;
  return { ...mask, reclaim: a.reclaim === b.reclaim ? a.reclaim : null, io: a.io === b.io ? a.io : null, fs: a.fs === b.fs ? a.fs : null };
}

/** The scope kinds among a state's scopes and task flags (PF_LOCAL_THROTTLE clears no gfp bit). */
export function scopeKinds(scopes: Iterable<ScopeKind | "throttle">): ScopeKind[] {
  const out: ScopeKind[] = [];
  for (const s of scopes) if (s !== "throttle") out.push(s);
  return out;
}

/** The mask after the scopes in force clear their bits (current_gfp_context(); PF_LOCAL_THROTTLE clears none). */
export function applyScopes(mask: Mask, scopes: Iterable<ScopeKind | "throttle">): Mask {
  let { reclaim, io, fs } = mask;
  for (const s of scopes) {
    if (s === "throttle") continue;
    const c = SCOPE_CLEARS[s];
    if (c.io) io = false;
    if (c.fs) fs = false;
    if (c.reclaim) reclaim = false;
  }
  return { ...mask, reclaim, io, fs };
}

/** The usual name of a mask's bits: GFP_KERNEL, GFP_NOFS, GFP_NOIO, GFP_NOWAIT, or null when unknown. */
export function maskName(m: { reclaim: Tri; io: Tri; fs: Tri }): string | null {
  if (m.reclaim === false) return "GFP_NOWAIT";
  if (m.reclaim !== true) return null;
  if (m.io === true && m.fs === true) return "GFP_KERNEL";
  if (m.io === true && m.fs === false) return "GFP_NOFS";
  if (m.io === false && m.fs === false) return "GFP_NOIO";
  return null;
}

/** May this allocation enter reclaim that calls into filesystems / starts IO? (true / false / unknown) */
export function mayEnterFs(m: Mask): Tri {
  return and(m.reclaim, m.fs);
}
export function mayEnterIo(m: Mask): Tri {
  return and(m.reclaim, m.io);
}

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
export function evalMask(expr: string): Mask {
  const text = expr.replace(/\s+/g, " ").trim();
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

/** The mask after the scopes in force clear their bits (current_gfp_context()). */
export function applyScopes(mask: Mask, scopes: Iterable<ScopeKind>): Mask {
  let { reclaim, io, fs } = mask;
  for (const s of scopes) {
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

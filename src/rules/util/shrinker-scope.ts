// Shared judgements of the shrinker-io rules over the reclaim-context
// analysis: which functions a shrinker reaches (roles from ops tables and
// signatures, chains through callers), whether the root is count_objects,
// the text of a function as the patch or the tree shows it, and tests of the
// reclaim caller's gfp mask (sc->gfp_mask, or a copy or parameter fed from it).
import { flowIn, rootsOf, type RootPath } from "../../context/call-chains.js";
import type { FnView, ReclaimAnalysis, RoleFact, ViewLine } from "../../context/reclaim.js";

/** count_objects-like callbacks: they must only read counters (include/linux/shrinker.h). */
export function isCountRole(role: RoleFact): boolean {
  return /count_objects|nr_cached_objects/.test(role.label);
}

/**
 * The shrinker paths a function is on (its own role, or callers'), count
 * paths first (the stricter contract), then the shortest. In an audit only
 * the callbacks themselves: a hazard is reported once, where the callback
 * makes the call.
 */
export function shrinkerPaths(a: ReclaimAnalysis, v: FnView): RootPath[] {
  let m = pathMemo.get(a);
  if (!m) pathMemo.set(a, (m = new Map()));
  let out = m.get(v);
  if (out) return out;
  const paths = rootsOf(a, v, (r) => r === "shrinker", { key: "shrinker", maxDepth: 4 });
  const kept = a.mode === "audit" ? paths.filter((p) => p.edges.length === 0) : paths;
  out = kept.sort((x, y) => Number(isCountRole(y.role)) - Number(isCountRole(x.role)) || x.edges.length - y.edges.length);
  m.set(v, out);
  return out;
}

const pathMemo = new WeakMap<ReclaimAnalysis, Map<FnView, RootPath[]>>();

export type { ViewLine };

/** The lines of a function as the patch (fragment) or the tree (whole function) shows them, in order. */
export function viewLines(a: ReclaimAnalysis, v: FnView): readonly ViewLine[] {
  return a.viewLines(v);
}

export type MaskBit = "__GFP_FS" | "__GFP_IO";

/**
 * The expressions that hold the reclaim caller's mask in a function: the
 * gfp_mask of its struct shrink_control (an untyped base counts in a
 * shrinker callback itself), locals copied from it, and parameters a caller
 * on the shrinker path passes it in.
 */
export function callerMaskNames(a: ReclaimAnalysis, v: FnView, path: RootPath | null, lines: readonly ViewLine[]): RegExp | null {
  const alts: string[] = [];
  const direct = path !== null && path.edges.length === 0;
  const isScBase = (base: string, types: ReadonlyMap<string, string>): boolean => {
    const t = types.get(base);
    return t === "shrink_control" || (t === undefined && direct);
  };
  const fieldRe = /\b([A-Za-z_]\w*)\s*(?:->|\.)\s*gfp_mask\b/g;
  const scFields = new Set<string>();
  for (const l of lines) for (const m of l.code.matchAll(fieldRe)) if (isScBase(m[1]!, v.flow.types)) scFields.add(m[1]!);
  for (const b of scFields) alts.push(`\\b${b}\\s*(?:->|\\.)\\s*gfp_mask\\b`);
  // a parameter fed from the caller's mask (one level: the caller on the path)
  const last = path?.edges[path.edges.length - 1];
  if (last && last.kind === "call") {
    const caller = flowIn(a, last.file, last.caller);
    const ev = caller?.events.find((e) => e.callee === v.name && e.line === last.line) ?? caller?.events.find((e) => e.callee === v.name);
    if (ev && caller) {
      ev.args.forEach((arg, i) => {
        const m = /^([A-Za-z_]\w*)\s*(?:->|\.)\s*gfp_mask$/.exec(arg.trim());
        if (!m) return;
        const t = caller.types.get(m[1]!);
        if (t !== "shrink_control" && !(t === undefined && path!.edges.length === 1)) return;
        const p = v.flow.params[i];
        const name = p ? /([A-Za-z_]\w*)\s*$/.exec(p.replace(/\[.*$/, ""))?.[1] : undefined;
        if (name) alts.push(`\\b${name}\\b`);
      });
    }
  }
  if (alts.length === 0) return null;
  // locals copied from any of those
  const base = new RegExp(alts.join("|"));
  for (const l of lines) {
    const m = /\b([A-Za-z_]\w*)\s*=\s*([^;=]+);/.exec(l.code);
    if (m && base.test(m[2]!) && /^[\s()A-Za-z_\->.]*$/.test(m[2]!)) alts.push(`\\b${m[1]}\\b`);
  }
  return new RegExp(`(?:${alts.join("|")})`);
}

/** The reclaim-mask bit a line tests (`mask & __GFP_FS`, `__GFP_IO & mask`), or null. */
export function maskBitTested(code: string, mask: RegExp): MaskBit | null {
  const src = mask.source;
  const m = new RegExp(`(?:${src})\\s*\\)?\\s*&\\s*\\(?\\s*(__GFP_FS|__GFP_IO)\\b`).exec(code) ?? new RegExp(`\\b(__GFP_FS|__GFP_IO)\\s*\\)?\\s*&\\s*\\(?\\s*(?:${src})`).exec(code);
  return m ? (m[1] as MaskBit) : null;
}

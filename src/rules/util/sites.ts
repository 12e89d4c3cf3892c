// What the allocation rules share about a site.
import type { AllocSite, FnView, Hazard } from "../../context/reclaim.js";

/**
 * The analysis found a hazard at the site that gfp-kernel-in-io-path or alloc-while-holding warns about (a role, a
 * lock a reclaim-side function takes, a handle, a frozen queue): rules that judge the same allocation from a weaker
 * fact stay quiet there. A held lock with no known taker is not such a hazard, and a site the hazard rules only note
 * (one that follows a test that its destination field is empty) is not judged by them.
 */
export function judgedByHazardRules(site: AllocSite): boolean {
  // (a site that only follows a test that its field is empty is a note there, not a warning: AllocSite.onceGuard)
  return !site.onceGuard && site.hazards.some((h) => h.kind !== "held-lock" || h.taker !== null);
}

/** A hazard's held thing (lock, handle, frozen queue) taken in the function itself on a line the patch changed. */
export function heldTakenByPatch(changed: ReadonlySet<number>, h: Hazard): boolean {
  return "held" in h && h.held !== null && h.via === null && changed.has(h.held.line);
}

/** A function's gfp_t parameter (its name and position), if it has exactly one. */
export function gfpParam(fn: FnView): { name: string; index: number } | null {
  const found: { name: string; index: number }[] = [];
  fn.flow.params.forEach((p, i) => {
    const m = /^(?:const\s+)?gfp_t\s+([A-Za-z_]\w*)$/.exec(p.trim());
    if (m) found.push({ name: m[1]!, index: i });
  });
  return found.length === 1 ? found[0]! : null;
}

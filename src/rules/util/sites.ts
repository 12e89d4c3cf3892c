// What the allocation rules share about a site.
import type { AllocSite } from "../../context/reclaim.js";

/**
 * The analysis found a hazard at the site that gfp-kernel-in-io-path or alloc-while-holding warns about (a role, a
 * lock a reclaim-side function takes, a handle, a frozen queue): rules that judge the same allocation from a weaker
 * fact stay quiet there. A held lock with no known taker is not such a hazard.
 */
export function judgedByHazardRules(site: AllocSite): boolean {
  return site.hazards.some((h) => h.kind !== "held-lock" || h.taker !== null);
}

// Per-patch memo for the line views and derived tables the rules share. The
// engine reviews one patch at a time, so only the most recent patches are
// kept: a review of thousands of patches holds no views of finished ones
// (a WeakMap keyed by the patch kept them all alive while the results, which
// reference each patch, were held).
import type { Patch } from "../../types.js";

const KEEP = 2;

/** A function of the patch computed once per patch while it is among the last KEEP patches asked about. */
export function perPatch<T>(compute: (patch: Patch) => T): (patch: Patch) => T {
  const keys: Patch[] = [];
  const values: T[] = [];
  return (patch: Patch): T => {
    for (let i = 0; i < keys.length; i++) if (keys[i] === patch) return values[i]!;
    const value = compute(patch);
    if (keys.length >= KEEP) {
      keys.shift();
      values.shift();
    }
    keys.push(patch);
    values.push(value);
    return value;
  };
}

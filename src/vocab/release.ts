// Kernel releases: "v5.17" as data, compared by major and minor. Facts of the
// vocabulary and of the knowledge base say from which release they hold and
// from which they no longer do (`{ since, until }`); a review assumes one
// release (the tree's Makefile, the patch's base commit, or the newest one
// known here). The lowest layer: vocabulary, knowledge, context and rules all
// compare releases here.
import type { KernelVersion } from "../types.js";

/** The release pattern entries use: "v5.17", "v6.1", "v7.0". */
export const RELEASE_RE = /^v(\d+)\.(\d+)$/;

/**
 * The newest mainline release the knowledge base and vocabulary were checked
 * against: what a review assumes when nothing tells it the kernel (no tree, no
 * base commit).
 */
export const NEWEST_RELEASE: KernelVersion = { major: 7, minor: 0, from: "default" };

export interface Release {
  major: number;
  minor: number;
}

/** "v5.17" (or "5.17", "v6.13-rc1", "5.17.3") -> { major: 5, minor: 17 }; null for anything else. */
export function parseRelease(s: string): Release | null {
  const m = /^v?(\d+)\.(\d+)/.exec(s.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}

export function compareRelease(a: Release, b: Release): number {
  return a.major - b.major || a.minor - b.minor;
}

export function releaseName(r: Release): string {
  return `v${r.major}.${r.minor}`;
}

export interface Holds {
  /** First release the fact holds for (inclusive). */
  since?: string;
  /** First release the fact no longer holds for (exclusive): it holds only before it. */
  until?: string;
}

/** Whether a fact with these bounds holds for a kernel release. Unbounded facts always hold. */
export function holdsFor(holds: Holds | undefined, kernel: Release): boolean {
  if (!holds) return true;
  const since = holds.since ? parseRelease(holds.since) : null;
  const until = holds.until ? parseRelease(holds.until) : null;
  if (since && compareRelease(kernel, since) < 0) return false;
  if (until && compareRelease(kernel, until) >= 0) return false;
  return true;
}

/** VERSION / PATCHLEVEL of a kernel Makefile's text, or null. */
export function releaseFromMakefile(text: string): Release | null {
  const v = /^VERSION\s*=\s*(\d+)\s*$/m.exec(text);
  const p = /^PATCHLEVEL\s*=\s*(\d+)\s*$/m.exec(text);
  if (!v || !p) return null;
  return { major: Number(v[1]), minor: Number(p[1]) };
}

// Kernel releases as comparable values: "v5.17" / "6.12" / {major, minor}.
// The lowest layer: vocabulary, context and rules all compare releases here.
import type { KernelVersion } from "../types.js";

/** The newest mainline release whose facts this vocabulary records; the default when the tree is unknown. */
export const NEWEST_RELEASE: KernelVersion = { major: 6, minor: 18, from: "default" };

/** "v5.17", "5.17", "5.17.3", "v6.13-rc1" -> {5, 17}; null for anything else. */
export function parseRelease(s: string): { major: number; minor: number } | null {
  const m = /^v?(\d+)\.(\d+)/.exec(s.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** Negative when a < b, 0 when equal, positive when a > b. */
export function compareRelease(a: { major: number; minor: number }, b: { major: number; minor: number }): number {
  return a.major - b.major || a.minor - b.minor;
}

/** "v6.12" */
export function releaseName(v: { major: number; minor: number }): string {
  return `v${v.major}.${v.minor}`;
}

/**
 * Does a fact with `since` (first release it holds in) and `until` (first
 * release it no longer holds in) hold for kernel k?
 */
export function holdsFor(k: { major: number; minor: number }, since?: string, until?: string): boolean {
  if (since) {
    const s = parseRelease(since);
    if (s && compareRelease(k, s) < 0) return false;
  }
  if (until) {
    const u = parseRelease(until);
    if (u && compareRelease(k, u) >= 0) return false;
  }
  return true;
}

/** VERSION / PATCHLEVEL of a kernel Makefile's text, or null. */
export function releaseFromMakefile(text: string): { major: number; minor: number } | null {
  const v = /^VERSION\s*=\s*(\d+)\s*$/m.exec(text);
  const p = /^PATCHLEVEL\s*=\s*(\d+)\s*$/m.exec(text);
  if (!v || !p) return null;
  return { major: Number(v[1]), minor: Number(p[1]) };
}

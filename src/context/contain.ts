// --tree containment: a patch (or a symlink in the tree) must not make us
// read files outside the tree. Every source read goes through insideTree():
// a tree-relative path that is absolute or climbs with ".." is refused, and
// the resolved path (realpath: symlinks followed) must lie under the tree's
// own real path.
import { realpathSync } from "node:fs";
import { isAbsolute, join, posix, sep } from "node:path";

const realRoots = new Map<string, string>();

function realRoot(root: string): string | null {
  let r = realRoots.get(root);
  if (r === undefined) {
    try {
      r = realpathSync(root);
    } catch {
      return null;
    }
    realRoots.set(root, r);
  }
  return r;
}

/** Whether a tree-relative path is one we may even try: not absolute, no ".." segment, no NUL. */
export function plainRelative(rel: string): boolean {
  if (rel === "" || rel.includes("\0") || isAbsolute(rel) || posix.isAbsolute(rel) || /^[A-Za-z]:[\\/]/.test(rel)) return false;
  return !rel.split(/[\\/]+/).includes("..");
}

/**
 * The real absolute path of `rel` inside `root`, or null when it is absolute,
 * climbs out with "..", does not exist, or resolves (through a symlink)
 * outside the tree.
 */
export function insideTree(root: string, rel: string): string | null {
  if (rel !== "." && !plainRelative(rel)) return null;
  const base = realRoot(root);
  if (base === null) return null;
  let real: string;
  try {
    real = realpathSync(join(base, rel));
  } catch {
    return null;
  }
  return real === base || real.startsWith(base.endsWith(sep) ? base : base + sep) ? real : null;
}

// Whether a file's filesystem pins its dentries (vocabulary PINNED_DENTRIES):
// every file_system_type the file defines has a kill_sb that is, or that
// calls, kill_litter_super(). The eviction callbacks of such a filesystem's
// super_operations (evict_inode, destroy_inode) are then not run by the
// superblock shrinker: its linked inodes always have a referenced dentry, and
// its unlinked ones are evicted at their last iput. Only a file that defines
// both the file_system_type and the super_operations is read so: a
// filesystem whose tables sit in two files keeps its roles. Pure over a scan.
import { PINNED_DENTRIES } from "../vocab/kernel-api.js";
import type { ScanFile, ScanOps } from "./c-scan.js";

const memo = new WeakMap<ScanFile, boolean>();

/** The file defines a file_system_type, and every one it defines drops pinned dentries at unmount. */
export function pinsDentries(scan: ScanFile): boolean {
  let r = memo.get(scan);
  if (r !== undefined) return r;
  const kills = scan.ops.filter((o) => o.struct === "file_system_type" && o.field === "kill_sb");
  r = kills.length > 0 && kills.every((o) => killsLitter(scan, o.fn));
  memo.set(scan, r);
  return r;
}

function killsLitter(scan: ScanFile, fn: string): boolean {
  if (PINNED_DENTRIES.killers.includes(fn)) return true;
  const def = scan.functions.find((f) => f.name === fn);
  return def !== undefined && def.calls.some((c) => PINNED_DENTRIES.killers.includes(c.callee));
}

/** A super_operations eviction callback registered in a file whose filesystem pins its dentries: reclaim does not run it. */
export function evictionNotInReclaim(scan: ScanFile | undefined, o: Pick<ScanOps, "struct" | "field">, role: string | undefined): boolean {
  return scan !== undefined && o.struct === "super_operations" && role === "reclaim-evict" && pinsDentries(scan);
}

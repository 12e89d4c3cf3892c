// Shrinker helpers for the shrinker-io rules: which functions of a patch
// are shrinker callbacks (count_objects / scan_objects), which helpers they
// reach within the patch, and which calls block on IO or on sleeping locks.
import type { DiffLine, FileDiff, Hunk, Patch } from "../../types.js";
import { callsOn, functionDefinedOn, functionFromSection, stripLine } from "./code.js";
import { perPatch } from "./patch-cache.js";
import { isCLike, reviewableFiles } from "./diff.js";

export type ShrinkerRole = "count" | "scan";

export interface FnLine {
  file: FileDiff;
  hunk: Hunk;
  index: number;
  line: DiffLine;
  /** Code without comments and string contents. */
  code: string;
}

/** A function as the patch shows it (new side, or old side for `side: "old"`). */
export interface FnView {
  name: string;
  path: string;
  /** Hunk header or definition text: return type and parameters as far as visible. */
  signature: string;
  lines: FnLine[];
  /** The definition line is visible in the patch (so the lines really are its body). */
  defined: boolean;
  /** The definition line itself is added (a new function). */
  definedAdded: boolean;
}

/** Core reclaim code calls shrinkers; it is not one. */
const CORE_RECLAIM = /^mm\/(?:vmscan|shrinker|shrinker_debug)\.c$/;

/** Names that are shrinker callbacks by convention. */
export const SHRINKER_NAME = /(?:_shrink(?:er)?_(?:scan|count)|_(?:scan|count)_objects|^(?:scan|count)_objects)$/;

/** "type name(" at column 0, or "name(" at column 0 after a line holding only the return type (XFS style). */
function definitionName(text: string, prev: string | null): string | null {
  const d = functionDefinedOn(text);
  if (d) return d;
  const m = /^([A-Za-z_]\w*)\s*\([^;]*$/.exec(text);
  if (!m || /^(?:if|for|while|switch|return|sizeof)$/.test(m[1]!) || /^[A-Z0-9_]+$/.test(m[1]!)) return null;
  if (prev !== null && /^(?:static\s+|STATIC\s+|inline\s+|noinline\s+)*[A-Za-z_][\w\s*]*$/.test(prev.trim()) && !/;\s*$/.test(prev)) return m[1]!;
  return null;
}

/** Functions of one side of the patch, keyed by name (first file wins on a clash; per-file lookup below). */
export function functionsOf(patch: Patch, side: "new" | "old" = "new", only?: (file: FileDiff) => boolean): FnView[] {
  const out: FnView[] = [];
  const skip = side === "new" ? "del" : "add";
  for (const file of side === "new" ? reviewableFiles(patch) : patch.files.filter((f) => !f.binary)) {
    if (!isCLike(file.path) || CORE_RECLAIM.test(file.path)) continue;
    if (only && !only(file)) continue;
    const byName = new Map<string, FnView>();
    const get = (name: string, sig: string): FnView => {
      let f = byName.get(name);
      if (!f) {
        f = { name, path: file.path, signature: sig, lines: [], defined: false, definedAdded: false };
        byName.set(name, f);
        out.push(f);
      }
      return f;
    };
    for (const hunk of file.hunks) {
      const secName = functionFromSection(hunk.section);
      let cur: FnView | null = secName ? get(secName, hunk.section) : null;
      const state = { inComment: false };
      let prev: string | null = null;
      let sigOpen: FnView | null = null;
      for (let index = 0; index < hunk.lines.length; index++) {
        const line = hunk.lines[index]!;
        if (line.kind === skip) continue;
        const name = definitionName(line.text, prev);
        if (name) {
          cur = get(name, "");
          cur.signature = `${prev && !functionDefinedOn(line.text) ? prev.trim() + " " : ""}${line.text.trim()}`;
          cur.defined = true;
          if (line.kind !== "ctx") cur.definedAdded = true;
          sigOpen = /\)/.test(line.text) ? null : cur;
        } else if (sigOpen) {
          sigOpen.signature += " " + line.text.trim();
          if (/\)/.test(line.text)) sigOpen = null;
        }
        const code = stripLine(line.text, state);
        if (cur) cur.lines.push({ file, hunk, index, line, code });
        prev = line.text;
      }
    }
  }
  return out;
}

/** Shrinker callbacks named in registrations: ".scan_objects = foo", "s->count_objects = foo". */
export function registeredCallbacks(patch: Patch): Map<string, ShrinkerRole> {
  const out = new Map<string, ShrinkerRole>();
  for (const file of reviewableFiles(patch)) {
    for (const hunk of file.hunks) {
      for (const l of hunk.lines) {
        if (l.kind === "del" || !l.text.includes("_objects")) continue;
        const code = stripLine(l.text);
        const re = /(?:\.|->)\s*(scan_objects|count_objects)\s*=\s*&?\s*([A-Za-z_]\w*)/g;
        let m: RegExpExecArray | null;
        while ((m = re.exec(code))) out.set(m[2]!, m[1] === "count_objects" ? "count" : "scan");
      }
    }
  }
  return out;
}

export interface ShrinkerFn {
  fn: FnView;
  /** Role of the callback at the root of the chain. */
  role: ShrinkerRole;
  /** Callback first, then the helpers down to this function. */
  chain: string[];
  /** "callback": a registered/named/typed callback or a helper it calls; "weak": only a shrink-ish parameter type. */
  evidence: "callback" | "weak";
}

function roleByName(name: string): ShrinkerRole {
  return /count/.test(name) ? "count" : "scan";
}

/** How a function is a shrinker callback, or null. */
export function callbackRole(fn: FnView, registered: Map<string, ShrinkerRole>): ShrinkerRole | null {
  const r = registered.get(fn.name);
  if (r) return r;
  if (SHRINKER_NAME.test(fn.name)) return roleByName(fn.name);
  // "(struct shrinker *s, struct shrink_control *sc)": the callback signature, even when git cut the header short
  if (/\(\s*struct\s+shrinker\s*\*/.test(fn.signature) && !/register|free|alloc|_put$|_get$|debugfs/.test(fn.name)) return roleByName(fn.name);
  return null;
}

const shrinkersOf = perPatch((patch) => (mentionsShrinkers(patch) ? computeShrinkerFunctions(patch, 2) : []));

/** Does the patch mention shrinkers at all (names, registrations, shrink contexts)? Cheap pre-filter. */
export function mentionsShrinkers(patch: Patch): boolean {
  return patch.files.some(fileMentionsShrinkers);
}

/** Does one file's diff mention shrinkers (section names or lines)? Helpers are followed within such files. */
export function fileMentionsShrinkers(f: FileDiff): boolean {
  const re = /shrink|scan_objects|count_objects/;
  return isCLike(f.path) && f.hunks.some((h) => re.test(h.section) || h.lines.some((l) => re.test(l.text)));
}

/**
 * Every function of the patch that runs in a shrinker: callbacks, helpers
 * they call that the patch shows (up to `depth` levels), and functions taking
 * a shrink-ish parameter type (weak evidence).
 */
export function shrinkerFunctions(patch: Patch, depth = 2): ShrinkerFn[] {
  if (depth !== 2) return computeShrinkerFunctions(patch, depth);
  return shrinkersOf(patch);
}

function computeShrinkerFunctions(patch: Patch, depth: number): ShrinkerFn[] {
  const fns = functionsOf(patch, "new", fileMentionsShrinkers);
  const registered = registeredCallbacks(patch);
  const byName = new Map<string, FnView[]>();
  for (const f of fns) byName.set(f.name, [...(byName.get(f.name) ?? []), f]);
  const out: ShrinkerFn[] = [];
  const seen = new Set<FnView>();
  const visit = (fn: FnView, role: ShrinkerRole, chain: string[], evidence: ShrinkerFn["evidence"], left: number) => {
    if (seen.has(fn)) return;
    seen.add(fn);
    out.push({ fn, role, chain, evidence });
    if (left === 0) return;
    const called = new Set<string>();
    for (const l of fn.lines) for (const c of callsOn(l.code)) called.add(c);
    for (const c of called) {
      if (c === fn.name) continue;
      const cands = (byName.get(c) ?? []).filter((f) => f.defined);
      const target = cands.find((f) => f.path === fn.path) ?? cands[0];
      if (target) visit(target, role, [...chain, c], evidence, left - 1);
    }
  };
  for (const fn of fns) {
    const role = callbackRole(fn, registered);
    if (role) visit(fn, role, [fn.name], "callback", depth);
  }
  for (const fn of fns) {
    if (seen.has(fn)) continue;
    if (/\bstruct\s+\w*shrink\w*\b/.test(fn.signature.replace(/\bstruct\s+shrinker_info\b/g, ""))) visit(fn, "scan", [fn.name], "weak", 1);
  }
  return out;
}

// ------------------------------------------------------------ what blocks

export type BlockKind = "wait" | "submit" | "lock" | "soft";

/** Calls that wait for IO (or for work that does IO). */
export const IO_WAITS = new Set([
  "wait_on_buffer",
  "__wait_on_buffer",
  "wait_on_bit_io",
  "out_of_line_wait_on_bit",
  "__wait_on_bit",
  "bit_wait_io",
  "folio_wait_writeback",
  "folio_wait_writeback_killable",
  "wait_on_page_writeback",
  "folio_wait_stable",
  "wait_for_stable_page",
  "folio_wait_locked",
  "wait_on_page_locked",
  "submit_bio_wait",
  "wait_for_completion",
  "wait_for_completion_io",
  "wait_for_completion_killable",
  "wait_for_completion_interruptible",
  "wait_for_completion_state",
  "filemap_write_and_wait",
  "filemap_write_and_wait_range",
  "filemap_fdatawait",
  "filemap_fdatawait_range",
  "filemap_fdatawait_keep_errors",
  "sync_dirty_buffer",
  "__sync_dirty_buffer",
  "io_schedule",
  "blk_execute_rq",
  "blk_wait_io",
  "xfs_buf_iowait",
  "xfs_bwrite",
  "dm_bufio_write_dirty_buffers",
  "__make_buffer_clean",
  "flush_work",
  "flush_delayed_work",
  "flush_workqueue",
  "__flush_workqueue",
  "drain_workqueue",
  "flush_scheduled_work",
  "sync_blockdev",
  "blkdev_issue_flush",
  "jbd2_log_wait_commit",
  "jbd2_journal_force_commit",
]);

/** Calls that submit IO and wait for it, or start writeback synchronously. */
export const IO_SUBMITS = new Set([
  "write_dirty_buffer",
  "submit_bh",
  "filemap_fdatawrite",
  "filemap_fdatawrite_range",
  "filemap_flush",
  "write_inode_now",
  "vfs_fsync",
  "vfs_fsync_range",
  "sync_inode_metadata",
  "do_writepages",
  "folio_write_one",
  "write_one_page",
  "xfs_iflush",
  "ll_rw_block",
]);

/** Sleeping locks a shrinker should only trylock. */
export const SLEEPING_LOCKS = new Set([
  "mutex_lock",
  "mutex_lock_nested",
  "mutex_lock_interruptible",
  "mutex_lock_killable",
  "mutex_lock_io",
  "down",
  "down_interruptible",
  "down_killable",
  "down_read",
  "down_read_nested",
  "down_read_killable",
  "down_write",
  "down_write_nested",
  "down_write_killable",
  "lock_page",
  "folio_lock",
  "lock_buffer",
  "__lock_buffer",
]);

/** May block or start IO, but often fine: reported as info. */
export const SOFT_BLOCKERS = new Set([
  "iput",
  "wait_for_completion_timeout",
  "wait_for_completion_io_timeout",
  "wait_for_completion_killable_timeout",
  "wait_for_completion_interruptible_timeout",
  "io_schedule_timeout",
]);

/** Lock families that spin rather than sleep: their x_lock/x_trylock pairs are not sleeping locks. */
const SPINNING = /spin|^raw_|^xa_|^read_lock|^write_lock|_irq|_bh$|^rcu_|seqlock|^local_lock|^arch_/;

export interface Blocker {
  call: string;
  kind: BlockKind;
}

/**
 * Blocking calls on a line. `trylocks` holds the "x_trylock" names seen in
 * the patch: a call "x_lock" beside them is the sleeping variant of a
 * lock the code also trylocks (dm_bufio_lock / dm_bufio_trylock).
 */
export function blockersOn(code: string, trylocks: Set<string> = new Set()): Blocker[] {
  const out: Blocker[] = [];
  for (const c of callsOn(code)) {
    if (IO_WAITS.has(c)) out.push({ call: c, kind: "wait" });
    else if (IO_SUBMITS.has(c)) out.push({ call: c, kind: "submit" });
    else if (SLEEPING_LOCKS.has(c)) out.push({ call: c, kind: "lock" });
    else if (SOFT_BLOCKERS.has(c)) out.push({ call: c, kind: "soft" });
    else if (/_lock$/.test(c) && !SPINNING.test(c) && trylocks.has(c.replace(/_lock$/, "_trylock"))) out.push({ call: c, kind: "lock" });
  }
  return out;
}

/** "x_trylock" names called anywhere on the patch's new side or old side. */
export function trylockNames(patch: Patch): Set<string> {
  const out = new Set<string>();
  for (const file of patch.files) {
    for (const h of file.hunks) {
      for (const l of h.lines) {
        if (!l.text.includes("_trylock")) continue;
        for (const c of callsOn(stripLine(l.text))) if (/_trylock$/.test(c)) out.add(c);
      }
    }
  }
  return out;
}

/** Lock-taking calls a count_objects callback drops when it is made lock-free. */
export function isLockCall(name: string): boolean {
  return !/unlock/.test(name) && (/(?:^|_)(?:lock|trylock)(?:_|$)/.test(name) || /^(?:grab_super\w*|down_\w+|down|mutex_lock\w*|spin_lock\w*)$/.test(name));
}

/** Deleted lines of the patch, normalised: an added line found here was moved, not written. */
export function deletedTexts(patch: Patch): Set<string> {
  const out = new Set<string>();
  for (const file of patch.files) {
    for (const h of file.hunks) for (const l of h.lines) if (l.kind === "del") out.add(stripLine(l.text).replace(/\s+/g, " ").trim());
  }
  return out;
}

/** Is this added line a copy of a deleted one (code moved or re-indented)? */
export function isMovedLine(code: string, deleted: Set<string>): boolean {
  return deleted.has(code.replace(/\s+/g, " ").trim());
}

// nofs-to-kernel: GFP_NOFS turned into GFP_KERNEL in filesystem code, or a
// memalloc_nofs_save() scope removed.
import type { Report, Rule } from "../../types.js";
import { stripLine } from "../util/code.js";
import { hasGfpKernel } from "../util/gfp-lists.js";
import { addedSourceLines, deletedSourceLines, fnLabel, functionRegions, patchAddsScope, scopeCallOn, scopeStates } from "../util/scope-regions.js";
import { positionOfDeleted } from "./memalloc-flags-direct.js";

const FS_PATH = /^fs\//;
/** Something in the hunk that reclaim recursion into the filesystem could deadlock against. */
const HELD =
  /\b(?:\w*start_transaction\w*|\w*join_transaction\w*|jbd2_journal_start|jbd2__journal_start|ext4_journal_start\w*|xfs_trans_alloc\w*|xfs_ilock|btrfs_start_transaction\w*|btrfs_join_transaction\w*|sb_start_intwrite|down_write|down_read)\s*\(|\bmutex_lock\s*\(\s*&\s*[\w.>-]+(?:->|\.)\w*(?:lock|mutex)\w*\s*\)/;
const RISKY_NAME = /scrub|writeback|writepage|write_inode|commit|transaction|trans_|journal|_log_|flush|reclaim|evict|dio_|submit|end_io|endio|worker|relocat|balance/;
/** The changelog states why reclaim recursion is impossible here. */
const JUSTIFIED =
  /not (?:on|in|part of) (?:the |any )?(?:critical )?(?:writeback|reclaim|io) path|called (?:only )?from (?:the )?ioctls?|ioctl handlers?|initiated from user ?space|no (?:transaction|lock|locks|fs locks?)(?: handle)? (?:is |are )?held|only lock held|not (?:holding|under|inside|within) (?:a |any )?(?:transaction|journal)|outside (?:of )?(?:a |any |the )?transaction|before (?:the |a )?transaction (?:is )?start/i;
const CONTROL_NAME = /ioctl|mount|fill_super|sysfs|_show$|_store$|debugfs|parse_options|_init\b|init_|_setup|module_init|get_tree|remount/;

export const rule: Rule = {
  meta: {
    id: "nofs-to-kernel",
    class: "gfp-context",
    severity: "warning",
    description: "GFP_NOFS changed to GFP_KERNEL in filesystem code (or a memalloc_nofs_save() scope removed)",
    docs: {
      why:
        "GFP_KERNEL lets reclaim call back into filesystems (inode and dentry shrinkers, " +
        "writeback). That is only safe where no transaction or journal handle, no filesystem lock " +
        "and no state that a transaction commit waits for is held. btrfs learned it with scrub: " +
        "58c4e173847a turned scrub's allocations into GFP_KERNEL, but a transaction commit waits " +
        "for scrub to pause, so reclaim from scrub could deadlock; it was fixed with " +
        "memalloc_nofs_save() scopes.",
      fix:
        "Confirm in the changelog that nothing reclaim could need is held on this path; otherwise " +
        "keep GFP_NOFS, or better, put memalloc_nofs_save()/restore() around the region that holds " +
        "the transaction or lock and use GFP_KERNEL inside it.",
      quiet:
        "Conversions done under a memalloc_nofs_save()/noio scope added by the same patch, code " +
        "outside fs/ and filesystem self-tests, and removed scopes replaced by another scope in the " +
        "same file. In ioctl, mount and sysfs paths with no transaction in sight, or when the " +
        "changelog explains that no transaction or lock is held, the finding is only informational " +
        "(unless the path is a scrub/writeback/transaction path or holds a lock in the hunk).",
    },
    messages: {
      toKernel:
        "GFP_NOFS -> GFP_KERNEL in {{fn}} ({{count}} call site{{plural}}){{why}}: reclaim may now recurse into the filesystem; confirm no transaction, journal handle or fs lock is held here, or use a memalloc_nofs_save() scope",
      toKernelControl:
        "GFP_NOFS -> GFP_KERNEL in {{fn}} ({{count}} call site{{plural}}): {{reason}} and no transaction is visible; fine if nothing reclaim could need is held, and if no transaction commit waits for this path",
      scopeRemoved:
        "memalloc_{{kind}}_save() scope removed from {{fn}}: allocations in that region become GFP_KERNEL again; say why reclaim recursion is now impossible there",
    },
    knowledge: ["btrfs-scrub-nofs-2018", "memalloc-nofs-api-2017", "gfp-fs-io-doc"],
    scope: "patch",
    needles: ["GFP_NOFS", "memalloc_"],
  },
  check({ patch }) {
    const reports: Report[] = [];
    const addsScope = patchAddsScope(patch);
    // (1) GFP_NOFS -> GFP_KERNEL conversions, grouped per function
    const groups = new Map<string, { file: string; line: number; fn: string; count: number; why: string; control: boolean; reason: string; ids: string[] }>();
    if (!addsScope) {
      const regions = functionRegions(patch, (p) => FS_PATH.test(p) && /\.[ch]$/.test(p) && !/\/tests?\//.test(p));
      const justified = JUSTIFIED.test(patch.message);
      for (const region of regions) {
        const hunk = region.hunk;
        const delNofs = hunk.lines.some((l) => l.kind === "del" && l.text.includes("GFP_NOFS") && /\bGFP_NOFS\b/.test(stripLine(l.text)));
        if (!delNofs) continue;
        const addNofs = hunk.lines.some((l) => l.kind === "add" && l.text.includes("GFP_NOFS") && /\bGFP_NOFS\b/.test(stripLine(l.text)));
        if (addNofs) continue;
        const states = scopeStates(region);
        const text = region.lines.map((l) => l.code).join("\n");
        region.lines.forEach((v, i) => {
          if (v.line.kind !== "add" || !hasGfpKernel(v.code) || states[i]!.nofs) return;
          const fnName = region.name ?? v.fn;
          const fn = fnLabel(fnName);
          const key = `${v.file.path}\0${fn}`;
          const g = groups.get(key);
          if (g) {
            g.count++;
            return;
          }
          const held = HELD.exec(text);
          const risky = RISKY_NAME.exec(`${fnName ?? ""} ${v.file.path}`);
          const why = held ? ` while ${held[0].replace(/\s*\($/, "")} is visible in the hunk` : risky ? ` on a ${risky[0]} path` : "";
          const control = !held && !risky && (CONTROL_NAME.test(fnName ?? "") || justified);
          const reason = CONTROL_NAME.test(fnName ?? "") ? "looks like a control path (ioctl/mount/sysfs)" : "the changelog says this path is outside writeback and transactions";
          groups.set(key, { file: v.file.path, line: v.line.newLine!, fn, count: 1, why, control, reason, ids: ["GFP_NOFS", "GFP_KERNEL", ...(fnName ? [fnName] : [])] });
        });
      }
    }
    for (const g of groups.values()) {
      const data = { fn: g.fn, count: g.count, plural: g.count === 1 ? "" : "s", why: g.why, reason: g.reason };
      reports.push(
        g.control
          ? { messageId: "toKernelControl", severity: "info", data, file: g.file, line: g.line, identifiers: g.ids }
          : { messageId: "toKernel", data, file: g.file, line: g.line, identifiers: g.ids, cite: ["btrfs-scrub-nofs-2018"] },
      );
    }
    // (2) scopes removed
    const addedSaves = new Set<string>();
    for (const v of addedSourceLines(patch)) {
      if (!v.line.text.includes("memalloc_")) continue;
      const c = scopeCallOn(v.code);
      if (c?.op === "save") addedSaves.add(v.file.path);
    }
    for (const v of deletedSourceLines(patch)) {
      if (v.file.newPath === null || !v.line.text.includes("memalloc_")) continue;
      const c = scopeCallOn(v.code);
      if (!c || c.op !== "save" || (c.kind !== "nofs" && c.kind !== "noio")) continue;
      if (addedSaves.has(v.file.path)) continue; // moved or reworked, not dropped
      const added = v.hunk.lines.filter((l) => l.kind === "add").map((l) => stripLine(l.text));
      if (added.some((a) => /\bPF_MEMALLOC_NO(?:IO|FS)\b|\bGFP_NO(?:IO|FS)\b|io_flusher/.test(a))) continue; // replaced by flags or masks
      const defRemoved = v.hunk.lines.some((l) => l.kind === "del" && /^[A-Za-z_][^;]*\(/.test(l.text) && !/;\s*$/.test(l.text));
      if (defRemoved) continue;
      const fn = fnLabel(v.fn);
      reports.push({ messageId: "scopeRemoved", data: { kind: c.kind, fn }, file: v.file.path, line: positionOfDeleted(v.hunk, v.index), identifiers: [`memalloc_${c.kind}_save`, ...(v.fn ? [v.fn] : [])] });
    }
    return reports;
  },
};

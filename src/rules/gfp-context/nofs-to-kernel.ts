// nofs-to-kernel: GFP_NOFS turned into GFP_KERNEL in filesystem code, or a
// memalloc_nofs_save() scope removed.
import type { Patch, Report, Rule } from "../../types.js";
import { callsOn, stripLine } from "../util/code.js";
import { hasGfpKernel } from "../util/gfp-lists.js";
import { addedSourceLines, deletedSourceLines, fnLabel, functionRegions, patchAddsScope, scopeCallOn, scopeStates, type FnRegion } from "../util/scope-regions.js";
import { positionOfDeleted } from "./memalloc-flags-direct.js";

const FS_PATH = /^fs\//;
/** Something in the hunk that reclaim recursion into the filesystem could deadlock against. */
const HELD =
  /\b(?:\w*start_transaction\w*|\w*join_transaction\w*|jbd2_journal_start|jbd2__journal_start|ext4_journal_start\w*|xfs_trans_alloc\w*|xfs_ilock|btrfs_start_transaction\w*|btrfs_join_transaction\w*|sb_start_intwrite|down_write|down_read)\s*\(|\bmutex_lock\s*\(\s*&\s*[\w.>-]+(?:->|\.)\w*(?:lock|mutex)\w*\s*\)/;
const RISKY_NAME = /scrub|writeback|writepage|write_inode|commit|transaction|trans_|journal|_log_|flush|reclaim|evict|dio_|submit|end_io|endio|worker|relocat|balance/;
/** The changelog states why reclaim recursion is impossible here. */
const JUSTIFIED =
  /not (?:on|in|part of) (?:the |any )?(?:critical )?(?:writeback|reclaim|io) path|called (?:only )?from (?:the )?ioctls?|ioctl handlers?|initiated from user ?space|no (?:transaction|lock|locks|fs locks?)(?: handle)? (?:is |are )?held|only lock held|not (?:holding|under|inside|within) (?:a |any )?(?:transaction|journal)|outside (?:of )?(?:a |any |the )?transaction|before (?:the |a )?transaction (?:is )?start|(?:from|in|at|during) (?:the )?mount(?: context| time| path)?\b/i;
const CONTROL_NAME = /ioctl|mount|fill_super|open_ctree|sysfs|_show$|_store$|debugfs|parse_options|_init\b|init_|_setup|module_init|get_tree|remount/;
/** An ioctl entry point ("btrfs_ioctl_balance", "xfs_file_ioctl"): a risky word in its name names the operation, not the context. */
const IOCTL_ENTRY = /_ioctl(?:_\w+)?$|^ioctl_/;
/** A transaction or journal handle among a function's parameters: held for the whole body. */
const TRANS_PARAM = /\b(?:struct\s+btrfs_trans_handle\s*\*|handle_t\s*\*|struct\s+xfs_trans\s*\*|struct\s+jbd2?_journal_handle\s*\*)\s*(\w+)/;
const GFP_PARAM = /\bgfp_t\s+\w+/;

/** The signature a region's function shows: its definition line (and the next two), or the hunk header. */
function signatureOf(region: FnRegion): string {
  if (!region.hasDefinition) return region.hunk.section;
  return region.lines
    .slice(0, 3)
    .map((l) => l.code)
    .join(" ");
}

/**
 * Helpers whose GFP_NOFS the patch turns into a gfp_t parameter: a deleted
 * GFP_NOFS in the function and an added definition of it taking a gfp_t.
 * Their added callers passing GFP_KERNEL are conversions too.
 */
function helpersTakingGfp(patch: Patch, inFs: (p: string) => boolean): Set<string> {
  const lostNofs = new Set<string>();
  for (const v of deletedSourceLines(patch)) if (v.fn && inFs(v.file.path) && v.line.text.includes("GFP_NOFS") && /\bGFP_NOFS\b/.test(v.code)) lostNofs.add(v.fn);
  const out = new Set<string>();
  if (lostNofs.size === 0) return out;
  for (const region of functionRegions(patch)) {
    if (!region.hasDefinition || !region.name || !lostNofs.has(region.name)) continue;
    const def = region.lines[0]!;
    if (def.line.kind === "add" && GFP_PARAM.test(signatureOf(region))) out.add(region.name);
  }
  return out;
}

/** Does the code call one of `helpers` with GFP_KERNEL among its arguments? */
function callsHelperWithKernel(code: string, helpers: Set<string>): boolean {
  if (helpers.size === 0 || !hasGfpKernel(code)) return false;
  return callsOn(code).some((c) => helpers.has(c));
}

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
        "(unless the path is a scrub/writeback/transaction path, holds a lock in the hunk or takes a " +
        "transaction handle parameter); a risky word in an ioctl entry point's name does not count, and " +
        "several such functions give one patch-level note. A removed scope is quiet when the patch adds " +
        "GFP_NOFS/GFP_NOIO (or the PF_ flags) anywhere, as the replacement. Callers of a helper whose " +
        "GFP_NOFS became a gfp_t parameter in the same patch are conversions when they pass GFP_KERNEL.",
    },
    messages: {
      toKernel:
        "GFP_NOFS -> GFP_KERNEL in {{fn}} ({{count}} call site{{plural}}){{why}}: reclaim may now recurse into the filesystem; confirm no transaction, journal handle or fs lock is held here, or use a memalloc_nofs_save() scope",
      toKernelControl:
        "GFP_NOFS -> GFP_KERNEL in {{fn}} ({{count}} call site{{plural}}): {{reason}} and no transaction is visible; fine if nothing reclaim could need is held, and if no transaction commit waits for this path",
      toKernelControlMany:
        "GFP_NOFS -> GFP_KERNEL in {{functions}} functions ({{sites}} call sites: {{fns}}): {{reason}} and no transaction is visible in any of them; fine if nothing reclaim could need is held on these paths, and if no transaction commit waits for them",
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
      const inFs = (p: string) => FS_PATH.test(p) && /\.[ch]$/.test(p) && !/\/tests?\//.test(p);
      const regions = functionRegions(patch, inFs);
      const justified = JUSTIFIED.test(patch.message);
      const helpers = helpersTakingGfp(patch, inFs);
      for (const region of regions) {
        const hunk = region.hunk;
        const delNofs = hunk.lines.some((l) => l.kind === "del" && l.text.includes("GFP_NOFS") && /\bGFP_NOFS\b/.test(stripLine(l.text)));
        // no GFP_NOFS deleted here: only calls of a helper whose GFP_NOFS became its gfp parameter count
        const viaHelper = !delNofs && helpers.size > 0 && region.lines.some((v) => v.line.kind === "add" && callsHelperWithKernel(v.code, helpers));
        if (!delNofs && !viaHelper) continue;
        const addNofs = hunk.lines.some((l) => l.kind === "add" && l.text.includes("GFP_NOFS") && /\bGFP_NOFS\b/.test(stripLine(l.text)));
        if (addNofs && !viaHelper) continue;
        const states = scopeStates(region);
        const text = region.lines.map((l) => l.code).join("\n");
        const transParam = TRANS_PARAM.exec(signatureOf(region));
        region.lines.forEach((v, i) => {
          if (v.line.kind !== "add" || !hasGfpKernel(v.code) || states[i]!.nofs) return;
          if (!delNofs && !callsHelperWithKernel(v.code, helpers)) return;
          const fnName = region.name ?? v.fn;
          const fn = fnLabel(fnName);
          const key = `${v.file.path}\0${fn}`;
          const g = groups.get(key);
          if (g) {
            g.count++;
            return;
          }
          const held = HELD.exec(text);
          // an ioctl entry's name says which operation it starts, not that it runs inside one
          const risky = RISKY_NAME.exec(IOCTL_ENTRY.test(fnName ?? "") && !held && !transParam ? v.file.path : `${fnName ?? ""} ${v.file.path}`);
          const why = held
            ? ` while ${held[0].replace(/\s*\($/, "")} is visible in the hunk`
            : transParam
              ? ` while the caller's transaction handle (${transParam[1]}) is held`
              : risky
                ? ` on a ${risky[0]} path`
                : "";
          const control = !held && !transParam && !risky && (CONTROL_NAME.test(fnName ?? "") || justified);
          const reason = CONTROL_NAME.test(fnName ?? "") ? "looks like a control path (ioctl/mount/sysfs)" : "the changelog says this path is outside writeback and transactions";
          groups.set(key, { file: v.file.path, line: v.line.newLine!, fn, count: 1, why, control, reason, ids: ["GFP_NOFS", "GFP_KERNEL", ...(fnName ? [fnName] : [])] });
        });
      }
    }
    // informational conversions in several functions: one patch-level note, not one per function
    const control = [...groups.values()].filter((g) => g.control);
    if (control.length > 1) {
      const sites = control.reduce((a, g) => a + g.count, 0);
      const reasons = new Set(control.map((g) => g.reason));
      const shown = control.slice(0, 4).map((g) => g.fn).join(", ") + (control.length > 4 ? `, and ${control.length - 4} more` : "");
      reports.push({
        messageId: "toKernelControlMany",
        severity: "info",
        data: { functions: control.length, sites, fns: shown, reason: reasons.size === 1 ? [...reasons][0]! : "each looks like a control path or the changelog places it outside writeback and transactions" },
        file: null,
        line: null,
        identifiers: ["GFP_NOFS", "GFP_KERNEL"],
      });
    }
    for (const g of groups.values()) {
      const data = { fn: g.fn, count: g.count, plural: g.count === 1 ? "" : "s", why: g.why, reason: g.reason };
      if (g.control && control.length > 1) continue;
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
    let replacedInPatch: boolean | undefined;
    for (const v of deletedSourceLines(patch)) {
      if (v.file.newPath === null || !v.line.text.includes("memalloc_")) continue;
      const c = scopeCallOn(v.code);
      if (!c || c.op !== "save" || (c.kind !== "nofs" && c.kind !== "noio")) continue;
      if (addedSaves.has(v.file.path)) continue; // moved or reworked, not dropped
      replacedInPatch ??= addedSourceLines(patch).some((a) => /\bPF_MEMALLOC_NO(?:IO|FS)\b|\bGFP_NO(?:IO|FS)\b|\bKM_NOFS\b|io_flusher/.test(a.code));
      if (replacedInPatch) continue; // replaced by flags or masks, here or at the allocation sites elsewhere in the patch
      const defRemoved = v.hunk.lines.some((l) => l.kind === "del" && /^[A-Za-z_][^;]*\(/.test(l.text) && !/;\s*$/.test(l.text));
      if (defRemoved) continue;
      const fn = fnLabel(v.fn);
      reports.push({ messageId: "scopeRemoved", data: { kind: c.kind, fn }, file: v.file.path, line: positionOfDeleted(v.hunk, v.index), identifiers: [`memalloc_${c.kind}_save`, ...(v.fn ? [v.fn] : [])] });
    }
    return reports;
  },
};

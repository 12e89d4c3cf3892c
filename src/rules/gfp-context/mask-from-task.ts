// mask-from-task: the patch changes a function that returns a gfp mask for
// its callers' allocations and chooses it from the calling task (its flags,
// current_gfp_context(), the workqueue it runs on). Topic recognition: every
// allocation that takes its mask from there follows the choice, so a change
// of it changes the reclaim context of all of them at once. Said at info,
// with what the function reads.
import { regionsOf, type Region } from "../../context/diff-model.js";
import type { Report, Rule } from "../../types.js";
import { taskReadsOf } from "../util/task-reads.js";


export const rule: Rule = {
  meta: {
    id: "mask-from-task",
    class: "gfp-context",
    severity: "info",
    description: "A function that returns the gfp mask for its callers' allocations, chosen from the calling task, changed",
    docs: {
      why:
        "A helper that returns a gfp mask decides the reclaim context of every allocation that uses it. When it " +
        "chooses from the calling task (PF_MEMALLOC_NOIO/NOFS or the worker bit in current->flags, " +
        "current_gfp_context(), the workqueue the task runs), a change of that choice moves all of those " +
        "allocations at once: a bit such as __GFP_NORETRY added for one kind of worker reaches every worker, and a " +
        "mask that ignores the task's scope lets reclaim recurse where a caller ruled it out.",
      fix:
        "Say which tasks get which mask, and check the callers that run in the other contexts (IO workers of " +
        "stacked devices, rescuers, tasks under a memalloc_noio_save() scope).",
      quiet: "Functions that return something else, and changes that leave the task-state reads and the returned masks alone.",
    },
    messages: {
      chooses:
        "{{fn}}() returns the gfp mask its callers allocate with and chooses it from the calling task ({{reads}}): the patch changes that choice for every allocation that takes its mask from here",
    },
    knowledge: ["gfp-fs-io-doc", "memalloc-nofs-api-2017"],
    scope: "line",
    needles: ["gfp_t"],
  },
  check(ctx) {
    const reports: Report[] = [];
    const post = regionsOf(ctx.patch, "new");
    const pre = regionsOf(ctx.patch, "old");
    // the patch's own small helpers that read the task (a predicate the mask helper now calls)
    const helpers = new Map<string, string[]>();
    for (const r of post) if (r.name && !returnsMask(r)) {
      const reads = readsOf(r);
      if (reads.length > 0) helpers.set(r.name, reads);
    }
    const seen = new Set<string>();
    for (const r of post) {
      if (!r.name || !returnsMask(r) || seen.has(`${r.file.path}:${r.name}`)) continue;
      const changed = r.lines.filter((l) => l.changed && l.text.trim() !== "");
      const old = pre.find((o) => o.name === r.name && o.file.path === (r.file.oldPath ?? r.file.path));
      const removed = old ? old.lines.some((l) => l.changed && l.text.trim() !== "") : false;
      if (changed.length === 0 && !removed) continue;
      const now = new Set(readsOf(r));
      for (const l of r.lines) for (const [h, hr] of helpers) if (new RegExp(`\\b${h}\\s*\\(`).test(l.text)) for (const x of hr) now.add(`${x} through ${h}()`);
      const before = (old ? readsOf(old) : []).filter((x) => !now.has(x));
      if (now.size === 0 && before.length === 0) continue;
      const reads = [...(now.size > 0 ? [[...now].join(", ")] : []), ...(before.length > 0 ? [`before the patch: ${before.join(", ")}`] : [])];
      seen.add(`${r.file.path}:${r.name}`);
      const at = changed[0] ?? r.lines.find((l) => l.line > 0)!;
      reports.push({
        file: r.file.path,
        line: at.line,
        identifiers: [r.name, ...[...now, ...before].map((x) => x.split(" ")[0]!)],
        messageId: "chooses",
        data: { fn: r.name, reads: reads.join("; ") },
        fix: `Say in the changelog which tasks get which mask from ${r.name}(), and check its callers that run in the other contexts (stacked-device IO workers, rescuers, tasks under a memalloc_noio_save() scope).`,
      });
    }
    return reports;
  },
};

/** The region is the definition of a function returning gfp_t (its signature in view). */
function returnsMask(r: Region): boolean {
  return r.hasDefinition && /\bgfp_t\s+\**\s*[A-Za-z_]\w*\s*\(/.test(r.signature);
}

/** The task-state reads of a region's code (comments aside). */
function readsOf(r: Region): string[] {
  return taskReadsOf(r.lines.map((l) => l.text.replace(/\/\*.*?\*\/|\/\/.*$/g, "")).join("\n"));
}

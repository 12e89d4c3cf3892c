// reclaim-waits-on-work: a function reclaim runs (a shrinker callback, inode
// eviction from the superblock shrinker, folio release), or one it reaches,
// now flushes or cancel-syncs work whose function waits on IO, does IO
// synchronously, starts a transaction or drops a last reference. Reclaim then
// waits for that work, and the work for IO or a commit that may need memory
// reclaim cannot free while it waits. The role comes from the ops tables and
// signatures of the vocabulary and the callers in the sources; the work's
// function from its binding (INIT_WORK() and friends, DECLARE_WORK(),
// container_of() in the work function) and what it calls, a few calls deep.
import { definitionOf, functionText, rootLabel, rootsOf, type RootPath } from "../../context/call-chains.js";
import type { FlowEvent } from "../../context/flow.js";
import { reclaimAnalysis, type FnView, type ReclaimAnalysis } from "../../context/reclaim.js";
import { blockingBelow, blockingWork, type BlockingWork } from "../../context/work-waits.js";
import { workqueueAnalysis } from "../../context/workqueues.js";
import type { Patch, Report, Rule } from "../../types.js";
import type { Role } from "../../vocab/kernel-api.js";
import { HISTORY } from "../../vocab/history.js";
import { chainText } from "../util/phrases.js";
import { taskReadsOf } from "../util/task-reads.js";

/** Roles reclaim itself runs, that waiting for work stalls: shrinker callbacks, eviction, folio release. */
const RECLAIM_RUNS: ReadonlySet<Role> = new Set<Role>(["shrinker", "reclaim-evict", "reclaim-release"]);

/**
 * What the flush's conditions read of the calling task's reclaim context (`current->flags`, current_gfp_context(),
 * ...), written in the condition or in a helper the condition calls (its definition in the patch or the directory):
 * the author chose which tasks wait ("a NOFS caller does not flush"). Null when no condition reads it.
 */
function taskGuard(a: ReclaimAnalysis, file: string, conds: readonly string[]): string | null {
  for (const c of conds) {
    const own = taskReadsOf(c);
    if (own.length > 0) return `${c} (${own.join(", ")})`;
    for (const m of c.matchAll(/([A-Za-z_]\w*)\(/g)) {
      // the helper as the patch shows it first (the tree's version may be another release's)
      const shown = a.post().find((v) => v.name === m[1] && v.path === file) ?? a.post().find((v) => v.name === m[1]);
      const def = shown ? null : definitionOf(a, file, m[1]!);
      const text = shown ? a.viewLines(shown).map((l) => l.text).join("\n") : def ? functionText(a, def.file, def.fn) : null;
      if (text === null) continue;
      const reads = taskReadsOf(text);
      if (reads.length > 0) return `${c} (${m[1]}() reads ${reads.join(", ")})`;
    }
  }
  return null;
}

/** A file the patch changes but does not apply to: lines in it are the tree's version's. */
function treeVersion(patch: Patch, a: ReclaimAnalysis, file: string): boolean {
  return a.source !== undefined && patch.files.some((f) => f.path === file) && a.source.postImage(file) === undefined;
}

export const rule: Rule = {
  meta: {
    id: "reclaim-waits-on-work",
    class: "shrinker-io",
    severity: "warning",
    description: "A function memory reclaim runs (shrinker, eviction, folio release) that now waits for work whose function waits on IO or a transaction",
    docs: {
      why:
        "Shrinker callbacks, inode eviction from the superblock shrinker and folio release run inside memory reclaim, " +
        "often in kswapd. flush_work(), flush_delayed_work(), flush_workqueue() and cancel_*_sync() sleep until the work " +
        "has run, and so does wait_for_completion() on a completion the work signals. When that work waits for IO, writes back, starts or joins a filesystem transaction, or drops a last " +
        "reference that evicts, reclaim waits for all of it: every task reclaiming stalls behind the work, and when the " +
        "IO or the commit needs memory, nothing makes progress.",
      fix:
        "Do not wait for the work inside reclaim: queue it and return (it finishes on its own), skip the objects it has " +
        "not finished with (return SHRINK_STOP from a shrinker), or keep the flush out of the paths reclaim runs.",
      quiet:
        "Flushes of a system queue (its work is everyone's, not known here), work whose binding is not found, work " +
        "whose function reaches no IO wait, synchronous IO, transaction start or final put within four calls, " +
        "flushes the patch does not add, and functions no reclaim role reaches. A flush under a condition that reads the " +
        "calling task's reclaim context (current->flags, current_gfp_context(), directly or in a helper the condition " +
        "calls) is an info: the author chose which reclaiming tasks wait. With the diff alone only what the " +
        "patch shows is followed. Waits on work whose waker is not visible are left to shrinker-blocking (info).",
    },
    messages: {
      guardedWait:
        "{{chain}}: {{call}}({{target}}) waits for {{fn}}(), which {{what}} ({{workChain}}, {{where}}), but only when {{guard}} allows it: the author chose which reclaiming tasks wait; check that those can wait for IO or a commit",
      waitsOnCompletion:
        "{{chain}}: {{call}}({{target}}) waits for a completion that {{fn}}() signals, as work queued at {{queued}}; {{fn}}() {{what}} ({{workChain}}, {{where}}): reclaim now waits for that work, and the work for IO or a commit that may itself need memory",
      guardedCompletion:
        "{{chain}}: {{call}}({{target}}) waits for a completion that {{fn}}() signals, as work queued at {{queued}}, and {{fn}}() {{what}} ({{workChain}}, {{where}}), but only when {{guard}} allows it: the author chose which reclaiming tasks wait; check that those can wait for IO or a commit",
      waitsOnWork:
        "{{chain}}: {{call}}({{target}}) waits for {{fn}}(), the work's function (bound at {{bound}}), which {{what}} ({{workChain}}, {{where}}): reclaim now waits for that work, and the work for IO or a commit that may itself need memory",
    },
    knowledge: [HISTORY.nonBlockingInodeReclaim, HISTORY.shrinkerWorkOffload],
    scope: "line",
    needles: ["flush_work", "flush_delayed_work", "flush_workqueue", "drain_workqueue", "cancel_work_sync", "cancel_delayed_work_sync", "flush_rcu_work", "wait_for_completion"],
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    // judges what a patch adds: existing flushes in reclaim paths are not reported by an audit
    if (a.mode === "audit") return [];
    const w = workqueueAnalysis(ctx);
    const out: Report[] = [];
    const done = new Set<string>();
    for (const v of a.post()) {
      const flushes = v.flow.events.filter((e) => e.info.kind === "flush" && v.changed.has(e.line));
      if (flushes.length === 0) continue;
      const path = rootsOf(a, v, (r) => RECLAIM_RUNS.has(r), { maxDepth: 4 })[0];
      if (!path) continue;
      for (const e of flushes) {
        const k = `${v.path}:${e.line}`;
        if (done.has(k)) continue;
        const b = blockingWork(a, w, v, e);
        if (!b) continue;
        done.add(k);
        out.push(waitReport(ctx.patch, a, { view: v, ev: e, path, call: b.call, target: b.target, fn: b.fn, via: { bound: `${b.boundAt.file}:${b.boundAt.line}` }, below: b }));
      }
    }
    // a wait for a completion that work signals: the same wait, through the completion
    for (const cw of w.completionWaits()) {
      const k = `${cw.view.path}:${cw.ev.line}`;
      if (done.has(k)) continue;
      const path = rootsOf(a, cw.view, (r) => RECLAIM_RUNS.has(r), { maxDepth: 4 })[0];
      if (!path) continue;
      for (const sig of cw.signals) {
        const b = blockingBelow(a, sig.file, sig.fn);
        if (!b) continue;
        done.add(k);
        out.push(waitReport(ctx.patch, a, { view: cw.view, ev: cw.ev, path, call: cw.ev.callee, target: cw.expr, fn: sig.fn, via: { queued: `${sig.queueing.view.path}:${sig.queueing.ev.line}` }, below: b }));
        break;
      }
    }
    return out;
  },
};

/**
 * The report for a wait reclaim now makes: on a flush (`bound`: where the work's function is bound) or on a
 * completion a work function signals (`queued`: where that work is queued); info when a test of the calling task
 * guards it.
 */
function waitReport(
  patch: Patch,
  a: ReclaimAnalysis,
  w: { view: FnView; ev: FlowEvent; path: RootPath; call: string; target: string; fn: string; via: { bound: string } | { queued: string }; below: Pick<BlockingWork, "chain" | "blocker" | "site"> },
): Report {
  const completion = "queued" in w.via;
  const chain = [rootLabel(w.path), ...w.path.chain.slice(1), `${w.call}(${w.target})`];
  const guard = taskGuard(a, w.view.path, [...(w.ev.conds ?? []), ...(w.ev.guards ?? [])]);
  const b = w.below;
  return {
    messageId: completion ? (guard ? "guardedCompletion" : "waitsOnCompletion") : guard ? "guardedWait" : "waitsOnWork",
    ...(guard ? { severity: "info" as const, unknowns: [`which reclaiming tasks the test ${guard} lets through to the wait, and whether the work can make progress while they wait`] } : {}),
    file: w.view.path,
    line: w.ev.line,
    data: {
      chain: chainText(chain),
      call: w.call,
      target: w.target,
      fn: w.fn,
      ...w.via,
      what: b.blocker.what,
      workChain: chainText(b.chain),
      guard: guard ?? "",
      where: `${b.site.file}:${b.site.line}${treeVersion(patch, a, b.site.file) ? " of the source tree's version, which the patch does not apply to" : ""}`,
    },
    chain: [...chain, ...b.chain],
    identifiers: [w.call, w.fn, b.blocker.call, ...w.path.chain],
    fix: `Do not wait for ${w.target} in ${w.view.name}(), which reclaim runs through ${w.path.role.root}() (${w.path.role.label}): let ${w.fn}() finish on its own and skip what it has not finished with${w.path.role.role === "shrinker" ? " (return SHRINK_STOP)" : ""}, or keep this ${completion ? "wait" : "flush"} off the paths reclaim runs.`,
  };
}

// wq-mem-reclaim-added: a patch gives a workqueue WQ_MEM_RECLAIM (at the
// constructor call, in a flags macro, in a flags variable). The flag promises
// forward progress under memory pressure; judged from the workqueue analysis:
// what the queue's work does (flushes of queues without the flag break the
// promise: warning, with the chain), whether reclaim waits on it (then the
// flag is right), whether the message quotes the flush warning this flag
// would silence, and what could not be seen.
import { quotedFlushWarnings, shortLabel, stallText, workqueueAnalysis, type FlagChange, type WorkqueueAnalysis } from "../../context/workqueues.js";
import type { Patch, Report, Rule } from "../../types.js";
import { QUEUE_CALLS, SYSTEM_QUEUES } from "../../vocab/kernel-api.js";
import { chainText } from "../util/phrases.js";
import { changeLabel, flusherText, warningNaming } from "../util/wq-sites.js";
import { HISTORY } from "../../vocab/history.js";

/** What the analysis knows about the work of the flagged queues, as one clause, and what it could not see. */
function workFacts(a: WorkqueueAnalysis, c: FlagChange): { what: string; unknowns: string[]; chain?: string[]; needed?: boolean } {
  const unknowns: string[] = [];
  for (const q of c.queues) {
    const link = a.waitLink(c.path, q, "post");
    if (link?.complete) return { what: `reclaim waits on its work (${chainText(link.chain)}), so it needs the rescuer; the flag does not change the allocation context of that work`, unknowns, chain: link.chain, needed: true };
  }
  for (const q of c.queues) {
    for (const w of a.workOf(c.path, q.key, "post")) {
      const b = a.behaviour(w.file, w.fn, "post");
      const s = b.stalls[0];
      if (s) return { what: `the rescuer guarantees a thread, not memory: its work ${w.fn}() calls ${stallText(s)}${s.fn !== w.fn ? ` (in ${s.fn}())` : ""}, which may still wait in reclaim without a mempool behind it`, unknowns };
    }
  }
  if (c.queues.length === 0) unknowns.push(c.unknownQueue ?? "which queue this flag is for");
  else for (const q of c.queues) if (a.workOf(c.path, q.key, "post").length === 0) unknowns.push(a.waitUnknown(c.path, q, "post"));
  return { what: "the flag buys a rescuer thread; it does not change the allocation context of the work", unknowns };
}

export const rule: Rule = {
  meta: {
    id: "wq-mem-reclaim-added",
    class: "workqueue-reclaim",
    severity: "info",
    description: "WQ_MEM_RECLAIM added to a workqueue (warning when the queue's work then flushes a queue without it)",
    docs: {
      why:
        "WQ_MEM_RECLAIM reserves a rescuer thread so the queue can still run work when no new worker can " +
        "be created under memory pressure: a promise that its work makes forward progress. That is right " +
        "for a queue reclaim or IO completion waits on, and it binds the work: it must not flush or wait on " +
        "work of queues without the flag (check_flush_dependency() warns, and the rescuer then waits for a " +
        "worker that may never come), nor depend on allocations that can stall without a mempool. The flag " +
        "does not change the allocation context of the work (a maintainer's answer to such a patch is " +
        "cited). Added only to silence a quoted \"is flushing !WQ_MEM_RECLAIM\" warning, it moves the " +
        "question rather than answering it: why must the flushed work progress under reclaim?",
      fix:
        "Say which reclaim or IO path waits on this queue's work. Before adding the flag, make the work keep " +
        "the promise: no flush of queues without the flag (queue the dependent work on a rescuer-backed queue, or " +
        "cancel instead of flush), preallocated or mempool-backed memory where a failure cannot be handled, " +
        "and a memalloc_*_save() scope where the work must not recurse into the filesystem or IO.",
      quiet:
        "Other flags added beside an existing WQ_MEM_RECLAIM, a call reformatted or moved that already had " +
        "the flag, tests of wq->flags & WQ_MEM_RECLAIM, comments, and new queues created with the flag " +
        "unless their work breaks the promise, takes over work of a system queue, is work the patch starts " +
        "queueing on them (said at info, with what binds that work), or is the queue a quoted warning names.",
    },
    messages: {
      addedFlushes:
        "WQ_MEM_RECLAIM added to {{queue}}, but its work {{fn}}() waits for {{target}}, which has no WQ_MEM_RECLAIM ({{how}}): the rescuer can run {{fn}}() under memory pressure, and {{fn}}() then waits for a queue that may get no worker{{quoted}}",
      addedForWarning:
        "WQ_MEM_RECLAIM added to {{queue}}, the queue the quoted warning has {{flusher}} flushing: that silences the check and gives the flush a rescuer, which is right only if {{flushedFn}} must make progress for reclaim; {{what}}",
      added: "WQ_MEM_RECLAIM added to {{queue}}: {{what}}",
      newQueue: "new WQ_MEM_RECLAIM queue {{queue}}, which {{fn}}() now queues {{work}} on: {{what}}",
      dedicatedQueue:
        "new WQ_MEM_RECLAIM queue {{queue}} takes over {{work}}, which ran on {{system}} (system queues have no rescuer): {{what}}",
      movedToQueue:
        "{{work}} moves from {{system}} (system queues have no rescuer) to {{queue}}{{flags}}",
    },
    knowledge: [HISTORY.flagAddedForFlushWarning, "workqueue-doc", "wq-flush-dependency-2015", HISTORY.notifierQueueFlushWarning, HISTORY.schedulerQueueReclaim, HISTORY.dedicatedReclaimQueue, "wq-cancel-no-warn-2024"],
    scope: "line",
    needles: ["WQ_MEM_RECLAIM", "workqueue", "schedule_", "system_"],
  },
  check(ctx) {
    const a = workqueueAnalysis(ctx);
    const warnings = quotedFlushWarnings(ctx.patch.message);
    const reports: Report[] = [];
    let moved: MovedWork[] | null = null;
    for (const c of a.flagChanges()) {
      if (c.change !== "added" || c.line === null) continue;
      const label = changeLabel(c);
      const base = { file: c.path, line: c.line, identifiers: ["WQ_MEM_RECLAIM", ...(c.site.api ? [c.site.api] : []), ...c.queues.map((q) => q.key)] };
      const quoted = warningNaming(warnings, c.queues, "flushed");
      // the promise broken: the queue's work waits on a queue without the flag (a flush the patch adds is wq-flush-dependency's)
      const hazard = a.addedFlagHazards(c).find((h) => !h.flush.site.added);
      if (hazard) {
        const t = hazard.flush.site.target;
        const target = t.queues.map((q) => q.label).join(" / ");
        reports.push({
          ...base,
          messageId: "addedFlushes",
          severity: "warning",
          data: {
            queue: hazard.queue.label,
            fn: hazard.fn,
            target,
            how: `${hazard.flush.site.ev.callee}(${t.expr}) at line ${hazard.flush.site.ev.line}${hazard.flush.chain.length > 2 ? ` through ${chainText(hazard.flush.chain.slice(0, -1))}` : ""}`,
            quoted: quoted ? `; the quoted warning about ${quoted.w.flushedQueue} would move to this flush, not go away` : "",
          },
          fix: `Before giving ${hazard.queue.label} the flag, stop ${hazard.fn}() from waiting on ${target}: cancel that work instead of flushing if it need not finish, or ${t.queues.every((q) => q.system) ? `queue it on a WQ_MEM_RECLAIM queue of its own instead of ${target}` : `give ${target} WQ_MEM_RECLAIM if its work is itself needed for reclaim to progress`}.`,
          chain: [`${shortLabel(hazard.queue)} (WQ_MEM_RECLAIM added)`, ...hazard.flush.chain.map((f, i) => (i < hazard.flush.chain.length - 1 ? `${f}()` : f)), `${t.queues.map(shortLabel).join(" / ")} (no WQ_MEM_RECLAIM)`],
          cite: ["wq-flush-dependency-2015", HISTORY.schedulerQueueReclaim, "workqueue-doc"],
        });
        continue;
      }
      const orsIn = c.site.kind === "assign" && /\|=\s*[^;]*\bWQ_MEM_RECLAIM\b/.test(c.site.stmt.code);
      const flipped = c.pair.before !== null || orsIn;
      const facts = workFacts(a, c);
      if (quoted) {
        // the quoted report establishes a reclaim-side flush of this queue; adding the flag silences it, and unless
        // the code shows reclaim waiting on this queue's work the need for the promise is only claimed: act on it
        reports.push({
          ...base,
          ...(facts.needed ? {} : { severity: "warning" as const }),
          messageId: "addedForWarning",
          data: { queue: quoted.q.label, flusher: flusherText(quoted.w), flushedFn: quoted.w.flushedFn ? `${quoted.w.flushedFn}()` : `the work on ${quoted.w.flushedQueue}`, what: facts.what },
          fix: `Say in the changelog why ${quoted.w.flushedFn ? `${quoted.w.flushedFn}()` : "the flushed work"} must run for reclaim to make progress; if it need not, stop flushing it from ${quoted.w.flusherFn ? `${quoted.w.flusherFn}()` : "the reclaim-side task"} instead of adding the flag.`,
          chain: [quoted.w.form === "worker" ? `${quoted.w.flusherQueue} (WQ_MEM_RECLAIM)` : `PF_MEMALLOC task ${quoted.w.task}`, ...(quoted.w.flusherFn ? [`${quoted.w.flusherFn}()`] : []), `flush ${quoted.w.flushedQueue}`, `${shortLabel(quoted.q)} (WQ_MEM_RECLAIM added)`],
          cite: [HISTORY.flagAddedForFlushWarning, HISTORY.notifierQueueFlushWarning, "wq-flush-dependency-2015"],
          ...(facts.unknowns.length > 0 ? { unknowns: facts.unknowns } : {}),
        });
        continue;
      }
      if (flipped) {
        reports.push({
          ...base,
          messageId: "added",
          data: { queue: label, what: facts.what },
          ...(facts.chain ? { chain: facts.chain } : {}),
          fix: `Say in the changelog which reclaim or IO path waits on the work of ${label}, and keep that work from waiting on queues without WQ_MEM_RECLAIM or on allocations that can stall.`,
          ...(facts.unknowns.length > 0 ? { unknowns: facts.unknowns } : {}),
        });
        continue;
      }
      // a new queue created with the flag: news only when it takes over work of a system queue
      moved ??= movedOffSystem(a);
      const took = moved.find((m) => c.queues.some((q) => q.key === m.queue));
      if (took) {
        reports.push({
          ...base,
          messageId: "dedicatedQueue",
          data: { queue: label, work: took.work, system: took.system, what: facts.what },
          fix: `Say in the changelog which reclaim or IO path waits on ${took.work}; that is what the rescuer of ${label} is for.`,
          cite: [HISTORY.dedicatedReclaimQueue, "workqueue-doc"],
          ...(facts.unknowns.length > 0 ? { unknowns: facts.unknowns } : {}),
        });
        continue;
      }
      // a new queue with a rescuer that the patch also starts queueing work on: work moved out of its caller into
      // rescuer-backed work, a decision about reclaim worth saying what binds it
      const fresh = a.patchQueueings("post").find((q) => q.view.changed.has(q.ev.line) && c.queues.some((x) => x.key === q.queue));
      if (fresh) {
        reports.push({
          ...base,
          messageId: "newQueue",
          data: { queue: label, work: fresh.workName, fn: fresh.view.name, what: facts.what },
          fix: `Say in the changelog which reclaim or IO path waits on ${fresh.workName}, and keep that work from flushing queues without WQ_MEM_RECLAIM or depending on allocations that can stall.`,
          cite: [HISTORY.dedicatedReclaimQueue, "workqueue-doc"],
          ...(facts.unknowns.length > 0 ? { unknowns: facts.unknowns } : {}),
        });
      }
    }
    // work moved off a system queue onto a queue this patch neither creates nor flags: said with what is known of its flags
    moved ??= movedOffSystem(a);
    const flagged = new Set(a.flagChanges().flatMap((c) => c.queues.map((q) => q.key)));
    for (const m of moved) {
      if (flagged.has(m.queue)) continue;
      const q = a.queueFact(m.at.path, m.queueExpr, "post");
      const reclaim = q.flags.memReclaim;
      const flags =
        reclaim === true
          ? `, a WQ_MEM_RECLAIM queue${q.at ? ` (${q.at.file}:${q.at.line})` : ""}: the work now has a rescuer, which guarantees it a thread, not memory; whatever it flushes or waits on must be on WQ_MEM_RECLAIM queues too (check_flush_dependency())`
          : reclaim === false
            ? `, which has no WQ_MEM_RECLAIM either${q.at ? ` (${q.at.file}:${q.at.line})` : ""}: if reclaim or IO waits on this work, it still has no rescuer`
            : `: whether ${m.queueExpr} has WQ_MEM_RECLAIM (a rescuer) is not visible here${a.tree ? " (it is created outside this code's directory)" : " (it is created outside the lines shown; review with --tree)"}`;
      reports.push({
        file: m.at.path,
        line: m.at.line,
        messageId: "movedToQueue",
        data: { work: m.work, system: m.system, queue: m.queueExpr, flags },
        identifiers: ["WQ_MEM_RECLAIM", m.queue, m.work],
        fix: reclaim === false ? `Queue ${m.work} on a queue created with WQ_MEM_RECLAIM if reclaim or IO waits on it.` : `Say in the changelog which reclaim or IO path waits on ${m.work}, and keep what it waits on off queues without WQ_MEM_RECLAIM.`,
        cite: [HISTORY.dedicatedReclaimQueue, "workqueue-doc"],
        ...(reclaim === null ? { unknowns: [`the flags of ${m.queueExpr}`] } : {}),
      });
    }
    return reports;
  },
};

/** The last member of a work item's expression (`&r->buf.refresh_work` -> `refresh_work`). */
const workMember = (expr: string) => /([A-Za-z_]\w*)\s*\)?\s*$/.exec(expr.replace(/\s+/g, ""))?.[1] ?? expr;

/** Work moved off a system queue (movedOffSystem), and where the new queueing is. */
interface MovedWork {
  work: string;
  queue: string;
  queueExpr: string;
  system: string;
  at: { path: string; line: number };
}

/** A line the patch deletes from `path` (old numbering) that names `word`. */
function deletesNaming(patch: Patch, path: string, line: number, word: string): boolean {
  const f = patch.files.find((x) => (x.oldPath ?? x.path) === path);
  return !!f && f.hunks.some((h) => h.lines.some((l) => l.kind === "del" && l.oldLine === line && l.text.includes(word)));
}

/**
 * Work the pre image queued on a system queue and the post image queues on another queue: a queueing the patch
 * deletes and one it adds, in the same function with the same work item, or in any of its functions with the same
 * work member (the call moved into a helper).
 */
function movedOffSystem(a: WorkqueueAnalysis): MovedWork[] {
  const out: MovedWork[] = [];
  // only a pre-image queueing on a system queue can be moved off it (fragments that name none are not walked for it)
  const pre = a.patchQueueings("pre", ["system-queue"]).filter((p) => SYSTEM_QUEUES[p.queue] !== undefined);
  if (pre.length === 0) return out;
  const post = a.patchQueueings("post");
  for (const to of post) {
    if (!to.view.changed.has(to.ev.line) || SYSTEM_QUEUES[to.queue]) continue;
    const member = workMember(to.workExpr);
    // the old queueing is one the patch deletes (a tree of another version may queue the work elsewhere)
    const deleted = (p: (typeof pre)[number]) => deletesNaming(a.patch, p.view.path, p.ev.line, member);
    const from =
      pre.find((p) => p.view.name === to.view.name && p.work === to.work && deleted(p)) ??
      // moved into a helper: deleted there, added here, and no system-queue queueing of that work left in the patch's functions
      pre.find((p) => workMember(p.workExpr) === member && deleted(p) && !post.some((q) => SYSTEM_QUEUES[q.queue] !== undefined && workMember(q.workExpr) === member));
    if (from) out.push({ work: to.workName, queue: to.queue, queueExpr: to.queueExpr, system: QUEUE_CALLS[from.call]?.queueArg === -1 ? `${from.call}() (${from.queue})` : from.queueExpr, at: { path: to.view.path, line: to.ev.line } });
  }
  return out;
}

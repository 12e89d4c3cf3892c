// wq-mem-reclaim-removed: WQ_MEM_RECLAIM dropped from a queue reclaim waits
// on, or work reclaim waits on put on a system queue (no rescuer). Whether
// reclaim waits comes from the workqueue analysis: the queue's work completes
// IO or writes back, it is queued from a function IO hands requests or
// recovery to (queue_rq, an error handler), or reclaim-side code flushes it.
// Work the patch puts on a system queue whose own function completes IO is
// reported whoever queues it (an error handler's wakeup the core calls
// through a table of the patch's series).
// A changelog saying the queue is off the reclaim path is not evidence.
import { dirname } from "node:path";
import { quotedFlushWarnings, shortLabel, softirqSystemQueue, workqueueAnalysis, type QueueFact, type WaitLink, type WorkqueueAnalysis } from "../../context/workqueues.js";
import type { Report, Rule } from "../../types.js";
import { CANCEL_NOT_CHECKED, SYSTEM_QUEUES, THREAD_SPAWNERS } from "../../vocab/kernel-api.js";
import { keyOf } from "../../context/extract.js";
import { flagSitePairs } from "../../context/wq-flag-sites.js";
import { callList, chainText } from "../util/phrases.js";
import { cancelInTrace, changeLabel, flusherText, warningNaming } from "../util/wq-sites.js";
import { HISTORY } from "../../vocab/history.js";

/** The best link over the post image, then the pre image (the work as it was). */
function linkOf(a: WorkqueueAnalysis, path: string, prePath: string | null, queues: QueueFact[]): { link: WaitLink | null; queue: QueueFact | null } {
  let partial: { link: WaitLink; queue: QueueFact } | null = null;
  for (const q of queues) {
    for (const [p, image] of [[path, "post"], [prePath, "pre"]] as const) {
      if (p === null) continue;
      const l = a.waitLink(p, q, image);
      if (l?.complete) return { link: l, queue: q };
      if (l && !partial) partial = { link: l, queue: q };
    }
  }
  return partial ?? { link: null, queue: queues[0] ?? null };
}

export const rule: Rule = {
  meta: {
    id: "wq-mem-reclaim-removed",
    class: "workqueue-reclaim",
    severity: "warning",
    description: "WQ_MEM_RECLAIM dropped from a queue reclaim or IO waits on, or such work put on a system workqueue",
    docs: {
      why:
        "A queue whose work memory reclaim or IO completion waits on needs a rescuer thread: under " +
        "memory pressure a new kworker may not be creatable, and reclaim that waits on IO which waits " +
        "on that kworker deadlocks. System workqueues (system_wq via schedule_work(), system_unbound_wq) " +
        "have no rescuer. Dropping WQ_MEM_RECLAIM to silence check_flush_dependency trades a warning for " +
        "that deadlock when the queue's work completes IO, takes requests or error recovery from the block " +
        "layer, or is flushed by reclaim.",
      fix:
        "Keep WQ_MEM_RECLAIM on queues reclaim or IO forward progress depends on, and remove the flush of a " +
        "!WQ_MEM_RECLAIM queue from their work instead (cancel, or restructure the wait). Keep IO-completion " +
        "work on a dedicated WQ_MEM_RECLAIM queue rather than a system queue.",
      quiet:
        "With a source tree: queues whose work, queuers and flushers in the directory show no link to IO or " +
        "reclaim get an info that says what was checked (the work functions read), or that the work is unknown. Without one, the " +
        "missing facts are named at info. Work moved to a system queue from a queue that had no " +
        "WQ_MEM_RECLAIM; system-queue work queued from an IO completion whose function is visible and " +
        "completes nothing, system-queue work of no known role whose function completes no IO, and work put on a " +
        "BH queue (system_bh_wq: its work runs in softirq, no worker to wait for).",
    },
    messages: {
      removed:
        "WQ_MEM_RECLAIM dropped from {{queue}}, but IO or reclaim waits on its work ({{link}}): without a rescuer that work can stall when no worker can be created under memory pressure{{quoted}}",
      removedChecked:
        "WQ_MEM_RECLAIM dropped from {{queue}}: checked in {{dir}}/: its work ({{work}}) completes no IO and writes nothing back, is not queued from a function IO hands requests or recovery to, and is flushed by no function reclaim or IO runs; code outside the directory was not read",
      removedUnknown:
        "WQ_MEM_RECLAIM dropped from {{queue}}{{quoted}}: right only if no reclaim or IO path waits on its work, which cannot be told from what is visible",
      movedToSystem:
        "{{work}} moves from {{from}} (WQ_MEM_RECLAIM) to {{to}}, which has no rescuer, but IO or reclaim waits on it ({{link}}): under memory pressure it can stall there",
      movedToSystemUnknown:
        "{{work}} moves from {{from}} to {{to}}, which has no rescuer: right only if no reclaim or IO path waits on it",
      queueToThread:
        "{{queue}}, a queue with a rescuer (WQ_MEM_RECLAIM), is removed and its work {{fn}}() now runs in a kernel thread of its own ({{call}}() in {{where}}()): a dedicated thread needs no rescuer once it exists, but creating it allocates (task and stack, GFP_KERNEL), so it must exist before IO or reclaim can wait on {{fn}}()",
      systemFromRole:
        "{{call}} in {{fn}}() queues {{work}} on {{to}}, which has no rescuer, and IO waits on that work ({{link}}): under memory pressure it can stall; use a dedicated WQ_MEM_RECLAIM queue",
      systemCompletesIo:
        "{{call}} in {{fn}}() queues {{work}} on {{to}}, which has no rescuer, and that work completes IO ({{link}}): the IO, and reclaim waiting on it, wait for a worker that may not be creatable under memory pressure; use a dedicated WQ_MEM_RECLAIM queue",
      systemFromRoleUnknown:
        "{{call}} in {{fn}}() ({{role}}) queues {{work}} on {{to}}, which has no rescuer: if that work completes the IO, reclaim can wait on it forever",
    },
    knowledge: ["workqueue-doc", HISTORY.dedicatedReclaimQueue, HISTORY.rescuerDroppedForFlush, HISTORY.driverQueueUsage, "wq-flush-dependency-2015", "wq-cancel-no-warn-2024"],
    scope: "line",
    needles: ["WQ_MEM_RECLAIM", "workqueue", "schedule_", "system_"],
  },
  check(ctx) {
    const a = workqueueAnalysis(ctx);
    const warnings = quotedFlushWarnings(ctx.patch.message);
    const cancel = warnings.length > 0 ? cancelInTrace(ctx.patch.message) : null;
    const reports: Report[] = [];

    // 1. the flag dropped from a queue, macro or flags variable
    for (const c of a.flagChanges()) {
      if (c.change !== "removed" || c.line === null) continue;
      const file = a.patch.files.find((f) => f.path === c.path);
      const { link, queue } = linkOf(a, c.path, file?.oldPath ?? null, c.queues);
      const label = changeLabel(c);
      const quoted = warningNaming(warnings, c.queues, "flusher");
      const quotedText = quoted
        ? ` to silence the quoted warning (${flusherText(quoted.w)} flushing ${quoted.w.flushedQueue})${cancel && a.cancelExempt() ? `, which comes from ${cancel}(): a cancel no longer warns since ${CANCEL_NOT_CHECKED.commit} (${CANCEL_NOT_CHECKED.since})` : ""}`
        : "";
      const base = { file: c.path, line: c.line, identifiers: ["WQ_MEM_RECLAIM", ...(c.site.api ? [c.site.api] : []), ...c.queues.map((q) => q.key)] };
      const keep = `Keep WQ_MEM_RECLAIM on ${label}${quoted ? `, and take the flush of ${quoted.w.flushedQueue} out of its work instead (cancel it, or queue that work on ${label})` : ""}.`;
      if (link?.complete) {
        reports.push({
          ...base,
          messageId: "removed",
          data: { queue: queue?.label ?? label, link: chainText(link.chain), quoted: quotedText },
          fix: keep,
          chain: [...link.chain, `${queue ? shortLabel(queue) : label}: WQ_MEM_RECLAIM dropped`],
          cite: quoted ? [HISTORY.rescuerDroppedForFlush, "wq-cancel-no-warn-2024", "workqueue-doc"] : ["workqueue-doc", HISTORY.dedicatedReclaimQueue],
        });
        continue;
      }
      // with a tree, nothing in the directory ties the queue to IO or reclaim: the check is said, with the work it read
      if (a.tree && !link && !quoted) {
        const work = [...new Set(c.queues.flatMap((q) => a.workOf(c.path, q.key, "post").map((w) => w.fn)))];
        if (work.length > 0) {
          reports.push({
            ...base,
            messageId: "removedChecked",
            severity: "info",
            data: { queue: label, dir: dirname(c.path), work: callList(work) },
            fix: `Nothing to change if no code outside ${dirname(c.path)}/ waits on the work of ${label}; say so in the changelog.`,
            unknowns: [`whether code outside ${dirname(c.path)}/ waits on or flushes the work of ${label}`],
          });
          continue;
        }
      }
      const unknowns = link?.unknown ? [link.unknown] : c.queues.length > 0 ? c.queues.map((q) => a.waitUnknown(c.path, q, "post")) : [c.unknownQueue ?? `which queue ${label} is`];
      reports.push({
        ...base,
        messageId: "removedUnknown",
        severity: "info",
        data: { queue: label, quoted: quotedText },
        fix: `Show in the changelog that no reclaim or IO path waits on the work of ${label} (what its work does, who queues and flushes it); otherwise keep the flag.`,
        ...(link ? { chain: link.chain } : {}),
        unknowns,
        cite: quoted ? [HISTORY.rescuerDroppedForFlush, "wq-cancel-no-warn-2024"] : ["workqueue-doc"],
      });
    }

    // 2. a queue with a rescuer deleted: where its work runs now
    for (const { now, before } of flagSitePairs(ctx.patch)) {
      if (now || !before || before.kind !== "alloc" || before.use !== "set" || !before.lhs) continue;
      const path = before.stmt.file.oldPath ?? before.stmt.file.path;
      const label = before.name ? `"${before.name}" (${before.lhs})` : before.lhs;
      const fns = new Set<string>();
      for (const q of a.queueings(path, "pre", { queue: keyOf(before.lhs) })) for (const b of a.bindings(path, "pre", { work: q.work })) fns.add(b.fn);
      for (const fn of fns) {
        // the work function started as a kernel thread of its own in the new version
        const spawn = a.patchViews("post").flatMap((v) => v.flow.events.filter((e) => THREAD_SPAWNERS[e.callee] !== undefined && (e.args[0] ?? "").replace(/^&/, "") === fn && v.changed.has(e.line)).map((e) => ({ v, e })))[0];
        if (spawn) {
          reports.push({
            file: spawn.v.path,
            line: spawn.e.line,
            severity: "info",
            messageId: "queueToThread",
            identifiers: [spawn.e.callee, fn, "WQ_MEM_RECLAIM"],
            data: { queue: label, fn, call: spawn.e.callee, where: spawn.v.name },
            fix: `Create the thread before any IO depends on ${fn}() (and handle its creation failing), or keep a WQ_MEM_RECLAIM queue for it.`,
            chain: [`${label} (WQ_MEM_RECLAIM) removed`, `${spawn.v.name}()`, `${spawn.e.callee}(${fn})`],
          });
        }
      }
    }

    // 3. work moved from a dedicated queue to a system queue
    const moved = new Set<string>();
    for (const m of a.movedToSystem()) {
      const line = m.to.ev.line;
      moved.add(`${m.to.view.path}:${line}`);
      if (m.fromQueue.flags.memReclaim === false) continue; // no rescuer lost
      const link = a.queueingLink(m.to, "post", m.to.queueExpr) ?? a.queueingLink(m.from, "pre", m.from.queueExpr);
      const data = { work: m.to.workName, from: m.fromQueue.label, to: m.to.queueExpr };
      const base = { file: m.to.view.path, line, identifiers: [m.to.call, m.to.queue, m.to.view.name] };
      if (link?.complete && m.fromQueue.flags.memReclaim === true) {
        reports.push({ ...base, messageId: "movedToSystem", data: { ...data, link: chainText(link.chain) }, fix: `Keep ${m.to.workName} on ${m.fromQueue.label} (or another WQ_MEM_RECLAIM queue).`, chain: [...link.chain], cite: [HISTORY.dedicatedReclaimQueue, "workqueue-doc"] });
        continue;
      }
      const unknowns = [
        ...(m.fromQueue.flags.memReclaim === null ? [m.fromQueue.flags.unknown ?? `the flags of ${m.fromQueue.label}`] : []),
        ...(link?.complete ? [] : [link?.unknown ?? `whether IO or reclaim waits on ${m.to.workName} (what its function does and who flushes it is not visible)`]),
      ];
      if (a.tree && !link) continue;
      reports.push({ ...base, messageId: "movedToSystemUnknown", severity: "info", data, fix: `Keep ${m.to.workName} on a WQ_MEM_RECLAIM queue if IO completion or reclaim waits on it.`, unknowns });
    }

    // 4. work queued on a system queue from a function IO waits on
    // (only queueings on a system queue matter on either side: fragments that name none are not walked for them)
    const pre = a.patchQueueings("pre", ["system-queue"]);
    for (const q of a.patchQueueings("post", ["system-queue"])) {
      // (a BH queue runs its work in softirq: it needs no rescuer)
      if (!q.view.changed.has(q.ev.line) || !SYSTEM_QUEUES[q.queue] || softirqSystemQueue(q.queue) || moved.has(`${q.view.path}:${q.ev.line}`)) continue;
      if (pre.some((p) => p.view.name === q.view.name && p.work === q.work && SYSTEM_QUEUES[p.queue] !== undefined)) continue; // it was on a system queue before
      const role = a.ra.roleOf(q.view);
      const link = a.queueingLink(q, "post", q.queue);
      if (!link) continue;
      const base = { file: q.view.path, line: q.ev.line, identifiers: [q.call, q.queue, q.view.name] };
      // whoever queues it: work whose own function completes the IO is work the IO waits on
      if (!role) {
        if (link.complete && link.kind === "completes-io")
          reports.push({ ...base, messageId: "systemCompletesIo", data: { call: `${q.call}()`, fn: q.view.name, work: q.workName, to: q.queue, link: chainText(link.chain) }, fix: `Queue ${q.workName} on a dedicated queue created with WQ_MEM_RECLAIM instead of ${q.queue}.`, chain: link.chain, cite: [HISTORY.dedicatedReclaimQueue, "workqueue-doc"] });
        continue;
      }
      const data = { call: `${q.call}()`, fn: q.view.name, work: q.workName, to: q.queue, role: role.label };
      if (link.complete) {
        reports.push({ ...base, messageId: "systemFromRole", data: { ...data, link: chainText(link.chain) }, fix: `Queue ${q.workName} on a dedicated queue created with WQ_MEM_RECLAIM instead of ${q.queue}.`, chain: link.chain, cite: [HISTORY.dedicatedReclaimQueue, "workqueue-doc"] });
        continue;
      }
      reports.push({ ...base, messageId: "systemFromRoleUnknown", severity: "info", data, fix: `If ${q.workName} completes the IO, queue it on a dedicated queue created with WQ_MEM_RECLAIM instead of ${q.queue}.`, chain: link.chain, unknowns: link.unknown ? [link.unknown] : [] });
    }
    return reports;
  },
};

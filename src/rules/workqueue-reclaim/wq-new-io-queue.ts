// wq-new-io-queue: a new workqueue without WQ_MEM_RECLAIM whose work IO or
// reclaim waits on. From the workqueue analysis: the new call's own flags
// (literal, macro, variable), and a link from the queue to IO — its work
// completes IO or writes back, runs a kernel callback IO or reclaim waits on
// through its ops field (`->queue_rq()`, a GPU scheduler's `->run_job()`,
// whose fences reclaim waits for), it is queued from a function the block
// layer hands requests or recovery to, or reclaim-side code flushes it. Names
// of queues, functions and files play no part.
import { runsInSoftirq, workqueueAnalysis, type WaitLink } from "../../context/workqueues.js";
import type { Report, Rule } from "../../types.js";
import { chainText } from "../util/phrases.js";
import { HISTORY } from "../../vocab/history.js";

export const rule: Rule = {
  meta: {
    id: "wq-new-io-queue",
    class: "workqueue-reclaim",
    severity: "warning",
    description: "a new workqueue without WQ_MEM_RECLAIM whose work completes IO, takes requests from the block layer, runs a callback IO or reclaim waits on, or is flushed by reclaim",
    docs: {
      why:
        "Work that completes IO or writeback, or runs the callbacks that do (a block driver's queue_rq, a GPU " +
        "scheduler's run_job, whose fences shrinkers and mmu notifiers wait for), is work memory reclaim ends up waiting on. Without " +
        "WQ_MEM_RECLAIM the queue has no rescuer thread, so when no new kworker can be created under " +
        "memory pressure the completion never runs and reclaim waits forever. Workqueue documentation: " +
        "every queue that may be used on the memory-reclaim path must set the flag.",
      fix:
        "Create the queue with WQ_MEM_RECLAIM. If it deliberately has none (a stacked-IO back end whose " +
        "worker runs under memalloc_noio_save()), say so in a comment beside the allocation.",
      quiet:
        "Queues created with WQ_MEM_RECLAIM, BH queues (WQ_BH: their work runs in softirq, no worker to wait for), queues whose work shows no link to IO or reclaim, an existing " +
        "queue reformatted or moved. Flags that are not visible, or work whose function is not, are named " +
        "at info.",
    },
    messages: {
      noRescuer:
        "new workqueue {{queue}} has no WQ_MEM_RECLAIM, but IO or reclaim waits on its work ({{link}}): when no worker can be created under memory pressure that work never runs, and what waits on it never finishes",
      noRescuerNoio:
        "new workqueue {{queue}} has no WQ_MEM_RECLAIM and IO waits on its work ({{link}}); {{fn}}() runs under memalloc_noio_save(), as a back end that chose no rescuer does: say why in a comment, or add the flag",
      flagsUnknown:
        "new workqueue {{queue}}: IO or reclaim waits on its work ({{link}}), so it needs WQ_MEM_RECLAIM; whether {{flags}} includes it is not known here",
      linkUnknown:
        "new workqueue {{queue}} has no WQ_MEM_RECLAIM and its work is queued from {{role}} ({{link}}): if that work completes the IO, reclaim can wait on it forever",
    },
    knowledge: ["workqueue-doc", HISTORY.dedicatedReclaimQueue, HISTORY.backendIoQueues, HISTORY.driverQueueUsage],
    scope: "line",
    needles: ["workqueue"],
  },
  check(ctx) {
    const a = workqueueAnalysis(ctx);
    const reports: Report[] = [];
    for (const nq of a.newQueues()) {
      if (nq.flags.memReclaim === true || runsInSoftirq(nq.flags)) continue; // (a BH queue runs its work in softirq: no rescuer needed)
      const link: WaitLink | null = a.waitLink(nq.site.view.path, nq.queue, "post");
      if (!link) continue;
      const base = { file: nq.site.view.path, line: nq.line, identifiers: [nq.site.ev.callee, ...(link.call ? [link.call] : [])] };
      const call = nq.site.ev.callee;
      const fix = `Create ${nq.queue.label} with WQ_MEM_RECLAIM (add it to ${nq.flags.text || "the flags"} in the ${call}() call).`;
      const chain = [...link.chain];
      if (!link.complete) {
        if (nq.flags.memReclaim !== false) continue; // two facts missing: say nothing
        reports.push({ ...base, messageId: "linkUnknown", severity: "info", data: { queue: nq.queue.label, role: link.role ? `${link.role.root}() (${link.role.label})` : "an IO path", link: chainText(link.chain) }, fix, chain, unknowns: link.unknown ? [link.unknown] : [] });
        continue;
      }
      if (nq.flags.memReclaim === null) {
        reports.push({ ...base, messageId: "flagsUnknown", severity: "info", data: { queue: nq.queue.label, link: chainText(link.chain), flags: nq.flags.text }, fix, chain, unknowns: [nq.flags.unknown ?? `the value of ${nq.flags.text}`] });
        continue;
      }
      const noio = a.workOf(nq.site.view.path, nq.queue.key, "post").map((w) => a.behaviour(w.file, w.fn, "post")).find((b) => b.noio);
      if (noio) {
        reports.push({ ...base, messageId: "noRescuerNoio", severity: "info", data: { queue: nq.queue.label, link: chainText(link.chain), fn: noio.fn }, fix: `Add WQ_MEM_RECLAIM to ${nq.queue.label}, or say beside the ${call}() call why its work may wait for a worker under memory pressure.`, chain, cite: [HISTORY.backendIoQueues, "workqueue-doc"] });
        continue;
      }
      reports.push({ ...base, messageId: "noRescuer", data: { queue: nq.queue.label, link: chainText(link.chain) }, fix, chain, cite: ["workqueue-doc", HISTORY.dedicatedReclaimQueue] });
    }
    return reports;
  },
};

// wq-new-io-queue: a new workqueue without WQ_MEM_RECLAIM whose name or work
// says it completes IO or writeback.
import { getFacts, type ContextFacts } from "../../context/facts.js";
import type { Patch, Report, Rule } from "../../types.js";
import { callsOn } from "../util/code.js";
import { newSideLines } from "../util/diff.js";
import { flagLine, flagSitePairs, ioWordIn, lastMember, queueCallsOn } from "../util/wq-sites.js";

/** Calls that complete block or page IO: work that calls them finishes IO others wait on. */
export const IO_COMPLETERS = new Set([
  "bio_endio",
  "blk_mq_end_request",
  "blk_mq_complete_request",
  "blk_end_request",
  "blk_end_request_all",
  "__blk_mq_end_request",
  "end_page_writeback",
  "folio_end_writeback",
  "end_buffer_async_write",
  "end_buffer_write_sync",
  "scsi_done",
  "nvme_complete_rq",
  "iomap_finish_ioends",
]);

/** Flags arguments made only of WQ_* constants and numbers: anything else might hide WQ_MEM_RECLAIM. */
const PLAIN_FLAGS = /^[\s()|0-9]*(?:_{0,2}WQ_\w+[\s()|0-9]*)*$/;

interface WorkFacts {
  /** work member name -> functions bound with INIT_WORK & co. */
  workFn: Map<string, Set<string>>;
  /** function name -> the calls its new-side lines make */
  calls: Map<string, Set<string>>;
  /** queue member name -> work member names queued on it */
  queued: Map<string, Set<string>>;
}

function add(map: Map<string, Set<string>>, k: string, v: string): void {
  let s = map.get(k);
  if (!s) map.set(k, (s = new Set()));
  s.add(v);
}

function workFacts(patch: Patch): WorkFacts {
  const f: WorkFacts = { workFn: new Map(), calls: new Map(), queued: new Map() };
  const lines = newSideLines(patch);
  for (const v of lines) {
    const init = v.code.includes("_WORK") ? /\b(?:INIT_WORK|INIT_DELAYED_WORK|INIT_WORK_ONSTACK|INIT_RCU_WORK|DECLARE_WORK|DECLARE_DELAYED_WORK)\s*\(\s*&?([^,]+),\s*([A-Za-z_]\w*)\s*\)/.exec(v.code) : null;
    if (init) add(f.workFn, lastMember(init[1]!.replace(/\.work$/, "")), init[2]!);
    if (!v.code.includes("work")) continue; // every queueing call names *work*
    for (const q of queueCallsOn(v.code)) {
      if (q.queue) add(f.queued, lastMember(q.queue), lastMember(q.work.replace(/\.work$/, "")));
    }
  }
  // calls are only ever read for bound work functions
  const bound = new Set<string>();
  for (const fns of f.workFn.values()) for (const fn of fns) bound.add(fn);
  if (bound.size > 0) for (const v of lines) if (v.fn && bound.has(v.fn)) for (const c of callsOn(v.code)) add(f.calls, v.fn, c);
  return f;
}

/** The work function queued on `queue` that completes IO, with the call, or null. */
function completingWork(facts: WorkFacts, queue: string): { fn: string; call: string } | null {
  for (const work of facts.queued.get(queue) ?? []) {
    for (const fn of facts.workFn.get(work) ?? []) {
      for (const c of facts.calls.get(fn) ?? []) if (IO_COMPLETERS.has(c)) return { fn, call: c };
    }
  }
  return null;
}

/**
 * With source context: a work function queued on `queue` (a queue key, the
 * last identifier of the variable) anywhere in the file's directory that
 * reaches an IO-completing call within three calls.
 */
function completingWorkInTree(facts: ContextFacts, path: string, queue: string): { fn: string; call: string; chain: string[] } | null {
  const files = [path, ...facts.neighbours(path)];
  const works = new Set<string>();
  for (const f of files) for (const q of facts.fileFacts(f)?.queued ?? []) if (q.queue === queue) works.add(q.work);
  if (works.size === 0) return null;
  // a work function is often static: search from the file that binds it
  const fns = new Map<string, string>();
  for (const f of files) for (const w of facts.fileFacts(f)?.works ?? []) if (works.has(w.key) && !fns.has(w.fn)) fns.set(w.fn, f);
  for (const [fn, file] of fns) {
    const hit = facts.chainTo(file, fn, (site) => IO_COMPLETERS.has(site.callee), { maxDepth: 3, budgetMs: 50 });
    if (hit) return { fn, call: hit.site.callee, chain: hit.chain };
  }
  return null;
}

export const rule: Rule = {
  meta: {
    id: "wq-new-io-queue",
    class: "workqueue-reclaim",
    severity: "info",
    description: "new workqueue without WQ_MEM_RECLAIM whose name or work suggests IO completion or writeback",
    docs: {
      why:
        "Work that completes IO or writeback is work memory reclaim ends up waiting on. Without " +
        "WQ_MEM_RECLAIM the queue has no rescuer thread, so when no new kworker can be created under " +
        "memory pressure the completion never runs and reclaim waits forever. Workqueue " +
        "documentation: every queue that may be used on the memory-reclaim path must set the flag.",
      fix:
        "If reclaim or IO forward progress depends on this queue's work, create it with " +
        "WQ_MEM_RECLAIM. If it deliberately has none (a stacked-IO submission queue, like NFS " +
        "localio's nfslocaliod or loop's workers, which set PF_MEMALLOC_NOIO in the worker), say so in " +
        "a comment beside the allocation.",
      quiet:
        "Queues whose flags come from a variable or macro we cannot see, queues created with " +
        "WQ_MEM_RECLAIM, names without an IO word, an existing queue reformatted or moved.",
    },
    messages: {
      byName:
        "new workqueue {{queue}} has no WQ_MEM_RECLAIM, but its name says \"{{word}}\": if memory reclaim waits on its IO or writeback work, it needs a rescuer thread",
      byWork:
        "new workqueue {{queue}} has no WQ_MEM_RECLAIM, but its work {{fn}}() completes IO ({{call}}()): reclaim may wait on that completion, so the queue needs a rescuer thread",
    },
    knowledge: ["workqueue-doc", "bcache-journal-wq-2019", "nfs-localio-workqueues-2024", "md-workqueue-2010"],
    scope: "line",
    needles: ["workqueue"],
  },
  check({ patch, source }) {
    const reports: Report[] = [];
    const tree = getFacts(source);
    let facts: WorkFacts | null = null;
    for (const { now, before } of flagSitePairs(patch)) {
      if (!now || before || now.kind !== "alloc" || now.use !== "none") continue;
      if (now.flagsArg === null) continue;
      if (!PLAIN_FLAGS.test(now.flagsArg)) {
        // flags from a macro or variable: only the source context can tell they lack WQ_MEM_RECLAIM
        const known = tree && now.lhs ? tree.queueFlags(now.stmt.file.path, now.lhs) : null;
        if (!known || known.memReclaim !== false) continue;
      }
      const line = flagLine(now.stmt, /\b(?:alloc_workqueue|alloc_ordered_workqueue|devm_alloc_workqueue|devm_alloc_ordered_workqueue)\b/);
      if (line === null) continue;
      const queue = now.name ? `"${now.name}"` : (now.lhs ?? "queue");
      facts ??= workFacts(patch);
      const work: { fn: string; call: string; chain?: string[] } | null =
        (now.lhs ? completingWork(facts, lastMember(now.lhs)) : null) ??
        (tree && now.lhs ? completingWorkInTree(tree, now.stmt.file.path, lastMember(now.lhs)) : null);
      if (work) {
        reports.push({
          messageId: "byWork",
          data: { queue, fn: work.fn, call: work.call },
          file: now.stmt.file.path,
          line,
          chain: [now.lhs ?? queue, ...(work.chain ?? [work.fn, work.call])],
          identifiers: [now.api!, work.fn, work.call],
        });
        continue;
      }
      const word = ioWordIn(now.name) ?? (now.lhs ? ioWordIn(lastMember(now.lhs)) : null);
      if (!word) continue;
      reports.push({
        messageId: "byName",
        data: { queue, word },
        file: now.stmt.file.path,
        line,
        identifiers: [now.api!],
      });
    }
    return reports;
  },
};

// Worker thread of the audit: audits the directories the main thread sends.
import { getHeapStatistics } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import type { ReviewConfig } from "../config.js";
import { loadKnowledge } from "../knowledge/load.js";
import { ALL_RULES } from "../rules/index.js";
import { errorMessage } from "../errors.js";
import { auditDirectory, type DirJob } from "./audit-run.js";
import { forgetMemos } from "./memos.js";

const data = workerData as { root: string; ruleIds: string[]; config: ReviewConfig };
const rules = ALL_RULES.filter((r) => data.ruleIds.includes(r.meta.id));
const kb = loadKnowledge();

/** After a directory: the memos forgotten (audit-run.ts), and the heap in use (the main thread replaces a worker that grew too big). */
function heapAfter(): number {
  const heap = getHeapStatistics().used_heap_size;
  forgetMemos();
  return heap;
}

parentPort!.on("message", (job: DirJob) => {
  auditDirectory(data.root, job, rules, data.config, kb).then(
    (result) => parentPort!.postMessage({ ok: true, result, heap: heapAfter() }),
    (err: unknown) => parentPort!.postMessage({ ok: false, error: `${job.dir}: ${errorMessage(err)}`, heap: heapAfter() }),
  );
});

// Worker thread of the audit: audits the directories the main thread sends.
import { getHeapStatistics } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import type { ReviewConfig } from "../config.js";
import { loadKnowledge } from "../knowledge/load.js";
import { ALL_RULES } from "../rules/index.js";
import { errorMessage } from "../errors.js";
import { auditDirectory, type DirJob } from "./audit-run.js";

const data = workerData as { root: string; ruleIds: string[]; config: ReviewConfig };
const rules = ALL_RULES.filter((r) => data.ruleIds.includes(r.meta.id));
const kb = loadKnowledge();

parentPort!.on("message", (job: DirJob) => {
  auditDirectory(data.root, job, rules, data.config, kb).then(
    // with the heap in use, so that the main thread can replace a worker that grew too big (audit-run.ts)
    (result) => parentPort!.postMessage({ ok: true, result, heap: getHeapStatistics().used_heap_size }),
    (err: unknown) => parentPort!.postMessage({ ok: false, error: `${job.dir}: ${errorMessage(err)}`, heap: getHeapStatistics().used_heap_size }),
  );
});

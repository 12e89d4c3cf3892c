// The mail bot's review, as it runs in a worker thread (src/workers/pool.ts):
// one parsed patch and the review config in, its PatchReview out.
import { workerData } from "node:worker_threads";
import type { ReviewConfig } from "../config.js";
import type { KnowledgeBase } from "../knowledge/base.js";
import { loadKnowledge } from "../knowledge/load.js";
import { readyToReview, review } from "../pipeline.js";
import type { Patch, PatchReview } from "../types.js";
import { serveTasks } from "../workers/pool.js";

export interface MailReviewInput {
  patch: Patch;
  config: ReviewConfig;
}

let kb: KnowledgeBase | null = null;

/** The knowledge base and the C grammar the analysis needs, loaded once before the first task. */
export async function warmUp(): Promise<void> {
  kb ??= loadKnowledge();
  await readyToReview();
}

export function handle(input: MailReviewInput): PatchReview {
  kb ??= loadKnowledge();
  return review({ patches: [input.patch], covers: [], problems: [] }, null, input.config, kb).reviews[0]!;
}

serveTasks(handle, workerData, warmUp);

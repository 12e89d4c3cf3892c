// Every test process: the C parser the reclaim-context analysis needs, loaded once (review() is synchronous after it).
import { beforeAll } from "vitest";
import { readyToReview } from "../src/pipeline.js";

beforeAll(async () => {
  await readyToReview();
});

// Rules of this folder, sorted by id. Explicit list: no filesystem scan.
import type { Rule } from "../../types.js";
import { rule as reclaimWaitsOnWork } from "./reclaim-waits-on-work.js";
import { rule as shrinkerBlocking } from "./shrinker-blocking.js";
import { rule as shrinkerGfpTest } from "./shrinker-gfp-test.js";
import { rule as shrinkerInTrace } from "./shrinker-in-trace.js";

export const rules: Rule[] = [reclaimWaitsOnWork, shrinkerBlocking, shrinkerGfpTest, shrinkerInTrace];

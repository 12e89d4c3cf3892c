// Rules of this folder, sorted by id. Explicit list: no filesystem scan.
import type { Rule } from "../../types.js";
import { rule as wqAllocArgs } from "./wq-alloc-args.js";
import { rule as wqLegacyConverted } from "./wq-legacy-converted.js";
import { rule as wqMemReclaimAdded } from "./wq-mem-reclaim-added.js";
import { rule as wqMemReclaimRemoved } from "./wq-mem-reclaim-removed.js";
import { rule as wqNewIoQueue } from "./wq-new-io-queue.js";

export const rules: Rule[] = [wqAllocArgs, wqLegacyConverted, wqMemReclaimAdded, wqMemReclaimRemoved, wqNewIoQueue];

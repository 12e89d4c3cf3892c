// Rules that need source context (--tree, PR head files), sorted by id.
import type { Rule } from "../../types.js";
import { rule as wqFlushDependency } from "./wq-flush-dependency.js";

export const rules: Rule[] = [wqFlushDependency];

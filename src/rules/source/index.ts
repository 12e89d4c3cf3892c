// Rules that need source context (--tree, PR head files), sorted by id.
import type { Rule } from "../../types.js";

export const rules: Rule[] = [];

// Rules of this folder, sorted by id. Explicit list: no filesystem scan.
import type { Rule } from "../../types.js";

export const rules: Rule[] = [];

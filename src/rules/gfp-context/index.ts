// Rules of this folder, sorted by id. Explicit list: no filesystem scan.
import type { Rule } from "../../types.js";
import { rule as mappingGfpMask } from "./mapping-gfp-mask.js";

export const rules: Rule[] = [mappingGfpMask];

// Rules of this folder, sorted by id. Explicit list: no filesystem scan.
import type { Rule } from "../../types.js";
import { rule as flushWarningQuoted } from "./flush-warning-quoted.js";
import { rule as reclaimCallTrace } from "./reclaim-call-trace.js";

export const rules: Rule[] = [flushWarningQuoted, reclaimCallTrace];

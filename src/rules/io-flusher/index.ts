// Rules of this folder, sorted by id. Explicit list: no filesystem scan.
import type { Rule } from "../../types.js";
import { rule as ioFlusherMissing } from "./io-flusher-missing.js";
import { rule as ioFlusherPrctlArg } from "./io-flusher-prctl-arg.js";

export const rules: Rule[] = [ioFlusherMissing, ioFlusherPrctlArg];

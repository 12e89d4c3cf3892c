// Rules of this folder, sorted by id. Explicit list: no filesystem scan.
import type { Rule } from "../../types.js";
import { rule as backendFrontendIo } from "./backend-frontend-io.js";

export const rules: Rule[] = [backendFrontendIo];

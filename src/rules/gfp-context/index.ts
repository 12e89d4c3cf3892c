// Rules of this folder, sorted by id. Explicit list: no filesystem scan.
import type { Rule } from "../../types.js";
import { rule as allocInFenceSignalling } from "./alloc-in-fence-signalling.js";
import { rule as allocInReclaimWork } from "./alloc-in-reclaim-work.js";
import { rule as allocWhileHolding } from "./alloc-while-holding.js";
import { rule as gfpArgMisplaced } from "./gfp-arg-misplaced.js";
import { rule as gfpKernelInIoPath } from "./gfp-kernel-in-io-path.js";
import { rule as ignoresGfpParam } from "./ignores-gfp-param.js";
import { rule as lockTakenInReclaim } from "./lock-taken-in-reclaim.js";
import { rule as lockdepReclaimPrime } from "./lockdep-reclaim-prime.js";
import { rule as mappingGfpMask } from "./mapping-gfp-mask.js";
import { rule as mappingMaskIgnored } from "./mapping-mask-ignored.js";
import { rule as maskFromTask } from "./mask-from-task.js";
import { rule as maskPassedThrough } from "./mask-passed-through.js";
import { rule as maskRestrictionLost } from "./mask-restriction-lost.js";
import { rule as maskWeakerThanSibling } from "./mask-weaker-than-sibling.js";
import { rule as memallocFlagsDirect } from "./memalloc-flags-direct.js";
import { rule as newNofsNoioMask } from "./new-nofs-noio-mask.js";
import { rule as nofsToKernel } from "./nofs-to-kernel.js";
import { rule as scopeConversion } from "./scope-conversion.js";
import { rule as taskTestInReclaim } from "./task-test-in-reclaim.js";
import { rule as unbalancedScope } from "./unbalanced-scope.js";

export const rules: Rule[] = [allocInFenceSignalling, allocInReclaimWork, allocWhileHolding, gfpArgMisplaced, gfpKernelInIoPath, ignoresGfpParam, lockTakenInReclaim, lockdepReclaimPrime, mappingGfpMask, mappingMaskIgnored, maskFromTask, maskPassedThrough, maskRestrictionLost, maskWeakerThanSibling, memallocFlagsDirect, newNofsNoioMask, nofsToKernel, scopeConversion, taskTestInReclaim, unbalancedScope];

// mask-passed-through: an allocation whose written-out mask let reclaim into
// the filesystem and IO (GFP_KERNEL) now takes a mask it is given: the
// function's gfp_t parameter, or a variable that holds a mask. Topic
// recognition of the commonest fix of a dropped caller mask: a caller's
// GFP_NOFS/GFP_NOIO (or an atomic mask) now reaches the allocation. Said at
// info, with whether the variable was seen to be a parameter.
import { looksLikeGfpVariable } from "../../context/gfp.js";
import { reclaimAnalysis } from "../../context/reclaim.js";
import { gfpParam } from "../util/sites.js";
import type { Report, Rule } from "../../types.js";
import { allocationNeedles } from "../../vocab/kernel-api.js";

export const rule: Rule = {
  meta: {
    id: "mask-passed-through",
    class: "gfp-context",
    severity: "info",
    description: "An allocation's written-out GFP_KERNEL replaced by the mask the function is given (its gfp_t parameter or a mask variable)",
    docs: {
      why:
        "A helper that allocates with GFP_KERNEL whatever its callers pass drops their statement of the context: a " +
        "caller under a transaction or in the IO path that passes GFP_NOFS or GFP_NOIO still gets reclaim into the " +
        "filesystem and IO below it. Passing the caller's mask through is the usual fix, and it moves the reclaim " +
        "context of this allocation to whatever each caller passes.",
      fix:
        "Check that every caller passes the mask its own context needs (a caller that passed GFP_KERNEL for a " +
        "different reason now decides this allocation too), and that mask bits the allocator must not see are cleared " +
        "on the way (for example `gfp & GFP_RECLAIM_MASK`).",
      quiet: "Masks that were already the parameter, written-out masks that were stricter than GFP_KERNEL, and new allocations.",
    },
    messages: {
      passed:
        "{{was}} -> {{now}} for {{call}}() in {{fn}}(): the allocation now follows the mask {{whose}}, so a caller's GFP_NOFS/GFP_NOIO (or atomic mask) reaches it where it allowed reclaim into the filesystem and IO before{{more}}",
    },
    knowledge: ["gfp-fs-io-doc", "memalloc-nofs-api-2017"],
    scope: "line",
    needles: allocationNeedles(),
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    if (a.mode === "audit") return [];
    const reports: Report[] = [];
    const perFn = new Map<string, Report>();
    for (const site of a.allocations()) {
      if (!site.added || site.through) continue;
      const now = (site.ev.info as { gfpText?: string | null }).gfpText?.replace(/\s+/g, " ").trim() ?? "";
      const was = a.before(site);
      if (!now || was === null || was.info.kind !== "alloc") continue;
      const wasMask = was.info.mask;
      // before: a named mask that let reclaim into the filesystem and IO
      if (wasMask.name === null || wasMask.fs !== true || wasMask.io !== true) continue;
      const param = gfpParam(site)?.name ?? null;
      const variable = passedVariable(now, param);
      if (!variable) continue;
      const key = `${site.fn.path}:${site.fn.name}`;
      const earlier = perFn.get(key);
      if (earlier) {
        const n = Number(earlier.data!.count) + 1;
        earlier.data!.count = n;
        earlier.data!.more = ` (and ${n - 1} more allocation${n - 1 === 1 ? "" : "s"} of ${site.fn.name}())`;
        continue;
      }
      const r: Report = {
        file: site.fn.path,
        line: site.at,
        identifiers: [site.ev.callee, wasMask.name, variable],
        messageId: "passed",
        data: {
          was: wasMask.name,
          now,
          call: site.ev.callee,
          fn: site.fn.name,
          whose: param === variable ? `its callers pass as "${variable}" (a gfp_t parameter of ${site.fn.name}())` : `held in "${variable}" (${site.fn.whole ? "not a parameter of the function" : "where it comes from is not in the lines shown"})`,
          count: 1,
          more: "",
        },
        fix: `Check that every caller of ${site.fn.name}() passes the mask its own context needs${param === variable ? "" : `, and where ${variable} is set`}.`,
        ...(param === variable ? {} : { unknowns: [`where ${variable} comes from`] }),
      };
      perFn.set(key, r);
      reports.push(r);
    }
    return reports;
  },
};

/** The mask variable a mask expression is built on: the gfp_t parameter, or one variable that looks like a mask. */
function passedVariable(expr: string, param: string | null): string | null {
  const words: string[] = expr.match(/[A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)*/g) ?? [];
  if (param && words.includes(param)) return param;
  const vars = words.filter((w) => !/^(?:__)?GFP_/.test(w) && looksLikeGfpVariable(w));
  return vars.length === 1 ? vars[0]! : null;
}

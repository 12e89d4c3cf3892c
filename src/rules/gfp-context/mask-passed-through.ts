// mask-passed-through: an allocation whose written-out mask let reclaim into
// the filesystem and IO (GFP_KERNEL) now takes a mask it is given: the
// function's gfp_t parameter, or a variable that holds a mask. Topic
// recognition of the commonest fix of a dropped caller mask: a caller's
// GFP_NOFS/GFP_NOIO (or an atomic mask) now reaches the allocation. Said at
// info, with whether the variable was seen to be a parameter.
import { evalMask, looksLikeGfpVariable } from "../../context/gfp.js";
import { firstChanged, reclaimAnalysis, touchesLines, type FnView } from "../../context/reclaim.js";
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
      quiet:
        "Masks that were already the parameter, written-out masks that were stricter than GFP_KERNEL, and new allocations. " +
        "A call the vocabulary does not know as an allocator counts when it takes the mask (a helper that allocates or " +
        "reclaims with it).",
    },
    messages: {
      passedOn:
        "{{was}} -> {{now}} for {{call}}() in {{fn}}(): the gfp mask {{call}}() is given is now the one {{whose}}, so a caller's GFP_NOFS/GFP_NOIO (or atomic mask) reaches what {{call}}() allocates or reclaims with it, where reclaim into the filesystem and IO was allowed before",
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
      const param = gfpParam(site.fn)?.name ?? null;
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
          whose: whose(site.fn, variable, param === variable),
          count: 1,
          more: "",
        },
        ...askCallers(site.fn, variable, param === variable),
      };
      perFn.set(key, r);
      reports.push(r);
    }
    // the same change at a call that is not an allocation the vocabulary knows but takes a mask (a helper of the code
    // that allocates or reclaims with it: `foo_reclaim(x, n, GFP_KERNEL)` -> `foo_reclaim(x, n, gfp_mask)`)
    for (const v of a.post()) {
      const changed = a.changedIn(v);
      if (changed.size === 0 || perFn.has(`${v.path}:${v.name}`)) continue;
      const param = gfpParam(v)?.name ?? null;
      for (const e of v.flow.events) {
        if (e.info.kind !== "call" || !touchesLines(changed, e.line, e.endLine ?? e.line)) continue;
        const at = e.args.findIndex((x) => passedVariable(x.trim(), param) !== null && !/\bGFP_/.test(x));
        if (at < 0) continue;
        const now = e.args[at]!.replace(/\s+/g, " ").trim();
        // the old call of the same function passed a written-out mask there that let reclaim into the filesystem and IO
        const old = a.preViewsOf(v.path, v.name).flatMap((o) => o.flow.events.filter((b) => b.callee === e.callee && touchesLines(o.changed, b.line, b.endLine ?? b.line) && b.args.length === e.args.length));
        const was = old.map((b) => evalMask(b.args[at] ?? "")).find((m) => m.name !== null && m.fs === true && m.io === true);
        if (!was) continue;
        const variable = passedVariable(now, param)!;
        const isParam = variable === param;
        const r: Report = {
          file: v.path,
          line: firstChanged(changed, e.line, e.endLine ?? e.line) ?? e.line,
          identifiers: [e.callee, was.name!, variable],
          messageId: "passedOn",
          data: {
            was: was.name!,
            now,
            call: e.callee,
            fn: v.name,
            whose: whose(v, variable, isParam),
          },
          ...askCallers(v, variable, isParam),
        };
        perFn.set(`${v.path}:${v.name}`, r);
        reports.push(r);
        break;
      }
    }
    return reports;
  },
};

/** Where the mask now comes from: the function's gfp_t parameter, or a variable (whose origin is said). */
function whose(fn: FnView, variable: string, isParam: boolean): string {
  return isParam ? `its callers pass as "${variable}" (a gfp_t parameter of ${fn.name}())` : `held in "${variable}" (${fn.whole ? "not a parameter of the function" : "where it comes from is not in the lines shown"})`;
}

/** The fix (and what is unknown) of a mask that now comes from the callers or a variable. */
function askCallers(fn: FnView, variable: string, isParam: boolean): Pick<Report, "fix" | "unknowns"> {
  return {
    fix: `Check that every caller of ${fn.name}() passes the mask its own context needs${isParam ? "" : `, and where ${variable} is set`}.`,
    ...(isParam ? {} : { unknowns: [`where ${variable} comes from`] }),
  };
}

/** The mask variable a mask expression is built on: the gfp_t parameter, or one variable that looks like a mask. */
function passedVariable(expr: string, param: string | null): string | null {
  const words: string[] = expr.match(/[A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)*/g) ?? [];
  if (param && words.includes(param)) return param;
  const vars = words.filter((w) => !/^(?:__)?GFP_/.test(w) && looksLikeGfpVariable(w));
  return vars.length === 1 ? vars[0]! : null;
}

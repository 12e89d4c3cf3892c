// ignores-gfp-param: an allocation the patch adds (or loosens) with a mask
// written out (GFP_KERNEL) in a function that takes a gfp_t parameter. The
// parameter is how callers say what the context allows (GFP_NOFS under a
// transaction, GFP_NOIO in the IO path, GFP_ATOMIC under a spinlock); an
// allocation that ignores it does what the caller asked it not to. With a
// source tree the callers are read: a warning names one that passes a
// stricter mask, and the rule is quiet when every caller passes what the
// allocation uses. A function the patch adds has no callers but the patch's
// own calls, read from its lines with or without a tree. The same holds for
// a call the patch adds, made without the parameter, to a helper that
// allocates with such a mask itself (a helper the patch adds, which takes no
// gfp_t) or a few calls down (a function of the source tree).
import { reclaimAnalysis, type CallerFacts, type FnView } from "../../context/reclaim.js";
import { evalMask, type Mask } from "../../context/gfp.js";
import type { Patch, Report, Rule } from "../../types.js";
import { callArguments } from "../../context/c-lines.js";
import { sourceNewSide } from "../util/diff.js";
import { allocationNeedles } from "../../vocab/kernel-api.js";
import { allocText, chainText } from "../util/phrases.js";
import { gfpParam, judgedByHazardRules } from "../util/sites.js";

export const rule: Rule = {
  meta: {
    id: "ignores-gfp-param",
    class: "gfp-context",
    severity: "warning",
    description: "A new allocation with a written-out mask (GFP_KERNEL) in a function whose gfp_t parameter says what its callers allow, made there or by a helper it newly calls without the parameter",
    docs: {
      why:
        "A gfp_t parameter is the caller's statement of the context: GFP_NOFS because it holds a transaction or a lock " +
        "a shrinker takes, GFP_NOIO because it serves IO reclaim may wait on, GFP_ATOMIC under a spinlock. An allocation " +
        "in the function that uses GFP_KERNEL instead can enter the reclaim the caller ruled out and deadlock on what the " +
        "caller holds. Bugs of this shape were fixed by passing the mask through (the caller's mask was dropped on the " +
        "way down).",
      fix:
        "Pass the parameter to the allocation (or derive the mask from it, e.g. `gfp & ~__GFP_DIRECT_RECLAIM`). If the " +
        "allocation really must differ, say why in a comment, or drop the parameter when every caller passes GFP_KERNEL.",
      quiet:
        "Masks stricter than GFP_KERNEL (GFP_NOFS, GFP_NOIO, atomic ones), masks derived from the parameter, allocations " +
        "the patch did not add or loosen, allocations another rule already judges by a role, a held lock or handle (not one it " +
        "only notes because its destination field is tested for empty first), and (with a source tree) functions " +
        "every caller of which passes a mask that allows what the allocation does; so is a function the patch adds whose " +
        "calls in the patch (its only callers: it did not exist before) all pass such a mask.",
    },
    messages: {
      ignored:
        "{{alloc}} in {{fn}}() ignores its gfp_t parameter \"{{param}}\": {{callers}}; the allocation can {{what}} where the caller ruled it out",
    },
    knowledge: ["gfp-fs-io-doc", "memalloc-nofs-api-2017"],
    scope: "line",
    needles: allocationNeedles(),
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    const reports: Report[] = [];
    if (a.mode === "audit") return reports; // what a patch adds
    const seen = new Set<string>();
    // one allocation that does not take the function's gfp_t: said unless every caller passes a mask that allows it
    const judge = (host: FnView, param: { name: string; index: number }, at: number, alloc: string, m: Mask, fixWhat: string, callee: string) => {
      const k = `${host.path}:${at}`;
      if (seen.has(k)) return;
      // a patch the tree does not apply to: the callers of the tree's version of the function; a function in a file
      // the patch adds (and deletes nowhere else: not moved) did not exist before, so the patch's calls are all its callers
      const fresh = host.whole && newInPatch(ctx.patch, host) ? patchCallers(ctx.patch, host) : null;
      const callers = fresh ?? (host.whole || a.readInTree(host) ? a.callers(host) : patchCallers(ctx.patch, host));
      const inTree = host.whole || !a.readInTree(host) ? "" : " in the source tree's version of the code, which the patch does not apply to";
      const stricter = callers ? stricterCaller(callers, param.index, m) : null;
      // every caller read passes a known mask that allows all this allocation does: nothing ruled out
      const allKnown = callers !== null && callers.paths.every((p) => p.args[param.index] !== undefined && evalMask(p.args[param.index]!).fs !== null && evalMask(p.args[param.index]!).io !== null);
      if (callers && callers.complete && callers.paths.length > 0 && allKnown && !stricter) return;
      seen.add(k);
      const what = stricter ? (stricter.mask.reclaim === false ? "sleep in reclaim" : stricter.mask.io === false ? "start IO" : "call into the filesystem") : "recurse into reclaim";
      reports.push({
        file: host.path,
        line: at,
        identifiers: [callee, m.name ?? m.text, param.name],
        messageId: "ignored",
        data: {
          alloc,
          fn: host.name,
          param: param.name,
          callers: stricter
            ? `${stricter.caller}() passes ${stricter.text} (${chainText(stricter.chain)})${inTree}`
            : callers && callers.searched
              ? `what its callers pass is not known here (not every caller was found${inTree}, or one passes its own variable)`
              : a.mode === "tree"
                ? `what the callers pass was not read (the patch does not apply to the tree, so ${host.name}() is read from the diff alone)`
                : `what the callers pass is not in the diff (a source tree would show them)`,
          what,
        },
        fix: fixWhat,
        chain: stricter ? [...stricter.chain.map((f) => `${f}()`), `${host.name}(${stricter.text})`, alloc] : [`${host.name}(gfp_t ${param.name})`, alloc],
        ...(stricter ? {} : { unknowns: [`what the callers of ${host.name}() pass as ${param.name}`] }),
      });
    };
    const mentions = (args: readonly string[], name: string) => args.some((x) => new RegExp(`\\b${name}\\b`).test(x));
    const sites = a.allocations();
    // the calls the patch adds in functions that take a gfp_t, by callee (read once: a helper's sites look them up)
    let addedCalls: Map<string, { host: FnView; param: { name: string; index: number }; e: FnView["flow"]["events"][number] }[]> | null = null;
    const callsOf = (callee: string) => {
      if (!addedCalls) {
        addedCalls = new Map();
        for (const host of a.post()) {
          const hp = gfpParam(host);
          if (!hp) continue;
          for (const e of host.flow.events) {
            if (e.info.kind !== "call" || !host.changed.has(e.line)) continue;
            const list = addedCalls.get(e.callee);
            if (list) list.push({ host, param: hp, e });
            else addedCalls.set(e.callee, [{ host, param: hp, e }]);
          }
        }
      }
      return addedCalls.get(callee) ?? [];
    };
    const helpersSeen = new Set<string>();
    for (const site of sites) {
      if (!site.added) continue;
      if (judgedByHazardRules(site)) continue; // another rule speaks
      const info = site.ev.info as { implicit?: boolean; gfpText?: string | null };
      if (info.implicit || !info.gfpText) continue;
      // a written-out mask that may sleep in reclaim with FS and IO allowed
      const m = site.mask;
      if (m.name === null || m.reclaim !== true || m.fs !== true || m.io !== true) continue;
      if (site.effective.fs === false && site.effective.io === false) continue; // a scope covers it
      const param = gfpParam(site.fn);
      if (site.through) {
        // a call to a function of the sources that allocates so, made without the parameter
        if (!param || mentions(site.ev.args, param.name)) continue;
        if ((site.ev.conds ?? []).some((c) => new RegExp(`\\b${param.name}\\b`).test(c))) continue;
        judge(site.fn, param, site.at, allocText(site), m, `Pass ${param.name} on to ${site.ev.callee}() (or open a scope from it around the call), instead of letting it allocate with ${m.name}.`, site.ev.callee);
        continue;
      }
      if (!param) {
        // a helper without a gfp_t that allocates so, called (on a line the patch adds) from a function that has one
        // and does not pass it: the helper's allocation ignores what that function's callers asked for
        // (one allocation per helper speaks: its first that qualifies)
        if (!/^[A-Za-z_]\w*$/.test(site.fn.name) || helpersSeen.has(`${site.fn.path}:${site.fn.name}`) || a.unchanged(site)) continue;
        helpersSeen.add(`${site.fn.path}:${site.fn.name}`);
        for (const { host, param: hp, e } of callsOf(site.fn.name)) {
          if (host.name === site.fn.name || mentions(e.args, hp.name)) continue;
          if (e.state.mustScopes.includes("nofs") || e.state.mustScopes.includes("noio")) continue;
          if ((e.conds ?? []).some((c) => new RegExp(`\\b${hp.name}\\b`).test(c))) continue;
          const alloc = `${site.fn.name}(), which allocates with ${m.name} (${allocText(site)} at line ${site.at})`;
          judge(host, hp, e.line, alloc, m, `Give ${site.fn.name}() a gfp_t and pass ${hp.name} to it (or derive its mask from ${hp.name}), instead of ${m.name}.`, site.fn.name);
        }
        continue;
      }
      // new, or the mask was the parameter before (passed through, now dropped)
      const was = a.before(site);
      const wasParam = was !== null && was.info.kind === "alloc" && new RegExp(`\\b${param.name}\\b`).test(was.info.gfpText ?? "");
      if (a.unchanged(site) && !wasParam) continue;
      // the branch the allocation is in is decided by the parameter (`if ((flags & __GFP_FS) == ...)`, often with a
      // scope opened for the caller's mask): the function reads what the caller asked for, it does not ignore it
      if ((site.ev.conds ?? []).some((c) => new RegExp(`\\b${param.name}\\b`).test(c))) continue;
      judge(site.fn, param, site.at, allocText(site), m, `Pass ${param.name} to ${site.ev.callee}() instead of ${m.name}.`, site.ev.callee);
    }
    return reports;
  },
};

/** A function of a file the patch adds, whose definition the patch deletes nowhere (not one moved from another file). */
function newInPatch(patch: Patch, fn: FnView): boolean {
  const file = patch.files.find((f) => f.path === fn.path);
  if (!file || file.status !== "added" || !/^[A-Za-z_]\w*$/.test(fn.name)) return false;
  const def = new RegExp(`^[A-Za-z_].*\\b${fn.name}\\s*\\([^;]*$`);
  return !patch.files.some((f) => f.hunks.some((h) => h.lines.some((l) => l.kind === "del" && def.test(l.text))));
}

/**
 * A function the patch adds (its definition line is an added line) and the patch calls: no caller of it
 * existed before, so its callers are the patch's own calls, read from the lines it shows (added and context),
 * each in the function the line view names. Null otherwise. A call split over lines passes arguments not read.
 */
function patchCallers(patch: Patch, fn: FnView): CallerFacts | null {
  if (!/^[A-Za-z_]\w*$/.test(fn.name) || !fn.flow.entryVisible || !fn.changed.has(fn.flow.start)) return null;
  const paths: CallerFacts["paths"] = [];
  const call = new RegExp(`(?<![\\w.>])${fn.name}\\s*\\(`, "g");
  for (const v of sourceNewSide(patch)) {
    const at = v.line.newLine;
    if (at === null || !v.code.includes(fn.name) || (v.file.path === fn.path && at >= fn.flow.start && at <= fn.flow.end)) continue;
    for (const m of v.code.matchAll(call)) {
      // a prototype or another definition (`void name(gfp_t gfp)`) is no call
      if (v.defines === fn.name || /\b(?:void|int|bool|long|unsigned|static|inline|extern|struct\s+\w+\s*\*?)\s*$/.test(v.code.slice(0, m.index))) continue;
      const args = callArguments(v.code, m.index! + m[0].length - 1) ?? [];
      paths.push({ chain: [v.fn ?? `a function of ${v.file.path}`], args, file: v.file.path, line: at, mustScopes: [], held: [], handleParams: [] });
    }
  }
  return paths.length > 0 ? { searched: true, complete: true, paths, everyScope: [] } : null;
}

/** A caller that passes a mask forbidding something the allocation's mask allows. */
function stricterCaller(callers: CallerFacts, index: number, used: Mask): { caller: string; text: string; chain: string[]; mask: Mask } | null {
  for (const p of callers.paths) {
    const arg = p.args[index];
    if (arg === undefined) continue;
    const passed = evalMask(arg);
    if ((passed.reclaim === false && used.reclaim !== false) || (passed.io === false && used.io !== false) || (passed.fs === false && used.fs !== false))
      return { caller: p.chain[p.chain.length - 1]!, text: arg.replace(/\s+/g, " ").trim(), chain: p.chain, mask: passed };
  }
  return null;
}

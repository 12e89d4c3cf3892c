// gfp-arg-misplaced: an allocator called with its gfp mask in another
// argument's slot (`kzalloc(GFP_ATOMIC, size)`). Both are integers, so the
// compiler takes it: the size (or count) is read as the gfp flags and the
// mask as the size. Whatever bits the size happens to set decide whether the
// allocation may sleep, start IO or call into the filesystem from reclaim:
// a warning when the mask meant rules one of those out, a note when it is
// GFP_KERNEL-like (the call is wrong, but lets reclaim in nowhere it was not).
// The slot comes from the vocabulary (ALLOCATORS[].gfpArg); a mask where an
// older signature had it (formerGfpArg: bio_alloc before v5.18, kvrealloc
// before v6.12) is that signature, not a mistake.
import { evalMask } from "../../context/gfp.js";
import { reclaimAnalysis, touchesLines } from "../../context/reclaim.js";
import type { Report, Rule } from "../../types.js";
import { allocationNeedles } from "../../vocab/kernel-api.js";

const ORDINAL = ["first", "second", "third", "fourth", "fifth", "sixth"];
const nth = (i: number) => ORDINAL[i] ?? `${i + 1}th`;

export const rule: Rule = {
  meta: {
    id: "gfp-arg-misplaced",
    class: "gfp-context",
    severity: "warning",
    description: "An allocator called with its gfp mask in another argument's slot: the value in the mask's slot is read as gfp flags",
    docs: {
      why:
        "gfp_t and a size are both integers, so kzalloc(GFP_ATOMIC, size) compiles: the allocation gets the bits " +
        "of `size` as its flags and the value of GFP_ATOMIC as its size. Whether it may sleep, start IO or call " +
        "into the filesystem from reclaim then depends on the size: a request that had to stay atomic (or NOIO in " +
        "an IO path) may enter direct reclaim, wait on IO it is part of, or fail at random.",
      fix: "Put the mask in the allocator's gfp slot (swap the arguments).",
      quiet:
        "Said at info when the misplaced mask rules out nothing reclaim does (GFP_KERNEL): wrong, but no recursion. " +
        "A gfp argument that is a mask or a gfp variable; a mask where the allocator's older signature took it " +
        "(bio_alloc, bio_alloc_bioset and bio_kmalloc before v5.18, kvrealloc before v6.12); calls the patch does " +
        "not touch.",
    },
    messages: {
      misplacedAllowing:
        "{{call}}() takes its gfp mask as the {{slot}} argument, but {{mask}} is passed as the {{maskSlot}} and {{value}} in the mask's place: the allocation runs with the flags the value of {{value}} happens to set instead of {{mask}}, and the {{maskSlot}} argument gets the value of {{mask}}; {{mask}} rules out nothing reclaim does, so this is no recursion into reclaim, but the call is not what was meant",
      misplaced:
        "{{call}}() takes its gfp mask as the {{slot}} argument, but {{mask}} is passed as the {{maskSlot}} and {{value}} in the mask's place: the allocation runs with the flags the value of {{value}} happens to set (it may sleep, start IO or call into the filesystem from reclaim), and the {{maskSlot}} argument gets the value of {{mask}}",
    },
    knowledge: ["gfp-fs-io-doc"],
    scope: "line",
    needles: allocationNeedles(),
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    const reports: Report[] = [];
    for (const v of a.post()) {
      const changed = a.changedIn(v);
      for (const e of v.flow.events) {
        if (e.info.kind !== "alloc" || !e.info.misplaced) continue;
        if (!touchesLines(changed, e.line, e.endLine ?? e.line)) continue;
        const { maskArg, gfpArg } = e.info.misplaced;
        const mask = e.args[maskArg]!;
        const value = e.args[gfpArg]!;
        const fixed = [...e.args];
        fixed[maskArg] = value;
        fixed[gfpArg] = mask;
        // the mask meant rules out sleeping, IO or the filesystem: the swap may let reclaim in where the author kept it
        // out (a warning); a mask that rules out none of them loses nothing reclaim-wise (a note)
        const meant = evalMask(mask);
        const ruledOut = meant.reclaim === false || meant.io === false || meant.fs === false;
        reports.push({
          file: v.path,
          line: e.line,
          messageId: ruledOut ? "misplaced" : "misplacedAllowing",
          ...(ruledOut ? {} : { severity: "info" as const }),
          identifiers: [e.callee, mask],
          data: { call: e.callee, slot: nth(gfpArg), mask, maskSlot: nth(maskArg), value },
          fix: `Swap the arguments: ${e.callee}(${fixed.join(", ")}).`,
          chain: [`${v.name}()`, `${e.callee}(${e.args.join(", ")})`, `gfp flags = ${value}`],
        });
      }
    }
    return reports;
  },
};

// shrinker-gfp-test: a test of the reclaim caller's mask (sc->gfp_mask, a
// copy of it, or a parameter a shrinker passes it in) against __GFP_FS or
// __GFP_IO, added or changed in a function a shrinker reaches. Adding one is
// recognised (info); changing which bit is tested is a warning: it changes
// which reclaiming callers the shrinker blocks for, which is how a caller
// allocating with the wrong context gets worked around. Judged from the diff.
import { blockerOf } from "../../context/blocking.js";
import { rootLabel } from "../../context/call-chains.js";
import { reclaimAnalysis } from "../../context/reclaim.js";
import type { Report, Rule } from "../../types.js";
import { chainText } from "../util/phrases.js";
import { callerMaskNames, maskBitTested, shrinkerPaths, viewLines, type MaskBit } from "../util/shrinker-scope.js";
import { HISTORY } from "../../vocab/history.js";

const ANY_MASK = /\b[A-Za-z_]\w*\s*(?:->|\.)\s*gfp_mask\b/;

export const rule: Rule = {
  meta: {
    id: "shrinker-gfp-test",
    class: "shrinker-io",
    severity: "warning",
    description: "A shrinker that tests the reclaim caller's gfp mask against __GFP_FS/__GFP_IO (added, or switched to another bit)",
    docs: {
      why:
        "A shrinker bailing out when the allocation being served may not enter the filesystem " +
        "(!(sc->gfp_mask & __GFP_FS)) is ordinary. A patch that switches which bit is tested changes which " +
        "reclaiming callers the shrinker may block for, and is how a caller that allocates with the wrong " +
        "context gets worked around: the shrinker keeps blocking for everyone else, and the caller's " +
        "allocation (which should run under memalloc_noio_save() or memalloc_nofs_save()) stays wrong. A " +
        "shrinker that has to second-guess the context of the layers above it is a sign of a bug in the " +
        "allocating caller.",
      fix:
        "Find the allocation that reaches this shrinker with the wrong context and give it a NOIO/NOFS scope " +
        "(memalloc_noio_save()/memalloc_nofs_save() where that context starts). Keep the shrinker from blocking " +
        "at all rather than choosing from the mask when it may.",
      quiet:
        "Mask tests in functions no shrinker reaches, tests removed, the same test moved or reformatted, and " +
        "masks passed on to allocations. An added test is info: a bail-out is fine, and what it gates is judged " +
        "by shrinker-blocking.",
    },
    messages: {
      changedBit:
        "{{fn}}() now tests {{bit}} instead of {{old}} of the reclaim caller's mask ({{chain}}): this changes which reclaiming callers the shrinker may block for; if a caller allocating with the wrong context is being kept out, that caller is the bug",
      added:
        "{{fn}}() tests {{bit}} of the reclaim caller's mask ({{chain}}): fine as a bail-out, but it must not stand in for fixing a caller that allocates with the wrong context",
      gatesBlocking:
        "{{fn}}() tests {{bit}} of the reclaim caller's mask to decide whether to call {{call}}() ({{chain}}): the shrinker still blocks reclaim whenever the bit is set (kswapd and GFP_KERNEL callers)",
    },
    knowledge: [HISTORY.shrinkerGfpBit, "memalloc-overhaul-2020", HISTORY.workerNoioFlag, HISTORY.shrinkerTrylockRevert, "gfp-fs-io-doc"],
    scope: "line",
    needles: ["__GFP_FS", "__GFP_IO"],
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    const reports: Report[] = [];
    for (const v of a.post()) {
      if (v.changed.size === 0) continue;
      const lines = viewLines(a, v);
      // a test of a reclaim bit on a changed line, or nothing to judge (before climbing to the callers)
      if (!lines.some((l) => l.changed && /__GFP_(?:FS|IO)\b/.test(l.code))) continue;
      const path = shrinkerPaths(a, v)[0];
      if (!path) continue;
      const mask = callerMaskNames(a, v, path, lines);
      if (!mask) continue;
      const pre = a.pre().find((p) => p.name === v.name && p.path === v.path);
      const oldBits: MaskBit[] = [];
      const preMask = new RegExp(`${mask.source}|${ANY_MASK.source}`);
      if (pre) for (const l of viewLines(a, pre)) if (l.changed) {
        const b = maskBitTested(l.code, preMask);
        if (b) oldBits.push(b);
      }
      const chain = chainText([rootLabel(path), ...path.chain.slice(1)]);
      for (const l of lines) {
        if (!l.changed) continue;
        const bit = maskBitTested(l.code, mask);
        if (!bit || oldBits.includes(bit)) continue; // the same test, moved or reformatted
        const base = { file: v.path, line: l.line, chain: [rootLabel(path), ...path.chain.slice(1)], identifiers: [bit, "gfp_mask", v.name], cite: [HISTORY.shrinkerGfpBit, HISTORY.workerNoioFlag, "memalloc-overhaul-2020"] };
        if (oldBits.length > 0) {
          reports.push({
            ...base,
            messageId: "changedBit",
            data: { fn: v.name, bit, old: oldBits[0]!, chain },
            fix: `Find the allocation that reaches ${path.role.root}() with the wrong context and give it a ${oldBits[0] === "__GFP_IO" || bit === "__GFP_IO" ? "memalloc_noio_save()" : "memalloc_nofs_save()"} scope; keep ${v.name}() from blocking instead of choosing by mask bit.`,
          });
          continue;
        }
        // what the test decides: a blocking call in the next few lines
        const gated = v.flow.events.find((e) => e.line > l.line && e.line <= l.line + 3 && !(e.info.kind === "lock" && e.info.op === "try") && blockerOf(e.callee, e.args) !== null);
        reports.push({
          ...base,
          messageId: gated ? "gatesBlocking" : "added",
          data: { fn: v.name, bit, chain, ...(gated ? { call: gated.callee } : {}) },
          severity: "info",
          fix: gated
            ? `Do not block in ${v.name}() for any caller: try the lock (or skip the object) and return SHRINK_STOP when it is busy.`
            : `Keep the test as a bail-out only; if a particular caller must be kept out, give that caller's allocation a memalloc_noio_save()/memalloc_nofs_save() scope.`,
        });
      }
    }
    return reports;
  },
};

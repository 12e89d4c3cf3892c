// task-test-in-reclaim: a function reclaim itself calls (a shrinker, folio
// release, inode eviction: an ops-table role with inReclaim) changes a test
// of the task it runs in (current_is_kswapd(), current->flags, a predicate
// the patch adds over them). Such a test decides which reclaiming tasks the
// callback waits or does IO for: topic recognition, said at info with what
// is tested, since kswapd is not the only task that reclaims (direct
// reclaim, kcompactd, memcg reclaim).
import { reclaimAnalysis } from "../../context/reclaim.js";
import type { Report, Rule } from "../../types.js";
import { TASK_READS, taskReadsOf } from "../util/task-reads.js";
import { chainText } from "../util/phrases.js";
import { viewLines } from "../util/shrinker-scope.js";

/** Reads that say whether the task is inside reclaim or under a reclaim scope (include/linux/sched.h, sched/mm.h, swap.h). */
const RECLAIM_STATE = /\bPF_MEMALLOC\w*|\bPF_KSWAPD\b|\bPF_KCOMPACTD\b|\bcurrent_is_kswapd\s*\(|\bcurrent_gfp_context\s*\(/;
const RECLAIM_STATE_ALL = /\bPF_MEMALLOC\w*|\bPF_KSWAPD\b|\bPF_KCOMPACTD\b|\bcurrent_is_kswapd\b|\bcurrent_gfp_context\b/g;

/** A line that decides something: a condition, a boolean expression, a returned value, a choice. */
const CONDITION = /\bif\b|\|\||&&|\breturn\b|\?/;
/** A branch on a test (a returned mask or an argument is not a test). */
const TEST = /\bif\s*\(|\bwhile\s*\(|\|\||&&|\?[^:]*:/;
/** Tests of the reclaim bits of a mask (include/linux/gfp_types.h, gfp.h). */
const MASK_TEST = /\b__GFP_(?:FS|IO|DIRECT_RECLAIM|KSWAPD_RECLAIM)\b|\bgfpflags_allow_blocking\s*\(|\bgfp_has_io_fs\s*\(/;
const MASK_TEST_ALL = /\b__GFP_(?:FS|IO|DIRECT_RECLAIM|KSWAPD_RECLAIM)\b|\bgfpflags_allow_blocking\b|\bgfp_has_io_fs\b/g;


export const rule: Rule = {
  meta: {
    id: "task-test-in-reclaim",
    class: "gfp-context",
    severity: "info",
    description: "A changed test of the reclaim context: of the task a reclaim callback runs in, of whether the task is inside reclaim, or of the reclaim bits of a caller's gfp mask",
    docs: {
      why:
        "Reclaim calls shrinkers, ->release_folio and eviction from many tasks: kswapd, any task in direct reclaim, " +
        "kcompactd, memcg reclaim. A callback that decides by the task (current_is_kswapd(), a PF_ flag) whether to " +
        "wait, write back or take a lock chooses which of them it may stall; a test that names one task leaves the " +
        "others waiting. The reclaim caller's gfp mask (or a trylock) says more than who the caller is.",
      fix:
        "Decide by what the caller allows (the gfp mask passed in, tested for __GFP_DIRECT_RECLAIM/__GFP_FS) or do " +
        "not block at all, and say which reclaiming tasks the test is meant to keep out.",
      quiet: "Changes that leave the task tests alone; outside reclaim callbacks, tests of the task that say nothing about reclaim (the worker bit, the workqueue).",
    },
    messages: {
      testsMask:
        "{{fn}}(){{role}} changes a test of what its caller's gfp mask allows ({{reads}}): which callers may wait in reclaim, start IO or enter the filesystem below it is decided here",
      testsReclaim:
        "{{fn}}() now decides by whether the task is inside reclaim or under a reclaim scope ({{reads}}): a choice about the reclaim context of everything it does on either branch",
      tests:
        "{{fn}}() ({{role}}{{chain}}) changes a test of the task it runs in ({{reads}}): it decides which reclaiming tasks this callback waits or does IO for; kswapd is one of several (direct reclaim, kcompactd, memcg reclaim)",
    },
    knowledge: ["gfp-fs-io-doc", "memalloc-overhaul-2020"],
    scope: "line",
    needles: ["current", "kswapd", "PF_", "__GFP_", "gfpflags_allow_blocking", "gfp_has_io_fs"],
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    const reports: Report[] = [];
    if (a.mode === "audit") return reports;
    // the patch's own predicates over the task (a helper a changed test now calls)
    const predicates = new Map<string, string[]>();
    const linesOf = new Map(a.post().map((v) => [v, viewLines(a, v)] as const));
    for (const v of a.post()) {
      const reads = [...new Set(linesOf.get(v)!.flatMap((l) => taskReadsOf(l.code)))];
      if (reads.length > 0 && v.changed.size > 0) predicates.set(v.name, reads);
    }
    for (const v of a.post()) {
      if (v.changed.size === 0) continue;
      // the role is asked only of functions whose changed lines test something of the reclaim context
      const lines = linesOf.get(v)!.filter((l) => l.changed);
      const anyTest = lines.some(
        (l) => (TEST.test(l.code) && MASK_TEST.test(l.code)) || (CONDITION.test(l.code) && (TASK_READS.some((r) => r.re.test(l.code)) || [...predicates.keys()].some((p) => p !== v.name && l.code.includes(p)))),
      );
      if (!anyTest) continue;
      const role = a.roleOf(v);
      // a changed test of what the caller's mask allows (not a shrinker's: shrinker-gfp-test judges those)
      const maskTest = role?.role === "shrinker" ? undefined : lines.find((x) => TEST.test(x.code) && MASK_TEST.test(x.code));
      if (maskTest) {
        const what = [...new Set(maskTest.code.match(MASK_TEST_ALL) ?? [])];
        reports.push({
          file: v.path,
          line: maskTest.line,
          identifiers: [v.name, ...what],
          messageId: "testsMask",
          data: { fn: v.name, reads: what.join(", "), role: role?.inReclaim ? ` (${role.label}: reclaim calls it with the mask of the allocation it serves)` : "" },
          fix: `Say which callers' masks take which branch of ${v.name}(), and check that the branch for masks that allow IO or filesystem reclaim does not wait on what those callers hold.`,
        });
        continue;
      }
      if (!role?.inReclaim) {
        // elsewhere: a changed test of whether the task is inside reclaim (PF_MEMALLOC, kswapd, its scope); a
        // function that returns a gfp mask is mask-from-task's to speak of
        if (/\bgfp_t\s+\**\s*[A-Za-z_]\w*\s*\(/.test(v.signature)) continue;
        const l = lines.find((x) => CONDITION.test(x.code) && RECLAIM_STATE.test(x.code));
        if (!l) continue;
        const what = [...new Set(l.code.match(RECLAIM_STATE_ALL) ?? [])];
        reports.push({
          file: v.path,
          line: l.line,
          identifiers: [v.name, ...what],
          messageId: "testsReclaim",
          data: { fn: v.name, reads: what.join(", ") },
          fix: `Say in the changelog what ${v.name}() must not do inside reclaim and why the test is the right boundary; a memalloc_*_save() scope or the gfp mask the caller passes states the context more exactly than the task's identity.`,
        });
        continue;
      }
      // a predicate of the patch whose caller's test is the one to speak of
      if (role.chain.length > 1 && predicates.has(v.name) && a.post().some((o) => o !== v && linesOf.get(o)!.some((l) => l.changed && new RegExp(`\\b${v.name}\\s*\\(`).test(l.code)))) continue;
      for (const l of lines) {
        if (!/\bif\b|\|\||&&|\breturn\b/.test(l.code)) continue;
        const reads = taskReadsOf(l.code);
        for (const [p, r] of predicates) if (p !== v.name && new RegExp(`\\b${p}\\s*\\(`).test(l.code)) reads.push(`${p}() (${r.join(", ")})`);
        if (reads.length === 0) continue;
        reports.push({
          file: v.path,
          line: l.line,
          identifiers: [v.name, ...reads.map((x) => x.split(/[ (]/)[0]!)],
          messageId: "tests",
          data: { fn: v.name, role: role.label, chain: role.chain.length > 1 ? `, reached as ${chainText(role.chain)}` : "", reads: reads.join(", ") },
          fix: `Decide by the gfp mask the reclaim caller passes (or do not block at all) rather than by which task runs ${v.name}().`,
          chain: [...role.chain.map((f) => `${f}()`)],
        });
        break;
      }
    }
    return reports;
  },
};

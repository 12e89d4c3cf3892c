// The prefilter's needles must be necessary conditions: every identifier a
// rule treats as a trigger contains one of its rule's needles.
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { reviewPatch } from "../../src/engine.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import type { Rule } from "../../src/types.js";
import { toPatch } from "../helpers/rule-tester.js";
import { ALL_RULES } from "../../src/rules/index.js";
import { RECLAIM_NEEDLES } from "../../src/rules/commit-message/reclaim-call-trace.js";
import { coveringNeedles, listNeedles, parseNameList } from "../../src/rules/util/gfp-lists.js";
import { ALLOCATORS, FS_IO_CALLS, TRACE_RECLAIM_FRAMES, TRACE_SHRINKER_FRAMES } from "../../src/vocab/kernel-api.js";

const needlesOf = (id: string): readonly string[] => ALL_RULES.find((r) => r.meta.id === id)!.meta.needles ?? [];
const covered = (name: string, needles: readonly string[]) => needles.some((n) => name.includes(n));

describe("rule needles", () => {
  it("every rule has needles", () => {
    for (const r of ALL_RULES) expect(r.meta.needles?.length ?? 0, r.meta.id).toBeGreaterThan(0);
  });

  it("reclaim-call-trace covers every reclaim frame and fs_reclaim", () => {
    for (const n of [...TRACE_RECLAIM_FRAMES, "fs_reclaim"]) expect(covered(n, RECLAIM_NEEDLES), n).toBe(true);
  });

  it("shrinker-in-trace covers every shrinker frame", () => {
    for (const n of TRACE_SHRINKER_FRAMES) expect(covered(n, needlesOf("shrinker-in-trace")), n).toBe(true);
  });

  it("the allocation rules cover every allocator of the vocabulary and every gfp mask word", () => {
    for (const id of ["gfp-kernel-in-io-path", "alloc-while-holding"])
      for (const n of [...Object.keys(ALLOCATORS), "GFP_KERNEL", "GFP_NOFS"]) expect(covered(n, needlesOf(id)), `${id}: ${n}`).toBe(true);
  });

  it("backend-frontend-io covers every filesystem IO call of the vocabulary and ->write_iter/->read_iter", () => {
    for (const n of [...Object.keys(FS_IO_CALLS), "write_iter", "read_iter"]) expect(covered(n, needlesOf("backend-frontend-io")), n).toBe(true);
  });

  it("listNeedles keeps names and the longest literal part of patterns", () => {
    const l = parseNameList("t", "foo_bar\n*_queue_rq\nUBLK_IO_*\n");
    expect(listNeedles(l).sort()).toEqual(["UBLK_IO_", "_queue_rq", "foo_bar"]);
  });

  it("coveringNeedles drops needles that contain a shorter one", () => {
    expect(coveringNeedles(["vmalloc", "vmalloc_node", "vzalloc", "GFP_KERNEL", "vmalloc"])).toEqual(["vmalloc", "vzalloc", "GFP_KERNEL"]);
  });
});

describe("engine prefilter", () => {
  const probe = (id: string, needles: string[]): Rule => ({
    meta: { id, class: "gfp-context", severity: "info", description: id, docs: { why: "", fix: "", quiet: "" }, messages: { hit: "hit" }, knowledge: [], scope: "patch", needles },
    check: () => [{ messageId: "hit", file: null, line: null }],
  });
  const run = (rules: Rule[], text: string) => {
    const patch = toPatch({ files: [{ path: "fs/quux/a.c", before: "int a;\n", after: `int a;\n${text}\n` }] });
    return reviewPatch(patch, { rules, config: DEFAULT_CONFIG, kb: loadKnowledge() }).findings.map((f) => f.rule).sort();
  };

  it("finds overlapping and prefix needles, and only needles that occur", () => {
    const rules = [probe("a", ["__GFP_"]), probe("b", ["GFP_NO"]), probe("c", ["GFP_NOFS"]), probe("d", ["NOFS|"]), probe("e", ["kswapd"])];
    expect(run(rules, "\tp = kmalloc(n, __GFP_NOFS);")).toEqual(["a", "b", "c"]);
    expect(run(rules, "\tp = kmalloc(n, GFP_NOFS|__GFP_NOWARN);")).toEqual(["a", "b", "c", "d"]);
    expect(run(rules, "\tp = kmalloc(n, GFP_KERNEL);")).toEqual([]);
  });
});

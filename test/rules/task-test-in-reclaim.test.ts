import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/gfp-context/task-test-in-reclaim.js";
import { ruleTester } from "../helpers/rule-tester.js";
import { reviewWithTree } from "../helpers/tree-review.js";

// Fixtures written for these tests, modelled on a network filesystem's folio release, which writes back a folio
// with private data only when the reclaiming task may wait for it, and on a driver cache's shrinker.
const release = (test: string) => `static bool heron_release_folio(struct folio *folio, gfp_t gfp)
{
	if (folio_test_private(folio)) {
		if (${test})
			return false;
		if (heron_wb_folio(folio) < 0)
			return false;
	}
	return true;
}

const struct address_space_operations heron_file_aops = {
	.release_folio = heron_release_folio,
};
`;
const scan = (body: string) => `static unsigned long wren_cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct wren_cache *c = s->private_data;

${body}	return wren_cache_trim(c, sc->nr_to_scan);
}
`;
const path = "fs/heron/file.c";

ruleTester(rule, {
  valid: [
    { name: "a mask passed on, not tested", patch: { files: [{ path, before: release("!heron_may_wait(gfp)"), after: release("!heron_may_wait(gfp)").replace("\t\tif (heron_wb_folio(folio) < 0)\n", "\t\tret = heron_wb_folio(folio, gfp & ~__GFP_IO);\n\t\tif (ret < 0)\n") }] } },
    { name: "the task test untouched, another line changed", patch: { files: [{ path, before: release("current_is_kswapd()"), after: release("current_is_kswapd()").replace("heron_wb_folio(folio) < 0", "heron_wb_folio(folio) != 0") }] } },
    {
      name: "a test of the worker bit in a function reclaim does not call",
      patch: { files: [{ path: "fs/heron/super.c", before: "static int heron_sync(struct heron_sb *s)\n{\n\treturn heron_flush(s);\n}\n", after: "static int heron_sync(struct heron_sb *s)\n{\n\tif (current->flags & PF_WQ_WORKER)\n\t\treturn 0;\n\treturn heron_flush(s);\n}\n" }] },
    },
  ],
  invalid: [
    {
      name: "a test of what the caller's mask allows, changed",
      patch: { files: [{ path, before: release("!(gfp & __GFP_DIRECT_RECLAIM)"), after: release("!gfpflags_allow_blocking(gfp) || !(gfp & __GFP_FS)") }] },
      errors: [{ messageId: "testsMask", line: 4, severity: "info" }],
    },
    {
      name: "outside reclaim callbacks: a function that now bails out inside reclaim",
      patch: { files: [{ path: "fs/heron/super.c", before: "static int heron_sync(struct heron_sb *s)\n{\n\treturn heron_flush(s);\n}\n", after: "static int heron_sync(struct heron_sb *s)\n{\n\tif (current->flags & PF_MEMALLOC)\n\t\treturn 0;\n\treturn heron_flush(s);\n}\n" }] },
      errors: [{ messageId: "testsReclaim", line: 3, severity: "info" }],
    },
    { name: "a shrinker that stops under a NOFS scope", patch: { files: [{ path: "drivers/wren/cache.c", before: scan(""), after: scan("\tif (current->flags & PF_MEMALLOC_NOFS)\n\t\treturn SHRINK_STOP;\n") }] }, errors: [{ messageId: "tests", line: 5, severity: "info" }] },
    { name: "a shrinker that stops for kswapd", patch: { files: [{ path: "drivers/wren/cache.c", before: scan(""), after: scan("\tif (current_is_kswapd())\n\t\treturn SHRINK_STOP;\n") }] }, errors: [{ messageId: "tests", line: 5 }] },
    { name: "a shrinker that stops in a rescuer", patch: { files: [{ path: "drivers/wren/cache.c", before: scan(""), after: scan("\tif (current_is_workqueue_rescuer())\n\t\treturn SHRINK_STOP;\n") }] }, errors: [{ messageId: "tests", line: 5 }] },
  ],
});

describe("task-test-in-reclaim with the tree (the ops table registering release_folio)", () => {
  it("release_folio now also keeps out another reclaiming task", async () => {
    const f = await reviewWithTree(new Map([[path, release("current_is_kswapd()")]]), { files: [{ path, before: release("current_is_kswapd()"), after: release("current_is_kswapd() || (current->flags & PF_KCOMPACTD)") }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[4, "info", "tests"]]);
  });

  it("names the callback's role and what it now tests, through a predicate the patch adds", async () => {
    const helper = "static inline bool heron_is_compactor(void)\n{\n\treturn current->flags & PF_KCOMPACTD;\n}\n\n";
    const before = helper.replace("current->flags & PF_KCOMPACTD", "false") + release("current_is_kswapd()");
    const f = await reviewWithTree(new Map([[path, before]]), { files: [{ path, before, after: helper + release("current_is_kswapd() || heron_is_compactor()") }] }, [rule]);
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain("heron_release_folio() (address_space_operations.release_folio) changes a test of the task it runs in (current_is_kswapd(), heron_is_compactor() (current->flags))");
  });
});

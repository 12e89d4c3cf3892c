// mask-passed-through: an allocation's written-out GFP_KERNEL replaced by the mask the function is given.
import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/gfp-context/mask-passed-through.js";
import { runRule } from "../helpers/rule-tester.js";

// Fixtures written for these tests, modelled on an allocator helper with a preload step.
const helper = (first: string, second: string) => `static struct blob_area *blob_alloc_area(struct blob_pool *bp, unsigned long size,
					  int node, gfp_t gfp_mask)
{
	struct blob_area *ba, *spare;

	ba = kmem_cache_alloc_node(blob_area_cache, ${first}, node);
	if (!ba)
		return NULL;
	ba->size = size;

	spin_lock(&bp->lock);
	if (!bp->spare) {
		spin_unlock(&bp->lock);
		spare = kmem_cache_alloc_node(blob_area_cache, ${second}, node);
		spin_lock(&bp->lock);
		bp->spare = spare;
	}
	spin_unlock(&bp->lock);
	return ba;
}
`;

describe("mask-passed-through", () => {
  it("GFP_KERNEL -> the gfp_t parameter: an info that names the parameter, on the allocation", () => {
    // the whole definition in the hunk (its parameter list spans two lines)
    const f = runRule(rule, { context: 20, files: [{ path: "mm/blob.c", before: helper("gfp_mask & BLOB_MASK", "GFP_KERNEL"), after: helper("gfp_mask & BLOB_MASK", "gfp_mask") }] });
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[14, "info", "passed"]]);
    expect(f[0]!.message).toContain('GFP_KERNEL -> gfp_mask for kmem_cache_alloc_node() in blob_alloc_area(): the allocation now follows the mask its callers pass as "gfp_mask" (a gfp_t parameter of blob_alloc_area())');
  });
  it("the definition outside the hunk: the variable's origin is said to be unknown", () => {
    const f = runRule(rule, { files: [{ path: "mm/blob.c", before: helper("gfp_mask & BLOB_MASK", "GFP_KERNEL"), after: helper("gfp_mask & BLOB_MASK", "gfp_mask") }] });
    expect(f[0]!.message).toContain('held in "gfp_mask" (where it comes from is not in the lines shown)');
  });
  it("the old side's other call of the same allocator is not taken for this one's old mask", () => {
    // the first call keeps a mask built on the parameter; only the second changes
    const f = runRule(rule, { files: [{ path: "mm/blob.c", before: helper("gfp_mask", "GFP_KERNEL"), after: helper("gfp_mask", "gfp_mask") }] });
    expect(f.map((x) => x.line)).toEqual([14]);
  });
  it("two allocations of the function passed through: one note that counts the other", () => {
    const f = runRule(rule, { files: [{ path: "mm/blob.c", before: helper("GFP_KERNEL", "GFP_KERNEL"), after: helper("gfp_mask", "gfp_mask") }] });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain("(and 1 more allocation of blob_alloc_area())");
  });
  it("a mask that was already stricter (GFP_NOFS), or a new allocation: quiet", () => {
    expect(runRule(rule, { files: [{ path: "mm/blob.c", before: helper("gfp_mask", "GFP_NOFS"), after: helper("gfp_mask", "gfp_mask") }] })).toEqual([]);
    const fresh = helper("gfp_mask", "gfp_mask").replace("\tba->size = size;\n", "\tba->size = size;\n\tba->map = kzalloc(size, gfp_mask);\n");
    expect(runRule(rule, { files: [{ path: "mm/blob.c", before: helper("gfp_mask", "gfp_mask"), after: fresh }] })).toEqual([]);
  });
  it("a variable whose origin the diff does not show: said so", () => {
    const body = (mask: string) => `\tstruct blob_area *ba;\n\tint err;\n\n\tba->map = kzalloc(len, ${mask});\n\tif (!ba->map)\n\t\treturn -ENOMEM;\n\terr = blob_fill(ba);\n\treturn err;\n}\n`;
    const file = (mask: string) => `static int blob_setup_map(struct blob_area *ba, size_t len)\n{\n\tgfp_t gfp = blob_gfp(ba);\n\tint n = 0;\n\n\tn++;\n\tn++;\n\tn++;\n\tn++;\n${body(mask)}`;
    const f = runRule(rule, { files: [{ path: "drivers/blob/map.c", before: file("GFP_KERNEL"), after: file("gfp") }] });
    expect(f.map((x) => x.messageId)).toEqual(["passed"]);
    expect(f[0]!.message).toContain('held in "gfp"');
  });
});

describe("mask-passed-through: a helper that takes a mask, not a known allocator", () => {
  // written for this test, modelled on a cgroup's over-limit handler that reclaims through a local helper
  const handler = (mask: string) => `void quota_handle_over_limit(struct quota_group *qg, gfp_t gfp_mask)
{
	unsigned long nr = quota_excess(qg);

	if (!nr)
		return;
	quota_reclaim(qg, nr,
		      ${mask});
	quota_account(qg, nr);
}
`;
  it("GFP_KERNEL -> the gfp_t parameter at the helper's call: an info on the changed line", () => {
    const f = runRule(rule, { context: 20, files: [{ path: "mm/quota.c", before: handler("GFP_KERNEL"), after: handler("gfp_mask") }] });
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[8, "info", "passedOn"]]);
    expect(f[0]!.message).toContain('GFP_KERNEL -> gfp_mask for quota_reclaim() in quota_handle_over_limit(): the gfp mask quota_reclaim() is given is now the one its callers pass as "gfp_mask" (a gfp_t parameter of quota_handle_over_limit())');
  });
  it("is quiet when the old call passed a restricted mask, or the argument is not a mask", () => {
    expect(runRule(rule, { context: 20, files: [{ path: "mm/quota.c", before: handler("GFP_NOFS"), after: handler("gfp_mask") }] })).toEqual([]);
    expect(runRule(rule, { context: 20, files: [{ path: "mm/quota.c", before: handler("GFP_KERNEL"), after: handler("GFP_KERNEL | __GFP_NOWARN") }] })).toEqual([]);
  });
});

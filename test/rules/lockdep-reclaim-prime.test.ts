import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/gfp-context/lockdep-reclaim-prime.js";
import { rule as allocWhileHolding } from "../../src/rules/gfp-context/alloc-while-holding.js";
import { ruleTester } from "../helpers/rule-tester.js";
import { reviewWithTree } from "../helpers/tree-review.js";

// Fixtures written for these tests, modelled on a bus framework that primes its bandwidth lock against reclaim.
const init = (body: string) => `static int __init knot_init(void)
{
	knot_debugfs_init();
${body}
	return 0;
}
`;
const primeMight = "\tfs_reclaim_acquire(GFP_KERNEL);\n\tmight_lock(&knot_bw_lock);\n\tfs_reclaim_release(GFP_KERNEL);\n";
const primeTaken = "\tfs_reclaim_acquire(GFP_KERNEL);\n\tmutex_lock(&knot_bw_lock);\n\tmutex_unlock(&knot_bw_lock);\n\tfs_reclaim_release(GFP_KERNEL);\n";
const addNode = (mask: string) => `int knot_node_add(struct knot_node *node, struct knot_provider *p)
{
	mutex_lock(&knot_lock);
	mutex_lock(&knot_bw_lock);
	node->name = kasprintf(${mask}, "%s@%d", p->name, node->id);
	list_add_tail(&node->node_list, &p->nodes);
	mutex_unlock(&knot_bw_lock);
	mutex_unlock(&knot_lock);
	return node->name ? 0 : -ENOMEM;
}
`;

ruleTester(rule, {
  valid: [
    { name: "the annotation was already there", patch: { files: [{ path: "drivers/knot/core.c", before: init(primeMight), after: init(primeMight).replace("\tknot_debugfs_init();\n", "\tknot_debugfs_init();\n\tknot_sysfs_init();\n") }] } },
    { name: "might_lock() outside fs_reclaim_acquire()/release(): no reclaim statement", patch: { files: [{ path: "drivers/knot/core.c", before: init(""), after: init("\tmight_lock(&knot_bw_lock);\n") }] } },
    { name: "fs_reclaim_acquire() with nothing declared inside", patch: { files: [{ path: "drivers/knot/core.c", before: init(""), after: init("\tfs_reclaim_acquire(GFP_KERNEL);\n\tfs_reclaim_release(GFP_KERNEL);\n") }] } },
  ],
  invalid: [
    { name: "might_lock() primed against reclaim", patch: { files: [{ path: "drivers/knot/core.c", before: init(""), after: init(primeMight) }] }, errors: [{ messageId: "primed", line: 5, severity: "info" }] },
    { name: "a lock taken and dropped inside the fs_reclaim section", patch: { files: [{ path: "drivers/knot/core.c", before: init(""), after: init(primeTaken) }] }, errors: [{ messageId: "primed", line: 5 }] },
    { name: "might_lock_nested() too", patch: { files: [{ path: "drivers/knot/core.c", before: init(""), after: init(primeMight.replace("might_lock(&knot_bw_lock)", "might_lock_nested(&knot_bw_lock, 1)")) }] }, errors: [{ messageId: "primed", line: 5 }] },
  ],
});

describe("a primed lock is one reclaim takes, for alloc-while-holding", () => {
  it("diff only: the patch primes the lock and allocates under it", async () => {
    const f = await reviewWithTree(new Map(), { files: [{ path: "drivers/knot/core.c", before: null, after: `${init(primeMight)}\n${addNode("GFP_KERNEL")}` }] }, [allocWhileHolding]);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[15, "warning", "lockTaken"]]);
    expect(f[0]!.message).toContain("knot_init() tells lockdep it is taken in reclaim");
  });

  it("with a tree: the priming is in the tree, the allocation in the patch", async () => {
    const tree = new Map([["drivers/knot/core.c", `${init(primeMight)}\n${addNode("GFP_NOFS")}`]]);
    const f = await reviewWithTree(tree, { files: [{ path: "drivers/knot/core.c", before: `${init(primeMight)}\n${addNode("GFP_NOFS")}`, after: `${init(primeMight)}\n${addNode("GFP_KERNEL")}` }] }, [allocWhileHolding]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[15, "warning"]]);
  });

  it("GFP_NOFS under the primed lock is quiet", async () => {
    const tree = new Map([["drivers/knot/core.c", `${init(primeMight)}\n${addNode("GFP_KERNEL")}`]]);
    expect(await reviewWithTree(tree, { files: [{ path: "drivers/knot/core.c", before: `${init(primeMight)}\n${addNode("GFP_KERNEL")}`, after: `${init(primeMight)}\n${addNode("GFP_NOFS")}` }] }, [allocWhileHolding])).toEqual([]);
  });
});

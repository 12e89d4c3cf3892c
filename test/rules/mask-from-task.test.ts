import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/gfp-context/mask-from-task.js";
import { ruleTester } from "../helpers/rule-tester.js";
import { reviewWithTree } from "../helpers/tree-review.js";

// Fixtures written for these tests, modelled on a network filesystem's helper that picks the mask for its IO
// allocations from the task that makes them.
const helper = (body: string, extra = "") => `static inline int lark_match(const struct lark_req *req)
{
	return req->verf == 0;
}
${extra}
static inline gfp_t lark_io_gfp_mask(void)
{
${body}}
`;
const worker = "\tif (current->flags & PF_WQ_WORKER)\n\t\treturn GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN;\n\treturn GFP_KERNEL;\n";
const scoped = "\tgfp_t ret = current_gfp_context(GFP_KERNEL);\n\n\tif ((current->flags & PF_WQ_WORKER) && ret == GFP_KERNEL)\n\t\tret |= __GFP_NORETRY | __GFP_NOWARN;\n\treturn ret;\n";
const predicate = "\nstatic inline bool lark_is_iod(void)\n{\n\treturn current_is_workqueue_rescuer() || lark_in_iod();\n}\n";
const file = "fs/lark/internal.h";

ruleTester(rule, {
  valid: [
    { name: "a mask helper that reads nothing of the task", patch: { files: [{ path: file, before: helper("\treturn GFP_KERNEL;\n"), after: helper("\treturn GFP_NOFS;\n") }] } },
    { name: "a change elsewhere in the file, the helper untouched", patch: { files: [{ path: file, before: helper(worker), after: helper(worker).replace("req->verf == 0", "req->verf == 1") }] } },
    {
      name: "a function returning something else that reads the task",
      patch: { files: [{ path: file, before: "static inline bool lark_busy(void)\n{\n\treturn false;\n}\n", after: "static inline bool lark_busy(void)\n{\n\treturn current->flags & PF_WQ_WORKER;\n}\n" }] },
    },
  ],
  invalid: [
    { name: "the mask now follows the task's scope", patch: { files: [{ path: file, before: helper(worker), after: helper(scoped) }] }, errors: [{ messageId: "chooses", line: 8, severity: "info" }] },
    { name: "a new helper choosing from the task's flags", patch: { files: [{ path: file, before: helper("\treturn GFP_KERNEL;\n"), after: helper(worker) }] }, errors: [{ messageId: "chooses", line: 8 }] },
    {
      name: "the choice moved into a predicate the patch adds",
      patch: { files: [{ path: file, before: helper(worker), after: helper(worker.replace("current->flags & PF_WQ_WORKER", "lark_is_iod()"), predicate) }] },
      errors: [{ messageId: "chooses" }],
    },
  ],
});

describe("mask-from-task", () => {
  it("says what the function reads now and what it read before", async () => {
    const f = await reviewWithTree(new Map(), { files: [{ path: file, before: helper(worker), after: helper(worker.replace("current->flags & PF_WQ_WORKER", "lark_is_iod()"), predicate) }] }, [rule]);
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain("lark_io_gfp_mask() returns the gfp mask its callers allocate with and chooses it from the calling task (current_is_workqueue_rescuer() through lark_is_iod(); before the patch: current->flags)");
  });
});

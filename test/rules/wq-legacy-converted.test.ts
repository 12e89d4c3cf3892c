import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/workqueue-reclaim/wq-legacy-converted.js";
import { ruleTester, runRule } from "../helpers/rule-tester.js";

// Fixtures written for these tests, modelled on a cache driver's module init.
const init = (ctor: string) => `static int __init quill_init(void)
{
	quill_io_wq = ${ctor};
	if (!quill_io_wq)
		return -ENOMEM;
	return quill_register();
}
`;
const at = (before: string, after: string) => ({ files: [{ path: "drivers/md/quill/quill.c", before: init(before), after: init(after) }] });

ruleTester(rule, {
  valid: [
    { name: "a modern constructor changed to another", patch: at('alloc_workqueue("quill_io", WQ_MEM_RECLAIM, 0)', 'alloc_ordered_workqueue("quill_io", WQ_MEM_RECLAIM)') },
    { name: "a legacy constructor renamed, still legacy", patch: at('create_workqueue("quill_io")', 'create_singlethread_workqueue("quill_io")') },
    { name: "a new queue", patch: { files: [{ path: "drivers/md/quill/quill.c", before: init("NULL"), after: init('alloc_workqueue("quill_io", WQ_MEM_RECLAIM, 0)') }] } },
  ],
  invalid: [
    { name: "singlethread to alloc_workqueue with WQ_MEM_RECLAIM: rescuer kept, legacy and order dropped", patch: at('create_singlethread_workqueue("quill_io")', 'alloc_workqueue("quill_io", WQ_MEM_RECLAIM, 0)'), errors: [{ messageId: "converted", line: 3, severity: "info" }] },
    { name: "singlethread to alloc_ordered_workqueue without the flag: rescuer dropped", patch: at('create_singlethread_workqueue("quill_io")', 'alloc_ordered_workqueue("quill_io", 0)'), errors: [{ messageId: "converted", line: 3 }] },
    { name: "create_workqueue to alloc_workqueue", patch: at('create_workqueue("quill_io")', 'alloc_workqueue("quill_io", WQ_MEM_RECLAIM | WQ_UNBOUND, 1)'), errors: [{ messageId: "converted", line: 3 }] },
  ],
});

describe("wq-legacy-converted says what changed", () => {
  it("ordering and the legacy exemption dropped, rescuer kept", () => {
    const [f] = runRule(rule, at('create_singlethread_workqueue("quill_io")', 'alloc_workqueue("quill_io", WQ_MEM_RECLAIM, 0)'));
    expect(f!.message).toContain("WQ_MEM_RECLAIM kept");
    expect(f!.message).toContain("check_flush_dependency() now checks this queue's workers");
    expect(f!.message).toContain("ordering dropped");
  });
  it("the ordered constructor keeps the order; the rescuer dropped is said", () => {
    const [f] = runRule(rule, at('create_singlethread_workqueue("quill_io")', 'alloc_ordered_workqueue("quill_io", 0)'));
    expect(f!.message).toContain("WQ_MEM_RECLAIM dropped");
    expect(f!.message).not.toContain("ordering dropped");
  });
});

// wq-alloc-args: constructor arguments in the wrong slots, diff-only (the
// annotated C fixture in test/fixtures/c/wq-alloc-args/ runs through the
// audit path in test/context/annotations.test.ts).
import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/workqueue-reclaim/wq-alloc-args.js";
import { runRule, ruleTester } from "../helpers/rule-tester.js";

const before = `static int zap_init_queues(struct zap_dev *zd)
{
	zd->ctl_wq = alloc_workqueue("zap_ctl", WQ_UNBOUND, 0);
	if (!zd->ctl_wq)
		return -ENOMEM;
	return 0;
}
`;
/** The same function with one more queue allocated after the first (new line 6). */
const withCall = (call: string) => ({ files: [{ path: "drivers/zap/zap_main.c", before, after: before.replace("\treturn 0;\n}", `\tzd->io_wq = ${call};\n\treturn 0;\n}`) }] });

ruleTester(rule, {
  valid: [
    { name: "flags then 0", patch: withCall('alloc_workqueue("zap_io", WQ_MEM_RECLAIM, 0)') },
    { name: "WQ_UNBOUND_MAX_ACTIVE in the max_active slot", patch: withCall('alloc_workqueue("zap_io", WQ_UNBOUND | WQ_MEM_RECLAIM, WQ_UNBOUND_MAX_ACTIVE)') },
    { name: "WQ_MAX_ACTIVE in the max_active slot", patch: withCall('alloc_workqueue("zap_io", WQ_MEM_RECLAIM, WQ_MAX_ACTIVE)') },
    { name: "flags 0 and a number", patch: withCall('alloc_workqueue("zap_io", 0, 16)') },
    { name: "an expression as max_active", patch: withCall('alloc_workqueue("zap_io", WQ_HIGHPRI, num_online_cpus())') },
    { name: "a format with its argument after max_active", patch: withCall('alloc_workqueue("zap_io/%s", WQ_MEM_RECLAIM, 1, dev_name(zd->dev))') },
    { name: "an ordered queue with its format argument", patch: withCall('alloc_ordered_workqueue("zap_io-%d", WQ_MEM_RECLAIM, zd->id)') },
    { name: "a format that is not a literal", patch: withCall("alloc_ordered_workqueue(zd->wq_name, WQ_MEM_RECLAIM, 1)") },
    { name: "a legacy constructor", patch: withCall('create_singlethread_workqueue("zap_io")') },
    {
      name: "a swapped call the patch does not touch",
      patch: {
        files: [
          {
            path: "drivers/zap/zap_main.c",
            before: before.replace("WQ_UNBOUND, 0)", "0, WQ_MEM_RECLAIM)"),
            after: before.replace("WQ_UNBOUND, 0)", "0, WQ_MEM_RECLAIM)").replace("\t\treturn -ENOMEM;", "\t\treturn -ENOMEM;\n\tzd->ready = true;"),
          },
        ],
      },
    },
  ],
  invalid: [
    {
      name: "flags 0 and WQ_MEM_RECLAIM as max_active",
      patch: withCall('alloc_workqueue("zap_io", 0, WQ_MEM_RECLAIM)'),
      errors: [{ messageId: "flagInMaxActive", line: 6, severity: "warning" }],
    },
    {
      name: "WQ_MEM_RECLAIM as max_active beside real flags",
      patch: withCall('alloc_workqueue("zap_io", WQ_UNBOUND, WQ_MEM_RECLAIM)'),
      errors: [{ messageId: "flagInMaxActive", line: 6, severity: "warning" }],
    },
    {
      name: "count and flags swapped",
      patch: withCall('alloc_workqueue("zap_io", 1, WQ_MEM_RECLAIM | WQ_HIGHPRI)'),
      errors: [{ messageId: "flagInMaxActive", line: 6 }],
    },
    {
      name: "a call split over lines: the finding sits on the line with the flag",
      patch: {
        files: [
          {
            path: "drivers/zap/zap_main.c",
            before: before.replace('alloc_workqueue("zap_ctl", WQ_UNBOUND, 0);', 'alloc_workqueue("zap_ctl",\n\t\t\t\t     WQ_UNBOUND, 0);'),
            after: before.replace('alloc_workqueue("zap_ctl", WQ_UNBOUND, 0);', 'alloc_workqueue("zap_ctl",\n\t\t\t\t     0, WQ_MEM_RECLAIM);'),
          },
        ],
      },
      errors: [{ messageId: "flagInMaxActive", line: 4 }],
    },
    {
      name: "WQ_MAX_ACTIVE in the flags slot",
      patch: withCall('alloc_workqueue("zap_io", WQ_MAX_ACTIVE, 0)'),
      errors: [{ messageId: "countInFlags", line: 6, severity: "warning" }],
    },
    {
      name: "an ordered queue given the flag as a third argument",
      patch: withCall('alloc_ordered_workqueue("zap_io", 0, WQ_MEM_RECLAIM)'),
      errors: [{ messageId: "flagAsFormatArg", line: 6, severity: "warning" }],
    },
    {
      name: "an ordered queue given a max_active",
      patch: withCall('alloc_ordered_workqueue("zap_io", WQ_MEM_RECLAIM, 1)'),
      errors: [{ messageId: "orderedMaxActive", line: 6, severity: "info" }],
    },
    {
      name: "max_active left out before the format argument",
      patch: withCall('alloc_workqueue("zap_io%d", WQ_MEM_RECLAIM, zd->id)'),
      errors: [{ messageId: "missingMaxActive", line: 6, severity: "warning" }],
    },
  ],
});

describe("wq-alloc-args messages", () => {
  it("says what the queue gets and gives the swapped call", () => {
    const [f] = runRule(rule, withCall('alloc_workqueue("zap_io", 0, WQ_MEM_RECLAIM)'));
    expect(f!.message).toContain("without WQ_MEM_RECLAIM (so it has no rescuer thread) and with max_active 8");
    expect(f!.fix).toBe('Swap the arguments: alloc_workqueue("zap_io", WQ_MEM_RECLAIM, 0).');
    expect(f!.chain).toEqual(['alloc_workqueue("zap_io", 0, WQ_MEM_RECLAIM)', "max_active = 8", "flags lack WQ_MEM_RECLAIM"]);
  });

  it("merges the flag into the flags that are there", () => {
    const [f] = runRule(rule, withCall('alloc_workqueue("zap_io", WQ_UNBOUND, WQ_MEM_RECLAIM | WQ_HIGHPRI)'));
    expect(f!.fix).toBe('Swap the arguments: alloc_workqueue("zap_io", WQ_UNBOUND | WQ_MEM_RECLAIM | WQ_HIGHPRI, 0).');
    expect(f!.message).toContain("max_active 24");
  });

  it("keeps a count that was in the flags slot as max_active", () => {
    const [f] = runRule(rule, withCall('alloc_workqueue("zap_io", 1, WQ_MEM_RECLAIM)'));
    expect(f!.fix).toBe('Swap the arguments: alloc_workqueue("zap_io", WQ_MEM_RECLAIM, 1).');
  });

  it("moves a flag out of an ordered queue's format arguments", () => {
    const [f] = runRule(rule, withCall('alloc_ordered_workqueue("zap_io-%d", 0, zd->id, WQ_MEM_RECLAIM)'));
    expect(f!.messageId).toBe("flagAsFormatArg");
    expect(f!.fix).toBe('Pass the flag in the flags slot: alloc_ordered_workqueue("zap_io-%d", WQ_MEM_RECLAIM, zd->id).');
  });

  it("inserts the missing max_active", () => {
    const [f] = runRule(rule, withCall('alloc_workqueue("zap_io%d", WQ_MEM_RECLAIM, zd->id)'));
    expect(f!.fix).toBe('Give max_active before the name\'s arguments: alloc_workqueue("zap_io%d", WQ_MEM_RECLAIM, 0, zd->id).');
  });
});

import { rule } from "../../src/rules/commit-message/flush-warning-quoted.js";
import { ruleTester } from "../helpers/rule-tester.js";

const setup = (flags: string) => `static int zap_init(struct zap *z)
{
	z->evt_wq = alloc_workqueue("zap_evt", ${flags}, 0);
	if (!z->evt_wq)
		return -ENOMEM;
	return 0;
}
`;
const warning = "  workqueue: WQ_MEM_RECLAIM zap_io:zap_io_work [zap] is flushing !WQ_MEM_RECLAIM zap_evt:zap_evt_work [zap]\n";

ruleTester(rule, {
  valid: [
    { name: "no warning quoted", patch: { message: "Give zap_evt a rescuer because IO completion waits on it.", files: [{ path: "drivers/zap/core.c", before: setup("WQ_UNBOUND"), after: setup("WQ_UNBOUND | WQ_MEM_RECLAIM") }] } },
    { name: "warning text only mentioned in prose", patch: { message: "We do not flush from reclaim any more, so no WQ_MEM_RECLAIM flush warning can fire.", files: [{ path: "drivers/zap/core.c", before: setup("0"), after: setup("WQ_UNBOUND") }] } },
    { name: "unrelated workqueue warning", patch: { message: "workqueue: zap_evt: drain_workqueue() isn't complete after 100 tries\n", files: [{ path: "drivers/zap/core.c", before: setup("0"), after: setup("WQ_UNBOUND") }] } },
  ],
  invalid: [
    {
      name: "WQ_MEM_RECLAIM added to the existing flushed queue: info, the line warning is wq-mem-reclaim-added's",
      patch: { message: "Fix this warning:\n\n" + warning, files: [{ path: "drivers/zap/core.c", before: setup("WQ_UNBOUND"), after: setup("WQ_UNBOUND | WQ_MEM_RECLAIM") }] },
      errors: [{ messageId: "symptomOnLine", severity: "info", file: null, line: null }],
    },
    {
      name: "flushed queue created with WQ_MEM_RECLAIM in this patch: symptom (warning, no line warning)",
      patch: {
        message: "Fix this warning:\n\n" + warning,
        files: [{ path: "drivers/zap/core.c", before: "static int zap_init(struct zap *z)\n{\n\treturn 0;\n}\n", after: setup("WQ_UNBOUND | WQ_MEM_RECLAIM") }],
      },
      errors: [{ messageId: "symptom", severity: "warning", file: null, line: null }],
    },
    {
      name: "warning quoted, fix restructures the flush (info)",
      patch: { message: "Avoid:\n\n" + warning, files: [{ path: "drivers/zap/core.c", before: setup("0"), after: setup("0").replace("\treturn 0;\n}", "\tz->ready = true;\n\treturn 0;\n}") }] },
      errors: [{ messageId: "recognised", severity: "info" }],
    },
    {
      name: "PF_MEMALLOC task form, wrapped in a quoted mail with timestamps",
      patch: {
        message: "> [  12.345678] workqueue: PF_MEMALLOC task 57(kswapd0) is flushing !WQ_MEM_RECLAIM\n> [  12.345679] zap_evt:zap_evt_work\n",
        files: [{ path: "drivers/zap/core.c", before: setup("0"), after: setup("WQ_UNBOUND") }],
      },
      errors: [{ messageId: "recognised", severity: "info" }],
    },
    {
      name: "flag dropped from the flushing queue (info with a question)",
      patch: {
        message: "Quiet the check:\n\n" + warning.replace("zap_io:", "zap_io_0:"),
        files: [
          {
            path: "drivers/zap/core.c",
            before: 'static int zap_io_init(struct zap *z)\n{\n\tz->io_wq = alloc_workqueue("zap_io_%d", WQ_MEM_RECLAIM, 0, z->id);\n\treturn 0;\n}\n',
            after: 'static int zap_io_init(struct zap *z)\n{\n\tz->io_wq = alloc_workqueue("zap_io_%d", 0, 0, z->id);\n\treturn 0;\n}\n',
          },
        ],
      },
      errors: [{ messageId: "recognised", severity: "info" }],
    },
  ],
});

import { describe, expect, it } from "vitest";
import { runRule } from "../helpers/rule-tester.js";

describe("flush-warning-quoted messages", () => {
  it("names both queues and the dropped flag", () => {
    const [f] = runRule(rule, {
      message: "Quiet the check:\n\n" + warning.replace("zap_io:", "zap_io_0:"),
      files: [
        {
          path: "drivers/zap/core.c",
          before: 'static int zap_io_init(struct zap *z)\n{\n\tz->io_wq = alloc_workqueue("zap_io_%d", WQ_MEM_RECLAIM, 0, z->id);\n\treturn 0;\n}\n',
          after: 'static int zap_io_init(struct zap *z)\n{\n\tz->io_wq = alloc_workqueue("zap_io_%d", 0, 0, z->id);\n\treturn 0;\n}\n',
        },
      ],
    });
    expect(f!.message).toContain("zap_io_0:zap_io_work");
    expect(f!.message).toContain("zap_evt:zap_evt_work");
    expect(f!.message).toContain("drops WQ_MEM_RECLAIM from the flushing queue");
  });
});

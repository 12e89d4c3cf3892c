// flush-warning-quoted: the quoted check_flush_dependency() warning checked
// against what the patch does in the code.
import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/commit-message/flush-warning-quoted.js";
import { runRule, ruleTester } from "../helpers/rule-tester.js";

const setup = (flags: string) => `static int zap_init(struct zap *z)
{
	z->evt_wq = alloc_workqueue("zap_evt", ${flags}, 0);
	if (!z->evt_wq)
		return -ENOMEM;
	return 0;
}
`;
const warning = "  workqueue: WQ_MEM_RECLAIM zap_io:zap_io_work [zap] is flushing !WQ_MEM_RECLAIM zap_evt:zap_evt_work [zap]\n";

/** The flushed queue's work (zap_evt_work) and what it does, in the patch. */
const evtDriver = (flags: string, work: string) => `static struct workqueue_struct *zap_evt_wq;
static struct workqueue_struct *zap_aux_wq;

static void zap_evt_work(struct work_struct *work)
{
	struct zap *z = container_of(work, struct zap, evt_work);

${work}
}

static int zap_init(struct zap *z)
{
	zap_evt_wq = alloc_workqueue("zap_evt", ${flags}, 0);
	zap_aux_wq = alloc_workqueue("zap_aux", WQ_UNBOUND, 0);
	INIT_WORK(&z->evt_work, zap_evt_work);
	queue_work(zap_evt_wq, &z->evt_work);
	return 0;
}
`;

/** The flushing worker (zap_io_work) flushes the system queue; the patch gives another queue the flag. */
const ioDriver = (flags: string) => `static struct workqueue_struct *zap_io_wq;
static struct workqueue_struct *zap_misc_wq;

static void zap_io_work(struct work_struct *work)
{
	struct zap *z = container_of(work, struct zap, io_work);

	zap_finish(z);
	flush_scheduled_work();
}

static int zap_init(struct zap *z)
{
	zap_io_wq = alloc_workqueue("zap_io", WQ_MEM_RECLAIM, 0);
	zap_misc_wq = alloc_workqueue("zap_misc", ${flags}, 0);
	return 0;
}
`;
const sysWarning = "workqueue: WQ_MEM_RECLAIM zap_io:zap_io_work [zap] is flushing !WQ_MEM_RECLAIM events:zap_stats_work [zap]\n";

ruleTester(rule, {
  valid: [
    { name: "no warning quoted", patch: { message: "Give zap_evt a rescuer because IO completion waits on it.", files: [{ path: "drivers/zap/core.c", before: setup("WQ_UNBOUND"), after: setup("WQ_UNBOUND | WQ_MEM_RECLAIM") }] } },
    { name: "warning text only mentioned in prose", patch: { message: "We do not flush from reclaim any more, so no WQ_MEM_RECLAIM flush warning can fire.", files: [{ path: "drivers/zap/core.c", before: setup("0"), after: setup("WQ_UNBOUND") }] } },
    { name: "unrelated workqueue warning", patch: { message: "workqueue: zap_evt: drain_workqueue() isn't complete after 100 tries\n", files: [{ path: "drivers/zap/core.c", before: setup("0"), after: setup("WQ_UNBOUND") }] } },
  ],
  invalid: [
    {
      name: "flag added to the flushed queue: a note tying the claim to the flag line (judged there)",
      patch: { message: "Fix this warning:\n\n" + warning, files: [{ path: "drivers/zap/core.c", before: setup("WQ_UNBOUND"), after: setup("WQ_UNBOUND | WQ_MEM_RECLAIM") }] },
      errors: [{ messageId: "onLine", severity: "info", file: null, line: null }],
    },
    {
      name: "the flushed queue created with the flag: a note",
      patch: { message: "Fix this warning:\n\n" + warning, files: [{ path: "drivers/zap/core.c", before: "static int zap_init(struct zap *z)\n{\n\treturn 0;\n}\n", after: setup("WQ_UNBOUND | WQ_MEM_RECLAIM") }] },
      errors: [{ messageId: "onLine", severity: "info" }],
    },
    {
      name: "the flushed queue's work flushes another plain queue: a note (the flag line warns)",
      patch: { message: "Fix this warning:\n\n" + warning, files: [{ path: "drivers/zap/core.c", before: evtDriver("0", "\tflush_workqueue(zap_aux_wq);"), after: evtDriver("WQ_MEM_RECLAIM", "\tflush_workqueue(zap_aux_wq);") }], context: 40 },
      errors: [{ messageId: "onLine", severity: "info" }],
    },
    {
      name: "flag dropped from the flushing queue: a note (judged on the flag line)",
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
      errors: [{ messageId: "onLine", severity: "info" }],
    },
    {
      name: "the flag goes to another queue while the quoted flush of a system queue stays: warning",
      patch: { message: "Fix this warning:\n\n" + sysWarning, files: [{ path: "drivers/zap/core.c", before: ioDriver("WQ_UNBOUND"), after: ioDriver("WQ_UNBOUND | WQ_MEM_RECLAIM") }], context: 40 },
      errors: [{ messageId: "stillFlushes", severity: "warning", file: null, line: null }],
    },
    {
      name: "the flag goes to another queue and the flusher no longer flushes: recognised (info)",
      patch: { message: "Fix this warning:\n\n" + sysWarning, files: [{ path: "drivers/zap/core.c", before: ioDriver("WQ_UNBOUND"), after: ioDriver("WQ_UNBOUND | WQ_MEM_RECLAIM").replace("\tflush_scheduled_work();\n", "") }], context: 40 },
      errors: [{ messageId: "recognised", severity: "info" }],
    },
    {
      name: "the flag goes to another queue, the quoted queue still lacks it, the flusher untouched: warning",
      patch: { message: "Fix this warning:\n\n" + sysWarning, files: [{ path: "drivers/zap/core.c", before: setup("WQ_UNBOUND"), after: setup("WQ_UNBOUND | WQ_MEM_RECLAIM") }] },
      errors: [{ messageId: "addedElsewhere", severity: "warning" }],
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
  ],
});

describe("flush-warning-quoted messages", () => {
  it("ties the claim to the flag line, where the line rule judges it", async () => {
    const { rule: added } = await import("../../src/rules/workqueue-reclaim/wq-mem-reclaim-added.js");
    const spec = { message: "Fix this warning:\n\n" + warning, files: [{ path: "drivers/zap/core.c", before: setup("WQ_UNBOUND"), after: setup("WQ_UNBOUND | WQ_MEM_RECLAIM") }] };
    const [n] = runRule(rule, spec);
    expect(n!.message).toBe('the quoted warning has zap_io:zap_io_work flushing zap_evt:zap_evt_work; this patch adds WQ_MEM_RECLAIM to the flushed queue "zap_evt" (z->evt_wq) (drivers/zap/core.c:3, judged on that line)');
    const [f] = runRule(added, spec);
    expect(f!.messageId).toBe("addedForWarning");
    expect(f!.message).toContain("the queue the quoted warning has zap_io:zap_io_work flushing");
  });

  it("the warning that stays names the flush still in place", () => {
    const [f] = runRule(rule, { message: sysWarning, files: [{ path: "drivers/zap/core.c", before: ioDriver("WQ_UNBOUND"), after: ioDriver("WQ_UNBOUND | WQ_MEM_RECLAIM") }], context: 40 });
    expect(f!.message).toBe(
      'the quoted warning has zap_io:zap_io_work flushing events:zap_stats_work; this patch adds WQ_MEM_RECLAIM to "zap_misc" (zap_misc_wq), but system_wq still has none and zap_io_work() still flushes it (zap_io_work -> flush_scheduled_work(system_wq), line 9): the warning stays',
    );
  });

  it("a quoted trace through a cancel is said to be one the kernel no longer checks", () => {
    const [f] = runRule(rule, { message: warning + "Call Trace:\n __flush_work+0xf1/0x1c0\n cancel_delayed_work_sync+0x13/0x20\n zap_io_work+0x40/0x60\n", files: [{ path: "drivers/zap/core.c", before: setup("0"), after: setup("0").replace("\treturn 0;\n}", "\tz->ready = true;\n\treturn 0;\n}") }] });
    expect(f!.message).toContain("cancel_delayed_work_sync(), a cancel, which check_flush_dependency() no longer checks since de35994ecd2d (v6.13)");
  });
});

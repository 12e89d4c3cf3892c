// wq-flush-dependency without source context: quiet unless the diff itself
// shows the queues, the work item and the flush (the source-aware cases are
// in test/context/annotations.test.ts and test/context/sources.test.ts).
import { rule } from "../../src/rules/source/wq-flush-dependency.js";
import { ruleTester } from "../helpers/rule-tester.js";

const NEW_FILE = (flush: string, reclaimFlags = "WQ_MEM_RECLAIM", plainFlags = "WQ_UNBOUND") => `// SPDX-License-Identifier: GPL-2.0
#include <linux/workqueue.h>

static struct workqueue_struct *qux_io_wq;
static struct workqueue_struct *qux_stats_wq;
static struct work_struct qux_io_work;

static void qux_io_worker(struct work_struct *work)
{
	qux_complete_io();
${flush}
}

static int qux_init(void)
{
	qux_io_wq = alloc_workqueue("qux-io", ${reclaimFlags}, 0);
	qux_stats_wq = alloc_workqueue("qux-stats", ${plainFlags}, 0);
	INIT_WORK(&qux_io_work, qux_io_worker);
	return 0;
}

static void qux_kick(void)
{
	queue_work(qux_io_wq, &qux_io_work);
}
`;

const EXISTING = `static void qux_io_worker(struct work_struct *work)
{
	qux_complete_io();
}
`;

ruleTester(rule, {
  valid: [
    {
      name: "cancel instead of flush (not a flush dependency since de35994ecd2d)",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tcancel_work_sync(&qux_stats_work);") }] },
    },
    {
      name: "flushing a queue that has WQ_MEM_RECLAIM too",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tflush_workqueue(qux_stats_wq);", "WQ_MEM_RECLAIM", "WQ_MEM_RECLAIM | WQ_UNBOUND") }] },
    },
    {
      name: "the worker's queue has no WQ_MEM_RECLAIM",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tflush_workqueue(qux_stats_wq);", "WQ_UNBOUND") }] },
    },
    {
      name: "flushing a queue whose flags come from a variable",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tflush_workqueue(qux_stats_wq);", "WQ_MEM_RECLAIM", "qux_flags") }] },
    },
    {
      name: "diff alone does not show which queue runs the worker",
      patch: { files: [{ path: "drivers/qux/qux.c", before: EXISTING, after: EXISTING.replace("qux_complete_io();\n", "qux_complete_io();\n\tflush_workqueue(qux_stats_wq);\n") }] },
    },
  ],
  invalid: [
    {
      name: "WQ_MEM_RECLAIM worker flushes a plain queue, all in the diff",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tflush_workqueue(qux_stats_wq);") }] },
      errors: [{ messageId: "flush", line: 11, severity: "warning" }],
    },
    {
      name: "WQ_MEM_RECLAIM worker drains a plain queue",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tdrain_workqueue(qux_stats_wq);") }] },
      errors: [{ messageId: "flush", line: 11 }],
    },
    {
      name: "WQ_MEM_RECLAIM worker flushes the system workqueue",
      patch: { files: [{ path: "drivers/qux/qux.c", after: NEW_FILE("\tflush_scheduled_work();") }] },
      errors: [{ messageId: "flush", line: 11 }],
    },
  ],
});

import { describe, expect, it } from "vitest";
import { rule, quotesFlushWarning } from "../../src/rules/workqueue-reclaim/wq-mem-reclaim-added.js";
import { ruleTester } from "../helpers/rule-tester.js";

// A made-up filesystem's mount-time workqueue setup.
const before = `static int quuxfs_init_workqueues(struct quuxfs_mount *mp)
{
	mp->m_flush_wq = alloc_workqueue("quuxfs-flush/%s",
			WQ_FREEZABLE, 0, mp->m_name);
	if (!mp->m_flush_wq)
		return -ENOMEM;

	mp->m_gc_wq = alloc_workqueue("quuxfs-gc/%s",
			WQ_MEM_RECLAIM | WQ_FREEZABLE, 0, mp->m_name);
	if (!mp->m_gc_wq)
		goto out_flush;
	return 0;
out_flush:
	destroy_workqueue(mp->m_flush_wq);
	return -ENOMEM;
}
`;

const flushWarning = `Create the notify queue with WQ_MEM_RECLAIM to fix this warning:

  workqueue: WQ_MEM_RECLAIM widget_js:widget_free_job is flushing !WQ_MEM_RECLAIM notify_wq:0x0`;

describe("quotesFlushWarning", () => {
  it("recognises the check_flush_dependency text and a subject about a flush warning", () => {
    expect(quotesFlushWarning("widget: fix notify_wq flushing warning", "")).toBe(true);
    expect(quotesFlushWarning("x", flushWarning)).toBe(true);
    expect(quotesFlushWarning("widget: fix the warning when flushing a non-reclaim workqueue", "")).toBe(true);
    expect(quotesFlushWarning("widget: fix a warning in probe", "Flush the cache on remove.")).toBe(false);
    expect(quotesFlushWarning("quuxfs: give the flush queue a rescuer", "Log IO completion runs here.")).toBe(false);
  });
});

ruleTester(rule, {
  valid: [
    {
      name: "WQ_UNBOUND added beside an existing WQ_MEM_RECLAIM",
      patch: {
        files: [{ path: "fs/quuxfs/super.c", before, after: before.replace("WQ_MEM_RECLAIM | WQ_FREEZABLE, 0", "WQ_MEM_RECLAIM | WQ_FREEZABLE | WQ_UNBOUND, 0") }],
      },
    },
    {
      name: "call that already had the flag reformatted onto one line",
      patch: {
        files: [
          {
            path: "fs/quuxfs/super.c",
            before,
            after: before.replace(
              'alloc_workqueue("quuxfs-gc/%s",\n\t\t\tWQ_MEM_RECLAIM | WQ_FREEZABLE, 0, mp->m_name);',
              'alloc_workqueue("quuxfs-gc/%s", WQ_MEM_RECLAIM | WQ_FREEZABLE, 0, mp->m_name);',
            ),
          },
        ],
      },
    },
    {
      name: "a comment mentioning WQ_MEM_RECLAIM",
      patch: {
        files: [{ path: "fs/quuxfs/super.c", before, after: before.replace("\tmp->m_flush_wq =", "\t/* no WQ_MEM_RECLAIM: nothing in reclaim waits on flushes */\n\tmp->m_flush_wq =") }],
      },
    },
    {
      name: "a new queue created with the flag (ordinary, no changelog about flushing)",
      patch: {
        files: [
          {
            path: "fs/quuxfs/super.c",
            before,
            after: before.replace("\treturn 0;\nout_flush:", '\tmp->m_log_wq = alloc_workqueue("quuxfs-log/%s", WQ_MEM_RECLAIM, 0, mp->m_name);\n\treturn 0;\nout_flush:'),
          },
        ],
      },
    },
    {
      name: "a test of wq->flags & WQ_MEM_RECLAIM",
      patch: {
        files: [
          {
            path: "kernel/widget.c",
            before: "static void widget_check(struct workqueue_struct *wq)\n{\n\tcheck_it(wq);\n}\n",
            after: "static void widget_check(struct workqueue_struct *wq)\n{\n\tif (wq->flags & WQ_MEM_RECLAIM)\n\t\tcheck_it(wq);\n}\n",
          },
        ],
      },
    },
    {
      name: "allocation moved into a helper keeping the flag (same queue name)",
      patch: {
        files: [
          {
            path: "fs/quuxfs/super.c",
            before,
            after: before.replace(
              '\tmp->m_gc_wq = alloc_workqueue("quuxfs-gc/%s",\n\t\t\tWQ_MEM_RECLAIM | WQ_FREEZABLE, 0, mp->m_name);',
              '\tstruct workqueue_struct *wq = alloc_workqueue("quuxfs-gc/%s",\n\t\t\tWQ_MEM_RECLAIM | WQ_FREEZABLE, 0, mp->m_name);\n\tmp->m_gc_wq = wq;',
            ),
          },
        ],
      },
    },
  ],
  invalid: [
    {
      name: "flag added to an existing queue, split call",
      patch: {
        files: [{ path: "fs/quuxfs/super.c", before, after: before.replace("\t\t\tWQ_FREEZABLE, 0, mp->m_name);", "\t\t\tWQ_MEM_RECLAIM | WQ_FREEZABLE, 0, mp->m_name);") }],
      },
      errors: [{ messageId: "added", line: 4, severity: "info" }],
    },
    {
      name: "flag added to silence the flush warning quoted in the message",
      patch: {
        subject: "widget: fix notify_wq flushing warning",
        message: flushWarning,
        files: [
          {
            path: "drivers/misc/widget/main.c",
            before: 'static int widget_probe(struct widget *w)\n{\n\tw->notify_wq = alloc_ordered_workqueue("notify_wq", 0);\n\tif (!w->notify_wq)\n\t\treturn -ENOMEM;\n\treturn 0;\n}\n',
            after: 'static int widget_probe(struct widget *w)\n{\n\tw->notify_wq = alloc_ordered_workqueue("notify_wq", WQ_MEM_RECLAIM);\n\tif (!w->notify_wq)\n\t\treturn -ENOMEM;\n\treturn 0;\n}\n',
          },
        ],
      },
      errors: [{ messageId: "addedToSilence", line: 3, severity: "warning" }],
    },
    {
      name: "flag added in a flag macro",
      patch: {
        files: [
          {
            path: "fs/quuxfs/quuxfs.h",
            before: "#define QUUXFS_WQFLAGS(f)\t(WQ_SYSFS | (f))\n\nextern int quuxfs_x;\n",
            after: "#define QUUXFS_WQFLAGS(f)\t(WQ_SYSFS | WQ_MEM_RECLAIM | (f))\n\nextern int quuxfs_x;\n",
          },
        ],
      },
      errors: [{ messageId: "added", line: 1, severity: "info" }],
    },
    {
      name: "flag added to a flag variable",
      patch: {
        files: [
          {
            path: "drivers/block/fooblk.c",
            before: "static int fooblk_init(void)\n{\n\tunsigned int wq_flags = WQ_UNBOUND;\n\n\tfooblk_wq = alloc_workqueue(\"fooblk\", wq_flags, 0);\n\treturn fooblk_wq ? 0 : -ENOMEM;\n}\n",
            after: "static int fooblk_init(void)\n{\n\tunsigned int wq_flags = WQ_UNBOUND | WQ_MEM_RECLAIM;\n\n\tfooblk_wq = alloc_workqueue(\"fooblk\", wq_flags, 0);\n\treturn fooblk_wq ? 0 : -ENOMEM;\n}\n",
          },
        ],
      },
      errors: [{ messageId: "added", line: 3 }],
    },
    {
      name: "flag or-ed into a flags variable under a condition",
      patch: {
        files: [
          {
            path: "drivers/block/fooblk.c",
            before: "static int fooblk_init(bool swap)\n{\n\tunsigned int wq_flags = WQ_UNBOUND;\n\n\tfooblk_wq = alloc_workqueue(\"fooblk\", wq_flags, 0);\n\treturn fooblk_wq ? 0 : -ENOMEM;\n}\n",
            after: "static int fooblk_init(bool swap)\n{\n\tunsigned int wq_flags = WQ_UNBOUND;\n\n\tif (swap)\n\t\twq_flags |= WQ_MEM_RECLAIM;\n\tfooblk_wq = alloc_workqueue(\"fooblk\", wq_flags, 0);\n\treturn fooblk_wq ? 0 : -ENOMEM;\n}\n",
          },
        ],
      },
      errors: [{ messageId: "added", line: 6, severity: "info" }],
    },
    {
      name: "a dedicated queue created with the flag for a flush warning (topic, info)",
      patch: {
        message: flushWarning,
        files: [
          {
            path: "fs/quuxfs/super.c",
            before,
            after: before.replace("\treturn 0;\nout_flush:", '\tmp->m_log_wq = alloc_workqueue("quuxfs-log/%s", WQ_MEM_RECLAIM, 0, mp->m_name);\n\treturn 0;\nout_flush:'),
          },
        ],
      },
      errors: [{ messageId: "newQueue", line: 12, severity: "info" }],
    },
    {
      name: "dedicated WQ_MEM_RECLAIM queue replacing system_wq for journal writes (bcache 2019 shape)",
      patch: {
        files: [
          {
            path: "drivers/md/zcache/journal.c",
            before:
              "static void zc_journal_kick(struct zc_set *c)\n{\n\tqueue_work(system_wq, &c->journal.work);\n}\n\nint zc_journal_init(struct zc_set *c)\n{\n\treturn 0;\n}\n",
            after:
              "static void zc_journal_kick(struct zc_set *c)\n{\n\tqueue_work(zc_journal_wq, &c->journal.work);\n}\n\nint zc_journal_init(struct zc_set *c)\n{\n\tzc_journal_wq = alloc_workqueue(\"zc_journal\", WQ_MEM_RECLAIM, 0);\n\treturn zc_journal_wq ? 0 : -ENOMEM;\n}\n",
          },
        ],
      },
      errors: [{ messageId: "dedicatedQueue", line: 8, severity: "info" }],
    },
  ],
});

// wq-mem-reclaim-removed: the flag dropped from a queue, or work put on a
// system queue, judged by whether IO or reclaim waits on that work in the code.
import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/workqueue-reclaim/wq-mem-reclaim-removed.js";
import { runRule, ruleTester } from "../helpers/rule-tester.js";
import { renamed, reviewWithTree } from "../helpers/tree-review.js";

// A made-up SCSI host driver's probe, error-handling queue split over lines.
const scsiBefore = `static int zapscsi_probe(struct zap_dev *dev)
{
	dev->eh_wq =
		alloc_ordered_workqueue("zapscsi_eh_%d",
					WQ_MEM_RECLAIM,
					dev->host_no);
	if (!dev->eh_wq)
		return -ENOMEM;
	return 0;
}
`;
const dropEh = (t: string) => t.replace("\t\t\t\t\tWQ_MEM_RECLAIM,", "\t\t\t\t\t0,");

/** A block driver: a completion queue whose work ends bios (or only frees, or is not shown). */
const blk = (flags: string, work = "\tbio_endio(io->bio);") => `static struct workqueue_struct *zap_done_wq;

static void zap_done_work(struct work_struct *w)
{
	struct zap_io *io = container_of(w, struct zap_io, done_work);

${work}
}

static void zap_end_io(struct bio *bio)
{
	struct zap_io *io = bio->bi_private;

	queue_work(zap_done_wq, &io->done_work);
}

static int zap_init(void)
{
	zap_done_wq = alloc_workqueue("zap_done", ${flags}, 0);
	return zap_done_wq ? 0 : -ENOMEM;
}

static struct zap_io *zap_io_get(struct bio *bio)
{
	struct zap_io *io = kmalloc(sizeof(*io), GFP_NOIO);

	INIT_WORK(&io->done_work, zap_done_work);
	return io;
}
`;
const whole = (before: string, after: string, path = "drivers/block/zapblk.c") => ({ files: [{ path, before, after }], context: 60 });

/** A SCSI driver whose eh handler hands recovery to work on its eh queue. */
const eh = (flags: string) => `static struct workqueue_struct *zap_eh_wq;

static int zap_abort(struct scsi_cmnd *cmd)
{
	struct zap_host *zh = shost_priv(cmd->device->host);

	queue_work(zap_eh_wq, &zh->reset_work);
	return SUCCESS;
}

static const struct scsi_host_template zap_sht = {
	.name			= "zap",
	.eh_abort_handler	= zap_abort,
};

static int zap_probe(struct zap_host *zh)
{
	zap_eh_wq = alloc_ordered_workqueue("zap_eh", ${flags});
	return zap_eh_wq ? 0 : -ENOMEM;
}
`;

const endio = (body: string) => `static void zap_target_endio(struct bio *bio)
{
	struct zap_io *io = bio->bi_private;

${body}
}
`;

/** Written for these tests: a SCSI error handler's per-target recovery work, woken through the driver's own op (a new file). */
const ehWork = (wake: string, finish: string) => `struct zap_eh {
	struct work_struct handle_work;
	struct list_head cmds;
};

static void zap_eh_work(struct work_struct *work)
{
	struct zap_eh *eh = container_of(work, struct zap_eh, handle_work);
	LIST_HEAD(done_q);

	zap_recover(eh, &done_q);
${finish}
}

static int zap_eh_wakeup(struct zap_eh *eh)
{
${wake}
}

static void zap_eh_init(struct zap_eh *eh)
{
	INIT_WORK(&eh->handle_work, zap_eh_work);
	eh->ops.wakeup = zap_eh_wakeup;
}
`;

ruleTester(rule, {
  valid: [
    {
      name: "a bio end_io handler defers bio completion to a BH system queue (softirq: no worker to wait for): quiet",
      patch: whole(endio("\tbio_endio(io->orig);"), endio("\tqueue_work(system_bh_wq, &io->done_work);") + "\nstatic void zap_done(struct work_struct *w)\n{\n\tstruct zap_io *io = container_of(w, struct zap_io, done_work);\n\n\tbio_endio(io->orig);\n}\n", "drivers/md/zap-target.c"),
    },
    {
      name: "system-queue work from a function of no known role, whose work completes nothing",
      patch: { files: [{ path: "drivers/scsi/zap_eh.c", before: null, after: ehWork("\treturn schedule_work(&eh->handle_work);", "\tzap_log_done(&done_q);") }] },
    },
    {
      name: "WQ_UNBOUND added, WQ_MEM_RECLAIM kept",
      patch: { files: [{ path: "drivers/scsi/zapscsi.c", before: scsiBefore, after: scsiBefore.replace("\t\t\t\t\tWQ_MEM_RECLAIM,", "\t\t\t\t\tWQ_MEM_RECLAIM | WQ_UNBOUND,") }] },
    },
    {
      name: "create_singlethread_workqueue converted to alloc_ordered_workqueue keeping the flag",
      patch: {
        files: [
          {
            path: "drivers/block/zapblk.c",
            before: 'static int zapblk_init(struct zap *z)\n{\n\tz->wq = create_singlethread_workqueue("zapblk");\n\treturn z->wq ? 0 : -ENOMEM;\n}\n',
            after: 'static int zapblk_init(struct zap *z)\n{\n\tz->wq = alloc_ordered_workqueue("zapblk", WQ_MEM_RECLAIM);\n\treturn z->wq ? 0 : -ENOMEM;\n}\n',
          },
        ],
      },
    },
    {
      name: "work moved to a different dedicated queue, not a system queue",
      patch: whole(blk("WQ_MEM_RECLAIM"), blk("WQ_MEM_RECLAIM").replace("queue_work(zap_done_wq, &io->done_work);", "queue_work(zap_other_wq, &io->done_work);")),
    },
    {
      name: "schedule_work added in a function with no role",
      patch: {
        files: [
          {
            path: "drivers/net/ethernet/zap/zap_main.c",
            before: "static void zapnet_tx_timeout(struct net_device *ndev)\n{\n\tzapnet_log(ndev);\n}\n",
            after: "static void zapnet_tx_timeout(struct net_device *ndev)\n{\n\tzapnet_log(ndev);\n\tschedule_work(&netdev_priv(ndev)->reset_task);\n}\n",
          },
        ],
      },
    },
    {
      name: "an existing schedule_delayed_work in a writeback function put under a condition",
      patch: {
        files: [
          {
            path: "fs/quuxfs/writeback.c",
            before: "static int quuxfs_writepages(struct address_space *m, struct writeback_control *wbc)\n{\n\tquuxfs_flush_old(m);\n\tschedule_delayed_work(&quux_flush_work, quux_interval * HZ);\n\treturn 0;\n}\n",
            after: "static int quuxfs_writepages(struct address_space *m, struct writeback_control *wbc)\n{\n\tquuxfs_flush_old(m);\n\tif (quux_interval)\n\t\tschedule_delayed_work(&quux_flush_work, quux_interval * HZ);\n\treturn 0;\n}\n",
          },
        ],
      },
    },
    {
      name: "work moved to a system queue from a queue that had no WQ_MEM_RECLAIM",
      patch: whole(blk("WQ_UNBOUND"), blk("WQ_UNBOUND").replace("queue_work(zap_done_wq, &io->done_work);", "queue_work(system_unbound_wq, &io->done_work);")),
    },
    {
      name: "a bio completion queues work on a system queue whose function only frees",
      patch: whole(endio("\tkfree(io);"), endio("\tqueue_work(system_unbound_wq, &io->free_work);") + "\nstatic void zap_free_work(struct work_struct *w)\n{\n\tstruct zap_io *io = container_of(w, struct zap_io, free_work);\n\n\tkfree(io);\n}\n\nstatic void zap_io_init(struct zap_io *io)\n{\n\tINIT_WORK(&io->free_work, zap_free_work);\n}\n", "drivers/md/zap-target.c"),
    },
  ],
  invalid: [
    {
      name: "flag dropped from a queue whose work ends bios: warning with the chain",
      patch: whole(blk("WQ_MEM_RECLAIM"), blk("0")),
      errors: [{ messageId: "removed", line: 19, severity: "warning" }],
    },
    {
      name: "flag dropped from a queue an abort handler hands recovery to",
      patch: whole(eh("WQ_MEM_RECLAIM"), eh("0"), "drivers/scsi/zapscsi.c"),
      errors: [{ messageId: "removed", line: 18, severity: "warning" }],
    },
    {
      name: "flag dropped, nothing about the queue's work visible: info naming what is missing",
      patch: { files: [{ path: "drivers/scsi/zapscsi.c", before: scsiBefore, after: dropEh(scsiBefore) }] },
      errors: [{ messageId: "removedUnknown", line: 5, severity: "info" }],
    },
    {
      name: "flag dropped to silence a warning quoted from a cancel path (the storvsc shape): info",
      patch: {
        subject: "zapscsi: remove WQ_MEM_RECLAIM from the eh queue",
        message:
          "The eh queue does not need forward progress under memory pressure.\n\n" +
          "workqueue: WQ_MEM_RECLAIM zapscsi_eh_0:zap_remove_lun is flushing !WQ_MEM_RECLAIM events_freezable_power_:disk_events_workfn\n" +
          "Call Trace:\n __flush_work+0xf1/0x1c0\n cancel_delayed_work_sync+0x13/0x20\n disk_block_events+0x78/0x80\n zap_remove_lun+0x40/0x60\n",
        files: [{ path: "drivers/scsi/zapscsi.c", before: scsiBefore, after: dropEh(scsiBefore) }],
      },
      errors: [{ messageId: "removedUnknown", line: 5, severity: "info" }],
    },
    {
      name: "create_workqueue (implicit WQ_MEM_RECLAIM) replaced by alloc_workqueue without it",
      patch: {
        files: [
          {
            path: "drivers/block/zapblk.c",
            before: 'static int zapblk_init(struct zap *z)\n{\n\tz->io_wq = create_workqueue("zapblk_io");\n\treturn z->io_wq ? 0 : -ENOMEM;\n}\n',
            after: 'static int zapblk_init(struct zap *z)\n{\n\tz->io_wq = alloc_workqueue("zapblk_io", 0, 0);\n\treturn z->io_wq ? 0 : -ENOMEM;\n}\n',
          },
        ],
      },
      errors: [{ messageId: "removedUnknown", line: 3, severity: "info" }],
    },
    {
      name: "IO completion work moved from its WQ_MEM_RECLAIM queue to schedule_work",
      patch: whole(blk("WQ_MEM_RECLAIM"), blk("WQ_MEM_RECLAIM").replace("queue_work(zap_done_wq, &io->done_work);", "schedule_work(&io->done_work);")),
      errors: [{ messageId: "movedToSystem", line: 14, severity: "warning" }],
    },
    {
      name: "work moved from a queue whose allocation is not shown to schedule_work: info",
      patch: {
        files: [
          {
            path: "drivers/block/zapblk.c",
            before: "static void zapblk_kick(struct zap_io *io)\n{\n\tqueue_work(io->zc->done_wq, &io->done_work);\n}\n",
            after: "static void zapblk_kick(struct zap_io *io)\n{\n\tschedule_work(&io->done_work);\n}\n",
          },
        ],
      },
      errors: [{ messageId: "movedToSystemUnknown", line: 3, severity: "info" }],
    },
    {
      name: "queue_work(system_unbound_wq) added in a bio end_io handler, work not shown: info",
      patch: { files: [{ path: "drivers/md/zap-target.c", before: endio("\tzap_io_free(io);"), after: endio("\tqueue_work(system_unbound_wq, &io->free_work);") }] },
      errors: [{ messageId: "systemFromRoleUnknown", line: 5, severity: "info" }],
    },
    {
      name: "a bio end_io handler defers bio completion to a system queue: warning",
      patch: whole(endio("\tbio_endio(io->orig);"), endio("\tqueue_work(system_unbound_wq, &io->done_work);") + "\nstatic void zap_done(struct work_struct *w)\n{\n\tstruct zap_io *io = container_of(w, struct zap_io, done_work);\n\n\tbio_endio(io->orig);\n}\n", "drivers/md/zap-target.c"),
      errors: [{ messageId: "systemFromRole", line: 5, severity: "warning" }],
    },
    {
      name: "work that finishes the commands error handling processed, queued on the system queue from a function of no known role: warning",
      patch: { files: [{ path: "drivers/scsi/zap_eh.c", before: null, after: ehWork("\treturn schedule_work(&eh->handle_work);", "\tscsi_eh_flush_done_q(&done_q);") }] },
      errors: [{ messageId: "systemCompletesIo", line: 17, severity: "warning" }],
    },
    {
      name: "queue_rq hands requests to the system queue: warning",
      patch: {
        files: [
          {
            path: "drivers/block/zapblk.c",
            before: "static blk_status_t zap_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)\n{\n\tstruct zap_cmd *cmd = blk_mq_rq_to_pdu(bd->rq);\n\n\treturn zap_submit(cmd);\n}\n",
            after: "static blk_status_t zap_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)\n{\n\tstruct zap_cmd *cmd = blk_mq_rq_to_pdu(bd->rq);\n\n\tqueue_work(system_wq, &cmd->work);\n\treturn BLK_STS_OK;\n}\n",
          },
        ],
      },
      errors: [{ messageId: "systemFromRole", line: 5, severity: "warning" }],
    },
  ],
});

describe("wq-mem-reclaim-removed: several queues made in one condition", () => {
  // written for this test: a filesystem allocating its queues in one `if (!(a = ...) || !(b = ...))` chain; the
  // completion queue's work ends bios
  const fs = (doneFlags: string) => `static void zap_done_work(struct work_struct *w)
{
	struct zap_io *io = container_of(w, struct zap_io, done_work);

	bio_endio(io->bio);
}

static void zap_end_io(struct bio *bio)
{
	struct zap_io *io = bio->bi_private;

	queue_work(io->c->done_wq, &io->done_work);
}

static int zap_fs_alloc(struct zap_fs *c)
{
	if (!(c->update_wq = alloc_workqueue("zap_update",
				WQ_FREEZABLE|WQ_MEM_RECLAIM|WQ_UNBOUND, 512)) ||
	    !(c->done_wq = alloc_workqueue("zap_done",
				${doneFlags}, 1)) ||
	    !(c->gc_wq = alloc_workqueue("zap_gc",
				WQ_FREEZABLE|WQ_MEM_RECLAIM, 1)))
		return -ENOMEM;
	return 0;
}

static struct zap_io *zap_io_get(struct bio *bio)
{
	struct zap_io *io = kmalloc(sizeof(*io), GFP_NOIO);

	INIT_WORK(&io->done_work, zap_done_work);
	return io;
}
`;
  it("reads each call of the chain as its own site: the flag dropped from the second queue is found, on its line", () => {
    const f = runRule(rule, whole(fs("WQ_FREEZABLE|WQ_MEM_RECLAIM"), fs("WQ_FREEZABLE"), "fs/zapfs/super.c"));
    expect(f.map((x) => [x.line, x.severity])).toEqual([[20, "warning"]]);
    expect(f[0]!.message).toContain('WQ_MEM_RECLAIM dropped from "zap_done" (c->done_wq)');
  });

  it("is quiet when the chain's flags stay as they were and only another line of it changes", () => {
    const before = fs("WQ_FREEZABLE|WQ_MEM_RECLAIM");
    expect(runRule(rule, whole(before, before.replace("WQ_FREEZABLE|WQ_MEM_RECLAIM|WQ_UNBOUND, 512", "WQ_FREEZABLE|WQ_MEM_RECLAIM|WQ_UNBOUND, 256"), "fs/zapfs/super.c"))).toEqual([]);
  });
});

describe("wq-mem-reclaim-removed findings", () => {
  it("names the queue, the link and the chain", () => {
    const [f] = runRule(rule, whole(blk("WQ_MEM_RECLAIM"), blk("0")));
    expect(f!.message).toBe(
      'WQ_MEM_RECLAIM dropped from "zap_done" (zap_done_wq), but IO or reclaim waits on its work (zap_end_io() -> queue_work(zap_done_wq, &io->done_work) -> "zap_done" -> zap_done_work() -> bio_endio()): without a rescuer that work can stall when no worker can be created under memory pressure',
    );
    expect(f!.chain).toEqual(["zap_end_io()", "queue_work(zap_done_wq, &io->done_work)", '"zap_done"', "zap_done_work()", "bio_endio()", '"zap_done": WQ_MEM_RECLAIM dropped']);
  });

  it("a quoted warning from a cancel is named as one the kernel no longer gives", () => {
    const [f] = runRule(rule, {
      message: "workqueue: WQ_MEM_RECLAIM zapscsi_eh_0:zap_remove_lun is flushing !WQ_MEM_RECLAIM events:disk_events_workfn\n cancel_delayed_work_sync+0x13/0x20\n zap_remove_lun+0x40/0x60\n",
      files: [{ path: "drivers/scsi/zapscsi.c", before: scsiBefore, after: dropEh(scsiBefore) }],
    });
    expect(f!.message).toContain("which comes from cancel_delayed_work_sync(): a cancel no longer warns since de35994ecd2d (v6.13)");
    expect(f!.unknowns).toEqual(['which work runs on "zapscsi_eh_%d" (dev->eh_wq) (no queue_work() on it in the lines shown)']);
  });

  it("a changelog claim does not make it quiet", () => {
    const spec = whole(blk("WQ_MEM_RECLAIM"), blk("0"));
    const f = runRule(rule, { ...spec, message: "This queue is not used on the memory reclaim path, so WQ_MEM_RECLAIM is not needed." });
    expect(f.map((x) => [x.messageId, x.severity])).toEqual([["removed", "warning"]]);
  });

  it("renaming every identifier and the path changes no verdict", () => {
    const names = new Map([["zap", "gpu3"], ["drivers/block/", "drivers/gpu/"], ["drivers/md/", "sound/"]]);
    const specs = [whole(blk("WQ_MEM_RECLAIM"), blk("0")), whole(eh("WQ_MEM_RECLAIM"), eh("0"), "drivers/scsi/zapscsi.c"), whole(blk("WQ_MEM_RECLAIM"), blk("WQ_MEM_RECLAIM").replace("queue_work(zap_done_wq, &io->done_work);", "schedule_work(&io->done_work);"))];
    for (const spec of specs) {
      const a = runRule(rule, spec);
      const b = runRule(rule, { ...spec, files: spec.files.map((f) => ({ path: renamed(f.path, names), before: renamed(f.before, names), after: renamed(f.after, names) })) });
      expect(a.length).toBeGreaterThan(0);
      expect(b.map((f) => [f.messageId, f.line, f.severity])).toEqual(a.map((f) => [f.messageId, f.line, f.severity]));
    }
  });
});

describe("wq-mem-reclaim-removed with a source tree", () => {
  const MAIN = `#include "zap.h"

int zap_init(struct zap_dev *zd)
{
	zd->evt_wq = alloc_workqueue("zap_evt", WQ_MEM_RECLAIM, 0);
	INIT_WORK(&zd->evt_work, zap_evt_work);
	return 0;
}
`;
  const WORK = (body: string) => `#include "zap.h"

void zap_evt_work(struct work_struct *work)
{
	struct zap_dev *zd = container_of(work, struct zap_dev, evt_work);

${body}
}

void zap_kick(struct zap_dev *zd)
{
	queue_work(zd->evt_wq, &zd->evt_work);
}
`;
  const drop = { files: [{ path: "drivers/zap/zap_main.c", before: MAIN, after: MAIN.replace("WQ_MEM_RECLAIM", "0") }] };

  it("an info that says what was checked when the directory shows the queue's work and nothing waits on it", async () => {
    const tree = new Map([["drivers/zap/zap.h", ""], ["drivers/zap/zap_main.c", MAIN], ["drivers/zap/zap_work.c", WORK("\tzap_update_leds(zd);")]]);
    const f = await reviewWithTree(tree, drop, [rule]);
    expect(f.map((x) => [x.line, x.messageId, x.severity])).toEqual([[5, "removedChecked", "info"]]);
    expect(f[0]!.message).toMatch(/^WQ_MEM_RECLAIM dropped from .*: checked in drivers\/zap\/: its work \(zap_\w+\(\)\) completes no IO/);
    expect(f[0]!.unknowns).toEqual([expect.stringContaining("outside drivers/zap/")]);
  });

  it("a warning when the work in another file completes requests", async () => {
    const tree = new Map([["drivers/zap/zap.h", ""], ["drivers/zap/zap_main.c", MAIN], ["drivers/zap/zap_work.c", WORK("\tblk_mq_end_request(zd->rq, BLK_STS_OK);")]]);
    const f = await reviewWithTree(tree, drop, [rule]);
    expect(f.map((x) => [x.line, x.messageId, x.severity])).toEqual([[5, "removed", "warning"]]);
    expect(f[0]!.chain).toContain("blk_mq_end_request()");
  });
});

// A network block driver's receive work, first on its own rescuer queue, then in a kernel thread per connection.
const RECV = (thread: boolean) => `// SPDX-License-Identifier: GPL-2.0
static struct workqueue_struct *knit_recv_wq;

static int knit_start_conn(struct knit_conn *c)
{
${thread ? "\tstruct task_struct *t;\n\n\tt = kthread_create(knit_recv, c, \"knit-recv\");\n\tif (IS_ERR(t))\n\t\treturn PTR_ERR(t);\n\twake_up_process(t);\n" : "\tINIT_WORK(&c->recv_work, knit_recv);\n\tqueue_work(knit_recv_wq, &c->recv_work);\n"}	return 0;
}

static int __init knit_init(void)
{
${thread ? "" : "\tknit_recv_wq = alloc_workqueue(\"knit-recv\", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);\n\tif (!knit_recv_wq)\n\t\treturn -ENOMEM;\n"}	return knit_register();
}
`;

describe("wq-mem-reclaim-removed: a rescuer queue deleted, its work moved to a kernel thread", () => {
  it("says where the work runs now and what a thread's creation needs", () => {
    const f = runRule(rule, { files: [{ path: "drivers/block/knit.c", before: RECV(false), after: RECV(true) }] });
    expect(f.map((x) => [x.messageId, x.severity, x.line])).toEqual([["queueToThread", "info", 8]]);
    expect(f[0]!.message).toContain('"knit-recv" (knit_recv_wq)');
    expect(f[0]!.message).toContain("knit_recv() now runs in a kernel thread of its own");
  });

  it("a queue deleted with its work dropped too: nothing about a thread", () => {
    const f = runRule(rule, { files: [{ path: "drivers/block/knit.c", before: RECV(false), after: RECV(true).replace("kthread_create(knit_recv, c, \"knit-recv\")", "knit_other_thread(c)") }] });
    expect(f.filter((x) => x.messageId === "queueToThread")).toEqual([]);
  });
});

describe("wq-mem-reclaim-removed: work the block layer's own submission queues beside the bio", () => {
  // written for this test, modelled on the block core kicking a frequency-hint update on each submission
  const core = (kick: boolean, completes = false) => `static void blk_hint_work_fn(struct work_struct *work)
{
	struct request_queue *q = container_of(work, struct request_queue, hint_work.work);

${completes ? "\tbio_endio(q->held_bio);\n" : "\tblk_hint_raise(q);\n"}}

static void __submit_bio(struct bio *bio)
{
	struct request_queue *q = bdev_get_queue(bio->bi_bdev);

${kick ? "\tschedule_delayed_work(&q->hint_work, 0);\n" : ""}	blk_mq_submit_bio(bio);
}
`;
  const run = (completes: boolean) => reviewWithTree(new Map([["block/blk-core.c", core(false, completes)]]), { files: [{ path: "block/blk-core.c", before: core(false, completes), after: core(true, completes) }] }, [rule]);

  it("work that completes no IO: nothing said (the bio does not wait on it)", async () => {
    expect((await run(false)).filter((x) => x.severity !== "info")).toEqual([]);
  });

  it("work that completes the bio: a warning", async () => {
    const f = await run(true);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[12, "warning"]]);
  });
});

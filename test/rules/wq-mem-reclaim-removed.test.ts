import { rule } from "../../src/rules/workqueue-reclaim/wq-mem-reclaim-removed.js";
import { ruleTester } from "../helpers/rule-tester.js";

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

const gpuBefore = `static int blinkgpu_init(struct blink *b)
{
	b->event_wq = alloc_workqueue("blink_events", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!b->event_wq)
		return -ENOMEM;
	return 0;
}
`;

const completion = `static void zapblk_end_io(struct bio *bio)
{
	struct zap_io *io = bio->bi_private;

	queue_work(io->zc->done_wq, &io->done_work);
}
`;

ruleTester(rule, {
  valid: [
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
      patch: { files: [{ path: "drivers/block/zapblk.c", before: completion, after: completion.replace("io->zc->done_wq", "io->zc->complete_wq") }] },
    },
    {
      name: "schedule_work added outside an IO-completion function in a NIC driver",
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
            before: "static void quuxfs_kick_writeback(struct work_struct *w)\n{\n\tquuxfs_flush_old(w);\n\tschedule_delayed_work(&quux_flush_work, quux_interval * HZ);\n}\n",
            after: "static void quuxfs_kick_writeback(struct work_struct *w)\n{\n\tquuxfs_flush_old(w);\n\tif (quux_interval)\n\t\tschedule_delayed_work(&quux_flush_work, quux_interval * HZ);\n}\n",
          },
        ],
      },
    },
    {
      name: "schedule_work from a USB URB completion handler (not storage)",
      patch: {
        files: [
          {
            path: "drivers/usb/misc/zapusb.c",
            before: "static void zapusb_irq_complete(struct urb *urb)\n{\n\tstruct zap_usb *z = urb->context;\n\n\tzap_count(z);\n}\n",
            after: "static void zapusb_irq_complete(struct urb *urb)\n{\n\tstruct zap_usb *z = urb->context;\n\n\tschedule_work(&z->event_work);\n}\n",
          },
        ],
      },
    },
    {
      name: "flag dropped from a queue with no IO role, no flush story",
      patch: { files: [{ path: "drivers/gpu/blink/blink_drv.c", before: gpuBefore, after: gpuBefore.replace("WQ_UNBOUND | WQ_MEM_RECLAIM", "WQ_UNBOUND") }] },
    },
    {
      name: "a NIC driver's reset work moved from its private queue to schedule_work",
      patch: {
        files: [
          {
            path: "drivers/net/ethernet/zap/zap_main.c",
            before: "static void zapnet_tx_timeout(struct net_device *ndev)\n{\n\tstruct zapnet *zn = netdev_priv(ndev);\n\n\tqueue_work(zn->task_wq, &zn->reset_task);\n}\n",
            after: "static void zapnet_tx_timeout(struct net_device *ndev)\n{\n\tstruct zapnet *zn = netdev_priv(ndev);\n\n\tschedule_work(&zn->reset_task);\n}\n",
          },
        ],
      },
    },
  ],
  invalid: [
    {
      name: "flag dropped from a SCSI error-handling queue to silence the flush warning",
      patch: {
        subject: "zapscsi: remove WQ_MEM_RECLAIM from the eh queue",
        message: "Otherwise: workqueue: WQ_MEM_RECLAIM zapscsi_eh_0:zap_remove_lun is flushing !WQ_MEM_RECLAIM events:disk_events_workfn",
        files: [{ path: "drivers/scsi/zapscsi.c", before: scsiBefore, after: scsiBefore.replace("\t\t\t\t\tWQ_MEM_RECLAIM,", "\t\t\t\t\t0,") }],
      },
      errors: [{ messageId: "removedToSilence", line: 5, severity: "warning" }],
    },
    {
      name: "removal argued off the reclaim path, no flush warning: info",
      patch: {
        subject: "zapscsi: use alloc_ordered_workqueue for the eh queue",
        message: "The eh queue handles hot removal only; it is not used on a memory reclaim path, hence WQ_MEM_RECLAIM has not been set.",
        files: [{ path: "drivers/scsi/zapscsi.c", before: scsiBefore, after: scsiBefore.replace("\t\t\t\t\tWQ_MEM_RECLAIM,", "\t\t\t\t\t0,") }],
      },
      errors: [{ messageId: "removed", line: 5, severity: "info" }],
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
      errors: [{ messageId: "removed", line: 3, severity: "warning" }],
    },
    {
      name: "flag dropped from a queue with no IO role for the flush warning: info only",
      patch: {
        message: "Avoids: workqueue: WQ_MEM_RECLAIM blink_events:blink_work is flushing !WQ_MEM_RECLAIM events:foo",
        files: [{ path: "drivers/gpu/blink/blink_drv.c", before: gpuBefore, after: gpuBefore.replace("WQ_UNBOUND | WQ_MEM_RECLAIM", "WQ_UNBOUND") }],
      },
      errors: [{ messageId: "removedOther", line: 3, severity: "info" }],
    },
    {
      name: "IO completion work moved from its dedicated queue to schedule_work",
      patch: { files: [{ path: "drivers/block/zapblk.c", before: completion, after: completion.replace("queue_work(io->zc->done_wq, &io->done_work);", "schedule_work(&io->done_work);") }] },
      errors: [{ messageId: "movedToSystem", line: 5, severity: "warning" }],
    },
    {
      name: "queue_work(system_unbound_wq) added in a bio end_io handler",
      patch: {
        files: [
          {
            path: "drivers/md/zap-target.c",
            before: "static void zap_target_endio(struct bio *bio)\n{\n\tstruct zap_io *io = bio->bi_private;\n\n\tzap_io_free(io);\n}\n",
            after: "static void zap_target_endio(struct bio *bio)\n{\n\tstruct zap_io *io = bio->bi_private;\n\n\tqueue_work(system_unbound_wq, &io->free_work);\n}\n",
          },
        ],
      },
      errors: [{ messageId: "systemFromIo", line: 5, severity: "warning" }],
    },
  ],
});

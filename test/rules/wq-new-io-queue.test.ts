import { rule } from "../../src/rules/workqueue-reclaim/wq-new-io-queue.js";
import { ruleTester } from "../helpers/rule-tester.js";

const init = `static int zapblk_init_queues(struct zap *z)
{
	z->ctl_wq = alloc_workqueue("zapblk_ctl", WQ_UNBOUND, 0);
	if (!z->ctl_wq)
		return -ENOMEM;
	return 0;
}
`;

function withQueue(line: string): string {
  return init.replace("\treturn 0;\n}", `${line}\n\treturn 0;\n}`);
}

ruleTester(rule, {
  valid: [
    {
      name: "new IO queue created with WQ_MEM_RECLAIM",
      patch: { files: [{ path: "drivers/block/zapblk.c", before: init, after: withQueue('\tz->io_wq = alloc_workqueue("zapblk_io", WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);') }] },
    },
    {
      name: "new queue whose name has no IO word",
      patch: { files: [{ path: "drivers/block/zapblk.c", before: init, after: withQueue('\tz->poll_wq = alloc_workqueue("zapblk_hotplug", WQ_UNBOUND, 0);') }] },
    },
    {
      name: "flags from a variable we cannot see",
      patch: { files: [{ path: "drivers/block/zapblk.c", before: init, after: withQueue('\tz->io_wq = alloc_workqueue("zapblk_io", zapblk_wq_flags, 0);') }] },
    },
    {
      name: "word io only inside another word (radio)",
      patch: { files: [{ path: "drivers/net/zapradio.c", before: init, after: withQueue('\tz->radio_wq = alloc_workqueue("zapradio", 0, 0);') }] },
    },
    {
      name: "existing queue reformatted",
      patch: { files: [{ path: "drivers/block/zapblk.c", before: init, after: init.replace('alloc_workqueue("zapblk_ctl", WQ_UNBOUND, 0)', 'alloc_workqueue("zapblk_ctl",\n\t\t\t\t   WQ_UNBOUND, 0)') }] },
    },
  ],
  invalid: [
    {
      name: "new completion queue without the flag",
      patch: { files: [{ path: "drivers/block/zapblk.c", before: init, after: withQueue('\tz->done_wq = alloc_workqueue("zapblk_completion", WQ_UNBOUND | WQ_HIGHPRI, 0);') }] },
      errors: [{ messageId: "byName", line: 6, severity: "info" }],
    },
    {
      name: "new log queue, name with a format",
      patch: { files: [{ path: "fs/quuxfs/super.c", before: init, after: withQueue('\tz->log_wq = alloc_ordered_workqueue("quuxfs-log/%s", 0, z->name);') }] },
      errors: [{ messageId: "byName", line: 6 }],
    },
    {
      name: "new queue whose work ends bios",
      patch: {
        files: [
          {
            path: "drivers/block/zapblk.c",
            before: init,
            after:
              withQueue('\tz->aux_wq = alloc_workqueue("zapblk_aux", WQ_UNBOUND, 0);') +
              "\nstatic void zapblk_aux_fn(struct work_struct *work)\n{\n\tstruct zap_cmd *cmd = container_of(work, struct zap_cmd, work);\n\n\tbio_endio(cmd->bio);\n}\n\nstatic void zapblk_submit(struct zap *z, struct zap_cmd *cmd)\n{\n\tINIT_WORK(&cmd->work, zapblk_aux_fn);\n\tqueue_work(z->aux_wq, &cmd->work);\n}\n",
          },
        ],
      },
      errors: [{ messageId: "byWork", line: 6 }],
    },
  ],
});

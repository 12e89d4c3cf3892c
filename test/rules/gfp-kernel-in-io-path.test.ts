import { rule } from "../../src/rules/gfp-context/gfp-kernel-in-io-path.js";
import { ruleTester } from "../helpers/rule-tester.js";

const queueRq = `static blk_status_t widget_queue_rq(struct blk_mq_hw_ctx *hctx,
		const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct widget_cmd *cmd = blk_mq_rq_to_pdu(rq);

	blk_mq_start_request(rq);
	return widget_send(cmd);
}
`;

const withAlloc = (mask: string) =>
	queueRq.replace("\tblk_mq_start_request(rq);\n", `\tcmd->sg = kcalloc(cmd->nents, sizeof(*cmd->sg), ${mask});\n\tif (!cmd->sg)\n\t\treturn BLK_STS_RESOURCE;\n\tblk_mq_start_request(rq);\n`);

const endIo = `static void gadget_end_io(struct bio *bio)
{
	struct gadget_io *io = bio->bi_private;

	gadget_complete(io, bio->bi_status);
	bio_put(bio);
}
`;

const worker = `static void flop_worker_fn(struct work_struct *work)
{
	struct flop_dev *fd = container_of(work, struct flop_dev, work);
	unsigned int noio;

	noio = memalloc_noio_save();
	flop_handle(fd);
	memalloc_noio_restore(noio);
}
`;

const probe = `static int widget_probe(struct platform_device *pdev)
{
	struct widget *w;

	return widget_register(pdev);
}
`;

ruleTester(rule, {
  valid: [
    { name: "GFP_NOIO in queue_rq", patch: { files: [{ path: "drivers/block/widget.c", before: queueRq, after: withAlloc("GFP_NOIO") }] } },
    { name: "GFP_ATOMIC in queue_rq", patch: { files: [{ path: "drivers/block/widget.c", before: queueRq, after: withAlloc("GFP_ATOMIC") }] } },
    {
      name: "GFP_KERNEL inside a memalloc_noio_save() region of a worker",
      patch: {
        files: [{ path: "drivers/block/flop.c", before: worker, after: worker.replace("\tflop_handle(fd);\n", "\tfd->buf = kmalloc(fd->len, GFP_KERNEL);\n\tflop_handle(fd);\n") }],
      },
    },
    {
      name: "GFP_KERNEL in a probe function of a block driver",
      patch: {
        files: [{ path: "drivers/block/widget.c", before: probe, after: probe.replace("\tstruct widget *w;\n", "\tstruct widget *w;\n\n\tw = kzalloc(sizeof(*w), GFP_KERNEL);\n") }],
      },
    },
    {
      name: "existing GFP_KERNEL allocation that only changes its size argument",
      patch: { files: [{ path: "drivers/block/widget.c", before: withAlloc("GFP_KERNEL"), after: withAlloc("GFP_KERNEL").replace("cmd->nents,", "cmd->nents + 1,") }] },
    },
    {
      name: "GFP_NOIO relaxed in a probe function of a block driver",
      patch: {
        files: [
          {
            path: "drivers/block/widget.c",
            before: "static int widget_probe(struct widget *w)\n{\n\tw->pool = kmalloc_array(w->n, sizeof(void *), GFP_NOIO);\n\treturn 0;\n}\n",
            after: "static int widget_probe(struct widget *w)\n{\n\tw->pool = kmalloc_array(w->n, sizeof(void *), GFP_KERNEL);\n\treturn 0;\n}\n",
          },
        ],
      },
    },
    {
      name: "filesystem writepages allocation inside a nofs scope",
      patch: {
        files: [
          {
            path: "fs/quill/inode.c",
            before: "static int quill_writepages(struct address_space *m, struct writeback_control *wbc)\n{\n\tunsigned int nofs = memalloc_nofs_save();\n\tint ret = quill_do(m);\n\n\tmemalloc_nofs_restore(nofs);\n\treturn ret;\n}\n",
            after: "static int quill_writepages(struct address_space *m, struct writeback_control *wbc)\n{\n\tunsigned int nofs = memalloc_nofs_save();\n\tint ret = quill_do(m);\n\n\tm->private_data = kzalloc(16, GFP_KERNEL);\n\tmemalloc_nofs_restore(nofs);\n\treturn ret;\n}\n",
          },
        ],
      },
    },
    {
      name: "worker that sets PF_MEMALLOC_NOIO before allocating",
      patch: {
        files: [
          {
            path: "drivers/block/flop.c",
            before: `static void flop_process_work(struct flop_dev *fd)
{
	unsigned int old = current->flags;

	current->flags |= PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO;
	flop_handle(fd);
	current_restore_flags(old, PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO);
}
`,
            after: `static void flop_process_work(struct flop_dev *fd)
{
	unsigned int old = current->flags;

	current->flags |= PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO;
	fd->scratch = kmalloc(fd->len, GFP_KERNEL);
	flop_handle(fd);
	current_restore_flags(old, PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO);
}
`,
          },
        ],
      },
    },
  ],
  invalid: [
    {
      name: "kcalloc(GFP_KERNEL) in a blk-mq queue_rq handler",
      patch: { files: [{ path: "drivers/block/widget.c", before: queueRq, after: withAlloc("GFP_KERNEL") }] },
      errors: [{ messageId: "kernelInIoPath", line: 7, severity: "warning" }],
    },
    {
      name: "GFP_NOIO turned into GFP_KERNEL in a bio end_io handler",
      patch: {
        files: [
          {
            path: "drivers/md/gadget.c",
            before: endIo.replace("\tgadget_complete", "\tio->note = kmalloc(sizeof(*io->note), GFP_NOIO);\n\tgadget_complete"),
            after: endIo.replace("\tgadget_complete", "\tio->note = kmalloc(sizeof(*io->note), GFP_KERNEL);\n\tgadget_complete"),
          },
        ],
      },
      errors: [{ messageId: "kernelInIoPath", line: 5 }],
    },
    {
      name: "vmalloc() (implicitly GFP_KERNEL) in a dm target map function",
      patch: {
        files: [
          {
            path: "drivers/md/dm-sprocket.c",
            before: `static int sprocket_map(struct dm_target *ti, struct bio *bio)
{
	struct sprocket_c *sc = ti->private;

	return sprocket_remap(sc, bio);
}
`,
            after: `static int sprocket_map(struct dm_target *ti, struct bio *bio)
{
	struct sprocket_c *sc = ti->private;

	sc->table = vmalloc(sc->table_size);
	return sprocket_remap(sc, bio);
}
`,
          },
        ],
      },
      errors: [{ messageId: "implicitKernel", line: 5 }],
    },
    {
      name: "vzalloc() alone in a dm target map function (needle: the implicit allocator only)",
      patch: {
        files: [
          {
            path: "drivers/md/dm-sprocket.c",
            before: "static int sprocket_map(struct dm_target *ti, struct bio *bio)\n{\n\tstruct sprocket_c *sc = ti->private;\n\n\treturn sprocket_remap(sc, bio);\n}\n",
            after: "static int sprocket_map(struct dm_target *ti, struct bio *bio)\n{\n\tstruct sprocket_c *sc = ti->private;\n\n\tsc->bits = vzalloc(sc->nr_bits);\n\treturn sprocket_remap(sc, bio);\n}\n",
          },
        ],
      },
      errors: [{ messageId: "implicitKernel", line: 5 }],
    },
    {
      name: "allocation after the noio scope was restored in the worker",
      patch: {
        files: [{ path: "drivers/block/flop.c", before: worker, after: worker.replace("\tmemalloc_noio_restore(noio);\n", "\tmemalloc_noio_restore(noio);\n\tfd->log = kzalloc(64, GFP_KERNEL);\n") }],
      },
      errors: [{ messageId: "kernelInIoPath", line: 9 }],
    },
    {
      name: "SCSI error handler allocating with GFP_KERNEL",
      patch: {
        files: [
          {
            path: "drivers/scsi/quibble.c",
            before: "static int quibble_eh_host_reset_handler(struct scsi_cmnd *cmd)\n{\n\treturn quibble_reset(cmd);\n}\n",
            after: "static int quibble_eh_host_reset_handler(struct scsi_cmnd *cmd)\n{\n\tstruct quibble_tmf *tmf = kzalloc(sizeof(*tmf), GFP_KERNEL);\n\n\treturn quibble_reset(cmd, tmf);\n}\n",
          },
        ],
      },
      errors: [{ messageId: "kernelInIoPath", line: 3 }],
    },
    {
      name: "GFP_NOIO relaxed to GFP_KERNEL in a block driver helper",
      patch: {
        files: [
          {
            path: "drivers/block/widget.c",
            before: "static int widget_grow_pool(struct widget *w)\n{\n\tw->pool = kmalloc_array(w->n, sizeof(void *), GFP_NOIO);\n\treturn w->pool ? 0 : -ENOMEM;\n}\n",
            after: "static int widget_grow_pool(struct widget *w)\n{\n\tw->pool = kmalloc_array(w->n, sizeof(void *), GFP_KERNEL);\n\treturn w->pool ? 0 : -ENOMEM;\n}\n",
          },
        ],
      },
      errors: [{ messageId: "noioRelaxed", line: 3, severity: "warning" }],
    },
    {
      name: "worker whose start is not shown: information only",
      patch: {
        context: 1,
        files: [
          {
            path: "drivers/block/flop.c",
            before: worker.replace("\tflop_handle(fd);\n", "\tflop_a(fd);\n\tflop_b(fd);\n\tflop_c(fd);\n\tflop_d(fd);\n\tflop_handle(fd);\n"),
            after: worker.replace("\tflop_handle(fd);\n", "\tflop_a(fd);\n\tflop_b(fd);\n\tflop_c(fd);\n\tflop_d(fd);\n\tfd->x = kmalloc(8, GFP_KERNEL);\n\tflop_handle(fd);\n").replace("\tnoio = memalloc_noio_save();\n", "").replace("\tmemalloc_noio_restore(noio);\n", ""),
          },
        ],
      },
      errors: [{ messageId: "kernelInWorker", severity: "info" }],
    },
  ],
});

import { rule } from "../../src/rules/gfp-context/gfp-kernel-in-io-path.js";
import { ruleTester, runRule } from "../helpers/rule-tester.js";
import { describe, expect, it } from "vitest";
import { reviewWithTree } from "../helpers/tree-review.js";
import { kappaDriver } from "../helpers/kappa-driver.js";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { memoryTree, openSources } from "../../src/context/sources.js";
import { reviewPatch } from "../../src/engine.js";
import { parsePatchText } from "../../src/ingest/index.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { formatPatch } from "../helpers/patch.js";

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

// a queue_rq handler with an early return long enough that a hunk's context starts inside it
const earlyReturn = (added: string) => `static blk_status_t widget_queue_rq(struct blk_mq_hw_ctx *hctx,
		const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct widget_cmd *cmd = blk_mq_rq_to_pdu(rq);

	if (widget_is_dead(cmd)) {
		widget_note(cmd);
		widget_count(cmd);
		widget_trace(cmd);
		return BLK_STS_IOERR;
	}
${added}	blk_mq_start_request(rq);
	return widget_send(cmd);
}
`;

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

const writepages = (body: string) => `static int quill_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	struct quill_wb_ctx *ctx;
	struct folio *folio = NULL;
	int err = 0;

${body}
	return err;
}

static const struct address_space_operations quill_aops = {
	.writepages = quill_writepages,
};
`;

const writeCallback = `static int quill_write_folio(struct folio *folio, struct writeback_control *wbc, void *data)
{
	struct quill_wb_ctx *ctx = data;

	folio_start_writeback(folio);
	ctx->bio = bio_alloc(ctx->bdev, 1, REQ_OP_WRITE, GFP_KERNEL);
	return quill_add_folio(ctx, folio);
}
`;

// a mask held in a local variable of a queue_rq handler: its assignments decide the allocation's mask
const localMask = (decl: string, body: string, call = "cmd->sg = kcalloc(cmd->nents, sizeof(*cmd->sg), gfp);") => `static blk_status_t widget_queue_rq(struct blk_mq_hw_ctx *hctx,
				    const struct blk_mq_queue_data *bd)
{
	struct widget_cmd *cmd = blk_mq_rq_to_pdu(bd->rq);
	gfp_t gfp = ${decl};
${body}	${call}
	if (!cmd->sg)
		return BLK_STS_RESOURCE;
	return BLK_STS_OK;
}
`;
const bigCmd = (mask: string) => `\tif (cmd->nents > WIDGET_INLINE_SG)\n\t\tgfp = ${mask};\n`;

ruleTester(rule, {
  valid: [
    { name: "a mask variable whose every assignment forbids IO (GFP_NOIO, GFP_NOWAIT on one branch)", patch: { files: [{ path: "drivers/block/widget.c", before: localMask("GFP_NOIO", ""), after: localMask("GFP_NOIO", bigCmd("GFP_NOWAIT")) }] } },
    {
      name: "a mask variable declared GFP_KERNEL, then set to GFP_NOIO on every path before the call",
      patch: { files: [{ path: "drivers/block/widget.c", before: localMask("GFP_NOIO", ""), after: localMask("GFP_KERNEL", "\tgfp = GFP_NOIO;\n") }] },
    },
    {
      name: "a mask variable reassigned by a helper call's result is unknown, not the GFP_NOIO of the declaration",
      patch: { files: [{ path: "drivers/block/widget.c", before: localMask("GFP_NOIO", ""), after: localMask("GFP_NOIO", "\tgfp = widget_gfp(cmd);\n") }] },
    },
    {
      name: "a mask variable whose address a helper gets: its value is not read from the assignments",
      patch: { files: [{ path: "drivers/block/widget.c", before: localMask("GFP_NOIO", ""), after: localMask("GFP_KERNEL", "\twidget_pick_gfp(cmd, &gfp);\n") }] },
    },
    {
      name: "the same writepage callback under a jbd2 handle passed in: the handle's NOFS scope covers the allocation",
      patch: { files: [{ path: "fs/quill/file.c", before: null, after: writeCallback.replace("struct writeback_control *wbc, void *data)", "struct writeback_control *wbc, handle_t *handle, void *data)") }] },
    },
    {
      name: "the same allocation made another way (kcalloc -> mempool_alloc into the same field, same mask): not new, the line rules stay quiet",
      patch: { files: [{ path: "drivers/block/widget.c", before: withAlloc("GFP_KERNEL"), after: withAlloc("GFP_KERNEL").replace("kcalloc(cmd->nents, sizeof(*cmd->sg), GFP_KERNEL)", "mempool_alloc(cmd->sg_pool, GFP_KERNEL)") }] },
    },
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
    {
      name: "a name that sounds like an error handler is not a role (diff only, no ops table, no telling signature)",
      patch: {
        files: [
          {
            path: "drivers/scsi/quibble.c",
            before: "static int quibble_eh_host_reset_handler(struct scsi_cmnd *cmd)\n{\n\treturn quibble_reset(cmd);\n}\n",
            after: "static int quibble_eh_host_reset_handler(struct scsi_cmnd *cmd)\n{\n\tstruct quibble_tmf *tmf = kzalloc(sizeof(*tmf), GFP_KERNEL);\n\n\treturn quibble_reset(cmd, tmf);\n}\n",
          },
        ],
      },
    },
    {
      name: "a work function with no IO role found (diff only): no finding",
      patch: {
        files: [{ path: "drivers/block/flop.c", before: worker, after: worker.replace("\tmemalloc_noio_restore(noio);\n", "\tmemalloc_noio_restore(noio);\n\tfd->log = kzalloc(64, GFP_KERNEL);\n") }],
      },
    },
    {
      name: "GFP_NOIO relaxed in a helper with no IO role (nofs-to-kernel speaks for relaxations)",
      patch: {
        files: [
          {
            path: "drivers/block/widget.c",
            before: "static int widget_grow_pool(struct widget *w)\n{\n\tw->pool = kmalloc_array(w->n, sizeof(void *), GFP_NOIO);\n\treturn w->pool ? 0 : -ENOMEM;\n}\n",
            after: "static int widget_grow_pool(struct widget *w)\n{\n\tw->pool = kmalloc_array(w->n, sizeof(void *), GFP_KERNEL);\n\treturn w->pool ? 0 : -ENOMEM;\n}\n",
          },
        ],
      },
    },
  ],
  invalid: [
    {
      name: "a mask variable the patch sets to GFP_KERNEL on one branch before the call: reported on that assignment",
      patch: { files: [{ path: "drivers/block/widget.c", before: localMask("GFP_NOIO", ""), after: localMask("GFP_NOIO", bigCmd("GFP_KERNEL")) }] },
      errors: [{ messageId: "inRole", line: 7, severity: "warning" }],
    },
    {
      name: "GFP_NOIO set by a one-line if at the call's depth does not hide the declaration's GFP_KERNEL",
      patch: { files: [{ path: "drivers/block/widget.c", before: localMask("GFP_NOIO", ""), after: localMask("GFP_KERNEL", "\tif (cmd->nents > WIDGET_INLINE_SG) gfp = GFP_NOIO;\n") }] },
      errors: [{ messageId: "inRole", line: 5, severity: "warning" }],
    },
    {
      name: "the same variable handed to a helper of the driver (a call given a mask may allocate with it)",
      patch: {
        files: [
          {
            path: "drivers/block/widget.c",
            before: localMask("GFP_NOIO", "", "cmd->sg = widget_map_sg(cmd, gfp);"),
            after: localMask("GFP_NOIO", bigCmd("GFP_KERNEL"), "cmd->sg = widget_map_sg(cmd, gfp);"),
          },
        ],
      },
      errors: [{ messageId: "inRole", line: 7, severity: "warning" }],
    },
    {
      name: "the hunk starts inside an early-return block whose opening it does not show: the lines after it still run",
      patch: {
        files: [
          {
            path: "drivers/block/widget.c",
            before: earlyReturn(""),
            after: earlyReturn("\tcmd->sg = kcalloc(cmd->nents, sizeof(*cmd->sg), GFP_KERNEL);\n"),
          },
        ],
      },
      errors: [{ messageId: "inRole", line: 13, severity: "warning" }],
    },
    {
      name: "->writepages allocates after marking a folio for writeback",
      patch: { files: [{ path: "fs/quill/file.c", before: writepages("\tctx = NULL;"), after: writepages("\tfolio = quill_next_dirty(mapping);\n\tfolio_start_writeback(folio);\n\tctx = kzalloc(sizeof(*ctx), GFP_KERNEL);\n\terr = quill_submit(ctx, folio);") }] },
      errors: [{ messageId: "inWriteback", line: 9, severity: "warning" }],
    },
    {
      name: "a writepage callback marks the folio for writeback, then allocates the bio that will carry it",
      patch: { files: [{ path: "fs/quill/file.c", before: null, after: writeCallback }] },
      errors: [{ messageId: "inWriteback", line: 6, severity: "warning" }],
    },
    {
      name: "a new ->writepages allocates while writeback_iter() holds a folio locked (reclaim only trylocks): a note",
      patch: { files: [{ path: "fs/quill/file.c", before: null, after: writepages("\twhile ((folio = writeback_iter(mapping, wbc, folio, &err))) {\n\t\tctx = kzalloc(sizeof(*ctx), GFP_KERNEL);\n\t\terr = quill_write_one(ctx, folio);\n\t}") }] },
      errors: [{ messageId: "writebackNothingOwned", line: 8, severity: "info" }],
    },
    {
      name: "a fragment of ->writepages allocates (its entry not shown): what it owns is unknown, a warning that says so",
      patch: { files: [{ path: "fs/quill/file.c", before: writepages("\tctx = NULL;"), after: writepages("\tctx = kzalloc(sizeof(*ctx), GFP_KERNEL);\n\tif (!ctx)\n\t\treturn -ENOMEM;\n\terr = quill_write_all(ctx, mapping, wbc);") }] },
      errors: [{ messageId: "inRole", line: 7, severity: "warning" }],
    },
    {
      name: "a new ->writepages allocates at its start, before it owns any folio: a note, not a warning",
      patch: { files: [{ path: "fs/quill/file.c", before: null, after: writepages("\tctx = kzalloc(sizeof(*ctx), GFP_KERNEL);\n\tif (!ctx)\n\t\treturn -ENOMEM;\n\terr = quill_write_all(ctx, mapping, wbc);") }] },
      errors: [{ messageId: "writebackNothingOwned", line: 7, severity: "info" }],
    },
    {
      name: "kcalloc(GFP_KERNEL) in a blk-mq queue_rq handler",
      patch: { files: [{ path: "drivers/block/widget.c", before: queueRq, after: withAlloc("GFP_KERNEL") }] },
      errors: [{ messageId: "inRole", line: 7, severity: "warning" }],
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
      errors: [{ messageId: "inRole", line: 5 }],
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
      errors: [{ messageId: "inRole", line: 5 }],
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
      errors: [{ messageId: "inRole", line: 5 }],
    },
    {
      name: "SCSI error handler registered in the host template of the same patch",
      patch: {
        files: [
          {
            path: "drivers/scsi/quibble.c",
            before: "static int quibble_reset_host(struct scsi_cmnd *cmd)\n{\n\treturn quibble_reset(cmd);\n}\n\nstatic const struct scsi_host_template quibble_sht = {\n\t.name = \"quibble\",\n};\n",
            after: "static int quibble_reset_host(struct scsi_cmnd *cmd)\n{\n\tstruct quibble_tmf *tmf = kzalloc(sizeof(*tmf), GFP_KERNEL);\n\n\treturn quibble_reset(cmd, tmf);\n}\n\nstatic const struct scsi_host_template quibble_sht = {\n\t.name = \"quibble\",\n\t.eh_host_reset_handler = quibble_reset_host,\n};\n",
          },
        ],
      },
      errors: [{ messageId: "inRole", line: 3, severity: "warning" }],
    },
    {
      name: "the role is the signature, not the name: an oddly named queue_rq handler",
      patch: {
        files: [{ path: "drivers/block/widget.c", before: queueRq.replace(/widget_queue_rq/g, "widget_go"), after: withAlloc("GFP_KERNEL").replace(/widget_queue_rq/g, "widget_go") }],
      },
      errors: [{ messageId: "inRole", line: 7, severity: "warning" }],
    },
  ],
});

// a filesystem's writepages lock helper that may also open the NOFS scope (its body given), and its unlock, which
// restores it (shared by the fixtures below)
const quillWbLock = (lockBody: string) => `static inline unsigned int quill_wb_lock(struct quill_sb *qs)
{
	down_read(&qs->wb_rwsem);
${lockBody}
}

static inline void quill_wb_unlock(struct quill_sb *qs, unsigned int ctx)
{
	memalloc_nofs_restore(ctx);
	up_read(&qs->wb_rwsem);
}
`;

describe("gfp-kernel-in-io-path with the tree: a scope a helper opens and returns", () => {
  // written for this test, modelled on a filesystem whose writepages lock helper also opens the NOFS scope
  const file = (lockBody: string, alloc: boolean) => `${quillWbLock(lockBody)}
static int quill_write_one(struct quill_sb *qs, struct folio *folio)
{
	struct quill_io *io = NULL;

	folio_start_writeback(folio);
${alloc ? "\tio = kzalloc(sizeof(*io), GFP_KERNEL);\n" : ""}	return quill_submit(qs, folio, io);
}

static int quill_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	struct quill_sb *qs = QUILL_SB(mapping->host->i_sb);
	unsigned int ctx;
	int ret;

	ctx = quill_wb_lock(qs);
	ret = quill_write_one(qs, quill_first_dirty(mapping));
	quill_wb_unlock(qs, ctx);
	return ret;
}

static const struct address_space_operations quill_aops = {
	.writepages = quill_writepages,
};
`;
  const review = (lockBody: string) =>
    reviewWithTree(new Map([["fs/quill/inode.c", file(lockBody, false)]]), { files: [{ path: "fs/quill/inode.c", before: file(lockBody, false), after: file(lockBody, true) }] }, [rule]);

  it("stays quiet when the caller's lock helper returns memalloc_nofs_save() and the cookie is restored only after the call", async () => {
    expect(await review("\treturn memalloc_nofs_save();")).toEqual([]);
  });

  it("warns when the helper opens no scope: the allocation follows folio_start_writeback()", async () => {
    const f = await review("\treturn 0;");
    expect(f.map((x) => [x.messageId, x.severity])).toEqual([["inWriteback", "warning"]]);
    expect(f[0]!.message).toContain("folio_start_writeback() at line 17 of quill_write_one()");
  });
});

describe("gfp-kernel-in-io-path with the tree: a scope a helper opens at the root of the role's chain", () => {
  // written for this test: the writepages lock helper opens the NOFS scope; the allocation is two calls down, in
  // functions other files may call too (their callers are not all known, so only the chain's own scopes count)
  const file = (lockBody: string) => `${quillWbLock(lockBody)}
struct quill_io *quill_new_io(struct quill_sb *qs)
{
	return kzalloc(sizeof(struct quill_io), GFP_KERNEL);
}

int quill_release_unused(struct quill_sb *qs, struct folio *folio)
{
	struct quill_io *io;

	folio_start_writeback(folio);
	io = quill_new_io(qs);
	return quill_drop(qs, folio, io);
}

static int quill_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	struct quill_sb *qs = QUILL_SB(mapping->host->i_sb);
	unsigned int ctx;
	int ret;

	ctx = quill_wb_lock(qs);
	ret = quill_release_unused(qs, quill_first_dirty(mapping));
	quill_wb_unlock(qs, ctx);
	return ret;
}

static const struct address_space_operations quill_aops = {
	.writepages = quill_writepages,
};
`;
  const review = (lockBody: string) => {
    const after = file(lockBody);
    const before = after.replace("GFP_KERNEL", "GFP_NOFS");
    return reviewWithTree(new Map([["fs/quill/inode.c", before]]), { files: [{ path: "fs/quill/inode.c", before, after }] }, [rule]);
  };

  it("is quiet when the root's lock helper returns memalloc_nofs_save() before the chain's call", async () => {
    expect((await review("\treturn memalloc_nofs_save();")).filter((x) => x.severity !== "info")).toEqual([]);
  });

  it("warns when the helper opens no scope", async () => {
    const f = await review("\treturn 0;");
    expect(f.filter((x) => x.severity === "warning").map((x) => x.line)).toEqual([15]);
    expect(f.find((x) => x.severity === "warning")!.message).toContain("quill_writepages -> quill_release_unused -> quill_new_io");
  });
});

describe("gfp-kernel-in-io-path with the tree: branches the callers' constant arguments rule out", () => {
  // written for this test, modelled on a SCSI HBA driver whose reset path reuses its bring-up code
  const driver = (resetReason: string, initial: string) => `static int zeta_read_config(struct zeta_ioc *ioc)
{
	ioc->cfg = kzalloc(ioc->cfg_len, GFP_KERNEL);
	return ioc->cfg ? 0 : -ENOMEM;
}

static int zeta_setup(struct zeta_ioc *ioc, int why)
{
	if (why == ZETA_EVENT_BRINGUP)
		return zeta_read_config(ioc);
	return 0;
}

static int zeta_recover(struct zeta_ioc *ioc, int reason)
{
	int ret = zeta_fw_handshake(ioc);

	if (ret == 0)
		ret = zeta_setup(ioc, reason);
	return ret;
}

static void zeta_start_heartbeat(struct zeta_ioc *ioc, int initial)
{
	if (initial)
		ioc->hb = kzalloc(sizeof(*ioc->hb), GFP_KERNEL);
	mod_timer(&ioc->hb_timer, jiffies + HZ);
}

static int zeta_host_reset(struct scsi_cmnd *cmd)
{
	struct zeta_ioc *ioc = shost_priv(cmd->device->host);

	zeta_start_heartbeat(ioc, ${initial});
	return zeta_recover(ioc, ${resetReason}) ? FAILED : SUCCESS;
}

static const struct scsi_host_template zeta_sht = {
	.eh_host_reset_handler = zeta_host_reset,
};
`;
  // the patch adds both allocations (they took preallocated buffers before)
  const before = (reason: string, initial: string) =>
    driver(reason, initial).replace("kzalloc(ioc->cfg_len, GFP_KERNEL)", "zeta_cfg_buffer(ioc)").replace("kzalloc(sizeof(*ioc->hb), GFP_KERNEL)", "zeta_hb_buffer(ioc)");
  const review = (reason: string, initial: string) =>
    reviewWithTree(new Map([["drivers/scsi/zeta.c", before(reason, initial)]]), { files: [{ path: "drivers/scsi/zeta.c", before: before(reason, initial), after: driver(reason, initial) }] }, [rule]);

  it("is quiet when the reset path passes constants that rule out both allocations' branches (carried through a parameter passed on)", async () => {
    expect(await review("ZETA_EVENT_RECOVER", "0")).toEqual([]);
  });

  it("warns on each allocation the reset path's constants do reach", async () => {
    const f = await review("ZETA_EVENT_BRINGUP", "1");
    expect(f.map((x) => [x.line, x.messageId, x.severity])).toEqual([
      [3, "inRole", "warning"],
      [26, "inRole", "warning"],
    ]);
  });

  it("reads an early exit on the parameter as the same test (`if (why != X) return 0;` before the call)", async () => {
    const early = (reason: string) => {
      const d = driver(reason, "0").replace("\tif (why == ZETA_EVENT_BRINGUP)\n\t\treturn zeta_read_config(ioc);\n\treturn 0;", "\tif (why != ZETA_EVENT_BRINGUP)\n\t\treturn 0;\n\treturn zeta_read_config(ioc);");
      const b = d.replace("kzalloc(ioc->cfg_len, GFP_KERNEL)", "zeta_cfg_buffer(ioc)").replace("kzalloc(sizeof(*ioc->hb), GFP_KERNEL)", "zeta_hb_buffer(ioc)");
      expect(d).toContain("if (why != ZETA_EVENT_BRINGUP)");
      return reviewWithTree(new Map([["drivers/scsi/zeta.c", b]]), { files: [{ path: "drivers/scsi/zeta.c", before: b, after: d }] }, [rule]);
    };
    expect(await early("ZETA_EVENT_RECOVER")).toEqual([]);
    expect((await early("ZETA_EVENT_BRINGUP")).map((x) => [x.line, x.severity])).toEqual([[3, "warning"]]);
  });
});

describe("gfp-kernel-in-io-path with the tree: a mask given as a parameter is the one the role's own chain passes", () => {
  // written for this test, modelled on a SCSI test driver that creates a device on demand from queuecommand
  // (atomic there) and from a sysfs store (GFP_KERNEL there)
  const driver = (fromQueue: string, passOn: boolean) => `static struct sigma_dev *sigma_dev_create(struct sigma_host *sh, gfp_t flags)
{
	struct sigma_dev *d;

	d = kzalloc(sizeof(*d), flags);
	if (!d)
		return NULL;
	list_add_tail(&d->list, &sh->devs);
	return d;
}

static struct sigma_dev *sigma_find_or_build(struct sigma_host *sh, gfp_t gfp)
{
	struct sigma_dev *d = sigma_find(sh);

	return d ? d : sigma_dev_create(sh, ${passOn ? "gfp" : fromQueue});
}

static int sigma_queuecommand(struct Scsi_Host *shost, struct scsi_cmnd *cmd)
{
	struct sigma_dev *d = sigma_find_or_build(shost_priv(shost), ${fromQueue});

	return d ? sigma_run(d, cmd) : SCSI_MLQUEUE_HOST_BUSY;
}

static ssize_t add_dev_store(struct device *dev, struct device_attribute *attr, const char *buf, size_t count)
{
	return sigma_dev_create(dev_get_drvdata(dev), GFP_KERNEL) ? count : -ENOMEM;
}

static const struct scsi_host_template sigma_sht = {
	.queuecommand = sigma_queuecommand,
};
`;
  const path = "drivers/scsi/sigma.c";
  // the patch makes the allocation take its mask from the parameter (it used a preallocated slot before)
  const review = (fromQueue: string, passOn: boolean) => {
    const after = driver(fromQueue, passOn);
    const before = after.replace("kzalloc(sizeof(*d), flags)", "sigma_slot(sh)");
    return reviewWithTree(new Map([[path, before]]), { files: [{ path, before, after }] }, [rule]);
  };

  it("is quiet when the queuecommand chain passes GFP_ATOMIC, though another caller passes GFP_KERNEL (followed through a parameter passed on)", async () => {
    expect(await review("GFP_ATOMIC", true)).toEqual([]);
    expect(await review("GFP_ATOMIC", false)).toEqual([]);
  });

  it("warns when the chain passes GFP_KERNEL, naming the link that passes it", async () => {
    const f = await review("GFP_KERNEL", true);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
    expect(f[0]!.message).toContain("kzalloc(flags) (sigma_queuecommand() passes GFP_KERNEL)");
    expect(f[0]!.message).toContain("sigma_queuecommand -> sigma_find_or_build -> sigma_dev_create");
  });
});

describe("gfp-kernel-in-io-path with the tree: buffers allocated once and kept across resets", () => {
  // written for this test: a reset handler that reuses set-up helpers whose allocations run only while a field is empty
  const driver = (alloc: boolean) => `static int eta_alloc_fifos(struct eta_ioc *ioc)
{
	void *mem;

	if (ioc->fifo == NULL) {
${alloc ? "\t\tmem = dma_alloc_coherent(&ioc->pdev->dev, ioc->fifo_sz, &ioc->fifo_dma, GFP_KERNEL);\n" : "\t\tmem = eta_carve(ioc);\n"}		if (!mem)
			return -ENOMEM;
		ioc->fifo = mem;
	}
	return 0;
}

static void eta_alloc_dump(struct eta_ioc *ioc)
{
	if (!ioc->dump)
${alloc ? "\t\tioc->dump = vzalloc(ioc->dump_sz);\n" : "\t\tioc->dump = eta_carve(ioc);\n"}}

static int eta_host_reset(struct scsi_cmnd *cmd)
{
	struct eta_ioc *ioc = shost_priv(cmd->device->host);

	eta_alloc_dump(ioc);
	return eta_alloc_fifos(ioc) ? FAILED : SUCCESS;
}

static const struct scsi_host_template eta_sht = {
	.eh_host_reset_handler = eta_host_reset,
};
`;
  it("reads the guard in the patch's own lines when the patch does not apply to the tree", async () => {
    // the tree's version differs on a context line of the first hunk: the file is read from the patch's fragments
    const tree = driver(false).replace("\tvoid *mem;\n", "\tvoid *mem = NULL;\n");
    const f = await reviewWithTree(new Map([["drivers/scsi/eta.c", tree]]), { files: [{ path: "drivers/scsi/eta.c", before: driver(false), after: driver(true) }] }, [rule]);
    // the second hunk shows eta_alloc_dump() from its definition: the test before the allocation is on every path;
    // the first starts below eta_alloc_fifos()'s definition, but the test it shows encloses the allocation, and the
    // field is filled in the lines shown: what comes before them does not change that
    expect(f.map((x) => [x.line, x.severity])).toEqual([
      [6, "info"],
      [17, "info"],
    ]);
    expect((f[0]!.unknowns ?? []).join(" ")).toContain("whether ioc->fifo is empty when eta_host_reset() runs");
    expect((f[1]!.unknowns ?? []).join(" ")).toContain("whether ioc->dump is empty when eta_host_reset() runs");
  });

  it("says each is a note, with the field whose emptiness decides it as the unknown", async () => {
    const f = await reviewWithTree(new Map([["drivers/scsi/eta.c", driver(false)]]), { files: [{ path: "drivers/scsi/eta.c", before: driver(false), after: driver(true) }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([
      [6, "info"],
      [17, "info"],
    ]);
    expect((f[0]!.unknowns ?? []).join(" ")).toContain("whether ioc->fifo is empty when eta_host_reset() runs: the allocation is under the test (ioc->fifo==NULL), and eta_alloc_fifos() fills ioc->fifo at line 9");
    expect((f[1]!.unknowns ?? []).join(" ")).toContain("whether ioc->dump is empty when eta_host_reset() runs: the allocation only follows the test at line 16 (if (!ioc->dump))");
  });
});

describe("gfp-kernel-in-io-path with the tree: a caller that calls the setup only while a field is empty", () => {
  // written for this test: the reset handler re-runs the setup, whose caller skips the table allocation once the
  // table exists (the setup's helper fills it)
  const driver = (mask: string, guard: string) => `static void theta_fill(struct theta_hba *hba, struct theta_iocb **t)
{
	hba->lookup = t;
	hba->lookup_len = THETA_IOCBS;
}

static int theta_init_iocbs(struct theta_hba *hba)
{
	struct theta_iocb **t = kcalloc(THETA_IOCBS, sizeof(*t), ${mask});

	if (!t)
		return -ENOMEM;
	theta_fill(hba, t);
	return 0;
}

static int theta_setup(struct theta_hba *hba)
{
	if (${guard})
		return theta_init_iocbs(hba);
	return 0;
}

static int theta_host_reset(struct scsi_cmnd *cmd)
{
	return theta_setup(shost_priv(cmd->device->host)) ? FAILED : SUCCESS;
}

static const struct scsi_host_template theta_sht = {
	.eh_host_reset_handler = theta_host_reset,
};
`;
  const run = (guard: string) =>
    reviewWithTree(new Map([["drivers/scsi/theta.c", driver("GFP_NOIO", guard)]]), { files: [{ path: "drivers/scsi/theta.c", before: driver("GFP_NOIO", guard), after: driver("GFP_KERNEL", guard) }] }, [rule]);

  it("the guard's field is filled below the call: a note naming the caller's test", async () => {
    const f = await run("!hba->lookup");
    expect(f.map((x) => [x.line, x.severity])).toEqual([[9, "info"]]);
    expect((f[0]!.unknowns ?? []).join(" ")).toContain("theta_setup() calls theta_init_iocbs() only under (!hba->lookup), and theta_fill() fills lookup");
  });

  it("a test of a field nothing below fills (a state flag) is no first-setup guard: a warning", async () => {
    const f = await run("!hba->suspended");
    expect(f.map((x) => [x.line, x.severity])).toEqual([[9, "warning"]]);
  });
});

describe("gfp-kernel-in-io-path: a mask variable's value", () => {
  it("names the assignment that gives it and the line of the call", () => {
    const f = runRule(rule, { files: [{ path: "drivers/block/widget.c", before: localMask("GFP_NOIO", ""), after: localMask("GFP_NOIO", bigCmd("GFP_KERNEL")) }] });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain("kcalloc(gfp) (gfp is GFP_KERNEL from line 7; the call is at line 8) in widget_queue_rq()");
  });
});

describe("gfp-kernel-in-io-path: a hunk that starts inside the parameter list", () => {
  it("reads the definition from the hunk header and the lines shown, so the function's entry is known", () => {
    const after = queueRq.replace("\tstruct widget_cmd *cmd = blk_mq_rq_to_pdu(rq);\n", "\tvoid *scratch = kmalloc(64, GFP_KERNEL);\n\tstruct widget_cmd *cmd = blk_mq_rq_to_pdu(rq);\n");
    const f = runRule(rule, { files: [{ path: "drivers/block/widget.c", before: queueRq, after }] });
    expect(f.map((x) => [x.line, x.messageId, x.severity])).toEqual([[5, "inRole", "warning"]]);
    // the entry is in view: no "whether a scope is open above the lines shown"
    expect((f[0]!.unknowns ?? []).join(" ")).not.toMatch(/above the lines shown/);
  });
});

describe("gfp-kernel-in-io-path with the tree: a helper reached through the driver's own ops table", () => {
  // written for this test, modelled on an HBA driver whose host reset goes through a per-generation ops table
  const driver = (resetBody: string, otherField = "reset") => `struct kite_hw_ops {
	int (*reset)(struct kite_hba *hba);
	int (*probe)(struct kite_hba *hba);
};

static int kite_v2_reset(struct kite_hba *hba)
{
${resetBody}	return kite_v2_restart(hba);
}

static const struct kite_hw_ops kite_v2_ops = {
	.reset = kite_v2_reset,
	.probe = kite_v2_probe,
};

static int kite_eh_host_reset(struct scsi_cmnd *cmd)
{
	struct kite_hba *hba = shost_priv(cmd->device->host);

	return hba->ops->${otherField}(hba) ? FAILED : SUCCESS;
}

static const struct scsi_host_template kite_template = {
	.name = "kite",
	.eh_host_reset_handler = kite_eh_host_reset,
};
`;
  const path = "drivers/scsi/kite/kite_main.c";
  const alloc = "\thba->scratch = kzalloc(KITE_SCRATCH, GFP_KERNEL);\n";
  const run = (before: string, after: string) => reviewWithTree(new Map([[path, before]]), { files: [{ path, before, after }] }, [rule]);

  it("warns: the reset handler calls the helper through hba->ops->reset()", async () => {
    const f = await run(driver(""), driver(alloc));
    expect(f.map((x) => [x.line, x.severity])).toEqual([[8, "warning"]]);
    expect(f[0]!.message).toContain("kite_eh_host_reset");
  });

  it("is quiet when the handler calls another field of the table", async () => {
    expect(await run(driver("", "probe"), driver(alloc, "probe"))).toEqual([]);
  });

  it("is quiet when two struct types of the directory set the same field (the call is not resolved)", async () => {
    const other = "struct kite_fw_ops { int (*reset)(struct kite_fw *fw); };\nstatic int kite_fw_reset(struct kite_fw *fw)\n{\n\treturn 0;\n}\nstatic const struct kite_fw_ops kite_fw = {\n\t.reset = kite_fw_reset,\n};\n";
    const f = await reviewWithTree(new Map([[path, driver("")], ["drivers/scsi/kite/kite_fw.c", other]]), { files: [{ path, before: driver(""), after: driver(alloc) }] }, [rule]);
    expect(f).toEqual([]);
  });
});

describe("gfp-kernel-in-io-path with the tree: a chain whose calls need the adapter's type both ways", () => {
  // test/helpers/kappa-driver.ts: the host reset re-runs the chip set-up only for the adapters `rootTest` picks, and
  // the set-up leaves early for one family before the dump buffer
  const driver = (rootTest: string) =>
    kappaDriver({ alloc: "kzalloc(h->dump_len, GFP_KERNEL)", root: `\tif (${rootTest})\n\t\tkappa_ctx_reset(h);`, helper: "\tkappa_stop_fw(host);", registered: true });
  const before = (t: string) => driver(t).replace("kzalloc(h->dump_len, GFP_KERNEL)", "kappa_dump_buffer(h)");
  const review = (t: string) =>
    reviewWithTree(new Map([["drivers/scsi/kappa.c", before(t)]]), { files: [{ path: "drivers/scsi/kappa.c", before: before(t), after: driver(t) }] }, [rule]);

  it("is quiet when the reset reaches the set-up only for the family the set-up leaves early for", async () => {
    expect(await review("KAPPA_IS_LEGACY(h->hw)")).toEqual([]);
  });

  it("warns when the reset's test leaves the allocation reachable", async () => {
    for (const t of ["!KAPPA_IS_LEGACY(h->hw)", "kappa_needs_reset(h)"]) {
      const f = await review(t);
      expect(f.map((x) => [x.line, x.messageId, x.severity]), t).toEqual([[3, "inRole", "warning"]]);
      expect(f[0]!.message).toContain("kappa_host_reset");
    }
  });
});

describe("gfp-kernel-in-io-path with the tree: a library function whose role is given in another directory", () => {
  // written for this test: a transport library exports its reset handler and an IO helper; a driver in another
  // directory registers the handler in its host template, and a filesystem's writeback callback calls the helper
  const lib = (mask: string, exported: boolean) => `#include <linux/module.h>
#include "tlib.h"

int tlib_eh_device_reset(struct scsi_cmnd *sc)
{
	struct tlib_port *port = tlib_port_of(sc);
	struct tlib_pkt *pkt;

	pkt = tlib_pkt_alloc(port, ${mask});
	if (!pkt)
		return FAILED;
	return tlib_send_reset(port, pkt);
}
${exported ? "EXPORT_SYMBOL(tlib_eh_device_reset);\n" : ""}
int tlib_write_extent(struct tlib_port *port, struct folio *folio)
{
	struct tlib_pkt *pkt = tlib_pkt_alloc(port, ${mask});

	if (!pkt)
		return -ENOMEM;
	return tlib_queue(port, pkt, folio);
}
EXPORT_SYMBOL_GPL(tlib_write_extent);
`;
  const driver = `#include <scsi/scsi_host.h>
#include "../tlib/tlib.h"

static const struct scsi_host_template omega_sht = {
	.name = "omega",
	.queuecommand = omega_queuecommand,
	.eh_device_reset_handler = tlib_eh_device_reset,
};
`;
  const fsAops = `static int rhofs_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	struct rhofs_info *ri = RHOFS_I(mapping->host);
	struct folio *folio = NULL;
	int err = 0;

	while (!err && (folio = writeback_iter(mapping, wbc, folio, &err)))
		err = tlib_write_extent(ri->port, folio);
	return err;
}

const struct address_space_operations rhofs_aops = {
	.writepages = rhofs_writepages,
	.dirty_folio = filemap_dirty_folio,
};
`;
  const review = (exported: boolean, users: [string, string][], libPath = "drivers/scsi/tlib/tlib_io.c") =>
    reviewWithTree(new Map([[libPath, lib("GFP_NOIO", exported)], ...users]), { files: [{ path: libPath, before: lib("GFP_NOIO", exported), after: lib("GFP_KERNEL", exported) }] }, [rule]);

  it("warns on an exported reset handler registered in another directory's host template, naming where", async () => {
    const f = await review(true, [["drivers/scsi/omega/omega.c", driver]]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[9, "warning"]]);
    expect(f[0]!.message).toContain("scsi_host_template.eh_device_reset_handler (registered at drivers/scsi/omega/omega.c:7)");
  });

  it("warns on an exported helper that another directory's writeback callback calls, with the chain across the directories", async () => {
    const f = await review(true, [["fs/rhofs/aops.c", fsAops]], "fs/tlib/tlib_io.c");
    expect(f.map((x) => [x.line, x.severity])).toEqual([[18, "warning"]]);
    expect(f[0]!.message).toContain("rhofs_writepages -> tlib_write_extent");
  });

  it("searches for users under the library directory's parent only: a user elsewhere in the tree is not read", async () => {
    const f = await review(true, [["fs/rhofs/aops.c", fsAops]], "drivers/scsi/tlib/tlib_io.c");
    expect(f.map((x) => x.line)).not.toContain(18);
  });

  it("does not look outside the directory for a function that is not exported, nor read users of an export that many files use", async () => {
    const f = await review(false, [["drivers/scsi/omega/omega.c", driver]]);
    expect(f.map((x) => x.line)).not.toContain(9);
    // a helper used by more files than the search reads: what they do is left unknown, not guessed
    const many: [string, string][] = Array.from({ length: 30 }, (_, i) => [`fs/user${i}/aops.c`, fsAops.replaceAll("rhofs", `user${i}fs`)]);
    const g = await review(true, many, "fs/tlib/tlib_io.c");
    expect(g.map((x) => x.line)).not.toContain(18);
  });
});

describe("gfp-kernel-in-io-path with the tree: a search for users that runs out of time", () => {
  // written for this test: a device-mapper style library whose user sits in a subdirectory; the tree's search under
  // the library directory's parent runs out of time (a big directory), so the library directory itself is searched
  const lib = (mask: string) => `#include <linux/module.h>

int frob_lib_reset(struct frob_dev *fd)
{
	struct frob_cmd *cmd = kzalloc(sizeof(*cmd), ${mask});

	if (!cmd)
		return FAILED;
	return frob_send(fd, cmd);
}
EXPORT_SYMBOL(frob_lib_reset);
`;
  const user = `static int frob_user_abort(struct scsi_cmnd *sc)
{
	return frob_lib_reset(frob_dev_of(sc));
}

static const struct scsi_host_template frob_user_sht = {
	.eh_abort_handler = frob_user_abort,
};
`;
  const files = new Map([
    ["drivers/frobmd/frob-lib.c", lib("GFP_NOIO")],
    ["drivers/frobmd/users/frob-user.c", user],
  ]);
  const review = async (asked: string[]) => {
    const mem = memoryTree(files);
    // the parent's search runs out of time; any other answers as the files in memory do
    const access = { ...mem, grepSync: (w: string, dir?: string, t?: number) => (asked.push(dir ?? "."), dir === "drivers" ? null : mem.grepSync!(w, dir, t)) };
    const input = parsePatchText(formatPatch({ files: [{ path: "drivers/frobmd/frob-lib.c", before: lib("GFP_NOIO"), after: lib("GFP_KERNEL") }] }), "t.patch");
    const sources = openSources(access);
    await sources.prepare!(input.patches);
    return reviewPatch(input.patches[0]!, { rules: [rule], config: DEFAULT_CONFIG, kb: loadKnowledge(), source: sources.contextFor(input.patches[0]!)! }).findings;
  };

  it("searches the library's own directory instead, finds the user there, and does not search the parent again", async () => {
    const first: string[] = [];
    const f = await review(first);
    expect(first).toEqual(["drivers", "drivers/frobmd"]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
    expect(f[0]!.message).toContain("frob_user_abort -> frob_lib_reset");
    const second: string[] = [];
    await review(second);
    expect(second).toEqual(["drivers/frobmd"]);
  });
});

describe("gfp-kernel-in-io-path with a tree the patch does not apply to: a helper the patch adds", () => {
  // a stacking block driver: the submit_bio method reaches the flush sender in the tree; the patch adds a helper
  // to the sender that allocates, and the tree's sender differs from the patch's pre-image inside the hunk
  const file = (flush: string, helper: string, mask: string) => `// plait: a stacking block driver
#include "plait.h"

${helper ? `static bool plait_dedup_map(struct plait_table *t, unsigned long **map)
{
	if (t->nr_devs >= t->nr_targets)
		return false;
	*map = bitmap_zalloc(t->nr_devs + 1, ${mask});
	return *map != NULL;
}

` : ""}static void plait_send_flush(struct plait_io *io)
{
	struct plait_table *t = io->table;
${helper ? "\tunsigned long *map;\n\tbool dedup = plait_dedup_map(t, &map);\n" : ""}
	for (unsigned int i = 0; i < t->nr_targets; i++)
		plait_clone_flush(io, t->targets[i]);
${flush}${helper ? "\tif (dedup)\n\t\tbitmap_free(map);\n" : ""}}

static void plait_split_and_process(struct plait_dev *pd, struct bio *bio)
{
	struct plait_io *io = plait_alloc_io(pd, bio);

	if (bio->bi_opf & REQ_PREFLUSH)
		plait_send_flush(io);
	else
		plait_map_bio(io, bio);
}

static void plait_submit_bio(struct bio *bio)
{
	struct plait_dev *pd = bio->bi_bdev->bd_disk->private_data;

	plait_split_and_process(pd, bio);
}

static const struct block_device_operations plait_fops = {
	.owner = THIS_MODULE,
	.submit_bio = plait_submit_bio,
};
`;
  const path = "drivers/md/plait.c";
  const review = (mask: string) => {
    const tree = new Map([[path, file("\tatomic_dec(&io->pending);\n", "", mask)]]);
    return reviewWithTree(tree, { files: [{ path, before: file("\tplait_io_put(io);\n", "", mask), after: file("\tplait_io_put(io);\n", "x", mask) }] }, [rule]);
  };

  it("takes the helper's role from the fragment that calls it, read in the tree's version", async () => {
    const f = await review("GFP_KERNEL");
    expect(f.map((x) => [x.file, x.line, x.severity])).toEqual([[path, 8, "warning"]]);
    expect(f[0]!.message).toContain("plait_submit_bio -> plait_split_and_process -> plait_send_flush -> plait_dedup_map");
  });

  it("is quiet with GFP_NOIO", async () => {
    expect((await review("GFP_NOIO")).filter((x) => x.severity !== "info")).toEqual([]);
  });
});

describe("gfp-kernel-in-io-path: a role guessed by signature, and a helper the patch calls", () => {
  // written for this test: a new checksum helper that takes a bio (the signature of a bi_end_io callback)
  const helper = `static void quill_csum_generate(struct bio *bio)
{
	struct quill_csum *c = kmalloc(sizeof(*c), GFP_NOFS);

	if (c)
		quill_csum_fill(c, bio);
}
`;
  const submit = (how: "call" | "endio") => `
static void quill_submit(struct quill_ioend *ioend)
{
	struct bio *bio = &ioend->bio;

${how === "call" ? "\tquill_csum_generate(bio);\n" : "\tbio->bi_end_io = quill_csum_generate;\n"}	submit_bio(bio);
}
`;
  const run = (after: string) => runRule(rule, { files: [{ path: "fs/quill/data.c", before: "// SPDX-License-Identifier: GPL-2.0\n", after: `// SPDX-License-Identifier: GPL-2.0\n${after}` }] });
  it("the patch calls it before submit_bio() and never registers it: no callback role by signature", () => {
    expect(run(helper + submit("call"))).toEqual([]);
  });
  it("registered as bi_end_io: the completion role stands", () => {
    expect(run(helper + submit("endio")).map((x) => x.messageId)).not.toEqual([]);
  });
  it("no caller shown: the signature's guess stands", () => {
    expect(run(helper).length).toBeGreaterThan(0);
  });
});

describe("gfp-kernel-in-io-path with the tree: a ->writepage no flusher runs", () => {
  // written for this test: an in-memory filesystem that pushes folios to a backing store only under memory pressure;
  // its table marks folios dirty with noop_dirty_folio() (the mapping is never tagged dirty) and has no ->writepages
  const file = (alloc: boolean, table: "untagged" | "writepages" | "tagged") => `static int tarn_stash(struct folio *folio)
{
	struct tarn_slot *slot;

${alloc ? "\tslot = kzalloc(sizeof(*slot), GFP_KERNEL);\n" : "\tslot = tarn_reserved_slot(folio);\n"}	if (!slot)
		return -ENOMEM;
	return tarn_copy_out(slot, folio);
}

static int tarn_writepage(struct page *page, struct writeback_control *wbc)
{
	struct folio *folio = page_folio(page);

	if (tarn_stash(folio)) {
		folio_redirty_for_writepage(wbc, folio);
		folio_unlock(folio);
		return 0;
	}
	folio_start_writeback(folio);
	folio_unlock(folio);
	folio_end_writeback(folio);
	return 0;
}

static int tarn_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	return 0;
}

static const struct address_space_operations tarn_aops = {
	.writepage = tarn_writepage,
${table === "writepages" ? "\t.writepages = tarn_writepages,\n" : ""}	.dirty_folio = ${table === "tagged" ? "filemap_dirty_folio" : "noop_dirty_folio"},
};
`;
  const path = "fs/tarn/inode.c";
  const review = (table: "untagged" | "writepages" | "tagged") =>
    reviewWithTree(new Map([[path, file(false, table)]]), { files: [{ path, before: file(false, table), after: file(true, table) }] }, [rule]);

  it("is quiet: page reclaim runs it itself (under PF_MEMALLOC), and no writeback it waits on does", async () => {
    expect(await review("untagged")).toEqual([]);
  });
  it("warns when the table has ->writepages too (the flusher writes its folios)", async () => {
    expect((await review("writepages")).map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
  });
  it("warns when its dirty_folio tags the mapping (flusher writeback may reach ->writepage)", async () => {
    const f = await review("tagged");
    expect(f.map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
    expect(f[0]!.message).toContain("tarn_writepage -> tarn_stash");
  });
});

describe("gfp-kernel-in-io-path with the tree: a host driver's variant op that its subsystem's error handler calls", () => {
  // written for this test: a host-controller core declares variant ops that host drivers fill in, and calls one of
  // them (through an inline wrapper in its private header) while it handles an aborted command
  const header = `struct wid_hba;

struct wid_variant_ops {
	const char *name;
	int	(*init)(struct wid_hba *hba);
	void	(*dump_regs)(struct wid_hba *hba);
};
`;
  const priv = (field: string) => `static inline void widhcd_vops_dump(struct wid_hba *hba)
{
	if (hba->vops && hba->vops->${field})
		hba->vops->${field}(hba);
}
`;
  const core = `#include "widhcd-priv.h"

static void widhcd_print_hist(struct wid_hba *hba)
{
	widhcd_print_evt(hba);
	widhcd_vops_dump(hba);
}

static int widhcd_abort(struct scsi_cmnd *cmd)
{
	struct wid_hba *hba = shost_priv(cmd->device->host);

	widhcd_print_hist(hba);
	return widhcd_clear_cmd(hba, cmd) ? FAILED : SUCCESS;
}

static const struct scsi_host_template widhcd_sht = {
	.eh_abort_handler = widhcd_abort,
};
`;
  const host = (alloc: boolean) => `#include <wid/widhcd.h>

static void wid_q_dump_bus(struct wid_hba *hba)
{
	u32 *bus;

${alloc ? "\tbus = kmalloc(64 * sizeof(u32), GFP_KERNEL);\n" : "\tbus = wid_q_scratch(hba);\n"}	if (!bus)
		return;
	wid_q_read_bus(hba, bus, 64);
	kfree(bus);
}

static void wid_q_dump_regs(struct wid_hba *hba)
{
	wid_q_dump_hci(hba);
	wid_q_dump_bus(hba);
}

static const struct wid_variant_ops wid_q_vops = {
	.name = "wid-q",
	.dump_regs = wid_q_dump_regs,
};
`;
  const hostPath = "drivers/wid/host/wid-q.c";
  const review = (extra: [string, string][] = [], field = "dump_regs") =>
    reviewWithTree(
      new Map([
        ["include/wid/widhcd.h", header],
        ["drivers/wid/core/widhcd-priv.h", priv(field)],
        ["drivers/wid/core/widhcd.c", core],
        [hostPath, host(false)],
        ...extra,
      ]),
      { files: [{ path: hostPath, before: host(false), after: host(true) }] },
      [rule],
    );

  it("warns, with the chain from the core's abort handler through the wrapper that calls the op", async () => {
    const f = await review();
    expect(f.map((x) => [x.line, x.severity])).toEqual([[7, "warning"]]);
    expect(f[0]!.message).toContain("widhcd_abort -> widhcd_print_hist -> widhcd_vops_dump -> wid_q_dump_regs -> wid_q_dump_bus");
  });

  it("is quiet when the core never calls the op", async () => {
    expect(await review([], "dump_other")).toEqual([]);
  });

  it("does not go on into another host driver that has its own table of the type: its objects call its own op", async () => {
    // the core's abort handler is gone; the core exports its history dump, which another host driver's abort handler calls
    const coreNoAbort = core.replace(/static int widhcd_abort[\s\S]*$/, "").replace("static void widhcd_print_hist", "void widhcd_print_hist") + "EXPORT_SYMBOL_GPL(widhcd_print_hist);\n";
    const user = (ownTable: boolean) => `static int wid_r_abort(struct scsi_cmnd *cmd)
{
	struct wid_hba *hba = shost_priv(cmd->device->host);

	widhcd_print_hist(hba);
	return FAILED;
}

static const struct scsi_host_template wid_r_sht = {
	.eh_abort_handler = wid_r_abort,
};
${ownTable ? "\nstatic const struct wid_variant_ops wid_r_vops = {\n\t.name = \"wid-r\",\n\t.init = wid_r_init,\n};\n" : ""}`;
    const run = (ownTable: boolean) =>
      reviewWithTree(
        new Map([
          ["include/wid/widhcd.h", header],
          ["drivers/wid/core/widhcd-priv.h", priv("dump_regs")],
          ["drivers/wid/core/widhcd.c", coreNoAbort],
          ["drivers/wid/r/wid-r.c", user(ownTable)],
          [hostPath, host(false)],
        ]),
        { files: [{ path: hostPath, before: host(false), after: host(true) }] },
        [rule],
      );
    expect(await run(true)).toEqual([]);
    const f = await run(false);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[7, "warning"]]);
    expect(f[0]!.message).toContain("wid_r_abort -> widhcd_print_hist -> widhcd_vops_dump -> wid_q_dump_regs -> wid_q_dump_bus");
  });

  it("is quiet when a file under the same parent registers the field in another struct type (which table is called is not known)", async () => {
    const other = `static const struct wid_phy_ops wid_phy = {\n\t.dump_regs = wid_phy_dump,\n};\n`;
    expect(await review([["drivers/wid/phy/wid-phy.c", other]])).toEqual([]);
  });

  it("still warns when the host directory has its own struct type with the field (declared there, called there)", async () => {
    const ownHeader = `struct wid_q_dma_ops {\n\tvoid\t(*dump_regs)(struct wid_hba *hba);\n};\n`;
    const ownUser = `#include "wid-q-dma.h"\n\nstatic const struct wid_q_dma_ops wid_q_dma = {\n\t.dump_regs = wid_q_dma_dump,\n};\n\nstatic void wid_q_dma_err(struct wid_hba *hba, struct wid_q_dma_ops *ops)\n{\n\tops->dump_regs(hba);\n}\n`;
    const f = await review([["drivers/wid/host/wid-q-dma.h", ownHeader], ["drivers/wid/host/wid-q-dma.c", ownUser]]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[7, "warning"]]);
    expect(f[0]!.message).toContain("widhcd_abort -> widhcd_print_hist -> widhcd_vops_dump -> wid_q_dump_regs -> wid_q_dump_bus");
    // the same table type declared outside the directory: which table its pointer calls reach is not known
    expect(await review([["drivers/wid/host/wid-q-dma.c", ownUser.replace('#include "wid-q-dma.h"', "#include <wid/dma.h>")], ["include/wid/dma.h", ownHeader]])).toEqual([]);
  });

  it("still warns beside a registration whose struct type the syntax does not say (`ops_var.F = fn;`)", async () => {
    const assigned = `static void wid_q2_setup(struct wid_hba *hba)\n{\n\twid_q2_vops.dump_regs = wid_q2_dump;\n}\n`;
    const f = await review([["drivers/wid/host/wid-q2.c", assigned]]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[7, "warning"]]);
  });

  it("follows a host that assigns its op at probe time through a member the directory declares with the table's type", async () => {
    // the host keeps the core's ops in its own struct (`struct wid_variant_ops vops;`) and fills the field in probe
    const pHeader = (member: string) => `#include <wid/widhcd.h>\n\nstruct wid_p_host {\n\tstruct wid_hba *hba;\n\t${member}\n};\n`;
    const pHost = (alloc: boolean) => `#include "wid-p.h"

static void wid_p_dump_regs(struct wid_hba *hba)
{
	u32 *bus;

${alloc ? "\tbus = kmalloc(64 * sizeof(u32), GFP_KERNEL);\n" : "\tbus = wid_p_scratch(hba);\n"}	if (!bus)
		return;
	kfree(bus);
}

static int wid_p_probe(struct platform_device *pdev)
{
	struct wid_p_host *host = platform_get_drvdata(pdev);

	host->vops.dump_regs = wid_p_dump_regs;
	return wid_p_add(host);
}
`;
    const pPath = "drivers/wid/host/wid-p.c";
    const run = (member: string) =>
      reviewWithTree(
        new Map([
          ["include/wid/widhcd.h", header],
          ["drivers/wid/core/widhcd-priv.h", priv("dump_regs")],
          ["drivers/wid/core/widhcd.c", core],
          [hostPath, host(false)],
          ["drivers/wid/host/wid-p.h", pHeader(member)],
          [pPath, pHost(false)],
        ]),
        { files: [{ path: pPath, before: pHost(false), after: pHost(true) }] },
        [rule],
      );
    const f = await run("struct wid_variant_ops vops;");
    expect(f.map((x) => [x.line, x.severity])).toEqual([[7, "warning"]]);
    expect(f[0]!.message).toContain("widhcd_abort -> widhcd_print_hist -> widhcd_vops_dump -> wid_p_dump_regs");
    // a member whose type the directory does not declare, or declares as another table: which table is filled is not known
    expect(await run("void *vops;")).toEqual([]);
    expect(await run("struct wid_p_ops vops;")).toEqual([]);
  });
});

describe("gfp-kernel-in-io-path with the tree: a helper that eviction and writeback both reach", () => {
  // written for this test: a filesystem whose inode write-out may sync the superblock, called from its eviction
  // callback (inside reclaim: no hazard role of its own) and from its ->write_inode (writeback)
  const file = (alloc: boolean, withWriteInode: boolean) => `static void quill_sync_super(struct super_block *sb)
{
	struct quill_sb_info *qs = QUILL_SB(sb);
	void *buf;

${alloc ? "\tbuf = kmalloc(QUILL_SB_SIZE, GFP_KERNEL);\n" : "\tbuf = qs->sb_buf;\n"}	if (!buf)
		return;
	quill_fill_super_buf(qs, buf);
	quill_write_super_buf(sb, buf);
}

static int __quill_write_inode(struct inode *inode, int sync)
{
	quill_fill_raw_inode(inode);
	if (sync)
		quill_sync_super(inode->i_sb);
	return 0;
}

static void quill_evict_inode(struct inode *inode)
{
	if (inode->i_nlink)
		__quill_write_inode(inode, 1);
	clear_inode(inode);
}
${withWriteInode ? "\nstatic int quill_write_inode(struct inode *inode, struct writeback_control *wbc)\n{\n\treturn __quill_write_inode(inode, wbc->sync_mode == WB_SYNC_ALL);\n}\n" : ""}
static const struct super_operations quill_sops = {
	.evict_inode = quill_evict_inode,
${withWriteInode ? "\t.write_inode = quill_write_inode,\n" : ""}};
`;
  const path = "fs/quill/super.c";
  const review = (withWriteInode: boolean) => reviewWithTree(new Map([[path, file(false, withWriteInode)]]), { files: [{ path, before: file(false, withWriteInode), after: file(true, withWriteInode) }] }, [rule]);

  it("judges it under the writeback caller, past the eviction caller found first", async () => {
    // (an info: the whole path from ->write_inode's entry was read, and it marks no folio for writeback before the call)
    const f = await review(true);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[6, "info"]]);
    expect(f[0]!.message).toContain("reached from quill_write_inode() (super_operations.write_inode) through quill_write_inode -> __quill_write_inode -> quill_sync_super");
  });
  it("is quiet when only eviction reaches it (an allocation there does not recurse into a path reclaim waits on)", async () => {
    expect(await review(false)).toEqual([]);
  });
});

describe("gfp-kernel-in-io-path with the tree: an allocation five calls below a host reset handler", () => {
  // written for this test: a controller reset that re-reads a configuration page through a chain of helpers
  const file = (alloc: boolean) => `static int mu_cfg_req(struct mu_ioc *ioc, struct mu_cfg *cfg)
{
	void *page;

${alloc ? "\tpage = dma_alloc_coherent(&ioc->pdev->dev, cfg->len, &cfg->dma, GFP_KERNEL);\n" : "\tpage = ioc->cfg_page;\n"}	if (!page)
		return -ENOMEM;
	return mu_post_cfg(ioc, cfg, page);
}

static int mu_cfg_get_page1(struct mu_ioc *ioc, struct mu_cfg *cfg)
{
	cfg->page = 1;
	return mu_cfg_req(ioc, cfg);
}

static int mu_read_interval(struct mu_ioc *ioc)
{
	struct mu_cfg cfg = { .len = 64 };

	return mu_cfg_get_page1(ioc, &cfg);
}

static int mu_reinit(struct mu_ioc *ioc)
{
	mu_setup_queues(ioc);
	return mu_read_interval(ioc);
}

static int mu_soft_reset(struct mu_ioc *ioc)
{
	mu_block_io(ioc);
	return mu_reinit(ioc);
}

static int mu_eh_host_reset(struct scsi_cmnd *cmd)
{
	struct mu_ioc *ioc = shost_priv(cmd->device->host);

	return mu_soft_reset(ioc) ? FAILED : SUCCESS;
}

static const struct scsi_host_template mu_sht = {
	.eh_host_reset_handler = mu_eh_host_reset,
};
`;
  const path = "drivers/scsi/mu/mu_fw.c";
  it("warns, naming the whole chain", async () => {
    const f = await reviewWithTree(new Map([[path, file(false)]]), { files: [{ path, before: file(false), after: file(true) }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
    expect(f[0]!.message).toContain("mu_eh_host_reset -> mu_soft_reset -> mu_reinit -> mu_read_interval -> mu_cfg_get_page1 -> mu_cfg_req");
  });
});

describe("gfp-kernel-in-io-path with the tree: an allocation in an error handler under a spinlock", () => {
  // written for this test: an abort handler that builds its cancel list with the host lock held
  const file = (alloc: boolean) => `static int nu_cancel_all(struct scsi_device *sdev)
{
	struct nu_host *h = shost_priv(sdev->host);
	struct nu_evt **list = NULL;
	unsigned long flags;

	spin_lock_irqsave(sdev->host->host_lock, flags);
${alloc ? "\tlist = kcalloc(h->nr_queues, sizeof(*list), GFP_KERNEL);\n" : ""}	nu_send_cancel(h, sdev, list);
	spin_unlock_irqrestore(sdev->host->host_lock, flags);
	return 0;
}

static int nu_eh_abort(struct scsi_cmnd *cmd)
{
	return nu_cancel_all(cmd->device) ? FAILED : SUCCESS;
}

static const struct scsi_host_template nu_sht = {
	.eh_abort_handler = nu_eh_abort,
};
`;
  const path = "drivers/scsi/nu.c";
  it("warns on the error-handling hazard and says the spinlock held around it", async () => {
    const f = await reviewWithTree(new Map([[path, file(false)]]), { files: [{ path, before: file(false), after: file(true) }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[8, "warning"]]);
    expect(f[0]!.message).toContain("nu_eh_abort -> nu_cancel_all");
    expect(f[0]!.message).toContain("sdev->host->host_lock is held here (taken at line 7): a sleeping allocation in atomic context is a bug of its own");
  });
});

describe("gfp-kernel-in-io-path with the tree: up through a table of the directory, not into another filesystem's", () => {
  // written for this test: the VFS core calls ->alloc_inode of a superblock; a pseudo filesystem of the same directory
  // registers one that now allocates, and another filesystem's writeback helper looks inodes up through the core
  const core = `struct inode *vcore_alloc_inode(struct super_block *sb)
{
	return sb->s_op->alloc_inode(sb);
}

struct inode *vcore_iget(struct super_block *sb, unsigned long ino)
{
	struct inode *inode = vcore_alloc_inode(sb);

	if (inode)
		inode->i_ino = ino;
	return inode;
}
EXPORT_SYMBOL(vcore_iget);
`;
  const pseudo = (alloc: boolean) => `static struct inode *pfs_alloc_inode(struct super_block *sb)
{
	struct pfs_inode *pi;

${alloc ? "\tpi = kmalloc(sizeof(*pi), GFP_KERNEL);\n" : "\tpi = pfs_cached_inode(sb);\n"}	return pi ? &pi->vfs_inode : NULL;
}

static const struct super_operations pfs_sops = {
	.alloc_inode = pfs_alloc_inode,
};
`;
  const other = (ownTable: boolean) => `static int ofs_flush_ail(struct ofs_sb *sdp, struct writeback_control *wbc)
{
	struct inode *inode = vcore_iget(sdp->sb, sdp->jindex);

	return inode ? ofs_write_ail(sdp, inode, wbc) : -EIO;
}
${ownTable ? "\nstatic const struct super_operations ofs_sops = {\n\t.alloc_inode = ofs_alloc_inode,\n};\n" : ""}`;
  const run = (ownTable: boolean) =>
    reviewWithTree(
      new Map([
        ["fs/vcore.c", core],
        ["fs/pfs.c", pseudo(false)],
        ["fs/ofs/super.c", other(ownTable)],
      ]),
      { files: [{ path: "fs/pfs.c", before: pseudo(false), after: pseudo(true) }] },
      [rule],
    );
  it("quiet when the caller's directory has its own table of the type (its lookups allocate its own inodes)", async () => {
    expect(await run(true)).toEqual([]);
  });
  it("warns when it has none", async () => {
    const f = await run(false);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
    expect(f[0]!.message).toContain("ofs_flush_ail -> vcore_iget -> vcore_alloc_inode -> pfs_alloc_inode");
  });
});

describe("gfp-kernel-in-io-path with the tree: a host's op reached from the queue through the driver's own table", () => {
  // written for this test: a block driver's core calls its hosts' tuning op (a table type of its own) while it
  // issues a request; one host registers the op in an initialiser, another assigns it at probe time
  const header = `struct zed_host;

struct zed_ops {
	int	(*tune)(struct zed_host *h);
};
`;
  const core = `#include "zed.h"

static void zed_retune(struct zed_host *h)
{
	if (h->ops->tune)
		h->ops->tune(h);
}

static blk_status_t zed_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)
{
	struct zed_host *h = hctx->queue->queuedata;

	if (h->need_retune)
		zed_retune(h);
	return zed_issue(h, bd->rq);
}

static const struct blk_mq_ops zed_mq_ops = {
	.queue_rq = zed_queue_rq,
};
`;
  const host = (alloc: boolean) => `#include "zed.h"

static int zed_a_tune(struct zed_host *h)
{
	u8 *buf;

${alloc ? "\tbuf = kmalloc(512, GFP_KERNEL);\n" : "\tbuf = h->tune_buf;\n"}	if (!buf)
		return -ENOMEM;
	return zed_a_read_pattern(h, buf);
}

static const struct zed_ops zed_a_ops = {
	.tune = zed_a_tune,
};
`;
  const other = `#include "zed.h"

static struct zed_ops zed_b_ops;

static void zed_b_setup(struct zed_host *h)
{
	zed_b_ops.tune = zed_b_tune;
	h->ops = &zed_b_ops;
}
`;
  const path = "drivers/block/zed/zed-a.c";
  const review = (files: [string, string][]) =>
    reviewWithTree(new Map([["drivers/block/zed/zed.h", header], ["drivers/block/zed/zed-core.c", core], [path, host(false)], ...files]), { files: [{ path, before: host(false), after: host(true) }] }, [rule]);

  it("warns beside another host that assigns the op (a registration whose struct type the syntax does not say)", async () => {
    const f = await review([["drivers/block/zed/zed-b.c", other]]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[7, "warning"]]);
    expect(f[0]!.message).toContain("zed_queue_rq -> zed_retune -> zed_a_tune");
  });

  it("is quiet when another struct type of the directory has the field too (which table is called is not known)", async () => {
    const second = `#include "zed.h"\n\nstatic const struct zed_dma_ops zed_c_dma = {\n\t.tune = zed_c_dma_tune,\n};\n`;
    expect(await review([["drivers/block/zed/zed-b.c", other], ["drivers/block/zed/zed-c.c", second]])).toEqual([]);
  });
});

describe("gfp-kernel-in-io-path with the tree: a function its callers reach through a function-like macro", () => {
  // written for this test: a filesystem's shutdown is called through a macro that adds the caller's line, from its
  // buffer write completion; the patch makes shutdown send a uevent (which allocates with GFP_KERNEL)
  const header = `#define tarn_force_shutdown(m, why) \\
	tarn_do_force_shutdown(m, why, __LINE__)

void tarn_do_force_shutdown(struct tarn_mount *mp, int why, int line);
`;
  const io = `#include "tarn.h"

static void tarn_end_bio(struct bio *bio)
{
	struct tarn_buf *bp = bio->bi_private;

	if (bio->bi_status)
		tarn_force_shutdown(bp->mount, TARN_META_IO);
	tarn_buf_done(bp);
	bio_put(bio);
}

static void tarn_submit_buf(struct tarn_buf *bp)
{
	struct bio *bio = bio_alloc(bp->bdev, 1, REQ_OP_WRITE, GFP_NOIO);

	bio->bi_private = bp;
	bio->bi_end_io = tarn_end_bio;
	submit_bio(bio);
}
`;
  const ops = (uevent: boolean) => `#include "tarn.h"

void tarn_do_force_shutdown(struct tarn_mount *mp, int why, int line)
{
	if (test_and_set_bit(TARN_SHUT, &mp->flags))
		return;
	tarn_warn(mp, why, line);
${uevent ? "\tkobject_uevent(&mp->kobj, KOBJ_OFFLINE);\n" : ""}}
`;
  const path = "fs/tarn/tarn_ops.c";
  const review = (withMacro: boolean) =>
    reviewWithTree(
      new Map([["fs/tarn/tarn.h", withMacro ? header : header.replace(/#define[\s\S]*?__LINE__\)\n/, "")], ["fs/tarn/tarn_io.c", withMacro ? io : io.replace("tarn_force_shutdown(bp->mount, TARN_META_IO)", "tarn_note_error(bp->mount, TARN_META_IO)")], [path, ops(false)]]),
      { files: [{ path, before: ops(false), after: ops(true) }] },
      [rule],
    );

  it("warns: the macro's callers are the function's, and a uevent allocates with GFP_KERNEL", async () => {
    const f = await review(true);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[8, "warning"]]);
    expect(f[0]!.message).toContain("kobject_uevent");
    expect(f[0]!.message).toContain("tarn_end_bio -> tarn_do_force_shutdown");
  });

  it("is quiet when the completion does not shut down", async () => {
    expect(await review(false)).toEqual([]);
  });
});

describe("gfp-kernel-in-io-path with the tree: a helper that allocates only when it drops the last reference", () => {
  // written for this test: a block driver's timeout handler takes and drops a reference to the device's
  // configuration; the put's release branch announces the teardown with a uevent
  const file = (putAdded: boolean, release: string) => `static void vex_config_put(struct vex_device *vex)
{
${release}}

static enum blk_eh_timer_return vex_xmit_timeout(struct request *req)
{
	struct vex_device *vex = req->q->queuedata;

	if (!refcount_inc_not_zero(&vex->config_refs))
		return BLK_EH_DONE;
	vex_requeue(req);
${putAdded ? "\tvex_config_put(vex);\n" : ""}	return BLK_EH_DONE;
}

static const struct blk_mq_ops vex_mq_ops = {
	.timeout = vex_xmit_timeout,
};
`;
  const lastRef = "\tif (refcount_dec_and_test(&vex->config_refs)) {\n\t\tkobject_uevent(&vex->dev->kobj, KOBJ_CHANGE);\n\t\tkfree(vex->config);\n\t}\n";
  const always = "\tvex->log = kmalloc(64, GFP_KERNEL);\n" + lastRef;
  const path = "drivers/block/vex.c";
  const review = (release: string) => reviewWithTree(new Map([[path, file(false, release)]]), { files: [{ path, before: file(false, release), after: file(true, release) }] }, [rule]);

  it("is quiet: the release branch runs only for the last reference, which the handler's caller does not drop", async () => {
    expect(await review(lastRef)).toEqual([]);
  });
  it("is quiet when the patch adds the uevent to the put's release branch itself", async () => {
    const withPut = (uevent: boolean) => file(true, lastRef.replace("\t\tkobject_uevent(&vex->dev->kobj, KOBJ_CHANGE);\n", uevent ? "\t\tkobject_uevent(&vex->dev->kobj, KOBJ_CHANGE);\n" : ""));
    expect(await reviewWithTree(new Map([[path, withPut(false)]]), { files: [{ path, before: withPut(false), after: withPut(true) }] }, [rule])).toEqual([]);
  });
  it("warns when the helper allocates on every call", async () => {
    const f = await review(always);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[17, "warning"]]);
    expect(f[0]!.message).toContain("vex_config_put -> kmalloc(GFP_KERNEL)");
  });
});

describe("gfp-kernel-in-io-path with the tree: the bio completion of a filesystem without a write path", () => {
  // written for this test: a compressed read-only filesystem whose read completion decompresses, allocating a
  // bounce page; whether its tables give it a write path decides whether reclaim can wait for its IO
  const file = (alloc: boolean, writes: boolean) => `static void shale_decompress(struct shale_req *rq)
{
	struct page *bounce;

${alloc ? "\tbounce = alloc_page(GFP_KERNEL);\n" : "\tbounce = rq->spare;\n"}	shale_inflate(rq, bounce);
}

static void shale_read_endio(struct bio *bio)
{
	shale_decompress(bio->bi_private);
	bio_put(bio);
}

static void shale_submit_read(struct shale_req *rq)
{
	struct bio *bio = bio_alloc(rq->bdev, 1, REQ_OP_READ, GFP_NOIO);

	bio->bi_private = rq;
	bio->bi_end_io = shale_read_endio;
	submit_bio(bio);
}

static const struct address_space_operations shale_aops = {
	.read_folio = shale_read_folio,
	.readahead = shale_readahead,
${writes ? "\t.writepages = shale_writepages,\n" : ""}};
`;
  const path = "fs/shale/data.c";
  const review = (writes: boolean) => reviewWithTree(new Map([[path, file(false, writes)]]), { files: [{ path, before: file(false, writes), after: file(true, writes) }] }, [rule]);
  it("is quiet: its completions are reads, which reclaim does not wait for", async () => {
    expect(await review(false)).toEqual([]);
  });
  it("warns when the filesystem writes (its completion may be a write's)", async () => {
    const f = await review(true);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
    expect(f[0]!.message).toContain("shale_read_endio -> shale_decompress");
  });
});

describe("gfp-kernel-in-io-path with the tree: up through the directory's own ops, not into a file with its own table", () => {
  // written for this test: a network filesystem's generic page-IO layer calls the read or write side through a
  // table of its own type; its writeback builds a write descriptor, so it never reaches the read side's setup
  const header = `struct kite_pgio_header;

struct kite_rw_ops {
	void	(*rw_initiate)(struct kite_pgio_header *hdr);
};
`;
  const pagelist = `#include "internal.h"

static void kite_initiate_pgio(struct kite_pgio_header *hdr)
{
	hdr->rw_ops->rw_initiate(hdr);
	kite_rpc_run(hdr);
}

void kite_pageio_complete(struct kite_pageio_descriptor *desc)
{
	kite_initiate_pgio(desc->hdr);
}
`;
  const read = (alloc: boolean) => `#include "internal.h"

static void kite_initiate_read(struct kite_pgio_header *hdr)
{
${alloc ? "\thdr->scratch = kmalloc(PAGE_SIZE, GFP_KERNEL);\n" : ""}	hdr->proc = KITE_READ;
}

static const struct kite_rw_ops kite_read_ops = {
	.rw_initiate = kite_initiate_read,
};
`;
  const write = (ownTable: boolean) => `#include "internal.h"

${ownTable ? "static void kite_initiate_write(struct kite_pgio_header *hdr)\n{\n\thdr->proc = KITE_WRITE;\n}\n\nstatic const struct kite_rw_ops kite_write_ops = {\n\t.rw_initiate = kite_initiate_write,\n};\n\n" : ""}static int kite_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	struct kite_pageio_descriptor desc;

	kite_pageio_init_write(&desc, mapping);
	kite_pageio_complete(&desc);
	return 0;
}

static const struct address_space_operations kite_aops = {
	.writepages = kite_writepages,
};
`;
  const readPath = "fs/kite/read.c";
  const review = (ownTable: boolean) =>
    reviewWithTree(
      new Map([["fs/kite/internal.h", header], ["fs/kite/pagelist.c", pagelist], ["fs/kite/write.c", write(ownTable)], [readPath, read(false)]]),
      { files: [{ path: readPath, before: read(false), after: read(true) }] },
      [rule],
    );
  it("is quiet: the writeback caller's file registers its own function for the field", async () => {
    expect(await review(true)).toEqual([]);
  });
  it("warns when the writeback caller's file has no table of the type (its objects may carry the read side's)", async () => {
    const f = await review(false);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
    expect(f[0]!.message).toContain("kite_writepages -> kite_pageio_complete -> kite_initiate_pgio -> kite_initiate_read");
  });
});

describe("gfp-kernel-in-io-path with the tree: a library function its block driver reaches through a public header's inline wrapper", () => {
  // written for this test: a flash translation library exports a scatter-gather read; its public header wraps it in
  // a static inline helper, which the library's own block driver calls from queue_rq
  const eba = (alloc: boolean) => `int xbi_eba_read_sg(struct xbi_device *xd, struct xbi_sgl *sgl, int len)
{
	void *bounce;

${alloc ? "\tbounce = kvmalloc(len, GFP_KERNEL);\n" : "\tbounce = xd->bounce;\n"}	if (!bounce)
		return -ENOMEM;
	return xbi_io_read(xd, bounce, sgl, len);
}
`;
  const kapi = `int xbi_leb_read_sg(struct xbi_volume_desc *desc, struct xbi_sgl *sgl, int len)
{
	return xbi_eba_read_sg(desc->vol->xd, sgl, len);
}
EXPORT_SYMBOL_GPL(xbi_leb_read_sg);
`;
  const header = (wraps: boolean) => `int xbi_leb_read_sg(struct xbi_volume_desc *desc, struct xbi_sgl *sgl, int len);

static inline int xbi_read_sg(struct xbi_volume_desc *desc, struct xbi_sgl *sgl, int len)
{
	return ${wraps ? "xbi_leb_read_sg" : "xbi_other_read"}(desc, sgl, len);
}
`;
  const block = `#include <linux/mtd/xbi.h>

static blk_status_t xbiblock_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)
{
	struct xbiblock *dev = hctx->queue->queuedata;

	return xbi_read_sg(dev->desc, &dev->sgl, blk_rq_bytes(bd->rq)) ? BLK_STS_IOERR : BLK_STS_OK;
}

static const struct blk_mq_ops xbiblock_mq_ops = {
	.queue_rq = xbiblock_queue_rq,
};
`;
  const path = "drivers/mtd/xbi/eba.c";
  const review = (wraps: boolean) =>
    reviewWithTree(
      new Map([["drivers/mtd/xbi/kapi.c", kapi], ["drivers/mtd/xbi/block.c", block], ["include/linux/mtd/xbi.h", header(wraps)], [path, eba(false)]]),
      { files: [{ path, before: eba(false), after: eba(true) }] },
      [rule],
    );
  it("warns, with the wrapper in the chain", async () => {
    const f = await review(true);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
    expect(f[0]!.message).toContain("xbiblock_queue_rq -> xbi_read_sg -> xbi_leb_read_sg -> xbi_eba_read_sg");
  });
  it("is quiet when the header's helper does not call the exported function", async () => {
    expect(await review(false)).toEqual([]);
  });
});

describe("gfp-kernel-in-io-path with the tree: a scope a link of the role's chain holds across its call down", () => {
  // written for this test: a filesystem's writeback asks for a compression workspace; the function that hands
  // workspaces out allocates new ones inside memalloc_nofs_save(), through a static dispatcher of another file
  const compression = (scoped: boolean) => `static struct list_head *shale_alloc_ws(int type)
{
	return shale_zlib_alloc_ws();
}

struct list_head *shale_get_ws(int type)
{
	struct list_head *ws;
${scoped ? "\tunsigned int nofs = memalloc_nofs_save();\n\n" : ""}	ws = shale_alloc_ws(type);
${scoped ? "\tmemalloc_nofs_restore(nofs);\n" : ""}	return ws;
}
`;
  const inode = `static int shale_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	struct list_head *ws = shale_get_ws(SHALE_ZLIB);

	return shale_compress_pages(mapping, wbc, ws);
}

static const struct address_space_operations shale_aops = {
	.writepages = shale_writepages,
};
`;
  const zlib = (alloc: boolean) => `struct list_head *shale_zlib_alloc_ws(void)
{
	struct shale_ws *ws = shale_ws_cache_get();

${alloc ? "\tws->buf = kmalloc(PAGE_SIZE, GFP_KERNEL);\n" : ""}	return &ws->list;
}
`;
  const path = "fs/shale/zlib.c";
  const review = (scoped: boolean) =>
    reviewWithTree(new Map([["fs/shale/compression.c", compression(scoped)], ["fs/shale/inode.c", inode], [path, zlib(false)]]), { files: [{ path, before: zlib(false), after: zlib(true) }] }, [rule]);
  it("is quiet: the allocation runs inside the NOFS scope the workspace getter opens", async () => {
    expect(await review(true)).toEqual([]);
  });
  it("warns without the scope", async () => {
    const f = await review(false);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
    expect(f[0]!.message).toContain("shale_writepages -> shale_get_ws -> shale_alloc_ws -> shale_zlib_alloc_ws");
  });
});

describe("gfp-kernel-in-io-path with the tree: GFP_NOFS in a filesystem's own IO path", () => {
  // written for this test: a filesystem's bio completion allocates its follow-up record; GFP_NOFS keeps reclaim out
  // of the filesystem, which is what waits on this completion; a block driver's completion needs GFP_NOIO
  const io = (mask: string | null) => `#include "quill.h"

static void quill_end_bio(struct bio *bio)
{
	struct quill_io *qio = bio->bi_private;
	struct quill_rec *rec;

	rec = ${mask ? `kmalloc(sizeof(*rec), ${mask})` : "qio->rec"};
	quill_log_done(qio, rec);
	bio_put(bio);
}

void quill_submit(struct quill_io *qio, struct bio *bio)
{
	bio->bi_private = qio;
	bio->bi_end_io = quill_end_bio;
	submit_bio(bio);
}
`;
  const fsTables = `static const struct address_space_operations quill_aops = {\n\t.writepages = quill_writepages,\n\t.read_folio = quill_read_folio,\n};\n`;
  const blockTables = `static const struct block_device_operations quill_bdops = {\n\t.submit_bio = quill_submit_bio,\n};\n`;
  const review = (mask: string, extra: [string, string][]) => {
    const path = "fs/quill/io.c";
    return reviewWithTree(new Map([[path, io(null)], ...extra]), { files: [{ path, before: io(null), after: io(mask) }] }, [rule]);
  };
  it("is quiet in a filesystem's directory", async () => {
    expect((await review("GFP_NOFS", [["fs/quill/file.c", fsTables]])).filter((x) => x.severity !== "info")).toEqual([]);
  });
  it("warns with GFP_KERNEL there, and with GFP_NOFS in a block driver's directory", async () => {
    expect((await review("GFP_KERNEL", [["fs/quill/file.c", fsTables]])).map((x) => [x.line, x.severity])).toEqual([[8, "warning"]]);
    expect((await review("GFP_NOFS", [["fs/quill/file.c", fsTables], ["fs/quill/bdev.c", blockTables]])).map((x) => [x.line, x.severity])).toEqual([[8, "warning"]]);
  });
});

describe("gfp-kernel-in-io-path with a tree the patch does not apply to: helpers the patch adds under a bus table entry", () => {
  // written for this test: a card subsystem's core resets the card through the bus's own ops table from its block
  // driver's queue_rq; the patch adds a bus (a file the tree does not have) whose reset re-initialises the card
  const core = `// wid core
#include "wid.h"

int wid_hw_reset(struct wid_host *host)
{
	return host->bus_ops->hw_reset(host);
}

static blk_status_t wid_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)
{
	struct wid_host *host = hctx->queue->queuedata;

	if (wid_issue(host, bd->rq))
		wid_hw_reset(host);
	return BLK_STS_OK;
}

static const struct blk_mq_ops wid_mq_ops = {
	.queue_rq = wid_queue_rq,
};
`;
  const busA = `// wid bus A
#include "wid.h"

static int wid_a_hw_reset(struct wid_host *host)
{
	return wid_a_power_cycle(host);
}

static const struct wid_bus_ops wid_a_ops = {
	.hw_reset = wid_a_hw_reset,
	.detect = wid_a_detect,
};
`;
  const busB = (added: boolean, field: string) => `// wid bus B
#include "wid.h"

static int wid_b_power_off(struct wid_host *host)
{
	return wid_b_set_power(host, 0);
}
${added ? `
static int wid_b_reinit(struct wid_host *host)
{
	u8 *status = kmalloc(64, GFP_KERNEL);

	if (!status)
		return -ENOMEM;
	wid_b_read_status(host, status);
	kfree(status);
	return 0;
}

static int wid_b_hw_reset(struct wid_host *host)
{
	wid_b_power_off(host);
	return wid_b_reinit(host);
}
` : ""}
static const struct wid_bus_ops wid_b_ops = {
	.remove = wid_b_remove,
	.detect = wid_b_detect,
${added ? `\t.${field} = wid_b_hw_reset,\n` : ""}};
`;
  const review = (field: string) =>
    reviewWithTree(new Map([["drivers/wid/core/core.c", core], ["drivers/wid/core/bus_a.c", busA]]), { files: [{ path: "drivers/wid/core/bus_b.c", before: busB(false, field), after: busB(true, field) }] }, [rule]);

  it("the core calls the table's field from queue_rq: the role, through the patch's helpers", async () => {
    const f = await review("hw_reset");
    expect(f.map((x) => [x.line, x.severity])).toEqual([[11, "warning"]]);
    expect(f[0]!.message).toContain("wid_queue_rq -> wid_hw_reset -> wid_b_hw_reset -> wid_b_reinit");
  });

  it("a field no code of the directory calls through: quiet", async () => {
    expect((await review("detect")).filter((x) => x.severity !== "info")).toEqual([]);
  });
});

describe("gfp-kernel-in-io-path with the tree: a chain that already allocates so above the site", () => {
  // written for this test: a host reset handler re-runs the adapter setup, which takes a mailbox from a mempool with
  // GFP_KERNEL before it calls the helper the patch adds an allocation to
  const file = (alloc: boolean, setup: string) => `static int mu_set_time(struct mu_hba *hba)
{
	struct mu_mbox *mb;

${alloc ? "\tmb = mempool_alloc(hba->mbox_pool, GFP_KERNEL);\n\tif (!mb)\n\t\treturn -ENOMEM;\n" : "\tmb = hba->spare_mbox;\n"}	return mu_issue_mbox(hba, mb);
}

static int mu_hba_setup(struct mu_hba *hba)
{
	struct mu_mbox *mboxq;
	int rc;

${setup}	rc = mu_read_rev(hba, mboxq);
	if (rc)
		return rc;
	return mu_set_time(hba);
}

static int mu_host_reset(struct scsi_cmnd *cmd)
{
	struct mu_hba *hba = shost_priv(cmd->device->host);

	mu_stop(hba);
	return mu_hba_setup(hba) ? FAILED : SUCCESS;
}

static const struct scsi_host_template mu_sht = {
	.eh_host_reset_handler = mu_host_reset,
};
`;
  const review = (setup: string) =>
    reviewWithTree(new Map([["drivers/scsi/mu.c", file(false, setup)]]), { files: [{ path: "drivers/scsi/mu.c", before: file(false, setup), after: file(true, setup) }] }, [rule]);

  it("the setup takes its own mailbox with GFP_KERNEL first, on every path: pre-existing, naming it", async () => {
    const f = await review("\tmboxq = mempool_alloc(hba->mbox_pool, GFP_KERNEL);\n\tif (!mboxq)\n\t\treturn -ENOMEM;\n");
    expect(f.map((x) => [x.line, x.severity, Boolean(x.preExisting)])).toEqual([[5, "warning", true]]);
    expect(f[0]!.message).toContain("mu_hba_setup() already allocates so at line 16 (mempool_alloc()) before it calls mu_set_time() on this path");
  });
  it("the helper itself already allocates so above the new allocation: pre-existing", async () => {
    const withBuf = (t: string) => t.replace("\tstruct mu_mbox *mb;\n\n", "\tstruct mu_mbox *mb;\n\tvoid *buf = kmalloc(16, GFP_KERNEL);\n\n");
    const before = withBuf(file(false, ""));
    const f = await reviewWithTree(new Map([["drivers/scsi/mu.c", before]]), { files: [{ path: "drivers/scsi/mu.c", before, after: withBuf(file(true, "")) }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity, Boolean(x.preExisting)])).toEqual([[6, "warning", true]]);
    expect(f[0]!.message).toContain("mu_set_time() already allocates so at line 4 (kmalloc()) on every path here");
  });
  it("the setup's mailbox only under a condition: new", async () => {
    const f = await review("\tif (hba->need_rev)\n\t\tmboxq = mempool_alloc(hba->mbox_pool, GFP_KERNEL);\n");
    expect(f.map((x) => [x.line, x.severity, Boolean(x.preExisting)])).toEqual([[5, "warning", false]]);
  });
  it("the setup's mailbox with GFP_NOIO: new", async () => {
    const f = await review("\tmboxq = mempool_alloc(hba->mbox_pool, GFP_NOIO);\n\tif (!mboxq)\n\t\treturn -ENOMEM;\n");
    expect(f.map((x) => [x.line, x.severity, Boolean(x.preExisting)])).toEqual([[5, "warning", false]]);
  });
  it("a label between the setup's mailbox and the call, jumped to only from after the mailbox: pre-existing", async () => {
    const f = await review("\tmboxq = mempool_alloc(hba->mbox_pool, GFP_KERNEL);\n\tif (!mboxq)\n\t\treturn -ENOMEM;\n\tif (hba->cmf) {\n\t\trc = mu_cmf(hba, mboxq);\n\t\tif (rc)\n\t\t\tgoto no_cmf;\n\t}\nno_cmf:\n");
    expect(f.map((x) => [x.line, x.severity, Boolean(x.preExisting)])).toEqual([[5, "warning", true]]);
  });
  it("a label between them that a jump from before the mailbox reaches: new", async () => {
    const f = await review("\tif (hba->skip)\n\t\tgoto set_time;\n\tmboxq = mempool_alloc(hba->mbox_pool, GFP_KERNEL);\n\tif (!mboxq)\n\t\treturn -ENOMEM;\nset_time:\n");
    expect(f.map((x) => [x.line, x.severity, Boolean(x.preExisting)])).toEqual([[5, "warning", false]]);
  });
  it("a link of the chain that is a static function of another file of the directory: read there", async () => {
    const setup = "\tmboxq = mempool_alloc(hba->mbox_pool, GFP_KERNEL);\n\tif (!mboxq)\n\t\treturn -ENOMEM;\n";
    const whole = file(false, setup);
    const at = whole.indexOf("static int mu_hba_setup");
    // the helper (declared in mu.h) in mu.c; the setup (static), the reset handler and the template in mu_sli.c
    const helper = (alloc: boolean) => {
      const t = file(alloc, setup);
      return t.slice(0, t.indexOf("static int mu_hba_setup")).replace("static int mu_set_time", "int mu_set_time");
    };
    const sli = '#include "mu.h"\n\n' + whole.slice(at);
    const f = await reviewWithTree(
      new Map([
        ["drivers/scsi/mu.c", helper(false)],
        ["drivers/scsi/mu_sli.c", sli],
        ["drivers/scsi/mu.h", "int mu_set_time(struct mu_hba *hba);\n"],
      ]),
      { files: [{ path: "drivers/scsi/mu.c", before: helper(false), after: helper(true) }] },
      [rule],
    );
    expect(f.map((x) => [x.line, x.severity, Boolean(x.preExisting)])).toEqual([[5, "warning", true]]);
    expect(f[0]!.message).toContain("mu_hba_setup() already allocates so at line");
  });
});

describe("gfp-kernel-in-io-path with the tree: a transport's own error handler (scsi_transport_template.eh_strategy_handler)", () => {
  // written for this test, modelled on a transport class whose error handling runs in place of the midlayer's
  const transport = (field: string, helperBody: string) => `static int lark_read_id(struct lark_dev *dev)
{
	u16 *id;

${helperBody}	return lark_exec_internal(dev, LARK_CMD_ID);
}

static void lark_scsi_error(struct Scsi_Host *host)
{
	struct lark_port *ap = lark_shost_to_port(host);

	lark_read_id(ap->dev);
}

struct scsi_transport_template *lark_attach_transport(void)
{
	struct lark_internal *i = kzalloc(sizeof(*i), GFP_KERNEL);

	if (!i)
		return NULL;
	i->t.${field} = lark_scsi_error;
	return &i->t;
}
`;
  const path = "drivers/ata/lark-transport.c";
  const alloc = "\tid = kmalloc(LARK_ID_LEN, GFP_KERNEL);\n\tif (!id)\n\t\treturn -ENOMEM;\n";
  const run = (field: string) => reviewWithTree(new Map([[path, transport(field, "")]]), { files: [{ path, before: transport(field, ""), after: transport(field, alloc) }] }, [rule]);

  it("warns: the transport's error handler calls the helper while the host is in recovery", async () => {
    const f = await run("eh_strategy_handler");
    expect(f.map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
    expect(f[0]!.message).toContain("lark_scsi_error() (scsi_transport_template.eh_strategy_handler)");
  });

  it("is quiet when the function is registered for a field without a role", async () => {
    expect(await run("user_scan")).toEqual([]);
  });
});

describe("gfp-kernel-in-io-path with the tree: the block layer's own bio submission (no ops table registers it)", () => {
  // written for this test, modelled on the block core handing every bio to an encryption preparation step
  const core = `static void __submit_bio(struct bio *bio)
{
	if (unlikely(!blk_tint_bio_prep(bio)))
		return;
	blk_mq_submit_bio(bio);
}
`;
  const tint = (body: string) => `bool blk_tint_bio_prep(struct bio *bio)
{
	struct blk_tint_ctx *tc;

${body}	return blk_tint_apply(bio, tc);
}
`;
  const alloc = "\ttc = kzalloc(sizeof(*tc), GFP_KERNEL);\n\tif (!tc)\n\t\treturn false;\n";
  const run = (corePath: string) =>
    reviewWithTree(new Map([[corePath, core], ["block/blk-tint.c", tint("\ttc = NULL;\n")]]), { files: [{ path: "block/blk-tint.c", before: tint("\ttc = NULL;\n"), after: tint(alloc) }] }, [rule]);

  it("warns: every bio, writeback's and swap's too, goes through __submit_bio() in block/blk-core.c", async () => {
    const f = await run("block/blk-core.c");
    expect(f.map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
    expect(f[0]!.message).toContain("__submit_bio() (the block layer's bio submission) through __submit_bio -> blk_tint_bio_prep");
  });

  it("is quiet for a function of that name in another file (only the block core's is the submission path)", async () => {
    expect(await run("block/blk-tint-core.c")).toEqual([]);
  });
});

describe("gfp-kernel-in-io-path: a call of an allocating function moved down into a wrapper the patch adds", () => {
  // written for this test, modelled on a transport library whose request helpers all allocate their frames
  const lib = (wrapped: boolean, guarded = false) => `static void *wren_alloc_frame(int size)
{
	return kzalloc(size, GFP_KERNEL);
}
${wrapped ? "\nstatic void *wren_get_frame(struct wren_dev *dev, int size)\n{\n\tif (dev->ops->get_frame)\n\t\treturn dev->ops->get_frame(size);\n\n\treturn wren_alloc_frame(size);\n}\n" : ""}
static blk_status_t wren_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)
{
	struct wren_dev *dev = hctx->queue->queuedata;
	u8 *frame;

${guarded ? "\tframe = NULL;\n\tif (dev->needs_frame)\n\t\t" : "\t"}frame = ${wrapped ? "wren_get_frame(dev, WREN_FRAME_LEN)" : "wren_alloc_frame(WREN_FRAME_LEN)"};
	if (!frame)
		return BLK_STS_RESOURCE;
	return wren_send(dev, bd->rq, frame);
}

static const struct blk_mq_ops wren_mq_ops = {
	.queue_rq = wren_queue_rq,
};
`;
  const path = "drivers/block/wren.c";
  const run = (guarded: boolean) => reviewWithTree(new Map([[path, lib(false, guarded)]]), { files: [{ path, before: lib(false, guarded), after: lib(true, guarded) }] }, [rule]);

  it("the callers' unconditional call now made inside the wrapper: pre-existing, naming the deleted call", async () => {
    const f = (await run(false)).filter((x) => x.line === 11);
    expect(f.map((x) => [x.severity, x.preExisting])).toEqual([["warning", true]]);
    expect(f[0]!.message).toContain("wren_queue_rq");
  });

  it("the deleted call sat under an if-condition: the wrapper's call, under none, is new", async () => {
    const f = (await run(true)).filter((x) => x.line === 11);
    expect(f.map((x) => [x.severity, x.preExisting ?? false])).toEqual([["warning", false]]);
  });

  it("the deleted call sat under an if-condition and the wrapper's call does too (the branch moved with it): pre-existing", async () => {
    const guardedWrapper = (t: string) => t.replace("\treturn wren_alloc_frame(size);\n", "\tif (dev->needs_frame)\n\t\treturn wren_alloc_frame(size);\n\treturn NULL;\n");
    const before = lib(false, true);
    const f = (await reviewWithTree(new Map([[path, before]]), { files: [{ path, before, after: guardedWrapper(lib(true, false)) }] }, [rule])).filter((x) => x.line === 12);
    expect(f.map((x) => [x.severity, x.preExisting])).toEqual([["warning", true]]);
  });
});

describe("gfp-kernel-in-io-path with a tree the patch does not apply to: a helper called from a file the patch adds", () => {
  // written for this test: an older version of a network filesystem library's object code than the tree's; the patch
  // adds a request allocator there and a new file whose writeback entry calls it
  const objects = (helper: boolean, drift: boolean) => `// quill objects
#include "internal.h"
${helper ? "\nstruct quill_wreq *quill_alloc_wreq(struct address_space *mapping)\n{\n\treturn kzalloc(sizeof(struct quill_wreq), GFP_KERNEL);\n}\n" : ""}
void quill_put_request(struct quill_req *rreq)
{
${drift ? "\tquill_stat(rreq);\n" : ""}	if (refcount_dec_and_test(&rreq->ref))
		quill_free_request(rreq);
}
`;
  const write = `// quill writeback
#include "internal.h"

int quill_begin_write(struct address_space *mapping, struct writeback_control *wbc)
{
	struct quill_wreq *wreq = quill_alloc_wreq(mapping);

	if (!wreq)
		return -ENOMEM;
	return quill_issue_write(wreq, wbc);
}
`;
  const tree = new Map([["fs/quill/objects.c", objects(false, true)]]);
  const files = (withWrite: boolean) => [
    { path: "fs/quill/objects.c", before: objects(false, false), after: objects(true, false) },
    ...(withWrite ? [{ path: "fs/quill/write.c", before: null, after: write }] : []),
  ];

  it("warns: the caller the patch shows whole is a writeback callback", async () => {
    const f = await reviewWithTree(tree, { files: files(true) }, [rule]);
    expect(f.map((x) => [x.file, x.line, x.severity])).toEqual([["fs/quill/objects.c", 6, "warning"]]);
    expect(f[0]!.message).toContain("quill_begin_write -> quill_alloc_wreq");
  });

  it("is quiet without that caller", async () => {
    expect(await reviewWithTree(tree, { files: files(false) }, [rule])).toEqual([]);
  });
});

describe("gfp-kernel-in-io-path, diff only: a later hunk of a function whose definition an earlier hunk rewrites", () => {
  // written for this test: the patch gives a page-writing helper a writeback_control parameter in one hunk and
  // allocates in a later hunk, whose header (git's, from the old side) still quotes the old first line
  const patch = (mask: string) => `From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001
From: A Developer <dev@example.org>
Subject: [PATCH] zfs: end journalled page writeback at commit

---
 fs/zfs/inode.c | 5 +++--
 1 file changed, 3 insertions(+), 2 deletions(-)

diff --git a/fs/zfs/inode.c b/fs/zfs/inode.c
index 1111111..2222222 100644
--- a/fs/zfs/inode.c
+++ b/fs/zfs/inode.c
@@ -100,8 +100,9 @@ static int zfs_bput_one(handle_t *handle, struct buffer_head *bh)
 	return 0;
 }
 
-static int __zfs_journalled_writepage(struct page *page,
-				      unsigned int len)
+static int __zfs_journalled_writepage(struct page *page,
+				      unsigned int len,
+				      struct writeback_control *wbc)
 {
 	struct address_space *mapping = page->mapping;
 	struct inode *inode = mapping->host;
@@ -130,6 +131,8 @@ static int __zfs_journalled_writepage(struct page *page,
 	get_page(page);
 	unlock_page(page);
 
+	cb = kmem_cache_alloc(zfs_wb_cb_cachep, ${mask});
+
 	handle = zfs_journal_start(inode, ZFS_HT_WRITE_PAGE, 8);
 	if (IS_ERR(handle)) {
 		ret = PTR_ERR(handle);
-- 
2.30.0
`;
  it("the later hunk has the rewritten signature's role: GFP_KERNEL there is said", () => {
    const f = runRule(rule, patch("GFP_KERNEL"));
    expect(f.map((x) => [x.line, x.severity])).toEqual([[134, "warning"]]);
    expect(f[0]!.message).toContain("__zfs_journalled_writepage() is a writeback callback (by its struct writeback_control parameter)");
  });
  it("GFP_NOFS there: quiet", () => {
    expect(runRule(rule, patch("GFP_NOFS"))).toEqual([]);
  });
});

/** A filesystem's writepages (written for these tests) that marks a folio for writeback, then calls `callee(inode)`, under a jbd2 handle or not. */
const zfsWritepages = (handle: boolean, callee: string) => `static int zfs_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	struct inode *inode = mapping->host;
	struct folio *folio = zfs_next_dirty(mapping, wbc);
	handle_t *handle = NULL;
	int ret;

	folio_start_writeback(folio);
${handle ? "\thandle = jbd2_journal_start(ZFS_SB(inode->i_sb)->journal, 1);\n\tif (IS_ERR(handle))\n\t\treturn PTR_ERR(handle);\n" : ""}	ret = ${callee}(inode);
${handle ? "\tjbd2_journal_stop(handle);\n" : ""}	return ret;
}

static const struct address_space_operations zfs_aops = {
	.writepages = zfs_writepages,
};
`;

describe("gfp-kernel-in-io-path with the tree: a link of the chain holds a transaction handle that opens a NOFS scope", () => {
  // written for this test: writepages marks a folio for writeback and starts a jbd2 handle around the helper the patch
  // adds an allocation to
  const file = (alloc: boolean, handle: boolean) => `static int zfs_drop_inline(struct inode *inode)
{
	void *buf;

${alloc ? "\tbuf = kmalloc(ZFS_INLINE_MAX, GFP_KERNEL);\n\tif (!buf)\n\t\treturn -ENOMEM;\n" : "\tbuf = ZFS_I(inode)->inline_buf;\n"}	zfs_copy_inline(inode, buf);
	return 0;
}

${zfsWritepages(handle, "zfs_drop_inline")}`;
  const review = (handle: boolean) => reviewWithTree(new Map([["fs/zfs/inode.c", file(false, handle)]]), { files: [{ path: "fs/zfs/inode.c", before: file(false, handle), after: file(true, handle) }] }, [rule]);

  it("the handle held around the call: the allocation is NOFS there, quiet", async () => {
    expect((await review(true)).filter((x) => x.severity !== "info")).toEqual([]);
  });
  it("no handle: said", async () => {
    expect((await review(false)).map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
  });
});

describe("gfp-kernel-in-io-path with the tree: a handle held two directories' links up the chain", () => {
  // written for this test: a filesystem's writepages holds a jbd2 handle while it creates an inode, whose setup calls
  // an exported helper of another directory the patch adds an allocation to
  const helper = (alloc: boolean) => `int zcrypt_prepare(struct inode *inode)
{
	struct zcrypt_info *ci;

${alloc ? "\tci = kmem_cache_zalloc(zcrypt_info_cachep, GFP_KERNEL);\n\tif (!ci)\n\t\treturn -ENOMEM;\n" : "\tci = inode->i_zcrypt;\n"}	return zcrypt_setup(inode, ci);
}
EXPORT_SYMBOL(zcrypt_prepare);
`;
  const fs = (handle: boolean) => `static int zfs_make_inode(struct inode *dir)
{
	struct inode *inode = zfs_new_inode_struct(dir);

	return zcrypt_prepare(inode);
}

${zfsWritepages(handle, "zfs_make_inode")}`;
  const review = (handle: boolean) =>
    reviewWithTree(new Map([["fs/zcrypt/policy.c", helper(false)], ["fs/zfs/inode.c", fs(handle)]]), { files: [{ path: "fs/zcrypt/policy.c", before: helper(false), after: helper(true) }] }, [rule]);

  it("the handle held by writepages: quiet", async () => {
    expect((await review(true)).filter((x) => x.severity !== "info")).toEqual([]);
  });
  it("no handle: said, through the other directory", async () => {
    const f = await review(false);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
    expect(f[0]!.message).toContain("zfs_writepages -> zfs_make_inode -> zcrypt_prepare");
  });
});

describe("gfp-kernel-in-io-path with the tree: a device-mapper target's suspend and resume hooks run with the device's IO held", () => {
  // written for this test: a target that records its state when suspended and resumed through a helper the patch
  // makes allocate; presuspend runs before the device holds back its IO
  const file = (mask: string | null, hook: "postsuspend" | "resume" | "preresume" | "presuspend") => `static int quartz_record(struct quartz_c *qc, const char *event)
{
	char *line;

${mask ? `\tline = kasprintf(${mask}, "%s:%llu", event, qc->sectors);\n\tif (!line)\n\t\treturn -ENOMEM;\n` : "\tline = qc->static_line;\n"}	return quartz_log(qc, line);
}

static void quartz_hook(struct dm_target *ti)
{
	struct quartz_c *qc = ti->private;

	quartz_record(qc, "state");
}

static int quartz_map(struct dm_target *ti, struct bio *bio)
{
	bio_set_dev(bio, ((struct quartz_c *)ti->private)->dev->bdev);
	return DM_MAPIO_REMAPPED;
}

static struct target_type quartz_target = {
	.name = "quartz",
	.map = quartz_map,
	.${hook} = quartz_hook,
};
`;
  const path = "drivers/md/dm-quartz.c";
  const review = (mask: string, hook: "postsuspend" | "resume" | "preresume" | "presuspend") =>
    reviewWithTree(new Map([[path, file(null, hook)]]), { files: [{ path, before: file(null, hook), after: file(mask, hook) }] }, [rule]);

  it("warns on GFP_KERNEL below postsuspend, naming the hook and why", async () => {
    const f = await review("GFP_KERNEL", "postsuspend");
    expect(f.map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
    expect(f[0]!.message).toContain("quartz_hook() (target_type.postsuspend (device-mapper))");
    expect(f[0]!.message).toContain("holds back its IO");
  });
  it("warns below resume and preresume too", async () => {
    expect((await review("GFP_KERNEL", "resume")).map((x) => x.severity)).toEqual(["warning"]);
    expect((await review("GFP_KERNEL", "preresume")).map((x) => x.severity)).toEqual(["warning"]);
  });
  it("is quiet with GFP_NOIO", async () => {
    expect(await review("GFP_NOIO", "postsuspend")).toEqual([]);
  });
  it("is quiet below presuspend: the device's IO still flows", async () => {
    expect(await review("GFP_KERNEL", "presuspend")).toEqual([]);
  });
});

describe("gfp-kernel-in-io-path: a helper's call written out in place, the helper deleted", () => {
  // written for this test: a queue_rq handler that got its buffer from a wrapper in the driver's header; the patch
  // deletes the wrapper and calls the allocator directly, with the mask the wrapper used (or another one)
  const header = (wrapper: boolean) => `struct widget_cmd;

${wrapper ? `static inline void *widget_buf_alloc(struct widget *w, size_t len, bool atomic)
{
	if (atomic)
		return kmalloc(len, GFP_NOIO);
	return kmalloc(len, GFP_KERNEL);
}
` : ""}
int widget_send(struct widget_cmd *cmd);
`;
  const driver = (line: string) => queueRq.replace("\tblk_mq_start_request(rq);\n", `${line}\tif (!cmd->buf)\n\t\treturn BLK_STS_RESOURCE;\n\tblk_mq_start_request(rq);\n`);
  const before = driver("\tcmd->buf = widget_buf_alloc(cmd->w, cmd->len, false);\n");
  const run = (mask: string) =>
    runRule(rule, {
      files: [
        { path: "drivers/block/widget.h", before: header(true), after: header(false) },
        { path: "drivers/block/widget.c", before, after: driver(`\tcmd->buf = kmalloc(cmd->len, ${mask});\n`) },
      ],
    });

  it("is quiet when the written-out call has the mask the deleted wrapper's body used", () => {
    expect(run("GFP_KERNEL")).toEqual([]);
  });
  it("still warns when the wrapper's body had no call with that mask", () => {
    expect(run("GFP_KERNEL | __GFP_ZERO").map((x) => x.severity)).toEqual(["warning"]);
  });
  it("still warns when the same lvalue was filled by a call the patch does not show the body of", () => {
    const f = runRule(rule, { files: [{ path: "drivers/block/widget.c", before, after: driver("\tcmd->buf = kmalloc(cmd->len, GFP_KERNEL);\n") }] });
    expect(f.map((x) => x.severity)).toEqual(["warning"]);
  });
});

describe("gfp-kernel-in-io-path with the tree: an earlier allocation handed the same gfp_t parameter", () => {
  // written for this test: a command allocator takes its mask from the queue_rq handler; the patch adds a second
  // allocation with the same parameter below the first, or with a scope the first is not under
  const file = (added: string | null) => `static struct widget_cmd *widget_alloc_cmd(struct widget *w, unsigned int n, gfp_t gfp)
{
	struct widget_cmd *c;

	c = kmem_cache_zalloc(w->cmd_cache, gfp);
	if (c) {
		c->n = n;
${added ?? ""}	}
	return c;
}

static blk_status_t widget_queue_rq(struct blk_mq_hw_ctx *hctx,
		const struct blk_mq_queue_data *bd)
{
	struct widget *w = hctx->queue->queuedata;
	struct widget_cmd *c = widget_alloc_cmd(w, blk_rq_nr_phys_segments(bd->rq), GFP_KERNEL);

	if (!c)
		return BLK_STS_RESOURCE;
	blk_mq_start_request(bd->rq);
	return widget_send(w, c);
}
`;
  const path = "drivers/block/widget.c";
  const review = (added: string) => reviewWithTree(new Map([[path, file(null)]]), { files: [{ path, before: file(null), after: file(added) }] }, [rule]);

  it("pre-existing: the function already allocates with that parameter on every path here", async () => {
    const f = await review("\t\tc->sg = kcalloc(n, sizeof(*c->sg), gfp);\n");
    expect(f.map((x) => [x.line, x.severity, x.preExisting === true])).toEqual([[8, "warning", true]]);
    expect(f[0]!.message).toContain("widget_alloc_cmd() already allocates so at line 5 (kmem_cache_zalloc())");
  });
  it("new when the earlier one is under a NOIO scope the added one is not", async () => {
    const scoped = (added: string | null) =>
      file(added).replace("\tc = kmem_cache_zalloc(w->cmd_cache, gfp);\n", "\tflags = memalloc_noio_save();\n\tc = kmem_cache_zalloc(w->cmd_cache, gfp);\n\tmemalloc_noio_restore(flags);\n").replace("\tstruct widget_cmd *c;\n", "\tstruct widget_cmd *c;\n\tunsigned int flags;\n");
    const f = await reviewWithTree(new Map([[path, scoped(null)]]), { files: [{ path, before: scoped(null), after: scoped("\t\tc->sg = kcalloc(n, sizeof(*c->sg), gfp);\n") }] }, [rule]);
    expect(f.map((x) => [x.severity, x.preExisting === true])).toEqual([["warning", false]]);
  });
});

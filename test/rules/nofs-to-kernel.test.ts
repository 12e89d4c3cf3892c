import { rule } from "../../src/rules/gfp-context/nofs-to-kernel.js";
import { describe, expect, it } from "vitest";
import { ruleTester } from "../helpers/rule-tester.js";
import { reviewWithTree } from "../helpers/tree-review.js";

// Written for these tests, modelled on filesystem code: a relaxation is judged by
// what the analysis can see (held locks, handles, roles), never by names or the changelog.
const scrub = (mask: string) => `static int frob_scrub_pages(struct frob_scrub *sc, u64 logical)
{
	struct frob_block *blk;

	blk = kzalloc(sizeof(*blk), ${mask});
	if (!blk)
		return -ENOMEM;
	return frob_scrub_submit(sc, blk, logical);
}
`;

// a work function of a queue the same file allocates (with or without WQ_MEM_RECLAIM)
const reclaimWork = (flags: string, mask: string) => `static void widget_refill_work(struct work_struct *work)
{
	struct widget *w = container_of(work, struct widget, refill);

	w->spare = kmalloc(w->spare_len, ${mask});
}

static int widget_init_queue(struct widget *w)
{
	w->wq = alloc_workqueue("widget_refill", ${flags}, 0);
	if (!w->wq)
		return -ENOMEM;
	INIT_WORK(&w->refill, widget_refill_work);
	return 0;
}

static void widget_kick(struct widget *w)
{
	queue_work(w->wq, &w->refill);
}
`;

const locked = (mask: string) => `static int frob_grow_map(struct frob_fs *fs, unsigned int n)
{
	struct frob_map *m;

	mutex_lock(&fs->map_mutex);
	m = kvmalloc(n * sizeof(*m), ${mask});
	if (!m) {
		mutex_unlock(&fs->map_mutex);
		return -ENOMEM;
	}
	frob_swap_map(fs, m);
	mutex_unlock(&fs->map_mutex);
	return 0;
}
`;

const scoped = `static int frob_relocate(struct frob_fs *fs)
{
	unsigned int nofs;
	int ret;

	nofs = memalloc_nofs_save();
	fs->reloc = kzalloc(sizeof(*fs->reloc), GFP_KERNEL);
	ret = frob_do_relocate(fs);
	memalloc_nofs_restore(nofs);
	return ret;
}
`;

const unscoped = `static int frob_relocate(struct frob_fs *fs)
{
	int ret;

	fs->reloc = kzalloc(sizeof(*fs->reloc), GFP_KERNEL);
	ret = frob_do_relocate(fs);
	return ret;
}
`;

const trans = (mask: string) => `static int frob_set_xattr(struct btrfs_trans_handle *trans, struct frob_inode *fi, const void *val, size_t len)
{
	void *buf;

	buf = kmemdup(val, len, ${mask});
	return frob_trans_xattr(trans, fi, buf, len);
}
`;

// a key setup helper that opened a NOIO scope around a cipher allocation
const keySetup = (scoped: boolean) => `static int frob_set_cipher(struct frob_key *key)
{
	unsigned int noio;
	int ret;

${scoped ? "\tnoio = memalloc_noio_save();\n" : ""}	key->tfm = frob_alloc_cipher("cbc(aes)");
${scoped ? "\tmemalloc_noio_restore(noio);\n" : ""}	if (IS_ERR(key->tfm))
		return PTR_ERR(key->tfm);
	ret = frob_cipher_setkey(key->tfm, key->key, key->len);
	return ret;
}
`;
const keyUser = `int frob_key_prepare(struct frob_key *key)
{
	return frob_set_cipher(key);
}
`;

ruleTester(rule, {
  valid: [
    { name: "a NOIO scope moved into the only caller the patch shows", patch: { files: [{ path: "net/frob/crypto.c", before: `${keySetup(true)}\n${keyUser}`, after: `${keySetup(false)}\n${keyUser.replace("\treturn frob_set_cipher(key);\n", "\tunsigned int noio = memalloc_noio_save();\n\tint ret = frob_set_cipher(key);\n\n\tmemalloc_noio_restore(noio);\n\treturn ret;\n")}` }] } },
    { name: "GFP_KERNEL -> GFP_NOFS (the other direction)", patch: { files: [{ path: "fs/frob/scrub.c", before: scrub("GFP_KERNEL"), after: scrub("GFP_NOFS") }] } },
    {
      name: "conversion under a memalloc_nofs_save() scope the same patch adds",
      patch: {
        files: [
          {
            path: "fs/frob/reloc.c",
            before: scoped.replace("\tnofs = memalloc_nofs_save();\n", "").replace("\tmemalloc_nofs_restore(nofs);\n", "").replace("GFP_KERNEL", "GFP_NOFS"),
            after: scoped,
          },
        ],
      },
    },
    {
      name: "the scope moves to the caller in the same patch",
      patch: {
        files: [
          {
            path: "fs/frob/reloc.c",
            before: `${scoped}\nstatic int frob_balance(struct frob_fs *fs)\n{\n\treturn frob_relocate(fs);\n}\n`,
            after: `${unscoped}\nstatic int frob_balance(struct frob_fs *fs)\n{\n\tunsigned int nofs = memalloc_nofs_save();\n\tint ret = frob_relocate(fs);\n\n\tmemalloc_nofs_restore(nofs);\n\treturn ret;\n}\n`,
          },
        ],
      },
    },
    {
      name: "a transaction handle passed in: alloc-while-holding warns, this rule stays quiet",
      patch: { files: [{ path: "fs/frob/xattr.c", before: trans("GFP_NOFS"), after: trans("GFP_KERNEL") }] },
    },
    {
      name: "an unrelated GFP_KERNEL allocation added next to an unchanged GFP_NOFS one",
      patch: { files: [{ path: "fs/frob/scrub.c", before: scrub("GFP_NOFS"), after: scrub("GFP_NOFS").replace("\tif (!blk)\n", "\tsc->log = kmalloc(64, GFP_KERNEL);\n\tif (!blk)\n") }] },
    },
  ],
  invalid: [
    {
      name: "a NOFS scope removed together with the allocation it covered: what else it covered is named",
      patch: {
        files: [
          {
            path: "fs/frob/log.c",
            before: "static int frob_log_start(struct frob_log *log)\n{\n\tunsigned int nofs = memalloc_nofs_save();\n\n\tlog->buf = kmalloc(64, GFP_KERNEL);\n\tfrob_log_prepare(log);\n\tmemalloc_nofs_restore(nofs);\n\treturn 0;\n}\n",
            after: "static int frob_log_start(struct frob_log *log)\n{\n\tfrob_log_prepare(log);\n\treturn 0;\n}\n",
          },
        ],
      },
      errors: [{ messageId: "scopeRemovedNothingLeft", severity: "info" }],
    },
    {
      name: "a NOIO scope removed from around a call that allocated, no allocation left in view",
      patch: { files: [{ path: "net/frob/crypto.c", before: keySetup(true), after: keySetup(false) }] },
      errors: [{ messageId: "scopeRemovedNothingLeft", line: 6, severity: "info" }],
    },
    {
      name: "the function that opened the scope is removed",
      patch: { files: [{ path: "net/frob/crypto.c", before: `${keySetup(true)}\n${keyUser}`, after: keyUser.replace("frob_set_cipher(key)", "frob_lib_prepare(key)") }] },
      // on the new side, where the deleted function stood (its first line there)
      errors: [{ messageId: "scopeFunctionRemoved", line: 1, severity: "info" }],
    },
    {
      name: "GFP_NOFS -> GFP_KERNEL with nothing visible: info naming what was not checked",
      patch: { files: [{ path: "fs/frob/scrub.c", before: scrub("GFP_NOFS"), after: scrub("GFP_KERNEL") }] },
      errors: [{ messageId: "relaxedUnknown", line: 5, severity: "info" }],
    },
    {
      name: "the changelog's claim does not silence it (it is a claim to verify)",
      patch: {
        message: "This is only called from the ioctl path, where no transaction is held, so GFP_KERNEL is fine.",
        files: [{ path: "fs/frob/scrub.c", before: scrub("GFP_NOFS"), after: scrub("GFP_KERNEL") }],
      },
      errors: [{ messageId: "relaxedUnknown", line: 5, severity: "info" }],
    },
    {
      name: "relaxed under a mutex held in the function: whether reclaim takes it is the missing fact",
      patch: { files: [{ path: "fs/frob/map.c", before: locked("GFP_NOFS"), after: locked("GFP_KERNEL") }] },
      errors: [{ messageId: "relaxedLock", line: 6, severity: "info" }],
    },
    {
      name: "memalloc_nofs_save() scope removed",
      patch: { files: [{ path: "fs/frob/reloc.c", before: scoped, after: unscoped }] },
      errors: [{ messageId: "scopeRemoved", line: 5, severity: "info" }],
    },
    {
      name: "GFP_NOIO -> GFP_KERNEL in a block helper with no role visible",
      patch: {
        files: [
          {
            path: "drivers/block/widget.c",
            before: "static int widget_grow_pool(struct widget *w)\n{\n\tw->pool = kmalloc_array(w->n, sizeof(void *), GFP_NOIO);\n\treturn w->pool ? 0 : -ENOMEM;\n}\n",
            after: "static int widget_grow_pool(struct widget *w)\n{\n\tw->pool = kmalloc_array(w->n, sizeof(void *), GFP_KERNEL);\n\treturn w->pool ? 0 : -ENOMEM;\n}\n",
          },
        ],
      },
      errors: [{ messageId: "relaxedUnknown", line: 3, severity: "info" }],
    },
  ],
});

describe("nofs-to-kernel with the tree: work of a WQ_MEM_RECLAIM queue", () => {
  const spec = (flags: string) => ({ files: [{ path: "drivers/block/widget.c", before: reclaimWork(flags, "GFP_NOIO"), after: reclaimWork(flags, "GFP_KERNEL") }] });
  const tree = (flags: string) => new Map([["drivers/block/widget.c", reclaimWork(flags, "GFP_NOIO")]]);

  it("warns when the queue the file allocates has WQ_MEM_RECLAIM", async () => {
    const f = await reviewWithTree(tree("WQ_MEM_RECLAIM"), spec("WQ_MEM_RECLAIM"), [rule]);
    expect(f.map((x) => [x.line, x.messageId, x.severity])).toEqual([[5, "relaxedInReclaimWork", "warning"]]);
    expect(f[0]!.message).toContain('"widget_refill"');
    expect(f[0]!.fix).toContain("Keep GFP_NOIO");
  });

  it("says the spinlock held on every path beside it (sleeping in atomic context is a bug of its own)", async () => {
    const spun = (mask: string) => reclaimWork("WQ_MEM_RECLAIM", mask).replace("\tw->spare = kmalloc(w->spare_len, " + mask + ");\n", "\tspin_lock(&w->lock);\n\tw->spare = kmalloc(w->spare_len, " + mask + ");\n\tspin_unlock(&w->lock);\n");
    const path = "drivers/block/widget.c";
    const f = await reviewWithTree(new Map([[path, spun("GFP_ATOMIC")]]), { files: [{ path, before: spun("GFP_ATOMIC"), after: spun("GFP_KERNEL") }] }, [rule]);
    expect(f.map((x) => [x.line, x.messageId, x.severity])).toEqual([[6, "relaxedInReclaimWork", "warning"]]);
    expect(f[0]!.message).toContain("; &w->lock is held here (taken at line 5): a sleeping allocation in atomic context is a bug of its own");
    // without the lock, the same relaxation says nothing of it
    const plain = await reviewWithTree(tree("WQ_MEM_RECLAIM"), spec("WQ_MEM_RECLAIM"), [rule]);
    expect(plain[0]!.message).not.toContain("atomic context");
  });

  it("stays at info when the queue has no WQ_MEM_RECLAIM", async () => {
    const f = await reviewWithTree(tree("WQ_UNBOUND"), spec("WQ_UNBOUND"), [rule]);
    expect(f.map((x) => [x.line, x.messageId, x.severity])).toEqual([[5, "relaxedChecked", "info"]]);
    // no caller to have checked: what makes nothing held is said instead of "checked 0 caller paths"
    expect(f[0]!.message).toContain("no caller: widget_refill_work() runs as the function of the work item refill, which starts with nothing held");
  });

  it("an exported function with no caller in the directory: nothing was checked, and it says so", async () => {
    const exported = (mask: string) => `int widget_grow_pool(struct widget *w)\n{\n\tw->pool = kmalloc_array(w->n, sizeof(void *), ${mask});\n\treturn w->pool ? 0 : -ENOMEM;\n}\nEXPORT_SYMBOL_GPL(widget_grow_pool);\n`;
    const f = await reviewWithTree(new Map([["drivers/block/widget.c", exported("GFP_NOIO")]]), { files: [{ path: "drivers/block/widget.c", before: exported("GFP_NOIO"), after: exported("GFP_KERNEL") }] }, [rule]);
    expect(f.map((x) => [x.messageId, x.severity])).toEqual([["relaxedUnknown", "info"]]);
    expect(f[0]!.message).toContain("no caller of widget_grow_pool() was found in drivers/block/; it is exported or its address is taken, so its callers are elsewhere");
    expect(f[0]!.message).not.toContain("checked 0");
  });
});

describe("nofs-to-kernel with the tree, when the patch does not apply to it", () => {
  // a zoned target (written for this test): the metadata file's reset helper runs four calls below the chunk work
  const reset = (mask: string, extra: string) => `static int gizmo_reset_zone(struct gizmo_meta *gm, struct gizmo_zone *z)
{
	int ret;
${extra}
	ret = gizmo_zone_mgmt(gm->bdev, z->start, gm->zone_sectors, ${mask});
	return ret;
}

static void gizmo_free_zone(struct gizmo_meta *gm, struct gizmo_zone *z)
{
	gizmo_reset_zone(gm, z);
	list_add_tail(&z->link, &gm->free_list);
}

void gizmo_put_mapping(struct gizmo_meta *gm, struct gizmo_zone *z)
{
	if (atomic_dec_and_test(&z->refs))
		gizmo_free_zone(gm, z);
}
`;
  const target = (flags: string) => `static int gizmo_handle_bio(struct gizmo_target *gt, struct bio *bio)
{
	struct gizmo_zone *z = gizmo_map_zone(gt, bio);

	gizmo_submit(gt, z, bio);
	gizmo_put_mapping(gt->meta, z);
	return 0;
}

static void gizmo_chunk_work(struct work_struct *work)
{
	struct gizmo_chunk *cw = container_of(work, struct gizmo_chunk, work);
	struct bio *bio;

	while ((bio = bio_list_pop(&cw->bios)))
		gizmo_handle_bio(cw->target, bio);
}

static int gizmo_queue_chunk(struct gizmo_target *gt, struct gizmo_chunk *cw)
{
	INIT_WORK(&cw->work, gizmo_chunk_work);
	return queue_work(gt->chunk_wq, &cw->work);
}

static int gizmo_ctr(struct gizmo_target *gt)
{
	gt->chunk_wq = alloc_workqueue("gizmo_cwq", ${flags}, 0);
	return gt->chunk_wq ? 0 : -ENOMEM;
}
`;
  // the tree's reset helper has a line the patch does not know, so its hunk does not apply
  const tree = (flags: string) =>
    new Map([
      ["drivers/md/gizmo-meta.c", reset("GFP_NOIO", "\n\tgizmo_trace_reset(gm, z);\n")],
      ["drivers/md/gizmo-target.c", target(flags)],
    ]);
  const spec = { files: [{ path: "drivers/md/gizmo-meta.c", before: reset("GFP_NOIO", ""), after: reset("GFP_KERNEL", "") }] };

  it("reads the callers from the tree's version of the file: four calls up, work of a WQ_MEM_RECLAIM queue", async () => {
    const f = await reviewWithTree(tree("WQ_MEM_RECLAIM | WQ_UNBOUND"), spec, [rule]);
    expect(f.map((x) => [x.messageId, x.severity])).toEqual([["relaxedInReclaimWork", "warning"]]);
    expect(f[0]!.message).toContain("gizmo_chunk_work -> gizmo_handle_bio -> gizmo_put_mapping -> gizmo_free_zone -> gizmo_reset_zone");
  });

  it("without the flag: a note that says what was checked, in the tree's version of the code", async () => {
    const f = await reviewWithTree(tree("WQ_UNBOUND"), spec, [rule]);
    expect(f.map((x) => [x.messageId, x.severity])).toEqual([["relaxedChecked", "info"]]);
    expect(f[0]!.message).toContain("in the source tree's version of the code (the patch does not apply to it)");
  });

  it("a function the tree does not define: said to be read from the diff alone", async () => {
    const renamedTree = new Map([...tree("WQ_UNBOUND")].map(([p, t]) => [p, t.replace(/gizmo_reset_zone/g, "gizmo_zone_reset")]));
    const f = await reviewWithTree(renamedTree, spec, [rule]);
    expect(f.map((x) => [x.messageId, x.severity])).toEqual([["relaxedUnknown", "info"]]);
    expect(f[0]!.message).toContain("the patch does not apply to the tree");
  });
});

describe("nofs-to-kernel: a function that stops taking its callers' mask", () => {
  // written for this test, modelled on a RAID driver's per-CPU scratch buffers, resized from the reshape path
  const code = (withParam: boolean) => `static int spool_scratch_alloc(struct spool_percpu *pc, int num, int cnt${withParam ? ", gfp_t flags" : ""})
{
	void *scratch;

	scratch = kvmalloc_array(cnt, num * sizeof(u64), ${withParam ? "flags" : "GFP_KERNEL"});
	if (!scratch)
		return -ENOMEM;
	kvfree(pc->scratch);
	pc->scratch = scratch;
	return 0;
}

static int spool_resize_scratch(struct spool_conf *conf, int new_disks)
{
	int cpu, err = 0;

	for_each_present_cpu(cpu) {
		err = spool_scratch_alloc(per_cpu_ptr(conf->percpu, cpu), new_disks, conf->chunk_sectors${withParam ? ", GFP_NOIO" : ""});
		if (err)
			break;
	}
	return err;
}
`;
  it("says which caller's mask was dropped", async () => {
    const f = await reviewWithTree(new Map(), { files: [{ path: "drivers/md/spool.c", before: code(true), after: code(false) }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[5, "info", "relaxedUnknown"]]);
    expect(f[0]!.message).toContain("GFP_NOIO (passed by spool_resize_scratch()) -> GFP_KERNEL for kvmalloc_array(GFP_KERNEL) in spool_scratch_alloc()");
  });

  it("is quiet when the callers passed GFP_KERNEL anyway", async () => {
    const before = code(true).replace(", GFP_NOIO);", ", GFP_KERNEL);");
    expect(await reviewWithTree(new Map(), { files: [{ path: "drivers/md/spool.c", before, after: code(false) }] }, [rule])).toEqual([]);
  });

  it("is quiet when the caller's NOIO comes from a scope it still opens", async () => {
    const scoped = (s: string) => s.replace("\tfor_each_present_cpu(cpu) {", "\tunsigned int noio = memalloc_noio_save();\n\n\tfor_each_present_cpu(cpu) {").replace("\treturn err;\n}", "\tmemalloc_noio_restore(noio);\n\treturn err;\n}");
    const f = await reviewWithTree(new Map([["drivers/md/spool.c", scoped(code(true))]]), { files: [{ path: "drivers/md/spool.c", before: scoped(code(true)), after: scoped(code(false)) }] }, [rule]);
    expect(f).toEqual([]);
  });
});

describe("nofs-to-kernel: a per-call mask dropped under a scope that still covers it", () => {
  // written for this test, modelled on a filesystem cleanup after its transaction code took a NOFS scope
  const fn = (mask: string) => `static int frob_log_item(struct frob_trans *tp, struct frob_item *it)
{
	unsigned int nofs = memalloc_nofs_save();
	struct frob_log_vec *lv;

	lv = kmalloc(sizeof(*lv), ${mask});
	if (lv)
		frob_log_add(tp, it, lv);
	memalloc_nofs_restore(nofs);
	return lv ? 0 : -ENOMEM;
}
`;
  it("says which scope covers it (a check made), at info", async () => {
    const f = await reviewWithTree(new Map(), { files: [{ path: "fs/frob/log.c", before: fn("GFP_NOFS"), after: fn("GFP_KERNEL") }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[6, "info", "relaxedCovered"]]);
    expect(f[0]!.message).toContain("GFP_NOFS -> GFP_KERNEL for kmalloc(GFP_KERNEL) in frob_log_item(): the memalloc_nofs_save() scope opened at line 3 covers it, so it still runs NOFS (checked in the lines shown)");
  });

  it("without the scope it is a relaxation, not covered", async () => {
    const bare = (m: string) => fn(m).replace("\tunsigned int nofs = memalloc_nofs_save();\n", "").replace("\tmemalloc_nofs_restore(nofs);\n", "");
    const f = await reviewWithTree(new Map(), { files: [{ path: "fs/frob/log.c", before: bare("GFP_NOFS"), after: bare("GFP_KERNEL") }] }, [rule]);
    expect(f.map((x) => x.messageId)).not.toContain("relaxedCovered");
  });
});

describe("nofs-to-kernel: a per-call mask replaced by a variable of the function", () => {
  // written for this test, modelled on a filesystem helper that picks the mask of its buffer allocation
  const fn = (decl: string, call: string) => `static int frob_read_block(struct frob_sb *sb, u64 blk, bool retry)
{
	struct frob_buf *buf;
${decl}
	buf = kmalloc(sizeof(*buf), ${call});
	if (!buf)
		return -ENOMEM;
	return frob_submit(sb, buf, blk);
}
`;
  const variable = "\tgfp_t gfp = GFP_NOFS;\n\n\tif (retry)\n\t\tgfp |= __GFP_NOFAIL;";

  it("says every value the variable takes in the lines shown keeps __GFP_FS clear (a check made), at info", async () => {
    const { runRule } = await import("../helpers/rule-tester.js");
    const f = runRule(rule, { context: 20, files: [{ path: "fs/frob/read.c", before: fn("", "GFP_NOFS"), after: fn(variable, "gfp") }] });
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[8, "info", "keptByVariable"]]);
    expect(f[0]!.message).toContain("GFP_NOFS -> gfp for kmalloc(gfp) (gfp is (GFP_NOFS) | __GFP_NOFAIL from line 7) in frob_read_block(): every value the lines show gfp taking clears __GFP_FS");
  });

  it("a value that lets reclaim into the filesystem on one path is a relaxation, not kept", async () => {
    const { runRule } = await import("../helpers/rule-tester.js");
    const f = runRule(rule, { context: 20, files: [{ path: "fs/frob/read.c", before: fn("", "GFP_NOFS"), after: fn(variable.replace("gfp |= __GFP_NOFAIL", "gfp = GFP_KERNEL"), "gfp") }] });
    expect(f.map((x) => x.messageId)).toEqual(["relaxedUnknown"]);
    expect(f[0]!.message).toContain("GFP_NOFS -> gfp for kmalloc(gfp) (gfp is GFP_KERNEL from line 7)");
  });
});

describe("nofs-to-kernel: the assignment of a mask variable relaxed, the call unchanged", () => {
  // written for this test, modelled on a network filesystem that picks the mask of its request allocation by origin
  const fn = (mask: string) => `static struct frob_req *frob_alloc_req(struct frob_inode *fi, int origin)
{
	mempool_t *pool = fi->pool;
	struct frob_req *req;
	gfp_t gfp = GFP_KERNEL;
	int ret;

	/* writeback must not fail for want of memory */
	if (origin == FROB_WRITEBACK) {
		gfp = ${mask};

		req = mempool_alloc(pool, gfp);
	} else {
		req = mempool_alloc_noreserve(pool, gfp);
	}
	return req;
}
`;
  it("diff only, the declaration outside the hunk: the assignment every path to the call passes decides, said at info", async () => {
    const { runRule } = await import("../helpers/rule-tester.js");
    const f = runRule(rule, { context: 2, files: [{ path: "fs/frob/req.c", before: fn("GFP_NOFS"), after: fn("GFP_KERNEL") }] });
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[10, "info", "relaxedUnknown"]]);
    expect(f[0]!.message).toContain("gfp = GFP_NOFS -> gfp = GFP_KERNEL for mempool_alloc(gfp) (gfp is GFP_KERNEL from line 10; the call is at line 12)");
  });
  it("an assignment only on some path to the call (a conditional one) does not decide without the declaration", async () => {
    const { runRule } = await import("../helpers/rule-tester.js");
    const cond = (m: string) => fn(m).replace(`\t\tgfp = ${m};\n`, `\t\tif (fi->small)\n\t\t\tgfp = ${m};\n`);
    const f = runRule(rule, { context: 2, files: [{ path: "fs/frob/req.c", before: cond("GFP_NOFS"), after: cond("GFP_KERNEL") }] });
    expect(f).toEqual([]);
  });
});

describe("nofs-to-kernel: a transaction handle whose start saves a NOFS scope covers the relaxed mask", () => {
  // written for this test, modelled on a filesystem helper that logs an item in the transaction it is given; the
  // handle type is one the vocabulary knows carries a NOFS scope for its lifetime (derived from its start function)
  const helper = (mask: string) => `static int quire_log_item(struct xfs_trans *tp, struct quire_item *qi)
{
	struct quire_rec *rec;

	rec = kzalloc(sizeof(*rec), ${mask});
	if (!rec)
		return -ENOMEM;
	rec->item = qi;
	return quire_log(tp, rec);
}
`;
  it("diff only: says which handle keeps it NOFS instead of saying nothing", async () => {
    const { runRule } = await import("../helpers/rule-tester.js");
    const f = runRule(rule, { context: 20, files: [{ path: "fs/xfs/quire.c", before: helper("GFP_NOFS"), after: helper("GFP_KERNEL") }] });
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[5, "info", "relaxedCovered"]]);
    expect(f[0]!.message).toContain("GFP_NOFS -> GFP_KERNEL for kzalloc(GFP_KERNEL) in quire_log_item(): the NOFS scope of the xfs-trans transaction handle passed in (struct xfs_trans *tp)");
    expect(f[0]!.message).toContain("covers it, so it still runs NOFS (checked in the lines shown)");
  });
});

describe("nofs-to-kernel with a tree: a scope removed around an allocation the patch leaves alone", () => {
  // written for this test, modelled on a filesystem that checksums a write bio it submits from writeback
  const file = (scoped: boolean) => `static int frob_csum_bio(struct frob_bio *fb)
{
	struct frob_sums *sums;
${scoped ? "\tunsigned int nofs = memalloc_nofs_save();\n" : ""}
	sums = kvzalloc(frob_sums_size(fb), GFP_KERNEL);
${scoped ? "\tmemalloc_nofs_restore(nofs);\n" : ""}	if (!sums)
		return -ENOMEM;
	return frob_csum(fb, sums);
}

static int frob_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	struct frob_bio *fb = frob_next_bio(mapping, wbc);

	return frob_csum_bio(fb);
}

static const struct address_space_operations frob_aops = {
	.writepages = frob_writepages,
};
`;
  it("the allocation's line is unchanged, so the hazard the tree shows is said here, at warning, with its chain", async () => {
    const f = await reviewWithTree(new Map([["fs/frob/csum.c", file(true)]]), { files: [{ path: "fs/frob/csum.c", before: file(true), after: file(false) }] }, [rule]);
    expect(f.map((x) => [x.severity, x.messageId])).toEqual([["warning", "scopeRemovedHazard"]]);
    expect(f[0]!.message).toContain("memalloc_nofs_save() scope removed in frob_csum_bio(): kvzalloc(GFP_KERNEL) now runs as GFP_KERNEL, and frob_csum_bio() is reached from frob_writepages() (address_space_operations.writepages)");
  });
  it("a scope over a helper call only, removed: with the whole function in view, said as checked there", async () => {
    const helper = (scoped: boolean) => `static int frob_flush(struct frob_bio *fb)
{
	int ret;
${scoped ? "\tunsigned int nofs = memalloc_nofs_save();\n" : ""}
	ret = frob_log_write(fb);
${scoped ? "\tmemalloc_nofs_restore(nofs);\n" : ""}	return ret;
}
`;
    const f = await reviewWithTree(new Map([["fs/frob/flush.c", helper(true)]]), { files: [{ path: "fs/frob/flush.c", before: helper(true), after: helper(false) }] }, [rule]);
    expect(f.map((x) => [x.severity, x.messageId])).toEqual([["info", "scopeRemovedNothingLeft"]]);
    expect(f[0]!.message).toBe("memalloc_nofs_save() scope removed from frob_flush(), and no allocation of the function itself ran under it: it covered frob_log_write(); if any of them (or a helper they call) still allocates, it now may call into the filesystem from reclaim");
  });
  it("one of two scopes of the function removed: the other, around other calls, does not cover what the removed one did", async () => {
    const two = (first: boolean) => `static int frob_sync(struct frob_bio *fb)
{
	unsigned int nofs;
	int ret;
${first ? "\n\tnofs = memalloc_nofs_save();\n" : "\n"}	ret = frob_log_write(fb);
${first ? "\tmemalloc_nofs_restore(nofs);\n" : ""}	if (ret)
		return ret;
	nofs = memalloc_nofs_save();
	ret = frob_meta_write(fb);
	memalloc_nofs_restore(nofs);
	return ret;
}
`;
    const f = await reviewWithTree(new Map([["fs/frob/sync.c", two(true)]]), { files: [{ path: "fs/frob/sync.c", before: two(true), after: two(false) }] }, [rule]);
    expect(f.map((x) => [x.severity, x.messageId])).toEqual([["info", "scopeRemovedNothingLeft"]]);
    expect(f[0]!.message).toContain("it covered frob_log_write()");
    // the two scopes merged into one that still covers the call: quiet
    const merged = `static int frob_sync(struct frob_bio *fb)
{
	unsigned int nofs;
	int ret;

	nofs = memalloc_nofs_save();
	ret = frob_log_write(fb);
	if (!ret)
		ret = frob_meta_write(fb);
	memalloc_nofs_restore(nofs);
	return ret;
}
`;
    expect(await reviewWithTree(new Map([["fs/frob/sync.c", two(true)]]), { files: [{ path: "fs/frob/sync.c", before: two(true), after: merged }] }, [rule])).toEqual([]);
  });
  it("diff only the same removal stays an info naming what is not checked", async () => {
    const { runRule } = await import("../helpers/rule-tester.js");
    const f = runRule(rule, { files: [{ path: "fs/frob/csum.c", before: file(true), after: file(false) }] });
    expect(f.map((x) => [x.severity, x.messageId])).toEqual([["info", "scopeRemoved"]]);
  });
});

describe("nofs-to-kernel with a tree: a function defined twice under preprocessor alternatives", () => {
  // written for this test, modelled on a network block driver whose authentication is a stub without a config option
  const file = (mask: string) => `#if !defined(CONFIG_FROB_HMAC)
static int frob_auth(struct frob_conn *c)
{
	return -1;
}
#else
static int frob_auth(struct frob_conn *c)
{
	char *resp;

	resp = kmalloc(c->resp_size, ${mask});
	if (!resp)
		return -1;
	return frob_check(c, resp);
}
#endif
`;
  it("the definition the patch changes is the one judged, not the first of the name", async () => {
    const f = await reviewWithTree(new Map([["drivers/block/frob/auth.c", file("GFP_NOIO")]]), { files: [{ path: "drivers/block/frob/auth.c", before: file("GFP_NOIO"), after: file("GFP_KERNEL") }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[11, "info"]]);
    expect(f[0]!.message).toContain("GFP_NOIO -> GFP_KERNEL for kmalloc(GFP_KERNEL) in frob_auth()");
  });
});

describe("nofs-to-kernel with the tree: a function defined through a macro", () => {
  // written for this test: a closure callback whose head a macro writes (git's hunk header names the macro), and the
  // function that continues to it
  const file = (mask: string) => `static CLOSURE_CALLBACK(frob_insert_start)
{
	closure_type(op, struct frob_op, cl);
	struct bio *n;

	n = bio_next_split(op->bio, 8, ${mask}, &op->split);
	frob_submit(op, n);
	continue_at(cl, frob_insert_done, op->wq);
}

void frob_insert(struct frob_op *op)
{
	closure_call(&op->cl, frob_insert_start, NULL, NULL);
}
`;
  const path = "drivers/md/frob/request.c";

  it("is read as that function: the relaxation gets the tree's check, under the function's own name", async () => {
    const f = await reviewWithTree(new Map([[path, file("GFP_NOIO")]]), { files: [{ path, before: file("GFP_NOIO"), after: file("GFP_KERNEL") }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[6, "info"]]);
    expect(f[0]!.message).toContain("GFP_NOIO -> GFP_KERNEL for bio_next_split(..., GFP_KERNEL, ...) in frob_insert_start():");
    expect(f[0]!.message).not.toContain("CLOSURE_CALLBACK");
  });
});

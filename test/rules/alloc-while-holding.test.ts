import { rule } from "../../src/rules/gfp-context/alloc-while-holding.js";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { parsePatchText } from "../../src/ingest/index.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { review } from "../../src/pipeline.js";
import { formatPatch } from "../helpers/patch.js";
import { reviewWithTree } from "../helpers/tree-review.js";
import { runRule, ruleTester } from "../helpers/rule-tester.js";

// Fixtures written for these tests, modelled on filesystem and block code.
const shrinker = (lock: "mutex_lock" | "mutex_trylock") => `static unsigned long frob_cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct frob_fs *fs = s->private_data;
	unsigned long freed;

	${lock === "mutex_lock" ? "mutex_lock(&fs->map_mutex);" : "if (!mutex_trylock(&fs->map_mutex))\n\t\treturn SHRINK_STOP;"}
	freed = frob_drop_maps(fs, sc->nr_to_scan);
	mutex_unlock(&fs->map_mutex);
	return freed;
}

static const struct frob_ops frob_shrinker_ops = {
	.scan_objects = frob_cache_scan,
};
`;

const grow = (body: string) => `static int frob_grow_map(struct frob_fs *fs, unsigned int n)
{
	struct frob_map *m;

${body}
	return 0;
}
`;

const lockedAlloc = grow("\tmutex_lock(&fs->map_mutex);\n\tm = kvmalloc(n * sizeof(*m), GFP_KERNEL);\n\tfrob_swap_map(fs, m);\n\tmutex_unlock(&fs->map_mutex);");

const freeze = (mask: string) => `static int widget_set_depth(struct widget_dev *wd, unsigned int depth)
{
	void *tags;

	blk_mq_freeze_queue(wd->queue);
	tags = kcalloc(depth, sizeof(void *), ${mask});
	widget_swap_tags(wd, tags);
	blk_mq_unfreeze_queue(wd->queue);
	return 0;
}
`;

const percpuFreeze = (call: string) => `static int widget_stats_init(struct widget_dev *wd)
{
	struct widget_stat __percpu *stats;

	blk_mq_freeze_queue(wd->queue);
	stats = ${call};
	widget_swap_stats(wd, stats);
	blk_mq_unfreeze_queue(wd->queue);
	return 0;
}
`;

const handleParam = (type: string, mask: string) => `static int frob_add_ref(${type}, struct frob_inode *fi, u64 bytenr)
{
	struct frob_ref *ref;

	ref = kmalloc(sizeof(*ref), ${mask});
	if (!ref)
		return -ENOMEM;
	return frob_insert_ref(fi, ref, bytenr);
}
`;

const started = (mask: string) => `static int frob_set_label(struct frob_root *root, const char *label)
{
	struct btrfs_trans_handle *trans;
	char *copy;

	trans = btrfs_start_transaction(root, 1);
	if (IS_ERR(trans))
		return PTR_ERR(trans);
	copy = kstrdup(label, ${mask});
	frob_store_label(trans, copy);
	return btrfs_end_transaction(trans);
}
`;

const attached = (mask: string, test: string) => `static int frob_sync_label(struct frob_root *root, const char *label)
{
	struct btrfs_trans_handle *trans;
	char *copy;

	trans = btrfs_attach_transaction(root);
	if (${test})
		frob_note_idle(root);
	else
		btrfs_commit_transaction(trans);
	copy = kstrdup(label, ${mask});
	frob_store_label(root, copy);
	return 0;
}
`;

ruleTester(rule, {
  valid: [
    {
      name: "a pointer to a handle pointer is where the function hands out a transaction it starts, not one it is given",
      patch: { files: [{ path: "fs/frob/ref.c", before: handleParam("struct btrfs_trans_handle **trans_out", "GFP_NOFS"), after: handleParam("struct btrfs_trans_handle **trans_out", "GFP_KERNEL") }] },
    },
    {
      name: "per-CPU memory with a mask that forbids IO under a frozen queue (alloc_percpu_gfp: the mask is its second argument)",
      patch: { files: [{ path: "drivers/block/widget.c", before: null, after: percpuFreeze("alloc_percpu_gfp(struct widget_stat, GFP_NOIO)") }] },
    },
    {
      name: "the shrinker's mutex is held, but so is an xarray's spinlock (xa_lock): sleeping in atomic context is another bug",
      patch: {
        files: [
          {
            path: "fs/frob/map.c",
            before: null,
            after: `${shrinker("mutex_lock")}\n${lockedAlloc.replace("\tm = kvmalloc(n * sizeof(*m), GFP_KERNEL);\n", "\txa_lock(&fs->maps);\n\tm = kvmalloc(n * sizeof(*m), GFP_KERNEL);\n\txa_unlock(&fs->maps);\n")}`,
          },
        ],
      },
    },
    { name: "a handle whose start failed is not held: committed on the other branch, nothing held after", patch: { files: [{ path: "fs/frob/label.c", before: null, after: attached("GFP_KERNEL", "IS_ERR(trans)") }] } },
    { name: "the same with the success test first (`!IS_ERR(trans)` commits in the else)", patch: { files: [{ path: "fs/frob/label.c", before: null, after: attached("GFP_KERNEL", "!IS_ERR(trans)").replace("\t\tfrob_note_idle(root);\n\telse\n\t\tbtrfs_commit_transaction(trans);", "\t\tbtrfs_commit_transaction(trans);\n\telse\n\t\tfrob_note_idle(root);") }] } },
    { name: "the shrinker only trylocks the lock held at the allocation", patch: { files: [{ path: "fs/frob/map.c", before: null, after: `${shrinker("mutex_trylock")}\n${lockedAlloc}` }] } },
    { name: "a mutex no reclaim-side function in view takes (diff only): nothing to say here", patch: { files: [{ path: "fs/frob/map.c", before: grow(""), after: lockedAlloc }] } },
    { name: "a jbd2 handle carries a NOFS scope for its lifetime", patch: { files: [{ path: "fs/frob/ref.c", before: null, after: handleParam("handle_t *handle", "GFP_KERNEL") }] } },
    { name: "GFP_NOFS under a handle that carries no scope", patch: { files: [{ path: "fs/frob/label.c", before: null, after: started("GFP_NOFS") }] } },
    {
      name: "a freeze that returns the saved flags opens a NOIO scope (newer kernels' blk_mq_freeze_queue)",
      patch: {
        files: [
          {
            path: "drivers/block/widget.c",
            before: null,
            after: freeze("GFP_KERNEL").replace("\tvoid *tags;\n", "\tunsigned int memflags;\n\tvoid *tags;\n").replace("\tblk_mq_freeze_queue(wd->queue);", "\tmemflags = blk_mq_freeze_queue(wd->queue);").replace("\tblk_mq_unfreeze_queue(wd->queue);", "\tblk_mq_unfreeze_queue(wd->queue, memflags);"),
          },
        ],
      },
    },
    { name: "the patch tightens GFP_KERNEL to GFP_NOIO under a frozen queue", patch: { files: [{ path: "drivers/block/widget.c", before: freeze("GFP_KERNEL"), after: freeze("GFP_NOIO") }] } },
    {
      name: "a mask written otherwise that clears no more (GFP_KERNEL -> GFP_KERNEL | __GFP_ZERO) under a frozen queue: the context is what it was",
      patch: { files: [{ path: "drivers/block/widget.c", before: freeze("GFP_KERNEL"), after: freeze("GFP_KERNEL | __GFP_ZERO") }] },
    },
    { name: "a mask chosen between GFP_ATOMIC and GFP_NOIO while the queue is frozen: neither arm starts IO", patch: { files: [{ path: "drivers/block/widget.c", before: null, after: freeze("wd->atomic ? GFP_ATOMIC : GFP_NOIO") }] } },
    { name: "GFP_NOIO while the queue is frozen", patch: { files: [{ path: "drivers/block/widget.c", before: null, after: freeze("GFP_NOIO") }] } },
    {
      name: "allocation after the unfreeze",
      patch: { files: [{ path: "drivers/block/widget.c", before: null, after: freeze("GFP_KERNEL").replace("\ttags = kcalloc(depth, sizeof(void *), GFP_KERNEL);\n\twidget_swap_tags(wd, tags);\n\tblk_mq_unfreeze_queue(wd->queue);\n", "\twidget_quiesce(wd);\n\tblk_mq_unfreeze_queue(wd->queue);\n\ttags = kcalloc(depth, sizeof(void *), GFP_KERNEL);\n\twidget_swap_tags(wd, tags);\n") }] },
    },
    {
      name: "under a spinlock (atomic context is a different bug)",
      patch: { files: [{ path: "fs/frob/map.c", before: null, after: `${shrinker("mutex_lock").replace(/mutex_(lock|unlock)\(&fs->map_mutex\)/g, "spin_$1(&fs->map_lock)")}\n${lockedAlloc.replace(/mutex_(lock|unlock)\(&fs->map_mutex\)/g, "spin_$1(&fs->map_lock)")}` }] },
    },
    {
      name: "eviction locks the dying inode's own mutex: not one the allocating task can hold",
      patch: {
        files: [
          {
            path: "fs/frob/inode.c",
            before: null,
            after: `static void frob_evict_inode(struct inode *inode)
{
	struct frob_inode_info *fi = FROB_I(inode);

	mutex_lock(&fi->sem);
	frob_drop_nodes(fi);
	mutex_unlock(&fi->sem);
	clear_inode(inode);
}

static const struct super_operations frob_sops = {
	.evict_inode = frob_evict_inode,
};

static int frob_setattr(struct frob_inode_info *fi, size_t n)
{
	void *buf;

	mutex_lock(&fi->sem);
	buf = kmalloc(n, GFP_KERNEL);
	frob_store(fi, buf);
	mutex_unlock(&fi->sem);
	return 0;
}
`,
          },
        ],
      },
    },
  ],
  invalid: [
    {
      name: "a mutex the shrinker of the same code takes, held across GFP_KERNEL",
      patch: { files: [{ path: "fs/frob/map.c", before: null, after: `${shrinker("mutex_lock")}\n${lockedAlloc}` }] },
      errors: [{ messageId: "lockTaken", line: 21, severity: "warning" }],
    },
    {
      name: "a btrfs transaction handle passed in (no NOFS scope in the handle)",
      patch: { files: [{ path: "fs/frob/ref.c", before: handleParam("struct btrfs_trans_handle *trans", "GFP_NOFS"), after: handleParam("struct btrfs_trans_handle *trans", "GFP_KERNEL") }] },
      errors: [{ messageId: "handle", line: 5, severity: "warning" }],
    },
    {
      name: "a transaction started in the function, then kstrdup(GFP_KERNEL)",
      patch: { files: [{ path: "fs/frob/label.c", before: null, after: started("GFP_KERNEL") }] },
      errors: [{ messageId: "handle", line: 9 }],
    },
    {
      name: "a handle committed only when the test says it failed is still held on the success branch",
      patch: { files: [{ path: "fs/frob/label.c", before: null, after: attached("GFP_KERNEL", "!IS_ERR(trans)") }] },
      errors: [{ messageId: "handle", line: 11 }],
    },
    {
      name: "the patch freezes the queue around an existing GFP_KERNEL allocation: reported on the freeze",
      patch: { files: [{ path: "drivers/block/widget.c", before: freeze("GFP_KERNEL").replace("\tblk_mq_freeze_queue(wd->queue);\n", "").replace("\tblk_mq_unfreeze_queue(wd->queue);\n", ""), after: freeze("GFP_KERNEL") }] },
      errors: [{ messageId: "frozen", line: 5, severity: "warning" }],
    },
    {
      name: "GFP_KERNEL while the request queue is frozen",
      patch: { files: [{ path: "drivers/block/widget.c", before: freeze("GFP_NOIO"), after: freeze("GFP_KERNEL") }] },
      errors: [{ messageId: "frozen", line: 6, severity: "warning" }],
    },
    {
      name: "a mask chosen between GFP_ATOMIC and GFP_KERNEL while the queue is frozen: the GFP_KERNEL arm may start IO",
      patch: { files: [{ path: "drivers/block/widget.c", before: freeze("GFP_NOIO"), after: freeze("wd->atomic ? GFP_ATOMIC : GFP_KERNEL") }] },
      errors: [{ messageId: "frozen", line: 6, severity: "warning" }],
    },
    {
      name: "alloc_percpu() takes no mask and allocates with GFP_KERNEL: under a frozen queue",
      patch: { files: [{ path: "drivers/block/widget.c", before: null, after: percpuFreeze("alloc_percpu(struct widget_stat)") }] },
      errors: [{ messageId: "frozen", line: 6, severity: "warning" }],
    },
    {
      name: "the patch tightens GFP_KERNEL to GFP_NOFS under a frozen queue: still allows IO",
      patch: { files: [{ path: "drivers/block/widget.c", before: freeze("GFP_KERNEL"), after: freeze("GFP_NOFS") }] },
      errors: [{ messageId: "stillAllowed", line: 6, severity: "warning" }],
    },
  ],
});

// Two files of one driver directory: a release path and an MMU notifier whose invalidation (run by page reclaim
// when it unmaps) takes the same mutex. The tree has drifted from the patch's base, so the patch applies to neither.
const WD_RELEASE = (locked: boolean) => `// widget memory regions
#include "wd.h"

static int wd_store_key(struct wd_dev *dev, struct wd_region *r)
{
	struct wd_key *k;

	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return -ENOMEM;
	k->id = r->id;
	list_add(&k->node, &dev->keys);
	return 0;
}

static int wd_release_region(struct wd_region *r)
{
	struct wd_dev *dev = r->dev;
	int ret;

${locked ? "\tmutex_lock(&to_wd_map(r->map)->map_mutex);\n" : ""}	ret = wd_store_key(dev, r);
	wd_put_region(r);
${locked ? "\tmutex_unlock(&to_wd_map(r->map)->map_mutex);\n" : ""}	return ret;
}
`;
const WD_NOTIFY = (lock: string, guard: boolean) => `// widget map invalidation
#include "wd.h"

static bool wd_invalidate(struct mmu_interval_notifier *mni,
			  const struct mmu_notifier_range *range,
			  unsigned long cur_seq)
{
	struct wd_map *map = container_of(mni, struct wd_map, notifier);
	struct wd_region *r;

	mutex_lock(&map->${lock});
	r = map->private;
${guard ? "\tif (!r)\n\t\tgoto out;\n" : ""}	wd_zap(r, range->start, range->end);
out:
	mutex_unlock(&map->${lock});
	return true;
}

const struct mmu_interval_notifier_ops wd_mn_ops = {
	.invalidate = wd_invalidate,
};
`;

describe("alloc-while-holding with a tree the patch does not apply to", () => {
  // the tree's files differ from the patch's pre-image inside each hunk's context, so neither hunk applies
  const drift = (t: string) => t.replace("\twd_put_region(r);", "\twd_put_region(r, 0);").replace("\tr = map->private;", "\tr = READ_ONCE(map->private);");
  const treeWith = (lock: string) =>
    new Map([
      ["drivers/widget/wd_release.c", drift(WD_RELEASE(false))],
      ["drivers/widget/wd_notify.c", drift(WD_NOTIFY(lock, false))],
    ]);
  const patch = {
    files: [
      { path: "drivers/widget/wd_release.c", before: WD_RELEASE(false), after: WD_RELEASE(true) },
      { path: "drivers/widget/wd_notify.c", before: WD_NOTIFY("map_mutex", false), after: WD_NOTIFY("map_mutex", true) },
    ],
  };

  it("finds the lock taker in another changed file of the directory (the file stays a neighbour)", async () => {
    const f = await reviewWithTree(treeWith("map_mutex"), patch, [rule]);
    expect(f.map((x) => [x.file, x.line, x.severity])).toEqual([["drivers/widget/wd_release.c", 21, "warning"]]);
    expect(f[0]!.message).toContain("wd_store_key -> kzalloc(GFP_KERNEL)");
    expect(f[0]!.message).toContain("wd_invalidate() (mmu_interval_notifier_ops.invalidate) takes it in reclaim");
  });

  it("says no taker when the tree's invalidation takes another lock", async () => {
    const f = await reviewWithTree(treeWith("seq_mutex"), { files: [patch.files[0]!] }, [rule]);
    expect(f.filter((x) => x.severity === "warning")).toEqual([]);
  });
});

// A lock that another function takes with the request queue frozen: whoever holds it and allocates with IO allowed
// can wait on reclaim's IO to the frozen queue, whose unfreeze waits on the lock.
const WQ_SYSFS = `// widget queue attributes
#include "wq.h"

static ssize_t wq_depth_store(struct wq_disk *disk, const char *page, size_t len)
{
	struct request_queue *q = disk->queue;
	unsigned long depth;

	if (kstrtoul(page, 10, &depth))
		return -EINVAL;

	blk_mq_freeze_queue(q);
	mutex_lock(&disk->state_mutex);
	wq_set_depth(disk, depth);
	mutex_unlock(&disk->state_mutex);
	blk_mq_unfreeze_queue(q);
	return len;
}
`;
const wqCore = (mask: string, locked: boolean) => `// widget queue core
#include "wq.h"

static int wq_init_stats(struct wq_disk *disk)
{
	disk->stats = kzalloc(sizeof(*disk->stats), ${mask});
	return disk->stats ? 0 : -ENOMEM;
}

void wq_enable_stats(struct wq_disk *disk)
{
	bool enable = wq_stats_wanted(disk);

${locked ? "\tmutex_lock(&disk->state_mutex);\n\n" : ""}	if (wq_stats_disabled(disk))
		enable = false;

	if (disk->stats) {
		if (enable)
			disk->stats->on = true;
		${locked ? "goto unlock;" : "return;"}
	}

	if (!wq_registered(disk))
		${locked ? "goto unlock;" : "return;"}

	if (enable)
		wq_init_stats(disk);
${locked ? "unlock:\n\tmutex_unlock(&disk->state_mutex);\n" : ""}}
`;

describe("alloc-while-holding: a lock taken elsewhere inside a queue freeze", () => {
  const tree = (mask: string) => new Map([["drivers/wq/wq_sysfs.c", WQ_SYSFS], ["drivers/wq/wq_core.c", wqCore(mask, false)]]);

  it("warns on the added lock: the helper called under it allocates with IO allowed (with the tree)", async () => {
    const f = await reviewWithTree(tree("GFP_KERNEL"), { files: [{ path: "drivers/wq/wq_core.c", before: wqCore("GFP_KERNEL", false), after: wqCore("GFP_KERNEL", true) }] }, [rule]);
    expect(f.map((x) => [x.file, x.line, x.severity, x.messageId])).toEqual([["drivers/wq/wq_core.c", 14, "warning", "lockUnderFreeze"]]);
    expect(f[0]!.message).toContain("wq_init_stats -> kzalloc(GFP_KERNEL)");
    expect(f[0]!.message).toContain("wq_depth_store() takes it with q frozen (drivers/wq/wq_sysfs.c:13, frozen at line 12)");
  });

  it("GFP_NOFS still lets reclaim issue IO to the frozen queue: warned", async () => {
    const f = await reviewWithTree(tree("GFP_NOFS"), { files: [{ path: "drivers/wq/wq_core.c", before: wqCore("GFP_NOFS", false), after: wqCore("GFP_NOFS", true) }] }, [rule]);
    expect(f.map((x) => [x.line, x.messageId])).toEqual([[14, "lockUnderFreeze"]]);
  });

  it("GFP_NOIO under the lock is quiet", async () => {
    expect(await reviewWithTree(tree("GFP_NOIO"), { files: [{ path: "drivers/wq/wq_core.c", before: wqCore("GFP_NOIO", false), after: wqCore("GFP_NOIO", true) }] }, [rule])).toEqual([]);
  });

  it("quiet when only a disk's deletion takes the lock inside its freeze (the disk is marked dead first: new IO fails, it does not wait)", async () => {
    const deletion = new Map([["drivers/wq/wq_sysfs.c", WQ_SYSFS.replace("static ssize_t wq_depth_store(struct wq_disk *disk, const char *page, size_t len)", "ssize_t del_gendisk(struct wq_disk *disk, const char *page, size_t len)")], ["drivers/wq/wq_core.c", wqCore("GFP_KERNEL", false)]]);
    const f = await reviewWithTree(deletion, { files: [{ path: "drivers/wq/wq_core.c", before: wqCore("GFP_KERNEL", false), after: wqCore("GFP_KERNEL", true) }] }, [rule]);
    expect(f.filter((x) => x.severity !== "info")).toEqual([]);
  });

  it("quiet when nothing takes the lock inside a freeze", async () => {
    const unfrozen = new Map([["drivers/wq/wq_sysfs.c", WQ_SYSFS.replace("\tblk_mq_freeze_queue(q);\n", "").replace("\tblk_mq_unfreeze_queue(q);\n", "")], ["drivers/wq/wq_core.c", wqCore("GFP_KERNEL", false)]]);
    expect(await reviewWithTree(unfrozen, { files: [{ path: "drivers/wq/wq_core.c", before: wqCore("GFP_KERNEL", false), after: wqCore("GFP_KERNEL", true) }] }, [rule])).toEqual([]);
  });
});

// diff only: the patch shows the freeze side and, in a later hunk of the function that took the lock, an allocation
// before the unlock (the lock is carried from the hunk that took it to the hunk that releases it)
const wqCoreAlloc = (locked: boolean, mask: string) => wqCore(mask, locked).replace("\tif (enable)\n\t\twq_init_stats(disk);\n", locked ? `\tif (enable)\n\t\tdisk->stats = kzalloc(sizeof(*disk->stats), ${mask});\n` : "\tif (enable)\n\t\twq_init_stats(disk);\n");
describe("alloc-while-holding, diff only: a lock carried across hunks", () => {
  const files = (mask: string) => [
    { path: "drivers/wq/wq_sysfs.c", before: WQ_SYSFS.replace(/state_mutex/g, "old_mutex"), after: WQ_SYSFS },
    { path: "drivers/wq/wq_core.c", before: wqCore("GFP_KERNEL", false), after: wqCoreAlloc(true, mask) },
  ];
  // one line of context: the lock, the exits and the allocation land in separate hunks
  const run = (mask: string) => review(parsePatchText(formatPatch({ files: files(mask), context: 1 }), "t.patch"), null, DEFAULT_CONFIG, loadKnowledge(), [rule]).reviews[0]!.findings;

  it("lock taken in one hunk, released in a later one, kzalloc(GFP_KERNEL) between, and the patch takes the lock inside a freeze", () => {
    expect(run("GFP_KERNEL").map((x) => [x.file, x.line, x.severity, x.messageId])).toEqual([["drivers/wq/wq_core.c", 29, "warning", "lockUnderFreeze"]]);
  });

  it("the allocation in the later hunk is GFP_NOIO: quiet", () => {
    expect(run("GFP_NOIO")).toEqual([]);
  });
});

// A shrinker whose helper two calls down takes the lock only in an error branch.
const CONDSHRINK = (guarded: boolean) => `// frob cache shrinker
#include "frob.h"

static void frob_note_bad(struct frob_fs *fs, struct frob_map *m)
{
${guarded ? "\tif (frob_map_corrupt(m)) {\n\t\tmutex_lock(&fs->map_mutex);\n\t\tfrob_mark_bad(fs, m);\n\t\tmutex_unlock(&fs->map_mutex);\n\t}\n" : "\tmutex_lock(&fs->map_mutex);\n\tfrob_mark_bad(fs, m);\n\tmutex_unlock(&fs->map_mutex);\n"}}

static void frob_write_map(struct frob_fs *fs, struct frob_map *m)
{
	frob_note_bad(fs, m);
	frob_submit(fs, m);
}

static unsigned long frob_cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct frob_fs *fs = s->private_data;

	frob_write_map(fs, fs->dirty);
	return 1;
}

static const struct shrinker_ops frob_shrinker_ops = {
	.scan_objects = frob_cache_scan,
};
`;

describe("alloc-while-holding: how sure the reclaim side's lock is", () => {
  const before = grow("");
  const run = (guarded: boolean) => reviewWithTree(new Map([["fs/frob/shrink.c", CONDSHRINK(guarded)], ["fs/frob/map.c", before]]), { files: [{ path: "fs/frob/map.c", before, after: lockedAlloc }] }, [rule]);

  it("a lock taken on every path of the helper: a warning", async () => {
    const f = await run(false);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[6, "warning", "lockTaken"]]);
    expect(f[0]!.message).toContain("frob_cache_scan -> frob_write_map -> frob_note_bad -> mutex_lock");
  });

  it("a lock taken only in a branch two calls below the shrinker: an info that names the condition", async () => {
    const f = await run(true);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[6, "info", "lockTaken"]]);
    expect(f[0]!.unknowns?.join(" ")).toContain("frob_map_corrupt(m)");
  });
});

// the map code's entry point: the lock the shrinker takes, held around the resize (shared by the fixtures below)
const FROB_GROW = `int frob_grow(struct frob_fs *fs, unsigned int n)
{
	int ret;

	mutex_lock(&fs->map_mutex);
	ret = frob_resize(fs, n);
	mutex_unlock(&fs->map_mutex);
	return ret;
}
`;

describe("alloc-while-holding: a lock held by a caller two calls up", () => {
  const map = (mask: string) => `// frob maps
#include "frob.h"

static struct frob_map *frob_new_map(unsigned int n)
{
	return kvmalloc(n * sizeof(struct frob_map), ${mask});
}

static int frob_resize(struct frob_fs *fs, unsigned int n)
{
	struct frob_map *m = frob_new_map(n);

	if (!m)
		return -ENOMEM;
	frob_swap_map(fs, m);
	return 0;
}

${FROB_GROW}`;

  it("names the function that took the lock, not the immediate caller", async () => {
    const f = await reviewWithTree(new Map([["fs/frob/shrink.c", CONDSHRINK(false)], ["fs/frob/map.c", map("GFP_NOFS")]]), { files: [{ path: "fs/frob/map.c", before: map("GFP_NOFS"), after: map("GFP_KERNEL") }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[6, "warning"]]);
    expect(f[0]!.message).toContain("taken by the caller frob_grow() at line 23 (frob_grow -> frob_resize -> frob_new_map)");
  });

  it("the patch does not apply to the tree: the callers of the tree's version of the function, said so", async () => {
    // the tree's version has a line the patch's hunk does not show: the hunk's context does not match
    const drifted = map("GFP_NOFS").replace("\treturn kvmalloc(", "\t/* sized by the caller */\n\treturn kvmalloc(");
    const f = await reviewWithTree(new Map([["fs/frob/shrink.c", CONDSHRINK(false)], ["fs/frob/map.c", drifted]]), { files: [{ path: "fs/frob/map.c", before: map("GFP_NOFS"), after: map("GFP_KERNEL") }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[6, "warning"]]);
    expect(f[0]!.message).toContain("taken by the caller frob_grow() at line 24 of the source tree's version of the code, which the patch does not apply to (frob_grow -> frob_resize -> frob_new_map)");
  });
});

describe("alloc-while-holding: a lock held by a caller around an allocation made only while its field is empty", () => {
  // written for this test: the map helper fills a spare map once and keeps it; its caller holds the lock
  const map = (mask: string, guarded: boolean) => `// frob maps
#include "frob.h"

static struct frob_map *frob_spare_map(struct frob_fs *fs, unsigned int n)
{
${guarded ? "\tif (!fs->spare)\n\t\tfs->spare = kvmalloc(n * sizeof(struct frob_map), " + mask + ");\n" : "\tfs->spare = kvmalloc(n * sizeof(struct frob_map), " + mask + ");\n"}	return fs->spare;
}

int frob_grow(struct frob_fs *fs, unsigned int n)
{
	struct frob_map *m;

	mutex_lock(&fs->map_mutex);
	m = frob_spare_map(fs, n);
	if (m)
		frob_swap_map(fs, m);
	mutex_unlock(&fs->map_mutex);
	return m ? 0 : -ENOMEM;
}
`;
  const review = (guarded: boolean) =>
    reviewWithTree(new Map([["fs/frob/shrink.c", CONDSHRINK(false)], ["fs/frob/map.c", map("GFP_NOFS", guarded)]]), { files: [{ path: "fs/frob/map.c", before: map("GFP_NOFS", guarded), after: map("GFP_KERNEL", guarded) }] }, [rule]);
  it("says it at info, with the field as the unknown", async () => {
    const f = await review(true);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[7, "info"]]);
    expect((f[0]!.unknowns ?? []).join(" ")).toContain("whether fs->spare is empty when frob_grow() gets here: the allocation only follows the test at line 6 (if (!fs->spare))");
  });
  it("warns when the allocation is made every time", async () => {
    expect((await review(false)).map((x) => [x.line, x.severity])).toEqual([[6, "warning"]]);
  });
});

// A queue attribute store that freezes around the attribute's own ->store method.
const attrStore = (freeze: "none" | "plain" | "scoped") => `static ssize_t widget_attr_store(struct kobject *kobj, struct attribute *attr, const char *page, size_t len)
{
	struct widget_entry *entry = to_widget_entry(attr);
	struct widget_disk *disk = to_widget_disk(kobj);
	struct request_queue *q = disk->queue;
	unsigned int memflags;
	ssize_t res;

	if (!entry->store)
		return -EIO;
${freeze === "plain" ? "\tblk_mq_freeze_queue(q);\n" : freeze === "scoped" ? "\tmemflags = blk_mq_freeze_queue(q);\n" : ""}	mutex_lock(&q->sysfs_lock);
	res = entry->store(disk, page, len);
	mutex_unlock(&q->sysfs_lock);
${freeze === "plain" ? "\tblk_mq_unfreeze_queue(q);\n" : freeze === "scoped" ? "\tblk_mq_unfreeze_queue(q, memflags);\n" : ""}	return res;
}
`;

describe("alloc-while-holding: a queue frozen across a call through a pointer", () => {
  const run = (after: "plain" | "scoped") => runOne({ files: [{ path: "block/widget-sysfs.c", before: attrStore("none"), after: attrStore(after) }] });
  it("the patch freezes around ->store(): an info on the freeze that says what is not known", () => {
    const f = run("plain");
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[11, "info", "frozenIndirect"]]);
    expect(f[0]!.message).toContain("across ->store() in widget_attr_store()");
  });
  it("a freeze that opens a NOIO scope (newer kernels) covers the targets: quiet", () => {
    expect(run("scoped")).toEqual([]);
  });
  it("a freeze the patch does not touch, around a call it does not touch: quiet", () => {
    expect(runOne({ files: [{ path: "block/widget-sysfs.c", before: attrStore("plain"), after: attrStore("plain").replace("\tif (!entry->store)\n", "\tif (!entry || !entry->store)\n") }] })).toEqual([]);
  });
});

function runOne(spec: Parameters<typeof formatPatch>[0]) {
  return review(parsePatchText(formatPatch(spec), "t.patch"), null, DEFAULT_CONFIG, loadKnowledge(), [rule]).reviews[0]!.findings;
}

describe("alloc-while-holding: a lock the IO path takes", () => {
  // written for this test, modelled on a RAID HBA driver: its management ioctl and its host reset handler share a
  // mutex, and the ioctl allocates a DMA buffer while holding it
  const hba = (mask: string) => `struct kite_hba {
	struct mutex ioctl_mutex;
	struct pci_dev *pdev;
};

static long kite_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kite_hba *hba = file->private_data;
	dma_addr_t dma;
	void *buf;
	long ret;

	mutex_lock(&hba->ioctl_mutex);
	buf = dma_alloc_coherent(&hba->pdev->dev, KITE_IOCTL_LEN, &dma, ${mask});
	ret = buf ? kite_post_ioctl(hba, buf, dma, arg) : -ENOMEM;
	mutex_unlock(&hba->ioctl_mutex);
	return ret;
}

static int kite_eh_host_reset(struct scsi_cmnd *cmd)
{
	struct kite_hba *hba = shost_priv(cmd->device->host);
	int ret;

	mutex_lock(&hba->ioctl_mutex);
	ret = kite_reset_adapter(hba);
	mutex_unlock(&hba->ioctl_mutex);
	return ret ? FAILED : SUCCESS;
}

static const struct scsi_host_template kite_template = {
	.name = "kite",
	.eh_host_reset_handler = kite_eh_host_reset,
};
`;
  const path = "drivers/scsi/kite.c";
  const run = (before: string, after: string, extra: [string, string][] = []) => reviewWithTree(new Map([[path, before], ...extra]), { files: [{ path, before, after }] }, [rule]);

  it("GFP_KERNEL under a mutex the host reset handler takes is a warning that names the handler", async () => {
    const f = await run(hba("GFP_NOIO"), hba("GFP_KERNEL"));
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[14, "warning", "lockOnIoPath"]]);
    expect(f[0]!.message).toContain("kite_eh_host_reset() (scsi_host_template.eh_host_reset_handler) takes it on the IO path");
    expect(f[0]!.fix).toContain("GFP_NOIO");
  });

  it("a reader taken without an owner (down_read_non_owner(), released by the IO's completion) on the submission path is held there too", async () => {
    // written for this test: a caching block device whose write submission holds its writeback rwsem for read
    // until the bio completes, and whose resize allocates under the same rwsem taken for write
    const cache = (mask: string) => `struct kestrel_dev {
	struct rw_semaphore writeback_lock;
	unsigned long *dirty;
};

static void kestrel_write(struct kestrel_dev *dc, struct bio *bio)
{
	down_read_non_owner(&dc->writeback_lock);
	kestrel_map_write(dc, bio);
}

static void kestrel_submit_bio(struct bio *bio)
{
	kestrel_write(bio->bi_bdev->bd_disk->private_data, bio);
}

static const struct block_device_operations kestrel_ops = {
	.submit_bio = kestrel_submit_bio,
};

static int kestrel_resize(struct kestrel_dev *dc, size_t n)
{
	down_write(&dc->writeback_lock);
	dc->dirty = kvzalloc(n, ${mask});
	up_write(&dc->writeback_lock);
	return dc->dirty ? 0 : -ENOMEM;
}
`;
    const p = "drivers/md/kestrel/super.c";
    const f = await reviewWithTree(new Map([[p, cache("GFP_NOIO")]]), { files: [{ path: p, before: cache("GFP_NOIO"), after: cache("GFP_KERNEL") }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[24, "warning"]]);
    expect(f[0]!.message).toContain("kestrel_submit_bio() (block_device_operations.submit_bio) takes it on the IO path: kestrel_submit_bio -> kestrel_write");
  });

  it("GFP_NOFS still starts IO: a warning too; GFP_NOIO is quiet", async () => {
    expect((await run(hba("GFP_NOIO"), hba("GFP_NOFS"))).map((x) => x.severity)).toEqual(["warning"]);
    expect(await run(hba("GFP_KERNEL"), hba("GFP_NOIO"))).toEqual([]);
  });

  it("a reset handler of another driver in the directory taking a lock of the same member name is not this lock", async () => {
    const mine = hba("GFP_NOIO").replace(/\tmutex_lock\(&hba->ioctl_mutex\);\n\tret = kite_reset_adapter[\s\S]*?\n}\n\nstatic const[\s\S]*$/, "\treturn kite_reset_adapter(hba) ? FAILED : SUCCESS;\n}\n");
    // (its lock's struct type is not visible: lark_priv() hands back the host's private data)
    const other = hba("GFP_NOIO").replace(/kite/g, "lark").replace(/\tmutex_lock\(&hba->ioctl_mutex\);\n\tbuf[\s\S]*?return ret;\n}\n/, "\treturn -ENOTTY;\n}\n").replace("\tmutex_lock(&hba->ioctl_mutex);\n\tret = lark_reset", "\tmutex_lock(&lark_priv(cmd)->ioctl_mutex);\n\tret = lark_reset");
    const f = await run(mine, mine.replace("GFP_NOIO", "GFP_KERNEL"), [["drivers/scsi/lark.c", other]]);
    expect(f).toEqual([]);
  });
});

describe("alloc-while-holding: a lock the dentry shrinker takes", () => {
  // written for this test, modelled on a pseudo filesystem whose dentries drop a registry entry on release
  const fs = (mask: string) => `static DEFINE_MUTEX(pike_registry_lock);

static void pike_d_release(struct dentry *dentry)
{
	mutex_lock(&pike_registry_lock);
	pike_registry_drop(dentry->d_fsdata);
	mutex_unlock(&pike_registry_lock);
}

static const struct dentry_operations pike_dops = {
	.d_release = pike_d_release,
};

int pike_register(const char *name)
{
	struct pike_entry *e;

	mutex_lock(&pike_registry_lock);
	e = kzalloc(sizeof(*e), ${mask});
	if (e)
		pike_registry_add(e, name);
	mutex_unlock(&pike_registry_lock);
	return e ? 0 : -ENOMEM;
}
`;
  it("an allocation that may enter FS reclaim under a lock d_release takes is a warning", async () => {
    const f = await reviewWithTree(new Map([["fs/pike/inode.c", fs("GFP_NOFS")]]), { files: [{ path: "fs/pike/inode.c", before: fs("GFP_NOFS"), after: fs("GFP_KERNEL") }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[19, "warning", "lockTaken"]]);
    expect(f[0]!.message).toContain("pike_d_release() (dentry_operations.d_release) takes it in reclaim");
  });
});

describe("alloc-while-holding with a tree: a lock the reclaim side reaches through a local", () => {
  // written for this test, modelled on a driver cache with a shrinker registered through shrinker_alloc()
  const cache = (body: string) => `struct tern_cache;

static unsigned long tern_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct tern_cache *c = s->private_data;
	unsigned long n;

	mutex_lock(&c->lock);
	n = tern_drop(c, sc->nr_to_scan);
	mutex_unlock(&c->lock);
	return n;
}

int tern_grow(struct tern_cache *c, int n)
{
	void *p;

	mutex_lock(&c->lock);
${body}
	mutex_unlock(&c->lock);
	return p ? 0 : -ENOMEM;
}

int tern_init(struct tern_cache *c)
{
	c->shrinker = shrinker_alloc(0, "tern");
	c->shrinker->scan_objects = tern_scan;
	c->shrinker->private_data = c;
	shrinker_register(c->shrinker);
	return 0;
}
`;
  const before = cache("\tp = tern_reuse(c, n);");
  const after = cache("\tp = kmalloc(n, GFP_KERNEL);");
  it("a generic member name (`lock`) matches when the shrinker's object is a typed local: a warning naming the shrinker", async () => {
    const f = await reviewWithTree(new Map([["drivers/tern/tern.c", before]]), { files: [{ path: "drivers/tern/tern.c", before, after }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[19, "warning", "lockTaken"]]);
    expect(f[0]!.message).toContain("tern_scan() (shrinker.scan_objects) takes it in reclaim");
  });
  it("the same lock name in a struct of another type stays quiet", async () => {
    const other = before.replace("\tstruct tern_cache *c = s->private_data;", "\tstruct tern_pool *c = s->private_data;");
    const f = await reviewWithTree(new Map([["drivers/tern/tern.c", other]]), { files: [{ path: "drivers/tern/tern.c", before: other, after: after.replace("\tstruct tern_cache *c = s->private_data;", "\tstruct tern_pool *c = s->private_data;") }] }, [rule]);
    expect(f).toEqual([]);
  });
});

describe("alloc-while-holding with a tree: which evictions reclaim runs (inodes without links, filesystems that pin their dentries)", () => {
  // written for this test, modelled on a filesystem that accounts quota in its eviction callback
  const fs = (evict: string, dropInode = "") => `struct wren_quota {
	struct mutex lock;
};

static struct wren_quota wren_inode_quota;

static void wren_quota_acct(struct wren_quota *q, long v)
{
	mutex_lock(&q->lock);
	q->used += v;
	mutex_unlock(&q->lock);
}

static void wren_evict_inode(struct inode *inode)
{
${evict}
	clear_inode(inode);
}

static const struct super_operations wren_super_ops = {
	.evict_inode	= wren_evict_inode,${dropInode}
};

int wren_quota_set(struct wren_fs *c, struct wren_quota *q, int id, int mask)
{
	void *slot;

	mutex_lock(&q->lock);
	slot = wren_table_get(c, id, mask);
	mutex_unlock(&q->lock);
	return slot ? 0 : -ENOMEM;
}
`;
  const run = async (evict: string, dropInode = "") => {
    const before = fs(evict, dropInode);
    const after = before.replace("\tslot = wren_table_get(c, id, mask);", "\tslot = kzalloc(sizeof(long), GFP_KERNEL);");
    return reviewWithTree(new Map([["fs/wren/super.c", before]]), { files: [{ path: "fs/wren/super.c", before, after }] }, [rule]);
  };
  const accounted = "\twren_quota_acct(&wren_inode_quota, -1);";
  it("taken on every eviction: a warning", async () => {
    const f = await run(accounted);
    expect(f.map((x) => [x.severity, x.messageId])).toEqual([["warning", "lockTaken"]]);
    expect(f[0]!.message).toContain("wren_evict_inode() (super_operations.evict_inode) takes it in reclaim: wren_evict_inode -> wren_quota_acct -> mutex_lock");
  });
  it("taken only under `if (!inode->i_nlink)`: quiet (reclaim evicts only inodes with links)", async () => {
    expect(await run(`\tif (!inode->i_nlink)\n\t${accounted}`)).toEqual([]);
  });
  it("taken only after `if (inode->i_nlink) goto out;`: quiet", async () => {
    const f = await run(`\tif (inode->i_nlink || is_bad_inode(inode))\n\t\tgoto out;\n${accounted}\nout:`);
    expect(f).toEqual([]);
  });
  it("taken under a local that holds the test (`bool delete = !inode->i_nlink && ...`): quiet", async () => {
    expect(await run(`\tbool delete = !inode->i_nlink && !is_bad_inode(inode);\n\n\tif (delete)\n\t${accounted}`)).toEqual([]);
  });
  it("an early exit that does not rule links out (`if (inode->i_nlink && x) goto out;`) still warns", async () => {
    const f = await run(`\tif (inode->i_nlink && inode->i_sb->s_flags)\n\t\tgoto out;\n${accounted}\nout:`);
    expect(f.map((x) => x.messageId)).toEqual(["lockTaken"]);
  });
  it("a filesystem whose own drop_inode may keep such inodes still warns", async () => {
    const f = await run(`\tif (!inode->i_nlink)\n\t${accounted}`, "\n\t.drop_inode\t= wren_drop_inode,");
    expect(f.map((x) => x.messageId)).toEqual(["lockTaken"]);
  });
  it("the eviction callback changed by the same patch is read the same way", async () => {
    const small = (evict: string) => `static DEFINE_MUTEX(wren_table_mutex);

static void wren_evict_inode(struct inode *inode)
{
${evict}
	clear_inode(inode);
}

static const struct super_operations wren_super_ops = {
	.evict_inode	= wren_evict_inode,
};

int wren_table_set(int id)
{
	void *slot;

	mutex_lock(&wren_table_mutex);
	slot = wren_table_get(id);
	mutex_unlock(&wren_table_mutex);
	return slot ? 0 : -ENOMEM;
}
`;
    const run2 = async (evict: string) => {
      const before = small(evict);
      const after = before.replace("\tslot = wren_table_get(id);", "\tslot = kzalloc(sizeof(long), GFP_KERNEL);").replace("\tclear_inode(inode);", "\twren_forget(inode);\n\tclear_inode(inode);");
      return reviewWithTree(new Map([["fs/wren/super.c", before]]), { files: [{ path: "fs/wren/super.c", before, after }] }, [rule]);
    };
    const locked = "\t\tmutex_lock(&wren_table_mutex);\n\t\twren_table_drop(inode->i_ino);\n\t\tmutex_unlock(&wren_table_mutex);";
    expect((await run2(`\tif (inode->i_ino) {\n${locked}\n\t}`)).map((x) => x.messageId)).toEqual(["lockTaken"]);
    expect(await run2(`\tif (!inode->i_nlink) {\n${locked}\n\t}`)).toEqual([]);
  });
  it("a drop_inode that is generic_delete_inode() drops them too: quiet", async () => {
    expect(await run(`\tif (!inode->i_nlink)\n\t${accounted}`, "\n\t.drop_inode\t= generic_delete_inode,")).toEqual([]);
  });
  // a filesystem that keeps a reference on each dentry it makes until unmount: its linked inodes never wait
  // unreferenced on the superblock's LRU, so the shrinker does not evict them (vocabulary PINNED_DENTRIES)
  const withType = async (tail: string) => {
    const before = fs(accounted) + tail;
    const after = before.replace("\tslot = wren_table_get(c, id, mask);", "\tslot = kzalloc(sizeof(long), GFP_KERNEL);");
    return reviewWithTree(new Map([["fs/wren/super.c", before]]), { files: [{ path: "fs/wren/super.c", before, after }] }, [rule]);
  };
  const fsType = (kill: string, name = "wren") => `
static struct file_system_type ${name}_fs_type = {
	.name		= "${name}",
	.init_fs_context = wren_init_fs_context,
	.kill_sb	= ${kill},
};
`;
  const ownKill = (inner: string) => `
static void wren_kill_sb(struct super_block *sb)
{
	struct wren_fs *c = sb->s_fs_info;

	${inner}(sb);
	kfree(c);
}
`;
  it("a filesystem whose kill_sb is kill_litter_super() (dentries pinned until unmount): quiet", async () => {
    expect(await withType(fsType("kill_litter_super"))).toEqual([]);
  });
  it("its own kill_sb that calls kill_litter_super(): quiet", async () => {
    expect(await withType(ownKill("kill_litter_super") + fsType("wren_kill_sb"))).toEqual([]);
  });
  it("a kill_sb that does not drop pinned dentries (kill_anon_super()) still warns", async () => {
    const f = await withType(ownKill("kill_anon_super") + fsType("wren_kill_sb"));
    expect(f.map((x) => x.messageId)).toEqual(["lockTaken"]);
    expect(f[0]!.message).toContain("wren_evict_inode() (super_operations.evict_inode) takes it in reclaim");
  });
  it("a second filesystem type of the file that does not pin its dentries still warns", async () => {
    const f = await withType(fsType("kill_litter_super") + fsType("kill_block_super", "wrenblk"));
    expect(f.map((x) => x.messageId)).toEqual(["lockTaken"]);
  });
});

// The attribute table of a driver, built by a macro with token pasting, and a second table type whose store
// allocates: a call through `entry->store` can only be the first kind's (the receiver's declared type).
const widgetTable = (freeze: boolean) => `struct widget_entry {
	struct attribute attr;
	ssize_t (*store)(struct widget_disk *disk, const char *page, size_t len);
};

#define WIDGET_RW_ENTRY(_prefix, _name)				\\
static struct widget_entry _prefix##_entry = {			\\
	.attr	= { .name = _name, .mode = 0644 },		\\
	.store	= _prefix##_store,				\\
}

static ssize_t widget_depth_store(struct widget_disk *disk, const char *page, size_t len)
{
	disk->depth = 4;
	return len;
}

static ssize_t widget_lat_store(struct widget_disk *disk, const char *page, size_t len)
{
	int ret;

	if (!disk->lat) {
		ret = widget_lat_init(disk);
		if (ret)
			return ret;
	}
	return len;
}

WIDGET_RW_ENTRY(widget_depth, "depth");
WIDGET_RW_ENTRY(widget_lat, "lat_usec");

static ssize_t widget_group_store(struct widget_group *g, const char *page, size_t len)
{
	g->buf = kmalloc(len, GFP_KERNEL);
	return g->buf ? len : -ENOMEM;
}

static const struct widget_group_entry widget_group_attr = {
	.store = widget_group_store,
};

static ssize_t widget_attr_store(struct kobject *kobj, struct attribute *attr, const char *page, size_t len)
{
	struct widget_entry *entry = to_widget_entry(attr);
	struct widget_disk *disk = to_widget_disk(kobj);
	struct request_queue *q = disk->queue;
	ssize_t res;

	if (!entry->store)
		return -EIO;
${freeze ? "\tblk_mq_freeze_queue(q);\n" : ""}	mutex_lock(&q->sysfs_lock);
	res = entry->store(disk, page, len);
	mutex_unlock(&q->sysfs_lock);
${freeze ? "\tblk_mq_unfreeze_queue(q);\n" : ""}	return res;
}
`;

const widgetLat = (mask: string) => `int widget_lat_init(struct widget_disk *disk)
{
	struct widget_lat *lat;

	lat = kzalloc(sizeof(*lat), ${mask});
	if (!lat)
		return -ENOMEM;
	disk->lat = lat;
	return 0;
}
`;

describe("alloc-while-holding: a queue frozen across a call through a pointer, targets read from the tree", () => {
  const run = (mask: string) =>
    reviewWithTree(new Map([["block/widget-sysfs.c", widgetTable(false)], ["block/widget-lat.c", widgetLat(mask)]]), { files: [{ path: "block/widget-sysfs.c", before: widgetTable(false), after: widgetTable(true) }] }, [rule]);
  const freezeLine = widgetTable(true).split("\n").indexOf("\tblk_mq_freeze_queue(q);") + 1;

  it("a target registered by the macro allocates with GFP_KERNEL a call below: a warning on the freeze that names it", async () => {
    const f = await run("GFP_KERNEL");
    expect(f.map((x) => [x.file, x.line, x.severity, x.messageId])).toEqual([["block/widget-sysfs.c", freezeLine, "warning", "frozen"]]);
    expect(f[0]!.message).toContain("entry->store(), whose target widget_lat_store() (registered as widget_entry.store in this directory) allocates with GFP_KERNEL (widget_lat_store -> widget_lat_init -> kzalloc(GFP_KERNEL))");
    expect(f[0]!.message).not.toContain("widget_group_store");
  });

  it("the targets allocate with GFP_NOIO: the other table type's GFP_KERNEL store is not a target; an info says what was followed", async () => {
    const f = await run("GFP_NOIO");
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[freezeLine, "info", "frozenIndirectChecked"]]);
    // what was checked is said, and what was not
    expect(f[0]!.message).toContain("across entry->store() in widget_attr_store(): the 2 functions widget_depth_store(), widget_lat_store() registered as widget_entry.store in this directory");
    expect(f[0]!.message).toContain("not checked: whether any of them loads a module or waits for IO");
  });
});

// A queue frozen around a call through the code's own ops pointer (`t->ops.init_sched(wd)`): the targets registered
// in the directory run with the queue frozen, so their allocations are under the freeze too.
const SCHED_CORE = (after: boolean) => `// widget scheduler switch
#include "sched.h"

int widget_switch_sched(struct widget_dev *wd, struct widget_sched_type *t)
{
	int ret;

	blk_mq_freeze_queue(wd->queue);
${after ? "\tblk_mq_unfreeze_queue(wd->queue);\n\tret = t->ops.init_sched(wd);\n" : "\tret = t->ops.init_sched(wd);\n\tblk_mq_unfreeze_queue(wd->queue);\n"}	return ret;
}
`;
const SCHED_SIMPLE = (map: boolean) => `// the simple widget scheduler
#include "sched.h"

static int simple_init_sched(struct widget_dev *wd)
{
	struct simple_data *sd;

	sd = kzalloc(sizeof(*sd), GFP_NOIO);
	if (!sd)
		return -ENOMEM;
${map ? "\tsd->map = kcalloc(wd->nr_hw, sizeof(long), GFP_KERNEL);\n" : ""}	wd->sched_data = sd;
	return 0;
}

static struct widget_sched_type simple_sched = {
	.ops = {
		.init_sched = simple_init_sched,
	},
	.name = "simple",
};
`;

describe("alloc-while-holding: held across a call through the code's own ops pointer", () => {
  const patch = { files: [{ path: "drivers/block/widget/simple.c", before: SCHED_SIMPLE(false), after: SCHED_SIMPLE(true) }] };
  const tree = (after: boolean) =>
    new Map([
      ["drivers/block/widget/core.c", SCHED_CORE(after)],
      ["drivers/block/widget/simple.c", SCHED_SIMPLE(false)],
    ]);

  it("a target registered in the directory allocates while the caller has the queue frozen: a warning naming the chain", async () => {
    const f = await reviewWithTree(tree(false), patch, [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[11, "warning"]]);
    expect(f[0]!.message).toContain("wd->queue is frozen");
    expect(f[0]!.message).toContain("widget_switch_sched -> simple_init_sched");
  });

  it("is quiet when the pointer call comes after the unfreeze", async () => {
    expect((await reviewWithTree(tree(true), patch, [rule])).filter((x) => x.severity !== "info")).toEqual([]);
  });
});

describe("alloc-while-holding with a tree: a transaction handle given to a caller", () => {
  // written for this test: a tree-modification log whose helper allocates two calls below a function that is given
  // the running transaction (a btrfs handle: its start saves no NOFS scope; a jbd2 handle's does)
  const tree = (mask: string, handleType: string) => `static struct frob_mod *frob_alloc_mod(struct frob_buf *b, int slot)
{
	struct frob_mod *m;

	m = kzalloc(sizeof(*m), ${mask});
	if (!m)
		return NULL;
	m->slot = slot;
	return m;
}

static int frob_log_key(struct frob_buf *b, int slot)
{
	struct frob_mod *m = frob_alloc_mod(b, slot);

	if (!m)
		return -ENOMEM;
	return frob_log_insert(b, m);
}

static int frob_cow_block(${handleType} *trans, struct frob_buf *b)
{
	int ret = frob_log_key(b, 0);

	if (ret)
		return ret;
	return frob_copy_buf(trans, b);
}
`;
  const path = "fs/frob/ctree.c";
  const review = (mask: string, handleType = "struct btrfs_trans_handle") =>
    reviewWithTree(new Map([[path, tree("GFP_NOFS", handleType)]]), { files: [{ path, before: tree("GFP_NOFS", handleType), after: tree(mask, handleType) }] }, [rule]);

  it("warns on GFP_KERNEL two calls below, naming the caller that is given the handle and the chain", async () => {
    const f = await review("GFP_KERNEL");
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[5, "warning", "handle"]]);
    expect(f[0]!.message).toContain('the transaction handle "trans" given to frob_cow_block() is held (the callers of frob_cow_block() hold it while it runs: frob_cow_block -> frob_log_key -> frob_alloc_mod)');
  });

  it("is quiet for a handle whose start saves a NOFS scope, and for GFP_NOFS", async () => {
    expect(await review("GFP_KERNEL", "handle_t")).toEqual([]);
    expect(await review("GFP_NOFS | __GFP_ZERO")).toEqual([]);
  });
});

describe("alloc-while-holding with a tree: an exported library helper called under a handle in another directory", () => {
  // written for this test: a name-encoding library exports a helper; a filesystem beside it calls the helper while a
  // transaction it started is open (a btrfs handle: its start saves no NOFS scope)
  const lib = (mask: string) => `#include <linux/module.h>

int tlib_encode_name(struct tlib_name *out, const char *name, int len)
{
	out->buf = kmalloc(len * 2, ${mask});
	if (!out->buf)
		return -ENOMEM;
	return tlib_do_encode(out, name, len);
}
EXPORT_SYMBOL_GPL(tlib_encode_name);
`;
  const user = (scoped: boolean) => `static int rhofs_create(struct rhofs_root *root, const char *name, int len)
{
	struct btrfs_trans_handle *trans;
	struct tlib_name enc;
	unsigned int nofs;
	int ret;

	trans = btrfs_start_transaction(root->broot, 1);
	if (IS_ERR(trans))
		return PTR_ERR(trans);
${scoped ? "\tnofs = memalloc_nofs_save();\n" : ""}	ret = tlib_encode_name(&enc, name, len);
${scoped ? "\tmemalloc_nofs_restore(nofs);\n" : ""}	btrfs_end_transaction(trans);
	return ret;
}
`;
  const libPath = "fs/tlib/encode.c";
  const review = (scoped: boolean) =>
    reviewWithTree(new Map([[libPath, lib("GFP_NOFS")], ["fs/rhofs/inode.c", user(scoped)]]), { files: [{ path: libPath, before: lib("GFP_NOFS"), after: lib("GFP_KERNEL") }] }, [rule]);

  it("warns, naming the caller in the other directory that holds the handle", async () => {
    const f = await review(false);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[5, "warning", "handle"]]);
    expect(f[0]!.message).toContain("taken by the caller rhofs_create() at fs/rhofs/inode.c:8 (rhofs_create -> tlib_encode_name)");
  });

  it("is quiet when that caller opens a NOFS scope around the call", async () => {
    expect(await review(true)).toEqual([]);
  });
});

describe("alloc-while-holding with a tree: an exported library helper called under a lock another directory's shrinker takes", () => {
  // written for this test: a filesystem calls a library helper with its map mutex held, and its shrinker takes that
  // mutex; the helper lives in another directory
  const lib = (mask: string) => `#include <linux/module.h>

int tlib_grow(struct tlib_buf *b, unsigned int n)
{
	void *p = krealloc(b->data, n, ${mask});

	if (!p)
		return -ENOMEM;
	b->data = p;
	return 0;
}
EXPORT_SYMBOL_GPL(tlib_grow);
`;
  const user = (lock: "mutex_lock" | "mutex_trylock") => `${shrinker(lock)}
static int frob_add_map(struct frob_fs *fs, unsigned int n)
{
	int ret;

	mutex_lock(&fs->map_mutex);
	ret = tlib_grow(&fs->maps, n);
	mutex_unlock(&fs->map_mutex);
	return ret;
}
`;
  const libPath = "fs/tlib/buf.c";
  const review = (lock: "mutex_lock" | "mutex_trylock") =>
    reviewWithTree(new Map([[libPath, lib("GFP_NOFS")], ["fs/frob/map.c", user(lock)]]), { files: [{ path: libPath, before: lib("GFP_NOFS"), after: lib("GFP_KERNEL") }] }, [rule]);

  it("warns, naming the caller that holds the lock and the shrinker of its directory that takes it", async () => {
    const f = await review("mutex_lock");
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[5, "warning", "lockTaken"]]);
    expect(f[0]!.message).toContain("taken by the caller frob_add_map() at fs/frob/map.c:20");
    expect(f[0]!.message).toContain("frob_cache_scan()");
  });

  it("does not warn when that shrinker only trylocks the mutex", async () => {
    expect((await review("mutex_trylock")).filter((x) => x.severity !== "info")).toEqual([]);
  });
});

describe("alloc-while-holding: a patch the tree does not apply to, whose caller opens a scope in another hunk", () => {
  // written for this test: the tree's (older) caller freezes the queues with no scope; the patch's version of the
  // caller saves a NOIO scope first, in a hunk of its own, and the patch adds the allocation in the helper
  const tree = `static int zed_switch_none(struct request_queue *q)
{
	q->elv = NULL;
	return 0;
}

static void zed_update_queues(struct zed_set *set, int nr)
{
	struct request_queue *q;

	list_for_each_entry(q, &set->queues, node)
		blk_mq_freeze_queue(q);
	list_for_each_entry(q, &set->queues, node)
		zed_switch_none(q);
	zed_realloc(set, nr);
	list_for_each_entry(q, &set->queues, node)
		blk_mq_unfreeze_queue(q);
}
`;
  const base = (scope: boolean) => `static int zed_switch_none(struct request_queue *q, struct xarray *tbl)
{
	int ret = 0;

	q->elv = NULL;
	return ret;
}

static void zed_update_queues(struct zed_set *set, int nr)
{
	struct request_queue *q;
	unsigned int memflags;
	struct xarray tbl;

	if (set->nr == nr)
		return;
${scope ? "\tmemflags = memalloc_noio_save();\n" : ""}
	list_for_each_entry(q, &set->queues, node)
		zed_debugfs_unregister(q);
	list_for_each_entry(q, &set->queues, node)
		zed_sysfs_unregister(q);
	zed_count_update(set);
	zed_stats_reset(set);
	zed_trace_update(set, nr);

	list_for_each_entry(q, &set->queues, node)
		blk_mq_freeze_queue(q);
	list_for_each_entry(q, &set->queues, node)
		zed_switch_none(q, &tbl);
	zed_realloc(set, nr);
	list_for_each_entry(q, &set->queues, node)
		blk_mq_unfreeze_queue(q);
${scope ? "\tmemalloc_noio_restore(memflags);\n" : ""}}
`;
  const run = async (scope: boolean) => {
    const before = base(scope);
    const after = before
      .replace("\tq->elv = NULL;\n", "\tret = xa_insert(tbl, q->id, q, GFP_KERNEL);\n\tif (ret)\n\t\treturn ret;\n\tq->elv = NULL;\n")
      .replace("\tif (set->nr == nr)\n\t\treturn;\n", "\tif (set->nr == nr)\n\t\treturn;\n\txa_init(&tbl);\n")
      .replace("\t\tzed_switch_none(q, &tbl);\n", "\t\tif (zed_switch_none(q, &tbl))\n\t\t\tbreak;\n");
    return reviewWithTree(new Map([["block/zed-mq.c", tree]]), { files: [{ path: "block/zed-mq.c", before, after }] }, [rule]);
  };
  it("the patch's caller saves a NOIO scope above its call (another hunk): quiet", async () => {
    expect(await run(true)).toEqual([]);
  });
  it("no scope in the patch's caller: the tree's freeze makes it a warning", async () => {
    const f = await run(false);
    expect(f.map((x) => x.severity)).toEqual(["warning"]);
    expect(f[0]!.message).toContain("xa_insert(GFP_KERNEL) in zed_switch_none() while q is frozen");
  });
});

describe("alloc-while-holding: a site the patch adds where the function already allocates so", () => {
  // written for this test: a block driver resizing its tag maps with its queue frozen; the patch adds a second map
  const resize = (opts: { added: boolean; priorIf?: boolean; label?: boolean; priorOutside?: boolean }) => `static int widget_resize(struct widget_dev *wd, unsigned int depth)
{
	void *tags;
	u32 *map = NULL;

${opts.priorOutside ? "\ttags = kcalloc(depth, sizeof(void *), GFP_KERNEL);\n\tblk_mq_freeze_queue(wd->queue);\n" : "\tblk_mq_freeze_queue(wd->queue);\n"}${opts.priorOutside ? "" : opts.priorIf ? "\tif (depth > wd->depth)\n\t\ttags = kcalloc(depth, sizeof(void *), GFP_KERNEL);\n" : "\ttags = kcalloc(depth, sizeof(void *), GFP_KERNEL);\n"}${opts.label ? "retry:\n" : ""}${opts.added ? "\tmap = kmalloc_array(depth, sizeof(u32), GFP_KERNEL);\n" : ""}	widget_swap_tags(wd, tags, map);
	blk_mq_unfreeze_queue(wd->queue);
	return 0;
}
`;
  const path = "drivers/block/widget.c";
  const run = (o: { priorIf?: boolean; label?: boolean; priorOutside?: boolean }) => reviewWithTree(new Map([[path, resize({ ...o, added: false })]]), { files: [{ path, before: resize({ ...o, added: false }), after: resize({ ...o, added: true }) }] }, [rule]);

  it("reports it as pre-existing, naming the earlier allocation on every path", async () => {
    const f = await run({});
    expect(f.map((x) => [x.line, x.severity, x.preExisting === true])).toEqual([[8, "warning", true]]);
    expect(f[0]!.message).toContain("widget_resize() already allocates so at line 7 (kcalloc()) on every path here: the patch adds a site to that hazard, not the hazard");
  });
  it("new when the earlier allocation is under a branch", async () => {
    expect((await run({ priorIf: true })).map((x) => x.preExisting === true)).toEqual([false]);
  });
  it("new when a label between lets a jump pass the earlier allocation", async () => {
    expect((await run({ label: true })).map((x) => x.preExisting === true)).toEqual([false]);
  });
  it("new when the earlier allocation is made before the queue is frozen", async () => {
    expect((await run({ priorOutside: true })).map((x) => x.preExisting === true)).toEqual([false]);
  });
  it("a workqueue created before it on every path is such an allocation (GFP_KERNEL in alloc_workqueue())", async () => {
    const withWq = (o: { added: boolean }) => resize(o).replace("\ttags = kcalloc(depth, sizeof(void *), GFP_KERNEL);\n", "\twd->wq = alloc_workqueue(\"widget\", WQ_MEM_RECLAIM, 0);\n\ttags = wd->spare;\n");
    const f = await reviewWithTree(new Map([[path, withWq({ added: false })]]), { files: [{ path, before: withWq({ added: false }), after: withWq({ added: true }) }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity, x.preExisting === true])).toEqual([[9, "warning", true]]);
    expect(f[0]!.message).toContain("widget_resize() already allocates so at line 7 (alloc_workqueue())");
  });
  it("new when the patch also takes what is held (the freeze is added)", async () => {
    const before = resize({ added: false }).replace("\tblk_mq_freeze_queue(wd->queue);\n", "").replace("\tblk_mq_unfreeze_queue(wd->queue);\n", "");
    const f = await reviewWithTree(new Map([[path, before]]), { files: [{ path, before, after: resize({ added: true }) }] }, [rule]);
    expect(f.length).toBeGreaterThan(0);
    expect(f.every((x) => x.preExisting !== true)).toBe(true);
  });
});

describe("alloc-while-holding: a helper only the patch defines, in a file the tree does not apply it to", () => {
  // written for this test: an older version of the map code than the tree's; the patch adds a helper that allocates
  // and calls it from frob_resize(), whose tree callers hold the lock the shrinker takes
  const mapFile = (resize: string, helper: string, drift: boolean) => `// frob maps
#include "frob.h"
${helper}
static int frob_resize(struct frob_fs *fs, unsigned int n)
{
	struct frob_map *m;

${resize}	if (!m)
		return -ENOMEM;
${drift ? "\tfrob_check_map(fs, m);\n" : ""}	frob_swap_map(fs, m);
	return 0;
}

${FROB_GROW}`;
  const helper = `
static struct frob_map *frob_new_map(unsigned int n)
{
	return kvmalloc(n * sizeof(struct frob_map), GFP_KERNEL);
}
`;
  const spare = "\tm = fs->spare;\n\tfs->spare = NULL;\n";
  const review = (before: string, after: string) =>
    reviewWithTree(new Map([["fs/frob/shrink.c", CONDSHRINK(false)], ["fs/frob/map.c", mapFile(spare, "", true)]]), { files: [{ path: "fs/frob/map.c", before, after }] }, [rule]);

  it("what the tree's callers of the calling fragment hold: a warning naming them", async () => {
    const f = await review(mapFile(spare, "", false), mapFile("\tm = frob_new_map(n);\n", helper, false));
    expect(f.map((x) => [x.line, x.severity, Boolean(x.preExisting)])).toEqual([[6, "warning", false]]);
    expect(f[0]!.message).toContain("taken by the caller frob_grow()");
    expect(f[0]!.message).toContain("which the patch does not apply to (frob_grow -> frob_resize -> frob_new_map)");
  });

  it("an allocation the patch moves down into the helper from its caller: pre-existing", async () => {
    const f = await review(mapFile("\tm = kvmalloc(n * sizeof(struct frob_map), GFP_KERNEL);\n", "", false), mapFile("\tm = frob_new_map(n);\n", helper, false));
    expect(f.map((x) => [x.line, x.severity, Boolean(x.preExisting)])).toEqual([[6, "warning", true]]);
  });
  it("not pre-existing when the patch makes another function call the helper too, one that did not allocate so", async () => {
    const refill = (call: boolean) => `
static void frob_refill(struct frob_fs *fs)
{
	struct frob_map *m;

${call ? "\tm = frob_new_map(8);\n" : "\tm = fs->spare;\n"}	frob_swap_map(fs, m);
}
`;
    const f = await review(mapFile("\tm = kvmalloc(n * sizeof(struct frob_map), GFP_KERNEL);\n", "", false) + refill(false), mapFile("\tm = frob_new_map(n);\n", helper, false) + refill(true));
    expect(f.map((x) => [x.line, x.severity, Boolean(x.preExisting)])).toEqual([[6, "warning", false]]);
  });
});

describe("alloc-while-holding: the function's only call of an allocator, moved by the patch", () => {
  // written for this test: the resize allocates its map under the caller's lock before and after the patch; the
  // patch moves the call below another statement and keeps the map in a field (a new lvalue, another size)
  const resize = (body: string) => `// frob maps
#include "frob.h"

static int frob_resize(struct frob_fs *fs, unsigned int n)
{
	struct frob_map *m;

${body}	if (!m)
		return -ENOMEM;
	frob_swap_map(fs, m);
	return 0;
}

${FROB_GROW}`;
  const before = resize("\tm = kvmalloc(n * sizeof(struct frob_map), GFP_KERNEL);\n\tfs->resizes++;\n");
  const review = (after: string) =>
    reviewWithTree(new Map([["fs/frob/shrink.c", CONDSHRINK(false)], ["fs/frob/map.c", before]]), { files: [{ path: "fs/frob/map.c", before, after }] }, [rule]);
  it("is the same allocation: nothing new is said", async () => {
    expect(await review(resize("\tfs->resizes++;\n\tfs->next = kvmalloc(n * sizeof(struct frob_map) + 8, GFP_KERNEL);\n\tm = fs->next;\n"))).toEqual([]);
  });
  it("a second call of the allocator beside it: which one was there is not known", async () => {
    const f = await review(resize("\tfs->resizes++;\n\tfs->next = kvmalloc(n * sizeof(struct frob_map) + 8, GFP_KERNEL);\n\tfs->log = kvmalloc(64, GFP_KERNEL);\n\tm = fs->next;\n"));
    expect(f.length).toBeGreaterThan(0);
  });
});

// A lock of the queue taken below the call that makes the disk live: the disk's deletion, which freezes the queue and
// takes the lock, cannot run yet, and no filesystem or swap sends it the IO reclaim issues. Below the deletion, which
// marks the disk dead first, a new bio fails instead of waiting for the unfreeze.
type WqCaller = "device_add_disk" | "del_gendisk" | "wq_stats_reset_store";
const CALLER_SIGNATURE: Record<WqCaller, string> = {
  device_add_disk: "int device_add_disk(struct device *parent, struct wq_disk *disk, const struct attribute_group **groups)",
  del_gendisk: "int del_gendisk(struct wq_disk *disk)",
  wq_stats_reset_store: "static ssize_t wq_stats_reset_store(struct wq_disk *disk, const char *page, size_t len)",
};
const WQ_REGISTER = (caller: WqCaller) => `// widget queue registration
#include "wq.h"

static int wq_register_queue(struct wq_disk *disk)
{
	int ret;

	mutex_lock(&disk->state_mutex);
	ret = wq_stats_register(disk);
	mutex_unlock(&disk->state_mutex);
	return ret;
}

${CALLER_SIGNATURE[caller]}
{
	int ret;

	ret = wq_register_queue(disk);
	if (ret)
		return ret;
	wq_announce(disk);
	return 0;
}
`;
const wqStats = (alloc: boolean) => `// widget queue statistics
#include "wq.h"

int wq_stats_register(struct wq_disk *disk)
{
${alloc ? "\tdisk->stats = kzalloc(sizeof(*disk->stats), GFP_KERNEL);\n\tif (!disk->stats)\n\t\treturn -ENOMEM;\n" : ""}	disk->stats_on = true;
	return 0;
}
`;
describe("alloc-while-holding: a queue lock held below the call that makes the disk live", () => {
  const tree = (caller: WqCaller) =>
    new Map([["block/wq_sysfs.c", WQ_SYSFS], ["block/wq_register.c", WQ_REGISTER(caller)], ["block/wq_stats.c", wqStats(false)]]);
  const patch = { files: [{ path: "block/wq_stats.c", before: wqStats(false), after: wqStats(true) }] };

  it("held by a store on a live disk: warned (reclaim's IO to the frozen queue waits on the lock)", async () => {
    const f = await reviewWithTree(tree("wq_stats_reset_store"), patch, [rule]);
    expect(f.map((x) => [x.file, x.line, x.severity, x.messageId])).toEqual([["block/wq_stats.c", 6, "warning", "lockUnderFreeze"]]);
    expect(f[0]!.message).toContain("wq_depth_store() takes it with q frozen");
  });

  it("held only below device_add_disk(): no warning", async () => {
    const f = await reviewWithTree(tree("device_add_disk"), patch, [rule]);
    expect(f.filter((x) => x.severity !== "info")).toEqual([]);
  });

  it("held only below del_gendisk(): no warning", async () => {
    const f = await reviewWithTree(tree("del_gendisk"), patch, [rule]);
    expect(f.filter((x) => x.severity !== "info")).toEqual([]);
  });
});

describe("alloc-while-holding: queues quiesced in a loop (blk_mq_quiesce_queue_nowait)", () => {
  // written for this test: a tag set's queues quiesced one by one, then a buffer for waiting on them all
  const quiesceAll = (mask: string) => `static void widget_quiesce_all(struct widget_set *set)
{
	struct request_queue *q;
	struct widget_wait *w;
	int n = 0;

	list_for_each_entry(q, &set->queues, set_list) {
		blk_mq_quiesce_queue_nowait(q);
		n++;
	}
	w = kvmalloc_array(n, sizeof(*w), ${mask});
	widget_wait_all(set, w, n);
}
`;
  it("GFP_KERNEL after the loop: the queues quiesced on the paths through it, said so", () => {
    const f = runRule(rule, { files: [{ path: "block/widget-set.c", before: null, after: quiesceAll("GFP_KERNEL") }] });
    expect(f.map((x) => [x.line, x.severity])).toEqual([[11, "warning"]]);
    expect(f[0]!.message).toContain("while q is quiesced (taken at line 8)");
    expect(f[0]!.message).toContain("that IO waits until it is unquiesced");
    expect(f[0]!.fix).toContain("where q is quiesced and restore it after the unquiesce");
  });
  it("GFP_NOIO after the loop: quiet", () => {
    expect(runRule(rule, { files: [{ path: "block/widget-set.c", before: null, after: quiesceAll("GFP_NOIO") }] })).toEqual([]);
  });
});

// A driver's dump support added to a file the tree has moved on from: the lock is taken two calls above the
// allocation, in functions only the patch defines; the tree's IO timeout handler takes the same lock.
const GZ_BASE = (probe: string) => `// gizmo block driver
#include "gz.h"

static void gz_disable(struct gz_dev *gz)
{
	mutex_lock(&gz->reset_lock);
	gz_stop_queues(gz);
	mutex_unlock(&gz->reset_lock);
}

static enum blk_eh_timer_return gz_timeout(struct request *rq)
{
	struct gz_dev *gz = rq->q->queuedata;

	gz_disable(gz);
	return BLK_EH_DONE;
}

static const struct blk_mq_ops gz_mq_ops = {
	.queue_rq = gz_queue_rq,
	.timeout = gz_timeout,
};

static int gz_probe(struct pci_dev *pdev)
{
${probe}
	return gz_setup(pdev);
}
`;
const GZ_DUMP = (locked: boolean) => `
static struct gz_dump *gz_dump_alloc(struct gz_dev *gz, int n)
{
	return kcalloc(n, sizeof(struct gz_dump), GFP_KERNEL);
}

static int gz_dump_prologue(struct gz_dev *gz)
{
	gz->dumps = gz_dump_alloc(gz, gz->nr_queues);
	return gz->dumps ? 0 : -ENOMEM;
}

static void gz_dump(struct device *dev)
{
	struct gz_dev *gz = dev_get_drvdata(dev);

${locked ? "\tmutex_lock(&gz->reset_lock);\n" : ""}	gz_dump_prologue(gz);
${locked ? "\tmutex_unlock(&gz->reset_lock);\n" : ""}}
`;
describe("alloc-while-holding: a lock taken two calls up, in functions only the patch defines (the tree does not apply it)", () => {
  const before = GZ_BASE("\tpci_set_master(pdev);");
  const after = (locked: boolean) => before.replace("static int gz_probe", `${GZ_DUMP(locked).trimStart()}\nstatic int gz_probe`);
  // the tree's version differs in the probe's context line: the patch does not apply
  const tree = new Map([["drivers/block/gizmo/gz_main.c", GZ_BASE("\tpci_enable_pcie_error_reporting(pdev);\n\tpci_set_master(pdev);")]]);

  it("warns on the allocation, naming the chain up to the function that takes the lock", async () => {
    const f = await reviewWithTree(tree, { files: [{ path: "drivers/block/gizmo/gz_main.c", before, after: after(true) }] }, [rule]);
    const warned = f.filter((x) => x.severity === "warning");
    expect(warned.map((x) => x.line)).toEqual([after(true).split("\n").findIndex((l) => l.includes("kcalloc(")) + 1]);
    expect(warned[0]!.message).toContain("gz_dump -> gz_dump_prologue -> gz_dump_alloc");
    expect(warned[0]!.message).toContain("gz_timeout() (blk_mq_ops.timeout) takes it");
  });

  it("quiet when the dump does not take the lock", async () => {
    const f = await reviewWithTree(tree, { files: [{ path: "drivers/block/gizmo/gz_main.c", before, after: after(false) }] }, [rule]);
    expect(f.filter((x) => x.severity === "warning")).toEqual([]);
  });
});

// A property table whose handlers the filesystem calls through `h->apply(...)` with a transaction handle held. The
// patch adds a handler and its table entry to a file the tree has moved on from: the entry is only in the patch.
const QX_PROPS = (extra: string, entry: string, drift: boolean) => `// quux properties
#include "quux.h"

struct quux_prop {
	const char *name;
	int (*apply)(struct inode *inode, const char *value, size_t len);
};

static int quux_compress_apply(struct inode *inode, const char *value, size_t len)
{
	return quux_set_compression(inode, value, len);
}
${extra}
static const struct quux_prop quux_props[] = {
	{
		.name = "compression",
		.apply = quux_compress_apply,
	},${entry}
};

int quux_set_prop(struct btrfs_trans_handle *trans, struct inode *inode, int i, const char *value, size_t len)
{
	const struct quux_prop *h = &quux_props[i];

	${drift ? "if (!value)\n\t\treturn -EINVAL;\n\t" : ""}return h->apply(inode, value, len);
}
`;
const QX_MIRROR = `
static int quux_mirror_apply(struct inode *inode, const char *value, size_t len)
{
	char *dup = kstrndup(value, len, GFP_KERNEL);

	if (!dup)
		return -ENOMEM;
	quux_set_mirror(inode, dup);
	return 0;
}
`;
const QX_ENTRY = `
	{
		.name = "mirror",
		.apply = quux_mirror_apply,
	},`;
describe("alloc-while-holding: a handler the patch adds to a table, in a file the tree does not apply it to", () => {
  const before = QX_PROPS("", "", false);
  const tree = new Map([["fs/quux/props.c", QX_PROPS("", "", true).replace("return quux_set_compression(inode, value, len);", "return quux_set_compression(inode, value, len, 0);")]]);

  it("warns: the table's field is called with a transaction handle held", async () => {
    const after = QX_PROPS(QX_MIRROR, QX_ENTRY, false);
    const f = await reviewWithTree(tree, { files: [{ path: "fs/quux/props.c", before, after }] }, [rule]);
    const warned = f.filter((x) => x.severity === "warning");
    expect(warned.map((x) => x.line)).toEqual([after.split("\n").findIndex((l) => l.includes("kstrndup(")) + 1]);
    expect(warned[0]!.message).toContain("quux_set_prop");
  });

  it("quiet when the patch does not register the handler (nothing shows how it is called)", async () => {
    const after = QX_PROPS(QX_MIRROR, "", false);
    const f = await reviewWithTree(tree, { files: [{ path: "fs/quux/props.c", before, after }] }, [rule]);
    expect(f.filter((x) => x.severity === "warning")).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { memoryTree, openSources } from "../../src/context/sources.js";
import { parsePatchText } from "../../src/ingest/index.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { review } from "../../src/pipeline.js";
import { rule, saysOffReclaim } from "../../src/rules/shrinker-io/shrinker-blocking.js";
import { formatPatch } from "../helpers/patch.js";
import { ruleTester } from "../helpers/rule-tester.js";

// A made-up block cache with a shrinker (old-style static struct shrinker).
const cache = `static unsigned long blkc_shrink_count(struct shrinker *s,
					struct shrink_control *sc)
{
	struct blkc *c = container_of(s, struct blkc, shrinker);

	return READ_ONCE(c->nr_clean);
}

static unsigned long blkc_shrink_scan(struct shrinker *s,
				       struct shrink_control *sc)
{
	struct blkc *c = container_of(s, struct blkc, shrinker);
	unsigned long freed;

	if (!mutex_trylock(&c->lock))
		return SHRINK_STOP;
	freed = blkc_free_clean(c, sc->nr_to_scan);
	mutex_unlock(&c->lock);
	return freed;
}
`;

// New-style registration with shrinker_alloc(): callbacks with other names.
const newStyle = `static unsigned long zcache_count(struct shrinker *s, struct shrink_control *sc)
{
	return atomic_long_read(&zc_pages);
}

static unsigned long zcache_reap(struct shrinker *s, struct shrink_control *sc)
{
	return zcache_drop(sc->nr_to_scan);
}

static int zcache_init(void)
{
	zc_shrinker = shrinker_alloc(0, "zcache");
	if (!zc_shrinker)
		return -ENOMEM;
	zc_shrinker->count_objects = zcache_count;
	zc_shrinker->scan_objects = zcache_reap;
	shrinker_register(zc_shrinker);
	return 0;
}
`;

const lockedCount = cache.replace("\treturn READ_ONCE(c->nr_clean);", "\tunsigned long n;\n\n\tmutex_lock(&c->lock);\n\tn = c->nr_clean;\n\tmutex_unlock(&c->lock);\n\treturn n;");
const otherCode = Array.from({ length: 40 }, (_, i) => `static int blkc_knob_${i} = ${i};`).join("\n") + "\n";

describe("saysOffReclaim", () => {
  it("recognises a message saying the shrinker now runs from a workqueue", () => {
    expect(saysOffReclaim("The cache shrinker now runs in the system unbound workqueue and no longer in kswapd context")).toBe(true);
    expect(saysOffReclaim("Evict buffers from the shrinker")).toBe(false);
  });
});

ruleTester(rule, {
  valid: [
    {
      name: "count_objects that only reads a counter",
      patch: { files: [{ path: "drivers/md/blkc.c", before: cache, after: cache.replace("READ_ONCE(c->nr_clean)", "READ_ONCE(c->nr_clean) + READ_ONCE(c->nr_lru)") }] },
    },
    {
      name: "trylock with return SHRINK_STOP added to the scan callback",
      patch: {
        files: [
          {
            path: "drivers/md/blkc.c",
            before: cache,
            after: cache.replace("\tmutex_unlock(&c->lock);\n\treturn freed;", "\tmutex_unlock(&c->lock);\n\tif (!down_read_trylock(&c->sb_sem))\n\t\treturn SHRINK_STOP;\n\tup_read(&c->sb_sem);\n\treturn freed;"),
          },
        ],
      },
    },
    {
      name: "the same wait outside any shrinker",
      patch: {
        files: [
          {
            path: "drivers/md/blkc.c",
            before: "static void blkc_sync(struct blkc *c)\n{\n\tblkc_write_all(c);\n}\n",
            after: "static void blkc_sync(struct blkc *c)\n{\n\tblkc_write_all(c);\n\twait_for_completion(&c->io_done);\n}\n",
          },
        ],
      },
    },
    {
      name: "slab cache trimming is not a shrinker callback",
      patch: {
        files: [
          {
            path: "mm/slab_common.c",
            before: "int __kmem_cache_shrink(struct kmem_cache *s)\n{\n\treturn do_shrink(s);\n}\n",
            after: "int __kmem_cache_shrink(struct kmem_cache *s)\n{\n\tmutex_lock(&slab_mutex);\n\treturn do_shrink(s);\n}\n",
          },
        ],
      },
    },
    {
      name: "a shrinker moved within the file keeps its existing lock (moved lines are not new code)",
      patch: {
        files: [
          {
            path: "drivers/md/blkc.c",
            before: lockedCount + "\n" + otherCode,
            after: otherCode + "\n" + lockedCount,
          },
        ],
      },
    },
    {
      name: "spin_lock beside spin_trylock is not a sleeping lock",
      patch: {
        files: [{ path: "drivers/md/blkc.c", before: cache, after: cache.replace("\tmutex_unlock(&c->lock);\n\treturn freed;", "\tmutex_unlock(&c->lock);\n\tspin_lock(&c->lru_lock);\n\tif (spin_trylock(&c->stat_lock))\n\t\tspin_unlock(&c->stat_lock);\n\tspin_unlock(&c->lru_lock);\n\treturn freed;") }],
      },
    },
    {
      name: "the shrinker kicks a worker instead of waiting",
      patch: {
        files: [{ path: "drivers/md/blkc.c", before: cache, after: cache.replace("\tmutex_unlock(&c->lock);\n\treturn freed;", "\tmutex_unlock(&c->lock);\n\tqueue_work(c->writeback_wq, &c->writeback_work);\n\treturn freed;") }],
      },
    },
  ],
  invalid: [
    {
      name: "scan waits on a buffer",
      patch: {
        files: [{ path: "drivers/md/blkc.c", before: cache, after: cache.replace("\tmutex_unlock(&c->lock);\n\treturn freed;", "\twait_on_buffer(c->last_bh);\n\tmutex_unlock(&c->lock);\n\treturn freed;") }],
      },
      errors: [{ messageId: "waitsOnIo", line: 18, severity: "warning" }],
    },
    {
      name: "count takes a mutex",
      patch: {
        files: [
          {
            path: "drivers/md/blkc.c",
            before: cache,
            after: cache.replace("\treturn READ_ONCE(c->nr_clean);", "\tunsigned long n;\n\n\tmutex_lock(&c->lock);\n\tn = c->nr_clean;\n\tmutex_unlock(&c->lock);\n\treturn n;"),
          },
        ],
      },
      errors: [{ messageId: "sleepingLock", line: 8, severity: "error" }],
    },
    {
      name: "helper added in the patch, called from scan, writes back and waits (chain)",
      patch: {
        files: [
          {
            path: "drivers/md/blkc.c",
            before: cache,
            after:
              "static void blkc_evict(struct blkc *c)\n{\n\tstruct buffer_head *bh = c->lru_bh;\n\n\twrite_dirty_buffer(bh, 0);\n\twait_on_buffer(bh);\n}\n\n" +
              cache.replace("\tmutex_unlock(&c->lock);\n\treturn freed;", "\tblkc_evict(c);\n\tmutex_unlock(&c->lock);\n\treturn freed;"),
          },
        ],
      },
      // one hazard, one finding: the wait (the most serious of the helper's blocking calls)
      errors: [{ messageId: "waitsOnIo", line: 6, severity: "warning" }],
    },
    {
      name: "sleeping lock variant beside its trylock, gated on the gfp mask (dm-bufio 2019 revert shape)",
      patch: {
        files: [
          {
            path: "drivers/md/blkc.c",
            before: cache,
            after: cache.replace("\tif (!mutex_trylock(&c->lock))\n\t\treturn SHRINK_STOP;", "\tif (sc->gfp_mask & __GFP_FS)\n\t\tblkc_lock(c);\n\telse if (!blkc_trylock(c))\n\t\treturn SHRINK_STOP;"),
          },
        ],
      },
      errors: [{ messageId: "sleepingLock", line: 16, severity: "warning" }],
    },
    {
      name: "callbacks registered through shrinker_alloc: count waits on writeback",
      patch: {
        files: [{ path: "mm/zcache.c", before: newStyle, after: newStyle.replace("\treturn atomic_long_read(&zc_pages);", "\tfilemap_fdatawait(zc_mapping);\n\treturn atomic_long_read(&zc_pages);") }],
      },
      errors: [{ messageId: "waitsOnIo", line: 3, severity: "error" }],
    },
    {
      name: "iput in a function taking a shrink context, message says it runs from a workqueue",
      patch: {
        message: "The cache shrinker now runs in the system unbound workqueue, so it can drop inodes directly.",
        files: [
          {
            path: "fs/quuxfs/cache.c",
            before: "static long quuxfs_scan_inodes(struct quuxfs_root *root, struct quuxfs_shrink_ctx *ctx)\n{\n\tquuxfs_defer_iput(inode);\n\treturn 0;\n}\n",
            after: "static long quuxfs_scan_inodes(struct quuxfs_root *root, struct quuxfs_shrink_ctx *ctx)\n{\n\tiput(inode);\n\treturn 0;\n}\n",
          },
        ],
      },
      errors: [{ messageId: "mayBlock", line: 3, severity: "info" }],
    },
    {
      name: "recognised fix: count callback stops taking the lock",
      patch: {
        files: [
          {
            path: "drivers/md/blkc.c",
            before: cache.replace("\treturn READ_ONCE(c->nr_clean);", "\tunsigned long n;\n\n\tmutex_lock(&c->lock);\n\tn = c->nr_clean;\n\tmutex_unlock(&c->lock);\n\treturn n;"),
            after: cache.replace("\treturn READ_ONCE(c->nr_clean);", "\t/* a racy read is fine: reclaim retries */\n\treturn READ_ONCE(c->nr_clean);"),
          },
        ],
      },
      errors: [{ messageId: "stopsBlocking", line: 6, severity: "info" }],
    },
  ],
});

// ------------------------------------------------------------ with a source tree

const ZC_SHRINK = `// zcache shrinker: callbacks registered with shrinker_alloc()
#include "zc.h"

static unsigned long zc_count(struct shrinker *s, struct shrink_control *sc)
{
	return atomic_long_read(&zc_nr);
}

static unsigned long zc_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct zc_obj *o = zc_oldest();

	if (!o)
		return SHRINK_STOP;
	zc_drop_clean(o);
	return 1;
}

int zc_init(void)
{
	zc_shrinker = shrinker_alloc(0, "zc");
	zc_shrinker->count_objects = zc_count;
	zc_shrinker->scan_objects = zc_scan;
	shrinker_register(zc_shrinker);
	return 0;
}
`;

const ZC_IO = `// zcache IO helpers
#include "zc.h"

static void zc_write_back(struct zc_obj *o)
{
	write_dirty_buffer(o->bh, 0);
	wait_on_buffer(o->bh);
}

void zc_evict_dirty(struct zc_obj *o)
{
	zc_write_back(o);
	zc_free(o);
}

void zc_drop_clean(struct zc_obj *o)
{
	if (!mutex_trylock(&o->lock))
		return;
	zc_free(o);
	mutex_unlock(&o->lock);
}
`;

async function reviewWithTree(files: { path: string; before: string; after: string }[], tree: Map<string, string>) {
  const input = parsePatchText(formatPatch({ files }), "tree.patch");
  const sources = openSources(memoryTree(tree));
  await sources.prepare!(input.patches);
  return review(input, sources, DEFAULT_CONFIG, loadKnowledge(), [rule]).reviews[0]!.findings;
}

describe("shrinker-blocking with source context", () => {
  const tree = new Map([
    ["drivers/zc/zc_shrink.c", ZC_SHRINK],
    ["drivers/zc/zc_io.c", ZC_IO],
    ["drivers/zc/zc.h", "struct zc_obj;\n"],
  ]);

  it("follows a call added in the scan callback into a helper of another file that waits on IO", async () => {
    const after = ZC_SHRINK.replace("\tzc_drop_clean(o);\n", "\tif (zc_dirty(o))\n\t\tzc_evict_dirty(o);\n\telse\n\t\tzc_drop_clean(o);\n");
    const f = await reviewWithTree([{ path: "drivers/zc/zc_shrink.c", before: ZC_SHRINK, after }], tree);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[16, "warning", "submitsIo"]]);
    expect(f[0]!.message).toContain("zc_scan -> zc_evict_dirty -> zc_write_back -> write_dirty_buffer");
  });

  it("without the tree the same patch says nothing (the helper is not in the diff)", () => {
    const after = ZC_SHRINK.replace("\tzc_drop_clean(o);\n", "\tif (zc_dirty(o))\n\t\tzc_evict_dirty(o);\n\telse\n\t\tzc_drop_clean(o);\n");
    const input = parsePatchText(formatPatch({ files: [{ path: "drivers/zc/zc_shrink.c", before: ZC_SHRINK, after }] }), "t.patch");
    expect(review(input, null, DEFAULT_CONFIG, loadKnowledge(), [rule]).reviews[0]!.findings).toEqual([]);
  });

  it("reports a wait added to a helper that the (untouched) scan callback calls", async () => {
    const after = ZC_IO.replace("\tzc_free(o);\n\tmutex_unlock", "\tfolio_wait_writeback(o->folio);\n\tzc_free(o);\n\tmutex_unlock");
    const f = await reviewWithTree([{ path: "drivers/zc/zc_io.c", before: ZC_IO, after }], tree);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[20, "warning", "waitsOnIo"]]);
    expect(f[0]!.message).toContain("zc_scan -> zc_drop_clean -> folio_wait_writeback");
  });

  it("stays quiet for a wait added to a helper no shrinker reaches", async () => {
    const after = ZC_IO.replace("\tzc_write_back(o);\n\tzc_free(o);", "\tzc_write_back(o);\n\twait_for_completion(&o->done);\n\tzc_free(o);");
    const f = await reviewWithTree([{ path: "drivers/zc/zc_io.c", before: ZC_IO, after }], tree);
    expect(f).toEqual([]);
  });
});

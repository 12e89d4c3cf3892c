import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { memoryTree, openSources } from "../../src/context/sources.js";
import { parsePatchText } from "../../src/ingest/index.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { review } from "../../src/pipeline.js";
import { rule } from "../../src/rules/shrinker-io/shrinker-blocking.js";
import type { Finding } from "../../src/types.js";
import { formatPatch } from "../helpers/patch.js";
import { ruleTester, runRule } from "../helpers/rule-tester.js";

// Fixtures written for these tests: a made-up block cache with a shrinker
// (old-style callbacks named in a static struct shrinker).
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

static struct shrinker blkc_shrinker = {
	.count_objects = blkc_shrink_count,
	.scan_objects = blkc_shrink_scan,
	.seeks = DEFAULT_SEEKS,
};
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

const scanTail = "\tmutex_unlock(&c->lock);\n\treturn freed;";
const inScan = (src: string, add: string) => src.replace(scanTail, `${add}\n${scanTail}`);
const lockedCount = cache.replace("\treturn READ_ONCE(c->nr_clean);", "\tunsigned long n;\n\n\tmutex_lock(&c->lock);\n\tn = c->nr_clean;\n\tmutex_unlock(&c->lock);\n\treturn n;");
const otherCode = Array.from({ length: 40 }, (_, i) => `static int blkc_knob_${i} = ${i};`).join("\n") + "\n";

// The same shrinker with every name changed: verdicts must not depend on names.
const renamed = (src: string) =>
  src
    .replace(/blkc_shrink_count/g, "tally")
    .replace(/blkc_shrink_scan/g, "harvest")
    .replace(/blkc_shrinker/g, "quux_reclaimer")
    .replace(/blkc/g, "quux");

// A wrapper trylock replaced by a wrapper lock: what the wrapper does is outside the patch.
const wrapped = cache
  .replace("\tif (!mutex_trylock(&c->lock))\n\t\treturn SHRINK_STOP;", "\tif (!blkc_trylock(c))\n\t\treturn SHRINK_STOP;")
  .replace("\tmutex_unlock(&c->lock);\n\treturn freed;", "\tblkc_unlock(c);\n\treturn freed;");

/** A helper the patch adds above the cache, and a call of it added to the scan callback. */
const helperInScan = (helper: string, call: string) => ({ files: [{ path: "drivers/md/blkc.c", before: cache, after: `${helper}\n${inScan(cache, call)}` }] });

ruleTester(rule, {
  valid: [
    {
      name: "the same wait outside any shrinker",
      patch: {
        files: [
          {
            path: "drivers/md/blkc.c",
            before: "static void blkc_sync(struct blkc *c)\n{\n\tblkc_write_all(c);\n}\n",
            after: "static void blkc_sync(struct blkc *c)\n{\n\tblkc_write_all(c);\n\twait_on_buffer(c->last_bh);\n}\n",
          },
        ],
      },
    },
    {
      name: "a function named like a shrinker callback that is not one (no registration, no shrinker signature)",
      patch: {
        files: [
          {
            path: "drivers/md/blkc.c",
            before: "static int blkc_shrink_scan(struct blkc *c)\n{\n\treturn 0;\n}\n",
            after: "static int blkc_shrink_scan(struct blkc *c)\n{\n\tmutex_lock(&c->lock);\n\twait_on_buffer(c->last_bh);\n\tmutex_unlock(&c->lock);\n\treturn 0;\n}\n",
          },
        ],
      },
    },
    {
      name: "a shrinker moved within the file keeps its existing lock (moved lines are not new code)",
      patch: { files: [{ path: "drivers/md/blkc.c", before: lockedCount + "\n" + otherCode, after: otherCode + "\n" + lockedCount }] },
    },
  ],
  invalid: [
    {
      name: "count_objects that only reads a counter",
      patch: { files: [{ path: "drivers/md/blkc.c", before: cache, after: cache.replace("READ_ONCE(c->nr_clean)", "READ_ONCE(c->nr_clean) + READ_ONCE(c->nr_lru)") }] },
      errors: [{ messageId: "changedChecked", severity: "info" }],
    },
    {
      name: "trylock with return SHRINK_STOP added to the scan callback",
      patch: { files: [{ path: "drivers/md/blkc.c", before: cache, after: inScan(cache, "\tif (!down_read_trylock(&c->sb_sem))\n\t\treturn SHRINK_STOP;\n\tup_read(&c->sb_sem);") }] },
      errors: [{ messageId: "changedChecked", severity: "info" }],
    },
    {
      name: "spin_lock beside spin_trylock is not a sleeping lock",
      patch: {
        files: [{ path: "drivers/md/blkc.c", before: cache, after: inScan(cache, "\tspin_lock(&c->lru_lock);\n\tif (spin_trylock(&c->stat_lock))\n\t\tspin_unlock(&c->stat_lock);\n\tspin_unlock(&c->lru_lock);") }],
      },
      errors: [{ messageId: "changedChecked", severity: "info" }],
    },
    {
      name: "the shrinker wakes a thread instead of waiting",
      patch: { files: [{ path: "drivers/md/blkc.c", before: cache, after: inScan(cache, "\twake_up_process(c->writeback_task);") }] },
      errors: [{ messageId: "changedChecked", severity: "info" }],
    },
    {
      name: "a helper the patch shows that only trylocks, called from the scan callback",
      patch: {
        files: [
          {
            path: "drivers/md/blkc.c",
            before: cache,
            after: "static bool blkc_try_evict(struct blkc *c)\n{\n\tif (!mutex_trylock(&c->lru_mutex))\n\t\treturn false;\n\tblkc_drop(c);\n\tmutex_unlock(&c->lru_mutex);\n\treturn true;\n}\n\n" + inScan(cache, "\tblkc_try_evict(c);"),
          },
        ],
      },
      errors: [{ messageId: "changedChecked", severity: "info" }],
    },
    {
      name: "scan waits on a buffer",
      patch: { files: [{ path: "drivers/md/blkc.c", before: cache, after: inScan(cache, "\twait_on_buffer(c->last_bh);") }] },
      errors: [{ messageId: "waitsOnIo", line: 18, severity: "warning" }],
    },
    {
      name: "the same wait with every name changed gives the same verdict",
      patch: { files: [{ path: "drivers/md/quux.c", before: renamed(cache), after: renamed(inScan(cache, "\twait_on_buffer(c->last_bh);")) }] },
      errors: [{ messageId: "waitsOnIo", line: 18, severity: "warning" }],
    },
    {
      name: "count takes a mutex (the registration is in view)",
      patch: { context: 20, files: [{ path: "drivers/md/blkc.c", before: cache, after: lockedCount }] },
      errors: [{ messageId: "countBlocks", line: 8, severity: "error" }],
    },
    {
      name: "helper added in the patch, called from scan, writes back and waits: one finding, the wait",
      patch: helperInScan("static void blkc_evict(struct blkc *c)\n{\n\tstruct buffer_head *bh = c->lru_bh;\n\n\twrite_dirty_buffer(bh, 0);\n\twait_on_buffer(bh);\n}\n", "\tblkc_evict(c);"),
      errors: [{ messageId: "waitsOnIo", line: 6, severity: "warning" }],
    },
    {
      name: "a file closed from the scan callback (filp_close() runs the file's ->flush, which may write back and wait)",
      patch: helperInScan("static void blkc_drop_file(struct blkc_file *bf)\n{\n\tfilp_close(bf->file, NULL);\n\tkfree(bf);\n}\n", "\tblkc_drop_file(c->spare);"),
      errors: [{ messageId: "syncIo", line: 3, severity: "warning" }],
    },
    {
      name: "a sleeping lock taken when the caller's mask allows FS, instead of the trylock",
      patch: {
        files: [
          {
            path: "drivers/md/blkc.c",
            before: cache,
            after: cache.replace("\tif (!mutex_trylock(&c->lock))\n\t\treturn SHRINK_STOP;", "\tif (sc->gfp_mask & __GFP_FS)\n\t\tmutex_lock(&c->lock);\n\telse if (!mutex_trylock(&c->lock))\n\t\treturn SHRINK_STOP;"),
          },
        ],
      },
      errors: [{ messageId: "sleepingLock", line: 16, severity: "warning" }],
    },
    {
      name: "the lock the scan now takes is held across a GFP_KERNEL allocation in the same patch",
      patch: {
        files: [
          {
            path: "drivers/md/blkc.c",
            before: cache,
            after:
              cache.replace("\tif (!mutex_trylock(&c->lock))\n\t\treturn SHRINK_STOP;", "\tmutex_lock(&c->lock);") +
              "\nstatic int blkc_grow(struct blkc *c, unsigned int n)\n{\n\tvoid *map;\n\n\tmutex_lock(&c->lock);\n\tmap = kvmalloc(n * sizeof(long), GFP_KERNEL);\n\tblkc_swap_map(c, map);\n\tmutex_unlock(&c->lock);\n\treturn 0;\n}\n",
          },
        ],
      },
      errors: [{ messageId: "lockHeldAcross", line: 15, severity: "warning" }],
    },
    {
      name: "callbacks registered through shrinker_alloc: count waits on writeback",
      patch: { context: 15, files: [{ path: "mm/zcache.c", before: newStyle, after: newStyle.replace("\treturn atomic_long_read(&zc_pages);", "\tfilemap_fdatawait(zc_mapping);\n\treturn atomic_long_read(&zc_pages);") }] },
      errors: [{ messageId: "countBlocks", line: 3, severity: "error" }],
    },
    {
      name: "scan takes a mutex through guard()",
      patch: { files: [{ path: "mm/zcache.c", before: newStyle, after: newStyle.replace("\treturn zcache_drop(sc->nr_to_scan);", "\tguard(mutex)(&zc_lock);\n\treturn zcache_drop(sc->nr_to_scan);") }] },
      errors: [{ messageId: "sleepingLock", line: 8, severity: "warning" }],
    },
    {
      name: "scan waits for a completion: what completes it is not visible (info)",
      patch: { files: [{ path: "drivers/md/blkc.c", before: cache, after: inScan(cache, "\twait_for_completion(&c->flushed);") }] },
      errors: [{ messageId: "mayWait", line: 18, severity: "info" }],
    },
    {
      name: "a trylock wrapper's bail-out replaced by an unconditional wrapper lock (info: the wrapper is not in the patch)",
      patch: { files: [{ path: "drivers/md/blkc.c", before: wrapped, after: wrapped.replace("\tif (!blkc_trylock(c))\n\t\treturn SHRINK_STOP;", "\tblkc_lock(c);") }] },
      errors: [{ messageId: "trylockDropped", line: 15, severity: "info" }],
    },
    {
      name: "scan drops an inode reference with iput(): it may be the last one, and eviction waits for writeback",
      patch: { files: [{ path: "drivers/md/blkc.c", before: cache, after: inScan(cache, "\tiput(c->backing_inode);") }] },
      errors: [{ messageId: "finalPut", line: 18, severity: "warning" }],
    },
    {
      name: "scan starts a journal transaction",
      patch: { files: [{ path: "drivers/md/blkc.c", before: cache, after: inScan(cache, "\thandle = jbd2_journal_start(c->journal, 1);") }] },
      errors: [{ messageId: "startsTransaction", line: 18, severity: "warning" }],
    },
    {
      name: "recognised: the scan now hands its work to a work item on a system queue (info)",
      patch: { files: [{ path: "drivers/md/blkc.c", before: cache, after: inScan(cache, "\tqueue_work(system_unbound_wq, &c->reap_work);") }] },
      errors: [{ messageId: "queuesWork", line: 18, severity: "info" }],
    },
    {
      name: "recognised fix: count callback stops taking the lock",
      patch: { files: [{ path: "drivers/md/blkc.c", before: lockedCount, after: cache.replace("\treturn READ_ONCE(c->nr_clean);", "\t/* a racy read is fine: reclaim retries */\n\treturn READ_ONCE(c->nr_clean);") }] },
      errors: [{ messageId: "stopsBlocking", line: 6, severity: "info" }],
    },
  ],
});

describe("shrinker-blocking wording", () => {
  it("names the chain from the callback and its role down to the wait", () => {
    const after = "static void blkc_evict(struct blkc *c)\n{\n\twait_on_buffer(c->lru_bh);\n}\n\n" + inScan(cache, "\tblkc_evict(c);");
    const [f] = runRule(rule, { files: [{ path: "drivers/md/blkc.c", before: cache, after }] });
    const role = "a shrinker callback (by its signature: unsigned long, struct shrinker *)";
    expect(f!.message).toContain(`blkc_shrink_scan (${role}) -> blkc_evict -> wait_on_buffer`);
    expect(f!.chain).toEqual([`blkc_shrink_scan (${role})`, "blkc_evict", "wait_on_buffer"]);
  });

  it("says where the lock is held across an allocation", () => {
    const after =
      cache.replace("\tif (!mutex_trylock(&c->lock))\n\t\treturn SHRINK_STOP;", "\tmutex_lock(&c->lock);") +
      "\nstatic int blkc_grow(struct blkc *c, unsigned int n)\n{\n\tvoid *map;\n\n\tmutex_lock(&c->lock);\n\tmap = kvmalloc(n * sizeof(long), GFP_KERNEL);\n\tmutex_unlock(&c->lock);\n\treturn 0;\n}\n";
    const [f] = runRule(rule, { files: [{ path: "drivers/md/blkc.c", before: cache, after }] });
    expect(f!.message).toContain("blkc_grow() holds the same lock across kvmalloc(GFP_KERNEL)");
    expect(f!.fix).toContain("mutex_trylock(&c->lock)");
  });

  it("fills the unknown when a wrapper hides whether the new call sleeps", () => {
    const [f] = runRule(rule, { files: [{ path: "drivers/md/blkc.c", before: wrapped, after: wrapped.replace("\tif (!blkc_trylock(c))\n\t\treturn SHRINK_STOP;", "\tblkc_lock(c);") }] });
    expect(f!.unknowns?.[0]).toContain("whether blkc_lock() sleeps");
  });
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

void zc_lock(struct zc_obj *o)
{
	mutex_lock(&o->lock);
}
`;

async function reviewWithTree(files: { path: string; before: string; after: string }[], tree: Map<string, string>): Promise<Finding[]> {
  const input = parsePatchText(formatPatch({ files }), "tree.patch");
  const sources = openSources(memoryTree(tree));
  await sources.prepare!(input.patches);
  return review(input, sources, DEFAULT_CONFIG, loadKnowledge(), [rule]).reviews[0]!.findings;
}

const rename = (s: string) => s.replace(/zc_/g, "blob_").replace(/zc\.h/g, "blob.h").replace(/"zc"/g, '"blob"');

describe("shrinker-blocking with source context", () => {
  const tree = new Map([
    ["drivers/zc/zc_shrink.c", ZC_SHRINK],
    ["drivers/zc/zc_io.c", ZC_IO],
    ["drivers/zc/zc.h", "struct zc_obj;\n"],
  ]);
  const evictAdded = ZC_SHRINK.replace("\tzc_drop_clean(o);\n", "\tif (zc_dirty(o))\n\t\tzc_evict_dirty(o);\n\telse\n\t\tzc_drop_clean(o);\n");

  it("follows a call added in the scan callback into a helper of another file that waits on IO", async () => {
    const f = await reviewWithTree([{ path: "drivers/zc/zc_shrink.c", before: ZC_SHRINK, after: evictAdded }], tree);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[16, "warning", "waitsOnIo"]]);
    expect(f[0]!.message).toContain("zc_scan (shrinker.scan_objects) -> zc_evict_dirty -> zc_write_back -> wait_on_buffer");
  });

  it("gives the same verdict with every function and file renamed", async () => {
    const renamedTree = new Map([...tree].map(([p, t]) => [rename(p.replace("drivers/zc/", "drivers/blob/")), rename(t)]));
    const f = await reviewWithTree([{ path: "drivers/blob/blob_shrink.c", before: rename(ZC_SHRINK), after: rename(evictAdded) }], renamedTree);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[16, "warning", "waitsOnIo"]]);
    expect(f[0]!.message).toContain("blob_scan (shrinker.scan_objects) -> blob_evict_dirty -> blob_write_back -> wait_on_buffer");
  });

  it("without the tree the same patch gets only an info note naming the helpers it could not follow", () => {
    const input = parsePatchText(formatPatch({ files: [{ path: "drivers/zc/zc_shrink.c", before: ZC_SHRINK, after: evictAdded }] }), "t.patch");
    const f = review(input, null, DEFAULT_CONFIG, loadKnowledge(), [rule]).reviews[0]!.findings;
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[15, "info", "changedChecked"]]);
    expect(f[0]!.message).toContain("not followed, as their definitions are not in the patch (review with --tree to follow them): zc_dirty(), zc_evict_dirty(), zc_drop_clean()");
    expect(f[0]!.unknowns).toEqual(["what zc_dirty() does when called here", "what zc_evict_dirty() does when called here", "what zc_drop_clean() does when called here"]);
  });

  it("a generated helper name of hundreds of characters is shown cut, with its length", () => {
    const long = `zc_${"x".repeat(300)}`;
    const after = ZC_SHRINK.replace("\tzc_drop_clean(o);\n", `\t${long}(o);\n\tzc_drop_clean(o);\n`);
    const input = parsePatchText(formatPatch({ files: [{ path: "drivers/zc/zc_shrink.c", before: ZC_SHRINK, after }] }), "t.patch");
    const f = review(input, null, DEFAULT_CONFIG, loadKnowledge(), [rule]).reviews[0]!.findings;
    expect(f.map((x) => x.messageId)).toEqual(["changedChecked"]);
    expect(f[0]!.message).toContain(`: ${long.slice(0, 48)}... (303 characters)()`);
  });

  it("with the tree, a change whose helpers do not block says which it followed", async () => {
    const after = ZC_SHRINK.replace("\tzc_drop_clean(o);\n", "\tzc_drop_clean(o);\n\tif (o->next)\n\t\tzc_drop_clean(o->next);\n");
    const f = await reviewWithTree([{ path: "drivers/zc/zc_shrink.c", before: ZC_SHRINK, after }], tree);
    expect(f.map((x) => [x.severity, x.messageId])).toEqual([["info", "changedChecked"]]);
    expect(f[0]!.message).toMatch(/^zc_scan \(shrinker\.scan_objects\): this patch changes zc_scan\(\)/);
    expect(f[0]!.message).toContain("and the functions they call in what was reviewed (zc_drop_clean())");
    expect(f[0]!.message).not.toContain("not followed");
  });

  it("reports a wait added to a helper that the (untouched) scan callback calls", async () => {
    const after = ZC_IO.replace("\tzc_free(o);\n\tmutex_unlock", "\tfolio_wait_writeback(o->folio);\n\tzc_free(o);\n\tmutex_unlock");
    const f = await reviewWithTree([{ path: "drivers/zc/zc_io.c", before: ZC_IO, after }], tree);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[20, "warning", "waitsOnIo"]]);
    expect(f[0]!.message).toContain("zc_scan (shrinker.scan_objects) -> zc_drop_clean -> folio_wait_writeback");
  });

  it("stays quiet for a wait added to a helper no shrinker reaches", async () => {
    const after = ZC_IO.replace("\tzc_write_back(o);\n\tzc_free(o);", "\tzc_write_back(o);\n\twait_for_completion(&o->done);\n\tzc_free(o);");
    expect(await reviewWithTree([{ path: "drivers/zc/zc_io.c", before: ZC_IO, after }], tree)).toEqual([]);
  });

  it("follows a final iput() into the directory's evict_inode and names what it waits on", async () => {
    const evict = "// zcache inodes\n#include \"zc.h\"\n\nstatic void zc_evict_inode(struct inode *inode)\n{\n\thandle_t *h = jbd2_journal_start(zc_journal(inode), 1);\n\n\tzc_drop_blocks(h, inode);\n\tjbd2_journal_stop(h);\n\tclear_inode(inode);\n}\n\nstatic const struct super_operations zc_sops = {\n\t.evict_inode\t= zc_evict_inode,\n};\n";
    const withInodes = new Map([...tree, ["drivers/zc/zc_inode.c", evict]]);
    const after = ZC_SHRINK.replace("\tzc_drop_clean(o);\n", "\tzc_drop_clean(o);\n\tiput(o->inode);\n");
    const f = await reviewWithTree([{ path: "drivers/zc/zc_shrink.c", before: ZC_SHRINK, after }], withInodes);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[16, "warning", "startsTransaction"]]);
    expect(f[0]!.message).toContain("zc_scan (shrinker.scan_objects) -> iput -> zc_evict_inode (super_operations.evict_inode) -> jbd2_journal_start");
  });

  it("when the patch does not apply to the tree, its own functions and the tree's helpers still make the chain", async () => {
    const drifted = new Map([...tree, ["drivers/zc/zc_shrink.c", ZC_SHRINK.replace("\tif (!o)\n", "\tif (o == NULL)\n")]]);
    const f = await reviewWithTree([{ path: "drivers/zc/zc_shrink.c", before: ZC_SHRINK, after: evictAdded }], drifted);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[16, "warning", "waitsOnIo"]]);
    expect(f[0]!.message).toContain("zc_evict_dirty -> zc_write_back -> wait_on_buffer");
  });

  it("follows a lock wrapper the diff cannot see into its mutex_lock", async () => {
    const after = ZC_SHRINK.replace("\tzc_drop_clean(o);\n", "\tzc_lock(o);\n\tzc_drop_clean(o);\n");
    const f = await reviewWithTree([{ path: "drivers/zc/zc_shrink.c", before: ZC_SHRINK, after }], tree);
    // (no function of the directory holds the lock across an allocation or IO: with the tree, that is the fact missing)
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[15, "info", "sleepingLock"]]);
    expect(f[0]!.message).toContain("zc_scan (shrinker.scan_objects) -> zc_lock -> mutex_lock");
    expect(f[0]!.unknowns?.join(" ")).toContain("no function of drivers/zc/ was seen doing so");
  });

  it("the same lock held elsewhere in the directory across a GFP_KERNEL allocation: a warning naming the holder", async () => {
    const after = ZC_SHRINK.replace("\tzc_drop_clean(o);\n", "\tzc_lock(o);\n\tzc_drop_clean(o);\n");
    const holder = "\nvoid zc_grow(struct zc_obj *o)\n{\n\tmutex_lock(&o->lock);\n\to->map = kmalloc(o->len, GFP_KERNEL);\n\tmutex_unlock(&o->lock);\n}\n";
    const withHolder = new Map([...tree, ["drivers/zc/zc_shrink.c", ZC_SHRINK + holder]]);
    const f = await reviewWithTree([{ path: "drivers/zc/zc_shrink.c", before: ZC_SHRINK + holder, after: after + holder }], withHolder);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[15, "warning", "lockHeldAcross"]]);
    expect(f[0]!.message).toContain("zc_grow() holds the same lock");
  });
});

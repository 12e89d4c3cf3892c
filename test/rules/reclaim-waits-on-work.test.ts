import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/shrinker-io/reclaim-waits-on-work.js";
import { rule as shrinkerBlocking } from "../../src/rules/shrinker-io/shrinker-blocking.js";
import { runRule } from "../helpers/rule-tester.js";
import { reviewWithTree } from "../helpers/tree-review.js";

// A small filesystem cache ("tallow"): its shrinker hands dirty entries to a work item that writes them back under a
// journal handle; the patch makes the shrinker (or the eviction path) wait for that work.
const WORK = (body: string) => `static void tallow_flush_workfn(struct work_struct *work)
{
	struct tallow_sb *ts = container_of(work, struct tallow_sb, flush_work);

${body}}
`;
const WRITES = `	handle_t *handle;

	handle = jbd2_journal_start(ts->journal, 1);
	tallow_write_entries(ts);
	jbd2_journal_stop(handle);
`;
const FREES = `	tallow_free_clean(ts);
`;

const SHRINK = (flush: string) => `static unsigned long tallow_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct tallow_sb *ts = s->private_data;
	unsigned long freed;

${flush}	freed = tallow_free_clean(ts);
	return freed;
}

static unsigned long tallow_count(struct shrinker *s, struct shrink_control *sc)
{
	struct tallow_sb *ts = s->private_data;

	return READ_ONCE(ts->nr_clean);
}
`;

const SETUP = `static int tallow_fill_super(struct tallow_sb *ts)
{
	INIT_WORK(&ts->flush_work, tallow_flush_workfn);
	ts->shrinker = shrinker_alloc(0, "tallow");
	if (!ts->shrinker)
		return -ENOMEM;
	ts->shrinker->scan_objects = tallow_scan;
	ts->shrinker->count_objects = tallow_count;
	ts->shrinker->private_data = ts;
	shrinker_register(ts->shrinker);
	return 0;
}
`;

const file = (work: string, flush: string) => `// tallow: a cache of directory entries
#include "tallow.h"

${WORK(work)}
${SHRINK(flush)}
${SETUP}`;

const path = "fs/tallow/cache.c";
const flushLine = "\tflush_work(&ts->flush_work);\n";

describe("reclaim-waits-on-work with the tree", () => {
  const review = (work: string, flush: string, rules = [rule]) =>
    reviewWithTree(new Map([[path, file(work, "")]]), { files: [{ path, before: file(work, ""), after: file(work, flush) }] }, rules);

  it("warns when a shrinker starts waiting for work that starts a journal handle, naming both chains", async () => {
    const f = await review(WRITES, flushLine);
    expect(f.map((x) => [x.rule, x.line, x.severity])).toEqual([["reclaim-waits-on-work", 20, "warning"]]);
    expect(f[0]!.message).toContain("tallow_scan (shrinker.scan_objects) -> flush_work(&ts->flush_work)");
    expect(f[0]!.message).toContain("waits for tallow_flush_workfn(), the work's function (bound at fs/tallow/cache.c:34)");
    expect(f[0]!.message).toContain("(tallow_flush_workfn -> jbd2_journal_start, fs/tallow/cache.c:10)");
    expect(f[0]!.fix).toContain("return SHRINK_STOP");
  });

  it("a quota write through the filesystem's dquot_operations counts as a transaction", async () => {
    const f = await review("\tstruct dquot *dq = tallow_next_dirty(ts);\n\n\tdq->dq_sb->dq_op->write_dquot(dq);\n", flushLine);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[18, "warning"]]);
    expect(f[0]!.message).toContain("which writes the dquot to the quota file through the filesystem");
  });

  it("is quiet when the work only frees memory", async () => {
    expect(await review(FREES, flushLine)).toEqual([]);
  });

  it("is quiet when the flush is only cancelled without waiting, or the shrinker queues the work", async () => {
    expect(await review(WRITES, "\tcancel_work(&ts->flush_work);\n")).toEqual([]);
    expect(await review(WRITES, "\tqueue_work(ts->wq, &ts->flush_work);\n")).toEqual([]);
  });

  it("a cancel that waits for the running work counts as a wait", async () => {
    const f = await review(WRITES, "\tcancel_work_sync(&ts->flush_work);\n");
    expect(f.map((x) => [x.line, x.severity])).toEqual([[20, "warning"]]);
  });

  it("takes shrinker-blocking's place on that line: no second note that the waker is unknown", async () => {
    const both = await review(WRITES, flushLine, [rule, shrinkerBlocking]);
    expect(both.map((x) => x.rule)).toEqual(["reclaim-waits-on-work"]);
    const quiet = await review(FREES, flushLine, [rule, shrinkerBlocking]);
    expect(quiet.map((x) => [x.rule, x.severity])).toEqual([["shrinker-blocking", "info"]]);
  });

  it("is quiet about a flush the patch does not add", async () => {
    const withFlush = file(WRITES, flushLine);
    const f = await reviewWithTree(new Map([[path, withFlush]]), { files: [{ path, before: withFlush, after: withFlush.replace("unsigned long freed;", "unsigned long freed = 0;") }] }, [rule]);
    expect(f).toEqual([]);
  });
});

// Eviction from the superblock shrinker: destroy_inode queues inactivation work and, when too much is queued, waits
// for it; the work reads the inode's blocks and waits for that IO. The work item is declared at file scope.
const EVICT = (flush: string) => `// brine: inode teardown
#include "brine.h"

static void brine_inactivate_workfn(struct work_struct *work);
static DECLARE_WORK(brine_inactivate_work, brine_inactivate_workfn);

static void brine_inactivate_workfn(struct work_struct *work)
{
	struct buffer_head *bh = brine_pending_block();

	lock_buffer(bh);
	submit_bh(REQ_OP_READ, bh);
	wait_on_buffer(bh);
	brine_release_blocks(bh);
}

static void brine_queue_inactive(struct brine_inode *bi)
{
	llist_add(&bi->gc_node, &brine_gc_list);
	schedule_work(&brine_inactivate_work);
${flush}}

static void brine_destroy_inode(struct inode *inode)
{
	brine_queue_inactive(BRINE_I(inode));
}

static const struct super_operations brine_sops = {
	.destroy_inode = brine_destroy_inode,
};
`;

describe("reclaim-waits-on-work on the eviction path", () => {
  const epath = "fs/brine/super.c";
  const flush = "\tif (atomic_inc_return(&brine_gc_count) > 64)\n\t\tflush_work(&brine_inactivate_work);\n";

  it("warns with the tree: the work declared at file scope waits on IO", async () => {
    const f = await reviewWithTree(new Map([[epath, EVICT("")]]), { files: [{ path: epath, before: EVICT(""), after: EVICT(flush) }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[22, "warning"]]);
    expect(f[0]!.message).toContain("brine_destroy_inode (super_operations.destroy_inode) -> brine_queue_inactive -> flush_work(&brine_inactivate_work)");
    expect(f[0]!.message).toContain("brine_inactivate_workfn -> wait_on_buffer");
    expect(f[0]!.fix).not.toContain("SHRINK_STOP");
  });

  it("a flush only some reclaiming tasks reach (a helper tests the task's NOFS scope) is an info naming the test", async () => {
    const helper = "static bool brine_may_throttle(void)\n{\n\tif (current->flags & PF_MEMALLOC_NOFS)\n\t\treturn false;\n\treturn atomic_read(&brine_gc_count) > 64;\n}\n\n";
    const withHelper = (f: string) => EVICT(f).replace("static void brine_queue_inactive", `${helper}static void brine_queue_inactive`);
    const guarded = "\tif (brine_may_throttle())\n\t\tflush_work(&brine_inactivate_work);\n";
    const f = await reviewWithTree(new Map([[epath, withHelper("")]]), { files: [{ path: epath, before: withHelper(""), after: withHelper(guarded) }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[29, "info", "guardedWait"]]);
    expect(f[0]!.message).toContain("only when (brine_may_throttle()) (brine_may_throttle() reads current->flags) allows it");
  });

  it("a helper the patch adds without a task test is read as the patch shows it, not as the tree's later version", async () => {
    const helper = (test: boolean) => `static bool brine_may_throttle(void)\n{\n${test ? "\tif (current->flags & PF_MEMALLOC_NOFS)\n\t\treturn false;\n" : ""}\treturn atomic_read(&brine_gc_count) > 64;\n}\n\n`;
    const withHelper = (f: string, test: boolean) => EVICT(f).replace("static void brine_queue_inactive", `${helper(test)}static void brine_queue_inactive`);
    const guarded = "\tif (brine_may_throttle())\n\t\tflush_work(&brine_inactivate_work);\n";
    // the tree is a later release: the helper tests the task, and the queueing line differs from the patch's context
    const tree = withHelper(guarded, true).replace("\tschedule_work(&brine_inactivate_work);", "\tqueue_work(system_unbound_wq, &brine_inactivate_work);");
    const f = await reviewWithTree(new Map([[epath, tree]]), { files: [{ path: epath, before: EVICT(""), after: withHelper(guarded, false) }] }, [rule]);
    expect(f.map((x) => [x.severity, x.messageId])).toEqual([["warning", "waitsOnWork"]]);
  });

  it("with the tree: a renamed copy gives the same verdict (no names decide)", async () => {
    const ren = (t: string) => t.replace(/brine/g, "okra").replace(/BRINE/g, "OKRA");
    const f = await reviewWithTree(new Map([["fs/okra/super.c", ren(EVICT(""))]]), { files: [{ path: "fs/okra/super.c", before: ren(EVICT("")), after: ren(EVICT(flush)) }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[22, "warning"]]);
  });

  it("diff-only: the work's binding and function are not in the lines shown: quiet", () => {
    expect(runRule(rule, { files: [{ path: epath, before: EVICT(""), after: EVICT(flush) }] })).toEqual([]);
  });
});

describe("reclaim-waits-on-work diff-only, everything in the patch", () => {
  it("warns when the patch shows the shrinker, the binding and the work that writes under a handle", () => {
    const f = runRule(rule, { files: [{ path, before: null, after: file(WRITES, flushLine) }] });
    expect(f.map((x) => [x.line, x.severity])).toEqual([[20, "warning"]]);
  });
  it("is quiet when the work it shows only frees", () => {
    expect(runRule(rule, { files: [{ path, before: null, after: file(FREES, flushLine) }] })).toEqual([]);
  });
});

describe("reclaim-waits-on-work: a wait for a completion that work signals", () => {
  // the shrinker queues the write-out and waits until the work says it is done
  const work = (body: string) => `static void tallow_flush_workfn(struct work_struct *work)
{
	struct tallow_sb *ts = container_of(work, struct tallow_sb, flush_work);

${body}	complete(&ts->flush_done);
}
`;
  const file = (body: string, wait: string) => `// tallow: a cache of directory entries
#include "tallow.h"

${work(body)}
static unsigned long tallow_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct tallow_sb *ts = s->private_data;

	queue_work(ts->wq, &ts->flush_work);
${wait}	return tallow_free_clean(ts);
}

${SETUP}`;
  const wait = "\twait_for_completion(&ts->flush_done);\n";
  const review = (body: string) => reviewWithTree(new Map([[path, file(body, "")]]), { files: [{ path, before: file(body, ""), after: file(body, wait) }] }, [rule]);

  it("warns when the completing work starts a journal handle, naming where it is queued", async () => {
    const f = await review(WRITES);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[21, "warning", "waitsOnCompletion"]]);
    expect(f[0]!.message).toContain("wait_for_completion(&ts->flush_done) waits for a completion that tallow_flush_workfn() signals, as work queued at fs/tallow/cache.c:20");
    expect(f[0]!.message).toContain("tallow_flush_workfn -> jbd2_journal_start");
  });

  it("is quiet when the completing work only frees memory, where shrinker-blocking's note that the waker is unknown stays", async () => {
    expect(await review(FREES)).toEqual([]);
    const both = (body: string) => reviewWithTree(new Map([[path, file(body, "")]]), { files: [{ path, before: file(body, ""), after: file(body, wait) }] }, [rule, shrinkerBlocking]);
    expect((await both(FREES)).map((x) => [x.rule, x.severity])).toEqual([["shrinker-blocking", "info"]]);
    expect((await both(WRITES)).map((x) => x.rule)).toEqual(["reclaim-waits-on-work"]);
  });
});

import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/shrinker-io/shrinker-in-trace.js";
import { parseTraces } from "../../src/rules/util/trace-frames.js";
import { ruleTester, runRule } from "../helpers/rule-tester.js";

// a filesystem's extent cache shrinker walks inodes and drops its reference with iput(): the final put evicts
const scanBefore = `static long plonk_scan_inodes(struct plonk_fs *fs, long nr)
{
	struct plonk_inode *pi;
	long freed = 0;

	while ((pi = plonk_next_cached(fs)) != NULL) {
		freed += plonk_drop_extents(pi);
		iput(&pi->vfs_inode);
		if (freed >= nr)
			break;
	}
	return freed;
}
`;
const deferred = { path: "fs/plonk/extents.c", before: scanBefore, after: scanBefore.replace("iput(&pi->vfs_inode);", "plonk_add_delayed_iput(pi);") };
// the same call behind a new test (the put is still made in reclaim when the test fails)
const gated = { path: "fs/plonk/extents.c", before: scanBefore, after: scanBefore.replace("\t\tiput(&pi->vfs_inode);", "\t\tif (!plonk_inode_dirty(pi))\n\t\t\tiput(&pi->vfs_inode);") };
// the put replaced, with the old call named only in a comment
const commented = {
  path: "fs/plonk/extents.c",
  before: scanBefore,
  after: scanBefore.replace("\t\tiput(&pi->vfs_inode);", "\t\t/*\n\t\t * not iput(): a final put from here starts eviction\n\t\t */\n\t\tplonk_add_delayed_iput(pi);"),
};
const elsewhere = { path: "fs/plonk/super.c", before: "static int plonk_statfs(struct plonk_fs *fs)\n{\n\treturn 0;\n}\n", after: "static int plonk_statfs(struct plonk_fs *fs)\n{\n\treturn fs->blocks ? 0 : -EIO;\n}\n" };

// syzbot-style: offsets on most frames, inlined frames with file:line only
const kswapdTrace = `lockdep reports a deadlock between kswapd and a transaction:

  -> #0 (sb_internal#2){.+.+}-{0:0}:
         lock_acquire+0x1b1/0x560 kernel/locking/lockdep.c:5754
         percpu_down_read include/linux/percpu-rwsem.h:51 [inline]
         __sb_start_write include/linux/fs.h:1664 [inline]
         plonk_start_trans+0x3c4/0x1040 fs/plonk/trans.c:210
         plonk_evict_inode+0x4a0/0x800 fs/plonk/inode.c:512
         evict+0x2ed/0x6c0 fs/inode.c:667
         iput_final fs/inode.c:1741 [inline]
         iput.part.0+0x5a8/0x7f0 fs/inode.c:1767
         iput+0x5c/0x80 fs/inode.c:1757
         plonk_scan_inodes fs/plonk/extents.c:88 [inline]
         plonk_free_cached+0x2f0/0x560 fs/plonk/extents.c:120
         super_cache_scan+0x409/0x550 fs/super.c:227
         do_shrink_slab+0x44f/0x11c0 mm/shrinker.c:435
         shrink_slab+0x18a/0x1310 mm/shrinker.c:662
         shrink_node mm/vmscan.c:5910 [inline]
         balance_pgdat+0x1105/0x1970 mm/vmscan.c:6911
         kswapd+0x5ea/0xbf0 mm/vmscan.c:7180

Use a delayed iput from the shrinker.`;

const noShrinker = `A hang on unmount:

  plonk_evict_inode+0x4a0/0x800
  evict+0x2ed/0x6c0
  iput+0x5c/0x80
  plonk_scan_inodes+0x10/0x80
  plonk_put_super+0x20/0x90
  generic_shutdown_super+0x7c/0x180
`;

ruleTester(rule, {
  valid: [
    { name: "message without a trace", patch: { message: "Use a delayed iput in the extent shrinker.", files: [deferred] } },
    { name: "trace without a shrinker frame", patch: { message: noShrinker, files: [deferred] } },
    { name: "shrinker trace naming no function the patch changes", patch: { message: kswapdTrace, files: [elsewhere] } },
    {
      name: "the changed function appears only outside the shrinker (below its frame)",
      patch: { message: "  iput+0x5c/0x80\n  super_cache_scan+0x409/0x550\n  do_shrink_slab+0x44f/0x11c0\n  plonk_statfs+0x10/0x20\n", files: [elsewhere] },
    },
  ],
  invalid: [
    {
      name: "the call the trace shows is replaced by a deferral",
      patch: { message: kswapdTrace, files: [deferred] },
      errors: [{ messageId: "callRemoved", line: 8, file: "fs/plonk/extents.c", severity: "info" }],
    },
    {
      name: "the call is still made, behind a new test",
      patch: { message: kswapdTrace, files: [gated] },
      errors: [{ messageId: "stillCalls", line: 9, severity: "info" }],
    },
    {
      name: "the old call named only in a comment is not a call",
      patch: { message: kswapdTrace, files: [commented] },
      errors: [{ messageId: "callRemoved", line: 11 }],
    },
    {
      name: "a trace quoted in a reply, the shrinker calling the changed function last",
      patch: { message: "> plonk_scan_inodes+0x10/0x80 [plonk]\n> super_cache_scan+0x409/0x550\n> do_shrink_slab+0x44f/0x11c0\n", files: [deferred] },
      errors: [{ messageId: "changed", line: 8 }],
    },
  ],
});

describe("shrinker-in-trace wording", () => {
  it("names the shrinker path to the function, the call removed and its replacement", () => {
    const [f] = runRule(rule, { message: kswapdTrace, files: [deferred] });
    expect(f!.chain).toEqual(["super_cache_scan", "plonk_free_cached", "plonk_scan_inodes", "iput"]);
    expect(f!.message).toContain("removes that call to iput() from plonk_scan_inodes() (replaced by plonk_add_delayed_iput())");
  });
});

describe("parseTraces: inlined frames", () => {
  it("reads `name file.c:N [inline]` lines as frames of the same trace", () => {
    const traces = parseTraces(kswapdTrace);
    const t = traces.find((x) => x.some((f) => f.name === "kswapd"))!;
    expect(t.map((f) => f.name)).toContain("plonk_scan_inodes");
    expect(t.map((f) => f.name)).toContain("percpu_down_read");
    expect(t[0]!.name).toBe("lock_acquire");
  });
  it("does not read prose that mentions a file and line as a frame", () => {
    expect(parseTraces("see fs/plonk/extents.c:88 for the loop\n")).toEqual([]);
  });
});

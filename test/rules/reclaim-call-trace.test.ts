import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/commit-message/reclaim-call-trace.js";
import { parseTraces } from "../../src/rules/util/trace-frames.js";
import { ruleTester } from "../helpers/rule-tester.js";

const fileBefore = "static int plonk_alloc(struct plonk *p)\n{\n\tp->buf = kmalloc(64, GFP_KERNEL);\n\treturn 0;\n}\n";
const gfpFix = { path: "fs/plonk/alloc.c", before: fileBefore, after: fileBefore.replace("GFP_KERNEL", "GFP_NOFS") };
const other = { path: "fs/plonk/alloc.c", before: fileBefore, after: fileBefore.replace("return 0;", "return p->buf ? 0 : -ENOMEM;") };

const recursion = `The plonk daemon hangs under memory pressure:

 Call Trace:
  schedule+0x3c/0xa0
  io_schedule+0x16/0x40
  wait_for_completion+0x9e/0x130
  plonk_buf_iowait+0x2a/0x80 [plonk]
  plonk_reclaim_inode+0x1c4/0x2f0 [plonk]
  super_cache_scan+0x14a/0x1a0
  do_shrink_slab+0x120/0x2b0
  shrink_slab+0x8a/0x290
  shrink_node+0xc1/0x480
  do_try_to_free_pages+0xb2/0x370
  try_to_free_pages+0xd0/0x1e0
  __alloc_pages_slowpath+0x390/0xcd0
  __alloc_pages_nodemask+0x2f1/0x340
  pagecache_get_page+0xad/0x380
  plonk_write_begin+0x61/0x1d0 [plonk]
  generic_perform_write+0xb1/0x1c0

Fix it by allocating with GFP_NOFS.`;

const kswapdOnly = `kswapd is stuck:

  kswapd0 D
  Call Trace:
   io_schedule+0x12/0x40
   bit_wait_io+0x0d/0x50
   plonk_shrink_scan+0xb5/0x110 [plonk]
   do_shrink_slab+0x13e/0x2c0
   shrink_slab+0xb1/0x280
   kswapd+0x2d1/0x6c0
`;

ruleTester(rule, {
  valid: [
    { name: "message without a trace", patch: { message: "Use GFP_NOFS in plonk_alloc() because it runs under a transaction.", files: [gfpFix] } },
    { name: "kswapd trace without an allocation frame", patch: { message: kswapdOnly, files: [gfpFix] } },
    {
      name: "allocation that fails without entering reclaim",
      patch: { message: "Call Trace:\n  dump_stack+0x5c/0x80\n  warn_alloc+0x10f/0x190\n  __alloc_pages_slowpath+0xb0c/0xcd0\n  __alloc_pages_nodemask+0x2f1/0x340\n  plonk_alloc+0x31/0x90 [plonk]\n", files: [gfpFix] },
    },
    {
      name: "lockdep report that does not involve fs_reclaim",
      patch: { message: "WARNING: possible circular locking dependency detected\n (&plonk->lock){+.+.}, at: plonk_x+0x1/0x2\n (&plonk->other){+.+.}, at: plonk_y+0x1/0x2\n", files: [gfpFix] },
    },
    {
      name: "reclaim and wait in two different traces",
      patch: {
        message: "Task A:\n  wait_for_completion+0x9e/0x130\n  plonk_sync+0x10/0x20\n\nTask B:\n  shrink_slab+0x8a/0x290\n  try_to_free_pages+0xd0/0x1e0\n  __alloc_pages_nodemask+0x2f1/0x340\n",
        files: [gfpFix],
      },
    },
  ],
  invalid: [
    {
      name: "alloc -> reclaim -> wait, patch changes the gfp mask",
      patch: { message: recursion, files: [gfpFix] },
      errors: [{ messageId: "chainFix", line: null, file: null, severity: "info" }],
    },
    {
      name: "same trace, patch changes no allocation context",
      patch: { message: recursion, files: [other] },
      errors: [{ messageId: "chainOther", severity: "info" }],
    },
    {
      name: "same trace, patch changes workqueue flags instead",
      patch: {
        message: recursion,
        files: [
          {
            path: "fs/plonk/super.c",
            before: 'static int plonk_wq_init(struct plonk *p)\n{\n\tp->wq = alloc_workqueue("plonk", 0, 0);\n\treturn 0;\n}\n',
            after: 'static int plonk_wq_init(struct plonk *p)\n{\n\tp->wq = alloc_workqueue("plonk", WQ_MEM_RECLAIM, 0);\n\treturn 0;\n}\n',
          },
        ],
      },
      errors: [{ messageId: "chainLayer", severity: "info" }],
    },
    {
      name: "trace flattened into one line of a mail (as list archives show it)",
      patch: { message: "Trace: wait_for_completion+0x12c/0x170 plonk_bwrite+0x25/0x60 [plonk] super_cache_scan+0x153/0x1a0 shrink_slab+0x170/0x2c0 try_to_free_pages+0x112/0x2e0 __alloc_pages_nodemask+0x37f/0x400 grab_cache_page_write_begin+0x1d/0x40 plonk_da_write_begin+0xd6/0x530", files: [gfpFix] },
      errors: [{ messageId: "chainFix" }],
    },
    {
      name: "lockdep report through fs_reclaim",
      patch: {
        message:
          "lockdep complains:\n\n WARNING: possible circular locking dependency detected\n kswapd0/80 is trying to acquire lock:\n (&plonk_inode_lock){++++}, at: plonk_evict+0x20/0x90\n\n but task is already holding lock:\n (fs_reclaim){+.+.}, at: __fs_reclaim_acquire+0x5/0x30\n",
        files: [gfpFix],
      },
      errors: [{ messageId: "lockdepReclaim", severity: "info" }],
    },
    {
      name: "crash-utility style frames quoted in a reply",
      patch: {
        message:
          "> #3 [ffff8813dedfba00] wait_for_completion at ffffffff81740000\n> #4 [ffff8813dedfbb00] shrink_slab at ffffffff811a87ce\n> #5 [ffff8813dedfbc00] try_to_free_pages at ffffffff811adef8\n> #6 [ffff8813dedfbd00] kmem_cache_alloc at ffffffff811e8b71\n> #7 [ffff8813dedfbe00] plonk_new_req at ffffffffa0387000 [plonk]\n",
        files: [other],
      },
      errors: [{ messageId: "chainOther" }],
    },
  ],
});

describe("parseTraces", () => {
  it("keeps kernel order (innermost first), skips '?' frames and strips .isra suffixes", () => {
    const [t] = parseTraces("Call Trace:\n  ? foo+0x1/0x2\n  bar.isra.3+0x10/0x20 [mod]\n  baz+0x1/0x2\n");
    expect(t!.map((f) => f.name)).toEqual(["bar", "baz"]);
    expect(t![0]!.module).toBe("mod");
  });
  it("splits traces at prose lines", () => {
    expect(parseTraces("a+0x1/0x2\nsome words here\nb+0x1/0x2\n").length).toBe(2);
  });
});

import { runRule } from "../helpers/rule-tester.js";

describe("reclaim-call-trace chain", () => {
  it("names caller -> allocation -> reclaim -> wait, outermost first", () => {
    const [f] = runRule(rule, { message: recursion, files: [gfpFix] });
    expect(f!.message).toContain("plonk_write_begin -> pagecache_get_page -> try_to_free_pages -> plonk_buf_iowait");
    expect(f!.chain).toEqual(["plonk_write_begin", "pagecache_get_page", "try_to_free_pages", "plonk_buf_iowait"]);
  });
  it("names the locks of a lockdep fs_reclaim report", () => {
    const [f] = runRule(rule, { message: "circular locking dependency\n (&plonk_inode_lock){++++}, at: x+0x1/0x2\n (fs_reclaim){+.+.}, at: y+0x1/0x2\n", files: [other] });
    expect(f!.messageId).toBe("lockdepReclaim");
    expect(f!.message).toContain("&plonk_inode_lock");
    expect(f!.message).toContain("does not change an allocation context");
  });
});

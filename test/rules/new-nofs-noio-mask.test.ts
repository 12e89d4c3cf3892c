import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { reviewPatch } from "../../src/engine.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { rule } from "../../src/rules/gfp-context/new-nofs-noio-mask.js";
import { ruleTester, runRule } from "../helpers/rule-tester.js";
import { toPatch } from "../helpers/rule-tester.js";
import { restrictedMasks } from "../../src/rules/util/gfp-lists.js";

const before = `static int quux_fill(struct quux_inode *qi, size_t len)
{
	struct quux_buf *b;

	b = quux_buf_get(qi);
	return quux_copy(qi, b, len);
}
`;
const add = (line: string) => before.replace("\tb = quux_buf_get(qi);\n", `\tb = quux_buf_get(qi);\n${line}\n`);

ruleTester(rule, {
  valid: [
    {
      name: "same GFP_NOFS call re-indented (deleted in the same hunk)",
      patch: { files: [{ path: "fs/quux/file.c", before: add("\tqi->map = kmalloc(len, GFP_NOFS);"), after: add("\tqi->map = kmalloc(len,  GFP_NOFS);") }] },
    },
    {
      name: "GFP_DMA32 added to an existing GFP_NOIO mask (zone-only change)",
      patch: { files: [{ path: "drivers/block/quux.c", before: add("\tqi->pg = alloc_page(GFP_NOIO);"), after: add("\tqi->pg = alloc_page(GFP_NOIO | GFP_DMA32);") }] },
    },
    {
      name: "a mask variable assigned again the GFP_NOFS its unchanged declaration already holds",
      patch: {
        files: [
          {
            path: "fs/quux/file.c",
            before: add("\tgfp_t gfp = GFP_NOFS;\n\tqi->map = quux_try(qi, GFP_NOWAIT);"),
            after: add("\tgfp_t gfp = GFP_NOFS;\n\tqi->map = quux_try(qi, GFP_NOWAIT);\n\tif (!qi->map)\n\t\tgfp = GFP_NOFS;"),
          },
        ],
      },
    },
    {
      name: "__GFP_NOLOCKDEP annotation",
      patch: { files: [{ path: "fs/quux/file.c", before, after: add("\tqi->map = kmalloc(len, GFP_NOFS | __GFP_NOLOCKDEP);") }] },
    },
    {
      name: "patch converts to a memalloc_nofs_save() scope",
      patch: {
        files: [
          {
            path: "fs/quux/file.c",
            before,
            after: add("\tflags = memalloc_nofs_save();\n\tqi->map = kmalloc(len, GFP_NOFS);\n\tmemalloc_nofs_restore(flags);"),
          },
        ],
      },
    },
    {
      name: "shrinker testing sc->gfp_mask (not an allocation)",
      patch: { files: [{ path: "fs/quux/file.c", before, after: add("\tif ((sc->gfp_mask & GFP_NOFS) == GFP_NOFS)\n\t\treturn 0;") }] },
    },
    {
      name: "GFP_NOFS kept in a local gfp variable (no call, no stored mask field)",
      patch: { files: [{ path: "fs/quux/file.c", before, after: add("\tmask = GFP_NOFS;") }] },
    },
    {
      name: "GFP_NOFS in a comment",
      patch: { files: [{ path: "fs/quux/file.c", before, after: add("\t/* kmalloc(len, GFP_NOFS) is not needed here */") }] },
    },
  ],
  invalid: [
    {
      name: "new kzalloc(GFP_NOFS)",
      patch: { files: [{ path: "fs/quux/file.c", before, after: add("\tqi->map = kzalloc(len, GFP_NOFS);") }] },
      errors: [{ messageId: "perCallMask", line: 6, severity: "info" }],
    },
    {
      name: "three new GFP_NOFS calls in one function: one note",
      patch: { files: [{ path: "fs/quux/file.c", before, after: add("\tqi->a = kmalloc(len, GFP_NOFS);\n\tqi->b = kmalloc(len, GFP_NOFS);\n\tqi->c = kmalloc(len, GFP_NOFS);") }] },
      errors: [{ messageId: "perCallMask", line: 6, severity: "info" }],
    },
    {
      name: "XFS kmem allocation changed from no flag to KM_NOFS (needle: KM_NOFS only)",
      patch: { files: [{ path: "fs/xfs/xfs_quux.c", before: add("\tqi->cur = kmem_cache_zalloc(quux_zone, 0);"), after: add("\tqi->cur = kmem_cache_zalloc(quux_zone, KM_NOFS);") }] },
      errors: [{ messageId: "perCallMask", line: 6, severity: "info" }],
    },
    {
      name: "XFS transaction allocated with XFS_TRANS_NOFS on a continuation line (needle: XFS_TRANS_NOFS only)",
      patch: {
        files: [{ path: "fs/xfs/xfs_quux.c", before: add("\terror = xfs_trans_alloc(mp, &M_RES(mp)->tr_quux, 0, 0,\n\t\t\t0, &tp);"), after: add("\terror = xfs_trans_alloc(mp, &M_RES(mp)->tr_quux, 0, 0,\n\t\t\tXFS_TRANS_NOFS, &tp);") }],
      },
      errors: [{ messageId: "perCallMask", line: 7, severity: "info" }],
    },
    {
      name: "GFP_KERNEL changed to GFP_NOIO in a driver",
      patch: { files: [{ path: "drivers/block/quux.c", before: add("\tqi->pg = alloc_page(GFP_KERNEL);"), after: add("\tqi->pg = alloc_page(GFP_NOIO);") }] },
      errors: [{ messageId: "perCallMask", line: 6, severity: "info" }],
    },
    {
      name: "mask built with & ~__GFP_FS on a continuation line",
      patch: { files: [{ path: "fs/quux/file.c", before, after: add("\tqi->map = kmalloc_array(len, sizeof(u64),\n\t\t\tmapping_gfp_mask(qi->mapping) & ~__GFP_FS);") }] },
      errors: [{ messageId: "perCallMask", line: 7 }],
    },
    {
      name: "GFP_NOIO stored in a socket's sk_allocation",
      patch: { files: [{ path: "drivers/block/quux.c", before, after: add("\tqi->sock->sk->sk_allocation = GFP_NOIO | __GFP_MEMALLOC;") }] },
      errors: [{ messageId: "maskStored", line: 6, severity: "info" }],
    },
    {
      name: "GFP_NOIO put in a local mask variable for the allocations below",
      patch: { files: [{ path: "drivers/block/quux.c", before, after: add("\tgfp_t gfp = GFP_NOIO;") }] },
      errors: [{ messageId: "maskStored", line: 6, severity: "info" }],
    },
    {
      name: "__GFP_FS and __GFP_IO cleared from a mask variable",
      patch: { files: [{ path: "drivers/block/quux.c", before, after: add("\tqi->gfp &= ~(__GFP_IO | __GFP_FS);") }] },
      errors: [{ messageId: "maskCleared", line: 6, severity: "info" }],
    },
    {
      name: "kvmalloc with GFP_NOFS on a current kernel: vmalloc honours the mask since v5.17 (only the scope advice)",
      patch: { files: [{ path: "fs/quux/file.c", before, after: add("\tqi->tbl = kvmalloc(len, GFP_NOFS);") }] },
      errors: [{ messageId: "perCallMask", line: 6, severity: "info" }],
    },
  ],
});

describe("new-nofs-noio-mask grouping", () => {
  it("counts the other call sites of the function in the message", () => {
    const [f] = runRule(rule, { files: [{ path: "fs/quux/file.c", before, after: add("\tqi->a = kmalloc(len, GFP_NOFS);\n\tqi->b = kzalloc(len, GFP_NOFS);") }] });
    expect(f!.message).toContain("(and 1 more in this function)");
  });
});

describe("new-nofs-noio-mask and the reviewed kernel", () => {
  const review = (major: number, minor: number) =>
    reviewPatch(toPatch({ files: [{ path: "fs/quux/file.c", before, after: add("\tqi->tbl = kvmalloc(len, GFP_NOFS);") }] }), {
      rules: [rule],
      config: DEFAULT_CONFIG,
      kb: loadKnowledge(),
      source: { preImage: () => undefined, postImage: () => undefined, kernel: { major, minor, from: "tree" } },
    }).findings;
  it("warns that kvmalloc ignores GFP_NOFS on a kernel before v5.17", () => {
    const [f] = review(5, 15);
    expect(f?.messageId).toBe("vmallocIgnores");
    expect(f?.severity).toBe("warning");
    expect(f?.message).toContain("v5.15");
  });
  it("does not say so for v5.17 and later", () => {
    const found = review(5, 17);
    expect(found.map((f) => f.messageId)).toEqual(["perCallMask"]);
  });
});

describe("new-nofs-noio-mask: a mask that named GFP_NOFS but did not clear __GFP_FS", () => {
  const was = (mask: string) => `static int quux_getattr(struct quux_inode *qi, size_t len)
{
	void *buf;

	buf = kvmalloc(len, ${mask});
	if (!buf)
		return -ENOMEM;
	return quux_read_attr(qi, buf, len);
}
`;
  it("GFP_KERNEL | GFP_NOFS is GFP_KERNEL: not a restricted mask", () => {
    expect(restrictedMasks("\tbuf = kvmalloc(len, GFP_KERNEL | GFP_NOFS);")).toEqual([]);
    expect(restrictedMasks("\tbuf = kvmalloc(len, GFP_NOFS | __GFP_ZERO);")).toEqual(["GFP_NOFS"]);
    expect(restrictedMasks("\tbuf = kvmalloc(len, GFP_NOIO | __GFP_NOWARN);")).toEqual(["GFP_NOIO"]);
  });
  it("so GFP_NOFS replacing it is a new restriction, said once", () => {
    const f = runRule(rule, { files: [{ path: "fs/quux/xattr.c", before: was("GFP_KERNEL | GFP_NOFS"), after: was("GFP_NOFS") }] });
    expect(f.map((x) => x.messageId)).toEqual(["perCallMask"]);
  });
  it("GFP_NOFS | __GFP_ZERO replaced by GFP_NOFS: the restriction was there, quiet", () => {
    expect(runRule(rule, { files: [{ path: "fs/quux/xattr.c", before: was("GFP_NOFS | __GFP_ZERO"), after: was("GFP_NOFS") }] })).toEqual([]);
  });
});

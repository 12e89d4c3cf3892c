import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/gfp-context/ignores-gfp-param.js";
import { rule as ioPathRule } from "../../src/rules/gfp-context/gfp-kernel-in-io-path.js";
import { ruleTester, runRule } from "../helpers/rule-tester.js";
import { reviewWithTree } from "../helpers/tree-review.js";

// Fixtures written for these tests, modelled on a layout driver's bulk page allocation: the caller passes the
// mask of its context, and the patch adds an array allocation in the helper.
const bulk = (arrayMask: string) => `static int tile_alloc_pages(struct tile_layout *lo, unsigned int nr, gfp_t gfp)
{
	struct page **pages;
	unsigned int i;

	pages = kcalloc(nr, sizeof(*pages), ${arrayMask});
	if (!pages)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		pages[i] = alloc_page(gfp);
		if (!pages[i])
			goto fail;
	}
	lo->pages = pages;
	return 0;
fail:
	tile_free_pages(pages, i);
	return -ENOMEM;
}
`;
const bulkBefore = bulk("GFP_KERNEL").replace("\tpages = kcalloc(nr, sizeof(*pages), GFP_KERNEL);\n\tif (!pages)\n\t\treturn -ENOMEM;\n", "\tpages = lo->pages;\n");

ruleTester(rule, {
  valid: [
    { name: "the new allocation passes the parameter on", patch: { files: [{ path: "fs/tile/layout.c", before: bulkBefore, after: bulk("gfp") }] } },
    { name: "a mask derived from the parameter", patch: { files: [{ path: "fs/tile/layout.c", before: bulkBefore, after: bulk("gfp & ~__GFP_DIRECT_RECLAIM") }] } },
    { name: "a written-out mask stricter than GFP_KERNEL", patch: { files: [{ path: "fs/tile/layout.c", before: bulkBefore, after: bulk("GFP_NOFS") }] } },
    { name: "the allocation was already there", patch: { files: [{ path: "fs/tile/layout.c", before: bulk("GFP_KERNEL"), after: bulk("GFP_KERNEL").replace("\tunsigned int i;\n", "\tunsigned int i = 0;\n") }] } },
    { name: "no gfp_t parameter", patch: { files: [{ path: "fs/tile/layout.c", before: bulkBefore.replace(", gfp_t gfp)", ")").replace("alloc_page(gfp)", "alloc_page(GFP_NOFS)"), after: bulk("GFP_KERNEL").replace(", gfp_t gfp)", ")").replace("alloc_page(gfp)", "alloc_page(GFP_NOIO)").replace("kcalloc(nr, sizeof(*pages), GFP_KERNEL)", "kcalloc(nr, sizeof(*pages), GFP_NOIO)") }] } },
  ],
  invalid: [
    {
      name: "kcalloc(GFP_KERNEL) added in a function whose callers pass their mask (diff only: callers unknown)",
      patch: { files: [{ path: "fs/tile/layout.c", before: bulkBefore, after: bulk("GFP_KERNEL") }] },
      errors: [{ messageId: "ignored", line: 6, severity: "warning" }],
    },
    {
      name: "a mask relaxed from the parameter to GFP_KERNEL",
      patch: { files: [{ path: "fs/tile/layout.c", before: bulk("gfp"), after: bulk("GFP_KERNEL") }] },
      errors: [{ messageId: "ignored", line: 6 }],
    },
    {
      name: "an implicit-mask call is not a written mask, but GFP_USER is (it allows FS and IO)",
      patch: { files: [{ path: "fs/tile/layout.c", before: bulkBefore, after: bulk("GFP_USER") }] },
      errors: [{ messageId: "ignored", line: 6 }],
    },
  ],
});

describe("ignores-gfp-param with the callers in the tree", () => {
  const caller = (mask: string) => `// tile layout
#include "tile.h"

${bulk("GFP_KERNEL").replace("kcalloc(nr, sizeof(*pages), GFP_KERNEL)", "kcalloc(nr, sizeof(*pages), gfp)")}
int tile_read_layout(struct tile_layout *lo, unsigned int nr)
{
	return tile_alloc_pages(lo, nr, ${mask});
}
`;
  const patchOf = (mask: string) => ({ files: [{ path: "fs/tile/layout.c", before: caller(mask), after: caller(mask).replace("kcalloc(nr, sizeof(*pages), gfp)", "kcalloc(nr, sizeof(*pages), GFP_KERNEL)") }] });

  it("names the caller that passes GFP_NOFS", async () => {
    const f = await reviewWithTree(new Map([["fs/tile/layout.c", caller("GFP_NOFS")]]), patchOf("GFP_NOFS"), [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[9, "warning"]]);
    expect(f[0]!.message).toContain("tile_read_layout() passes GFP_NOFS");
    expect(f[0]!.message).toContain("call into the filesystem");
  });

  it("quiet when every caller passes GFP_KERNEL", async () => {
    expect(await reviewWithTree(new Map([["fs/tile/layout.c", caller("GFP_KERNEL")]]), patchOf("GFP_KERNEL"), [rule])).toEqual([]);
  });
});

describe("ignores-gfp-param: a branch the parameter decides", () => {
  // written for this test, modelled on a network storage client's large-buffer helper that maps the caller's
  // mask onto a scope, because the vmalloc fallback does not take a mask
  const helper = (body: string) => `void *orca_kvmalloc(size_t size, gfp_t flags)
{
	void *p;

${body}	return p;
}
`;
  const scoped = `	if ((flags & (__GFP_IO | __GFP_FS)) == (__GFP_IO | __GFP_FS)) {
		p = kvmalloc(size, flags);
	} else if ((flags & (__GFP_IO | __GFP_FS)) == __GFP_IO) {
		unsigned int nofs = memalloc_nofs_save();

		p = kvmalloc(size, GFP_KERNEL);
		memalloc_nofs_restore(nofs);
	} else {
		unsigned int noio = memalloc_noio_save();

		p = kvmalloc(size, GFP_KERNEL);
		memalloc_noio_restore(noio);
	}
`;
  it("is quiet when the caller's mask chooses the scope the allocation runs in", async () => {
    const before = helper("\tp = kvmalloc(size, flags);\n");
    expect(await reviewWithTree(new Map(), { files: [{ path: "net/orca/common.c", before, after: helper(scoped) }] }, [rule])).toEqual([]);
  });

  it("still warns when the mask written out is not tied to the parameter", async () => {
    const before = helper("\tp = kvmalloc(size, flags);\n");
    const f = await reviewWithTree(new Map(), { files: [{ path: "net/orca/common.c", before, after: helper("\tif (size > PAGE_SIZE)\n\t\tp = kvmalloc(size, GFP_KERNEL);\n\telse\n\t\tp = kmalloc(size, flags);\n") }] }, [rule]);
    expect(f.map((x) => [x.line, x.messageId])).toEqual([[6, "ignored"]]);
  });
});

describe("ignores-gfp-param: a function the patch adds, with its callers in the patch", () => {
  const caller = (mask: string) => `
int tile_setup(struct tile_layout *lo)
{
	return tile_alloc_pages(lo, lo->nr, ${mask});
}
`;
  const header = "// SPDX-License-Identifier: GPL-2.0\n#include \"tile.h\"\n";
  const run = async (after: string) => runRule(rule, { files: [{ path: "fs/tile/layout.c", before: header, after }] });
  it("every call the patch adds passes GFP_KERNEL: quiet", async () => {
    expect(await run(header + bulk("GFP_KERNEL") + caller("GFP_KERNEL"))).toEqual([]);
  });
  it("a call that passes GFP_NOFS: a warning naming it", async () => {
    const f = await run(header + bulk("GFP_KERNEL") + caller("GFP_NOFS"));
    expect(f.map((x) => x.messageId)).toEqual(["ignored"]);
    expect(f[0]!.message).toContain("tile_setup() passes GFP_NOFS");
  });
  it("no call of it in the patch: the callers stay unknown (a warning)", async () => {
    const f = await run(header + bulk("GFP_KERNEL"));
    expect(f.map((x) => x.messageId)).toEqual(["ignored"]);
    expect(f[0]!.message).toContain("what the callers pass is not in the diff");
  });
  it("a prototype of it is no call", async () => {
    const f = await run(header + "int tile_alloc_pages(struct tile_layout *lo, unsigned int nr, gfp_t gfp);\n" + bulk("GFP_KERNEL"));
    expect(f.map((x) => x.messageId)).toEqual(["ignored"]);
  });
});

describe("ignores-gfp-param with a tree: a function in a file the patch adds (its callers can only be the patch's)", () => {
  const lib = bulk("GFP_KERNEL").replace("static int tile_alloc_pages", "int tile_alloc_pages");
  const user = (mask: string) => `// SPDX-License-Identifier: GPL-2.0\n#include "tile.h"\n\nint tile_setup(struct tile_layout *lo)\n{\n\treturn tile_alloc_pages(lo, lo->nr, ${mask});\n}\n`;
  const files = (mask: string) => [
    { path: "drivers/tile/tile-mem.c", before: null, after: `// SPDX-License-Identifier: GPL-2.0\n#include "tile.h"\n\n${lib}` },
    { path: "drivers/tile/tile-core.c", before: null, after: user(mask) },
  ];
  it("its one caller, in another new file, passes GFP_KERNEL: quiet", async () => {
    expect((await reviewWithTree(new Map(), { files: files("GFP_KERNEL") }, [rule])).filter((x) => x.severity === "warning")).toEqual([]);
  });
  it("that caller passes GFP_NOFS: a warning naming it", async () => {
    const f = await reviewWithTree(new Map(), { files: files("GFP_NOFS") }, [rule]);
    expect(f.map((x) => x.messageId)).toEqual(["ignored"]);
    expect(f[0]!.message).toContain("tile_setup() passes GFP_NOFS");
  });
});

describe("ignores-gfp-param: a helper that allocates, called without the parameter", () => {
  // written for this test: an inode set-up that takes its caller's mask and now calls a new helper (which takes no
  // mask) that allocates a per-node table with GFP_KERNEL
  const helper = `static int tile_init_node_map(struct tile_inode *ti)
{
	ti->map = kcalloc(nr_node_ids, sizeof(*ti->map), GFP_KERNEL);
	return ti->map ? 0 : -ENOMEM;
}
`;
  const init = (call: string | null) => `int tile_inode_init(struct tile_sb *sb, struct tile_inode *ti, gfp_t gfp)
{
	if (tile_security_alloc(ti, gfp))
		return -ENOMEM;
${call ? `\tif (${call})\n\t\treturn -ENOMEM;\n` : ""}	ti->sb = sb;
	return 0;
}

int tile_iget_locked(struct tile_sb *sb, struct tile_inode *ti)
{
	return tile_inode_init(sb, ti, GFP_NOFS);
}
`;
  const path = "fs/tile/inode.c";
  const review = (call: string, helperText = helper) => reviewWithTree(new Map([[path, init(null)]]), { files: [{ path, before: init(null), after: `${helperText}\n${init(call)}` }] }, [rule]);

  it("warns on the call, naming the helper's allocation and the caller that passes GFP_NOFS", async () => {
    const f = await review("tile_init_node_map(ti)");
    expect(f.map((x) => [x.line, x.severity])).toEqual([[11, "warning"]]);
    expect(f[0]!.message).toContain("tile_init_node_map(), which allocates with GFP_KERNEL (kcalloc(GFP_KERNEL) at line 3) in tile_inode_init() ignores its gfp_t parameter \"gfp\": tile_iget_locked() passes GFP_NOFS");
  });
  it("quiet when the helper takes the mask and is passed it", async () => {
    expect(await review("tile_init_node_map(ti, gfp)", helper.replace("(struct tile_inode *ti)", "(struct tile_inode *ti, gfp_t gfp)").replace("GFP_KERNEL", "gfp"))).toEqual([]);
  });
  it("warns when the helper is already in the tree and the patch adds the call", async () => {
    const before = `${helper}\n${init(null)}`;
    const f = await reviewWithTree(new Map([[path, before]]), { files: [{ path, before, after: `${helper}\n${init("tile_init_node_map(ti)")}` }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[11, "warning"]]);
    expect(f[0]!.message).toContain("tile_init_node_map(), which allocates with GFP_KERNEL");
    expect(f[0]!.message).toContain("tile_iget_locked() passes GFP_NOFS");
  });
  it("quiet when the helper allocates with a mask that forbids FS reclaim", async () => {
    expect(await review("tile_init_node_map(ti)", helper.replace("GFP_KERNEL", "GFP_NOFS"))).toEqual([]);
  });
});

describe("ignores-gfp-param with a tree the patch does not apply to: a hunk header that cuts the signature", () => {
  // written for this test: a reference-count set-up whose gfp_t is the last parameter, on the definition's second
  // line, so git's hunk header (one line of the definition) stops before it; the tree's version of the body differs
  // from the patch's, so the patch is read as fragments in the tree
  const fn = (stat: string, alloc: boolean) => `static int tile_ref_init(struct tile_ref *ref, tile_release_t *release,
		  unsigned int flags, gfp_t gfp)
{
	size_t align = max_t(size_t, 1 << TILE_REF_SHIFT, __alignof__(unsigned long));

	ref->count_ptr = (unsigned long)__alloc_percpu_gfp(sizeof(unsigned long), align, gfp);
	if (!ref->count_ptr)
		return -ENOMEM;

	ref->release = release;
	ref->confirm = NULL;
	ref->flags = flags;
	ref->${stat} = flags & TILE_REF_ALLOW_REINIT;
${alloc ? "\tref->data = kzalloc(sizeof(*ref->data), GFP_KERNEL);\n\tif (!ref->data)\n\t\treturn -ENOMEM;\n" : ""}	tile_ref_count_set(ref, 1);
	return 0;
}

int tile_group_attach(struct tile_group *g)
{
	return tile_ref_init(&g->ref, tile_group_release, 0, ${"MASK"});
}
`;
  const path = "lib/tile-ref.c";
  const review = (mask: string, applies: boolean) => {
    const tree = fn(applies ? "force_atomic" : "allow_reinit", false).replace("MASK", mask);
    return reviewWithTree(new Map([[path, tree]]), { files: [{ path, before: fn("force_atomic", false).replace("MASK", mask), after: fn("force_atomic", true).replace("MASK", mask) }] }, [rule]);
  };

  it("takes the gfp_t from the tree's definition and names the caller that passes GFP_NOIO", async () => {
    const f = await review("GFP_NOIO", false);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[14, "warning"]]);
    expect(f[0]!.message).toContain("gfp");
  });
  it("is quiet when every caller passes GFP_KERNEL", async () => {
    expect((await review("GFP_KERNEL", false)).filter((x) => x.severity !== "info")).toEqual([]);
  });
  it("the patch that applies reads the whole definition the same way", async () => {
    expect((await review("GFP_NOIO", true)).map((x) => [x.line, x.severity])).toEqual([[14, "warning"]]);
  });
});

describe("ignores-gfp-param on a site the hazard rules only note (a buffer allocated while its field is empty)", () => {
  // written for this test: a queue_rq handler hands GFP_NOIO to a set-up helper that fills an empty field with
  // GFP_KERNEL; the IO-path rule notes it (first use), and the ignored parameter is said here
  const file = (mask: string | null) => `static int widget_get_buf(struct widget_cmd *cmd, size_t len, gfp_t gfp)
{
	if (cmd->buf)
		return 0;
	cmd->buf = ${mask ? `kmalloc(len, ${mask})` : "widget_spare_buf(cmd, len)"};
	return cmd->buf ? 0 : -ENOMEM;
}

static blk_status_t widget_queue_rq(struct blk_mq_hw_ctx *hctx,
		const struct blk_mq_queue_data *bd)
{
	struct widget_cmd *cmd = blk_mq_rq_to_pdu(bd->rq);

	if (widget_get_buf(cmd, blk_rq_bytes(bd->rq), GFP_NOIO))
		return BLK_STS_RESOURCE;
	blk_mq_start_request(bd->rq);
	return widget_send(cmd);
}
`;
  const path = "drivers/block/widget.c";
  const review = (rules: Parameters<typeof reviewWithTree>[2]) => reviewWithTree(new Map([[path, file(null)]]), { files: [{ path, before: file(null), after: file("GFP_KERNEL") }] }, rules);
  it("warns, naming the caller that passes GFP_NOIO", async () => {
    const f = await review([rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
    expect(f[0]!.message).toContain("GFP_NOIO");
  });
  it("the IO-path rule only notes the same site", async () => {
    const f = await review([ioPathRule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[5, "info"]]);
  });
});

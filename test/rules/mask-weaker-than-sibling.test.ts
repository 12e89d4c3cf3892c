import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/gfp-context/mask-weaker-than-sibling.js";
import { ruleTester, runRule } from "../helpers/rule-tester.js";

// Fixtures written for these tests, modelled on a filesystem's compression helper: output pages come from
// alloc_page() with the function's reclaim context, and the patch adds a page array and a scatterlist.
const pack = (arrayMask: string, pageMask: string, extra = "") => `static int quill_pack_pages(struct quill_ctx *ctx, unsigned int nr)
{
	struct page **pages;
	unsigned int i;
	int ret;

${extra}	pages = kcalloc(nr, sizeof(*pages), ${arrayMask});
	if (!pages)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		pages[i] = alloc_page(${pageMask} | __GFP_HIGHMEM);
		if (!pages[i]) {
			ret = -ENOMEM;
			goto out;
		}
	}
	ret = quill_compress(ctx, pages, nr);
out:
	quill_free_pages(pages, nr);
	return ret;
}
`;

/** The same function before the patch: the page array came from the context, no allocation. */
const packBefore = (pageMask: string) =>
  pack("GFP_KERNEL", pageMask)
    .replace("\tstruct page **pages;\n", "\tstruct page **pages = ctx->pages;\n")
    .replace("\tpages = kcalloc(nr, sizeof(*pages), GFP_KERNEL);\n\tif (!pages)\n\t\treturn -ENOMEM;\n", "");

// the NOFS sibling is taken under a mutex the new allocation does not hold
const locked = `static int quill_pack_meta(struct quill_ctx *ctx, unsigned int nr)
{
	struct quill_meta *m;
	void *buf;

	buf = kmalloc(nr, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	mutex_lock(&ctx->meta_mutex);
	m = kmalloc(sizeof(*m), GFP_NOFS);
	if (m)
		quill_fill_meta(ctx, m, buf);
	mutex_unlock(&ctx->meta_mutex);
	kfree(buf);
	return m ? 0 : -ENOMEM;
}
`;

ruleTester(rule, {
  valid: [
    { name: "the new allocation uses the sibling's mask", patch: { files: [{ path: "fs/quill/compress.c", before: packBefore("GFP_NOFS"), after: pack("GFP_NOFS", "GFP_NOFS") }] } },
    { name: "the sibling is atomic (no reclaim at all: it says nothing about the context)", patch: { files: [{ path: "fs/quill/compress.c", before: packBefore("GFP_NOWAIT"), after: pack("GFP_KERNEL", "GFP_NOWAIT") }] } },
    { name: "the sibling's NOFS is taken under a mutex the new allocation does not hold", patch: { files: [{ path: "fs/quill/meta.c", before: locked.replace("\tbuf = kmalloc(nr, GFP_KERNEL);\n\tif (!buf)\n\t\treturn -ENOMEM;\n", "\tbuf = ctx->buf;\n"), after: locked }] } },
    { name: "the allocation was already there with the same mask (the patch only reformats around it)", patch: { files: [{ path: "fs/quill/compress.c", before: pack("GFP_KERNEL", "GFP_NOFS"), after: pack("GFP_KERNEL", "GFP_NOFS").replace("\tunsigned int i;\n", "\tunsigned int i = 0;\n") }] } },
    { name: "a NOFS scope is open over the new allocation", patch: { files: [{ path: "fs/quill/compress.c", before: packBefore("GFP_NOFS"), after: pack("GFP_KERNEL", "GFP_NOFS", "\tunsigned int nofs = memalloc_nofs_save();\n\n").replace("\tquill_free_pages(pages, nr);\n", "\tquill_free_pages(pages, nr);\n\tmemalloc_nofs_restore(nofs);\n") }] } },
    {
      name: "a retry wait given GFP_KERNEL beside a NOFS allocation: memalloc_retry_wait() reads the mask, it does not allocate",
      patch: {
        files: [
          {
            path: "fs/quill/meta.c",
            before: "static struct page *quill_get(void)\n{\n\tstruct page *p;\n\n\twhile (!(p = alloc_page(GFP_NOFS)))\n\t\tquill_wait();\n\treturn p;\n}\n",
            after: "static struct page *quill_get(void)\n{\n\tstruct page *p;\n\n\twhile (!(p = alloc_page(GFP_NOFS)))\n\t\tmemalloc_retry_wait(GFP_KERNEL);\n\treturn p;\n}\n",
          },
        ],
      },
    },
    { name: "the mask is the caller's (a variable): what it holds is the caller's business", patch: { files: [{ path: "fs/quill/compress.c", before: packBefore("GFP_NOFS").replace("unsigned int nr)", "unsigned int nr, gfp_t gfp)"), after: pack("gfp", "GFP_NOFS").replace("unsigned int nr)", "unsigned int nr, gfp_t gfp)") }] } },
  ],
  invalid: [
    {
      name: "kcalloc(GFP_KERNEL) added beside alloc_page(GFP_NOFS) in the same function",
      patch: { files: [{ path: "fs/quill/compress.c", before: packBefore("GFP_NOFS"), after: pack("GFP_KERNEL", "GFP_NOFS") }] },
      errors: [{ messageId: "weaker", line: 7, severity: "warning" }],
    },
    {
      name: "GFP_KERNEL beside GFP_NOIO: reclaim may start IO the other allocation avoids",
      patch: { files: [{ path: "drivers/block/quill.c", before: packBefore("GFP_NOIO"), after: pack("GFP_KERNEL", "GFP_NOIO") }] },
      errors: [{ messageId: "weaker", line: 7 }],
    },
    {
      name: "GFP_NOFS beside GFP_NOIO still lets reclaim start IO",
      patch: { files: [{ path: "drivers/block/quill.c", before: packBefore("GFP_NOIO"), after: pack("GFP_NOFS", "GFP_NOIO") }] },
      errors: [{ messageId: "weaker", line: 7 }],
    },
    {
      name: "the NOFS sibling holds the mutex and so does the new allocation",
      patch: { files: [{ path: "fs/quill/meta.c", before: locked.replace("\tif (m)\n", "\tbuf = kzalloc(nr, GFP_KERNEL);\n\tif (m)\n").replace("\tbuf = kmalloc(nr, GFP_KERNEL);\n\tif (!buf)\n\t\treturn -ENOMEM;\n", "\tbuf = NULL;\n").replace("\tbuf = kzalloc(nr, GFP_KERNEL);\n", ""), after: locked.replace("\tif (m)\n", "\tbuf = kzalloc(nr, GFP_KERNEL);\n\tif (m)\n").replace("\tbuf = kmalloc(nr, GFP_KERNEL);\n\tif (!buf)\n\t\treturn -ENOMEM;\n", "\tbuf = NULL;\n") }] },
      errors: [{ messageId: "weaker", line: 9 }],
    },
  ],
});

describe("mask-weaker-than-sibling wording", () => {
  it("names the sibling, its line and what is held there", () => {
    const [f] = runRule(rule, { files: [{ path: "fs/quill/compress.c", before: packBefore("GFP_NOFS"), after: pack("GFP_KERNEL", "GFP_NOFS") }] });
    expect(f!.message).toContain("allocates with GFP_NOFS at line 11 (alloc_page()) with nothing held");
    expect(f!.message).toContain("lets reclaim call into the filesystem");
  });
});

import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/gfp-context/mapping-mask-ignored.js";
import { ruleTester, runRule } from "../helpers/rule-tester.js";
import { reviewWithTree } from "../helpers/tree-review.js";

// Fixtures written for these tests: a generic read-a-page helper of a page cache, and a filesystem's own
// metadata cache that grabs pages of its inode's mapping.
const readPage = (alloc: string, before = "") => `static int plonk_read_one(struct file *file, pgoff_t index)
{
	struct address_space *mapping = file->f_mapping;
	struct page *page;
	int err;
${before}
	page = ${alloc};
	if (!page)
		return -ENOMEM;
	err = plonk_add_to_cache(page, mapping, index);
	put_page(page);
	return err;
}
`;
const oldRead = readPage("__page_cache_alloc(mapping_gfp_mask(mapping))");
const path = "mm/plonk-cache.c";
const kernelMask = { path, before: oldRead, after: readPage("__page_cache_alloc(GFP_KERNEL)") };

const metaFile = (mask: string) => `static struct page *quill_meta_page(struct inode *inode, pgoff_t index)
{
	struct page *page;

	page = find_or_create_page(inode->i_mapping, index,
				   ${mask});
	if (!page)
		return ERR_PTR(-ENOMEM);
	return page;
}
`;
const quillInit = (mask: string) => `static void quill_init_meta_inode(struct inode *inode)
{
	inode->i_mapping->a_ops = &quill_meta_aops;
	mapping_set_gfp_mask(inode->i_mapping, ${mask});
}
`;

ruleTester(rule, {
  valid: [
    { name: "the mask still derives from the mapping", patch: { files: [{ path, before: oldRead, after: readPage("__page_cache_alloc(mapping_gfp_constraint(mapping, GFP_KERNEL))") }] } },
    { name: "a written-out mask that clears __GFP_FS", patch: { files: [{ path, before: oldRead, after: readPage("__page_cache_alloc(GFP_NOFS)") }] } },
    {
      name: "a GFP_KERNEL allocation added where no mapping mask was taken",
      patch: { files: [{ path, before: readPage("plonk_spare_page(mapping)"), after: readPage("__page_cache_alloc(GFP_KERNEL)") }] },
    },
    {
      name: "under a NOFS scope opened in the lines shown",
      patch: {
        files: [
          {
            path,
            before: oldRead.replace("\tint err;\n", "\tint err;\n\tunsigned int nofs = memalloc_nofs_save();\n").replace("\treturn err;\n", "\tmemalloc_nofs_restore(nofs);\n\treturn err;\n"),
            after: readPage("__page_cache_alloc(GFP_KERNEL)").replace("\tint err;\n", "\tint err;\n\tunsigned int nofs = memalloc_nofs_save();\n").replace("\treturn err;\n", "\tmemalloc_nofs_restore(nofs);\n\treturn err;\n"),
          },
        ],
      },
    },
    { name: "the mapping's mask named only in a deleted comment", patch: { files: [{ path, before: readPage("plonk_spare_page(mapping)", "\t/* was: mapping_gfp_mask(mapping) */"), after: readPage("__page_cache_alloc(GFP_KERNEL)") }] } },
  ],
  invalid: [
    {
      name: "the mapping's mask replaced by GFP_KERNEL in generic code (diff only: info, the mappings that reach it unknown)",
      patch: { files: [kernelMask] },
      errors: [{ messageId: "unknown", line: 7, severity: "info", file: path }],
    },
    {
      name: "the same call given GFP_KERNEL instead of the mapping's mask, the patch restricting that filesystem's mappings",
      patch: {
        files: [
          { path: "fs/quill/meta.c", before: metaFile("mapping_gfp_mask(inode->i_mapping)"), after: metaFile("GFP_KERNEL") },
          { path: "fs/quill/inode.c", before: quillInit("GFP_KERNEL"), after: quillInit("GFP_NOFS") },
        ],
      },
      errors: [{ messageId: "restricted", line: 6, severity: "warning", file: "fs/quill/meta.c" }],
    },
    {
      name: "a helper that took the mapping's mask (grab_cache_page) replaced by a written-out mask",
      patch: { files: [{ path: "fs/quill/meta.c", before: metaFile("mapping_gfp_mask(inode->i_mapping)").replace(/find_or_create_page\(inode->i_mapping, index,\n\t+mapping_gfp_mask\(inode->i_mapping\)\)/, "grab_cache_page(inode->i_mapping, index)"), after: metaFile("GFP_USER") }] },
      errors: [{ messageId: "unknown", line: 6 }],
    },
  ],
});

describe("mapping-mask-ignored wording", () => {
  it("names the call replaced, the mapping and the missing fact", () => {
    const [f] = runRule(rule, { files: [kernelMask] });
    expect(f!.message).toContain("__page_cache_alloc(GFP_KERNEL) in plonk_read_one() replaces mapping_gfp_mask(mapping) (line 7 before)");
    expect(f!.message).toContain("no longer obeys mapping's own gfp mask");
    expect(f!.message).toContain("which mappings reach it is not visible in the patch");
    expect(f!.fix).toContain("mapping_gfp_constraint(mapping, GFP_KERNEL)");
  });

  it("names where the patch restricts the mappings", () => {
    const [f] = runRule(rule, {
      files: [
        { path: "fs/quill/meta.c", before: metaFile("mapping_gfp_mask(inode->i_mapping)"), after: metaFile("GFP_KERNEL") },
        { path: "fs/quill/inode.c", before: quillInit("GFP_KERNEL"), after: quillInit("GFP_NOFS") },
      ],
    });
    expect(f!.message).toContain("fs/quill/inode.c:4 clears __GFP_FS in this code's mappings");
  });
});

describe("mapping-mask-ignored with a tree", () => {
  const inode = quillInit("GFP_NOFS");
  const tree = (meta: string) =>
    new Map([
      ["fs/quill/meta.c", meta],
      ["fs/quill/inode.c", inode],
    ]);
  const spec = { files: [{ path: "fs/quill/meta.c", before: metaFile("mapping_gfp_mask(inode->i_mapping)"), after: metaFile("GFP_KERNEL") }] };

  it("warns when the function's directory clears __GFP_FS in its mappings, naming where", async () => {
    const f = await reviewWithTree(tree(metaFile("mapping_gfp_mask(inode->i_mapping)")), spec, [rule]);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[6, "warning", "restricted"]]);
    expect(f[0]!.message).toContain("quill_init_meta_inode() (fs/quill/inode.c:4) clears __GFP_FS");
  });

  it("judges each directory of a patch by its own code", async () => {
    const both = new Map([
      ["fs/quill/meta.c", metaFile("mapping_gfp_mask(inode->i_mapping)")],
      ["fs/quill/inode.c", inode],
      ["mm/plonk-cache.c", oldRead],
    ]);
    // the restricting directory first: its restriction must not carry over to the other
    const f = await reviewWithTree(both, { files: [spec.files[0]!, { path: "mm/plonk-cache.c", before: oldRead, after: readPage("__page_cache_alloc(GFP_KERNEL)") }] }, [rule]);
    expect(f.map((x) => [x.file, x.severity, x.messageId]).sort()).toEqual([
      ["fs/quill/meta.c", "warning", "restricted"],
      ["mm/plonk-cache.c", "info", "unknown"],
    ]);
  });

  it("stays at info when no code of the directory restricts its mappings, and says what was not followed", async () => {
    const open = new Map([
      ["fs/quill/meta.c", metaFile("mapping_gfp_mask(inode->i_mapping)")],
      ["fs/quill/inode.c", quillInit("GFP_HIGHUSER_MOVABLE")],
    ]);
    const f = await reviewWithTree(open, spec, [rule]);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[6, "info", "unknown"]]);
    expect(f[0]!.message).toContain("no code in fs/quill/ restricts its mappings");
  });
});

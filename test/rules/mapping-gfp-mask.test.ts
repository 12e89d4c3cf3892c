import { rule } from "../../src/rules/gfp-context/mapping-gfp-mask.js";
import { describe, expect, it } from "vitest";
import { ruleTester, runRule } from "../helpers/rule-tester.js";

const before = `static void fooish_set_aops(struct inode *inode)
{
	inode->i_mapping->a_ops = &fooish_aops;
}
`;

ruleTester(rule, {
  valid: [
    {
      name: "mask that keeps __GFP_FS (only adds __GFP_NOWARN)",
      patch: {
        files: [{ path: "fs/fooish/inode.c", before, after: before.replace("aops;\n", "aops;\n\tmapping_set_gfp_mask(inode->i_mapping, mapping_gfp_mask(inode->i_mapping) | __GFP_NOWARN);\n") }],
      },
    },
    {
      name: "memalloc_nofs_save() scope in the caller instead",
      patch: {
        files: [{ path: "fs/fooish/inode.c", before, after: before.replace("aops;\n", "aops;\n\tflags = memalloc_nofs_save();\n\tmemalloc_nofs_restore(flags);\n") }],
      },
    },
    {
      name: "the clearing call is removed, not added",
      patch: {
        files: [
          {
            path: "fs/fooish/inode.c",
            before: before.replace("aops;\n", "aops;\n\tmapping_set_gfp_mask(inode->i_mapping, gfp & ~__GFP_FS);\n"),
            after: before,
          },
        ],
      },
    },
    {
      name: "a comment that mentions mapping_set_gfp_mask with ~__GFP_FS",
      patch: {
        files: [{ path: "fs/fooish/inode.c", before, after: before.replace("aops;\n", "aops;\n\t/* no mapping_set_gfp_mask(m, gfp & ~__GFP_FS) here: see PR_SET_IO_FLUSHER */\n") }],
      },
    },
  ],
  invalid: [
    {
      name: "ext4-style: clear __GFP_FS in the aops setup",
      patch: {
        files: [
          {
            path: "fs/fooish/inode.c",
            before,
            after: before.replace("aops;\n", "aops;\n\tgfp = mapping_gfp_mask(inode->i_mapping);\n\tmapping_set_gfp_mask(inode->i_mapping, gfp & ~(__GFP_FS));\n"),
          },
        ],
      },
      errors: [{ messageId: "clearsFs", line: 5, file: "fs/fooish/inode.c", severity: "warning" }],
    },
    {
      name: "GFP_NOFS set as the mapping mask",
      patch: { files: [{ path: "fs/fooish/inode.c", before, after: before.replace("aops;\n", "aops;\n\tmapping_set_gfp_mask(inode->i_mapping, GFP_NOFS);\n") }] },
      errors: [{ messageId: "clearsFs", line: 4 }],
    },
    {
      name: "call split over two lines clearing __GFP_IO and __GFP_FS",
      patch: {
        files: [
          {
            path: "drivers/block/fooblk.c",
            before,
            after: before.replace("aops;\n", "aops;\n\tmapping_set_gfp_mask(inode->i_mapping,\n\t\tmapping_gfp_mask(inode->i_mapping) & ~(__GFP_IO | __GFP_FS));\n"),
          },
        ],
      },
      errors: [{ messageId: "clearsFs", line: 4 }],
    },
  ],
});

describe("mapping-gfp-mask: a call the patch moves", () => {
  const setup = `static void fooish_init_meta(struct fooish_sb *sbi)
{
	struct address_space *mapping = fooish_meta_mapping(sbi);

	mapping->a_ops = &fooish_meta_aops;
	mapping_set_gfp_mask(mapping, GFP_NOFS);
}

static int fooish_fill_super(struct super_block *sb)
{
	struct fooish_sb *sbi = sb->s_fs_info;

	return fooish_read_super(sbi);
}
`;
  const moved = setup
    .replace("\tmapping->a_ops = &fooish_meta_aops;\n\tmapping_set_gfp_mask(mapping, GFP_NOFS);\n", "\tmapping->a_ops = &fooish_meta_aops;\n")
    .replace("\treturn fooish_read_super(sbi);", "\tmapping_set_gfp_mask(fooish_meta_mapping(sbi), GFP_NOFS);\n\treturn fooish_read_super(sbi);");
  it("the same call deleted in another function of the file and added here: pre-existing, with where it came from", () => {
    const same = moved.replace("mapping_set_gfp_mask(fooish_meta_mapping(sbi), GFP_NOFS);", "mapping_set_gfp_mask(mapping, GFP_NOFS);").replace("\tstruct fooish_sb *sbi = sb->s_fs_info;\n", "\tstruct fooish_sb *sbi = sb->s_fs_info;\n\tstruct address_space *mapping = fooish_meta_mapping(sbi);\n");
    const f = runRule(rule, { files: [{ path: "fs/fooish/super.c", before: setup, after: same }] });
    expect(f.map((x) => [x.messageId, x.preExisting])).toEqual([["clearsFs", true]]);
    expect(f[0]!.message).toContain("the patch moves this call from line 6 of the old file");
  });
  it("another call (another mapping expression) is new", () => {
    const f = runRule(rule, { files: [{ path: "fs/fooish/super.c", before: setup, after: moved }] });
    expect(f.map((x) => [x.messageId, Boolean(x.preExisting)])).toEqual([["clearsFs", false]]);
  });
});

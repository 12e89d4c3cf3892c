import { rule } from "../../src/rules/gfp-context/mapping-gfp-mask.js";
import { ruleTester } from "../helpers/rule-tester.js";

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

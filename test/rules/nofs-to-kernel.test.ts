import { rule } from "../../src/rules/gfp-context/nofs-to-kernel.js";
import { ruleTester } from "../helpers/rule-tester.js";

const scrub = (mask: string) => `static int frob_scrub_pages(struct frob_scrub *sc, u64 logical)
{
	struct frob_block *blk;

	blk = kzalloc(sizeof(*blk), ${mask});
	if (!blk)
		return -ENOMEM;
	return frob_scrub_submit(sc, blk, logical);
}
`;

const ioctl = (mask: string) => `static long frob_ioctl_get_label(struct frob_fs *fs, void __user *arg)
{
	char *label;

	label = kmalloc(FROB_LABEL_MAX, ${mask});
	if (!label)
		return -ENOMEM;
	return frob_copy_label(fs, label, arg);
}
`;

const trans = (mask: string) => `static int frob_set_xattr(struct frob_inode *fi, const void *val, size_t len)
{
	struct frob_trans *t;
	void *buf;

	t = frob_start_transaction(fi->root, 1);
	buf = kmemdup(val, len, ${mask});
	return frob_trans_xattr(t, fi, buf, len);
}
`;

const scoped = `static int frob_relocate(struct frob_fs *fs)
{
	unsigned int nofs;
	int ret;

	nofs = memalloc_nofs_save();
	ret = frob_move_extents(fs);
	memalloc_nofs_restore(nofs);
	return ret;
}
`;

// a helper whose GFP_NOFS becomes a gfp_t parameter, and a caller far enough below to get its own hunk
const rootHelper = (sig: string, mask: string, call: string) => `static struct frob_root *frob_alloc_root(struct frob_fs *fs${sig})
{
	struct frob_root *root = kzalloc(sizeof(*root), ${mask});

	return root;
}

static void frob_root_free(struct frob_root *root)
{
	kfree(root->node);
	kfree(root->name);
	kfree(root);
}

static int frob_make_tree(struct frob_fs *fs)
{
	struct frob_root *root;

	root = frob_alloc_root(fs${call});
	if (!root)
		return -ENOMEM;
	return frob_link_root(fs, root);
}
`;

// a long function taking a journal handle: the change is far below its definition
const handled = (mask: string) => `static int frob_update_item(handle_t *handle, struct frob_inode *fi)
{
	struct frob_item *item;
	int err;

	err = frob_lookup(fi);
	if (err)
		return err;
	item = kzalloc(sizeof(*item), ${mask});
	if (!item)
		return -ENOMEM;
	return frob_write_item(handle, fi, item);
}
`;

const balance = (mask: string) => ioctl(mask).replace("frob_ioctl_get_label", "frob_ioctl_balance");

ruleTester(rule, {
  valid: [
    {
      name: "scope removed but the patch puts GFP_NOFS on the allocations in another file",
      patch: {
        files: [
          { path: "fs/frob/reloc.c", before: scoped, after: scoped.replace("\tnofs = memalloc_nofs_save();\n", "").replace("\tmemalloc_nofs_restore(nofs);\n", "") },
          { path: "fs/frob/extent.c", before: scrub("GFP_KERNEL").replace("frob_scrub_pages", "frob_move_one"), after: scrub("GFP_NOFS").replace("frob_scrub_pages", "frob_move_one") },
        ],
      },
    },
    {
      name: "GFP_KERNEL passed to a helper whose own mask did not change in this patch",
      patch: { files: [{ path: "fs/frob/root.c", before: rootHelper(", gfp_t gfp", "gfp", ", GFP_KERNEL").replace("frob_alloc_root(fs, GFP_KERNEL);", "frob_get_root(fs);"), after: rootHelper(", gfp_t gfp", "gfp", ", GFP_KERNEL") }] },
    },
    {
      name: "filesystem self-test code",
      patch: { files: [{ path: "fs/frob/tests/alloc-tests.c", before: scrub("GFP_NOFS"), after: scrub("GFP_KERNEL") }] },
    },
    {
      name: "conversion outside fs/",
      patch: { files: [{ path: "drivers/char/frob.c", before: scrub("GFP_NOFS"), after: scrub("GFP_KERNEL") }] },
    },
    {
      name: "conversion under a memalloc_nofs_save() scope added by the same patch",
      patch: {
        files: [
          {
            path: "fs/frob/scrub.c",
            before: scrub("GFP_NOFS"),
            after: scrub("GFP_KERNEL").replace("\tblk = kzalloc", "\tnofs = memalloc_nofs_save();\n\tblk = kzalloc").replace("\tif (!blk)\n", "\tmemalloc_nofs_restore(nofs);\n\tif (!blk)\n"),
          },
        ],
      },
    },
    {
      name: "GFP_KERNEL -> GFP_NOFS (the other direction)",
      patch: { files: [{ path: "fs/frob/scrub.c", before: scrub("GFP_KERNEL"), after: scrub("GFP_NOFS") }] },
    },
    {
      name: "scope moved to the caller in the same file",
      patch: {
        files: [
          {
            path: "fs/frob/reloc.c",
            before: scoped + "\nint frob_balance(struct frob_fs *fs)\n{\n\treturn frob_relocate(fs);\n}\n",
            after:
              scoped.replace("\tnofs = memalloc_nofs_save();\n", "").replace("\tmemalloc_nofs_restore(nofs);\n", "") +
              "\nint frob_balance(struct frob_fs *fs)\n{\n\tunsigned int nofs = memalloc_nofs_save();\n\tint ret = frob_relocate(fs);\n\n\tmemalloc_nofs_restore(nofs);\n\treturn ret;\n}\n",
          },
        ],
      },
    },
  ],
  invalid: [
    {
      name: "ioctl entry named after a risky operation (balance) holding nothing: info, not a warning",
      patch: { files: [{ path: "fs/frob/ioctl.c", before: balance("GFP_NOFS"), after: balance("GFP_KERNEL") }] },
      errors: [{ messageId: "toKernelControl", line: 5, severity: "info" }],
    },
    {
      name: "mount-context justification in the changelog: info",
      patch: { message: "These structures are only allocated from mount context, so GFP_KERNEL is fine.", files: [{ path: "fs/frob/wq.c", before: trans("GFP_NOFS").replace("\tt = frob_start_transaction(fi->root, 1);\n", "").replace("frob_set_xattr", "frob_wq_dup"), after: trans("GFP_KERNEL").replace("\tt = frob_start_transaction(fi->root, 1);\n", "").replace("frob_set_xattr", "frob_wq_dup") }] },
      errors: [{ messageId: "toKernelControl", severity: "info" }],
    },
    {
      name: "open_ctree-style mount setup is a control path: info",
      patch: { files: [{ path: "fs/frob/disk-io.c", before: ioctl("GFP_NOFS").replace("frob_ioctl_get_label", "frob_open_ctree"), after: ioctl("GFP_KERNEL").replace("frob_ioctl_get_label", "frob_open_ctree") }] },
      errors: [{ messageId: "toKernelControl", severity: "info" }],
    },
    {
      name: "helper's GFP_NOFS became a gfp parameter: the caller passing GFP_KERNEL is the conversion",
      patch: { files: [{ path: "fs/frob/root.c", before: rootHelper("", "GFP_NOFS", ""), after: rootHelper(", gfp_t gfp", "gfp", ", GFP_KERNEL") }] },
      errors: [{ messageId: "toKernel", line: 19, severity: "warning" }],
    },
    {
      name: "journal handle parameter in the hunk header counts as held, even in a mount-justified patch",
      patch: { message: "Only called from mount context.", files: [{ path: "fs/frob/item.c", before: handled("GFP_NOFS"), after: handled("GFP_KERNEL") }] },
      errors: [{ messageId: "toKernel", line: 9, severity: "warning" }],
    },
    {
      name: "several control-path conversions: one patch-level info",
      patch: {
        files: [
          { path: "fs/frob/ioctl.c", before: ioctl("GFP_NOFS") + "\n" + balance("GFP_NOFS").replace("frob_ioctl_balance", "frob_ioctl_set_label").replace(/FROB_LABEL_MAX/g, "FROB_LABEL_LEN"), after: ioctl("GFP_KERNEL") + "\n" + balance("GFP_KERNEL").replace("frob_ioctl_balance", "frob_ioctl_set_label").replace(/FROB_LABEL_MAX/g, "FROB_LABEL_LEN") },
          { path: "fs/frob/super.c", before: ioctl("GFP_NOFS").replace("frob_ioctl_get_label", "frob_fill_super"), after: ioctl("GFP_KERNEL").replace("frob_ioctl_get_label", "frob_fill_super") },
        ],
      },
      errors: [{ messageId: "toKernelControlMany", severity: "info", file: null, line: null }],
    },
    {
      name: "near miss: GFP_NOFS -> GFP_KERNEL in an ioctl path that holds nothing is only info",
      patch: { files: [{ path: "fs/frob/ioctl.c", before: ioctl("GFP_NOFS"), after: ioctl("GFP_KERNEL") }] },
      errors: [{ messageId: "toKernelControl", line: 5, severity: "info" }],
    },
    {
      name: "scrub submission path: GFP_NOFS -> GFP_KERNEL",
      patch: { files: [{ path: "fs/frob/scrub.c", before: scrub("GFP_NOFS"), after: scrub("GFP_KERNEL") }] },
      errors: [{ messageId: "toKernel", line: 5, severity: "warning" }],
    },
    {
      name: "conversion with a transaction visible in the hunk",
      patch: { files: [{ path: "fs/frob/xattr.c", before: trans("GFP_NOFS"), after: trans("GFP_KERNEL") }] },
      errors: [{ messageId: "toKernel", line: 7, severity: "warning" }],
    },
    {
      name: "ioctl path that starts a transaction stays a warning",
      patch: {
        files: [
          {
            path: "fs/frob/ioctl.c",
            before: ioctl("GFP_NOFS").replace("\tchar *label;\n", "\tchar *label;\n\tstruct frob_trans *t = frob_start_transaction(fs->root, 1);\n"),
            after: ioctl("GFP_KERNEL").replace("\tchar *label;\n", "\tchar *label;\n\tstruct frob_trans *t = frob_start_transaction(fs->root, 1);\n"),
          },
        ],
      },
      errors: [{ messageId: "toKernel", severity: "warning" }],
    },
    {
      name: "mount path conversion is information only",
      patch: {
        files: [{ path: "fs/frob/super.c", before: ioctl("GFP_NOFS").replace("frob_ioctl_get_label", "frob_fill_super"), after: ioctl("GFP_KERNEL").replace("frob_ioctl_get_label", "frob_fill_super") }],
      },
      errors: [{ messageId: "toKernelControl", severity: "info" }],
    },
    {
      name: "changelog explains no transaction is held: info",
      patch: { message: "Reading the label is called from the ioctl handler only; no transaction is held.", files: [{ path: "fs/frob/label.c", before: trans("GFP_NOFS").replace("\tt = frob_start_transaction(fi->root, 1);\n", "").replace("frob_set_xattr", "frob_label_dup"), after: trans("GFP_KERNEL").replace("\tt = frob_start_transaction(fi->root, 1);\n", "").replace("frob_set_xattr", "frob_label_dup") }] },
      errors: [{ messageId: "toKernelControl", severity: "info" }],
    },
    {
      name: "changelog claims safety but the path is scrub: still a warning",
      patch: { message: "Scrub is not on the critical writeback path, use GFP_KERNEL.", files: [{ path: "fs/frob/scrub.c", before: scrub("GFP_NOFS"), after: scrub("GFP_KERNEL") }] },
      errors: [{ messageId: "toKernel", severity: "warning" }],
    },
    {
      name: "memalloc_nofs_save() scope removed",
      patch: {
        files: [{ path: "fs/frob/reloc.c", before: scoped, after: scoped.replace("\tnofs = memalloc_nofs_save();\n", "").replace("\tmemalloc_nofs_restore(nofs);\n", "") }],
      },
      errors: [{ messageId: "scopeRemoved", severity: "warning", file: "fs/frob/reloc.c" }],
    },
  ],
});

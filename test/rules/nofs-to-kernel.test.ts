import { rule } from "../../src/rules/gfp-context/nofs-to-kernel.js";
import { ruleTester } from "../helpers/rule-tester.js";

// Written for these tests, modelled on filesystem code: a relaxation is judged by
// what the analysis can see (held locks, handles, roles), never by names or the changelog.
const scrub = (mask: string) => `static int frob_scrub_pages(struct frob_scrub *sc, u64 logical)
{
	struct frob_block *blk;

	blk = kzalloc(sizeof(*blk), ${mask});
	if (!blk)
		return -ENOMEM;
	return frob_scrub_submit(sc, blk, logical);
}
`;

const locked = (mask: string) => `static int frob_grow_map(struct frob_fs *fs, unsigned int n)
{
	struct frob_map *m;

	mutex_lock(&fs->map_mutex);
	m = kvmalloc(n * sizeof(*m), ${mask});
	if (!m) {
		mutex_unlock(&fs->map_mutex);
		return -ENOMEM;
	}
	frob_swap_map(fs, m);
	mutex_unlock(&fs->map_mutex);
	return 0;
}
`;

const scoped = `static int frob_relocate(struct frob_fs *fs)
{
	unsigned int nofs;
	int ret;

	nofs = memalloc_nofs_save();
	fs->reloc = kzalloc(sizeof(*fs->reloc), GFP_KERNEL);
	ret = frob_do_relocate(fs);
	memalloc_nofs_restore(nofs);
	return ret;
}
`;

const unscoped = `static int frob_relocate(struct frob_fs *fs)
{
	int ret;

	fs->reloc = kzalloc(sizeof(*fs->reloc), GFP_KERNEL);
	ret = frob_do_relocate(fs);
	return ret;
}
`;

const trans = (mask: string) => `static int frob_set_xattr(struct btrfs_trans_handle *trans, struct frob_inode *fi, const void *val, size_t len)
{
	void *buf;

	buf = kmemdup(val, len, ${mask});
	return frob_trans_xattr(trans, fi, buf, len);
}
`;

ruleTester(rule, {
  valid: [
    { name: "GFP_KERNEL -> GFP_NOFS (the other direction)", patch: { files: [{ path: "fs/frob/scrub.c", before: scrub("GFP_KERNEL"), after: scrub("GFP_NOFS") }] } },
    {
      name: "conversion under a memalloc_nofs_save() scope the same patch adds",
      patch: {
        files: [
          {
            path: "fs/frob/reloc.c",
            before: scoped.replace("\tnofs = memalloc_nofs_save();\n", "").replace("\tmemalloc_nofs_restore(nofs);\n", "").replace("GFP_KERNEL", "GFP_NOFS"),
            after: scoped,
          },
        ],
      },
    },
    {
      name: "the scope moves to the caller in the same patch",
      patch: {
        files: [
          {
            path: "fs/frob/reloc.c",
            before: `${scoped}\nstatic int frob_balance(struct frob_fs *fs)\n{\n\treturn frob_relocate(fs);\n}\n`,
            after: `${unscoped}\nstatic int frob_balance(struct frob_fs *fs)\n{\n\tunsigned int nofs = memalloc_nofs_save();\n\tint ret = frob_relocate(fs);\n\n\tmemalloc_nofs_restore(nofs);\n\treturn ret;\n}\n`,
          },
        ],
      },
    },
    {
      name: "a transaction handle passed in: alloc-while-holding warns, this rule stays quiet",
      patch: { files: [{ path: "fs/frob/xattr.c", before: trans("GFP_NOFS"), after: trans("GFP_KERNEL") }] },
    },
    {
      name: "an unrelated GFP_KERNEL allocation added next to an unchanged GFP_NOFS one",
      patch: { files: [{ path: "fs/frob/scrub.c", before: scrub("GFP_NOFS"), after: scrub("GFP_NOFS").replace("\tif (!blk)\n", "\tsc->log = kmalloc(64, GFP_KERNEL);\n\tif (!blk)\n") }] },
    },
  ],
  invalid: [
    {
      name: "GFP_NOFS -> GFP_KERNEL with nothing visible: info naming what was not checked",
      patch: { files: [{ path: "fs/frob/scrub.c", before: scrub("GFP_NOFS"), after: scrub("GFP_KERNEL") }] },
      errors: [{ messageId: "relaxedUnknown", line: 5, severity: "info" }],
    },
    {
      name: "the changelog's claim does not silence it (it is a claim to verify)",
      patch: {
        message: "This is only called from the ioctl path, where no transaction is held, so GFP_KERNEL is fine.",
        files: [{ path: "fs/frob/scrub.c", before: scrub("GFP_NOFS"), after: scrub("GFP_KERNEL") }],
      },
      errors: [{ messageId: "relaxedUnknown", line: 5, severity: "info" }],
    },
    {
      name: "relaxed under a mutex held in the function: whether reclaim takes it is the missing fact",
      patch: { files: [{ path: "fs/frob/map.c", before: locked("GFP_NOFS"), after: locked("GFP_KERNEL") }] },
      errors: [{ messageId: "relaxedLock", line: 6, severity: "info" }],
    },
    {
      name: "memalloc_nofs_save() scope removed",
      patch: { files: [{ path: "fs/frob/reloc.c", before: scoped, after: unscoped }] },
      errors: [{ messageId: "scopeRemoved", line: 5, severity: "info" }],
    },
    {
      name: "GFP_NOIO -> GFP_KERNEL in a block helper with no role visible",
      patch: {
        files: [
          {
            path: "drivers/block/widget.c",
            before: "static int widget_grow_pool(struct widget *w)\n{\n\tw->pool = kmalloc_array(w->n, sizeof(void *), GFP_NOIO);\n\treturn w->pool ? 0 : -ENOMEM;\n}\n",
            after: "static int widget_grow_pool(struct widget *w)\n{\n\tw->pool = kmalloc_array(w->n, sizeof(void *), GFP_KERNEL);\n\treturn w->pool ? 0 : -ENOMEM;\n}\n",
          },
        ],
      },
      errors: [{ messageId: "relaxedUnknown", line: 3, severity: "info" }],
    },
  ],
});

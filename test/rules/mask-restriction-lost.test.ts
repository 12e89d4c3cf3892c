// mask-restriction-lost: a mask that names GFP_NOFS/GFP_NOIO but or-s it with one that sets the bits it clears.
import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/gfp-context/mask-restriction-lost.js";
import { runRule } from "../helpers/rule-tester.js";

// Fixtures written for these tests, modelled on a file server's extended-attribute read.
const getattr = (alloc: string, locked: boolean, scoped = false) => `static int tally_getattr(struct tally_req *req, struct inode *inode, size_t len)
{
	void *buf;
	int err;
${scoped ? "\tunsigned int nofs = memalloc_nofs_save();\n" : ""}
${locked ? "\tinode_lock_shared(inode);\n" : ""}	err = tally_attr_len(inode, &len);
	if (err)
		goto out;
	buf = ${alloc};
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	err = tally_attr_read(inode, buf, len);
	req->buf = buf;
out:
${locked ? "\tinode_unlock_shared(inode);\n" : ""}${scoped ? "\tmemalloc_nofs_restore(nofs);\n" : ""}	return err;
}
`;
const path = "fs/tally/attr.c";
const review = (after: string, before = getattr("tally_buf_get(req)", after.includes("inode_lock_shared"), after.includes("memalloc_nofs_save"))) => runRule(rule, { context: 30, files: [{ path, before, after }] });

describe("mask-restriction-lost", () => {
  it("GFP_KERNEL | GFP_NOFS under the inode lock: a warning that the or is GFP_KERNEL, naming the lock", () => {
    const f = review(getattr("kvmalloc(len, GFP_KERNEL | GFP_NOFS)", true));
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[10, "warning", "lost"]]);
    expect(f[0]!.message).toContain("kvmalloc(GFP_KERNEL | GFP_NOFS) in tally_getattr() names GFP_NOFS, but GFP_NOFS is GFP_KERNEL without __GFP_FS and GFP_KERNEL sets __GFP_FS again: the mask allows filesystem reclaim");
    expect(f[0]!.message).toContain("while inode->i_rwsem is held (taken at line 6)");
    expect(f[0]!.fix).toContain("Use GFP_NOFS alone");
  });

  it("nothing held in the lines read: a note, with what is unknown", () => {
    const f = review(getattr("kvmalloc(len, GFP_NOFS | GFP_KERNEL)", false));
    expect(f.map((x) => [x.severity, x.messageId])).toEqual([["info", "lost"]]);
    expect(f[0]!.unknowns?.[0]).toContain("whether tally_getattr() or its callers hold a lock");
  });

  it("GFP_NOIO | GFP_USER puts both bits back; GFP_NOIO | __GFP_FS only __GFP_FS", () => {
    const user = review(getattr("kzalloc(len, GFP_NOIO | GFP_USER | __GFP_NOWARN)", true));
    expect(user[0]!.message).toContain("GFP_NOIO is GFP_KERNEL without __GFP_IO and __GFP_FS and GFP_USER sets them again: the mask allows filesystem and IO reclaim");
    const fs = review(getattr("kzalloc(len, GFP_NOIO | __GFP_FS)", true));
    expect(fs[0]!.message).toContain("__GFP_FS sets __GFP_FS again: the mask allows filesystem reclaim");
  });

  it("a scope in force clears the bits: a note that only the line is wrong", () => {
    const f = review(getattr("kvmalloc(len, GFP_KERNEL | GFP_NOFS)", true, true));
    expect(f.map((x) => [x.severity, x.messageId])).toEqual([["info", "lost"]]);
    expect(f[0]!.message).toContain("a scope in force here clears them, so only the line is wrong");
  });

  it("is quiet on masks whose or keeps the restriction, and on a line the patch does not add", () => {
    expect(review(getattr("kvmalloc(len, GFP_NOFS | __GFP_NOWARN | __GFP_ZERO)", true))).toEqual([]);
    expect(review(getattr("kvmalloc(len, GFP_NOIO | __GFP_RETRY_MAYFAIL)", true))).toEqual([]);
    expect(review(getattr("kvmalloc(len, GFP_KERNEL)", true))).toEqual([]);
    const same = getattr("kvmalloc(len, GFP_KERNEL | GFP_NOFS)", true);
    expect(runRule(rule, { context: 30, files: [{ path, before: same, after: same.replace("req->buf = buf;", "req->buf = buf;\n\treq->len = len;") }] })).toEqual([]);
  });
});

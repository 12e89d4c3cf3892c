import { describe, expect, it } from "vitest";
import { unlinkedOnly } from "../../src/context/unlinked.js";

describe("unlinkedOnly: conditions that hold only for an inode without links", () => {
  it("reads a negated link count, a zero comparison and a conjunct", () => {
    expect(unlinkedOnly(["!inode->i_nlink"], "")).toBe("!inode->i_nlink");
    expect(unlinkedOnly(["inode->v.i_nlink == 0"], "")).toBe("inode->v.i_nlink == 0");
    expect(unlinkedOnly(["ok", "!is_bad_inode(inode) && !inode->i_nlink"], "")).toBe("!is_bad_inode(inode) && !inode->i_nlink");
  });
  it("reads the guard of an early exit: !(has links || ...)", () => {
    expect(unlinkedOnly(["!(inode->i_nlink||is_bad_inode(inode))"], "")).not.toBeNull();
    expect(unlinkedOnly(["!(inode->i_nlink > 0)"], "")).not.toBeNull();
  });
  it("does not read !(has links && x), a disjunction, or another field", () => {
    expect(unlinkedOnly(["!(inode->i_nlink && ro)"], "")).toBeNull();
    expect(unlinkedOnly(["!inode->i_nlink || force"], "")).toBeNull();
    expect(unlinkedOnly(["!inode->i_count"], "")).toBeNull();
    expect(unlinkedOnly(["inode->i_nlink"], "")).toBeNull();
  });
  it("follows a local assigned once from the test", () => {
    const body = "{\n\tbool delete = !inode->i_nlink && !is_bad_inode(inode);\n\tif (delete)\n\t\tfoo();\n}";
    expect(unlinkedOnly(["delete"], body)).toBe("delete");
  });
  it("does not follow a local assigned twice or whose address is taken", () => {
    expect(unlinkedOnly(["delete"], "bool delete = !inode->i_nlink;\nif (x)\n\tdelete = true;")).toBeNull();
    expect(unlinkedOnly(["delete"], "bool delete = !inode->i_nlink;\nset_flag(&delete);")).toBeNull();
    expect(unlinkedOnly(["delete"], "bool delete = !inode->i_nlink;\ndelete |= force;")).toBeNull();
  });
});

// git's extended headers and the corners of the unified diff format.
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { parseDiff } from "../../src/diff/parse.js";
import { parseInput } from "../../src/ingest/index.js";
import type { FileDiff } from "../../src/types.js";
import { fixture, fixtureText } from "../ingest/helpers.js";

async function filesOf(name: string): Promise<{ files: Map<string, FileDiff>; notes: string[] }> {
  const { patches } = await parseInput(fixture(name), name);
  return { files: new Map(patches[0]!.files.map((f) => [f.path, f])), notes: patches[0]!.notes };
}

describe("git extended headers (format-patch --binary)", () => {
  it("marks a GIT binary patch as binary, without hunks, with a note", async () => {
    const { files, notes } = await filesOf("git-headers.patch");
    const png = files.get("Documentation/quux/logo.png")!;
    expect(png).toMatchObject({ binary: true, status: "modified", hunks: [] });
    expect(notes).toEqual(["binary change to Documentation/quux/logo.png skipped"]);
    // the binary block did not swallow the file after it
    expect(files.get("Documentation/quux/naïve.txt")!.hunks).toHaveLength(1);
  });

  it("unquotes a path git wrote with octal escapes", async () => {
    const { files } = await filesOf("git-headers.patch");
    const f = files.get("Documentation/quux/naïve.txt")!;
    expect(f.oldPath).toBe("Documentation/quux/naïve.txt");
    expect(f.hunks[0]!.lines.map((l) => [l.kind, l.text])).toEqual([
      ["del", "naïve"],
      ["add", "naïve text"],
    ]);
    // "@@ -1 +1 @@": counts omitted mean 1
    expect(f.hunks[0]).toMatchObject({ oldStart: 1, oldLines: 1, newStart: 1, newLines: 1 });
  });

  it("reads new and deleted files against /dev/null", async () => {
    const { files } = await filesOf("git-headers.patch");
    expect(files.get("Documentation/quux/notes.txt")).toMatchObject({ status: "added", oldPath: null, newPath: "Documentation/quux/notes.txt", newMode: "100644" });
    const added = files.get("Documentation/quux/notes.txt")!.hunks[0]!;
    expect(added).toMatchObject({ oldStart: 0, oldLines: 0, newStart: 1, newLines: 2 });
    expect(added.lines.map((l) => l.newLine)).toEqual([1, 2]);
    const del = files.get("Documentation/quux/old-notes.txt")!;
    expect(del).toMatchObject({ status: "deleted", oldPath: "Documentation/quux/old-notes.txt", newPath: null, oldMode: "100644" });
    expect(del.hunks[0]!.lines).toEqual([{ kind: "del", text: "Old notes about quux.", oldLine: 1, newLine: null }]);
  });

  it("reads a pure rename of a path with spaces", async () => {
    const { files } = await filesOf("git-headers.patch");
    expect(files.get("Documentation/quux/with space.txt")).toMatchObject({
      status: "renamed",
      oldPath: "Documentation/quux/design notes.txt",
      newPath: "Documentation/quux/with space.txt",
      hunks: [],
      binary: false,
    });
  });

  it("reads a mode change and a copy with edits", async () => {
    const { files } = await filesOf("git-headers.patch");
    expect(files.get("drivers/block/frob/frob-helper.sh")).toMatchObject({ status: "modified", oldMode: "100644", newMode: "100755", hunks: [] });
    const copy = files.get("drivers/block/frob/frob_compat.c")!;
    expect(copy).toMatchObject({ status: "copied", oldPath: "drivers/block/frob/frob_main.c", newPath: "drivers/block/frob/frob_compat.c" });
    expect(copy.hunks[0]!.lines.find((l) => l.kind === "add")!.text).toBe("static blk_status_t frob_compat_queue_rq(struct blk_mq_hw_ctx *hctx,");
  });

  it("marks the last line before \\ No newline at end of file", async () => {
    const { files } = await filesOf("git-headers.patch");
    expect(files.get("fs/quuxfs/new.c")!.hunks[0]!.lines).toEqual([{ kind: "add", text: "int quux_new;", oldLine: null, newLine: 1, noNewline: true }]);
  });
});

describe("git diff without --binary", () => {
  it("keeps a 'Binary files ... differ' file as binary with a note", async () => {
    const { files, notes } = await filesOf("git-headers.diff");
    expect(files.get("Documentation/quux/logo.png")).toMatchObject({ binary: true, hunks: [] });
    expect(notes).toEqual(["binary change to Documentation/quux/logo.png skipped"]);
    expect(files.size).toBe(8);
  });
});

describe("hunk bookkeeping", () => {
  it("numbers old and new lines through deletions and additions", () => {
    const text = ["--- a/x.c", "+++ b/x.c", "@@ -10,4 +10,5 @@ int f(void)", " a", "-b", "+c", "+d", " e", " f", ""].join("\n");
    const h = parseDiff(text).files[0]!.hunks[0]!;
    expect(h.section).toBe("int f(void)");
    expect(h.lines.map((l) => [l.kind, l.oldLine, l.newLine])).toEqual([
      ["ctx", 10, 10],
      ["del", 11, null],
      ["add", null, 11],
      ["add", null, 12],
      ["ctx", 12, 13],
      ["ctx", 13, 14],
    ]);
  });

  it("treats an empty line inside a hunk as blank context (a mailer ate the space)", () => {
    const text = ["--- a/x.c", "+++ b/x.c", "@@ -1,3 +1,3 @@", " a", "", "-b", "+c", ""].join("\n");
    const h = parseDiff(text).files[0]!.hunks[0]!;
    expect(h.lines.map((l) => l.kind)).toEqual(["ctx", "ctx", "del", "add"]);
  });

  it("names the hunk and the input line when counts are wrong", () => {
    const text = ["diff --git a/x.c b/x.c", "--- a/x.c", "+++ b/x.c", "@@ -1,3 +1,3 @@ f", " a", "-b", "+c", "diff --git a/y.c b/y.c", "--- a/y.c", "+++ b/y.c", "@@ -1 +1 @@", "-x", "+y", ""].join("\n");
    expect(() => parseDiff(text, "t.diff", 100)).toThrow(
      new InputError('hunk 1 of x.c (@@ -1,3 +1,3 @@ at line 104) is truncated or miscounted: line 108 is not a diff line: "diff --git a/y.c b/y.c" (after 2 of 3 old and 2 of 3 new lines)', "t.diff"),
    );
  });

  it("says a hunk with more lines than counted is miscounted", () => {
    const text = ["--- a/x.c", "+++ b/x.c", "@@ -1,2 +1,2 @@", " a", "-b", "+c", "+d", ""].join("\n");
    expect(() => parseDiff(text)).toThrow("hunk 1 of x.c (@@ -1,2 +1,2 @@ at diff line 3) is miscounted: it has more lines than its header says (2 old, 2 new)");
  });

  it("rejects a malformed hunk header", () => {
    const text = ["--- a/x.c", "+++ b/x.c", "@@ -1,x +1 @@", " a", ""].join("\n");
    expect(() => parseDiff(text)).toThrow('malformed hunk header at diff line 3: "@@ -1,x +1 @@"');
  });

  it("keeps hunk sections aligned across binary and hunk-less files", async () => {
    const { patches } = await parseInput(fixtureText("git-headers.patch"), "h.patch");
    const copy = patches[0]!.files.find((f) => f.status === "copied")!;
    expect(copy.hunks[0]!.section).toBe("");
    const { patches: series } = await parseInput(fixture("git-diff-stat.diff"), "d");
    expect(series[0]!.files[1]!.hunks.map((h) => h.section)).toEqual(["", "static unsigned long quux_cache_scan(struct shrinker *shrink,"]);
    expect(series[0]!.files[0]!.hunks.map((h) => h.section)).toEqual(["static int quux_alloc_inode_buf(struct quux_inode *qi)", "static void quux_free_inode_buf(struct quux_inode *qi)"]);
  });
});

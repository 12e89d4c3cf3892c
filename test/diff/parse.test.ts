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

  it("names the hunk and the input line when a + or - line is missing", () => {
    const text = ["diff --git a/x.c b/x.c", "--- a/x.c", "+++ b/x.c", "@@ -1,3 +1,4 @@ f", " a", "-b", "+c", "diff --git a/y.c b/y.c", "--- a/y.c", "+++ b/y.c", "@@ -1 +1 @@", "-x", "+y", ""].join("\n");
    expect(() => parseDiff(text, "t.diff", 100)).toThrow(
      new InputError('hunk 1 of x.c (@@ -1,3 +1,4 @@ at line 104) is truncated or miscounted: line 108 is not a diff line: "diff --git a/y.c b/y.c" (after 2 of 3 old and 2 of 4 new lines)', "t.diff"),
    );
  });

  it("rejects garbage inside a hunk", () => {
    const text = ["--- a/x.c", "+++ b/x.c", "@@ -1,4 +1,4 @@", " a", "-b", "pasted by hand", "+c", " d", " e", ""].join("\n");
    expect(() => parseDiff(text)).toThrow('hunk 1 of x.c (@@ -1,4 +1,4 @@ at diff line 3) is truncated or miscounted: diff line 6 is not a diff line: "pasted by hand" (after 2 of 4 old and 1 of 4 new lines)');
  });
});

describe("recounting (what git am --recount and patch(1) forgive)", () => {
  const ctx = (n: number, from = 0) => Array.from({ length: n }, (_x, i) => ` line ${from + i}`);

  it("reviews a hunk whose trailing context line was lost before the next diff --git, with a note", () => {
    const text = ["diff --git a/x.c b/x.c", "--- a/x.c", "+++ b/x.c", "@@ -10,7 +10,7 @@ f", ...ctx(3), "-b", "+c", ...ctx(2, 5), "diff --git a/y.c b/y.c", "--- a/y.c", "+++ b/y.c", "@@ -1 +1 @@", "-x", "+y", ""].join("\n");
    const { files, notes } = parseDiff(text, "t.diff", 100);
    expect(notes).toEqual(["hunk 1 of x.c (@@ -10,7 +10,7 @@ at line 104) recounted: 6 of 7 old lines present, 6 of 7 new (1 trailing context line missing)"]);
    const h = files[0]!.hunks[0]!;
    expect([h.oldStart, h.oldLines, h.newStart, h.newLines, h.section]).toEqual([10, 6, 10, 6, "f"]);
    expect(h.lines.map((l) => [l.kind, l.oldLine, l.newLine])).toEqual([
      ["ctx", 10, 10], ["ctx", 11, 11], ["ctx", 12, 12], ["del", 13, null], ["add", null, 13], ["ctx", 14, 14], ["ctx", 15, 15],
    ]);
    expect(files[1]!.hunks[0]!.lines.map((l) => l.kind)).toEqual(["del", "add"]);
  });

  it("recounts at the end of the text, before the next hunk, and with the blank line kept as context", () => {
    const hunk = (start: number) => [`@@ -${start},7 +${start},8 @@ g`, ...ctx(3), "-b", "+c", "+d", ...ctx(2, 5)];
    const atEnd = ["--- a/x.c", "+++ b/x.c", ...hunk(10), ""].join("\n");
    expect(parseDiff(atEnd).notes).toEqual(["hunk 1 of x.c (@@ -10,7 +10,8 @@ at diff line 3) recounted: 6 of 7 old lines present, 7 of 8 new (1 trailing context line missing)"]);
    const noFinalNewline = ["--- a/x.c", "+++ b/x.c", ...hunk(10)].join("\n");
    expect(parseDiff(noFinalNewline).files[0]!.hunks[0]!.newLines).toBe(7);
    const beforeNext = ["--- a/x.c", "+++ b/x.c", ...hunk(10), ...hunk(40), ""].join("\n");
    const both = parseDiff(beforeNext);
    expect(both.notes).toHaveLength(2);
    expect(both.files[0]!.hunks.map((h) => [h.oldStart, h.oldLines])).toEqual([[10, 6], [40, 6]]);
    // a blank line where the lost line was is blank context, as git apply reads it: nothing to recount
    const blank = ["--- a/x.c", "+++ b/x.c", ...hunk(10), "", ""].join("\n");
    expect(parseDiff(blank).notes).toEqual([]);
  });

  it("recounts a hunk whose header undercounts a whole body", () => {
    const text = ["--- a/x.c", "+++ b/x.c", "@@ -1,2 +1,2 @@", " a", "-b", "+c", "+d", ""].join("\n");
    const { files, notes } = parseDiff(text);
    expect(notes).toEqual(["hunk 1 of x.c (@@ -1,2 +1,2 @@ at diff line 3) recounted: 2 old lines present, 3 new; the header says 2 and 2"]);
    expect(files[0]!.hunks[0]!.lines.map((l) => l.kind)).toEqual(["ctx", "del", "add", "add"]);
  });

  it("reads trailing text after a shortened last hunk as the end of the diff", () => {
    const text = ["--- a/x.c", "+++ b/x.c", "@@ -10,7 +10,7 @@", ...ctx(3), "-b", "+c", ...ctx(2, 5), "2.47.1", ""].join("\n");
    expect(parseDiff(text).files[0]!.hunks[0]!.oldLines).toBe(6);
  });

  it("still refuses a hunk short of more lines than its context width, or of a changed line", () => {
    // three lines of leading context: at most three may be missing at the end
    const long = ["--- a/x.c", "+++ b/x.c", "@@ -10,9 +10,9 @@", ...ctx(3), "-b", "+c", ...ctx(1, 5), ""].join("\n");
    expect(() => parseDiff(long)).toThrow("hunk 1 of x.c (@@ -10,9 +10,9 @@ at diff line 3) is truncated: the diff ends after 5 of 9 old and 5 of 9 new lines");
    const wide = ["--- a/x.c", "+++ b/x.c", "@@ -10,11 +10,11 @@", ...ctx(5), "-b", "+c", ...ctx(1, 6), ""].join("\n");
    expect(parseDiff(wide).notes).toHaveLength(1); // -U5: up to five lines
    expect(() => parseDiff(wide.replace("@@ -10,11 +10,11 @@", "@@ -10,12 +10,12 @@"))).toThrow("is truncated: the diff ends after 7 of 12 old and 7 of 12 new lines");
    // a pair of changed lines lost with the context
    const pair = ["--- a/x.c", "+++ b/x.c", "@@ -10,9 +10,9 @@", ...ctx(3), "-b", "+c", ""].join("\n");
    expect(() => parseDiff(pair)).toThrow("is truncated: the diff ends after 4 of 9 old and 4 of 9 new lines");
    // a + line missing: old side whole, new side short
    const plus = ["--- a/x.c", "+++ b/x.c", "@@ -10,7 +10,8 @@", ...ctx(3), "-b", "+c", ...ctx(3, 5), ""].join("\n");
    expect(() => parseDiff(plus)).toThrow("is truncated: the diff ends after 7 of 7 old and 7 of 8 new lines");
  });
});

describe("whitespace-damaged mail (the space before a tab lost on the way)", () => {
  it("reads a line starting with a tab as context when the hunk then ends at its counts, with a note", () => {
    const text = ["--- a/Kconfig", "+++ b/Kconfig", "@@ -10,5 +10,6 @@ config FOO", "\ttristate \"foo\"", "\thelp", "+\tdepends on BAR", " ", "\t  Say N.", " config BAZ", ""].join("\n");
    const { files, notes } = parseDiff(text, "t.diff");
    expect(notes).toEqual(["hunk 1 of Kconfig (@@ -10,5 +10,6 @@ at diff line 3): 3 context lines starting with a tab had lost their leading space on the way (whitespace-damaged mail); read as context"]);
    const h = files[0]!.hunks[0]!;
    expect(h.lines.map((l) => [l.kind, l.text, l.oldLine, l.newLine])).toEqual([
      ["ctx", "\ttristate \"foo\"", 10, 10], ["ctx", "\thelp", 11, 11], ["add", "\tdepends on BAR", null, 12], ["ctx", "", 12, 13], ["ctx", "\t  Say N.", 13, 14], ["ctx", "config BAZ", 14, 15],
    ]);
  });

  it("mends each damaged hunk and leaves the undamaged ones and the next file alone", () => {
    const text = ["diff --git a/x.c b/x.c", "--- a/x.c", "+++ b/x.c", "@@ -1,3 +1,3 @@ f", " a", "-b", "+c", "\td", "@@ -9 +9 @@", "-e", "+f", "diff --git a/y.c b/y.c", "--- a/y.c", "+++ b/y.c", "@@ -1 +1 @@", "-x", "+y", ""].join("\n");
    const { files, notes } = parseDiff(text, "t.diff");
    expect(notes).toEqual(["hunk 1 of x.c (@@ -1,3 +1,3 @@ at diff line 4): 1 context line starting with a tab had lost its leading space on the way (whitespace-damaged mail); read as context"]);
    expect(files.map((f) => f.hunks.map((h) => h.lines.map((l) => l.kind).join(",")))).toEqual([["ctx,del,add,ctx", "del,add"], ["del,add"]]);
  });

  it("still rejects a hunk that the tab lines do not complete, and tab lines past its counts", () => {
    const short = ["--- a/x.c", "+++ b/x.c", "@@ -1,6 +1,6 @@", " a", "-b", "+c", "\td", ""].join("\n");
    expect(() => parseDiff(short)).toThrow('hunk 1 of x.c (@@ -1,6 +1,6 @@ at diff line 3) is truncated or miscounted: diff line 7 is not a diff line: "\\td" (after 2 of 6 old and 2 of 6 new lines)');
    const long = ["--- a/x.c", "+++ b/x.c", "@@ -1,2 +1,2 @@", "\ta", "-b", "+c", "\td", "\te", ""].join("\n");
    expect(() => parseDiff(long)).toThrow(/hunk 1 of x\.c .* is truncated or miscounted: diff line 4 is not a diff line/);
  });
});

describe("hunk headers", () => {
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

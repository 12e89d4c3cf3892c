// Hunks applied in memory by jsdiff (src/diff/apply.ts): where each hunk
// landed is known, so a review on a tree that moved on can say so.
import { describe, expect, it } from "vitest";
import { applyFile, revertFile } from "../../src/diff/apply.js";
import { parsePatchText } from "../../src/ingest/index.js";
import type { FileDiff } from "../../src/types.js";
import { formatPatch } from "../helpers/patch.js";

const lines = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i + 1)).join("\n") + "\n";
const fileOf = (before: string | null, after: string | null, context?: number): FileDiff =>
  parsePatchText(formatPatch({ files: [{ path: "x.c", before, after }], ...(context === undefined ? {} : { context }) }), "t").patches[0]!.files[0]!;

describe("applyFile", () => {
  const before = lines(40, (i) => `line ${i}`);
  const after = before.replace("line 20\n", "line 20\nadded\n").replace("line 35\n", "");
  const file = fileOf(before, after);

  it("applies at the stated lines", () => {
    expect(file.hunks).toHaveLength(2);
    expect(applyFile(before, file)).toEqual({ text: after, offsets: [0, 0] });
  });

  it("finds hunks by their context when the tree has moved on, and says how far", () => {
    const shifted = "new 1\nnew 2\nnew 3\n" + before.replace("line 30\n", "line 30\nmore\nand more\n");
    const r = applyFile(shifted, file);
    expect(r?.offsets).toEqual([3, 5]);
    expect(r?.text).toBe("new 1\nnew 2\nnew 3\n" + after.replace("line 30\n", "line 30\nmore\nand more\n"));
  });

  it("falls back to ignoring whitespace, and gives up when the context is nowhere", () => {
    const spaced = before.replace("line 19\n", "line 19  \n");
    expect(applyFile(spaced, file)?.offsets).toEqual([0, 0]);
    expect(applyFile(before.replace("line 19", "changed"), file)).toBeNull();
  });

  it("writes a new file, and applies pure insertions (git diff -U0) where the header says", () => {
    const created = fileOf(null, "int a;\nint b;\n");
    expect(applyFile("", created)).toEqual({ text: "int a;\nint b;\n", offsets: [0] });
    const u0 = fileOf(before, before.replace("line 10\n", "line 10\nfirst\n").replace("line 30\n", "line 30\nsecond\n"), 0);
    expect(u0.hunks.map((h) => h.oldLines)).toEqual([0, 0]);
    expect(applyFile(before, u0)?.text).toBe(before.replace("line 10\n", "line 10\nfirst\n").replace("line 30\n", "line 30\nsecond\n"));
  });
});

describe("revertFile", () => {
  it("rebuilds the pre-image from the post-image", () => {
    const before = lines(30, (i) => `l${i}`);
    const after = before.replace("l12\n", "x\ny\n");
    const file = fileOf(before, after);
    expect(revertFile(after, file)?.text).toBe(before);
    expect(revertFile(after.replace("l10\n", "changed\n").replace("l11", "changed").replace("l13", "changed"), file)).toBeNull();
  });
});

// Bad input: one InputError with one clear line, never another exception.
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { parseInput, parsePatchText } from "../../src/ingest/index.js";
import { fixture, fixtureText } from "./helpers.js";

async function rejection(data: Buffer | string, source: string, opts = {}): Promise<InputError> {
  try {
    await parseInput(data, source, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).not.toContain("\n");
    return err as InputError;
  }
  throw new Error("expected an InputError");
}

describe("bad input", () => {
  it("empty input", async () => {
    expect((await rejection("", "e.patch")).message).toBe("e.patch: empty input");
    expect((await rejection(" \r\n\n\t", "e.patch")).message).toBe("e.patch: empty input");
  });

  it("not a patch", async () => {
    expect((await rejection("Hello,\n\nthis is just a note.\n", "n.txt")).message).toBe("n.txt: not a patch: no diff found");
    expect((await rejection(fixtureText("series.mbox").split(/^(?=From dda6)/m)[0]!, "cover.patch")).message).toBe("cover.patch: not a patch: a cover letter without a diff");
  });

  it("truncated hunk, naming the hunk", async () => {
    expect((await rejection(fixture("truncated.patch"), "t.patch")).message).toBe(
      "t.patch: hunk 2 of fs/quuxfs/inode.c (@@ -25,10 +25,13 @@ at line 32) is truncated: the diff ends after 7 of 10 old and 9 of 13 new lines",
    );
  });

  it("miscounted hunk, naming the hunk and the line", async () => {
    expect((await rejection(fixture("miscounted.patch"), "m.patch")).message).toBe(
      'm.patch: hunk 2 of fs/quuxfs/inode.c (@@ -25,10 +25,14 @@ at line 32) is truncated or miscounted: line 46 is not a diff line: "diff --git a/fs/quuxfs/inode2.c b/fs/quuxfs/inode2.c" (after 10 of 10 old and 13 of 14 new lines)',
    );
  });

  it("unknown charset, naming it", async () => {
    expect((await rejection(fixture("bad-charset.eml"), "b.eml")).message).toBe('b.eml: unknown charset "x-klingon": cannot decode the message');
  });

  it("unknown charset of a patch attachment", async () => {
    const eml = fixtureText("attachment-latin1.eml").replace("charset=ISO-8859-1", "charset=x-mac-klingon");
    expect((await rejection(eml, "a.eml")).message).toBe('a.eml: unknown charset "x-mac-klingon": cannot decode the message');
  });

  it("input over the size limit", async () => {
    expect((await rejection(fixture("format-patch.patch"), "big.patch", { maxBytes: 100 })).message).toMatch(/^big\.patch: input is \d+ bytes, over the limit of 100 bytes$/);
    expect(() => parsePatchText("x".repeat(200), "s", { maxBytes: 100 })).toThrow("s: input is 200 bytes, over the limit of 100 bytes");
  });

  it("hunks without file names", async () => {
    expect((await rejection(fixture("no-filenames.diff"), "h.diff")).message).toBe("h.diff: diff hunk without file names (no ---/+++ lines) at line 1: @@ -10,7 +10,7 @@");
  });

  it("binary garbage", async () => {
    const garbage = Buffer.alloc(4096);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24;
    expect((await rejection(garbage, "g.bin")).message).toBe("g.bin: not a patch: binary data");
    const withNul = fixtureText("format-patch.patch").replace("quux_alloc_inode_buf() passes", "quux_alloc\0inode_buf() passes");
    expect((await rejection(withNul, "n.patch")).message).toBe("n.patch: not a patch: binary data");
  });

  it("tolerates NUL bytes inside a GIT binary patch block only", async () => {
    const text = fixtureText("git-headers.patch").replace("literal 18\n", "literal 18\n\0");
    const { patches } = await parseInput(text, "nul-in-binary.patch");
    expect(patches[0]!.notes).toEqual(["binary change to Documentation/quux/logo.png skipped"]);
    const outside = fixtureText("git-headers.patch").replace("index 2121a44", "index\0 2121a44");
    expect((await rejection(outside, "nul.patch")).message).toBe("nul.patch: not a patch: binary data");
  });

  it("malformed MIME", async () => {
    expect((await rejection(fixture("malformed-mime.eml"), "m.eml")).message).toBe("m.eml: malformed MIME: multipart/mixed without a boundary");
    const lost = fixtureText("attachment-latin1.eml").replace('boundary="------------frobBOUNDARY01"', 'boundary="nowhere"');
    expect((await rejection(lost, "l.eml")).message).toBe('l.eml: malformed MIME: boundary "nowhere" never appears');
  });

  it("a bad message in an mbox is a problem, the rest is returned", async () => {
    const mbox = fixtureText("series.mbox").replace("Content", "Content") + fixtureText("bad-charset.eml").replace(/^/, "From alice@example.org Sun Nov 22 12:00:00 2026\n");
    const { patches, problems } = await parseInput(mbox, "s.mbox");
    expect(patches).toHaveLength(2);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^s\.mbox#3 \(<6f8e7656[^>]+>\): hunk 1 of fs\/quuxfs\/super\.c/),
      's.mbox#6 (<badcs@example.org>): unknown charset "x-klingon": cannot decode the message',
    ]);
  });

  it("every message bad: throws, naming the first problem", async () => {
    const one = fixtureText("truncated.patch");
    const err = await rejection(one + "\n" + one, "two.mbox");
    expect(err.message).toMatch(/^two\.mbox: no patch in 2 messages \(2 unreadable; first: two\.mbox#1 \(<dda6[^>]+>\): hunk 2 of fs\/quuxfs\/inode\.c/);
  });

  it("falls back to the raw text when a flowed body was not space-stuffed", async () => {
    // a broken sender: format=flowed declared, context lines not stuffed
    const eml = fixtureText("format-flowed.eml").replace(/^ ( )/gm, "$1");
    const { patches } = await parseInput(eml, "f.eml");
    expect(patches[0]!.files[0]!.hunks[0]!.lines[0]!).toMatchObject({ kind: "ctx", text: "{" });
  });
});

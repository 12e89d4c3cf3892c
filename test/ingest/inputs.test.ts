// Every input kind of the review contract, read into Patch objects.
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parseInput, parsePatchText } from "../../src/ingest/index.js";
import { fixture, fixtureText } from "./helpers.js";

describe("format-patch output", () => {
  it("fills every Patch field", async () => {
    const { patches, covers, problems } = await parseInput(fixture("format-patch.patch"), "0001.patch");
    expect(covers).toEqual([]);
    expect(problems).toEqual([]);
    expect(patches).toHaveLength(1);
    const p = patches[0]!;
    expect(p.source).toBe("0001.patch");
    expect(p.subject).toBe("quuxfs: use the memalloc_nofs scope for inode buffers");
    expect(p.rawSubject).toBe("[PATCH 1/3] quuxfs: use the memalloc_nofs scope for inode buffers");
    expect(p.messageId).toBe("dda6085725e4ccfda8321f450b02c277d69c7bd9.1795310275.git.alice@example.org");
    expect(p.inReplyTo).toBe("cover.1795310275.git.alice@example.org");
    expect(p.references).toEqual(["cover.1795310275.git.alice@example.org"]);
    expect(p.author).toBe("Alice Maintainer <alice@example.org>");
    expect(p.date).toBe("Sun, 22 Nov 2026 01:17:55 +0000");
    expect(p.series).toEqual({ version: 1, index: 1, total: 3, tags: [] });
    // message ends at "---": trailers kept, diffstat and signature gone
    expect(p.message.startsWith("quux_alloc_inode_buf() passes GFP_NOFS")).toBe(true);
    expect(p.message.endsWith("Signed-off-by: Alice Maintainer <alice@example.org>")).toBe(true);
    expect(p.message).not.toContain("1 file changed");
    expect(p.files.map((f) => f.path)).toEqual(["fs/quuxfs/inode.c"]);
    const [h1, h2] = p.files[0]!.hunks;
    expect(h1!.section).toBe("static int quux_alloc_inode_buf(struct quux_inode *qi)");
    expect(h1!.lines.find((l) => l.kind === "add")).toEqual({ kind: "add", text: "\tbuf = kmalloc(QUUX_BUF_SIZE, GFP_KERNEL);", oldLine: null, newLine: 13 });
    expect(h2!.lines.filter((l) => l.kind === "add").map((l) => l.newLine)).toEqual([28, 32, 34]);
    // the signature ("-- " + git version) is not part of the last hunk
    expect(h2!.lines.at(-1)!.text).toBe("\terr = quux_submit_read(qs, qi->ino, qi->buf);");
  });

  it("reads a whitespace-damaged mail: context lines that lost the space before a tab, and a signature trimmed to \"--\"", async () => {
    const damaged = fixtureText("format-patch.patch")
      .split("\n")
      .map((l) => (l.startsWith(" \t") ? l.slice(1) : l === "-- " ? "--" : l))
      .join("\n");
    expect(damaged).not.toEqual(fixtureText("format-patch.patch"));
    const { patches, problems } = await parseInput(damaged, "damaged.patch");
    expect(problems).toEqual([]);
    const clean = (await parseInput(fixture("format-patch.patch"), "damaged.patch")).patches[0]!;
    const p = patches[0]!;
    expect(p.files).toEqual(clean.files);
    expect(p.notes.filter((n) => /lost (?:its|their) leading space/.test(n))).toHaveLength(2);
    // a "--" that is not followed by a git version stays a removed "-" line
    const removed = ["--- a/x.c", "+++ b/x.c", "@@ -1,2 +1,1 @@", " a", "--", ""].join("\n");
    expect((await parseInput(removed, "r.diff")).patches[0]!.files[0]!.hunks[0]!.lines.map((l) => [l.kind, l.text])).toEqual([["ctx", "a"], ["del", "-"]]);
  });

  it("cuts at git's signature when the mail client adds one of its own below it", async () => {
    const text = fixtureText("format-patch.patch");
    expect(text).toMatch(/\n-- \n2\.\d/);
    const twice = text.replace(/\n$/, "") + "\n\n-- \nAlice Maintainer, quuxfs\n";
    const { patches, problems } = await parseInput(twice, "signed.patch");
    expect(problems).toEqual([]);
    const clean = (await parseInput(fixture("format-patch.patch"), "signed.patch")).patches[0]!;
    expect(patches[0]!.files).toEqual(clean.files);
    expect(patches[0]!.notes.filter((n) => /recounted/.test(n))).toEqual([]);
  });

  it("gives the same result synchronously", async () => {
    const a = await parseInput(fixture("format-patch.patch"), "x");
    const b = parsePatchText(fixtureText("format-patch.patch"), "x");
    expect(b).toEqual(a);
  });

  it("reads the author from an in-body From: line", async () => {
    const { patches } = await parseInput(fixture("series-v2.mbox"), "v2.mbox");
    expect(patches[0]!.author).toBe("Carol Driver <carol@example.com>");
    expect(patches[0]!.message.startsWith("queue_rq() may run")).toBe(true);
  });

  it("accepts CRLF line ends", async () => {
    const crlf = fixtureText("format-patch.patch").replace(/\n/g, "\r\n");
    const a = await parseInput(crlf, "crlf.patch");
    const b = await parseInput(fixture("format-patch.patch"), "crlf.patch");
    expect(a).toEqual(b);
  });

  it("accepts a mix of CRLF and LF", async () => {
    const lines = fixtureText("format-patch.patch").split("\n");
    const mixed = lines.map((l, i) => (i % 3 === 0 ? l + "\r" : l)).join("\n");
    const { patches } = await parseInput(mixed, "mixed.patch");
    expect(patches[0]!.files[0]!.hunks).toHaveLength(2);
    expect(patches[0]!.subject).toBe("quuxfs: use the memalloc_nofs scope for inode buffers");
  });

  it("skips a note typed above the format-patch output", async () => {
    const { patches, problems } = await parseInput(fixture("leading-garbage.patch"), "note.patch");
    expect(problems).toEqual([]);
    expect(patches).toHaveLength(1);
    expect(patches[0]!.source).toBe("note.patch");
    expect(patches[0]!.subject).toBe("quuxfs: kick writeback from the cache shrinker instead of waiting");
    expect(patches[0]!.message).not.toContain("IRC");
  });

  it("finds the headers of a mail pasted below a mail client's lines", async () => {
    const { patches } = await parseInput(fixture("pasted-mail.txt"), "pasted.txt");
    expect(patches[0]!.subject).toBe("quuxfs: use the memalloc_nofs scope for inode buffers");
    expect(patches[0]!.author).toBe("Alice Maintainer <alice@example.org>");
    expect(patches[0]!.message).not.toContain("Forwarded");
  });
});

describe("plain diffs", () => {
  it("reads git diff output with --stat lines before it", async () => {
    const { patches } = await parseInput(fixture("git-diff-stat.diff"), "<stdin>");
    const p = patches[0]!;
    expect(p.subject).toBe("");
    expect(p.message).toBe("");
    expect(p.series).toBeNull();
    expect(p.files.map((f) => [f.path, f.hunks.length])).toEqual([
      ["fs/quuxfs/inode.c", 2],
      ["fs/quuxfs/super.c", 2],
    ]);
  });

  it("reads a plain unified diff of two trees like patch -p1", async () => {
    const { patches } = await parseInput(fixture("plain.diff"), "plain.diff");
    const f = patches[0]!.files[0]!;
    expect(f.path).toBe("fs/quuxfs/inode.c");
    expect(f.oldPath).toBe("fs/quuxfs/inode.c");
    expect(f.status).toBe("modified");
    expect(f.hunks[0]!.section).toBe("");
    expect(f.hunks[0]!.lines.filter((l) => l.kind === "add").map((l) => l.newLine)).toEqual([13]);
  });

  it("reads git show output (commit, Author, indented message)", async () => {
    const body = fixtureText("git-diff-stat.diff").replace(/^[\s\S]*?\n\n/, "");
    const show = [
      "commit 3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a",
      "Author: Alice Maintainer <alice@example.org>",
      "Date:   Sun Nov 22 01:17:55 2026 +0000",
      "",
      "    quuxfs: reclaim fixes",
      "    ",
      "    Both fixes in one commit.",
      "",
      body,
    ].join("\n");
    const { patches } = await parseInput(show, "show.txt");
    expect(patches[0]!.subject).toBe("quuxfs: reclaim fixes");
    expect(patches[0]!.message).toBe("Both fixes in one commit.");
    expect(patches[0]!.author).toBe("Alice Maintainer <alice@example.org>");
    expect(patches[0]!.files).toHaveLength(2);
  });

  it("drops ANSI colour codes of a coloured git diff", async () => {
    const coloured = fixtureText("plain.diff")
      .split("\n")
      .map((l) => (l.startsWith("+") ? `\x1b[32m${l}\x1b[m` : l.startsWith("@@") ? `\x1b[36m${l}\x1b[m` : l))
      .join("\n");
    const { patches } = await parseInput(coloured, "c.diff");
    expect(patches[0]!.files[0]!.hunks[0]!.lines.find((l) => l.kind === "add")!.text).toBe("\tbuf = kmalloc(QUUX_BUF_SIZE, GFP_KERNEL);");
  });
});

describe("mbox", () => {
  it("splits a series, keeps the cover letter apart, drops replies, reports the bad message", async () => {
    const { patches, covers, problems } = await parseInput(fixture("series.mbox"), "series.mbox");
    expect(covers.map((c) => [c.source, c.subject, c.series?.index])).toEqual([["series.mbox#1", "quuxfs: reclaim recursion fixes", 0]]);
    expect(covers[0]!.message).toContain("Three fixes for memory reclaim");
    expect(covers[0]!.message).not.toContain("2.39.5");
    expect(patches.map((p) => [p.source, p.series?.index, p.series?.total])).toEqual([
      ["series.mbox#2", 1, 3],
      ["series.mbox#5", 3, 3],
    ]);
    for (const p of patches) expect(p.cover).toEqual({ subject: "quuxfs: reclaim recursion fixes", message: covers[0]!.message });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.source).toBe("series.mbox#3");
    expect(problems[0]!.message).toBe(
      "series.mbox#3 (<6f8e76565f8f5c6c76c239e39ceed86bfb00bfb4.1795310275.git.alice@example.org>): hunk 1 of fs/quuxfs/super.c (@@ -4,7 +4,7 @@ at line 103) is truncated: the diff ends after 4 of 7 old and 3 of 7 new lines",
    );
    // the folded Subject of patch 3 is unfolded
    expect(patches[1]!.subject).toBe("quuxfs: kick writeback from the cache shrinker instead of waiting");
  });

  it("reads a v2 series: PATCHv2, tree tags, and a cover found without threading headers", async () => {
    const { patches, covers } = await parseInput(fixture("series-v2.mbox"), "v2.mbox");
    expect(covers).toHaveLength(1);
    expect(covers[0]!.series).toEqual({ version: 2, index: 0, total: 2, tags: [] });
    expect(patches.map((p) => p.series)).toEqual([
      { version: 2, index: 1, total: 2, tags: ["block-next"] },
      { version: 2, index: 2, total: 2, tags: [] },
    ]);
    expect(patches[1]!.inReplyTo).toBeNull();
    expect(patches.map((p) => p.cover?.subject)).toEqual(["frob: reclaim-safe queue_rq", "frob: reclaim-safe queue_rq"]);
  });

  it("takes a message without a diff that the series answers as its cover letter", async () => {
    const text = fixtureText("series.mbox").replace("Subject: [PATCH 0/3] quuxfs: reclaim recursion fixes", "Subject: quuxfs: reclaim recursion fixes");
    const { covers, patches, problems } = await parseInput(text, "s.mbox");
    expect(covers.map((c) => c.source)).toEqual(["s.mbox#1"]);
    expect(patches[0]!.cover?.subject).toBe("quuxfs: reclaim recursion fixes");
    expect(problems.map((p) => p.source)).toEqual(["s.mbox#3"]);
  });

  it("reports a message that is neither a patch, a reply nor a cover", async () => {
    const extra = "From someone@example.com Mon Nov 23 08:00:00 2026\nFrom: Someone <someone@example.com>\nSubject: quuxfs meeting notes\nMessage-ID: <notes-1@example.com>\n\nNo diff here.\n\n";
    const { problems } = await parseInput(extra + fixtureText("series.mbox"), "s.mbox");
    expect(problems.map((p) => p.message)).toContain("s.mbox#1 (<notes-1@example.com>): not a patch: no diff found");
  });

  it("unescapes >From lines (mboxrd) in the body of a message", async () => {
    const patch = fixtureText("format-patch.patch").replace(
      "Signed-off-by: Alice",
      ">From the second caller's point of view nothing changes.\n>>From here on, two levels.\n\nSigned-off-by: Alice",
    );
    const { patches } = await parseInput(patch + "\n" + fixtureText("leading-garbage.patch").replace(/^[\s\S]*?\n(?=From [0-9a-f]{40})/, ""), "x.mbox");
    expect(patches).toHaveLength(2);
    expect(patches[0]!.message).toContain("\nFrom the second caller's point of view");
    expect(patches[0]!.message).toContain("\n>From here on, two levels.");
  });

  it("throws when no message of an mbox yields a patch", async () => {
    const text = fixtureText("series.mbox");
    const onlyCoverAndReply = text.split(/^(?=From [0-9a-f]{40} |From bob@)/m).filter((m) => m.includes("0/3") || m.startsWith("From bob@")).join("");
    await expect(parseInput(onlyCoverAndReply, "t.mbox")).rejects.toThrow("t.mbox: not a patch: no diff found in 2 messages");
  });
});

describe("mail (.eml)", () => {
  it("reads a base64 text/x-patch attachment in ISO-8859-1", async () => {
    const { patches } = await parseInput(fixture("attachment-latin1.eml"), "a.eml");
    const p = patches[0]!;
    expect(p.messageId).toBe("a1b2c3d4-attach@example.com");
    expect(p.subject).toBe("frob: don't sleep for memory in queue_rq");
    expect(p.message).toContain("Suggested-by: José Pérez <jose@example.es>");
    expect(p.files.map((f) => f.path)).toEqual(["drivers/block/frob/frob_main.c"]);
    expect(p.files[0]!.hunks[0]!.lines.find((l) => l.kind === "add")!.text).toContain("GFP_ATOMIC");
  });

  it("decodes a quoted-printable body (=3D, soft line breaks)", async () => {
    const { patches } = await parseInput(fixture("quoted-printable.eml"), "qp.eml");
    const p = patches[0]!;
    expect(p.series).toEqual({ version: 1, index: null, total: null, tags: ["RESEND"] });
    expect(p.message).toContain("Link: https://lore.kernel.org/linux-fsdevel/20261101000000.12345-1-alice@example.org/T/#mfe3b2a1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4");
    expect(p.files[0]!.hunks[0]!.lines.find((l) => l.kind === "add")!.text).toBe("\tbuf = kmalloc(QUUX_BUF_SIZE, GFP_KERNEL);");
  });

  it("reads a format-patch pasted into a quoted-printable mail as that mail's body, not as another message", async () => {
    // the mail's body starts with git's "From <sha> Mon Sep 17 00:00:00 2001" line, still encoded
    const pasted = fixtureText("quoted-printable.eml").replace(
      "\n\nquux_alloc_inode_buf() passes",
      "\n\nFrom 272d7ef4611e64269fada0ea3021eece590118b9 Mon Sep 17 00:00:00 2001\nFrom: Alice Maintainer <alice@example.org>\nSubject: [PATCH] quuxfs: use the memalloc_nofs scope\n\nquux_alloc_inode_buf() passes",
    );
    const { patches, problems } = await parseInput(pasted, "pasted.eml");
    expect(problems).toEqual([]);
    expect(patches).toHaveLength(1);
    expect(patches[0]!.files[0]!.hunks[0]!.lines.find((l) => l.kind === "add")!.text).toBe("\tbuf = kmalloc(QUUX_BUF_SIZE, GFP_KERNEL);");
  });

  it("un-flows a format=flowed body (stuffed context lines, flowed message lines)", async () => {
    const { patches } = await parseInput(fixture("format-flowed.eml"), "f.eml");
    const p = patches[0]!;
    expect(p.message.split("\n")[0]).toBe("quux_alloc_inode_buf() passes GFP_NOFS although only one caller, the inode read path, holds a lock that reclaim can recurse into.  Mark that");
    const ctx = p.files[0]!.hunks[0]!.lines.filter((l) => l.kind === "ctx").map((l) => l.text);
    expect(ctx[0]).toBe("{");
    expect(ctx[1]).toBe("\tvoid *buf;");
  });

  it("takes text/plain from multipart/alternative and decodes RFC 2047 subject and author", async () => {
    const { patches } = await parseInput(fixture("alternative-rfc2047.eml"), "alt.eml");
    const p = patches[0]!;
    expect(p.rawSubject).toBe("[PATCH] quuxfs: fix the naïve scope in quux_read_inode()");
    expect(p.subject).toBe("quuxfs: fix the naïve scope in quux_read_inode()");
    expect(p.author).toBe("Jörg Müller <joerg@example.de>");
    expect(p.message).not.toContain("HTML");
    expect(p.files[0]!.hunks).toHaveLength(2);
  });

  it("refuses MIME mail in the synchronous parser, naming why", () => {
    expect(() => parsePatchText(fixture("quoted-printable.eml"), "qp.eml")).toThrow("qp.eml: a MIME-encoded message needs the asynchronous parseInput");
  });
});

describe("patch attachments by name", () => {
  it("reads an application/octet-stream attachment named *.patch", async () => {
    const eml = fixtureText("attachment-latin1.eml").replace("Content-Type: text/x-patch; charset=ISO-8859-1;", "Content-Type: application/octet-stream;");
    const { patches } = await parseInput(eml, "o.eml");
    expect(patches[0]!.files.map((f) => f.path)).toEqual(["drivers/block/frob/frob_main.c"]);
    // no charset: UTF-8 when valid, else Windows-1252 (this one is Latin-1)
    expect(patches[0]!.message).toContain("José Pérez");
  });
});

describe("encodings of the whole input", () => {
  it("drops a UTF-8 byte order mark and reads UTF-16 with a BOM", async () => {
    const text = fixtureText("format-patch.patch");
    const bom = await parseInput(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), "b.patch");
    expect(bom.patches[0]!.subject).toBe("quuxfs: use the memalloc_nofs scope for inode buffers");
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    const u = await parseInput(utf16, "u.patch");
    expect(u.patches[0]!.files[0]!.hunks).toHaveLength(2);
  });

  it("reads a path with a space that git ends with a tab on the ---/+++ lines", async () => {
    const diff = [
      "diff --git a/Documentation/quux/with space.txt b/Documentation/quux/with space.txt",
      "index d70d53b..9b14536 100644",
      "--- a/Documentation/quux/with space.txt\t",
      "+++ b/Documentation/quux/with space.txt\t",
      "@@ -1 +1,2 @@",
      " quux docs",
      "+more",
      "",
    ].join("\n");
    const { patches } = await parseInput(diff, "s.diff");
    expect(patches[0]!.files[0]).toMatchObject({ path: "Documentation/quux/with space.txt", oldPath: "Documentation/quux/with space.txt", status: "modified" });
    expect(patches[0]!.files[0]!.hunks[0]!.lines.map((l) => [l.kind, l.newLine])).toEqual([
      ["ctx", 1],
      ["add", 2],
    ]);
  });
});

describe("git am --scissors", () => {
  it("takes the commit below a scissors line in a reply", async () => {
    const patch = fixtureText("format-patch.patch");
    const body = patch.slice(patch.indexOf("\n\n") + 2);
    const mail = [
      "From: Bob Tester <bob@example.com>",
      "Subject: Re: [PATCH 1/3] quuxfs: use the memalloc_nofs scope for inode buffers",
      "Message-ID: <scissors-1@example.com>",
      "In-Reply-To: <dda6085725e4ccfda8321f450b02c277d69c7bd9.1795310275.git.alice@example.org>",
      "",
      "On Sun, Nov 22, 2026 at 01:17:55AM +0000, Alice Maintainer wrote:",
      "> Looks fine, but how about this instead?",
      "",
      "-- >8 --",
      "From: Bob Tester <bob@example.com>",
      "Subject: [PATCH] quuxfs: scope NOFS around the whole inode read",
      "",
      body,
    ].join("\n");
    const { patches } = await parseInput(mail, "r.eml");
    expect(patches[0]!.subject).toBe("quuxfs: scope NOFS around the whole inode read");
    expect(patches[0]!.author).toBe("Bob Tester <bob@example.com>");
    expect(patches[0]!.message.startsWith("quux_alloc_inode_buf() passes GFP_NOFS")).toBe(true);
    expect(patches[0]!.message).not.toContain("how about this");
  });
});

describe("compressed mbox", () => {
  it("reads a gzip-compressed mbox (lore's t.mbox.gz) and keeps the size limit", async () => {
    const gz = gzipSync(fixture("series.mbox"));
    const { patches, covers } = await parseInput(gz, "t.mbox.gz");
    expect(patches.map((p) => p.source)).toEqual(["t.mbox.gz#2", "t.mbox.gz#5"]);
    expect(covers).toHaveLength(1);
    await expect(parseInput(gz, "t.mbox.gz", { maxBytes: 4000 })).rejects.toThrow("t.mbox.gz: gzip input decompresses to more than the limit of 4000 bytes");
    await expect(parseInput(gz.subarray(0, 100), "cut.gz")).rejects.toThrow(/^cut\.gz: gzip input does not decompress: /);
  });
});

describe("more mail shapes", () => {
  const body = () => {
    const p = fixtureText("format-patch.patch");
    return p.slice(p.indexOf("\n\n") + 2);
  };
  const head = ["From: Alice Maintainer <alice@example.org>", "Subject: [PATCH] quuxfs: use the memalloc_nofs scope for inode buffers", "Message-ID: <shape@example.org>", "MIME-Version: 1.0"];

  it("reads a single-part base64 text/plain body", async () => {
    const mail = [...head, "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "", Buffer.from(body()).toString("base64").replace(/.{76}/g, "$&\n"), ""].join("\n");
    const { patches } = await parseInput(mail, "b64.eml");
    expect(patches[0]!.files[0]!.hunks).toHaveLength(2);
  });

  it("reads a diff sent as an inline text/x-diff part after the message", async () => {
    const b = body();
    const msg = b.slice(0, b.indexOf("---\n"));
    const diff = b.slice(b.indexOf("diff --git"), b.indexOf("-- \n"));
    const mail = [
      ...head,
      'Content-Type: multipart/mixed; boundary="xx"',
      "",
      "--xx",
      "Content-Type: text/plain; charset=us-ascii",
      "",
      msg,
      "--xx",
      "Content-Type: text/x-diff; charset=us-ascii",
      "Content-Disposition: inline",
      "",
      diff,
      "--xx--",
      "",
    ].join("\r\n");
    const { patches } = await parseInput(mail, "inline.eml");
    expect(patches[0]!.message.startsWith("quux_alloc_inode_buf() passes GFP_NOFS")).toBe(true);
    expect(patches[0]!.files[0]!.hunks).toHaveLength(2);
  });

  it("reads an mbox with CRLF line ends", async () => {
    const { patches, covers, problems } = await parseInput(fixtureText("series.mbox").replace(/\n/g, "\r\n"), "crlf.mbox");
    expect(patches.map((p) => p.source)).toEqual(["crlf.mbox#2", "crlf.mbox#5"]);
    expect(covers).toHaveLength(1);
    expect(problems).toHaveLength(1);
  });
});

describe("forwarded patches", () => {
  it("reads the patch of a message/rfc822 part in a Fwd: mail", async () => {
    const inner = fixtureText("format-patch.patch").replace(/^From [0-9a-f]{40}[^\n]*\n/, "");
    const mail = [
      "From: Dave Forwarder <dave@example.net>",
      "Subject: Fwd: [PATCH 1/3] quuxfs: use the memalloc_nofs scope for inode buffers",
      "Message-ID: <fwd-1@example.net>",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="fwd"',
      "",
      "--fwd",
      "Content-Type: text/plain; charset=utf-8",
      "",
      "Forwarding this one for review.",
      "",
      "--fwd",
      "Content-Type: message/rfc822",
      "Content-Disposition: inline",
      "",
      inner,
      "--fwd--",
      "",
    ].join("\n");
    const { patches } = await parseInput(mail, "fwd.eml");
    expect(patches).toHaveLength(1);
    expect(patches[0]!.messageId).toBe("fwd-1@example.net");
    expect(patches[0]!.subject).toBe("quuxfs: use the memalloc_nofs scope for inode buffers");
    expect(patches[0]!.author).toBe("Alice Maintainer <alice@example.org>");
    expect(patches[0]!.files[0]!.hunks).toHaveLength(2);
  });
});

describe("forwarded patches, read by mailparser", () => {
  const inner = () => fixtureText("format-patch.patch").replace(/^From [0-9a-f]{40}[^\n]*\n/, "");
  const outer = (part: string[]) =>
    [
      "From: Dave Forwarder <dave@example.net>",
      "Subject: Fwd: [PATCH 1/3] quuxfs: use the memalloc_nofs scope for inode buffers",
      "Message-ID: <fwd-2@example.net>",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="fwd"',
      "",
      "--fwd",
      "Content-Type: text/plain; charset=utf-8",
      "",
      "Forwarding this one for review.",
      "",
      "--fwd",
      ...part,
      "--fwd--",
      "",
    ].join("\n");

  it("reads an attached forwarded message whose own body is base64 (a second MIME level)", async () => {
    const msg = inner();
    const [head, body] = [msg.slice(0, msg.indexOf("\n\n")), msg.slice(msg.indexOf("\n\n") + 2)];
    const encoded = [head, "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "", Buffer.from(body).toString("base64").replace(/.{76}/g, "$&\n"), ""].join("\n");
    const mail = outer(["Content-Type: message/rfc822", 'Content-Disposition: attachment; filename="patch.eml"', "", encoded]);
    const { patches } = await parseInput(mail, "fwd2.eml");
    expect(patches).toHaveLength(1);
    expect(patches[0]!.author).toBe("Alice Maintainer <alice@example.org>");
    expect(patches[0]!.subject).toBe("quuxfs: use the memalloc_nofs scope for inode buffers");
    expect(patches[0]!.message.startsWith("quux_alloc_inode_buf() passes GFP_NOFS")).toBe(true);
    expect(patches[0]!.files[0]!.hunks).toHaveLength(2);
  });

  it("reads a mail client's inline forward (a header block above the patch)", async () => {
    const msg = inner();
    const body = msg.slice(msg.indexOf("\n\n") + 2);
    const mail = [
      "From: Dave Forwarder <dave@example.net>",
      "Subject: Fwd: [PATCH 1/3] quuxfs: use the memalloc_nofs scope for inode buffers",
      "Message-ID: <fwd-3@example.net>",
      "",
      "Forwarding this one for review.",
      "",
      "-------- Forwarded Message --------",
      "",
      "Subject: [PATCH 1/3] quuxfs: use the memalloc_nofs scope for inode buffers",
      "Date: Sun, 22 Nov 2026 01:17:55 +0000",
      "From: =?UTF-8?q?Jos=C3=A9_P=C3=A9rez?= <jose@example.org>",
      "To: linux-fsdevel@vger.kernel.org",
      "",
      body,
    ].join("\n");
    const { patches } = await parseInput(mail, "fwd3.eml");
    expect(patches[0]!.author).toBe("José Pérez <jose@example.org>");
    expect(patches[0]!.date).toBe("Sun, 22 Nov 2026 01:17:55 +0000");
    expect(patches[0]!.message.startsWith("quux_alloc_inode_buf() passes GFP_NOFS")).toBe(true);
    expect(patches[0]!.message).not.toContain("Forwarding");
  });
});

describe("headers and charsets, by the mail libraries", () => {
  const diff = fixtureText("plain.diff");

  it("decodes an encoded word split inside a character, a group of addresses, and a Latin-1 inline part", async () => {
    const mail = Buffer.concat([
      Buffer.from(
        [
          // "naïve" with the two bytes of ï in two encoded words
          "Subject: =?UTF-8?B?W1BBVENIXSBxdXV4ZnM6IG5hww==?= =?UTF-8?B?r3ZlIHNjb3Bl?=",
          "From: team: =?ISO-8859-1?Q?Ren=E9e_Dupr=E9?= <renee@example.fr>, Bob <bob@example.com>;",
          "Message-ID: <hdr-1@example.fr>",
          "MIME-Version: 1.0",
          'Content-Type: multipart/mixed; boundary="b1"',
          "",
          "--b1",
          "Content-Type: text/plain; charset=iso-8859-1",
          "Content-Transfer-Encoding: 8bit",
          "",
          "",
        ].join("\n"),
        "latin1",
      ),
      Buffer.from("Pr\xe9f\xe9rer le scope NOFS.\n\n", "latin1"),
      Buffer.from(diff + "\n--b1--\n", "utf8"),
    ]);
    const { patches } = await parseInput(mail, "hdr.eml");
    expect(patches[0]!.rawSubject).toBe("[PATCH] quuxfs: naïve scope");
    expect(patches[0]!.author).toBe("Renée Dupré <renee@example.fr>");
    expect(patches[0]!.message).toContain("Préférer le scope NOFS.");
    expect(patches[0]!.notes).toEqual([]);
  });

  it("says so when an inline part's bytes do not decode in the charset it names", async () => {
    const mail = Buffer.concat([
      Buffer.from(["Subject: [PATCH] quuxfs: x", "From: A <a@example.org>", "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b2"', "", "--b2", "Content-Type: text/plain; charset=x-klingon", "", ""].join("\n")),
      Buffer.from("Pr\xe9f\xe9rer.\n\n", "latin1"),
      Buffer.from(diff + "\n--b2--\n"),
    ]);
    const { patches } = await parseInput(mail, "kl.eml");
    expect(patches[0]!.notes).toContain("some bytes of the message text are not valid in its declared charset (shown as U+FFFD)");
  });
});

describe("replies", () => {
  it("does not take a reply's code snippet in hunk form for a patch", async () => {
    const reply = [
      "From bob@example.com Sun Nov 22 03:00:00 2026",
      "From: Bob Tester <bob@example.com>",
      "Subject: Re: [PATCH 3/3] quuxfs: kick writeback from the cache shrinker instead of waiting",
      "Message-ID: <snippet-1@example.com>",
      "",
      "Something like this on top?",
      "",
      "@@ -20,3 +20,4 @@",
      " \tif (!mutex_trylock(&qs->cache_lock))",
      "+\t\tqueue_work(qs->flush_wq, &qs->flush_work);",
      "",
      "",
    ].join("\n");
    const { patches, problems } = await parseInput(fixtureText("series.mbox") + reply, "t.mbox");
    expect(patches).toHaveLength(2);
    expect(problems.map((p) => p.source)).toEqual(["t.mbox#3"]);
  });
});

describe("mbox separators", () => {
  it("does not split at prose that starts with From", async () => {
    const text = fixtureText("format-patch.patch").replace(
      "Signed-off-by: Alice",
      "From 10:30 to 11:00 the test box was idle.\n\nFrom then on it ran fsstress.\n\nSigned-off-by: Alice",
    );
    const { patches } = await parseInput(text, "p.patch");
    expect(patches).toHaveLength(1);
    expect(patches[0]!.source).toBe("p.patch");
    expect(patches[0]!.message).toContain("From 10:30 to 11:00 the test box was idle.");
  });
});

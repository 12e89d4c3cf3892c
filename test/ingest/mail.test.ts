// parseMail: the one raw message the mail bot receives from IMAP.
import { describe, expect, it } from "vitest";
import { parseMail } from "../../src/ingest/mail.js";
import { fixture, fixtureText } from "./helpers.js";

function message(headers: string[], body: string): Buffer {
  return Buffer.from(headers.join("\r\n") + "\r\n\r\n" + body.replace(/\n/g, "\r\n"));
}

describe("parseMail", () => {
  it("reads the addressing headers a reply needs", async () => {
    const raw = message(
      [
        "From: =?UTF-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>",
        "Reply-To: Joerg List Alias <joerg+lists@example.de>",
        "To: linux-mm@kvack.org, Alice Maintainer <alice@example.org>",
        'Cc: "Doe, Jane" <jane@example.net>,',
        " bob@example.com (Bob Tester)",
        "Subject: [PATCH v3 2/5] mm: keep the NOFS scope",
        "  across the retry",
        "Date: Mon, 23 Nov 2026 08:00:00 +0100",
        "Message-ID: <20261123070000.5-joerg@example.de>",
        "In-Reply-To: <20261123070000.0-joerg@example.de>",
        "References: <20261123070000.0-joerg@example.de>",
        "List-Id: <linux-mm.kvack.org>",
        "Auto-Submitted: no",
        "X-Mailer: git-send-email 2.47.0",
      ],
      fixtureText("format-patch.patch").replace(/^[\s\S]*?\n\n/, ""),
    );
    const m = await parseMail(raw, "imap://lists/INBOX;UID=42");
    expect(m).toMatchObject({
      source: "imap://lists/INBOX;UID=42",
      messageId: "20261123070000.5-joerg@example.de",
      inReplyTo: "20261123070000.0-joerg@example.de",
      references: ["20261123070000.0-joerg@example.de"],
      from: "Jörg Müller <joerg@example.de>",
      fromAddress: "joerg@example.de",
      replyTo: ["Joerg List Alias <joerg+lists@example.de>"],
      to: ["linux-mm@kvack.org", "Alice Maintainer <alice@example.org>"],
      cc: ["Doe, Jane <jane@example.net>", "Bob Tester <bob@example.com>"],
      subject: "[PATCH v3 2/5] mm: keep the NOFS scope across the retry",
      date: "Mon, 23 Nov 2026 08:00:00 +0100",
      autoSubmitted: "no",
      listId: "linux-mm.kvack.org",
      isCover: false,
      problem: null,
    });
    expect(m.headers["x-mailer"]).toBe("git-send-email 2.47.0");
    expect(m.headers["from"]).toBe("Jörg Müller <joerg@example.de>");
    expect(m.body).toContain("quux_alloc_inode_buf() passes GFP_NOFS");
    expect(m.body).not.toContain("\r");
    expect(m.patch!.subject).toBe("mm: keep the NOFS scope across the retry");
    expect(m.patch!.series).toEqual({ version: 3, index: 2, total: 5, tags: [] });
    expect(m.patch!.files.map((f) => f.path)).toEqual(["fs/quuxfs/inode.c"]);
  });

  it("gives a reply without a diff no patch and no problem", async () => {
    const m = await parseMail(
      message(["From: Bob <bob@example.com>", "Subject: Re: [PATCH] x", "Message-ID: <r1@example.com>", "In-Reply-To: <p1@example.com>"], "> +\tquoted\n\nLooks good.\n"),
      "r",
    );
    expect(m.patch).toBeNull();
    expect(m.problem).toBeNull();
    expect(m.inReplyTo).toBe("p1@example.com");
  });

  it("marks a 0/n cover letter", async () => {
    const m = await parseMail(message(["From: A <a@example.org>", "Subject: [PATCH 0/2] series", "Message-ID: <c@example.org>"], "Blurb.\n"), "c");
    expect(m.isCover).toBe(true);
    expect(m.patch).toBeNull();
    expect(m.problem).toBeNull();
  });

  it("reports why a message could not be read instead of throwing", async () => {
    const bad = await parseMail(fixture("bad-charset.eml"), "b");
    expect(bad.problem).toBe('unknown charset "x-klingon": cannot decode the message');
    expect(bad.messageId).toBe("badcs@example.org");
    expect(bad.patch).toBeNull();
    const trunc = await parseMail(fixture("truncated.patch"), "t");
    expect(trunc.problem).toMatch(/^hunk 2 of fs\/quuxfs\/inode\.c \(@@ -25,10 \+25,13 @@ at line \d+\) is truncated/);
    const empty = await parseMail(Buffer.from("\r\n\r\n"), "e");
    expect(empty.problem).toBe("empty input");
    const plain = await parseMail(message(["From: A <a@example.org>", "Subject: hello", "Message-ID: <h@example.org>"], "Just a question.\n"), "h");
    expect(plain.problem).toBe("not a patch: no diff found");
  });

  it("reads MIME mail and strips an mbox From line in front", async () => {
    const raw = Buffer.concat([Buffer.from("From carol@example.com Sun Nov 22 09:12:00 2026\n"), fixture("attachment-latin1.eml")]);
    const m = await parseMail(raw, "a");
    expect(m.messageId).toBe("a1b2c3d4-attach@example.com");
    expect(m.body).toContain("my mail client mangles inline patches");
    expect(m.patch!.message).toContain("José Pérez");
  });
});

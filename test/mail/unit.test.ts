import { mkdtempSync, readFileSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addressReply, composeReply, makeMessageId, parseAddress } from "../../src/mailbot/compose.js";
import { RateLimiter } from "../../src/mailbot/deliver.js";
import { backoffDelay, parseImapUrl } from "../../src/mailbot/imap.js";
import { readMbox } from "../../src/mailbot/backfill.js";
import { bareListId, buildPolicies, daysTooOld, policyFor, mailConfigSchema } from "../../src/mailbot/policy.js";
import { StateStore } from "../../src/mailbot/state.js";
import { parseSubject, replySubject } from "../../src/mailbot/subject.js";
import { bodyOf, header } from "./helpers/servers.js";

const tmp = () => mkdtempSync(join(tmpdir(), "rr-mail-unit-"));

describe("subjects", () => {
  it("reads version, n/m, tags and reply prefixes like b4", () => {
    const s = parseSubject("Re: [PATCH RFC v3 02/17] mm: vmscan: frob");
    expect(s).toMatchObject({ reply: true, patch: true, version: 3, index: 2, total: 17, tags: ["RFC"], summary: "mm: vmscan: frob" });
    expect(parseSubject("[PATCHv2 0/3] xfs: cover").version).toBe(2);
    expect(parseSubject("[PATCH 0/3] xfs: cover").index).toBe(0);
    expect(parseSubject("[GIT PULL] vfs fixes").pull).toBe(true);
    expect(parseSubject("[PATCH net-next] x").tags).toEqual(["net-next"]);
    expect(parseSubject("Aw: Fwd: [PATCH] y").reply).toBe(true);
  });
  it("adds Re: once", () => {
    expect(replySubject("[PATCH] a")).toBe("Re: [PATCH] a");
    expect(replySubject("Re: [PATCH] a")).toBe("Re: [PATCH] a");
  });
});

describe("reply composition", () => {
  const self = parseAddress("Reclaim Bot <bot@reclaim.example>")!;
  const orig = {
    messageId: "<p1@example.org>",
    references: ["<c0@example.org>"],
    subject: "[PATCH 1/2] fs: frob",
    from: "Ann Author <ann@example.org>",
    replyTo: [],
    to: ["linux-mm@kvack.org", "Bot <BOT@reclaim.example>"],
    cc: ["Ann Author <ANN@example.org>", "Rev Iewer <rev@example.net>", "linux-mm@kvack.org"],
  };
  it("addresses the author only by default and everyone minus ourselves with reply-all", () => {
    expect(addressReply(orig, self, "author")).toEqual({ to: [{ name: "Ann Author", address: "ann@example.org" }], cc: [], dropped: 0 });
    const all = addressReply(orig, self, "all");
    expect(all.cc.map((a) => a.address)).toEqual(["linux-mm@kvack.org", "rev@example.net"]);
    expect(addressReply({ ...orig, replyTo: ["list-reply@example.org"] }, self, "author").to[0]!.address).toBe("list-reply@example.org");
  });
  it("threads, marks itself auto-generated and sends one UTF-8 text part", () => {
    const id = makeMessageId("reclaim.example", new Date(Date.UTC(2026, 10, 22, 1, 2, 3)));
    expect(id).toMatch(/^<20261122010203\.[0-9a-f]{12}-reclaim@reclaim\.example>$/);
    const raw = composeReply({ orig, from: self, addressing: addressReply(orig, self, "all"), messageId: id, body: "Hi Ann,\n\n> +\tx();\n\nprose – ü\n" });
    expect(header(raw, "Subject")).toBe("Re: [PATCH 1/2] fs: frob");
    expect(header(raw, "In-Reply-To")).toBe("<p1@example.org>");
    expect(header(raw, "References")).toBe("<c0@example.org> <p1@example.org>");
    expect(header(raw, "Message-ID")).toBe(id);
    expect(header(raw, "Content-Type")).toBe("text/plain; charset=utf-8");
    expect(header(raw, "Auto-Submitted")).toBe("auto-generated");
    expect(header(raw, "To")).toBe("Ann Author <ann@example.org>");
    expect(header(raw, "Cc")).toBe("linux-mm@kvack.org, Rev Iewer <rev@example.net>");
    expect(bodyOf(raw)).toContain("prose – ü");
    for (const line of raw.split("\r\n\r\n")[0]!.split("\r\n")) expect(line.length).toBeLessThanOrEqual(78);
  });
});

describe("state store", () => {
  it("replays the journal, drops a torn last record and compacts", () => {
    const dir = tmp();
    const s = StateStore.open(dir);
    s.append({ t: "seen", id: "<a@x>", rec: { state: "done", reason: "skipped", at: 1 } });
    s.append({ t: "cursor", key: "k", cursor: { uidValidity: "7", lastUid: 42 } });
    s.append({
      t: "queue",
      item: { id: "<r@x>", answers: ["<b@x>"], envelopeFrom: "bot@x", recipients: ["ann@x"], raw: "raw", notBefore: 0, queuedAt: 1 },
      seen: { "<b@x>": { state: "queued", reason: "reply <r@x>", at: 1 } },
    });
    s.close();
    appendFileSync(join(dir, "journal.log"), '{"t":"sent","id":"<r@'); // a crash mid-write
    const again = StateStore.open(dir);
    expect(again.tornRecords).toBe(1);
    expect(again.cursor("k")).toEqual({ uidValidity: "7", lastUid: 42 });
    expect(again.data.outbox["<r@x>"]?.recipients).toEqual(["ann@x"]);
    expect(again.seen("<b@x>")?.state).toBe("queued");
    again.append({ t: "sent", id: "<r@x>", at: 2 });
    again.close();
    expect(readFileSync(join(dir, "state.json"), "utf8")).toContain('"<a@x>"');
    const third = StateStore.open(dir);
    expect(third.data.outbox).toEqual({});
    expect(third.seen("<b@x>")).toMatchObject({ state: "done", reason: "replied <r@x>" });
    expect(third.data.sent["<r@x>"]?.answers).toEqual(["<b@x>"]);
    third.close();
  });
});

describe("state store compaction", () => {
  it("folds the journal into the snapshot and keeps appending after it", () => {
    const dir = tmp();
    const s = StateStore.open(dir);
    for (let i = 0; i < 5; i++) s.append({ t: "seen", id: `<m${i}@x>`, rec: { state: "done", reason: "skipped: test", at: i } });
    expect(s.records).toBe(5);
    s.compact();
    expect(s.records).toBe(0);
    expect(readFileSync(join(dir, "journal.log"), "utf8")).toBe("");
    s.append({ t: "suppress", lineage: "ann@x\nfrob", fingerprints: ["0123456789abcdef"] });
    s.close();
    const again = StateStore.open(dir);
    expect(Object.keys(again.data.seen)).toHaveLength(5);
    expect(again.suppressed("ann@x\nfrob")).toEqual(["0123456789abcdef"]);
    again.close();
  });
});

describe("rate limit and backoff", () => {
  it("allows perMinute sends in a rolling minute", () => {
    let t = 0;
    const r = new RateLimiter(2, () => t);
    r.record();
    r.record();
    expect(r.waitMs()).toBe(60_000);
    t = 30_000;
    expect(r.waitMs()).toBe(30_000);
    t = 60_000;
    expect(r.waitMs()).toBe(0);
    expect(new RateLimiter(0).waitMs()).toBe(0);
  });
  it("backs off exponentially with jitter under a cap", () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelay(3, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffDelay(30, 1000, 60_000, () => 1)).toBe(60_000);
  });
});

describe("configuration", () => {
  it("parses IMAP URLs", () => {
    expect(parseImapUrl("imaps://me%40x:p%2Fw@mail.example:993/lists%2Flinux-mm")).toMatchObject({
      user: "me@x",
      pass: "p/w",
      secure: true,
      port: 993,
      mailbox: "lists/linux-mm",
    });
    expect(parseImapUrl("imap://u:p@h/").mailbox).toBe("INBOX");
    expect(() => parseImapUrl("http://h/")).toThrow(/imap/);
  });
  it("matches a list by List-Id or mailbox, else the defaults", () => {
    const cfg = mailConfigSchema.parse({
      defaults: { "min-severity": "warning" },
      lists: [
        { match: { "list-id": "linux-xfs.vger.kernel.org" }, reply: "all", embargo: 30 },
        { match: { mailbox: "netdev" }, mute: true },
      ],
    });
    const t = buildPolicies(cfg);
    expect(bareListId("XFS <Linux-XFS.vger.kernel.org>")).toBe("linux-xfs.vger.kernel.org");
    expect(policyFor(t, "<linux-xfs.vger.kernel.org>", null)).toMatchObject({ reply: "all", embargoMinutes: 30 });
    expect(policyFor(t, null, "netdev").mute).toBe(true);
    expect(policyFor(t, null, "INBOX")).toMatchObject({ reply: "author", mute: false, minSeverity: "warning" });
    expect(() => mailConfigSchema.parse({ lists: [{ match: {}, reply: "everyone" }] })).toThrow();
  });
  it("has an age limit: 14 days by default, per list, 0 for none; no usable Date: or a future one is not too old", () => {
    const t = buildPolicies(mailConfigSchema.parse({ lists: [{ match: { mailbox: "archive" }, "max-age": 0 }, { match: { mailbox: "week" }, "max-age": 7 }] }));
    const now = Date.parse("2026-12-05T12:00:00Z");
    const inbox = policyFor(t, null, "INBOX");
    expect(inbox.maxAgeDays).toBe(14);
    expect(daysTooOld(inbox, "Sat, 21 Nov 2026 11:00:00 +0000", now)).toBeCloseTo(1 / 24, 5);
    expect(daysTooOld(inbox, "Sat, 21 Nov 2026 13:00:00 +0000", now)).toBeNull();
    expect(daysTooOld(policyFor(t, null, "week"), "Sat, 21 Nov 2026 13:00:00 +0000", now)).toBeGreaterThan(6);
    expect(daysTooOld(policyFor(t, null, "archive"), "Thu, 25 Jul 2019 18:33:58 +0900", now)).toBeNull();
    expect(daysTooOld(inbox, null, now)).toBeNull();
    expect(daysTooOld(inbox, "not a date", now)).toBeNull();
    expect(daysTooOld(inbox, "Sat, 5 Dec 2027 12:00:00 +0000", now)).toBeNull();
    expect(() => mailConfigSchema.parse({ defaults: { "max-age": -1 } })).toThrow();
  });
});

describe("mbox reader", () => {
  it("splits messages and undoes >From quoting", async () => {
    const dir = tmp();
    const p = join(dir, "a.mbox");
    writeFileSync(p, "From a@b Mon Jan  1 00:00:00 2026\nSubject: one\n\n>From here\nbody\n\nFrom a@b Mon Jan  1 00:00:00 2026\nSubject: two\n\nx\n");
    const got: string[] = [];
    for await (const m of readMbox(p)) got.push(m.toString());
    expect(got).toEqual(["Subject: one\n\nFrom here\nbody\n", "Subject: two\n\nx\n"]);
    writeFileSync(join(dir, "b"), "not an mbox\n");
    await expect(async () => {
      for await (const _ of readMbox(join(dir, "b"))) void _;
    }).rejects.toThrow(/not an mbox/);
  });
});

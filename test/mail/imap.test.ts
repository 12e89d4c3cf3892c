// The bot against a real Dovecot (IMAP APPEND to inject) and a real SMTP sink.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWithServers } from "../helpers/real-servers.js";
import { runMail } from "../../src/mailbot/index.js";
import type { MailConfigFile } from "../../src/mailbot/policy.js";
import { Dovecot, SmtpSink, bodyOf, dovecotUnavailable, header } from "./helpers/servers.js";
import { cleanDiff, hazardDiff, patchBody, patchMail, rawMail } from "./helpers/mails.js";

const why = dovecotUnavailable();

const BOT = "Reclaim Bot <bot@reclaim.example>";
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `rr-mail-${p}-`));

describeWithServers("mail bot against Dovecot and an SMTP sink", why, () => {
  let dc: Dovecot;
  let smtp: SmtpSink;
  beforeAll(async () => {
    dc = await Dovecot.start();
    smtp = new SmtpSink();
    await smtp.start();
  }, 30_000);
  afterAll(async () => {
    await smtp?.stop();
    await dc?.stop();
  });

  function config(mailbox: string, state: string, extra: Partial<MailConfigFile> = {}): MailConfigFile {
    return { "imap-url": [dc.url(mailbox)], "smtp-url": smtp.url(), from: BOT, state, once: true, "rate-limit": 0, ...extra };
  }
  const repliesTo = (id: string) => smtp.received.filter((r) => header(r.raw, "In-Reply-To") === id);

  it("replies once to a patch with a hazard, never to replies, bots or non-patches, and a second run sends nothing", async () => {
    const box = "basic";
    const state = tmp("state");
    const before = smtp.received.length;
    const patch = patchMail({
      messageId: "<p1@example.org>",
      subject: "[PATCH] frob: keep page cache allocations out of fs reclaim",
      cc: ["Rev Iewer <rev@example.net>"],
      diff: hazardDiff("fs/frob/inode.c"),
    });
    await dc.append(
      [
        patch,
        patchMail({ messageId: "<clean@example.org>", subject: "[PATCH] frob: noatime", diff: cleanDiff() }),
        rawMail({ messageId: "<re1@example.org>", subject: "Re: [PATCH] frob: keep page cache allocations out of fs reclaim", inReplyTo: "<p1@example.org>", body: "> +\tmapping_set_gfp_mask(inode->i_mapping, gfp & ~__GFP_FS);\n\nWhy?\n" }),
        patchMail({ messageId: "<lkp1@intel.com>", subject: "[PATCH] frob: robot fix", from: "kernel test robot <lkp@intel.com>", diff: hazardDiff("fs/frob/a.c", 1) }),
        patchMail({ messageId: "<own1@reclaim.example>", subject: "[PATCH] frob: ours", from: BOT, diff: hazardDiff("fs/frob/b.c", 2) }),
        patchMail({ messageId: "<auto1@example.org>", subject: "[PATCH] frob: auto", extraHeaders: ["Auto-Submitted: auto-replied"], diff: hazardDiff("fs/frob/c.c", 3) }),
        rawMail({ messageId: "<q1@example.org>", subject: "frob: question about reclaim", body: "Is GFP_NOFS still needed here?\n" }),
        rawMail({ messageId: "<pull1@example.org>", subject: "[GIT PULL] frob fixes for 7.0", body: "The following changes are available in the Git repository at:\n\n  git://example.org/frob.git tags/frob-fixes\n" }),
      ],
      box,
    );
    const logs: string[] = [];
    const sum = await runMail({ config: config(box, state), log: (l) => logs.push(l) });
    expect(sum.ok).toBe(true);
    expect(sum.ingested).toBe(8);
    const got = smtp.received.slice(before);
    expect(got).toHaveLength(1);
    const r = got[0]!;
    expect(r.to).toEqual(["ann@example.org"]); // author only by default
    expect(r.from).toBe("bot@reclaim.example");
    expect(header(r.raw, "Subject")).toBe("Re: [PATCH] frob: keep page cache allocations out of fs reclaim");
    expect(header(r.raw, "In-Reply-To")).toBe("<p1@example.org>");
    expect(header(r.raw, "References")).toBe("<p1@example.org>");
    expect(header(r.raw, "Message-ID")).toMatch(/^<\d{14}\.[0-9a-f]{12}-reclaim@reclaim\.example>$/);
    expect(header(r.raw, "Content-Type")).toBe("text/plain; charset=utf-8");
    expect(header(r.raw, "Auto-Submitted")).toBe("auto-generated");
    expect(header(r.raw, "Cc")).toBeNull();
    const body = bodyOf(r.raw);
    expect(body).toMatch(/^> .*mapping_set_gfp_mask\(inode->i_mapping, gfp & ~__GFP_FS\);$/m);
    // the fingerprints sit in the footer, under the ignore instruction
    expect(body.slice(body.indexOf("\n-- \n"))).toMatch(/\n {2}[0-9a-f]{16} mapping-gfp-mask, /);
    expect(body).toContain("reclaim-review: ignore <fingerprint>");
    expect(r.raw).not.toMatch(/multipart|quoted-printable/i);
    const text = logs.join("\n");
    expect(text).toMatch(/<re1@example\.org>: skipped: .*reply without a new diff/);
    expect(text).toMatch(/<lkp1@intel\.com>: skipped: .*known bot lkp@intel\.com/);
    expect(text).toMatch(/<own1@reclaim\.example>: skipped: .*our own mail/);
    expect(text).toMatch(/<auto1@example\.org>: skipped: .*Auto-Submitted: auto-replied/);
    expect(text).toMatch(/<q1@example\.org>: skipped: .*not a patch/);
    expect(text).toMatch(/<pull1@example\.org>: skipped: .*pull request without a diff/);
    expect(text).toMatch(/<clean@example\.org>: skipped: no findings/);

    const logs2: string[] = [];
    const again = await runMail({ config: config(box, state), log: (l) => logs2.push(l) });
    expect(again.ingested).toBe(0);
    expect(smtp.received.length).toBe(before + 1);
  }, 60_000);

  it("answers each patch of a series that has a hazard, threaded under the cover letter", async () => {
    const box = "series";
    const before = smtp.received.length;
    const cover = "<s0@example.org>";
    const part = (i: number, diff: string) =>
      patchMail({ messageId: `<s${i}@example.org>`, subject: `[PATCH 0${i}/3] frob: part ${i}`, inReplyTo: cover, references: [cover], diff });
    await dc.append(
      [
        rawMail({ messageId: cover, subject: "[PATCH 0/3] frob: mapping rework", body: "This series reworks frob.\n\nAnn Author (3):\n  frob: part 1\n" }),
        part(1, hazardDiff("fs/frob/one.c", 11)),
        part(2, cleanDiff("fs/frob/two.c", 12)),
        part(3, hazardDiff("fs/frob/three.c", 13)),
      ],
      box,
    );
    await runMail({ config: config(box, tmp("state")), log: () => undefined });
    const got = smtp.received.slice(before);
    expect(got.map((r) => header(r.raw, "In-Reply-To")).sort()).toEqual(["<s1@example.org>", "<s3@example.org>"]);
    for (const r of got) expect(header(r.raw, "References")).toMatch(/^<s0@example\.org> <s[13]@example\.org>$/);
    expect(header(got[0]!.raw, "Subject")).toMatch(/^Re: \[PATCH 0[13]\/3\] frob: part [13]$/);
  }, 60_000);

  it("keeps quiet on a finding the author ignored when v2 arrives, and says so in the log", async () => {
    const box = "ignore";
    const state = tmp("state");
    const before = smtp.received.length;
    const subject = "frob: set the mapping mask at inode setup";
    await dc.append([patchMail({ messageId: "<v1@example.org>", subject: `[PATCH] ${subject}`, diff: hazardDiff("fs/frob/inode.c", 21) })], box);
    await runMail({ config: config(box, state), log: () => undefined });
    const first = smtp.received.slice(before);
    expect(first).toHaveLength(1);
    const fp = /^ {2}([0-9a-f]{16}) /m.exec(bodyOf(first[0]!.raw))![1]!;
    const ourId = header(first[0]!.raw, "Message-ID")!;
    // somebody else asking to ignore does not count
    await dc.append(
      [
        rawMail({
          messageId: "<ign-other@example.net>",
          from: "Other Person <other@example.net>",
          subject: `Re: [PATCH] ${subject}`,
          inReplyTo: ourId,
          references: ["<v1@example.org>", ourId],
          body: `reclaim-review: ignore ${fp}\n`,
        }),
        rawMail({
          messageId: "<ign1@example.org>",
          subject: `Re: [PATCH] ${subject}`,
          inReplyTo: ourId,
          references: ["<v1@example.org>", ourId],
          body: `> reclaim-review: ignore <fingerprint>\n\nThis file really must stay NOFS.\n\nreclaim-review: ignore ${fp}\n`,
          // the receiving server's verdict: DKIM passed for the author's domain
          extraHeaders: ["Authentication-Results: mx.reclaim.example; dkim=pass header.d=example.org header.s=sel; spf=pass"],
        }),
      ],
      box,
    );
    const logs: string[] = [];
    await runMail({ config: config(box, state, { "ignore-auth": { "authserv-id": "mx.reclaim.example" } }), log: (l) => logs.push(l) });
    expect(logs.join("\n")).toMatch(/<ign-other@example\.net>: skipped: ignore request from other@example\.net, not the patch author/);
    expect(logs.join("\n")).toMatch(new RegExp(`<ign1@example\\.org>: suppression: ${fp}`));
    await dc.append([patchMail({ messageId: "<v2@example.org>", subject: `[PATCH v2] ${subject}`, diff: hazardDiff("fs/frob/inode.c", 21) })], box);
    const logs2: string[] = [];
    await runMail({ config: config(box, state), log: (l) => logs2.push(l) });
    expect(smtp.received.length).toBe(before + 1);
    expect(logs2.join("\n")).toMatch(/<v2@example\.org>: skipped: no findings at or above warning \(1 suppressed by the author\)/);
  }, 60_000);

  it("logs malformed MIME and a 30 MB mail with a reason and goes on to the next patch", async () => {
    const box = "odd";
    const before = smtp.received.length;
    const huge = rawMail({
      messageId: "<huge@example.org>",
      subject: "[PATCH] frob: firmware blob",
      body: patchBody(hazardDiff("fs/frob/huge.c", 31)) + "x".repeat(76).concat("\n").repeat(Math.ceil((30 * 1024 * 1024) / 77)),
    });
    expect(huge.length).toBeGreaterThan(30 * 1024 * 1024);
    const malformed = [
      "From: Ann Author <ann@example.org>",
      "To: linux-mm@kvack.org",
      "Subject: [PATCH] frob: broken mime",
      "Message-ID: <broken@example.org>",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="never-closed"',
      "",
      "--never-closed",
      "Content-Type: text/plain; charset=x-no-such-charset",
      "Content-Transfer-Encoding: base64",
      "",
      "!!!! not base64 at all ####",
      "--never-closed",
      "Content-Type: application/octet-stream; name=\"x.patch\"",
      "Content-Transfer-Encoding: base64",
      "",
      "@@@@",
    ].join("\r\n");
    await dc.append([huge, malformed, patchMail({ messageId: "<after@example.org>", subject: "[PATCH] frob: after the odd ones", diff: hazardDiff("fs/frob/after.c", 32) })], box);
    const logs: string[] = [];
    const sum = await runMail({ config: config(box, tmp("state")), log: (l) => logs.push(l) });
    expect(sum.ok).toBe(true);
    const text = logs.join("\n");
    expect(text).toMatch(/<huge@example\.org>: skipped: message is \d+ bytes, over the limit of 20971520/);
    expect(text).toMatch(/<broken@example\.org>: skipped: \S.*/);
    expect(smtp.received.slice(before).map((r) => header(r.raw, "In-Reply-To"))).toEqual(["<after@example.org>"]);
  }, 120_000);

  it("answers a patch cross-posted to two watched mailboxes once", async () => {
    const before = smtp.received.length;
    const mail = patchMail({ messageId: "<xpost@example.org>", subject: "[PATCH] frob: cross-posted", diff: hazardDiff("fs/frob/x.c", 71) });
    await dc.append([mail], "xa");
    await dc.append([mail], "xb");
    const logs: string[] = [];
    await runMail({ config: { ...config("xa", tmp("state")), "imap-url": [dc.url("xa"), dc.url("xb")] }, log: (l) => logs.push(l) });
    expect(smtp.received.slice(before).map((r) => header(r.raw, "In-Reply-To"))).toEqual(["<xpost@example.org>"]);
    expect(logs.filter((l) => /: connected$/.test(l))).toHaveLength(2);
  }, 60_000);

  it("resyncs by Message-ID when UIDVALIDITY changes", async () => {
    const box = "recreated";
    const state = tmp("state");
    const before = smtp.received.length;
    const one = patchMail({ messageId: "<uv1@example.org>", subject: "[PATCH] frob: uv one", diff: hazardDiff("fs/frob/u1.c", 51) });
    await dc.append([one], box);
    await runMail({ config: config(box, state), log: () => undefined });
    expect(smtp.received.length).toBe(before + 1);
    await dc.recreate(box); // a new mailbox: new UIDVALIDITY, UIDs from 1 again
    await dc.append([one, patchMail({ messageId: "<uv2@example.org>", subject: "[PATCH] frob: uv two", diff: hazardDiff("fs/frob/u2.c", 52) })], box);
    const logs: string[] = [];
    await runMail({ config: config(box, state), log: (l) => logs.push(l) });
    expect(logs.join("\n")).toMatch(/UIDVALIDITY changed \d+ -> \d+; resyncing by Message-ID/);
    expect(smtp.received.slice(before).map((r) => header(r.raw, "In-Reply-To"))).toEqual(["<uv1@example.org>", "<uv2@example.org>"]);
  }, 60_000);

  it("reconnects after the IMAP server restarts mid-run", async () => {
    const box = "restart";
    const before = smtp.received.length;
    const controller = new AbortController();
    const logs: string[] = [];
    await dc.append([], box);
    const running = runMail({ config: config(box, tmp("state"), { once: false }), log: (l) => logs.push(l), signal: controller.signal });
    const waitFor = async (n: number, ms: number) => {
      const end = Date.now() + ms;
      while (smtp.received.length < before + n) {
        if (Date.now() > end) throw new Error(`waited ${ms} ms for ${n} replies; log:\n${logs.join("\n")}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await dc.append([patchMail({ messageId: "<live1@example.org>", subject: "[PATCH] frob: live one", diff: hazardDiff("fs/frob/l1.c", 41) })], box);
    await waitFor(1, 20_000);
    await dc.restart();
    await dc.append([patchMail({ messageId: "<live2@example.org>", subject: "[PATCH] frob: live two", diff: hazardDiff("fs/frob/l2.c", 42) })], box);
    await waitFor(2, 40_000);
    controller.abort();
    await running;
    expect(logs.join("\n")).toMatch(/reconnecting in \d+ ms/);
    expect(logs.filter((l) => /: connected$/.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(smtp.received.slice(before).map((r) => header(r.raw, "In-Reply-To"))).toEqual(["<live1@example.org>", "<live2@example.org>"]);
  }, 90_000);
});

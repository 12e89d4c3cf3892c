// Backfill (mbox, public-inbox v2) in dry-run mode, and the per-list policy.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { MailBot } from "../../src/mailbot/bot.js";
import { OutboxDirTransport } from "../../src/mailbot/deliver.js";
import { runMail } from "../../src/mailbot/index.js";
import { buildPolicies, mailConfigSchema, type MailConfigFile } from "../../src/mailbot/policy.js";
import { StateStore } from "../../src/mailbot/state.js";
import { ALL_RULES } from "../../src/rules/index.js";
import { throwingRule } from "../helpers/throwing-rule.js";
import { RECENT_DATE, cleanDiff, hazardDiff, patchMail, rawMail } from "./helpers/mails.js";
import { SmtpSink, bodyOf, freePort, header } from "./helpers/servers.js";

const BOT = "Reclaim Bot <bot@reclaim.example>";
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `rr-mail-${p}-`));

function mbox(messages: string[]): string {
  return messages.map((m) => `From mboxrd@z Thu Jan  1 00:00:00 1970\n${m.replace(/\r\n/g, "\n").replace(/^(>*From )/gm, ">$1")}\n`).join("");
}

function outbox(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".eml"))
    .map((f) => readFileSync(join(dir, f), "utf8"));
}

const listMail = (id: string, subject: string, listId: string, diff: string) =>
  patchMail({
    messageId: id,
    subject,
    to: ["linux-xfs@vger.kernel.org"],
    cc: ["Rev Iewer <rev@example.net>", "Reclaim Bot <BOT@reclaim.example>"],
    extraHeaders: [`List-Id: <${listId}>`],
    diff,
  });

describe("mbox backfill and list policy (dry run)", () => {
  it("writes replies to the outbox, addressed by each list's policy", async () => {
    const dir = tmp("mbox");
    const file = join(dir, "in.mbox");
    writeFileSync(
      file,
      mbox([
        listMail("<xfs1@example.org>", "[PATCH] xfs: one", "linux-xfs.vger.kernel.org", hazardDiff("fs/xfs/a.c", 1)),
        listMail("<net1@example.org>", "[PATCH] net: two", "netdev.vger.kernel.org", hazardDiff("net/a.c", 2)),
        listMail("<mm1@example.org>", "[PATCH] mm: three", "linux-mm.kvack.org", cleanDiff("mm/a.c", 3)),
        listMail("<fsd1@example.org>", "[PATCH] fs: four", "linux-fsdevel.vger.kernel.org", hazardDiff("fs/a.c", 4)),
      ]),
    );
    const config = mailConfigSchema.parse({
      "from-mbox": file,
      outbox: join(dir, "out"),
      state: join(dir, "state"),
      from: BOT,
      once: true,
      lists: [
        { match: { "list-id": "linux-xfs.vger.kernel.org" }, reply: "all" },
        { match: { "list-id": "netdev.vger.kernel.org" }, mute: true },
        { match: { "list-id": "linux-mm.kvack.org" }, "no-findings-reply": true },
      ],
    });
    const logs: string[] = [];
    const sum = await runMail({ config, log: (l) => logs.push(l) });
    expect(sum.ingested).toBe(4);
    const eml = outbox(join(dir, "out"));
    const by = new Map(eml.map((e) => [header(e, "In-Reply-To"), e]));
    expect([...by.keys()].sort()).toEqual(["<fsd1@example.org>", "<mm1@example.org>", "<xfs1@example.org>"]);
    // reply-all: the list and the reviewer on Cc, never ourselves
    expect(header(by.get("<xfs1@example.org>")!, "Cc")).toBe("linux-xfs@vger.kernel.org, Rev Iewer <rev@example.net>");
    // default: author only
    expect(header(by.get("<fsd1@example.org>")!, "Cc")).toBeNull();
    expect(header(by.get("<fsd1@example.org>")!, "To")).toBe("Ann Author <ann@example.org>");
    // opt-in no-findings reply
    expect(bodyOf(by.get("<mm1@example.org>")!)).toMatch(/found nothing to comment on/);
    expect(logs.join("\n")).toMatch(/<net1@example\.org>: skipped: list muted \(1 findings\)/);
    // a second pass over the same mbox writes nothing new
    await runMail({ config, log: () => undefined });
    expect(outbox(join(dir, "out"))).toHaveLength(3);
  }, 30_000);

  it("records but never answers a patch older than the age limit (14 days by default), configurable per list", async () => {
    const dir = tmp("age");
    const file = join(dir, "old.mbox");
    const dated = (id: string, subject: string, listId: string, date: string, variant: number) =>
      patchMail({ messageId: id, subject, date, extraHeaders: [`List-Id: <${listId}>`], diff: hazardDiff(`fs/frob/age${variant}.c`, variant) });
    const fifteenDaysAgo = new Date(Date.now() - 15 * 86_400_000).toUTCString().replace("GMT", "+0000");
    writeFileSync(
      file,
      mbox([
        dated("<old2019@example.org>", "[PATCH] frob: from long ago", "linux-mm.kvack.org", "Thu, 25 Jul 2019 18:33:58 +0900", 201),
        dated("<old15@example.org>", "[PATCH] frob: two weeks and a day", "linux-mm.kvack.org", fifteenDaysAgo, 202),
        dated("<new@example.org>", "[PATCH] frob: this morning", "linux-mm.kvack.org", RECENT_DATE, 203),
        dated("<archive@example.org>", "[PATCH] frob: an archive list", "archive.example.org", "Thu, 25 Jul 2019 18:33:58 +0900", 204),
      ]),
    );
    const config = mailConfigSchema.parse({
      "from-mbox": file,
      outbox: join(dir, "out"),
      state: join(dir, "state"),
      from: BOT,
      once: true,
      lists: [{ match: { "list-id": "archive.example.org" }, "max-age": 0 }],
    });
    const logs: string[] = [];
    await runMail({ config, log: (l) => logs.push(l) });
    const replied = outbox(join(dir, "out")).map((e) => header(e, "In-Reply-To")).sort();
    expect(replied).toEqual(["<archive@example.org>", "<new@example.org>"]);
    expect(logs.join("\n")).toMatch(/<old2019@example\.org>: skipped: older than max-age \(14 days\): recorded, not answered/);
    expect(logs.join("\n")).toMatch(/<old15@example\.org>: skipped: older than max-age/);
    // recorded: a second run neither answers nor reviews them again
    const state = StateStore.open(join(dir, "state"));
    expect(state.seen("<old2019@example.org>")?.state).toBe("done");
    expect(state.seen("<old2019@example.org>")?.lineages).toEqual(["ann@example.org\nfrob: from long ago"]);
    state.close();
    const again: string[] = [];
    await runMail({ config, log: (l) => again.push(l) });
    expect(again.join("\n")).not.toMatch(/older than max-age/);
    expect(outbox(join(dir, "out"))).toHaveLength(2);
  }, 30_000);

  it("holds a reply for the embargo, sends it once the time has come", async () => {
    const dir = tmp("embargo");
    const state = StateStore.open(join(dir, "state"));
    let now = Date.parse("2026-11-02T10:05:00Z");
    const bot = new MailBot({
      from: BOT,
      state,
      transport: new OutboxDirTransport(join(dir, "out")),
      policies: buildPolicies(mailConfigSchema.parse({ defaults: { embargo: 60 } })),
      review: DEFAULT_CONFIG,
      kb: loadKnowledge(),
      rateLimit: 0,
      maxMessageBytes: 1 << 20,
      log: () => undefined,
      now: () => now,
    });
    const d = await bot.ingest(Buffer.from(patchMail({ messageId: "<emb@example.org>", subject: "[PATCH] fs: embargoed", date: "Mon, 2 Nov 2026 10:00:00 +0000" })), { source: "t#1", mailbox: null });
    expect(d.action).toBe("queued");
    expect(await bot.deliverDue()).toEqual({ sent: 0, failed: 0, waiting: 1 });
    now = Date.parse("2026-11-02T11:00:01Z"); // Date: 10:00 + 60 minutes
    expect((await bot.deliverDue()).sent).toBe(1);
    expect(outbox(join(dir, "out"))).toHaveLength(1);
    expect(state.seen("<emb@example.org>")?.state).toBe("done");
    state.close();
  });

  it("answers a whole series in one reply to the cover letter when the list asks for it", async () => {
    const dir = tmp("cover");
    const file = join(dir, "series.mbox");
    const cover = "<cv0@example.org>";
    const part = (i: number, diff: string) =>
      patchMail({ messageId: `<cv${i}@example.org>`, subject: `[PATCH v2 ${i}/2] frob: part ${i}`, inReplyTo: cover, references: [cover], diff });
    writeFileSync(
      file,
      mbox([
        rawMail({ messageId: cover, subject: "[PATCH v2 0/2] frob: rework", cc: ["Rev Iewer <rev@example.net>"], body: "Two patches.\n" }),
        part(1, hazardDiff("fs/frob/one.c", 51)),
        part(2, hazardDiff("fs/frob/two.c", 52)),
      ]),
    );
    const config: MailConfigFile = mailConfigSchema.parse({
      "from-mbox": file,
      outbox: join(dir, "out"),
      state: join(dir, "state"),
      from: BOT,
      once: true,
      defaults: { "series-reply": "cover" },
    });
    await runMail({ config, log: () => undefined });
    const eml = outbox(join(dir, "out"));
    expect(eml).toHaveLength(1);
    expect(header(eml[0]!, "In-Reply-To")).toBe(cover);
    expect(header(eml[0]!, "Subject")).toBe("Re: [PATCH v2 0/2] frob: rework");
    const body = bodyOf(eml[0]!);
    expect(body).toContain("fs/frob/one.c");
    expect(body).toContain("fs/frob/two.c");
  }, 30_000);
});

describe("encodings", () => {
  it("reviews a patch sent as a base64 attachment and one sent quoted-printable", async () => {
    const dir = tmp("enc");
    const file = join(dir, "in.mbox");
    const attached = [
      "From: Ann Author <ann@example.org>",
      "To: linux-mm@kvack.org",
      "Subject: [PATCH] frob: attached",
      `Date: ${RECENT_DATE}`,
      "Message-ID: <att1@example.org>",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="b1"',
      "",
      "--b1",
      "Content-Type: text/plain; charset=utf-8",
      "",
      "The patch is attached.",
      "--b1",
      'Content-Type: text/x-patch; charset=utf-8; name="0001-frob.patch"',
      "Content-Transfer-Encoding: base64",
      'Content-Disposition: attachment; filename="0001-frob.patch"',
      "",
      ...(Buffer.from(`Set up frob.\n\nSigned-off-by: Ann Author <ann@example.org>\n---\n${hazardDiff("fs/frob/att.c", 101)}`)
        .toString("base64")
        .match(/.{1,76}/g) ?? []),
      "--b1--",
      "",
    ].join("\n");
    const qpBody = `Set up frob.\n\nSigned-off-by: Ann Author <ann@example.org>\n---\n${hazardDiff("fs/frob/qp.c", 102)}`
      .replace(/=/g, "=3D")
      .replace(/\t/g, "=09");
    const qp = [
      "From: =?utf-8?q?Ann_Auth=C3=B6r?= <ann@example.org>",
      "To: linux-mm@kvack.org",
      "Subject: [PATCH] frob: quoted-printable",
      `Date: ${RECENT_DATE}`,
      "Message-ID: <qp1@example.org>",
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      qpBody,
    ].join("\n");
    writeFileSync(file, mbox([attached, qp]));
    const config = mailConfigSchema.parse({ "from-mbox": file, outbox: join(dir, "out"), state: join(dir, "state"), from: BOT, once: true });
    await runMail({ config, log: () => undefined });
    const eml = outbox(join(dir, "out"));
    const by = new Map(eml.map((e) => [header(e, "In-Reply-To"), e]));
    expect([...by.keys()].sort()).toEqual(["<att1@example.org>", "<qp1@example.org>"]);
    expect(bodyOf(by.get("<att1@example.org>")!)).toContain("fs/frob/att.c");
    // the non-ASCII name goes back out as an RFC 2047 encoded word
    expect(header(by.get("<qp1@example.org>")!, "To")).toMatch(/^Ann =\?UTF-8\?Q\?Auth=C3=B6r\?= <ann@example\.org>$/i);
  }, 30_000);
});

describe("SMTP delivery failures", () => {
  it("keeps the reply in the outbox when the server is down and sends the same message once it is up", async () => {
    const dir = tmp("smtpdown");
    const file = join(dir, "in.mbox");
    writeFileSync(file, mbox([patchMail({ messageId: "<down1@example.org>", subject: "[PATCH] frob: while down", diff: hazardDiff("fs/frob/d.c", 81) })]));
    const port = await freePort();
    const config = mailConfigSchema.parse({ "from-mbox": file, "smtp-url": `smtp://127.0.0.1:${port}`, state: join(dir, "state"), from: BOT, once: true, "rate-limit": 0 });
    const logs: string[] = [];
    const down = await runMail({ config, log: (l) => logs.push(l) });
    expect(down).toMatchObject({ ok: false, sent: 0, waiting: 1 });
    expect(logs.join("\n")).toMatch(/delivery of <\d{14}\.[0-9a-f]+-reclaim@reclaim\.example> failed, kept in the outbox/);
    const queuedId = /delivery of (<[^>]+>)/.exec(logs.join("\n"))![1]!;
    const sink = new SmtpSink();
    await sink.start(port);
    try {
      const up = await runMail({ config, log: () => undefined });
      expect(up).toMatchObject({ ok: true, sent: 1, waiting: 0 });
      expect(sink.received).toHaveLength(1);
      expect(header(sink.received[0]!.raw, "Message-ID")).toBe(queuedId);
      await runMail({ config, log: () => undefined });
      expect(sink.received).toHaveLength(1);
    } finally {
      await sink.stop();
    }
  }, 30_000);
});

describe("SMTP refusals and bounces", () => {
  it("drops a reply the server refuses for good, delivers the rest, and never answers a bounce", async () => {
    const dir = tmp("smtp550");
    const file = join(dir, "in.mbox");
    writeFileSync(
      file,
      mbox([
        patchMail({ messageId: "<gone1@example.org>", from: "Gone <gone@example.org>", subject: "[PATCH] frob: gone", diff: hazardDiff("fs/frob/g.c", 91) }),
        patchMail({ messageId: "<ok1@example.org>", subject: "[PATCH] frob: ok", diff: hazardDiff("fs/frob/o.c", 92) }),
        patchMail({ messageId: "<bounce1@example.org>", subject: "[PATCH] frob: bounced copy", extraHeaders: ["Return-Path: <>"], diff: hazardDiff("fs/frob/b.c", 93) }),
      ]),
    );
    const sink = new SmtpSink({ rejectRcpt: (a) => a === "gone@example.org" });
    await sink.start();
    try {
      const config = mailConfigSchema.parse({ "from-mbox": file, "smtp-url": sink.url(), state: join(dir, "state"), from: BOT, once: true, "rate-limit": 0 });
      const logs: string[] = [];
      const sum = await runMail({ config, log: (l) => logs.push(l) });
      expect(sum).toMatchObject({ ok: true, sent: 1, waiting: 0 });
      expect(sink.received.map((r) => header(r.raw, "In-Reply-To"))).toEqual(["<ok1@example.org>"]);
      const text = logs.join("\n");
      expect(text).toMatch(/refused \(550\), dropped/);
      expect(text).toMatch(/<bounce1@example\.org>: skipped: empty envelope sender/);
      await runMail({ config, log: () => undefined });
      expect(sink.received).toHaveLength(1);
    } finally {
      await sink.stop();
    }
  }, 30_000);
});

describe("public-inbox v2 backfill", () => {
  const git = (dir: string, ...args: string[]) =>
    execFileSync("git", args, {
      cwd: dir,
      env: { ...process.env, GIT_AUTHOR_NAME: "pi", GIT_AUTHOR_EMAIL: "pi@example.org", GIT_COMMITTER_NAME: "pi", GIT_COMMITTER_EMAIL: "pi@example.org" },
    }).toString();

  /** Adds one message as a commit whose tree holds only "m" (or "d" for a deletion), like public-inbox. */
  function commitMessage(work: string, raw: string | null): void {
    for (const f of ["m", "d"]) execFileSync("rm", ["-f", join(work, f)]);
    if (raw === null) writeFileSync(join(work, "d"), "deleted\n");
    else writeFileSync(join(work, "m"), raw);
    git(work, "add", "-A");
    git(work, "commit", "-q", "-m", raw === null ? "d" : "m");
  }

  it("reads every epoch in order, passes over deletions, and resumes from its cursor", async () => {
    const root = tmp("pi");
    const inbox = join(root, "linux-mm");
    mkdirSync(join(inbox, "git"), { recursive: true });
    const works: string[] = [];
    for (const epoch of [0, 1]) {
      const work = join(root, `work${epoch}`);
      mkdirSync(work);
      git(work, "init", "-q");
      works.push(work);
    }
    commitMessage(works[0]!, patchMail({ messageId: "<pi1@example.org>", subject: "[PATCH] frob: pi one", diff: hazardDiff("fs/frob/p1.c", 61) }));
    commitMessage(works[0]!, rawMail({ messageId: "<pi2@example.org>", subject: "frob: chatter", body: "hello\n" }));
    commitMessage(works[0]!, null);
    commitMessage(works[1]!, patchMail({ messageId: "<pi3@example.org>", subject: "[PATCH] frob: pi three", diff: hazardDiff("fs/frob/p3.c", 63) }));
    const publish = () => {
      for (const [i, w] of works.entries()) {
        execFileSync("rm", ["-rf", join(inbox, "git", `${i}.git`)]);
        execFileSync("git", ["clone", "-q", "--bare", w, join(inbox, "git", `${i}.git`)]);
      }
    };
    publish();
    const out = join(root, "out");
    const config = mailConfigSchema.parse({ "from-public-inbox": inbox, outbox: out, state: join(root, "state"), from: BOT, once: true });
    const first = await runMail({ config, log: () => undefined });
    expect(first.ingested).toBe(3);
    expect(outbox(out).map((e) => header(e, "In-Reply-To")).sort()).toEqual(["<pi1@example.org>", "<pi3@example.org>"]);
    commitMessage(works[1]!, patchMail({ messageId: "<pi4@example.org>", subject: "[PATCH] frob: pi four", diff: hazardDiff("fs/frob/p4.c", 64) }));
    publish();
    const second = await runMail({ config, log: () => undefined });
    expect(second.ingested).toBe(1); // only the new commit is read
    expect(outbox(out)).toHaveLength(3);
  }, 30_000);
});

describe("a rule that fails", () => {
  it("leaves that patch unanswered and says so in the log; the other patches are answered", async () => {
    const dir = tmp("boom");
    const logs: string[] = [];
    const make = (rules: typeof ALL_RULES) =>
      new MailBot({
        from: BOT,
        state: StateStore.open(join(dir, `state-${rules.length}`)),
        transport: new OutboxDirTransport(join(dir, `out-${rules.length}`)),
        policies: buildPolicies(mailConfigSchema.parse({})),
        review: DEFAULT_CONFIG,
        kb: loadKnowledge(),
        rules,
        rateLimit: 0,
        maxMessageBytes: 1 << 20,
        log: (l) => logs.push(l),
      });
    const mail = Buffer.from(patchMail({ messageId: "<boom1@example.org>", subject: "[PATCH] fs: mapping mask", diff: hazardDiff("fs/boom/inode.c", 1) }));
    const broken = make([...ALL_RULES, throwingRule]);
    const d = await broken.ingest(mail, { source: "t#1", mailbox: null });
    expect(d.action).toBe("skipped");
    expect(d.reason).toMatch(/^not answered: rule always-throws failed \(1 other findings\)$/);
    await broken.deliverDue();
    expect(outbox(join(dir, `out-${ALL_RULES.length + 1}`))).toEqual([]);
    expect(logs).toContain("t#1 <boom1@example.org>: rule always-throws failed: cannot read properties of undefined (reading 'hunks')");
    expect(logs).toContain("t#1 <boom1@example.org>: skipped: not answered: rule always-throws failed (1 other findings)");
    // the same mail to a bot whose rules all work is answered
    const working = make(ALL_RULES);
    expect((await working.ingest(mail, { source: "t#1", mailbox: null })).action).toBe("queued");
    await working.deliverDue();
    expect(outbox(join(dir, `out-${ALL_RULES.length}`))).toHaveLength(1);
  });
});

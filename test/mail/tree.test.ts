// The mail bot with --tree: every patch is reviewed against the author's
// code from a git repository built by the test, per list if configured, a
// series in order, and the repository refreshed with git fetch when asked.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../src/cli/commands/mail.js";
import type { Io } from "../../src/cli/main.js";
import { runMail } from "../../src/mailbot/index.js";
import { mailConfigSchema, type MailConfigFile } from "../../src/mailbot/policy.js";
import { blobId, commitsOf, gitDiff, makeRepo } from "../context/git-fixture.js";
import { QC_H, QC_IO, QC_IO_SYNC, QC_SHRINK, QC_SHRINK_FLUSH } from "../context/qcache-fixture.js";
import { diffFor } from "../helpers/patch.js";
import { Dovecot, SmtpSink, bodyOf, dovecotUnavailable, header } from "./helpers/servers.js";
import { patchBody, rawMail } from "./helpers/mails.js";

const BOT = "Reclaim Bot <bot@reclaim.example>";
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `rr-mail-tree-${p}-`));
const FILES = { "drivers/qc/qc_shrink.c": QC_SHRINK, "drivers/qc/qc_io.c": QC_IO, "drivers/qc/qc.h": QC_H };

function mbox(messages: string[]): string {
  return messages.map((m) => `From mboxrd@z Thu Jan  1 00:00:00 1970\n${m.replace(/\r\n/g, "\n").replace(/^(>*From )/gm, ">$1")}\n`).join("");
}

function outbox(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".eml"))
      .map((f) => readFileSync(join(dir, f), "utf8"));
  } catch {
    return [];
  }
}

const mail = (id: string, subject: string, diff: string, extra: { listId?: string; inReplyTo?: string; message?: string } = {}) =>
  rawMail({
    messageId: id,
    subject,
    to: ["linux-mm@kvack.org"],
    extraHeaders: extra.listId ? [`List-Id: <${extra.listId}>`] : [],
    ...(extra.inReplyTo ? { inReplyTo: extra.inReplyTo, references: [extra.inReplyTo] } : {}),
    body: patchBody(diff, extra.message ?? "Write dirty objects back from the shrinker."),
  });

// the hazard is in the helper the scan callback now calls: only the tree shows it
const flushPatch = (id: string, listId?: string) =>
  mail(id, "[PATCH] qcache: write dirty objects back in the shrinker", gitDiff({ path: "drivers/qc/qc_shrink.c", before: QC_SHRINK, after: QC_SHRINK_FLUSH }), { listId });

function config(dir: string, file: string, extra: Record<string, unknown> = {}): MailConfigFile {
  return mailConfigSchema.parse({ "from-mbox": file, outbox: join(dir, "out"), state: join(dir, "state"), from: BOT, once: true, ...extra });
}

describe("mail --tree", () => {
  const repo = makeRepo([{ message: "qcache: initial\n", files: FILES }]);
  const [c1] = commitsOf(repo) as [string];

  it("replies to a patch whose hazard only the tree shows; without --tree it does not", async () => {
    const dir = tmp("one");
    const file = join(dir, "in.mbox");
    writeFileSync(file, mbox([flushPatch("<qc1@example.org>")]));
    const logs: string[] = [];
    await runMail({ config: config(dir, file), log: (l) => logs.push(l) });
    expect(outbox(join(dir, "out"))).toEqual([]);
    expect(logs.join("\n")).toMatch(/<qc1@example\.org>: skipped: no findings at or above warning/);

    const dir2 = tmp("two");
    writeFileSync(join(dir2, "in.mbox"), mbox([flushPatch("<qc1@example.org>")]));
    await runMail({ config: config(dir2, join(dir2, "in.mbox"), { tree: repo }), log: () => undefined });
    const eml = outbox(join(dir2, "out"));
    expect(eml).toHaveLength(1);
    expect(header(eml[0]!, "In-Reply-To")).toBe("<qc1@example.org>");
    const body = bodyOf(eml[0]!).replace(/\s+/g, " ");
    expect(body).toContain("qc_scan (shrinker.scan_objects) -> qc_flush_obj -> qc_write_back -> wait_on_buffer");
    expect(body).toContain(`Reviewed against the tree at ${c1.slice(0, 12)} (the commit holding the patch's blobs); drivers/qc/qc_shrink.c: exact blob ${blobId(QC_SHRINK).slice(0, 12)}`);
  });

  it("takes the tree per list from the config file, and `tree: false` turns it off for one", async () => {
    const dir = tmp("lists");
    const file = join(dir, "in.mbox");
    writeFileSync(file, mbox([flushPatch("<xfs@example.org>", "linux-xfs.vger.kernel.org"), flushPatch("<net@example.org>", "netdev.vger.kernel.org"), flushPatch("<mm@example.org>", "linux-mm.kvack.org")]));
    const other = makeRepo([{ message: "unrelated\n", files: { "README": "x\n" } }]);
    const cfg = join(dir, "mail.yaml");
    writeFileSync(
      cfg,
      [
        `from: "${BOT}"`,
        `once: true`,
        `tree: ${other}`,
        `lists:`,
        `  - match: { list-id: linux-xfs.vger.kernel.org }`,
        `    tree: ${repo}`,
        `  - match: { list-id: netdev.vger.kernel.org }`,
        `    tree: false`,
        "",
      ].join("\n"),
    );
    const t = cliIo();
    const code = await run(["--config", cfg, "--from-mbox", file, "--outbox", join(dir, "out"), "--state", join(dir, "state")], t);
    expect(code).toBe(0);
    // only linux-xfs reviews against the repository that holds the helper
    expect(outbox(join(dir, "out")).map((e) => header(e, "In-Reply-To"))).toEqual(["<xfs@example.org>"]);
  });

  it("reviews 2/2 on top of 1/2, with the base-commit of the cover letter", async () => {
    const dir = tmp("series");
    const file = join(dir, "in.mbox");
    const cover = rawMail({
      messageId: "<cover@example.org>",
      subject: "[PATCH 0/2] qcache: write back from the shrinker",
      body: `Two patches.\n\nAnn Author (2):\n  qcache: add qc_sync_obj()\n  qcache: sync dirty objects in the shrinker\n\nbase-commit: ${c1}\n-- \n2.47.0\n`,
    });
    const shrinkSync = QC_SHRINK.replace("\tqc_drop_clean(o);\n", "\tqc_sync_obj(o);\n\tqc_drop_clean(o);\n");
    // plain diffs (no index lines): the cover's base-commit says where they apply
    const p1 = mail("<s1@example.org>", "[PATCH 1/2] qcache: add qc_sync_obj()", diffFor({ path: "drivers/qc/qc_io.c", before: QC_IO, after: QC_IO_SYNC }), { inReplyTo: "<cover@example.org>", message: "A helper." });
    const p2 = mail("<s2@example.org>", "[PATCH 2/2] qcache: sync dirty objects in the shrinker", diffFor({ path: "drivers/qc/qc_shrink.c", before: QC_SHRINK, after: shrinkSync }), { inReplyTo: "<cover@example.org>" });
    writeFileSync(file, mbox([cover, p1, p2]));
    await runMail({ config: config(dir, file, { tree: repo }), log: () => undefined });
    const eml = outbox(join(dir, "out"));
    expect(eml.map((e) => header(e, "In-Reply-To"))).toEqual(["<s2@example.org>"]);
    const body = bodyOf(eml[0]!).replace(/\s+/g, " ");
    expect(body).toContain("qc_scan (shrinker.scan_objects) -> qc_sync_obj -> wait_on_buffer");
    expect(body).toContain(`tree at ${c1.slice(0, 12)} (the patch's base-commit); drivers/qc/qc_shrink.c: at ${c1.slice(0, 12)}, not the exact blob`);
  });

  it("fetches the repository before a batch with --tree-fetch, and finds a blob that only arrived with it", async () => {
    const upstream = makeRepo([{ message: "qcache: initial\n", files: FILES }]);
    const clone = join(tmp("clone"), "linux");
    execFileSync("git", ["clone", "-q", upstream, clone]);
    // upstream moves on: a new helper that waits on IO, which the clone has not seen
    const io2 = QC_IO.replace("void qc_drop_clean", "void qc_reap(struct qc_obj *o)\n{\n\twait_on_buffer(o->bh);\n\tqc_free(o);\n}\n\nvoid qc_drop_clean");
    execFileSync("git", ["-C", upstream, "checkout", "-q", "main"]);
    writeFileSync(join(upstream, "drivers/qc/qc_io.c"), io2);
    execFileSync("git", ["-C", upstream, "-c", "user.name=Dev", "-c", "user.email=dev@example.org", "commit", "-q", "-am", "qcache: add qc_reap()"]);
    const newer = commitsOf(upstream).pop()!;
    const dir = tmp("fetch");
    const file = join(dir, "in.mbox");
    // written against upstream: it documents qc_reap() and calls it from the shrinker
    const scanReaps = QC_SHRINK.replace("\tqc_drop_clean(o);\n", "\tqc_reap(o);\n");
    writeFileSync(
      file,
      mbox([
        mail(
          "<f1@example.org>",
          "[PATCH] qcache: reap from the shrinker",
          gitDiff({ path: "drivers/qc/qc_io.c", before: io2, after: io2.replace("void qc_reap", "/* frees the object once its IO is done */\nvoid qc_reap") }) +
            gitDiff({ path: "drivers/qc/qc_shrink.c", before: QC_SHRINK, after: scanReaps }),
        ),
      ]),
    );
    const logs: string[] = [];
    await runMail({ config: config(dir, file, { tree: clone, "tree-fetch": 0 }), log: (l) => logs.push(l) });
    expect(logs).toContain(`tree ${clone}: fetched`);
    expect(execFileSync("git", ["-C", clone, "rev-parse", "origin/main"], { encoding: "utf8" }).trim()).toBe(newer);
    // the working tree was not touched: the bot only fetched
    expect(readFileSync(join(clone, "drivers/qc/qc_io.c"), "utf8")).toBe(QC_IO);
    const eml = outbox(join(dir, "out"));
    expect(eml).toHaveLength(1);
    const body = bodyOf(eml[0]!).replace(/\s+/g, " ");
    expect(body).toContain("qc_scan (shrinker.scan_objects) -> qc_reap -> wait_on_buffer");
    expect(body).toContain(`tree at ${newer.slice(0, 12)} (the commit holding the patch's blobs); drivers/qc/qc_io.c: exact blob ${blobId(io2).slice(0, 12)} (as in ${newer.slice(0, 12)})`);
  });

  it("refuses a tree that is not a directory, before reading any mail", async () => {
    const dir = tmp("bad");
    writeFileSync(join(dir, "in.mbox"), mbox([flushPatch("<bad@example.org>")]));
    await expect(runMail({ config: config(dir, join(dir, "in.mbox"), { tree: join(dir, "nope") }), log: () => undefined })).rejects.toThrow(/--tree .*nope: not a directory/);
    await expect(run(["--from-mbox", "x", "--tree-fetch", "soon"], cliIo())).rejects.toThrow(/--tree-fetch takes a number of minutes/);
  });
});

function cliIo(): Io & { out: string; err: string } {
  const o = {
    out: "",
    err: "",
    stdout: (s: string) => void (o.out += s),
    stderr: (s: string) => void (o.err += s),
    readStdin: async () => Buffer.alloc(0),
    stdinIsTTY: true,
    stdoutIsTTY: false,
  };
  return o;
}

const why = dovecotUnavailable();
describe.skipIf(why !== null)(`mail --tree over IMAP${why ? ` (skipped: ${why})` : ""}`, () => {
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

  it("replies to the message in the mailbox with the tree's context", async () => {
    const repo = makeRepo([{ message: "qcache: initial\n", files: FILES }]);
    await dc.append([flushPatch("<imap-qc@example.org>")], "qctree");
    const sum = await runMail({
      config: { "imap-url": [dc.url("qctree")], "smtp-url": smtp.url(), from: BOT, state: tmp("imap-state"), once: true, "rate-limit": 0, tree: repo },
      log: () => undefined,
    });
    expect(sum.ok).toBe(true);
    const got = smtp.received.filter((r) => header(r.raw, "In-Reply-To") === "<imap-qc@example.org>");
    expect(got).toHaveLength(1);
    expect(bodyOf(got[0]!.raw).replace(/\s+/g, " ")).toContain("qc_scan (shrinker.scan_objects) -> qc_flush_obj -> qc_write_back -> wait_on_buffer");
  });
});

// The mail bot attacked and deployed, with real processes (`reclaim-review
// mail` as a child process) on mbox backfills in dry run (the outbox), and a
// real Dovecot for the long-running service (health, readiness, metrics).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ignoreUnauthenticated } from "../../src/mailbot/bot.js";
import { SmtpTransport } from "../../src/mailbot/deliver.js";
import { secret } from "../../src/mailbot/index.js";
import { Dovecot, dovecotUnavailable, freePort, header } from "../mail/helpers/servers.js";
import { describeWithServers } from "../helpers/real-servers.js";
import { hazardDiff, patchMail, rawMail } from "../mail/helpers/mails.js";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "bin", "reclaim-review.js");
const BOT = "Reclaim Bot <bot@reclaim.example>";
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `rr-hostile-${p}-`));

function mbox(mails: string[]): string {
  return mails.map((m) => `From x Thu Jan  1 00:00:00 1970\n${m.replace(/\r\n/g, "\n").replace(/^(>*From )/gm, ">$1")}\n`).join("\n");
}

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, "mail", ...args], { encoding: "utf8", timeout: 120_000, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
  return { code: r.status, err: r.stderr };
}

function outbox(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".eml")).map((f) => readFileSync(join(dir, f), "utf8"));
}

/** Header names and unfolded values in order. */
function headers(raw: string): { name: string; value: string }[] {
  const head = raw.slice(0, raw.indexOf("\r\n\r\n"));
  return head
    .replace(/\r\n[ \t]/g, " ")
    .split("\r\n")
    .map((l) => ({ name: l.slice(0, l.indexOf(":")), value: l.slice(l.indexOf(":") + 1).trim() }));
}


describe("hostile mail, through the real CLI", () => {
  it("two `mail --once` on one --state: one reply per patch, the loser exits 2 naming the holder's PID", async () => {
    const dir = tmp("lock");
    const n = 300;
    writeFileSync(join(dir, "in.mbox"), mbox(Array.from({ length: n }, (_, i) => patchMail({ messageId: `<lock${i}@example.org>`, subject: `[PATCH] frob: part ${i}`, diff: hazardDiff(`fs/frob/f${i}.c`, i) }))));
    const args = ["--once", "--from-mbox", join(dir, "in.mbox"), "--from", BOT, "--state", join(dir, "state"), "--outbox", join(dir, "out")];
    const start = () =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const c = spawn(process.execPath, [BIN, "mail", ...args], { stdio: ["ignore", "ignore", "pipe"] });
        let err = "";
        c.stderr.on("data", (d: Buffer) => (err += d.toString()));
        c.on("exit", (code) => resolve({ code, err }));
      });
    const [a, b] = await Promise.all([start(), start()]);
    const files = readdirSync(join(dir, "out"));
    expect(files).toHaveLength(n);
    const codes = [a.code, b.code].sort();
    // usually one ran into the other's lock; if the first finished before the second started, the second found everything done
    if (codes.includes(2)) {
      const loser = a.code === 2 ? a : b;
      expect(loser.err).toMatch(/is in use by another reclaim-review mail \(PID \d+\)/);
      expect(codes).toEqual([0, 2]);
    } else expect(codes).toEqual([0, 0]);
    // a third run on the same state sends nothing more
    expect(run(args).code).toBe(0);
    expect(readdirSync(join(dir, "out"))).toHaveLength(n);
  }, 180_000);

  it("addresses only parsed mailboxes, caps recipients and headers, and threads only to a real Message-ID", () => {
    const dir = tmp("addr");
    const cc = Array.from({ length: 1000 }, (_, i) => `Reviewer ${i} <r${i}@example.net>`);
    const replyTo = Array.from({ length: 500 }, (_, i) => `list${i}@example.org`);
    const refs = Array.from({ length: 10_000 }, (_, i) => `<ref${i}@example.org>`);
    const mails = [
      // a display name that holds an address must stay a name
      patchMail({ messageId: "<name@example.org>", subject: "[PATCH] frob: one", from: '"victim@example.com" <ann@example.org>', diff: hazardDiff("fs/frob/a.c", 1) }),
      patchMail({ messageId: "<many@example.org>", subject: "[PATCH] frob: two", cc, extraHeaders: [`Reply-To: ${replyTo.join(", ")}`], diff: hazardDiff("fs/frob/b.c", 2) }),
      patchMail({ messageId: "<refs@example.org>", subject: `[PATCH] frob: ${"x".repeat(20_000)}`, references: refs, inReplyTo: refs.at(-1), diff: hazardDiff("fs/frob/c.c", 3) }),
      rawMail({ messageId: "", subject: "[PATCH] frob: no id", body: `msg\n\nSigned-off-by: Ann Author <ann@example.org>\n---\n${hazardDiff("fs/frob/d.c", 4)}` }).replace(/^Message-ID: \r\n/m, ""),
    ];
    writeFileSync(join(dir, "in.mbox"), mbox(mails));
    writeFileSync(join(dir, "mail.yaml"), "defaults:\n  reply: all\n");
    const r = run(["--once", "--config", join(dir, "mail.yaml"), "--from-mbox", join(dir, "in.mbox"), "--from", BOT, "--state", join(dir, "state"), "--outbox", join(dir, "out")]);
    expect(r.code, r.err).toBe(0);
    const got = outbox(join(dir, "out"));
    expect(got).toHaveLength(4);
    for (const raw of got) {
      for (const line of raw.slice(0, raw.indexOf("\r\n\r\n")).split("\r\n")) expect(line.length).toBeLessThanOrEqual(998);
    }
    const by = (s: string) => got.find((raw) => (header(raw, "Subject") ?? "").includes(s))!;
    // the state's outbox items list the envelope recipients: the log line says whom each went to
    expect(r.err).not.toMatch(/to [^\n]*victim@example\.com/);
    expect(header(by("frob: one"), "To")).toBe('"victim@example.com" <ann@example.org>');
    const many = headers(by("frob: two"));
    const addrs = (name: string) => many.filter((h) => h.name === name).flatMap((h) => h.value.match(/<[^>]+>|[^\s<>,"]+@[^\s<>,"]+/g) ?? []);
    expect(addrs("To")).toEqual(["<ann@example.org>"]); // 500 Reply-To addresses: not honoured
    expect(addrs("To").length + addrs("Cc").length).toBe(20);
    // 1,001 candidates (the To list and the Cc), 19 of them fit beside the author
    expect(r.err).toMatch(/982 more recipients not addressed \(max-recipients 20\)/);
    const refsOut = (header(by("frob: x"), "References") ?? "").split(/\s+/);
    expect(refsOut).toHaveLength(22);
    expect(refsOut[0]).toBe("<ref0@example.org>");
    expect(refsOut.at(-2)).toBe("<ref9999@example.org>");
    expect(refsOut.at(-1)).toBe("<refs@example.org>");
    const noId = by("frob: no id");
    expect(header(noId, "In-Reply-To")).toBeNull();
    expect(noId).not.toMatch(/sha256:/);
  }, 120_000);

  it("takes an ignore reply only when the receiving server saw a DKIM pass for the author's domain", () => {
    const dir = tmp("ign");
    const subject = "frob: mask the mapping";
    const patch = patchMail({ messageId: "<v1@example.org>", subject: `[PATCH] ${subject}`, diff: hazardDiff("fs/frob/inode.c", 7) });
    writeFileSync(join(dir, "a.mbox"), mbox([patch]));
    writeFileSync(join(dir, "mail.yaml"), "ignore-auth:\n  authserv-id: mx.reclaim.example\n");
    const base = ["--once", "--config", join(dir, "mail.yaml"), "--from", BOT, "--state", join(dir, "state"), "--outbox", join(dir, "out")];
    expect(run([...base, "--from-mbox", join(dir, "a.mbox")]).code).toBe(0);
    // the footer lists each fingerprint on a line of its own
    const fp = /^\s+([0-9a-f]{16}) /m.exec(outbox(join(dir, "out"))[0]!)![1]!;
    const reply = (id: string, ar: string[]) =>
      rawMail({ messageId: id, subject: `Re: [PATCH] ${subject}`, inReplyTo: "<v1@example.org>", references: ["<v1@example.org>"], body: `reclaim-review: ignore ${fp}\n`, extraHeaders: ar.map((a) => `Authentication-Results: ${a}`) });
    writeFileSync(
      join(dir, "b.mbox"),
      mbox([
        // forged From, no verdict at all
        reply("<f1@example.org>", []),
        // a verdict the sender wrote, below nothing of ours
        reply("<f2@example.org>", ["evil.example; dkim=pass header.d=example.org"]),
        // our server's verdict on top: DKIM failed; a forged pass below it
        reply("<f3@example.org>", ["mx.reclaim.example; dkim=fail header.d=example.org", "mx.reclaim.example; dkim=pass header.d=example.org"]),
        // our server: DKIM passed for another domain
        reply("<f4@example.org>", ["mx.reclaim.example; dkim=pass header.d=evil.example"]),
        // our server: DKIM passed for the author's domain
        reply("<ok@example.org>", ["mx.reclaim.example (reclaim); dkim=pass (2048-bit key) header.d=example.org header.s=s1; spf=pass"]),
      ]),
    );
    const r = run([...base, "--from-mbox", join(dir, "b.mbox")]);
    expect(r.code).toBe(0);
    for (const id of ["f1", "f2", "f3", "f4"]) expect(r.err).toMatch(new RegExp(`<${id}@example\\.org>: skipped: ignore request from ann@example\\.org not authenticated`));
    expect(r.err).toMatch(new RegExp(`<ok@example\\.org>: suppression: ${fp}`));
  }, 120_000);

  it("a review past its deadline is logged, tried once more, and ends without a reply; JSON logs carry the mail's reference", () => {
    const dir = tmp("deadline");
    // a patch of 60 files: no review of it fits in 1 ms
    const diff = Array.from({ length: 60 }, (_, i) => hazardDiff(`fs/frob/s${i}.c`, i)).join("");
    writeFileSync(join(dir, "in.mbox"), mbox([patchMail({ messageId: "<slow@example.org>", subject: "[PATCH] frob: slow", diff })]));
    const r = run(["--once", "--from-mbox", join(dir, "in.mbox"), "--from", BOT, "--state", join(dir, "state"), "--outbox", join(dir, "out"), "--review-deadline", "0.001", "--log-format", "json"]);
    expect(r.code, r.err).toBe(0);
    const lines = r.err.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const l of lines) {
      expect(typeof l.time).toBe("string");
      expect(["info", "warn"]).toContain(l.level);
      expect(l.name).toBe("mail");
      expect(typeof l.msg).toBe("string");
    }
    const about = lines.filter((l) => l.mail === "<slow@example.org>");
    expect(about.filter((l) => l.attempt !== undefined).map((l) => [l.attempt, /did not finish within its deadline of 1 ms/.test(String(l.msg))])).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(about.at(-1)!.msg).toMatch(/skipped: the review did not finish within its deadline, twice/);
    expect(readdirSync(join(dir, "out")).filter((f) => f.endsWith(".eml"))).toHaveLength(0);
  }, 120_000);

  it("takes passwords from the environment or a file, never needs them in the URL, and requires TLS off loopback", () => {
    const dir = tmp("cred");
    writeFileSync(join(dir, "pw"), "from-file\nignored second line\n");
    expect(secret({}, "RECLAIM_SMTP_PASSWORD", join(dir, "pw"))).toBe("from-file");
    expect(secret({ RECLAIM_SMTP_PASSWORD: "from-env" }, "RECLAIM_SMTP_PASSWORD", undefined)).toBe("from-env");
    expect(secret({}, "RECLAIM_SMTP_PASSWORD", undefined)).toBeUndefined();
    const opts = (t: SmtpTransport) => (t as unknown as { transporter: { options: Record<string, unknown> } }).transporter.options;
    expect(opts(new SmtpTransport("smtp://bot@mail.example.org:587", { password: "p" }))).toMatchObject({ requireTLS: true, ignoreTLS: false, auth: { user: "bot", pass: "p" } });
    expect(opts(new SmtpTransport("smtp://mail.example.org:587", { allowPlaintext: true }))).toMatchObject({ requireTLS: false });
    expect(opts(new SmtpTransport("smtp://127.0.0.1:2525"))).toMatchObject({ requireTLS: false, ignoreTLS: true });
    expect(() => new SmtpTransport("smtp://bot@mail.example.org:587")).toThrow(/RECLAIM_SMTP_PASSWORD or --smtp-password-file/);
    writeFileSync(join(dir, "in.mbox"), mbox([patchMail({ messageId: "<c1@example.org>", subject: "[PATCH] frob: c", diff: hazardDiff() })]));
    const r = run(["--once", "--from-mbox", join(dir, "in.mbox"), "--from", BOT, "--state", join(dir, "state"), "--outbox", join(dir, "out"), "--imap-url", "imap://bot@mail.example.org/INBOX"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/has no password: put it in RECLAIM_IMAP_PASSWORD or --imap-password-file/);
  });

  it("unit: the Authentication-Results check", () => {
    const auth = { authservId: "mx.example", allow: ["@trusted.example"] };
    expect(ignoreUnauthenticated({ fromAddress: "a@trusted.example", authResults: [] }, auth)).toBeNull();
    expect(ignoreUnauthenticated({ fromAddress: "a@example.org", authResults: ["mx.example; dkim=pass header.i=@example.org"] }, auth)).toBeNull();
    expect(ignoreUnauthenticated({ fromAddress: "a@example.org", authResults: ["mx.example; dkim=pass header.d=sub.example.org"] }, auth)).toMatch(/no DKIM pass for example\.org/);
    expect(ignoreUnauthenticated({ fromAddress: "a@example.org", authResults: ["mx.example; dkim=pass header.d=example.org"] }, { authservId: null, allow: [] })).toMatch(/no ignore-auth is configured/);
  });
});

describeWithServers("the mail bot as a service: health, readiness and metrics while it watches IMAP", dovecotUnavailable(), () => {
  it("answers /ping, /healthz, /readyz and /metrics, and stops on SIGTERM", async () => {
    const dc = await Dovecot.start();
    try {
      await dc.append([patchMail({ messageId: "<svc1@example.org>", subject: "[PATCH] frob: service", diff: hazardDiff("fs/frob/svc.c", 11) })], "svc");
      const dir = tmp("svc");
      const port = await freePort();
      const child = spawn(process.execPath, [BIN, "mail", "--imap-url", dc.url("svc"), "--from", BOT, "--state", join(dir, "state"), "--outbox", join(dir, "out"), "--http", `127.0.0.1:${port}`, "--log-format", "json"], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      let err = "";
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 30_000;
      for (;;) {
        const r = await fetch(`${url}/readyz`).catch(() => null);
        if (r?.status === 200) break;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`not ready: ${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      for (;;) {
        if (readdirSync(join(dir, "out")).some((f) => f.endsWith(".eml"))) break;
        if (Date.now() > deadline) throw new Error(`no reply: ${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await (await fetch(`${url}/ping`)).text()).toBe("PONG");
      const health = (await (await fetch(`${url}/healthz`)).json()) as Record<string, unknown>;
      expect(health.status).toBe("ok");
      const m = await (await fetch(`${url}/metrics`)).text();
      expect(m).toMatch(/reclaim_reviews_total\{bot="mail",outcome="ok"\} 1/);
      expect(m).toMatch(/reclaim_review_duration_seconds_count\{bot="mail"\} 1/);
      expect(m).toMatch(/reclaim_queue_depth\{bot="mail"\} 0/);
      expect(m).toMatch(/reclaim_process_resident_memory_bytes/);
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      expect(err.split("\n").filter(Boolean).every((l) => typeof JSON.parse(l).msg === "string")).toBe(true);
    } finally {
      await dc.stop();
    }
  }, 90_000);
});

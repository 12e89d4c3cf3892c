// Crash safety: SIGKILL the bot (a child process, `mail --once`) at random
// moments while it works through 300 patch mails, restart it each time, and
// check that every patch got exactly one reply, or two carrying the same
// Message-ID (the kill fell between the server's acceptance and our record).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWithServers } from "../helpers/real-servers.js";
import { Dovecot, SmtpSink, dovecotUnavailable, header } from "./helpers/servers.js";
import { hazardDiff, patchMail } from "./helpers/mails.js";

const ROOT = resolve(import.meta.dirname, "../..");
// RECLAIM_REVIEW_BIN: another build of the launcher (e.g. a snapshot taken while others rebuild dist/)
const BIN = process.env.RECLAIM_REVIEW_BIN ?? join(ROOT, "bin/reclaim-review.js");
const DIST = join(dirname(BIN), "../dist");
const built = existsSync(join(DIST, "mailbot/index.js")) && existsSync(join(DIST, "cli/commands/mail.js"));
const why = dovecotUnavailable() ?? (built ? null : "dist/ is not built (npx tsc -p . first; npm test does it)");

const N = 300;

describeWithServers("crash safety under SIGKILL", why, () => {
  let dc: Dovecot;
  let smtp: SmtpSink;
  beforeAll(async () => {
    dc = await Dovecot.start();
    smtp = new SmtpSink();
    await smtp.start();
    const mails: string[] = [];
    for (let i = 0; i < N; i++) {
      mails.push(patchMail({ messageId: `<crash${i}@example.org>`, subject: `[PATCH] frob${i}: mapping mask`, diff: hazardDiff(`fs/frob${i}/inode.c`, i) }));
    }
    await dc.append(mails, "backlog");
  }, 60_000);
  afterAll(async () => {
    await smtp?.stop();
    await dc?.stop();
  });

  it("loses no review and sends no reply twice, except one resend with the same Message-ID", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rr-crash-"));
    const cfg = join(dir, "mail.yaml");
    writeFileSync(cfg, "rate-limit: 0\n");
    const args = [
      BIN, "mail", "--once",
      "--imap-url", dc.url("backlog"),
      "--smtp-url", smtp.url(),
      "--from", "Reclaim Bot <bot@reclaim.example>",
      "--state", join(dir, "state"),
      "--config", cfg,
    ];
    let kills = 0;
    let afterAccept = 0;
    let runs = 0;
    const killedAt: number[] = [];
    // Message-ID of the last reply the server had accepted when each kill fell
    const killedAfter = new Map<string, number>();
    const t0 = Date.now();
    for (;;) {
      runs++;
      const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const exit = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
      let killedAtCount: number | null = null;
      const kill = (how: string) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGKILL");
        kills++;
        killedAtCount = smtp.received.length;
        if (how === "accept") afterAccept++;
        killedAt.push(smtp.received.length);
        const last = smtp.received.at(-1);
        if (last) {
          const id = header(last.raw, "Message-ID")!;
          killedAfter.set(id, (killedAfter.get(id) ?? 0) + 1);
        }
      };
      // Two kinds of random kill point, alternating: a random moment of the run
      // (start-up, IMAP fetch, review, journal writes, SMTP dialogue), or right
      // after the SMTP server accepted the k-th reply of this run, before the
      // bot can record it (the one window where a resend is allowed).
      let timer: NodeJS.Timeout | undefined;
      smtp.onAccept = null;
      if (kills < 40) {
        if (runs % 2 === 1) {
          timer = setTimeout(() => kill("time"), 1000 + Math.floor(Math.random() * 4000));
        } else {
          let left = 1 + Math.floor(Math.random() * 15);
          smtp.onAccept = () => {
            if (--left === 0) kill("accept");
          };
        }
      }
      const code = await exit;
      clearTimeout(timer);
      smtp.onAccept = null;
      if (killedAtCount !== null) {
        // a reply whose data the bot had sent in full when it was killed can still be accepted by the server after
        // the kill (it finishes reading the connection): the bot never saw the acceptance, so a resend is allowed
        await new Promise((r) => setTimeout(r, 250));
        for (const r of smtp.received.slice(killedAtCount)) {
          const id = header(r.raw, "Message-ID")!;
          killedAfter.set(id, (killedAfter.get(id) ?? 0) + 1);
        }
      }
      if (code === 0) break;
      if (code !== null) throw new Error(`bot exited ${code}: ${stderr}`);
      if (runs > 100) throw new Error("the bot never finished");
    }
    const seconds = (Date.now() - t0) / 1000;

    const byPatch = new Map<string, string[]>();
    for (const r of smtp.received) {
      const to = header(r.raw, "In-Reply-To")!;
      byPatch.set(to, [...(byPatch.get(to) ?? []), header(r.raw, "Message-ID")!]);
    }
    let resent = 0;
    for (let i = 0; i < N; i++) {
      const ids = byPatch.get(`<crash${i}@example.org>`) ?? [];
      expect(ids.length, `patch ${i}`).toBeGreaterThanOrEqual(1);
      // every copy carries the same Message-ID ...
      expect(new Set(ids).size, `patch ${i}: ${ids.join(" ")}`).toBe(1);
      // ... and each extra copy is explained by a kill that fell right after that reply was accepted
      expect(ids.length - 1, `patch ${i}`).toBeLessThanOrEqual(killedAfter.get(ids[0]!) ?? 0);
      resent += ids.length - 1;
    }
    expect(byPatch.size).toBe(N);
    expect(resent).toBeLessThanOrEqual(kills);
    expect(kills).toBeGreaterThan(0);
    console.log(
      `crash test: ${N} patches, ${runs} runs, ${kills} SIGKILLs (${afterAccept} right after an SMTP acceptance; ` +
        `at ${killedAt.join(",")} replies), ` +
        `${smtp.received.length} replies received, ${resent} resent with the same Message-ID, 0 lost, ${seconds.toFixed(1)} s`,
    );
  }, 600_000);
});

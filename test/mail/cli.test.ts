// `reclaim-review mail` (src/cli/commands/mail.ts run(), which main() loads
// lazily and whose UsageError/ConfigError it turns into exit 2).
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Io } from "../../src/cli/main.js";
import { run } from "../../src/cli/commands/mail.js";
import { ConfigError, UsageError } from "../../src/errors.js";
import { patchMail } from "./helpers/mails.js";

function io(): Io & { out: string; err: string } {
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

describe("reclaim-review mail (CLI)", () => {
  it("takes keys from --config, lets flags win, and writes the dry run outbox", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rr-mail-cli-"));
    const mbox = join(dir, "in.mbox");
    writeFileSync(mbox, `From x Thu Jan  1 00:00:00 1970\n${patchMail({ messageId: "<cli1@example.org>", subject: "[PATCH] frob: cli" }).replace(/\r\n/g, "\n")}\n`);
    const cfg = join(dir, "mail.yaml");
    writeFileSync(cfg, [`from: "Config Bot <cfg@reclaim.example>"`, `outbox: ${join(dir, "wrong")}`, `once: true`, `defaults:`, `  min-severity: warning`, ""].join("\n"));
    const t = io();
    const code = await run(["--config", cfg, "--from-mbox", mbox, "--outbox", join(dir, "out"), "--state", join(dir, "state")], t);
    expect(t.err).toMatch(/1 messages, 1 replies sent, 0 waiting/);
    expect(code).toBe(0);
    expect(readdirSync(join(dir, "out"))).toHaveLength(1);
    expect(readdirSync(join(dir, "out"))[0]).toMatch(/-reclaim@reclaim\.example\.eml$/);
  });

  it("rejects bad usage and bad config with errors main() turns into exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rr-mail-cli-"));
    await expect(run(["--from-mbox", "x.mbox", "--state", dir, "--outbox", dir], io())).rejects.toThrow(UsageError);
    await expect(run(["--from-mbox", "x.mbox", "--state", dir, "--outbox", dir], io())).rejects.toThrow(/--from "Name <addr>" is required/);
    await expect(run(["--imap-url", "http://h/", "--from", "b <b@x>", "--state", dir, "--outbox", dir], io())).rejects.toThrow(/imap:\/\/ or imaps:\/\//);
    await expect(run(["--from", "b <b@x>", "--state", dir], io())).rejects.toThrow(/give --imap-url, --from-mbox or --from-public-inbox/);
    const cfg = join(dir, "bad.yaml");
    writeFileSync(cfg, "defaults:\n  reply: everyone\n");
    await expect(run(["--config", cfg], io())).rejects.toThrow(ConfigError);
    await expect(run(["--config", cfg], io())).rejects.toThrow(/defaults\.reply/);
  });
});

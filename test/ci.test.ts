// CI that cannot lie: with CI set, a test that needs Dovecot fails (with
// the reason) on a machine without it instead of skipping; without CI it
// skips and says why. Runs vitest itself on the IMAP test file with a PATH
// that hides dovecot.
import { spawnSync } from "node:child_process";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ciStrict } from "./helpers/real-servers.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

function withoutDovecot(): string {
  const found = spawnSync("sh", ["-c", "command -v dovecot"], { encoding: "utf8" }).stdout.trim();
  const hide = found ? dirname(found) : null;
  const dirs = (process.env.PATH ?? "").split(delimiter).filter((d) => d !== hide && d !== "/usr/sbin" && d !== "/sbin" && d !== "/usr/local/sbin");
  return [dirname(process.execPath), ...dirs].join(delimiter);
}

function vitestOn(file: string, env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", file], {
    cwd: ROOT,
    env: { ...env, PATH: withoutDovecot(), NO_COLOR: "1", FORCE_COLOR: "0" },
    encoding: "utf8",
    timeout: 120_000,
  });
}

describe("real-server tests under CI", () => {
  it("reads CI the way CI services set it", () => {
    expect(ciStrict({ CI: "true" })).toBe(true);
    expect(ciStrict({ CI: "1" })).toBe(true);
    expect(ciStrict({})).toBe(false);
    expect(ciStrict({ CI: "false" })).toBe(false);
  });

  it("fail with the reason when Dovecot is missing and CI is set, and skip saying why otherwise", () => {
    const { CI: _ci, ...env } = process.env;
    const strict = vitestOn("test/mail/imap.test.ts", { ...env, CI: "true" });
    expect(strict.status, strict.stdout + strict.stderr).toBe(1);
    expect(strict.stdout + strict.stderr).toContain("dovecot is not installed (apt-get install dovecot-imapd; .ci/run does it) (CI is set: a test that needs a real server fails instead of skipping)");
    const lax = vitestOn("test/mail/imap.test.ts", env);
    expect(lax.status, lax.stdout + lax.stderr).toBe(0);
    expect(lax.stdout + lax.stderr).toMatch(/skipped: dovecot is not installed/);
    expect(lax.stdout).toMatch(/\d+ skipped/);
  });
});

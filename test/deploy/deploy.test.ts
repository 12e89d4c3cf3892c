// Deployment as an operator does it from the docs: a production install
// (`npm ci --omit=dev`, no TypeScript) that runs, the systemd units, and both
// bots started from that install the way the container image starts them (its
// ENTRYPOINT, an unprivileged user, an install nobody may write to, state on a
// volume). The image itself needs a Docker engine, which CI does not have:
// `npm run test:docker` builds and runs it (test/deploy/image.docker.ts).
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
/** The image's user: "node" there; here nobody (65534) when the tests run as root, else the tests' own (non-root) user. */
const AS_ROOT = process.getuid?.() === 0;
const UNPRIVILEGED = 65534;


describe("a production install", () => {
  let dir = "";
  let install = "";
  let volume = "";
  let ciOutput = "";
  let ciStatus: number | null = null;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "rr-prod-"));
    install = join(dir, "app");
    volume = join(dir, "volume");
    mkdirSync(install);
    mkdirSync(volume);
    for (const p of ["package.json", "package-lock.json", "bin", "dist", "knowledge", "templates", "app.yml", "scripts", "examples"]) cpSync(join(ROOT, p), join(install, p), { recursive: true });
    const ci = spawnSync("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: install, encoding: "utf8", timeout: 300_000 });
    ciStatus = ci.status;
    ciOutput = ci.stdout + ci.stderr;
    if (ci.status !== 0) return;
    // as the image's build stage does: validate the knowledge base once, leaving its cache in dist/
    spawnSync(process.execPath, [join(install, "bin", "reclaim-review.js"), "knowledge"], { encoding: "utf8" });
    // the image's runtime: the install read-only to its user, the volume its own
    chmodSync(dir, 0o755);
    spawnSync("chmod", ["-R", "a-w,a+rX", install]);
    if (AS_ROOT) chownSync(volume, UNPRIVILEGED, UNPRIVILEGED);
  }, 360_000);
  afterAll(() => {
    if (dir) {
      spawnSync("chmod", ["-R", "u+w", dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** The image's ENTRYPOINT with `args`, as its unprivileged user, HOME on the volume. */
  function entrypoint(args: string[], env: Record<string, string> = {}): { command: string; argv: string[]; env: NodeJS.ProcessEnv } {
    const argv = [join(install, "bin", "reclaim-review.js"), ...args];
    const base: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: volume, NODE_ENV: "production", LOG_FORMAT: "json" as const, ...env };
    if (!AS_ROOT) return { command: process.execPath, argv, env: base };
    return { command: "setpriv", argv: [`--reuid=${UNPRIVILEGED}`, `--regid=${UNPRIVILEGED}`, "--clear-groups", process.execPath, ...argv], env: base };
  }

  it("`npm ci --omit=dev` works without TypeScript and the installed CLI reviews a patch", () => {
    expect(ciStatus, ciOutput).toBe(0);
    expect(ciOutput).toMatch(/TypeScript is not installed \(a production install\): using the compiled dist\//);
    expect(existsSync(join(install, "node_modules", "typescript"))).toBe(false);
    const e = entrypoint(["review", join(install, "examples", "fooblk-queue-rq-alloc.patch")]);
    const r = spawnSync(e.command, e.argv, { encoding: "utf8", env: e.env });
    expect(r.stdout, r.stderr).toContain("WARNING:gfp-kernel-in-io-path");
    expect(r.status).toBe(1);
  });

  it("runs the mail bot unprivileged on a read-only install, writing only its state and replies to the volume", () => {
    expect(ciStatus, ciOutput).toBe(0);
    const patch = readFileSync(join(ROOT, "examples", "fooblk-queue-rq-alloc.patch"), "utf8");
    // the example is one mbox message; dated now, so the bot's max-age lets it through
    writeFileSync(join(volume, "in.mbox"), patch.replace(/^Date: .*$/m, `Date: ${new Date().toUTCString()}`));
    if (AS_ROOT) chownSync(join(volume, "in.mbox"), UNPRIVILEGED, UNPRIVILEGED);
    const before = spawnSync("find", [install, "-newer", join(volume, "in.mbox")], { encoding: "utf8" }).stdout;
    const e = entrypoint(["mail", "--once", "--from-mbox", join(volume, "in.mbox"), "--from", "bot <bot@example.org>", "--state", join(volume, "state"), "--outbox", join(volume, "out")]);
    const r = spawnSync(e.command, e.argv, { encoding: "utf8", env: e.env, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/1 replies sent/);
    const replies = readdirSync(join(volume, "out"));
    expect(replies.length).toBeGreaterThan(0);
    // nothing in the install changed (it could not: the user may not write there)
    expect(spawnSync("find", [install, "-newer", join(volume, "in.mbox")], { encoding: "utf8" }).stdout).toBe(before);
  }, 180_000);

  it("runs the GitHub App unprivileged on a read-only install and answers /readyz", async () => {
    expect(ciStatus, ciOutput).toBe(0);
    const key = spawnSync(process.execPath, ["-e", 'const {generateKeyPairSync}=require("crypto");process.stdout.write(generateKeyPairSync("rsa",{modulusLength:2048,privateKeyEncoding:{type:"pkcs1",format:"pem"},publicKeyEncoding:{type:"spki",format:"pem"}}).privateKey)'], { encoding: "utf8" }).stdout;
    // a port the kernel hands out as free now (a port derived from the pid collided with other test servers)
    const port = await new Promise<number>((resolve, reject) => {
      const probe = createServer();
      probe.once("error", reject);
      probe.listen(0, "127.0.0.1", () => {
        const a = probe.address();
        probe.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
      });
    });
    const e = entrypoint(["github"], { APP_ID: "1", PRIVATE_KEY: key, WEBHOOK_SECRET: "s", HOST: "127.0.0.1", PORT: String(port) });
    const marker = join(volume, "github-started");
    writeFileSync(marker, "");
    const child = spawn(e.command, e.argv, { env: e.env, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.stdout.on("data", (d) => (err += d));
    try {
      let ready = false;
      for (let i = 0; i < 120 && !ready && child.exitCode === null; i++) {
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
        if (!ready) await new Promise((r) => setTimeout(r, 500));
      }
      expect(ready, err.slice(-2000)).toBe(true);
      // and it writes nothing into the install it runs from
      expect(spawnSync("find", [install, "-newer", marker], { encoding: "utf8" }).stdout).toBe("");
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
    }
  }, 120_000);

  it("ships systemd units that run each bot unprivileged, with a readiness probe", () => {
    for (const [unit, cmd] of [
      ["reclaim-review-github.service", "reclaim-review.js github"],
      ["reclaim-review-mail.service", "reclaim-review.js mail"],
    ] as const) {
      const text = readFileSync(join(ROOT, "deploy", "systemd", unit), "utf8");
      expect(text).toContain(cmd);
      expect(text).toMatch(/^DynamicUser=yes$/m);
      expect(text).toMatch(/^ProtectSystem=strict$/m);
      expect(text).toMatch(/^ExecStartPost=.*\/readyz/m);
      const verify = spawnSync("systemd-analyze", ["verify", join(ROOT, "deploy", "systemd", unit)], { encoding: "utf8" });
      if (verify.error) console.warn(`systemd-analyze not available (${verify.error.message}); ${unit} checked by its text only`);
    }
  });
});

// Deployment as an operator does it from the docs: a production install
// (`npm ci --omit=dev`, no TypeScript) that runs, the systemd units, and the
// container image of both bots when a Docker engine is reachable (skipped
// with the reason printed otherwise, also under CI).
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");


describe("a production install", () => {
  it("`npm ci --omit=dev` works without TypeScript and the installed CLI reviews a patch", () => {
    const dir = mkdtempSync(join(tmpdir(), "rr-prod-"));
    for (const p of ["package.json", "package-lock.json", "bin", "dist", "knowledge", "templates", "app.yml", "scripts", "examples"]) cpSync(join(ROOT, p), join(dir, p), { recursive: true });
    const ci = spawnSync("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: dir, encoding: "utf8", timeout: 300_000 });
    expect(ci.status, ci.stderr).toBe(0);
    expect(ci.stdout + ci.stderr).toMatch(/TypeScript is not installed \(a production install\): using the compiled dist\//);
    const r = spawnSync(process.execPath, [join(dir, "bin", "reclaim-review.js"), "review", join(dir, "examples", "fooblk-queue-rq-alloc.patch")], { encoding: "utf8" });
    expect(r.stdout).toContain("WARNING:gfp-kernel-in-io-path");
    expect(r.status).toBe(1);
    rmSync(dir, { recursive: true, force: true });
  }, 360_000);

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

function dockerUnavailable(): string | null {
  const v = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8", timeout: 20_000 });
  if (v.error) return `no docker client (${v.error.message})`;
  if (v.status !== 0) return `no Docker engine reachable: ${(v.stderr || v.stdout).trim().split("\n")[0]}`;
  return null;
}

const why = dockerUnavailable();
if (why) console.warn(`test/deploy/deploy.test.ts: container tests skipped${process.env.CI ? " (CI)" : ""}: ${why}`);

describe.skipIf(why !== null)(`the container image${why ? ` (skipped: ${why})` : ""}`, () => {
  const tag = `reclaim-review-test:${process.pid}`;
  beforeAll(() => {
    const b = spawnSync("docker", ["build", "-t", tag, ROOT], { encoding: "utf8", timeout: 900_000 });
    if (b.status !== 0) throw new Error(`docker build failed: ${b.stderr.slice(-2000)}`);
  }, 900_000);

  it("runs the mail bot read-only as a non-root user and writes its replies to the volume", () => {
    const dir = mkdtempSync(join(tmpdir(), "rr-docker-"));
    const patch = readFileSync(join(ROOT, "examples", "fooblk-queue-rq-alloc.patch"), "utf8");
    writeFileSync(join(dir, "in.mbox"), `From x Thu Jan  1 00:00:00 1970\nMessage-ID: <docker1@example.org>\n${patch}\n`);
    const r = spawnSync(
      "docker",
      ["run", "--rm", "--read-only", "-v", `${dir}:/var/lib/reclaim-review`, tag, "mail", "--once", "--from-mbox", "/var/lib/reclaim-review/in.mbox", "--from", "bot <bot@example.org>", "--state", "/var/lib/reclaim-review/state", "--outbox", "/var/lib/reclaim-review/out"],
      { encoding: "utf8", timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/1 replies sent/);
    const id = spawnSync("docker", ["run", "--rm", "--entrypoint", "id", tag, "-u"], { encoding: "utf8" });
    expect(id.stdout.trim()).not.toBe("0");
  }, 180_000);

  it("runs the GitHub App read-only and answers /readyz", () => {
    const name = `rr-gh-${process.pid}`;
    const key = spawnSync(process.execPath, ["-e", 'const {generateKeyPairSync}=require("crypto");process.stdout.write(generateKeyPairSync("rsa",{modulusLength:2048,privateKeyEncoding:{type:"pkcs1",format:"pem"},publicKeyEncoding:{type:"spki",format:"pem"}}).privateKey)'], { encoding: "utf8" }).stdout;
    const run = spawnSync("docker", ["run", "-d", "--rm", "--read-only", "--name", name, "-e", "APP_ID=1", "-e", `PRIVATE_KEY=${key}`, "-e", "WEBHOOK_SECRET=s", tag, "github"], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    try {
      let ok = false;
      for (let i = 0; i < 60 && !ok; i++) {
        const p = spawnSync("docker", ["exec", name, "node", "-e", "fetch('http://127.0.0.1:3000/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]);
        ok = p.status === 0;
        if (!ok) spawnSync("sleep", ["1"]);
      }
      expect(ok).toBe(true);
    } finally {
      spawnSync("docker", ["rm", "-f", name]);
    }
  }, 180_000);
});

// The container image of both bots, built and run with a Docker engine:
// `npm run test:docker` (vitest.docker.config.ts). Not part of `npm test`:
// CI has no engine, and a test that skips there would say nothing.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

function dockerUnavailable(): string | null {
  const v = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8", timeout: 20_000 });
  if (v.error) return `no docker client (${v.error.message})`;
  if (v.status !== 0) return `no Docker engine reachable: ${(v.stderr || v.stdout).trim().split("\n")[0]}`;
  return null;
}

describe("the container image", () => {
  const tag = `reclaim-review-test:${process.pid}`;
  beforeAll(() => {
    const why = dockerUnavailable();
    if (why) throw new Error(`npm run test:docker needs a Docker engine: ${why}`);
    const b = spawnSync("docker", ["build", "-t", tag, ROOT], { encoding: "utf8", timeout: 900_000 });
    if (b.status !== 0) throw new Error(`docker build failed: ${b.stderr.slice(-2000)}`);
  }, 900_000);

  it("runs the mail bot read-only as a non-root user and writes its replies to the volume", () => {
    const dir = mkdtempSync(join(tmpdir(), "rr-docker-"));
    const patch = readFileSync(join(ROOT, "examples", "fooblk-queue-rq-alloc.patch"), "utf8");
    writeFileSync(join(dir, "in.mbox"), patch.replace(/^Date: .*$/m, `Date: ${new Date().toUTCString()}`));
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

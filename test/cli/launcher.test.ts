// bin/reclaim-review.js starts the CLI's bundle (dist/cli.bundle.js, built by
// scripts/bundle.mjs) only while it is as new as the modules tsc wrote, and
// the bundle reviews exactly as the modules do.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = process.cwd();
const tmp = mkdtempSync(join(tmpdir(), "rr-launcher-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A package with the real launcher and two stand-in entries that say which of them ran. */
function fakePackage(name: string, bundle: boolean): string {
  const root = join(tmp, name);
  mkdirSync(join(root, "bin"), { recursive: true });
  mkdirSync(join(root, "dist", "cli"), { recursive: true });
  copyFileSync(join(ROOT, "bin", "reclaim-review.js"), join(root, "bin", "reclaim-review.js"));
  writeFileSync(join(root, "package.json"), '{"type":"module"}\n');
  const entry = (who: string) => `export async function main(argv) { process.stdout.write("${who} " + argv.join(" ") + "\\n"); return 3; }\n`;
  writeFileSync(join(root, "dist", "cli", "main.js"), entry("modules"));
  if (bundle) writeFileSync(join(root, "dist", "cli.bundle.js"), entry("bundle"));
  return root;
}

const run = (root: string, args: string[]) => spawnSync(process.execPath, [join(root, "bin", "reclaim-review.js"), ...args], { encoding: "utf8" });

describe("the launcher", () => {
  it("starts the bundle when it is as new as dist/cli/main.js, and passes the arguments and the exit code on", () => {
    const root = fakePackage("current", true);
    const t = new Date(Date.now() - 60_000);
    utimesSync(join(root, "dist", "cli", "main.js"), t, t);
    utimesSync(join(root, "dist", "cli.bundle.js"), t, t);
    const r = run(root, ["review", "x.patch"]);
    expect(r.stdout).toBe("bundle review x.patch\n");
    expect(r.status).toBe(3);
  });

  it("starts the modules when tsc wrote them after the bundle (a stale bundle is never run)", () => {
    const root = fakePackage("stale", true);
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(root, "dist", "cli.bundle.js"), old, old);
    const r = run(root, ["--version"]);
    expect(r.stdout).toBe("modules --version\n");
    expect(r.status).toBe(3);
  });

  it("starts the modules when there is no bundle", () => {
    const r = run(fakePackage("none", false), ["review"]);
    expect(r.stdout).toBe("modules review\n");
  });
});

describe("the built bundle", () => {
  it("is current, and reviews the bundled example exactly as the modules do", () => {
    // test/global-setup.ts bundles when the bundle is older than the modules
    expect(statSync(join(ROOT, "dist", "cli.bundle.js")).mtimeMs).toBeGreaterThanOrEqual(statSync(join(ROOT, "dist", "cli", "main.js")).mtimeMs);
    const args = ["review", "--format", "json", join(ROOT, "examples", "fooblk-queue-rq-alloc.patch")];
    const viaBundle = spawnSync(process.execPath, [join(ROOT, "bin", "reclaim-review.js"), ...args], { encoding: "utf8" });
    const viaModules = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", `const { main } = await import(${JSON.stringify(join(ROOT, "dist", "cli", "main.js"))}); process.exitCode = await main(process.argv.slice(1));`, ...args],
      { encoding: "utf8" },
    );
    expect(viaBundle.status).toBe(1);
    expect(viaModules.status).toBe(1);
    const findings = (out: string) => (JSON.parse(out) as { patches: { findings: { rule: string; line: number }[] }[] }).patches.flatMap((p) => p.findings);
    expect(findings(viaBundle.stdout).length).toBeGreaterThan(0);
    expect(findings(viaBundle.stdout)).toEqual(findings(viaModules.stdout));
  });
});

// Runs once before any test file: the tests that start the built CLI, the
// GitHub App or the mail bot as processes must never run against a stale
// dist/. `npm test` has just built it (and stopped on a build error); a run of
// single files (`npx vitest run test/x.test.ts`) builds here when a source
// file is newer than its output, and stops the run when the build fails;
// then it bundles the CLI when its bundle is older than the modules.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Sources whose compiled file is missing or older than they are. */
export function staleSources(root = ROOT): string[] {
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) {
        const out = join(root, "dist", relative(join(root, "src"), p)).replace(/\.ts$/, ".js");
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(p).mtimeMs) stale.push(relative(root, p));
      }
    }
  };
  walk(join(root, "src"));
  return stale;
}

/** The CLI's bundle (scripts/bundle.mjs) exists and is as new as the modules tsc wrote. */
export function bundleCurrent(root = ROOT): boolean {
  const bundle = join(root, "dist", "cli.bundle.js");
  return existsSync(bundle) && statSync(bundle).mtimeMs >= statSync(join(root, "dist", "cli", "main.js")).mtimeMs;
}

export default function setup(): void {
  const stale = staleSources();
  if (stale.length > 0) {
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", ROOT], { cwd: ROOT, encoding: "utf8" });
    if (r.status !== 0) {
      throw new Error(`dist/ is older than ${stale[0]}${stale.length > 1 ? ` and ${stale.length - 1} more` : ""}, and the build failed; no test runs against a stale build:\n${r.stdout}${r.stderr}`);
    }
  }
  // the CLI the tests start is the bundle (bin/reclaim-review.js would fall back to the modules, slower but current)
  if (!bundleCurrent()) {
    const r = spawnSync(process.execPath, [join(ROOT, "scripts", "bundle.mjs")], { cwd: ROOT, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`bundling the CLI (scripts/bundle.mjs) failed:\n${r.stdout}${r.stderr}`);
  }
}

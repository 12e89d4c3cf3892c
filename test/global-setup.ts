// Runs once before any test file: the tests that start the built CLI, the
// GitHub App or the mail bot as processes must never run against a stale
// dist/. `npm test` has just built it (and stopped on a build error); a run of
// single files (`npx vitest run test/x.test.ts`) builds here when a source
// file is newer than its output, and stops the run when the build fails.
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

export default function setup(): void {
  const stale = staleSources();
  if (stale.length === 0) return;
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", ROOT], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(`dist/ is older than ${stale[0]}${stale.length > 1 ? ` and ${stale.length - 1} more` : ""}, and the build failed; no test runs against a stale build:\n${r.stdout}${r.stderr}`);
  }
}

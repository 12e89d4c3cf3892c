#!/usr/bin/env node
// npm's "prepare" step: compile src/ to dist/ with tsc when TypeScript is
// installed (a development checkout, `npm ci`), then bundle the CLI
// (scripts/bundle.mjs). A production install
// (`npm ci --omit=dev`) has no tsc: it uses the dist/ that is already there
// (the npm package ships it, built by "prepack"; the Dockerfile copies it from
// its build stage) and says so when there is none. See docs/operations.md.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
let tsc = null;
try {
  tsc = createRequire(join(root, "package.json")).resolve("typescript/bin/tsc");
} catch {
  tsc = null;
}
if (tsc) {
  const r = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.json")], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
  // then the CLI's bundle (scripts/bundle.mjs; esbuild is a development dependency like TypeScript)
  const { bundle } = await import("./bundle.mjs");
  await bundle();
  process.exit(0);
}
if (existsSync(join(root, "dist", "cli", "main.js"))) {
  console.log("reclaim-review: TypeScript is not installed (a production install): using the compiled dist/ already present");
} else {
  console.warn(
    "reclaim-review: TypeScript is not installed and there is no dist/: this checkout cannot run.\n" +
      "  Build it once with dev dependencies (npm ci && npm run build), install the npm package (it ships dist/),\n" +
      "  or use the Dockerfile (it builds dist/ in its first stage).",
  );
}

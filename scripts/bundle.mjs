#!/usr/bin/env node
// The CLI's bundle: dist/cli/main.js and every module of ours it imports, in
// dist/cli.bundle.js and its dist/cli-chunk-*.js (esbuild, code splitting: what
// a command imports only when it runs stays in its own chunk). A one-patch
// review then loads a dozen files instead of ~125 separate ES modules, whose
// resolution and loading took about as long as the review itself. npm packages
// stay external (node_modules, as before). bin/reclaim-review.js uses the
// bundle only while it is as new as dist/cli/main.js, so a plain `tsc` never
// leaves the CLI running stale code. Run after tsc: `node scripts/bundle.mjs`.
import { readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");

export async function bundle() {
  const { build } = await import("esbuild");
  // the chunks of an earlier build have other hashes: none may linger
  for (const f of readdirSync(dist)) if (/^cli(?:\.bundle|-chunk-[A-Z0-9]+)\.js$/.test(f)) rmSync(join(dist, f));
  await build({
    entryPoints: { "cli.bundle": join(dist, "cli", "main.js") },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outdir: dist,
    // the chunks sit beside the entry, in dist/: code that finds the package's files from its own
    // location (src/paths.ts) sees the same directory whichever of them holds it
    chunkNames: "cli-chunk-[hash]",
    packages: "external",
    logLevel: "warning",
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  bundle().catch((err) => {
    console.error(`reclaim-review: bundling the CLI failed: ${err && err.message ? err.message : err}`);
    process.exit(1);
  });
}

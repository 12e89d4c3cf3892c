#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (prepare script),
// and bundled into dist/cli.bundle.js (scripts/bundle.mjs), which loads in a
// fraction of the time of its ~125 separate modules. The bundle is used only
// while it is at least as new as dist/cli/main.js: a `tsc` run after it (tsc
// rewrites every output) means it may be stale, and the modules are used.
import { statSync } from "node:fs";

const entry = (() => {
  try {
    const bundle = statSync(new URL("../dist/cli.bundle.js", import.meta.url)).mtimeMs;
    return bundle >= statSync(new URL("../dist/cli/main.js", import.meta.url)).mtimeMs ? "../dist/cli.bundle.js" : "../dist/cli/main.js";
  } catch {
    return "../dist/cli/main.js";
  }
})();
const { main } = await import(entry);

// `reclaim-review knowledge | head`: a reader that goes away is not an error
process.stdout.on("error", (err) => {
  if (err && err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`reclaim-review: internal error: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);

// Where the package's data lives (knowledge/, templates/), wherever it is installed.
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

// dist/paths.js, src/paths.ts under vitest, or (the CLI's bundle) dist/cli.bundle.js or one of its dist/cli-chunk-*.js:
// in each case this module's directory is one below the package root
const here = dirname(fileURLToPath(import.meta.url));

/** dist/paths.js (or src/paths.ts under vitest, or a module of the CLI's bundle in dist/) -> package root. */
export function packageRoot(): string {
  return join(here, "..");
}

/** The compiled tree (dist/) when this code runs from it, null when it runs from src/ (vitest). */
export function builtDir(): string | null {
  return basename(here) === "dist" ? here : null;
}

/** A module of the compiled tree by its path under dist/ ("context/audit-worker.js"), as a worker script URL. */
export function builtModule(rel: string): URL {
  return pathToFileURL(join(packageRoot(), "dist", rel));
}

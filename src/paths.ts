// Where the package's data lives (knowledge/, templates/), wherever it is installed.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** dist/paths.js (or src/paths.ts under vitest) -> package root. */
export function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..");
}

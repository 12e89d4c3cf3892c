// Shared by the ingest tests: fixture loading.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const FIXTURES = fileURLToPath(new URL("../fixtures/inputs/", import.meta.url));

export function fixture(name: string): Buffer {
  return readFileSync(FIXTURES + name);
}

export function fixtureText(name: string): string {
  return readFileSync(FIXTURES + name, "utf8");
}

// An in-memory tree over a fixture directory: every file of
// test/fixtures/c/<rule>/ appears under "drivers/<rule>/" so the facts see a
// kernel-like directory.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { TextProvider } from "../../src/context/facts.js";

export const FIXTURES = join(import.meta.dirname, "..", "fixtures", "c");

/**
 * The files of a fixture directory (and its subdirectories) under a kernel-like
 * prefix: "drivers/<rule>" unless the directory has a ".tree-path" file naming one.
 */
export function fixtureTree(rule: string): { provider: TextProvider; files: Map<string, string> } {
  const dir = join(FIXTURES, rule);
  const files = new Map<string, string>();
  const prefixFile = join(dir, ".tree-path");
  const prefix = existsSync(prefixFile) ? readFileSync(prefixFile, "utf8").trim() : `drivers/${rule}`;
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}/${e.name}`);
      else if (/\.[ch]$/.test(e.name)) files.set(`${rel}/${e.name}`, readFileSync(join(d, e.name), "utf8"));
    }
  };
  walk(dir, prefix);
  return { files, provider: memoryProvider(files) };
}

export function memoryProvider(files: ReadonlyMap<string, string>): TextProvider {
  const paths = [...files.keys()];
  const dirOf = (p: string) => p.slice(0, p.lastIndexOf("/"));
  return {
    text: (p) => files.get(p),
    neighbours: (p) => paths.filter((x) => x !== p && dirOf(x) === dirOf(p)),
  };
}

export interface Annotation {
  rule: string;
  expect: "ruleid" | "ok";
  /** The line the annotation applies to (the one after the comment). */
  line: number;
}

/** Semgrep-style annotations: a comment "ruleid: X" or "ok: X" on the line before. */
export function annotations(text: string): Annotation[] {
  const out: Annotation[] = [];
  text.split("\n").forEach((l, i) => {
    const m = /\/[/*]\s*(ruleid|ok):\s*([a-z0-9-]+)/.exec(l);
    if (m) out.push({ rule: m[2]!, expect: m[1] as "ruleid" | "ok", line: i + 2 });
  });
  return out;
}

// The name lists of knowledge/lists/*.txt as the knowledge base reads them:
// an entry's `apis` may name a list ("@wait-primitives"), meaning any
// identifier in it. Same format as the rules' lists: one identifier per
// line, "#" starts a comment, "*" makes a pattern. Read once, on first use.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../paths.js";

export type ListLookup = (name: string) => ((ident: string) => boolean) | null;

/** A membership test for a list's text. */
export function nameListTest(text: string): (ident: string) => boolean {
  const names = new Set<string>();
  const patterns: RegExp[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, "").trim();
    if (!line) continue;
    if (line.includes("*")) patterns.push(new RegExp(`^${line.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[A-Za-z0-9_]*")}$`));
    else names.add(line);
  }
  return (ident) => names.has(ident) || patterns.some((re) => re.test(ident));
}

/** Lists from a directory (default: the bundled knowledge/lists), each read once; null for a list that does not exist. */
export function listsFrom(dir = join(packageRoot(), "knowledge", "lists")): ListLookup {
  const cache = new Map<string, ((ident: string) => boolean) | null>();
  return (name) => {
    if (!cache.has(name)) {
      const file = join(dir, `${name}.txt`);
      cache.set(name, /^[a-z0-9-]+$/.test(name) && existsSync(file) ? nameListTest(readFileSync(file, "utf8")) : null);
    }
    return cache.get(name)!;
  };
}

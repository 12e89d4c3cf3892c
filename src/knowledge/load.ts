// Loads and validates knowledge/*.md once (I/O at start-up; everything after is pure).
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { ConfigError } from "../errors.js";
import { builtDir, packageRoot } from "../paths.js";
import { knowledgeEntrySchema, type KnowledgeEntry } from "./schema.js";
import { KnowledgeBase } from "./base.js";
import { listsFrom } from "./lists.js";
import { VERSION } from "../version.js";

const require = createRequire(import.meta.url);

function parseYaml(text: string): unknown {
  return (require("yaml") as { parse: (t: string) => unknown }).parse(text);
}

export function parseEntry(text: string, file: string): KnowledgeEntry {
  const m = /^---\n([\s\S]*?)\n---\n?([\s\S]*)$/.exec(text.replace(/\r\n/g, "\n"));
  if (!m) throw new ConfigError("no YAML front matter (--- ... ---)", file);
  let raw: unknown;
  try {
    raw = parseYaml(m[1]!);
  } catch (err) {
    throw new ConfigError(`front matter is not YAML: ${(err as Error).message}`, file);
  }
  const parsed = knowledgeEntrySchema().safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${issue.path.join(".") || "(front matter)"}: ${issue.message}`, file);
  }
  const base = file.replace(/^.*\//, "").replace(/\.md$/, "");
  if (parsed.data.id !== base) throw new ConfigError(`id "${parsed.data.id}" does not match the file name`, file);
  const story = m[2]!.trim();
  if (story.length < 40) throw new ConfigError("the markdown body must tell the story (what happened, the fix, the lesson)", file);
  return { ...parsed.data, story };
}

function entryFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".md") && f !== "README.md")
    .sort();
}

/** Every "@list" an entry's `apis` names must exist in the lists directory. */
function checkLists(entries: readonly KnowledgeEntry[], listDir: string): void {
  const lists = listsFrom(listDir);
  for (const e of entries)
    for (const a of e.apis)
      if (a.startsWith("@") && !lists(a.slice(1))) throw new ConfigError(`apis: "${a}" names no list in ${listDir}`, `${e.id}.md`);
}

export function loadKnowledgeDir(dir: string): KnowledgeBase {
  const entries = entryFiles(dir).map((f) => parseEntry(readFileSync(join(dir, f), "utf8"), join(dir, f)));
  checkLists(entries, join(dir, "lists"));
  return new KnowledgeBase(entries, listsFrom(join(dir, "lists")));
}

/**
 * What the cache of validated entries depends on: every entry file's name,
 * size and mtime, the schema module's own mtime, and the tool version.
 */
function signatureOf(dir: string, files: string[]): string {
  const built = builtDir();
  let schemaStamp = "";
  try {
    schemaStamp = built ? String(statSync(join(built, "knowledge", "schema.js")).mtimeMs) : "none";
  } catch {
    schemaStamp = "none";
  }
  const parts = files.map((f) => {
    const st = statSync(join(dir, f));
    return `${f}:${st.size}:${st.mtimeMs}`;
  });
  let lists = "";
  try {
    lists = readdirSync(join(dir, "lists")).sort().join(",");
  } catch {
    lists = "none";
  }
  return `${VERSION}|${schemaStamp}|${lists}|${parts.join("|")}`;
}

/**
 * Entries validated once and cached in dist/ (the cache is used only while
 * every entry file and the schema are unchanged, so start-up does not pay
 * for YAML parsing and schema validation on every run). Any change, a
 * missing or unreadable cache: parse and validate everything again.
 */
export function loadKnowledgeCached(dir: string, cacheFile: string | null): KnowledgeBase {
  const files = entryFiles(dir);
  const signature = signatureOf(dir, files);
  if (cacheFile) {
    try {
      const cached = JSON.parse(readFileSync(cacheFile, "utf8")) as { signature: string; entries: KnowledgeEntry[] };
      if (cached.signature === signature && Array.isArray(cached.entries)) return new KnowledgeBase(cached.entries, listsFrom(join(dir, "lists")));
    } catch {
      // no cache yet, or an unreadable one: rebuild below
    }
  }
  const entries = files.map((f) => parseEntry(readFileSync(join(dir, f), "utf8"), join(dir, f)));
  checkLists(entries, join(dir, "lists"));
  const kb = new KnowledgeBase(entries, listsFrom(join(dir, "lists")));
  if (cacheFile) {
    try {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ signature, entries: kb.entries }));
      renameSync(tmp, cacheFile);
    } catch {
      // a read-only install: validate on every run instead
    }
  }
  return kb;
}

let cached: KnowledgeBase | undefined;

/** The bundled knowledge base (knowledge/ beside package.json), loaded once. */
export function loadKnowledge(): KnowledgeBase {
  // dist/knowledge.cache.json when running the built package; none under vitest (src/)
  const built = builtDir();
  const cacheFile = built ? join(built, "knowledge.cache.json") : null;
  cached ??= loadKnowledgeCached(join(packageRoot(), "knowledge"), cacheFile);
  return cached;
}

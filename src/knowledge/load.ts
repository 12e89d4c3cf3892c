// Loads and validates knowledge/*.md once (I/O at start-up; everything after is pure).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../errors.js";
import { packageRoot } from "../paths.js";
import { knowledgeEntrySchema, type KnowledgeEntry } from "./schema.js";
import { KnowledgeBase } from "./base.js";

export function parseEntry(text: string, file: string): KnowledgeEntry {
  const m = /^---\n([\s\S]*?)\n---\n?([\s\S]*)$/.exec(text.replace(/\r\n/g, "\n"));
  if (!m) throw new ConfigError("no YAML front matter (--- ... ---)", file);
  let raw: unknown;
  try {
    raw = parseYaml(m[1]!);
  } catch (err) {
    throw new ConfigError(`front matter is not YAML: ${(err as Error).message}`, file);
  }
  const parsed = knowledgeEntrySchema.safeParse(raw);
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

export function loadKnowledgeDir(dir: string): KnowledgeBase {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".md") && f !== "README.md")
    .sort();
  const entries = files.map((f) => parseEntry(readFileSync(join(dir, f), "utf8"), join(dir, f)));
  return new KnowledgeBase(entries);
}

let cached: KnowledgeBase | undefined;

/** The bundled knowledge base (knowledge/ beside package.json), loaded once. */
export function loadKnowledge(): KnowledgeBase {
  cached ??= loadKnowledgeDir(join(packageRoot(), "knowledge"));
  return cached;
}

// Name lists of knowledge/lists/*.txt (data, not code), loaded once.
// Format: one identifier per line, "#" starts a comment; a "*" in a line
// makes it a pattern ("*_queue_rq", "UBLK_IO_*").
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../paths.js";
import { PRIVATE_NOFS_MASKS } from "../../vocab/kernel-api.js";
import { evalMask } from "../../context/gfp.js";

export interface NameList {
  readonly name: string;
  /** Exact identifiers. */
  readonly names: ReadonlySet<string>;
  /** Patterns with "*" (original text). */
  readonly patterns: readonly string[];
  /** True when `id` is listed or matches a pattern. */
  has(id: string): boolean;
  /** The listed name or pattern that `id` matches, or null. */
  match(id: string): string | null;
}

const cache = new Map<string, NameList>();

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split("*")
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join("[A-Za-z0-9_]*");
  return new RegExp(`^${body}$`);
}

/** Builds a list from text (exported for tests). */
export function parseNameList(name: string, text: string): NameList {
  const names = new Set<string>();
  const patterns: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, "").trim();
    if (!line) continue;
    if (line.includes("*")) patterns.push(line);
    else names.add(line);
  }
  const compiled = patterns.map((p) => ({ p, re: globToRegExp(p) }));
  // one alternation answers "no pattern matches" (the usual answer) in a single test
  const any = compiled.length > 0 ? new RegExp(compiled.map((c) => `(?:${c.re.source})`).join("|")) : null;
  const match = (id: string): string | null => {
    if (names.has(id)) return id;
    if (!any || !any.test(id)) return null;
    for (const c of compiled) if (c.re.test(id)) return c.p;
    return null;
  };
  return { name, names, patterns, has: (id) => match(id) !== null, match };
}

/** knowledge/lists/<name>.txt, read once per process. */
export function nameList(name: string): NameList {
  let list = cache.get(name);
  if (!list) {
    const file = join(packageRoot(), "knowledge", "lists", `${name}.txt`);
    list = parseNameList(name, readFileSync(file, "utf8"));
    cache.set(name, list);
  }
  return list;
}

export const lists = {
  waitPrimitives: () => nameList("wait-primitives"),
};

// ---------------------------------------------------------------- gfp tokens

/** GFP masks that clear __GFP_FS and/or __GFP_IO on a line (code, comments stripped), filesystems' private NOFS words included (src/vocab). */
export function restrictedMasks(code: string): string[] {
  const out: string[] = [];
  // GFP_NOFS or'ed with a mask that sets __GFP_FS (`GFP_KERNEL | GFP_NOFS` is GFP_KERNEL) restricts nothing
  const chains = /GFP_NO(?:FS|IO)\b/.test(code) ? [...code.matchAll(GFP_OR_CHAIN)].map((m) => m[0]) : [];
  const restricts = (word: "GFP_NOFS" | "GFP_NOIO") => {
    const re = RESTRICTED_WORD[word];
    const own = chains.filter((c) => re.test(c));
    if (own.length === 0) return re.test(code);
    return own.some((c) => {
      const m = evalMask(c);
      return word === "GFP_NOFS" ? m.fs === false : m.io === false;
    });
  };
  if (restricts("GFP_NOFS")) out.push("GFP_NOFS");
  if (restricts("GFP_NOIO")) out.push("GFP_NOIO");
  if (/~\s*\(?[^;)]*\b__GFP_FS\b/.test(code)) out.push("~__GFP_FS");
  if (/~\s*\(?[^;)]*\b__GFP_IO\b/.test(code)) out.push("~__GFP_IO");
  for (const w of Object.keys(PRIVATE_NOFS_MASKS)) if (code.includes(w) && new RegExp(`\\b${w}\\b`).test(code)) out.push(w);
  return out;
}

const RESTRICTED_WORD = { GFP_NOFS: /\bGFP_NOFS\b/, GFP_NOIO: /\bGFP_NOIO\b/ } as const;

/** GFP words joined by `|` (a mask built by or-ing named masks). */
const GFP_OR_CHAIN = /\b(?:__)?GFP_\w+(?:\s*\|\s*(?:__)?GFP_\w+)*/g;

/**
 * Prefilter needles for a list: every name, and the longest literal part of
 * each pattern ("*_queue_rq" -> "_queue_rq"). Any identifier the list matches
 * contains one of them.
 */
export function listNeedles(list: NameList): string[] {
  const out = new Set<string>(list.names);
  for (const p of list.patterns) {
    const longest = p.split("*").reduce((a, b) => (b.length > a.length ? b : a), "");
    if (longest) out.add(longest);
  }
  return [...out];
}

/** Drops needles that contain another needle (a text holding the longer one holds the shorter). */
export function coveringNeedles(needles: readonly string[]): string[] {
  const uniq = [...new Set(needles)];
  return uniq.filter((n) => !uniq.some((m) => m !== n && n.includes(m)));
}

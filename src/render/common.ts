// Helpers shared by the renderers: wrapping, counting, citations, and finding
// the hunk lines a finding sits on.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../paths.js";
import type { Citation, DiffLine, FileDiff, Finding, Hunk, LocalCommit, Patch, ReviewResult, Severity } from "../types.js";
import { SEVERITY_RANK } from "../types.js";

/** Where the documentation lives: package.json "homepage" when set, else the project page. */
export const DEFAULT_DOCS_URL = "https://github.com/reclaim-review/reclaim-review#readme";

let docsUrlCache: string | null = null;

export function docsUrl(): string {
  if (docsUrlCache !== null) return docsUrlCache;
  let url = DEFAULT_DOCS_URL;
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { homepage?: unknown };
    if (typeof pkg.homepage === "string" && /^https?:\/\//.test(pkg.homepage)) url = pkg.homepage;
  } catch {
    // an installed copy without a readable package.json keeps the default
  }
  docsUrlCache = url;
  return url;
}

/**
 * Word-wraps prose to `width` columns. Paragraphs (blank-line separated) stay
 * apart; a word longer than the width (a URL) stands alone on its line.
 * `first` prefixes the first line, `rest` the following ones.
 */
export function wrap(text: string, width: number, first = "", rest = first): string {
  const paragraphs = text.trim().split(/\n\s*\n/);
  const out: string[] = [];
  paragraphs.forEach((para, pi) => {
    const words = para.split(/\s+/).filter(Boolean);
    let prefix = pi === 0 ? first : rest;
    let line = "";
    for (const w of words) {
      if (line === "") line = w;
      else if (prefix.length + line.length + 1 + w.length <= width) line += " " + w;
      else {
        out.push(prefix + line);
        prefix = rest;
        line = w;
      }
    }
    if (line !== "") out.push(prefix + line);
    if (pi < paragraphs.length - 1) out.push("");
  });
  return out.join("\n");
}

/** `commit 0123456789ab ("subject", 2024-05-01)` for a commit of the reviewed tree's own history. */
export function localCommitLabel(c: LocalCommit): string {
  return `commit ${c.sha.slice(0, 12)} ("${c.subject}"${c.date ? `, ${c.date}` : ""})`;
}

/** `commit 70704c33db84 ("dm bufio: ...")` for a commit, the quoted title otherwise. */
export function citationLabel(c: Citation): string {
  return c.commit ? `commit ${c.commit} ("${c.title}")` : `"${c.title}"`;
}

export interface Totals {
  error: number;
  warning: number;
  info: number;
  patches: number;
}

export function totals(result: ReviewResult): Totals {
  const t: Totals = { error: 0, warning: 0, info: 0, patches: result.reviews.length };
  for (const r of result.reviews) for (const f of r.findings) t[f.severity]++;
  return t;
}

export function atLeast(s: Severity, min: Severity): boolean {
  return SEVERITY_RANK[s] >= SEVERITY_RANK[min];
}

/** `fs/x.c:577`, or `patch` for a patch-level finding. */
export function location(f: Finding): string {
  if (f.file === null) return "patch";
  return f.line === null ? f.file : `${f.file}:${f.line}`;
}

/** New findings first, then the pre-existing ones (each group keeps its order). */
export function splitPreExisting(findings: readonly Finding[]): { fresh: Finding[]; old: Finding[] } {
  return { fresh: findings.filter((f) => !f.preExisting), old: findings.filter((f) => f.preExisting) };
}

export interface HunkSpot {
  file: FileDiff;
  hunk: Hunk;
  /** Index of the finding's line in hunk.lines. */
  index: number;
}

/** The hunk line a finding points at (an added or context line of the new file). */
export function findSpot(patch: Patch, file: string | null, line: number | null): HunkSpot | null {
  if (file === null || line === null) return null;
  for (const fd of patch.files) {
    if (fd.path !== file || fd.binary) continue;
    for (const hunk of fd.hunks) {
      const index = hunk.lines.findIndex((l) => l.kind !== "del" && l.newLine === line);
      if (index >= 0) return { file: fd, hunk, index };
    }
  }
  return null;
}

export function diffLineText(l: DiffLine): string {
  return (l.kind === "add" ? "+" : l.kind === "del" ? "-" : " ") + l.text;
}

export function hunkHeader(h: Hunk): string {
  const range = (start: number, n: number) => (n === 1 ? `${start}` : `${start},${n}`);
  return `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@${h.section ? " " + h.section : ""}`;
}

/** The old and new names git prints in "diff --git a/X b/Y". */
export function diffGitLine(fd: FileDiff): string {
  return `diff --git a/${fd.oldPath ?? fd.path} b/${fd.newPath ?? fd.path}`;
}

/** "Damien Le Moal <d@x>" -> "Damien"; "Le Moal, Damien" -> "Damien"; null when no name. */
export function firstName(author: string | null): string | null {
  if (!author) return null;
  let name = author.replace(/<[^>]*>/g, "").replace(/\([^)]*\)/g, "").trim().replace(/^"(.*)"$/, "$1").trim();
  if (name === "" || name.includes("@")) return null;
  if (name.includes(",")) name = name.slice(name.indexOf(",") + 1).trim();
  const first = name.split(/\s+/)[0];
  return first ? first : null;
}

/** Lines of running prose: sentences end with a full stop. */
export function sentenceOf(s: string): string {
  const t = s.trim();
  return t === "" || /[.!?:]$/.test(t) ? t : t + ".";
}

/** "1 error, 2 warnings, 3 info": the severities present, most severe first. */
export function breakdown(findings: readonly Finding[]): string {
  const parts: string[] = [];
  for (const s of ["error", "warning", "info"] as const) {
    const n = findings.filter((f) => f.severity === s).length;
    if (n > 0) parts.push(`${n} ${s}${n === 1 || s === "info" ? "" : "s"}`);
  }
  return parts.join(", ");
}

// Helpers shared by the renderers: wrapping, counting, citations, and finding
// the hunk lines a finding sits on.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../paths.js";
import type { Citation, DiffLine, FileDiff, Finding, Hunk, LocalCommit, Patch, ReviewContext, ReviewResult, Severity } from "../types.js";
import { SEVERITY_RANK } from "../types.js";

let docsUrlCache: string | null | undefined;

/**
 * The project's own page: package.json "homepage" when it is set, else
 * null (no made-up address; a deployment configures its own, e.g. the mail
 * bot's signature-url).
 */
export function docsUrl(): string | null {
  if (docsUrlCache !== undefined) return docsUrlCache;
  let url: string | null = null;
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { homepage?: unknown };
    if (typeof pkg.homepage === "string" && /^https?:\/\//.test(pkg.homepage)) url = pkg.homepage;
  } catch {
    // an installed copy without a readable package.json has no page to name
  }
  docsUrlCache = url;
  return url;
}

const GLUE = "\u0000";

/**
 * Word-wraps prose to `width` columns. Paragraphs (blank-line separated) stay
 * apart; a word longer than the width (a URL) stands alone on its line, and
 * so does a commit reference (`commit 0123456789ab ("subject")`) that does not fit.
 * `first` prefixes the first line, `rest` the following ones.
 */
export function wrap(text: string, width: number, first = "", rest = first): string {
  const paragraphs = text.trim().split(/\n\s*\n/);
  const out: string[] = [];
  paragraphs.forEach((para, pi) => {
    // a commit reference is one word: it goes past the width rather than break
    const words = para
      .replace(COMMIT_REF, (ref) => ref.replace(/\s+/g, GLUE))
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => w.split(GLUE).join(" "));
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

/** `commit 0123456789ab ("subject")` for a commit of the reviewed tree's own history (the date follows, outside the reference). */
export function localCommitLabel(c: LocalCommit): string {
  return `commit ${c.sha.slice(0, 12)} ("${c.subject}")${c.date ? `, ${c.date}` : ""}`;
}

/**
 * `commit 70704c33db84 ("dm bufio: ...")` for a commit, exactly as kernel
 * people write it, the quoted title otherwise; an entry whose id was not
 * seen tied to mainline says so.
 */
export function citationLabel(c: Citation): string {
  const base = c.commit ? `commit ${c.commit} ("${c.title}")` : `"${c.title}"`;
  return c.partial ? `${base} ${c.commit ? "(id not confirmed)" : "(not confirmed)"}` : base;
}

/** The commit references in a text (`commit 0123456789ab ("subject")`), which must never be broken across lines. */
export const COMMIT_REF = /\bcommit [0-9a-f]{7,40} \("(?:[^"\n]|"(?!\)))*"\)/g;

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

// ------------------------------------------------------------ one reply

/** Findings of one rule in one patch, said once: one comment listing the lines. */
export interface FindingGroup {
  rule: string;
  /** The most severe of its members. */
  severity: Severity;
  preExisting: boolean;
  /** Commit-message findings (file null) are grouped apart from code findings. */
  patchLevel: boolean;
  members: Finding[];
}

/** Groups findings by rule (and by pre-existing, and commit message vs code), in the order they come. */
export function groupFindings(findings: readonly Finding[]): FindingGroup[] {
  const groups = new Map<string, FindingGroup>();
  for (const f of findings) {
    const key = `${f.rule}\0${f.preExisting ? 1 : 0}\0${f.file === null ? 1 : 0}`;
    let g = groups.get(key);
    if (!g) {
      g = { rule: f.rule, severity: f.severity, preExisting: Boolean(f.preExisting), patchLevel: f.file === null, members: [] };
      groups.set(key, g);
    }
    g.members.push(f);
    if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[g.severity]) g.severity = f.severity;
  }
  return [...groups.values()];
}

/** "24", "24 and 31", "24, 31 and 40". */
export function listOf(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** "line 24", "lines 24 and 31" (with the file when the group spans files). */
export function linesOf(members: readonly Finding[], spansFiles: boolean): string {
  const at = members.filter((f) => f.line !== null).map((f) => (spansFiles ? `${f.file}:${f.line}` : String(f.line)));
  if (at.length === 0) return "";
  return `${at.length === 1 ? "line" : "lines"} ${listOf(at)}`;
}

/** "the commit message ..." -> "The commit message ..."; identifiers ("alloc_workqueue() ...") stay as they are. */
export function capitalise(s: string): string {
  return /^[a-z]+(\s|$)/.test(s) ? s[0]!.toUpperCase() + s.slice(1) : s;
}

/** Does the text already name every step of the chain? */
function saysChain(text: string, chain: readonly string[]): boolean {
  return chain.every((c) => text.includes(c.replace(/\(\)$/, "")));
}

/**
 * The comment on a group, in the reviewer's voice, as sentences: what this
 * code does (each member's message; lines with the same message said once),
 * what to do here, the call chain when the message does not already give
 * it, and what the verdict could not establish. Plain text: each channel
 * wraps or escapes it.
 */
export function groupProse(g: FindingGroup): string[] {
  const spansFiles = new Set(g.members.map((f) => f.file)).size > 1;
  const byMessage = new Map<string, Finding[]>();
  for (const f of g.members) byMessage.set(f.message, [...(byMessage.get(f.message) ?? []), f]);
  const out: string[] = [];
  const many = byMessage.size > 1;
  for (const [message, fs] of byMessage) {
    const where = g.members.length > 1 ? linesOf(fs, spansFiles) : "";
    const text = sentenceOf(capitalise(message));
    out.push(where && (many || g.members.length > 1) ? `${capitalise(where)}: ${text}` : text);
  }
  const fixes = [...new Set(g.members.map((f) => f.fix.trim()).filter((x) => x !== ""))];
  for (const fix of fixes) out.push(sentenceOf(capitalise(fix)));
  const said = out.join(" ");
  const chains = new Map<string, Finding[]>();
  for (const f of g.members) if (f.chain && f.chain.length > 1 && !saysChain(said, f.chain)) chains.set(f.chain.join(" -> "), [...(chains.get(f.chain.join(" -> ")) ?? []), f]);
  for (const [chain, fs] of chains) {
    const where = chains.size > 1 || g.members.length > 1 ? ` (${linesOf(fs, spansFiles)})` : "";
    out.push(`Call chain${where}: ${chain}.`);
  }
  const unknowns = [...new Set(g.members.flatMap((f) => f.unknowns ?? []).map((u) => u.trim().replace(/[.]$/, "")))].filter((u) => u !== "");
  if (unknowns.length > 0) out.push(`Not established here: ${unknowns.join("; ")}.`);
  if (g.preExisting) out.push("This was already the case before the patch; it is mentioned for context.");
  return out;
}

/**
 * The citations of a group not given earlier in the same reply (each link
 * once per reply), best first, at most `max`: the members' own order, then
 * position.
 */
export function freshCitations(g: FindingGroup, given: Set<string>, max = 3): Citation[] {
  const out: Citation[] = [];
  const width = Math.max(0, ...g.members.map((f) => f.citations.length));
  for (let i = 0; i < width && out.length < max; i++) {
    for (const f of g.members) {
      const c = f.citations[i];
      if (!c || given.has(c.url) || given.has(`id:${c.id}`)) continue;
      given.add(c.url);
      given.add(`id:${c.id}`);
      out.push(c);
      if (out.length >= max) break;
    }
  }
  return out;
}

/** The tree's own commits for a group, not given earlier in the reply. */
export function freshLocal(g: FindingGroup, given: Set<string>, max = 2): LocalCommit[] {
  const out: LocalCommit[] = [];
  for (const f of g.members)
    for (const c of f.localHistory ?? []) {
      const key = `sha:${c.sha}`;
      if (given.has(key) || (c.url && given.has(c.url)) || out.length >= max) continue;
      given.add(key);
      if (c.url) given.add(c.url);
      out.push(c);
    }
  return out;
}

const short = (id: string) => id.slice(0, 12);

/** Where a review's context came from, in words: the tree (one phrase) and each touched file's pre-image. */
export function contextWords(ctx: ReviewContext): { base: string; files: { path: string; from: string }[] } {
  const b = ctx.base;
  const kernel = ctx.kernel ? `Linux ${ctx.kernel.major}.${ctx.kernel.minor} ` : "";
  let base: string;
  if (b.commit === null) base = `${kernel}tree as it is on disk`;
  else if (b.from === "base-commit") base = `${kernel}tree at ${short(b.commit)} (the patch's base-commit)`;
  else if (b.from === "guessed") base = `${kernel}tree at ${short(b.commit)} (the commit holding the patch's blobs)`;
  else if (b.from === "head") base = `${kernel}tree at HEAD ${short(b.commit)}`;
  else if (b.from === "pr-base") base = `${kernel}tree at the pull request's base ${short(b.commit)}`;
  else base = `${kernel}working tree (HEAD ${short(b.commit)})`;
  const files = ctx.files.map((f) => {
    let from: string;
    if (f.from === "blob") from = `exact blob ${short(f.blob ?? "")}${f.commit ? ` (as in ${short(f.commit)})` : ""}`;
    else if (f.from === "series") from = `as patch ${f.patch ?? "?"} of the series leaves it`;
    else if (f.from === "base-commit") from = `at ${short(f.commit ?? "")}, not the exact blob`;
    else if (f.from === "worktree") from = f.commit ? `working tree at HEAD ${short(f.commit)}, not the exact blob` : "working tree, not the exact blob";
    else from = "not found: reviewed from the diff alone";
    if (f.missingBlob) from += ` (the index line's blob ${f.missingBlob} is not in the tree)`;
    return { path: f.path, from };
  });
  return { base, files };
}

/** One paragraph saying what the review was made against (email, markdown). */
export function contextSentence(ctx: ReviewContext): string {
  const w = contextWords(ctx);
  const files = w.files.map((f) => `${f.path}: ${f.from}`);
  return `Reviewed against the ${w.base}${files.length > 0 ? `; ${files.join("; ")}` : ""}.`;
}

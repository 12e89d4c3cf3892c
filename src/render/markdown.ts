// --format markdown: for humans and for pasting into a pull request. A heading
// per patch, a table of findings, then a section per finding with a ```diff
// quote, why, what to do, and the citations as links.
import type { Finding, Patch, PatchReview, ReviewResult } from "../types.js";
import { citationLabel, localCommitLabel, diffLineText, findSpot, hunkHeader, location, sentenceOf, totals } from "./common.js";
import { fill } from "./templates.js";

const CONTEXT_BEFORE = 3;
const CONTEXT_AFTER = 2;

/** Escapes text so markdown shows it literally (`__GFP_FS` must not turn bold). */
export function escapeMarkdown(s: string): string {
  return s
    .replace(/[\\`*_[\]<>|~]/g, (c) => `\\${c}`)
    .replace(/^(\s*)([#+-])/, "$1\\$2")
    .replace(/\r?\n/g, " ");
}

/** An inline code span that survives backticks inside. */
export function codeSpan(s: string): string {
  const runs = s.match(/`+/g) ?? [];
  const n = Math.max(0, ...runs.map((r) => r.length)) + 1;
  const fence = "`".repeat(n);
  const pad = s.startsWith("`") || s.endsWith("`") ? " " : "";
  return `${fence}${pad}${s}${pad}${fence}`;
}

function fenced(lang: string, lines: string[]): string {
  const body = lines.join("\n");
  const runs = body.match(/`{3,}/g) ?? [];
  const fence = "`".repeat(Math.max(3, ...runs.map((r) => r.length + 1)));
  return `${fence}${lang}\n${body}\n${fence}`;
}

function safeUrl(u: string): string {
  return u.replace(/[()\s<>]/g, (c) => encodeURIComponent(c));
}

/** The ```diff block for a finding: hunk lines around it when the patch is known, else the added line. */
function diffQuote(f: Finding, patch?: Patch): string {
  const spot = patch ? findSpot(patch, f.file, f.line) : null;
  if (spot) {
    const { hunk, index } = spot;
    const start = Math.max(0, index - CONTEXT_BEFORE);
    const end = Math.min(hunk.lines.length - 1, index + CONTEXT_AFTER);
    const lines = [hunkHeader(hunk), ...hunk.lines.slice(start, end + 1).map(diffLineText)];
    return fenced("diff", lines);
  }
  if (f.quote !== null) return fenced("diff", [`+${f.quote}`]);
  return "";
}

/** One finding as a markdown section (### heading, quote, why, fix, citations). */
export function renderFindingMarkdown(f: Finding, patch?: Patch): string {
  return fill("markdown/finding", {
    title: `${f.severity}: ${codeSpan(f.rule)} at ${f.file === null ? "the commit message" : codeSpan(location(f))}`,
    message: escapeMarkdown(sentenceOf(f.message)),
    preExisting: Boolean(f.preExisting),
    diff: diffQuote(f, patch),
    chain: f.chain && f.chain.length > 0 ? f.chain.map(codeSpan).join(" → ") : "",
    why: escapeMarkdown(sentenceOf(f.why)),
    fix: escapeMarkdown(sentenceOf(f.fix)),
    hasCitations: f.citations.length > 0,
    citations: f.citations.map((c) => ({ label: escapeMarkdown(citationLabel(c)), url: safeUrl(c.url) })),
    hasLocal: (f.localHistory ?? []).length > 0,
    local: (f.localHistory ?? []).map((c) => ({ label: escapeMarkdown(localCommitLabel(c)), url: c.url ? safeUrl(c.url) : "" })),
    rule: f.rule,
    severity: f.severity,
    fingerprint: f.fingerprint,
  }).replace(/\n+$/, "");
}

function renderPatchMarkdown(r: PatchReview): string {
  return fill("markdown/patch", {
    subject: escapeMarkdown(r.patch.subject || "(no subject)"),
    source: r.patch.source.replace(/`/g, "'"),
    messageId: r.patch.messageId ? r.patch.messageId.replace(/`/g, "'") : "",
    clean: r.findings.length === 0,
    hasFindings: r.findings.length > 0,
    rows: r.findings.map((f, i) => ({
      n: i + 1,
      severity: f.severity === "error" ? "**error**" : f.severity,
      rule: f.rule,
      location: f.file === null ? "commit message" : codeSpan(location(f)),
      message: escapeMarkdown(f.message) + (f.preExisting ? " _(pre-existing)_" : ""),
    })),
    sections: r.findings.map((f) => renderFindingMarkdown(f, r.patch)),
    hasNotes: r.patch.notes.length > 0,
    notes: r.patch.notes.map(escapeMarkdown),
    hasErrors: r.errors.length > 0,
    errors: r.errors.map((e) => ({ rule: e.rule, message: escapeMarkdown(e.message) })),
  }).replace(/\n+$/, "");
}

export function renderMarkdown(result: ReviewResult): string {
  const t = totals(result);
  const out = fill("markdown/report", {
    tool: result.tool,
    error: t.error,
    warning: t.warning,
    info: t.info,
    nPatches: t.patches,
    patchWord: t.patches === 1 ? "patch" : "patches",
    version: result.version,
    patches: result.reviews.map(renderPatchMarkdown),
    hasCovers: result.covers.length > 0,
    covers: result.covers.map((c) => ({ source: codeSpanBody(c.source), subject: escapeMarkdown(c.subject) })),
    hasProblems: result.problems.length > 0,
    problems: result.problems.map((p) => ({ source: codeSpanBody(p.source), message: escapeMarkdown(p.message) })),
  });
  return out.replace(/\n{3,}/g, "\n\n").replace(/\n*$/, "\n");
}

function codeSpanBody(s: string): string {
  return s.replace(/`/g, "'");
}

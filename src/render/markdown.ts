// --format markdown: for humans and for pasting into a pull request. A heading
// per patch, a table of findings, then a section per comment (a rule's
// findings on several lines are one comment) with a ```diff quote, one
// paragraph about this code, the history not linked above (each link once
// per report), each rule's background once per report, and one footer of
// fingerprints per patch.
import type { Citation, Finding, Hunk, LocalCommit, Patch, PatchReview, ReviewResult } from "../types.js";
import {
  citationLabel,
  contextSentence,
  diffLineText,
  findSpot,
  freshCitations,
  freshLocal,
  groupFindings,
  groupProse,
  hunkHeader,
  listOf,
  localCommitLabel,
  location,
  sentenceOf,
  totals,
  type FindingGroup,
} from "./common.js";
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

/** The ```diff block for a group: hunk lines around each member's line when the patch is known, else the added lines. */
function diffQuote(members: readonly Finding[], patch?: Patch): string {
  const lines: string[] = [];
  let last: { hunk: Hunk; end: number } | null = null;
  let file: string | null = null;
  for (const f of members) {
    const spot = patch ? findSpot(patch, f.file, f.line) : null;
    if (spot) {
      const { hunk, index } = spot;
      let start = Math.max(0, index - CONTEXT_BEFORE);
      const end = Math.min(hunk.lines.length - 1, index + CONTEXT_AFTER);
      if (file !== f.file && members.some((m) => m.file !== f.file)) lines.push(`--- ${f.file}`);
      if (last && last.hunk === hunk) {
        if (index <= last.end) continue;
        start = Math.max(start, last.end + 1);
        if (start > last.end + 1) lines.push("...");
      } else lines.push(hunkHeader(hunk));
      lines.push(...hunk.lines.slice(start, end + 1).map(diffLineText));
      last = { hunk, end };
      file = f.file;
    } else if (f.quote !== null) {
      lines.push(`+${f.quote}`);
      last = null;
    }
  }
  return lines.length > 0 ? fenced("diff", lines) : "";
}

function citationItem(c: Citation): { label: string; url: string } {
  return { label: escapeMarkdown(citationLabel(c)), url: safeUrl(c.url) };
}

function localItem(c: LocalCommit): { label: string; url: string } {
  return { label: escapeMarkdown(localCommitLabel(c)), url: c.url ? safeUrl(c.url) : "" };
}

function groupTitle(g: FindingGroup): string {
  const where = g.patchLevel ? "the commit message" : listOf(g.members.map((f) => codeSpan(location(f))));
  return `${g.severity}: ${codeSpan(g.rule)} at ${where}`;
}

/** One comment as a markdown section: heading, the lines concerned, the paragraph, the history not cited above, and (optionally) the rule's background. */
function renderGroup(g: FindingGroup, patch: Patch | undefined, given: Set<string>, why: string): string {
  return fill("markdown/finding", {
    title: groupTitle(g),
    diff: diffQuote(g.members, patch),
    paragraph: escapeMarkdown(groupProse(g).join(" ")),
    hasCitations: false,
    citations: freshCitations(g, given).map(citationItem),
    local: freshLocal(g, given).map(localItem),
    why: why ? escapeMarkdown(sentenceOf(why)) : "",
    rule: g.rule,
  })
    .replace(/\n+$/, "");
}

/** One finding as a markdown section, standalone: with its rule's background and its fingerprint. */
export function renderFindingMarkdown(f: Finding, patch?: Patch): string {
  const [g] = groupFindings([f]);
  return `${renderGroup(g!, patch, new Set(), f.why)}\n\n${fingerprintFooter([f])}`;
}

/** The one footer of a patch: every fingerprint, with how to silence it. */
function fingerprintFooter(findings: readonly Finding[]): string {
  return fill("markdown/footer", {
    rows: findings.map((f, i) => ({ fingerprint: f.fingerprint, rule: f.rule, location: f.file === null ? "commit message" : codeSpan(location(f)), last: i === findings.length - 1 })),
  }).replace(/\n+$/, "");
}

function renderPatchMarkdown(r: PatchReview, given: Set<string>, explained: Set<string>): string {
  const groups = groupFindings(r.findings);
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
    // each rule's general explanation once per report, with its first comment
    sections: groups.map((g) => renderGroup(g, r.patch, given, explained.has(g.rule) || !explained.add(g.rule) ? "" : g.members[0]!.why)),
    footer: r.findings.length > 0 ? fingerprintFooter(r.findings) : "",
    hasNotes: r.patch.notes.length > 0,
    notes: r.patch.notes.map(escapeMarkdown),
    context: r.context ? escapeMarkdown(contextSentence(r.context)) : "",
    hasErrors: r.errors.length > 0,
    errors: r.errors.map((e) => ({ rule: e.rule, message: escapeMarkdown(e.message) })),
  }).replace(/\n+$/, "");
}

export function renderMarkdown(result: ReviewResult): string {
  const t = totals(result);
  const given = new Set<string>();
  const explained = new Set<string>();
  const out = fill("markdown/report", {
    tool: result.tool,
    error: t.error,
    warning: t.warning,
    info: t.info,
    nPatches: t.patches,
    patchWord: t.patches === 1 ? "patch" : "patches",
    version: result.version,
    patches: result.reviews.map((r) => renderPatchMarkdown(r, given, explained)),
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

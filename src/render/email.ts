// --format email and the mail bot's reply body: greeting, interleaved "> "
// quotes of only the hunk lines concerned, one paragraph per comment below
// each quote (a rule's findings on several lines are one comment) wrapped at
// 72 columns (quoted code is never re-wrapped, a commit reference never
// broken), each link once per reply, each rule's general explanation once,
// and one footer after "-- ": the signature, then the fingerprints with the
// ignore instruction.
import type { Citation, Finding, Hunk, LocalCommit, Patch, PatchReview, ReviewResult, Severity } from "../types.js";
import {
  atLeast,
  breakdown,
  citationLabel,
  contextSentence,
  localCommitLabel,
  diffGitLine,
  diffLineText,
  docsUrl,
  findSpot,
  firstName,
  freshCitations,
  freshLocal,
  groupFindings,
  groupProse,
  hunkHeader,
  listOf,
  location,
  sentenceOf,
  wrap,
  type FindingGroup,
} from "./common.js";
import { fill, sentence } from "./templates.js";

export const EMAIL_WIDTH = 72;
/** Lines of hunk shown before the line a finding is on. */
const CONTEXT_BEFORE = 3;
/** Lines of the same statement shown after it, when it goes on. */
const MAX_CONTINUATION = 3;

export interface EmailOptions {
  /** Only findings at or above it (default info; the mail bot passes warning). */
  minSeverity?: Severity;
  /** The project URL in the signature, from configuration; null: none (default: package.json homepage, if any). */
  signatureUrl?: string | null;
  botName?: string;
}

interface QuoteState {
  file: string | null;
  hunk: Hunk | null;
  /** First and last hunk line indexes quoted from st.hunk. */
  start: number;
  end: number;
  /** Commit-message lines already quoted. */
  messageQuoted: Set<number>;
}

const q = (s: string) => (s === "" ? ">" : `> ${s}`);

/**
 * "> " lines quoting the hunk around a line finding: null when the line is not
 * in the patch, [] when the quote just above already shows it.
 */
function quoteHunk(patch: Patch, f: Finding, st: QuoteState): string[] | null {
  const spot = findSpot(patch, f.file, f.line);
  if (!spot) return null;
  const { file: fd, hunk, index } = spot;
  if (st.file === fd.path && st.hunk === hunk && index <= st.end && index >= st.start) return [];
  const out: string[] = [];
  if (st.file !== fd.path) {
    out.push(q(diffGitLine(fd)));
    out.push(q(fd.oldPath === null ? "--- /dev/null" : `--- a/${fd.oldPath}`));
    out.push(q(fd.newPath === null ? "+++ /dev/null" : `+++ b/${fd.newPath}`));
    st.hunk = null;
  }
  const continuing = st.hunk === hunk && index > st.end;
  let start = Math.max(0, index - CONTEXT_BEFORE);
  if (continuing) {
    start = Math.max(start, st.end + 1);
    if (start > st.end + 1) out.push("> [...]");
  } else {
    out.push(q(hunkHeader(hunk)));
    if (start > 0) out.push("> [...]");
  }
  // a statement that goes on over the next added lines is quoted whole
  let end = index;
  while (
    end - index < MAX_CONTINUATION &&
    end + 1 < hunk.lines.length &&
    hunk.lines[end + 1]!.kind === "add" &&
    !/[;{}]\s*(\/\*.*\*\/)?\s*$/.test(hunk.lines[end]!.text)
  )
    end++;
  for (let i = start; i <= end; i++) out.push(q(diffLineText(hunk.lines[i]!)));
  st.file = fd.path;
  st.hunk = hunk;
  st.start = continuing ? st.start : start;
  st.end = end;
  return out;
}

const TRAILER = /^[A-Z][A-Za-z-]*(?:-by|-to|-id)?: \S/;

/** Tokens in a finding that may also appear in the commit message (identifiers, flags, functions). */
function distinctiveTokens(f: Finding): Set<string> {
  const text = [f.message, ...(f.chain ?? [])].join(" ");
  const out = new Set<string>();
  for (const m of text.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) {
    const w = m[0];
    if (w.includes("_") || /^[A-Z0-9]{3,}$/.test(w) || /[a-z][A-Z]/.test(w)) out.add(w.toLowerCase());
  }
  for (const m of text.matchAll(/"([^"]{4,})"|'([^']{4,})'/g)) out.add((m[1] ?? m[2]!).toLowerCase());
  return out;
}

/** "> " lines quoting the commit-message lines a patch-level finding is about. */
function quoteMessage(patch: Patch, f: Finding, st: QuoteState): string[] {
  const lines = patch.message.split("\n");
  const body = lines.map((text, i) => ({ text, i })).filter((l) => l.text.trim() !== "" && !TRAILER.test(l.text.trim()));
  if (body.length === 0) return [];
  const tokens = distinctiveTokens(f);
  const scored = body
    .map((l) => {
      const low = l.text.toLowerCase();
      let score = 0;
      for (const t of tokens) if (low.includes(t)) score += t.includes(" ") ? 3 : 1;
      return { ...l, score };
    })
    .filter((l) => l.score > 0 && !st.messageQuoted.has(l.i))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, 3)
    .sort((a, b) => a.i - b.i);
  const picked = scored.length > 0 ? scored : [body[0]!];
  // a sentence that goes on to the next line is quoted to its end (one line more at most)
  const chosen: { text: string; i: number }[] = [];
  for (const l of picked) {
    if (!chosen.some((c) => c.i === l.i)) chosen.push(l);
    const next = lines[l.i + 1];
    if (!/[.!?:]\s*$/.test(l.text) && next !== undefined && next.trim() !== "" && !TRAILER.test(next.trim()) && !chosen.some((c) => c.i === l.i + 1))
      chosen.push({ text: next, i: l.i + 1 });
  }
  chosen.sort((a, b) => a.i - b.i);
  const out: string[] = [];
  let prev = -1;
  const first = body[0]!.i;
  for (const l of chosen) {
    if ((prev === -1 && l.i > first) || (prev !== -1 && l.i > prev + 1)) out.push("> [...]");
    out.push(q(l.text));
    st.messageQuoted.add(l.i);
    prev = l.i;
  }
  if (prev < body[body.length - 1]!.i) out.push("> [...]");
  return out;
}

/** Wraps a paragraph of our prose at 72 columns (commit references stay whole). */
function para(text: string): string {
  return wrap(text, EMAIL_WIDTH);
}

/**
 * A citation as a kernel reviewer writes it: a commit reference whole on
 * its line (the id is the link), a thread or document by its title (wrapped
 * under its lead) with its link below.
 */
function citationLines(c: Citation, lead: string): string[] {
  const label = `${lead} ${citationLabel(c)}`;
  return c.commit ? [label] : [wrap(label, EMAIL_WIDTH, "", "    "), `  ${c.url}`];
}

function localLines(c: LocalCommit, lead: string): string[] {
  const label = `${lead} ${localCommitLabel(c)}`;
  return c.url ? [label, `  ${c.url}`] : [label];
}

/** One comment: where (when the patch does not show it), the paragraph, the history not cited above. */
function comment(g: FindingGroup, outside: Finding[], given: Set<string>): string {
  const parts: string[] = [];
  const where = outside.length > 0 ? `In ${listOf(outside.map(location))}, which this patch does not change:\n` : "";
  parts.push(where + para(groupProse(g).join(" ")));
  const cites = freshCitations(g, given);
  const local = freshLocal(g, given);
  const refs: string[] = [];
  cites.forEach((c, i) => refs.push(...citationLines(c, i === 0 ? "See" : "and")));
  if (local.length > 0) local.forEach((c, i) => refs.push(...localLines(c, i === 0 ? "This file's history:" : "and")));
  if (refs.length > 0) parts.push(refs.join("\n"));
  return parts.join("\n\n");
}

function counted(n: number): string {
  return n === 1 ? "one comment" : `${n} comments`;
}

/** The signature and footer: what the bot is and checks, the project URL when configured, where the background is, how to silence each comment. */
function footer(groups: readonly FindingGroup[], botName: string, url: string | null, pointTo: string[]): string {
  const lines = [para(sentence("email/signature", { botName }))];
  if (url) lines.push(url);
  if (pointTo.length > 0) lines.push(para(sentence("email/explain", { one: pointTo.length === 1, rule: pointTo[0] })));
  const fps = groups.flatMap((g) => g.members.map((f) => `  ${f.fingerprint} ${f.rule}, ${f.file === null ? "commit message" : location(f)}`));
  if (fps.length > 0) lines.push(para(sentence("email/ignore", {})), ...fps);
  return lines.join("\n");
}

/**
 * Lines of our own prose a reply may have before a rule's general
 * explanation makes way for a pointer to `reclaim-review explain`.
 */
export const PROSE_BUDGET = 25;

/** Lines of a body that are ours: not quoted, not blank. */
export function proseLines(body: string): number {
  return body.split("\n").filter((l) => l.trim() !== "" && !l.startsWith(">")).length;
}

/** The plain-text reply body for one patch (the mail bot adds the headers). */
/** Comments per reply: past this, a count of the rest. */
const MAX_COMMENTS = 20;

export function renderEmailBody(review: PatchReview, opts: EmailOptions = {}): string {
  const min = opts.minSeverity ?? "info";
  const botName = opts.botName ?? "reclaim-review";
  const url = opts.signatureUrl === undefined ? docsUrl() : opts.signatureUrl;
  const findings = review.findings.filter((f) => atLeast(f.severity, min));
  // the commit message comes first in the mail, so patch-level findings do too
  const ordered = [...findings.filter((f) => f.file === null && !f.preExisting), ...findings.filter((f) => f.file !== null || f.preExisting)];
  const all = groupFindings(ordered);
  // a bounded reply: the first comments, and a line saying how many more there are
  const groups = all.slice(0, MAX_COMMENTS);
  const notShown = all.slice(MAX_COMMENTS).reduce((n, g) => n + g.members.length, 0) + (review.omitted ?? []).reduce((n, o) => n + o.count, 0);
  const st: QuoteState = { file: null, hunk: null, start: 0, end: -1, messageQuoted: new Set() };
  const given = new Set<string>();
  const blocks = groups.map((g) => {
    const quote: string[] = [];
    const outside: Finding[] = [];
    for (const f of g.members) {
      const q = f.file === null ? quoteMessage(review.patch, f, st) : quoteHunk(review.patch, f, st);
      if (q === null) outside.push(f);
      else quote.push(...q);
    }
    return { quote: quote.join("\n"), prose: comment(g, outside, given) };
  });
  const greeting = sentence("email/greeting", { name: firstName(review.patch.author) });
  // how the patch was read (a recounted hunk: the mailed patch will not apply as it is)
  const notes = review.patch.notes.map((n) => wrap(`Note: ${n}`, EMAIL_WIDTH, "", "  "));
  if (notShown > 0)
    notes.push(wrap(`Note: ${notShown} more finding${notShown === 1 ? " is" : "s are"} not shown in this reply; \`reclaim-review review --format json\` on the patch lists every one.`, EMAIL_WIDTH, "", "  "));
  const intro = para(sentence("email/intro", { count: groups.length, counted: counted(groups.length), breakdown: breakdown(findings), botName }));
  // what the review was made against (--tree, the mail bot's tree), in one sentence
  const context = review.context ? para(contextSentence(review.context)) : "";
  const build = (background: string[], pointTo: string[]) =>
    fill("email/body", { greeting, intro, blocks, background, notes, context, footer: footer(groups, botName, url, pointTo) })
      .replace(/\n{3,}/g, "\n\n")
      .replace(/\n*$/, "\n");
  // Each rule's general explanation once per reply, while the reply stays
  // short; past the budget, a pointer to `reclaim-review explain` instead.
  const rules = [...new Set(groups.map((g) => g.rule))];
  const why = new Map(groups.map((g) => [g.rule, sentenceOf(g.members[0]!.why)]));
  const background: string[] = [];
  const pointTo: string[] = [];
  for (const rule of rules) {
    const text = why.get(rule) ?? "";
    if (text === "") {
      pointTo.push(rule);
      continue;
    }
    const candidate = [...background, para(sentence("email/background", { rule, why: text }))];
    if (proseLines(build(candidate, [...pointTo, ...rules.slice(rules.indexOf(rule) + 1)])) <= PROSE_BUDGET) background.push(candidate[candidate.length - 1]!);
    else pointTo.push(rule);
  }
  return build(background, pointTo);
}

/** --format email: one body per patch, separated by a line of "=" when there are several. */
export function renderEmail(result: ReviewResult, opts: EmailOptions = {}): string {
  return result.reviews.map((r) => renderEmailBody(r, opts)).join(`\n${"=".repeat(EMAIL_WIDTH)}\n\n`);
}

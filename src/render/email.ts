// --format email and the mail bot's reply body: greeting, interleaved "> "
// quotes of only the hunk lines concerned, our prose below each quote wrapped
// at 72 columns (quoted code is never re-wrapped), and a "-- " signature.
import type { Finding, Hunk, Patch, PatchReview, ReviewResult, Severity } from "../types.js";
import {
  atLeast,
  breakdown,
  citationLabel,
  localCommitLabel,
  diffGitLine,
  diffLineText,
  docsUrl,
  findSpot,
  firstName,
  hunkHeader,
  location,
  sentenceOf,
  wrap,
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
  /** Link in the signature (default: the project docs). */
  signatureUrl?: string;
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

/** Wraps each line of our prose on its own; a lone indented token (a URL) is kept as it is. */
function wrapProse(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      if (line === "" || /^\s+\S+$/.test(line) || line.length <= EMAIL_WIDTH) return line;
      // a citation that does not fit goes on indented, under its "See"/"and"
      return wrap(line, EMAIL_WIDTH, "", /^(See|and) /.test(line) ? "    " : "");
    })
    .join("\n");
}

/** "the commit message ..." -> "The commit message ..."; identifiers ("alloc_workqueue() ...") stay as they are. */
function capitalise(s: string): string {
  return /^[a-z]+(\s|$)/.test(s) ? s[0]!.toUpperCase() + s.slice(1) : s;
}

function prose(f: Finding, inPatch: boolean): string {
  return wrapProse(
    fill("email/finding", {
      noQuote: !inPatch && f.file !== null,
      location: location(f),
      message: capitalise(sentenceOf(f.message)),
      preExisting: Boolean(f.preExisting),
      why: sentenceOf(f.why),
      fix: sentenceOf(f.fix),
      chain: f.chain && f.chain.length > 0 ? f.chain.join(" -> ") : "",
      hasCitations: f.citations.length > 0,
      citations: f.citations.map((c, i) => ({
        lead: i === 0 ? "See" : "and",
        label: citationLabel(c),
        url: c.url,
      })),
      hasLocal: (f.localHistory ?? []).length > 0,
      local: (f.localHistory ?? []).map((c) => ({ label: localCommitLabel(c), url: c.url ?? "" })),
      rule: f.rule,
      severity: f.severity,
      fingerprint: f.fingerprint,
    }).replace(/\n+$/, ""),
  );
}

function counted(n: number): string {
  return n === 1 ? "one comment" : `${n} comments`;
}

/** The plain-text reply body for one patch (the mail bot adds the headers). */
export function renderEmailBody(review: PatchReview, opts: EmailOptions = {}): string {
  const min = opts.minSeverity ?? "info";
  const botName = opts.botName ?? "reclaim-review";
  const findings = review.findings.filter((f) => atLeast(f.severity, min));
  // the commit message comes first in the mail, so patch-level findings do too
  const ordered = [...findings.filter((f) => f.file === null && !f.preExisting), ...findings.filter((f) => f.file !== null || f.preExisting)];
  const st: QuoteState = { file: null, hunk: null, start: 0, end: -1, messageQuoted: new Set() };
  const blocks = ordered.map((f) => {
    const quote = f.file === null ? quoteMessage(review.patch, f, st) : quoteHunk(review.patch, f, st);
    return { quote: (quote ?? []).join("\n"), prose: prose(f, quote !== null) };
  });
  const body = fill("email/body", {
    greeting: sentence("email/greeting", { name: firstName(review.patch.author) }),
    intro: wrap(sentence("email/intro", { count: findings.length, counted: counted(findings.length), breakdown: breakdown(findings), botName }), EMAIL_WIDTH),
    blocks,
    signature: wrapProse(sentence("email/signature", { botName, url: opts.signatureUrl ?? docsUrl() })),
  });
  return body.replace(/\n{3,}/g, "\n\n").replace(/\n*$/, "\n");
}

/** --format email: one body per patch, separated by a line of "=" when there are several. */
export function renderEmail(result: ReviewResult, opts: EmailOptions = {}): string {
  return result.reviews.map((r) => renderEmailBody(r, opts)).join(`\n${"=".repeat(EMAIL_WIDTH)}\n\n`);
}

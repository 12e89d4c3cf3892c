// Escaping at the output edges. Everything a patch carries (identifiers in a
// finding's message, quoted lines, paths, subjects, notes) is attacker text:
//  - terminals, mail and Markdown: control characters (C0 except TAB and LF,
//    DEL, C1) and the Unicode bidi overrides are shown escaped ("\x1b",
//    "\u202e"), so a quoted line cannot move the cursor, rewrite the line
//    with a CR, or reorder what a reviewer sees;
//  - GitHub comments and check-run summaries: Markdown and HTML are escaped
//    and @-mentions, #-references and autolinks are broken with a zero-width
//    space, so a patch cannot ping people, embed images or links, or forge
//    our hidden fingerprint marker.
// Pure string functions, plus the mapping of a review result through them.
import type { Finding, Hunk, Patch, PatchReview, ReviewResult } from "../types.js";

const ZWSP = "\u200b";

/** C0 controls other than TAB and LF, DEL, C1 controls, and the bidi embedding/override/isolate characters. */
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const CONTROLS_NO_LF = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function visible(c: string): string {
  const n = c.charCodeAt(0);
  if (n === 0x0d) return "\\r";
  if (n === 0x0a) return "\\n";
  if (n === 0x1b) return "\\e";
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u${n.toString(16).padStart(4, "0")}`;
}

/**
 * Control characters shown escaped: ESC as "\e", CR as "\r", others as
 * "\xNN" / "\uNNNN". TAB stays; LF stays unless `oneLine` (a quoted source
 * line, a path, a subject: one line of output each).
 */
export function escapeControls(s: string, oneLine = false): string {
  const re = oneLine ? CONTROLS : CONTROLS_NO_LF;
  re.lastIndex = 0;
  return re.test(s) ? s.replace(re, visible) : s;
}

/** Whether a string holds a character escapeControls would rewrite. */
export function hasControls(s: string): boolean {
  CONTROLS.lastIndex = 0;
  return CONTROLS.test(s);
}

/** "@someone" -> "@\u200bsomeone": no mention, no notification; reads the same. */
export function neutraliseMentions(s: string): string {
  return s.replace(/@(?=[A-Za-z0-9_-])/g, `@${ZWSP}`);
}

/**
 * A patch-derived string made inert for GitHub Markdown (comments, reviews,
 * check-run summaries): controls escaped, Markdown punctuation and HTML
 * backslash-escaped (no emphasis, links, images, tables, raw HTML or
 * comments, so no forged marker), mentions, issue references and autolinks
 * broken with a zero-width space. Newlines become spaces (one line of prose).
 */
export function escapeGitHub(s: string): string {
  return neutraliseMentions(
    escapeControls(s.replace(/\r?\n/g, " "), true)
      .replace(/[\\`*_[\]<>#!|~&]/g, (c) => `\\${c}`)
      .replace(/\\#(?=\d)/g, `\\#${ZWSP}`)
      .replace(/([A-Za-z][A-Za-z0-9+.-]*):\/\//g, `$1:${ZWSP}//`)
      .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}${ZWSP}.`),
  );
}

/** Text for inside a GitHub code span: no backticks (they would end it), no controls, no newlines. */
export function escapeGitHubCode(s: string): string {
  return escapeControls(s.replace(/\r?\n/g, " "), true).replace(/`/g, "'");
}

// ------------------------------------------------------------------ findings

/** A finding with every patch-derived display string made inert for GitHub; identity fields (file, line, fingerprint) untouched. */
export function findingForGitHub(f: Finding): Finding {
  return {
    ...f,
    message: escapeGitHub(f.message),
    why: escapeGitHub(f.why),
    fix: escapeGitHub(f.fix),
    quote: f.quote === null ? null : escapeGitHubCode(f.quote),
    function: f.function === null ? null : escapeGitHubCode(f.function),
    ...(f.unknowns ? { unknowns: f.unknowns.map(escapeGitHub) } : {}),
    ...(f.chain ? { chain: f.chain.map(escapeGitHubCode) } : {}),
    ...(f.localHistory ? { localHistory: f.localHistory.map((c) => ({ ...c, subject: escapeGitHub(c.subject) })) } : {}),
  };
}

// ----------------------------------------------------- text, email, markdown

function hunkVisible(h: Hunk): Hunk {
  if (!h.lines.some((l) => hasControls(l.text)) && !hasControls(h.section)) return h;
  return { ...h, section: escapeControls(h.section, true), lines: h.lines.map((l) => (hasControls(l.text) ? { ...l, text: escapeControls(l.text, true) } : l)) };
}

function patchVisible(p: Patch): Patch {
  return {
    ...p,
    source: escapeControls(p.source, true),
    subject: escapeControls(p.subject, true),
    rawSubject: escapeControls(p.rawSubject, true),
    author: p.author === null ? null : escapeControls(p.author, true),
    message: escapeControls(p.message),
    notes: p.notes.map((n) => escapeControls(n)),
    files: p.files.map((f) => ({
      ...f,
      path: escapeControls(f.path, true),
      oldPath: f.oldPath === null ? null : escapeControls(f.oldPath, true),
      newPath: f.newPath === null ? null : escapeControls(f.newPath, true),
      hunks: f.hunks.map(hunkVisible),
    })),
  };
}

/** A finding with control characters shown escaped (the audit's text output renders findings one by one). */
export function findingVisible(f: Finding): Finding {
  return {
    ...f,
    function: f.function === null ? null : escapeControls(f.function, true),
    ...(f.unknowns ? { unknowns: f.unknowns.map((u) => escapeControls(u)) } : {}),
    file: f.file === null ? null : escapeControls(f.file, true),
    message: escapeControls(f.message),
    why: escapeControls(f.why),
    fix: escapeControls(f.fix),
    quote: f.quote === null ? null : escapeControls(f.quote, true),
    ...(f.chain ? { chain: f.chain.map((c) => escapeControls(c, true)) } : {}),
    ...(f.localHistory ? { localHistory: f.localHistory.map((c) => ({ ...c, subject: escapeControls(c.subject, true) })) } : {}),
  };
}

/** One reviewed patch with control characters shown escaped in every string a human reads. */
export function reviewVisible(r: PatchReview): PatchReview {
  return {
    ...r,
    patch: patchVisible(r.patch),
    findings: r.findings.map(findingVisible),
    errors: r.errors.map((e) => ({ ...e, message: escapeControls(e.message) })),
  };
}

/** The whole result, for the text, email and markdown formats (JSON and SARIF escape on their own). */
export function resultVisible(result: ReviewResult): ReviewResult {
  return {
    ...result,
    reviews: result.reviews.map(reviewVisible),
    covers: result.covers.map(patchVisible),
    problems: result.problems.map((p) => ({ source: escapeControls(p.source, true), message: escapeControls(p.message) })),
  };
}

// GitHub words for findings: inline comment bodies, the check run summary,
// the review body and the error texts, from templates/github/*.md
// (mustache, no HTML escaping: the output is Markdown). Pure.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Mustache from "mustache";
import { packageRoot } from "../paths.js";
import type { Citation, Finding, Severity } from "../types.js";
import { VERSION } from "../version.js";
import { escapeGitHubCode } from "../render/escape.js";
import { marker } from "./markers.js";
import { groupFindings, groupProse } from "../render/common.js";

const cache = new Map<string, string>();

function template(name: string): string {
  let t = cache.get(name);
  if (t === undefined) {
    t = readFileSync(join(packageRoot(), "templates", "github", `${name}.md`), "utf8");
    cache.set(name, t);
  }
  return t;
}

function render(name: string, view: object): string {
  return Mustache.render(template(name), view, {}, { escape: (s: unknown) => String(s) }).replace(/\n{3,}/g, "\n\n").trim() + "\n";
}

/** GitHub's limit for a check run's summary and text. */
export const SUMMARY_LIMIT = 65_535;

function citationView(c: Citation): { commit: string | undefined; url: string; title: string; partial: boolean } {
  return { commit: c.commit, url: c.url, title: c.title, partial: Boolean(c.partial) };
}

/**
 * Body of one inline review comment: one paragraph about this code (what it
 * does, what to do, the chain, what could not be established), its history,
 * the rule's background folded away; ends with the hidden fingerprint marker.
 */
export function renderComment(f: Finding): string {
  return render("comment", {
    severity: f.severity,
    rule: f.rule,
    paragraph: groupProse(groupFindings([f])[0]!).join(" "),
    why: f.why.trim() || null,
    hasCitations: f.citations.length > 0,
    citations: f.citations.map(citationView),
    hasLocal: (f.localHistory ?? []).length > 0,
    local: (f.localHistory ?? []).map((c) => ({ short: c.sha.slice(0, 12), subject: c.subject, url: c.url })),
    marker: marker(f.fingerprint),
  });
}

export function locationOf(f: Pick<Finding, "file" | "line">): string {
  if (f.file === null) return "(whole patch)";
  // a path comes from the patch: no backtick may end the code span early
  const file = escapeGitHubCode(f.file);
  return f.line === null ? `\`${file}\`` : `\`${file}:${f.line}\``;
}

function findingLine(f: Finding, where?: string, commit?: string) {
  const location = commit ? `${locationOf(f)} in ${commit}` : locationOf(f);
  return { severity: f.severity, rule: f.rule, location, message: f.message, where, marker: marker(f.fingerprint) };
}

export interface SummaryInput {
  headSha: string;
  /** New findings in the pull request's lines (not pre-existing, not suppressed). */
  current: Finding[];
  /** Fingerprints of `current` that sit in a review comment (this run's or an earlier one). */
  commented: Set<string>;
  /** Findings not on a line GitHub can comment on. */
  outside: Finding[];
  preExisting: Finding[];
  resolved: { fingerprint: string; title: string }[];
  suppressed: { fingerprint: string; title: string; by: string }[];
  /** New findings below minSeverity: no inline comment, a note in the check run. */
  below: Finding[];
  minSeverity: Severity;
  /** Which commit of a series a finding came from ("commit 0123456789ab"), by fingerprint. */
  fromCommit?: Map<string, string>;
  notes: string[];
  problems: string[];
  configOrigin: string;
}

export function countBySeverity(fs: readonly Finding[]): Record<Severity, number> {
  const c: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of fs) c[f.severity]++;
  return c;
}

function plural(n: number, one: string, many = one + "s"): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function headline(s: SummaryInput): string {
  const all = [...s.current, ...s.outside];
  const c = countBySeverity(all);
  const parts = [`**${plural(all.length, "finding")}** in \`${s.headSha.slice(0, 12)}\``];
  if (all.length > 0) parts.push(`(${c.error} error, ${c.warning} warning, ${c.info} info)`);
  const extra: string[] = [];
  if (s.preExisting.length) extra.push(`${s.preExisting.length} pre-existing`);
  if (s.resolved.length) extra.push(`${s.resolved.length} resolved`);
  if (s.suppressed.length) extra.push(`${s.suppressed.length} suppressed`);
  if (s.below.length) extra.push(`${s.below.length} below ${s.minSeverity} as notes`);
  return parts.join(" ") + (extra.length ? `; ${extra.join(", ")}.` : ".");
}

function citationsOf(fs: readonly Finding[]): Citation[] {
  const seen = new Map<string, Citation>();
  for (const f of fs) for (const c of f.citations) if (!seen.has(c.id)) seen.set(c.id, c);
  return [...seen.values()];
}

/** The check run summary, kept under GitHub's 65,535-character limit by shortening the lists. */
export function renderSummary(s: SummaryInput): string {
  for (const cap of [Infinity, 200, 50, 10, 0]) {
    const cut = <T>(xs: readonly T[]): T[] => xs.slice(0, cap);
    const more = (xs: readonly unknown[]) => (xs.length > cap ? [`${xs.length - cap} more not listed`] : []);
    const text = render("summary", {
      headline: headline(s),
      hasNotes: s.notes.length > 0,
      notes: s.notes.slice(0, 20),
      hasCurrent: s.current.length > 0,
      current: cut(s.current).map((f) => findingLine(f, s.commented.has(f.fingerprint) ? "review comment" : "check run only", s.fromCommit?.get(f.fingerprint))),
      hasOutside: s.outside.length > 0,
      outside: cut(s.outside).map((f) => findingLine(f, undefined, s.fromCommit?.get(f.fingerprint))),
      hasBelow: s.below.length > 0,
      below: cut(s.below).map((f) => findingLine(f, undefined, s.fromCommit?.get(f.fingerprint))),
      minSeverity: s.minSeverity,
      hasPreExisting: s.preExisting.length > 0,
      preExisting: cut(s.preExisting).map((f) => findingLine(f, undefined, s.fromCommit?.get(f.fingerprint))),
      hasResolved: s.resolved.length > 0,
      resolved: cut(s.resolved),
      hasSuppressed: s.suppressed.length > 0,
      suppressed: cut(s.suppressed),
      hasCitations: s.current.length + s.outside.length + s.below.length > 0,
      citations: citationsOf([...s.current, ...s.outside, ...s.below]).slice(0, 30).map(citationView),
      hasProblems: s.problems.length > 0 || [s.current, s.outside, s.below, s.preExisting, s.resolved].some((x) => x.length > cap),
      problems: [...s.problems, ...more(s.current), ...more(s.outside), ...more(s.below), ...more(s.preExisting), ...more(s.resolved)],
      version: VERSION,
      configOrigin: s.configOrigin,
    });
    if (text.length <= SUMMARY_LIMIT) return text;
  }
  return headline(s).slice(0, SUMMARY_LIMIT);
}

export interface ReviewBodyInput {
  headSha: string;
  inlineCount: number;
  overflow: number;
  /** Findings carried in the body instead of inline comments (GitHub refused the inline ones). */
  bodyFindings: Finding[];
  bodyReason: string;
  /** The check summary, when there is no check run to carry it (checks permission missing). */
  summary?: string;
}

export function renderReviewBody(r: ReviewBodyInput): string {
  const count = r.inlineCount + r.bodyFindings.length;
  return render("review", {
    count,
    hazards: count === 1 ? "hazard" : "hazards",
    shortSha: r.headSha.slice(0, 12),
    hasOverflow: r.overflow > 0,
    overflow: r.overflow,
    overflowWord: r.overflow === 1 ? "finding is" : "findings are",
    hasBodyFindings: r.bodyFindings.length > 0,
    bodyReason: r.bodyReason,
    bodyFindings: r.bodyFindings.map((f) => findingLine(f)),
    hasSummary: Boolean(r.summary),
    summary: r.summary,
  });
}

export function renderConfigError(origin: string, key: string, message: string): string {
  return render("config-error", { origin, key, message });
}

export function renderError(headSha: string, message: string, status?: number, retries?: number): string {
  return render("error", { shortSha: headSha.slice(0, 12), message, status, after: retries || undefined });
}

export type AnnotationLevel = "notice" | "warning" | "failure";

export const LEVEL: Record<Severity, AnnotationLevel> = { error: "failure", warning: "warning", info: "notice" };

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: AnnotationLevel;
  title: string;
  message: string;
  raw_details?: string;
}

export interface AnnotationOptions {
  /** Where a commit-message finding goes (GitHub needs a path and a line): the first changed line. */
  anchor?: { path: string; line: number } | null;
  /** The commit of a series the finding came from. */
  commit?: string;
  /** Overrides the severity's level: findings below the comment threshold are notices. */
  level?: AnnotationLevel;
}

export function annotationOf(f: Finding, opts: AnnotationOptions = {}): Annotation | null {
  // a finding on a file whose line a later commit of a series changed: the top of that file
  const at = f.file !== null ? { path: f.file, line: f.line ?? 1 } : opts.anchor ?? null;
  if (!at) return null;
  const cites = f.citations.map((c) => `${c.commit ? c.commit + " " : ""}${c.title}${c.partial ? " (not confirmed)" : ""} ${c.url}`).join("\n");
  const where = f.file === null ? (opts.commit ? `commit message of ${opts.commit}` : "commit message") : f.line === null ? (opts.commit ? `${f.file} in ${opts.commit}` : f.file) : "";
  return {
    path: at.path,
    start_line: at.line,
    end_line: at.line,
    annotation_level: opts.level ?? LEVEL[f.severity],
    title: `${f.rule}${f.preExisting ? " (pre-existing)" : ""}${where ? ` (${where})` : ""}`,
    message: `${f.message}\n\nInstead: ${f.fix}`.slice(0, 64_000),
    ...(cites ? { raw_details: `${cites}\nfingerprint ${f.fingerprint}`.slice(0, 64_000) } : { raw_details: `fingerprint ${f.fingerprint}` }),
  };
}

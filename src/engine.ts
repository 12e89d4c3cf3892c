// Runs the rules over one patch: each rule isolated (a throw becomes a
// RuleFailure, never a crash or a silent pass), reports turned into findings
// with messages, fingerprints and citations.
import { createHash } from "node:crypto";
import Mustache from "mustache";
import { pathSelected, type ReviewConfig } from "./config.js";
import type { KnowledgeBase } from "./knowledge/base.js";
import type { DiffLine, Finding, KernelVersion, Patch, PatchReview, Report, Rule, RuleFailure, Severity, SourceContext } from "./types.js";
import { normaliseSubject, patchIdentity, type PatchIdentity } from "./knowledge/identity.js";
import { NEWEST_RELEASE } from "./knowledge/release.js";
import { errorMessage } from "./errors.js";
import { functionDefinedAfter, functionFromSection, normaliseLine } from "./context/c-lines.js";

const noEscape = { escape: (s: unknown) => String(s) };

/** A value longer than this is cut in a message (a hostile or generated identifier must not make a message of megabytes). */
const MAX_VALUE = 2000;

export function renderMessage(template: string, data: Record<string, unknown> = {}): string {
  const shown: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) shown[k] = typeof v === "string" && v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE / 2)}... (${v.length} characters)` : v;
  return Mustache.render(template, shown, {}, noEscape);
}

export function fingerprintOf(rule: string, path: string | null, lineText: string | null, extra = ""): string {
  const h = createHash("sha256");
  h.update(`${rule}\0${path ?? ""}\0${lineText === null ? "" : normaliseLine(lineText)}\0${extra}`);
  return h.digest("hex").slice(0, 16);
}

interface LineInfo {
  line: DiffLine;
  fn: string | null;
}

/** new-file line number -> the added line and its function, per path. */
function indexAddedLines(patch: Patch): Map<string, Map<number, LineInfo>> {
  const out = new Map<string, Map<number, LineInfo>>();
  for (const f of patch.files) {
    if (f.binary || f.newPath === null) continue;
    const m = new Map<number, LineInfo>();
    for (const h of f.hunks) {
      let fn = functionFromSection(h.section);
      let above: string | null = null;
      for (const l of h.lines) {
        if (l.kind === "del") continue;
        fn = functionDefinedAfter(above, l.text) ?? fn;
        above = l.text;
        if (l.kind === "add" && l.newLine !== null) m.set(l.newLine, { line: l, fn });
      }
    }
    out.set(f.path, m);
  }
  return out;
}

export interface EngineOptions {
  rules: readonly Rule[];
  config: ReviewConfig;
  kb: KnowledgeBase;
  source?: SourceContext;
  /** The kernel release under review (default: the source tree's, else the newest release known). */
  kernel?: KernelVersion;
}

/** Everything a rule can read in a patch as one string: subject, message, paths, hunk sections, every diff line. */
export function haystackOf(patch: Patch): string {
  const parts: string[] = [patch.subject, patch.message];
  for (const f of patch.files) {
    parts.push(f.path, f.oldPath ?? "");
    for (const h of f.hunks) {
      parts.push(h.section);
      for (const l of h.lines) parts.push(l.text);
    }
  }
  return parts.join("\n");
}

/**
 * The needles of a rule set that occur in a haystack, found in one pass: an
 * alternation, longest needle first, retried from the position after each
 * match (overlaps included); a needle that is a prefix of a longer one at the
 * same position is credited through the substring closure.
 */
const scanners = new WeakMap<readonly Rule[], (haystack: string) => Set<string>>();
function needleScanner(rules: readonly Rule[]): (haystack: string) => Set<string> {
  let scan = scanners.get(rules);
  if (scan) return scan;
  const all = [...new Set(rules.flatMap((r) => r.meta.needles ?? []))].filter((n) => n.length > 0);
  const sorted = [...all].sort((a, b) => b.length - a.length);
  const re = new RegExp(sorted.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
  const within = new Map(all.map((n) => [n, all.filter((m) => n.includes(m))]));
  scan = (haystack: string) => {
    const found = new Set<string>();
    if (all.length === 0) return found;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(haystack))) {
      if (!found.has(m[0])) for (const n of within.get(m[0])!) found.add(n);
      re.lastIndex = m.index + 1; // overlapping needles: retry from the next position
    }
    return found;
  };
  scanners.set(rules, scan);
  return scan;
}

/** Findings kept per rule and patch; the rest are counted (a patch of thousands of identical lines stays readable). */
export const MAX_FINDINGS_PER_RULE = 50;

export function reviewPatch(patch: Patch, opts: EngineOptions): PatchReview {
  const omitted: { rule: string; count: number }[] = [];
  const findings: Finding[] = [];
  const errors: RuleFailure[] = [];
  let index: Map<string, Map<number, LineInfo>> | undefined; // built for the first report only
  const added = () => (index ??= indexAddedLines(patch));
  let identity: PatchIdentity | undefined;
  const who = () => (identity ??= patchIdentity(patch));
  const ignored = new Set(opts.config.ignore);
  const seen = new Map<string, number>();

  let present: Set<string> | undefined;
  for (const rule of opts.rules) {
    const setting = opts.config.rules[rule.meta.id];
    if (setting && !setting.enabled) continue;
    const needles = rule.meta.needles;
    if (needles && needles.length > 0 && !opts.source) {
      present ??= needleScanner(opts.rules)(haystackOf(patch));
      if (!needles.some((n) => present!.has(n))) continue;
    }
    let reports: Report[];
    try {
      reports = rule.check({ patch, source: opts.source, options: setting?.options ?? {} });
      if (!Array.isArray(reports)) throw new Error("check() did not return an array");
    } catch (err) {
      errors.push({ rule: rule.meta.id, message: errorMessage(err) });
      continue;
    }
    let kept = 0;
    let over = 0;
    for (const r of reports) {
      if (kept >= MAX_FINDINGS_PER_RULE) {
        over++;
        continue;
      }
      try {
        const f = toFinding(rule, r, added, who, opts, setting?.severity);
        if (!f) continue;
        // two identical lines in one file: keep fingerprints distinct and stable
        const n = seen.get(f.fingerprint) ?? 0;
        seen.set(f.fingerprint, n + 1);
        if (n > 0) f.fingerprint = fingerprintOf(f.rule, f.file, f.quote, `#${n + 1}`);
        if (ignored.has(f.fingerprint)) continue;
        findings.push(f);
        kept++;
      } catch (err) {
        errors.push({ rule: rule.meta.id, message: `bad report: ${errorMessage(err)}` });
      }
    }
    if (over > 0) omitted.push({ rule: rule.meta.id, count: over });
  }
  findings.sort(compareFindings);
  return omitted.length > 0 ? { patch, findings, errors, omitted } : { patch, findings, errors };
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function compareFindings(a: Finding, b: Finding): number {
  return (
    Number(Boolean(a.preExisting)) - Number(Boolean(b.preExisting)) ||
    (a.file ?? "").localeCompare(b.file ?? "") ||
    (a.line ?? 0) - (b.line ?? 0) ||
    RANK[a.severity] - RANK[b.severity] ||
    a.rule.localeCompare(b.rule)
  );
}

function toFinding(
  rule: Rule,
  r: Report,
  added: () => Map<string, Map<number, LineInfo>>,
  who: () => PatchIdentity,
  opts: EngineOptions,
  configSeverity: Severity | undefined,
): Finding | null {
  const meta = rule.meta;
  const template = meta.messages[r.messageId];
  if (template === undefined) throw new Error(`unknown messageId "${r.messageId}"`);
  let quote: string | null = null;
  let fn: string | null = null;
  if (r.file !== null) {
    if (!pathSelected(opts.config, r.file)) return null;
    const info = r.line !== null ? added().get(r.file)?.get(r.line) : undefined;
    if (meta.scope === "line" && !info && !r.preExisting) return null; // only on added lines
    if (info) {
      quote = info.line.text;
      fn = info.fn;
    }
  } else if (meta.scope === "line") {
    throw new Error("a line rule reported without a file");
  }
  let severity: Severity = r.severity ?? meta.severity;
  if (configSeverity && r.severity !== "info") severity = configSeverity;
  const message = `${renderMessage(template, r.data)}${r.also ? `; ${r.also}` : ""}${r.preExisting && r.preExistingWhy ? ` (${r.preExistingWhy})` : ""}`;
  const fingerprint =
    r.file === null
      ? fingerprintOf(meta.id, null, null, `${r.messageId}:${JSON.stringify(r.data ?? {})}`)
      : fingerprintOf(meta.id, r.file, quote ?? `${r.messageId}:${JSON.stringify(r.data ?? {})}`);
  // the finding's own facts: the report's identifiers (else the quoted line's), the call chain, the function
  const identifiers = [...(r.identifiers ?? (quote ? quote.match(/[A-Za-z_]\w*/g) ?? [] : [])), ...(r.chain ?? []).flatMap((c) => c.match(/[A-Za-z_]\w*/g) ?? [])];
  const citations = opts.kb.cite({
    preferred: r.cite,
    candidates: meta.knowledge,
    identifiers: fn ? [...identifiers, fn] : identifiers,
    path: r.file,
    ruleClass: meta.class,
    kernel: opts.kernel ?? opts.source?.kernel ?? NEWEST_RELEASE,
    patch: who(),
  });
  const f: Finding = {
    rule: meta.id,
    class: meta.class,
    severity,
    file: r.file,
    line: r.line,
    message,
    fingerprint,
    citations,
    messageId: r.messageId,
    why: meta.docs.why,
    fix: r.fix ?? meta.docs.fix,
    quote,
    function: fn,
  };
  if (r.preExisting) f.preExisting = true;
  if (r.chain && r.chain.length > 0) f.chain = r.chain;
  if (r.unknowns && r.unknowns.length > 0) f.unknowns = r.unknowns;
  if (r.file !== null && opts.source?.localHistory) {
    // the commits the patch names itself first, and never the patch under review
    const id = who();
    const named = (c: { sha: string }) => id.namedCommits.findIndex((n) => c.sha.startsWith(n));
    const local = opts.source
      .localHistory(r.file, fn)
      .filter((c) => !id.commits.some((own) => c.sha.startsWith(own)) && !id.subjects.includes(normaliseSubject(c.subject)))
      .map((c, i) => ({ c, i, n: named(c) }))
      .sort((a, b) => (a.n < 0 ? Infinity : a.n) - (b.n < 0 ? Infinity : b.n) || a.i - b.i)
      .map(({ c }) => c);
    if (local.length > 0) f.localHistory = local.slice(0, 2);
  }
  return f;
}

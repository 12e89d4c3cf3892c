// Scoring a review of labelled patches (npm run eval). Pure: labels + results in, figures out.
import type { Finding, HazardClass, PatchReview } from "../types.js";

export interface Label {
  id: string;
  kind: "positive" | "negative";
  classes: HazardClass[];
  expect?: string;
  /** bug-introducing | needs-pushback (hazards) | fix-or-topic (info suffices). Default: hazard. */
  positive_type?: string;
  /** "path:+added line text" a hazard finding should point at. */
  lines?: string[];
}

export type Outcome = "hit" | "miss" | "clean" | "false-positive";

export interface CaseResult {
  id: string;
  kind: Label["kind"];
  topic: boolean;
  classes: HazardClass[];
  outcome: Outcome;
  /** For positives with `lines`: whether a finding sits on one of them. */
  lineHit: boolean | null;
  /** Info findings on a negative. */
  infoNoise: number;
  findings: { rule: string; class: HazardClass; severity: string; file: string | null; line: number | null; message: string }[];
  /**
   * The outcome counting also the findings marked pre-existing (the hazard
   * held before the patch on a line it rewrites or near what it changes):
   * the review delivers them too, in their own section.
   */
  withPreExisting: Outcome;
  error?: string;
}

export interface ClassFigures {
  positives: number;
  hits: number;
  recall: number;
}

export interface EvalSummary {
  cases: number;
  positives: number;
  negatives: number;
  /** Hazard positives (bug-introducing, needs-pushback) with a warning+ finding in a listed class. */
  hazards: ClassFigures;
  /** Fix-or-topic positives with any finding in a listed class. */
  topics: ClassFigures;
  perClass: Record<string, ClassFigures>;
  perClassHazard: Record<string, ClassFigures>;
  perClassTopic: Record<string, ClassFigures>;
  recall: number;
  lineHits: { withLines: number; hit: number };
  falsePositives: number;
  falsePositiveRate: number;
  /** Hazard hits and false positives when pre-existing findings count too. */
  withPreExisting: { hazardHits: number; falsePositives: number };
  infoNoiseRate: number;
  errors: number;
}

const isWarningPlus = (f: Finding) => f.severity === "warning" || f.severity === "error";

function onLabelledLine(f: Finding, lines: string[]): boolean {
  if (!f.file || f.quote === null) return false;
  const norm = (s: string) => s.replace(/\s+/g, " ").trim();
  return lines.some((l) => {
    const i = l.indexOf(":+");
    if (i < 0) return false;
    const path = l.slice(0, i);
    const text = l.slice(i + 2);
    return (f.file === path || f.file!.endsWith("/" + path) || path.endsWith("/" + f.file)) && norm(f.quote!).includes(norm(text));
  });
}

function outcomeOf(label: Label, topic: boolean, findings: readonly Finding[]): { outcome: Outcome; qualifying: Finding[] } {
  if (label.kind === "positive") {
    const inClass = findings.filter((f) => label.classes.includes(f.class));
    const qualifying = topic ? inClass : inClass.filter(isWarningPlus);
    return { outcome: qualifying.length > 0 ? "hit" : "miss", qualifying };
  }
  return { outcome: findings.some(isWarningPlus) ? "false-positive" : "clean", qualifying: [] };
}

export function scoreCase(label: Label, reviews: PatchReview[], error?: string): CaseResult {
  const all = reviews.flatMap((r) => r.findings);
  const findings = all.filter((f) => !f.preExisting);
  const topic = label.kind === "positive" && label.positive_type === "fix-or-topic";
  const { outcome, qualifying } = outcomeOf(label, topic, findings);
  let lineHit: boolean | null = null;
  if (label.kind === "positive" && label.lines && label.lines.length > 0 && !topic) lineHit = qualifying.some((f) => onLabelledLine(f, label.lines!));
  return {
    id: label.id,
    kind: label.kind,
    topic,
    classes: label.classes,
    outcome,
    lineHit,
    infoNoise: label.kind === "negative" ? findings.filter((f) => f.severity === "info").length : 0,
    findings: findings.map((f) => ({ rule: f.rule, class: f.class, severity: f.severity, file: f.file, line: f.line, message: f.message })),
    withPreExisting: outcomeOf(label, topic, all).outcome,
    ...(error ? { error } : {}),
  };
}

function figures(rs: CaseResult[]): ClassFigures {
  const hits = rs.filter((r) => r.outcome === "hit").length;
  return { positives: rs.length, hits, recall: rs.length ? hits / rs.length : 0 };
}

function byClass(rs: CaseResult[]): Record<string, ClassFigures> {
  const out: Record<string, ClassFigures> = {};
  for (const c of [...new Set(rs.flatMap((r) => r.classes))].sort()) out[c] = figures(rs.filter((r) => r.classes.includes(c)));
  return out;
}

export function summarise(results: CaseResult[]): EvalSummary {
  const positives = results.filter((r) => r.kind === "positive");
  const negatives = results.filter((r) => r.kind === "negative");
  const hazards = positives.filter((r) => !r.topic);
  const topics = positives.filter((r) => r.topic);
  const fps = negatives.filter((r) => r.outcome === "false-positive").length;
  const withLines = positives.filter((r) => r.lineHit !== null);
  return {
    cases: results.length,
    positives: positives.length,
    negatives: negatives.length,
    hazards: figures(hazards),
    topics: figures(topics),
    perClass: byClass(positives),
    perClassHazard: byClass(hazards),
    perClassTopic: byClass(topics),
    recall: positives.length ? positives.filter((r) => r.outcome === "hit").length / positives.length : 0,
    lineHits: { withLines: withLines.length, hit: withLines.filter((r) => r.lineHit).length },
    falsePositives: fps,
    falsePositiveRate: negatives.length ? fps / negatives.length : 0,
    withPreExisting: {
      hazardHits: hazards.filter((r) => r.withPreExisting === "hit").length,
      falsePositives: negatives.filter((r) => r.withPreExisting === "false-positive").length,
    },
    infoNoiseRate: negatives.length ? negatives.filter((r) => r.infoNoise > 0).length / negatives.length : 0,
    errors: results.filter((r) => r.error).length,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

const frac = (f: ClassFigures) => `${f.hits}/${f.positives} (${pct(f.recall)})`;

/** The figures of a set; with perCase false no case id or subject is printed (for a holdout). */
export function formatSummary(results: CaseResult[], s: EvalSummary, perCase = true): string {
  const out: string[] = [];
  if (perCase) {
    for (const r of results) {
      const what = r.findings.map((f) => `${f.rule}:${f.severity}`).join(", ") || "-";
      out.push(`${r.outcome.padEnd(14)} ${r.kind === "positive" ? (r.topic ? "topic" : "hazard") : "negative"}  ${r.id}  [${what}]${r.error ? `  ERROR ${r.error}` : ""}`);
    }
    out.push("");
  }
  out.push(`cases ${s.cases}: ${s.hazards.positives} hazard, ${s.topics.positives} topic, ${s.negatives} negative`);
  out.push(`  hazard recall (warning+) ${frac(s.hazards)}`);
  for (const [c, f] of Object.entries(s.perClassHazard)) out.push(`    ${c.padEnd(22)} ${frac(f)}`);
  out.push(`  topic recognition        ${frac(s.topics)}`);
  for (const [c, f] of Object.entries(s.perClassTopic)) out.push(`    ${c.padEnd(22)} ${frac(f)}`);
  out.push(`  recall overall           ${pct(s.recall)}`);
  if (s.lineHits.withLines) out.push(`  on the labelled line     ${s.lineHits.hit}/${s.lineHits.withLines}`);
  out.push(`  false positives          ${s.falsePositives}/${s.negatives} negatives (${pct(s.falsePositiveRate)})`);
  if (s.withPreExisting.hazardHits !== s.hazards.hits || s.withPreExisting.falsePositives !== s.falsePositives) {
    out.push(`  with pre-existing        hazards ${s.withPreExisting.hazardHits}/${s.hazards.positives}, false positives ${s.withPreExisting.falsePositives}/${s.negatives} (findings the review marks as already there before the patch, delivered in their own section)`);
  }
  out.push(`  info noise               ${pct(s.infoNoiseRate)} of negatives carry an info finding`);
  if (s.errors) out.push(`  input errors             ${s.errors}`);
  return out.join("\n") + "\n";
}

// --format b4: b4's external check protocol. One message in, a JSON array out:
// [{ tool, status: pass|warn|fail, summary, url, details }], one entry per
// patch reviewed (one, for the single message b4 hands over).
import type { Finding, InputProblem, PatchReview, ReviewResult } from "../types.js";
import { SEVERITY_RANK } from "../types.js";
import { breakdown, citationLabel, docsUrl, location } from "./common.js";
import { fill, sentence } from "./templates.js";

export type B4Status = "pass" | "warn" | "fail";

export interface B4Check {
  tool: "reclaim-review";
  status: B4Status;
  summary: string;
  url: string;
  details: string;
}

const SUMMARY_MAX = 160;

function clip(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + "…";
}

/** Most severe first, pre-existing ones last. */
function bySeverity(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) => Number(Boolean(a.preExisting)) - Number(Boolean(b.preExisting)) || SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity],
  );
}

function detailLines(r: PatchReview): string[] {
  const lines: string[] = [];
  for (const f of bySeverity(r.findings)) {
    const pre = f.preExisting ? " (pre-existing)" : "";
    lines.push(`- ${f.severity} ${location(f)} ${f.rule}: ${f.message}${pre}`);
    const c = f.citations[0];
    if (c) lines.push(`  see ${citationLabel(c)} ${c.url}`);
  }
  for (const e of r.errors) lines.push(`- internal error in rule ${e.rule}: ${e.message}`);
  return lines;
}

export function b4Check(r: PatchReview, tool: "reclaim-review", version: string): B4Check {
  const has = (s: Finding["severity"]) => r.findings.some((f) => f.severity === s);
  const status: B4Status = has("error") ? "fail" : has("warning") || r.errors.length > 0 ? "warn" : "pass";
  const ranked = bySeverity(r.findings);
  const top = ranked[0];
  const summary = sentence("b4/summary", {
    clean: r.findings.length === 0,
    breakdown: breakdown(r.findings),
    top: top ? `${top.rule} at ${location(top)}` : "",
    incomplete: r.errors.length,
    incompletePlural: r.errors.length === 1 ? "" : "s",
  });
  const url = ranked.flatMap((f) => f.citations)[0]?.url ?? docsUrl() ?? "";
  const details = fill("b4/details", { lines: detailLines(r), notes: r.patch.notes, tool, version, source: r.patch.source }).replace(/\n+$/, "");
  return { tool, status, summary: clip(summary, SUMMARY_MAX), url, details };
}

function problemCheck(problems: readonly InputProblem[], tool: "reclaim-review"): B4Check {
  const first = problems[0]!;
  return {
    tool,
    status: "warn",
    summary: clip(`could not review: ${first.message}`, SUMMARY_MAX),
    url: docsUrl() ?? "",
    details: problems.map((p) => `- ${p.source}: ${p.message}`).join("\n"),
  };
}

export function toB4(result: ReviewResult): B4Check[] {
  const checks = result.reviews.map((r) => b4Check(r, result.tool, result.version));
  if (checks.length === 0 && result.problems.length > 0) checks.push(problemCheck(result.problems, result.tool));
  return checks;
}

export function renderB4(result: ReviewResult): string {
  return JSON.stringify(toB4(result), null, 2) + "\n";
}

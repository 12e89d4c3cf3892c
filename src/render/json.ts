// --format json: the DESIGN.md contract, exactly.
import type { Finding, ReviewResult } from "../types.js";

export function findingToJson(f: Finding): Record<string, unknown> {
  const o: Record<string, unknown> = {
    rule: f.rule,
    class: f.class,
    severity: f.severity,
    file: f.file,
    line: f.line,
    message: f.message,
    fingerprint: f.fingerprint,
    citations: f.citations.map((c) => {
      const out: Record<string, unknown> = { id: c.id, title: c.title, url: c.url };
      if (c.commit) out.commit = c.commit;
      return out;
    }),
  };
  if (f.preExisting) o.preExisting = true;
  if (f.localHistory && f.localHistory.length > 0)
    o.localHistory = f.localHistory.map((c) => ({ commit: c.sha, subject: c.subject, date: c.date, url: c.url }));
  return o;
}

export function toJsonDocument(result: ReviewResult): Record<string, unknown> {
  return {
    tool: result.tool,
    version: result.version,
    patches: result.reviews.map((r) => ({
      source: r.patch.source,
      subject: r.patch.subject,
      messageId: r.patch.messageId,
      files: r.patch.files.map((f) => f.path),
      findings: r.findings.map(findingToJson),
      notes: r.patch.notes,
      errors: r.errors,
    })),
    problems: result.problems,
  };
}

export function renderJson(result: ReviewResult): string {
  return JSON.stringify(toJsonDocument(result), null, 2) + "\n";
}

// --format json: the DESIGN.md contract, exactly.
import type { Finding, ReviewContext, ReviewResult } from "../types.js";

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

/** The optional per-patch `context`: the tree, each touched file's pre-image, the kernel release. */
export function contextToJson(c: ReviewContext): Record<string, unknown> {
  return {
    base: { commit: c.base.commit, from: c.base.from },
    files: c.files.map((f) => ({
      path: f.path,
      from: f.from,
      ...(f.commit ? { commit: f.commit } : {}),
      ...(f.blob ? { blob: f.blob } : {}),
      ...(f.patch !== undefined ? { patch: f.patch } : {}),
      ...(f.missingBlob ? { missingBlob: f.missingBlob } : {}),
    })),
    ...(c.kernel ? { kernel: { major: c.kernel.major, minor: c.kernel.minor, from: c.kernel.from } } : {}),
  };
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
      ...(r.omitted ? { omitted: r.omitted } : {}),
      ...(r.context ? { context: contextToJson(r.context) } : {}),
    })),
    problems: result.problems,
  };
}

export function renderJson(result: ReviewResult): string {
  return JSON.stringify(toJsonDocument(result), null, 2) + "\n";
}

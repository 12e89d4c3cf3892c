// Scores an audit of a kernel tree against a judgement written by reading
// the code of each finding (eval/audit/linux-6.12.json): how many warnings
// were judged real, false or unsure, the precision, and what the judgement
// does not cover yet (new findings to read, judged findings no longer
// reported). A finding is matched by file, line and rule.
import { z } from "zod";

export const Verdict = z.enum(["real", "false", "unsure"]);
export type Verdict = z.infer<typeof Verdict>;

export const Judgement = z.object({
  tree: z.string(),
  command: z.string(),
  judged: z.string(),
  findings: z.array(
    z.object({
      file: z.string().min(1),
      line: z.number().int().positive(),
      function: z.string().nullable(),
      rule: z.string().min(1),
      verdict: Verdict,
      why: z.string().min(1),
    }),
  ),
});
export type Judgement = z.infer<typeof Judgement>;

/** The part of `reclaim-review audit --format json` this reads. */
export const AuditOutput = z.object({
  files: z.array(
    z.object({
      path: z.string(),
      findings: z.array(z.object({ rule: z.string(), severity: z.string(), file: z.string().nullable().optional(), line: z.number().nullable().optional(), message: z.string() })),
    }),
  ),
});
export type AuditOutput = z.infer<typeof AuditOutput>;

export interface AuditFinding {
  file: string;
  line: number;
  rule: string;
  message: string;
}

export interface AuditScore {
  warnings: number;
  real: number;
  false: number;
  unsure: number;
  /** Warnings the judgement has no row for: to be read and added. */
  unjudged: AuditFinding[];
  /** Judged rows no warning matches any more (a rule stopped reporting them). */
  gone: Judgement["findings"];
  /** real / warnings: unjudged and unsure warnings count against it. */
  precision: number;
  /** real / (real + false): the judged ones only. */
  decidedPrecision: number;
}

const key = (file: string, line: number, rule: string) => `${file}:${line}\0${rule}`;

/** The warnings and errors of an audit's JSON output. */
export function auditWarnings(out: AuditOutput): AuditFinding[] {
  const seen = new Set<string>();
  const found: AuditFinding[] = [];
  for (const f of out.files)
    for (const x of f.findings) {
      if (x.severity !== "warning" && x.severity !== "error") continue;
      const file = x.file ?? f.path;
      if (typeof x.line !== "number") throw new Error(`${file}: a ${x.rule} warning without a line cannot be matched against the judgement`);
      const k = key(file, x.line, x.rule);
      if (seen.has(k)) continue;
      seen.add(k);
      found.push({ file, line: x.line, rule: x.rule, message: x.message });
    }
  return found;
}

export function scoreAudit(found: AuditFinding[], judgement: Judgement): AuditScore {
  const rows = new Map(judgement.findings.map((r) => [key(r.file, r.line, r.rule), r]));
  const matched = new Set<string>();
  const counts = { real: 0, false: 0, unsure: 0 };
  const unjudged: AuditFinding[] = [];
  for (const f of found) {
    const k = key(f.file, f.line, f.rule);
    const row = rows.get(k);
    if (!row) {
      unjudged.push(f);
      continue;
    }
    matched.add(k);
    counts[row.verdict]++;
  }
  const gone = judgement.findings.filter((r) => !matched.has(key(r.file, r.line, r.rule)));
  return {
    warnings: found.length,
    ...counts,
    unjudged,
    gone,
    precision: found.length ? counts.real / found.length : 0,
    decidedPrecision: counts.real + counts.false ? counts.real / (counts.real + counts.false) : 0,
  };
}

/**
 * Hazards fixed upstream after the tree's release whose buggy code the tree still has
 * (eval/audit/fixed-after-6.12.json): a recall check on existing code, from fixes nobody tuned the rules on.
 * A site counts as warned when a warning sits on one of its `warnAt` places (the line the fix changes, or the
 * allocation inside the call it moves).
 */
export const FixedSites = z.object({
  tree: z.string(),
  how: z.string(),
  sites: z.array(
    z.object({
      fix: z.string().min(1),
      date: z.string(),
      list: z.string(),
      link: z.string().url(),
      file: z.string().min(1),
      line: z.number().int().positive(),
      function: z.string(),
      warnAt: z.array(z.object({ file: z.string().min(1), line: z.number().int().positive() })).min(1),
      why: z.string().min(1),
    }),
  ),
});
export type FixedSites = z.infer<typeof FixedSites>;

export interface FixedScore {
  sites: number;
  warned: number;
  missed: FixedSites["sites"];
}

export function scoreFixedSites(found: AuditFinding[], fixed: FixedSites): FixedScore {
  const at = new Set(found.map((f) => `${f.file}:${f.line}`));
  const missed = fixed.sites.filter((s) => !s.warnAt.some((w) => at.has(`${w.file}:${w.line}`)));
  return { sites: fixed.sites.length, warned: fixed.sites.length - missed.length, missed };
}

export function formatFixedScore(s: FixedScore): string {
  const out = [`fixed upstream after the tree's release: ${s.warned}/${s.sites} sites warned`];
  for (const m of s.missed) out.push(`  not warned: ${m.file}:${m.line} ${m.function}() (${m.fix})`);
  return out.join("\n") + "\n";
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

export function formatAuditScore(s: AuditScore): string {
  const out = [
    `warnings ${s.warnings}: ${s.real} real, ${s.false} false, ${s.unsure} unsure, ${s.unjudged.length} not judged yet`,
    `precision ${pct(s.precision)} of all warnings (unsure and unjudged count against it), ${pct(s.decidedPrecision)} of the decided`,
  ];
  if (s.unjudged.length) {
    out.push("", "not judged yet (read the chain and add a row):");
    for (const f of s.unjudged) out.push(`  ${f.file}:${f.line} ${f.rule}: ${f.message.slice(0, 160)}`);
  }
  if (s.gone.length) {
    out.push("", "judged but no longer reported:");
    for (const r of s.gone) out.push(`  ${r.file}:${r.line} ${r.rule} (${r.verdict}) ${r.function ?? ""}`);
  }
  return out.join("\n") + "\n";
}

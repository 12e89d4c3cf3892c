// --format sarif: SARIF 2.1.0, one run, for GitHub code scanning and other
// SARIF readers. Rule descriptors come from the rule metadata; results carry
// our fingerprint as partialFingerprints.primaryLocationLineHash.
import { ALL_RULES } from "../rules/index.js";
import type { Citation, Finding, Patch, ReviewResult, RuleMeta, Severity } from "../types.js";
import { citationLabel, docsUrl } from "./common.js";
import { fill } from "./templates.js";

export const SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json";

export interface SarifOptions {
  /** Rule metadata for the descriptors (default: every registered rule). */
  rules?: readonly RuleMeta[];
}

const LEVEL: Record<Severity, "error" | "warning" | "note"> = { error: "error", warning: "warning", info: "note" };
const MAX_DESCRIPTION = 1024;

function clip(s: string, n = MAX_DESCRIPTION): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length <= n ? t : t.slice(0, n - 1) + "…";
}

function uniqueCitations(findings: readonly Finding[]): Citation[] {
  const seen = new Map<string, Citation>();
  for (const f of findings) for (const c of f.citations) if (!seen.has(c.id)) seen.set(c.id, c);
  return [...seen.values()];
}

interface RuleInfo {
  id: string;
  description: string;
  why: string;
  fix: string;
  quiet?: string;
  cls: string;
  severity: Severity;
}

function ruleInfo(id: string, metas: ReadonlyMap<string, RuleMeta>, sample: Finding): RuleInfo {
  const m = metas.get(id);
  if (m) return { id, description: m.description, why: m.docs.why, fix: m.docs.fix, quiet: m.docs.quiet, cls: m.class, severity: m.severity };
  return { id, description: sample.message, why: sample.why, fix: sample.fix, cls: sample.class, severity: sample.severity };
}

function descriptor(info: RuleInfo, findings: readonly Finding[]): Record<string, unknown> {
  const citations = uniqueCitations(findings).map((c) => ({ label: citationLabel(c), url: c.url }));
  const view = { ...info, quiet: info.quiet ?? "", hasCitations: citations.length > 0, citations };
  return {
    id: info.id,
    name: info.id,
    shortDescription: { text: clip(info.description) },
    fullDescription: { text: clip(`${info.description}. ${info.why}`) },
    defaultConfiguration: { level: LEVEL[info.severity] },
    ...(docsUrl() ? { helpUri: docsUrl() } : {}),
    help: {
      text: fill("sarif/help-text", view).trim(),
      markdown: fill("sarif/help-markdown", view).trim(),
    },
    properties: { tags: ["reclaim", info.cls] },
  };
}

/** Where a patch-level finding is shown: the first changed line of the patch's first text file. */
function patchAnchor(patch: Patch): { uri: string; line: number } | null {
  for (const fd of patch.files) {
    if (fd.binary || fd.newPath === null) continue;
    const first = fd.hunks[0];
    if (!first) continue;
    const added = fd.hunks.flatMap((h) => h.lines).find((l) => l.kind === "add" && l.newLine !== null);
    return { uri: fd.newPath, line: added?.newLine ?? Math.max(1, first.newStart) };
  }
  return null;
}

function physical(uri: string, line: number | null, snippet: string | null): Record<string, unknown> {
  const loc: Record<string, unknown> = { artifactLocation: { uri, uriBaseId: "%SRCROOT%" } };
  if (line !== null && line >= 1) {
    const region: Record<string, unknown> = { startLine: line };
    if (snippet !== null) region.snippet = { text: snippet };
    loc.region = region;
  }
  return { physicalLocation: loc };
}

export function toSarif(result: ReviewResult, opts: SarifOptions = {}): Record<string, unknown> {
  const metas = new Map((opts.rules ?? ALL_RULES.map((r) => r.meta)).map((m) => [m.id, m]));
  const all = result.reviews.flatMap((r) => r.findings.map((f) => ({ f, patch: r.patch })));
  const ids = [...new Set(all.map((x) => x.f.rule))].sort();
  const index = new Map(ids.map((id, i) => [id, i]));
  const rules = ids.map((id) => {
    const mine = all.filter((x) => x.f.rule === id).map((x) => x.f);
    return descriptor(ruleInfo(id, metas, mine[0]!), mine);
  });

  const results = all.map(({ f, patch }) => {
    let text = f.message;
    if (f.chain && f.chain.length > 0) text += ` (via ${f.chain.join(" -> ")})`;
    const res: Record<string, unknown> = {
      ruleId: f.rule,
      ruleIndex: index.get(f.rule)!,
      level: LEVEL[f.severity],
      message: { text: f.file === null ? `Commit message: ${text}` : text },
    };
    if (f.file !== null) res.locations = [physical(f.file, f.line, f.quote)];
    else {
      const a = patchAnchor(patch);
      if (a) res.locations = [physical(a.uri, a.line, null)];
    }
    res.partialFingerprints = { primaryLocationLineHash: f.fingerprint };
    res.baselineState = f.preExisting ? "unchanged" : "new";
    res.properties = {
      class: f.class,
      patch: patch.source,
      subject: patch.subject,
      fix: f.fix,
      citations: f.citations.map((c) => c.url),
      ...(f.file === null ? { patchLevel: true } : {}),
    };
    return res;
  });

  const notifications = [
    ...result.reviews.flatMap((r) =>
      r.errors.map((e) => ({
        level: "error",
        message: { text: `rule ${e.rule} failed on ${r.patch.source}: ${e.message}` },
        associatedRule: { id: e.rule, ...(index.has(e.rule) ? { index: index.get(e.rule)! } : {}) },
      })),
    ),
    ...result.problems.map((p) => ({ level: "warning", message: { text: `${p.source}: ${p.message}` } })),
    // what the reader should know of how a patch was read (a recounted hunk, a skipped binary file)
    ...result.reviews.flatMap((r) => r.patch.notes.map((n) => ({ level: "note", message: { text: `${r.patch.source}: ${n}` } }))),
  ];

  return {
    $schema: SARIF_SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: result.tool,
            version: result.version,
            semanticVersion: result.version,
            ...(docsUrl() ? { informationUri: docsUrl() } : {}),
            rules,
          },
        },
        invocations: [
          {
            executionSuccessful: result.reviews.every((r) => r.errors.length === 0),
            ...(notifications.length > 0 ? { toolExecutionNotifications: notifications } : {}),
          },
        ],
        columnKind: "unicodeCodePoints",
        results,
      },
    ],
  };
}

export function renderSarif(result: ReviewResult, opts: SarifOptions = {}): string {
  return JSON.stringify(toSarif(result, opts), null, 2) + "\n";
}

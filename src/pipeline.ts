// The one pure core every front end calls: parsed patches in, findings out.
import type { ReviewConfig } from "./config.js";
import { reviewPatch } from "./engine.js";
import type { KnowledgeBase } from "./knowledge/base.js";
import { ALL_RULES } from "./rules/index.js";
import { readInput, type IngestOptions } from "./ingest/index.js";
import type { FileDiff, ParsedInput, Patch, PatchReview, ReviewResult, Rule, SourceContext } from "./types.js";
import { TOOL, VERSION } from "./version.js";
import { initParser } from "./context/parser.js";

/** Loads what every review needs before the synchronous core runs (the C parser). Idempotent; await it once before review(). */
export function readyToReview(): Promise<void> {
  return initParser();
}

/** Source files for context (a --tree checkout, a PR head). Built at the edge, read by the core. */
export interface Sources {
  /** Reads what contextFor will need (the edge's I/O), before the pure review runs. */
  prepare?(patches: readonly Patch[]): Promise<void>;
  contextFor(patch: Patch): SourceContext | undefined;
  /** Ends what the sources keep open (a git cat-file process). */
  close?(): void;
}

export { groupSeries, seriesKey } from "./series.js";

export function review(
  input: ParsedInput,
  sources: Sources | null,
  config: ReviewConfig,
  kb: KnowledgeBase,
  rules: readonly Rule[] = ALL_RULES,
): ReviewResult {
  const reviews = input.patches.map((patch) => {
    const source = sources?.contextFor(patch);
    const r = reviewPatch(patch, { rules, config, kb, source });
    if (source?.origin) r.context = { ...source.origin, ...(source.kernel ? { kernel: source.kernel } : {}) };
    return r;
  });
  return { tool: TOOL, version: VERSION, reviews, covers: input.covers, problems: input.problems };
}

/**
 * What the renderers need of a reviewed patch: its headers and message,
 * every file (paths), and only the hunks that hold a finding (quoted in
 * email and markdown) plus, when there is a patch-level finding, the first
 * hunk of the first text file (where SARIF places those). A new object, so caches keyed by the
 * full patch can be collected.
 */
export function slimReview(r: PatchReview): PatchReview {
  const lines = new Map<string, number[]>();
  for (const f of r.findings) if (f.file !== null && f.line !== null) lines.set(f.file, [...(lines.get(f.file) ?? []), f.line]);
  // SARIF places patch-level findings on the first changed line of the first text file
  let firstKept = !r.findings.some((f) => f.file === null);
  const files: FileDiff[] = r.patch.files.map((file) => {
    const want = lines.get(file.path) ?? [];
    const hunks = file.hunks.filter((h, i) => {
      if (!firstKept && !file.binary && i === 0) {
        firstKept = true;
        return true;
      }
      return want.some((l) => l >= h.newStart && l < h.newStart + Math.max(h.newLines, 1));
    });
    return { ...file, hunks };
  });
  return { ...r, patch: { ...r.patch, files } };
}

/**
 * Reviews an input message by message, keeping only what the output needs
 * of each (slimReview), so an mbox of thousands of patches is reviewed in
 * bounded memory. Same findings as parseInput + review() without sources.
 */
export async function reviewInput(
  data: Buffer | string,
  source: string,
  opts: IngestOptions,
  config: ReviewConfig,
  kb: KnowledgeBase,
  rules: readonly Rule[] = ALL_RULES,
): Promise<ReviewResult> {
  await readyToReview();
  const reviews: PatchReview[] = [];
  const { covers, problems } = await readInput(data, source, opts, (patch) => {
    const r = slimReview(reviewPatch(patch, { rules, config, kb }));
    reviews.push(r);
    return r.patch;
  });
  return { tool: TOOL, version: VERSION, reviews, covers, problems };
}

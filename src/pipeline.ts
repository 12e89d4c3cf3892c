// The one pure core every front end calls: parsed patches in, findings out.
import type { ReviewConfig } from "./config.js";
import { reviewPatch } from "./engine.js";
import type { KnowledgeBase } from "./knowledge/base.js";
import { ALL_RULES } from "./rules/index.js";
import type { ParsedInput, Patch, ReviewResult, Rule, SourceContext } from "./types.js";
import { TOOL, VERSION } from "./version.js";

/** Source files for context (a --tree checkout, a PR head). Built at the edge, read by the core. */
export interface Sources {
  /** Reads what contextFor will need (the edge's I/O), before the pure review runs. */
  prepare?(patches: readonly Patch[]): Promise<void>;
  contextFor(patch: Patch): SourceContext | undefined;
}

export function review(
  input: ParsedInput,
  sources: Sources | null,
  config: ReviewConfig,
  kb: KnowledgeBase,
  rules: readonly Rule[] = ALL_RULES,
): ReviewResult {
  const reviews = input.patches.map((patch) =>
    reviewPatch(patch, { rules, config, kb, source: sources?.contextFor(patch) }),
  );
  return { tool: TOOL, version: VERSION, reviews, covers: input.covers, problems: input.problems };
}

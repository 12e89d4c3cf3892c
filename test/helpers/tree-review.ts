// Reviews a patch against an in-memory source tree (the --tree path: the
// tree's files are the pre-image, the patch is applied in memory), optionally
// as a given kernel release, with the real engine and rules.
import { DEFAULT_CONFIG } from "../../src/config.js";
import { memoryTree, openSources } from "../../src/context/sources.js";
import { reviewPatch } from "../../src/engine.js";
import { parsePatchText } from "../../src/ingest/index.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import type { Finding, Rule } from "../../src/types.js";
import { formatPatch, type PatchSpec } from "./patch.js";

export async function reviewWithTree(tree: ReadonlyMap<string, string>, spec: PatchSpec, rules: Rule[], kernel?: { major: number; minor: number }): Promise<Finding[]> {
  const input = parsePatchText(formatPatch(spec), "tree.patch");
  if (input.patches.length !== 1) throw new Error(`expected one patch, got ${input.patches.length}`);
  const patch = input.patches[0]!;
  const sources = openSources(memoryTree(tree));
  await sources.prepare!(input.patches);
  const base = sources.contextFor(patch);
  if (!base) throw new Error("no source context");
  const source = kernel ? { ...base, kernel: { ...kernel, from: "tree" as const } } : base;
  const review = reviewPatch(patch, { rules, config: DEFAULT_CONFIG, kb: loadKnowledge(), source });
  if (review.errors.length > 0) throw new Error(`rule failed: ${review.errors.map((e) => e.message).join("; ")}`);
  return review.findings;
}

/** Renames identifiers (whole words) and paths: the same code under other names. */
export function renamed(text: string, names: ReadonlyMap<string, string>): string {
  let out = text;
  for (const [from, to] of names) out = out.replace(new RegExp(`\\b${from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "g"), to);
  return out;
}

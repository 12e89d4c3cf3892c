// Reviews a folder of labelled patches (the I/O edge of the eval). Diff only
// by default; with a tree, every case is reviewed with full-file context from
// that checkout, the way `reclaim-review review --tree DIR` does.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_CONFIG } from "../config.js";
import { errorMessage } from "../errors.js";
import { parseInput } from "../ingest/index.js";
import { loadKnowledge } from "../knowledge/load.js";
import { readyToReview, review, type Sources } from "../pipeline.js";
import type { ParsedInput } from "../types.js";
import { scoreCase, type CaseResult, type Label } from "./score.js";

export interface RunOptions {
  /** Labels file; default DIR/labels.json. */
  labels?: string;
  /** Source tree for full-file context (a kernel checkout). */
  tree?: string;
}

export function readLabels(path: string): Label[] {
  if (!existsSync(path)) throw new Error(`${path}: no such labels file`);
  const labels = JSON.parse(readFileSync(path, "utf8")) as Label[];
  if (!Array.isArray(labels)) throw new Error(`${path}: not a JSON array of labels`);
  return labels;
}

export async function runEval(dir: string, opts: RunOptions = {}): Promise<CaseResult[]> {
  const labels = readLabels(opts.labels ?? join(dir, "labels.json"));
  const kb = loadKnowledge();
  const parsed: { label: Label; input?: ParsedInput; error?: string }[] = [];
  for (const label of labels) {
    const file = join(dir, `${label.id}.patch`);
    if (!existsSync(file)) continue; // a case not fetched
    try {
      parsed.push({ label, input: await parseInput(readFileSync(file), file) });
    } catch (err) {
      parsed.push({ label, error: errorMessage(err) });
    }
  }
  let sources: Sources | null = null;
  if (opts.tree) {
    const { openTreeSources } = await import("../context/sources.js");
    const { withLocalHistory } = await import("../history/sources.js");
    sources = await withLocalHistory(await openTreeSources(opts.tree), opts.tree);
    await sources.prepare?.(parsed.flatMap((p) => p.input?.patches ?? []));
  }
  await readyToReview();
  return parsed.map(({ label, input, error }) => {
    if (!input) return scoreCase(label, [], error);
    try {
      return scoreCase(label, review(input, sources, DEFAULT_CONFIG, kb).reviews);
    } catch (err) {
      return scoreCase(label, [], errorMessage(err));
    }
  });
}

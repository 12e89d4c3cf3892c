// npm run eval -- DIR [--json]: the reviewer over a folder of labelled
// patches (labels.json beside <id>.patch files) with recall per class, the
// false-positive rate on negatives and the info-noise rate.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_CONFIG } from "../config.js";
import { errorMessage } from "../errors.js";
import { parseInput } from "../ingest/index.js";
import { loadKnowledge } from "../knowledge/load.js";
import { readyToReview, review } from "../pipeline.js";
import { formatSummary, scoreCase, summarise, type CaseResult, type Label } from "./score.js";

export async function runEval(dir: string): Promise<CaseResult[]> {
  const labelsPath = join(dir, "labels.json");
  if (!existsSync(labelsPath)) throw new Error(`${labelsPath}: no labels.json`);
  const labels = JSON.parse(readFileSync(labelsPath, "utf8")) as Label[];
  const kb = loadKnowledge();
  const results: CaseResult[] = [];
  for (const label of labels) {
    const file = join(dir, `${label.id}.patch`);
    if (!existsSync(file)) continue; // a case not fetched
    try {
      const input = await parseInput(readFileSync(file), file);
      await readyToReview();
      results.push(scoreCase(label, review(input, null, DEFAULT_CONFIG, kb).reviews));
    } catch (err) {
      results.push(scoreCase(label, [], errorMessage(err)));
    }
  }
  return results;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { json: { type: "boolean" } } });
  const dir = positionals[0];
  if (!dir) {
    process.stderr.write("usage: npm run eval -- DIR [--json]   (DIR holds labels.json and <id>.patch files)\n");
    return 2;
  }
  const results = await runEval(dir);
  const summary = summarise(results);
  process.stdout.write(values.json ? JSON.stringify({ summary, results }, null, 2) + "\n" : formatSummary(results, summary));
  return 0;
}

main().then(
  (c) => (process.exitCode = c),
  (e) => {
    process.stderr.write(`eval: ${errorMessage(e)}\n`);
    process.exitCode = 2;
  },
);

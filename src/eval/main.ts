// npm run eval -- DIR [--labels FILE] [--tree DIR] [--json]: the reviewer over
// a folder of labelled patches (labels.json, or --labels, beside <id>.patch
// files) with hazard recall, topic recognition, recall per class, the
// false-positive rate on negatives and the info-noise rate.
import { parseArgs } from "node:util";
import { errorMessage } from "../errors.js";
import { runEval } from "./run.js";
import { formatSummary, summarise } from "./score.js";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { json: { type: "boolean" }, labels: { type: "string" }, tree: { type: "string" } },
  });
  const dir = positionals[0];
  if (!dir) {
    process.stderr.write("usage: npm run eval -- DIR [--labels FILE] [--tree KERNEL_DIR] [--json]   (DIR holds <id>.patch files and, unless --labels, labels.json)\n");
    return 2;
  }
  const results = await runEval(dir, { labels: values.labels, tree: values.tree });
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

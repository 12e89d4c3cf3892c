// npm run eval:unseen -- [DATA_ROOT] [--set dev|holdout|dev2|holdout2|dev3|holdout3|dev4|holdout4|dev5|holdout5|dev6|holdout6|dev7|holdout7|batch3|batch4|batch5|batch6|batch7|all] [--tree KERNEL_DIR | --no-tree] [--json]
// Measures the reviewer on the unseen sets of eval/unseen/ (labels in the
// repository, patch texts in DATA_ROOT/unseen-dev, DATA_ROOT/holdout,
// DATA_ROOT/unseen-dev2 ... DATA_ROOT/unseen-dev7 and DATA_ROOT/holdout2 ...
// DATA_ROOT/holdout7, by default /work/eval-data), diff only and with a
// kernel tree. The dev sets are reported case by case with what the reviewer
// said; the holdouts only in aggregate (no case id or subject is ever printed
// for them). --set batch3 ... --set batch7 run one batch's dev set and
// holdout alone. With --set all, the combined figures (dev+dev2,
// holdout+holdout2 and the same over three, four, five, six and all seven
// batches) follow the per-set ones. The sets live in unseen-sets.ts.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { errorMessage } from "../errors.js";
import { runEval } from "./run.js";
import { formatSummary, summarise, type CaseResult, type EvalSummary } from "./score.js";
import { SETS, completeCombined, selectSets } from "./unseen-sets.js";

const DEFAULT_TREE = "/work/kernel/linux-source-6.12";

function caseLines(results: CaseResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    const kind = r.kind === "positive" ? (r.topic ? "topic" : "hazard") : "negative";
    const line = r.lineHit === null ? "" : r.lineHit ? " (on the labelled line)" : " (not on the labelled line)";
    out.push(`${r.outcome.padEnd(14)} ${kind.padEnd(8)} ${r.id}${line}${r.error ? `  ERROR ${r.error}` : ""}`);
    for (const f of r.findings)
      out.push(`    ${f.severity.padEnd(7)} ${f.rule} [${f.class}] ${f.file ?? "-"}:${f.line ?? "-"}  ${f.message.split("\n")[0].slice(0, 160)}`);
  }
  return out;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { set: { type: "string" }, tree: { type: "string" }, "no-tree": { type: "boolean" }, json: { type: "boolean" } },
  });
  const root = positionals[0] ?? "/work/eval-data";
  const names = selectSets(values.set);
  const tree = values["no-tree"] ? undefined : (values.tree ?? (existsSync(DEFAULT_TREE) ? DEFAULT_TREE : undefined));
  const modes: { name: string; tree?: string }[] = [{ name: "diff-only" }, ...(tree ? [{ name: `tree ${tree}`, tree }] : [])];
  const report: Record<string, Record<string, { summary: EvalSummary; results?: CaseResult[] }>> = {};
  const text: string[] = [];
  const kept: Record<string, Record<string, CaseResult[]>> = {};
  for (const name of names) {
    const set = SETS[name];
    const dir = join(root, set.sub);
    if (!existsSync(dir)) throw new Error(`${dir}: missing; run eval/unseen/fetch-unseen.py MIRRORS ${root} --set ${name}`);
    report[name] = {};
    kept[name] = {};
    for (const mode of modes) {
      const t0 = Date.now();
      const results = await runEval(dir, { labels: set.labels, tree: mode.tree });
      const summary = summarise(results);
      kept[name][mode.name] = results;
      report[name][mode.name] = set.perCase ? { summary, results } : { summary };
      text.push(`== ${name}, ${mode.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      if (set.perCase) text.push(...caseLines(results), "");
      text.push(formatSummary(results, summary, false));
    }
  }
  for (const c of completeCombined(names)) {
    report[c.name] = {};
    for (const mode of modes) {
      const results = c.sets.flatMap((n) => kept[n][mode.name]);
      const summary = summarise(results);
      report[c.name][mode.name] = { summary };
      text.push(`== ${c.name} combined, ${mode.name}`);
      text.push(formatSummary(results, summary, false));
    }
  }
  process.stdout.write(values.json ? JSON.stringify(report, null, 2) + "\n" : text.join("\n"));
  return 0;
}

main().then(
  (c) => (process.exitCode = c),
  (e) => {
    process.stderr.write(`eval:unseen: ${errorMessage(e)}\n`);
    process.exitCode = 2;
  },
);

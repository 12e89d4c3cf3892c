// npm run eval:unseen -- [DATA_ROOT] [--set dev|holdout|all] [--tree KERNEL_DIR | --no-tree] [--json]
// Measures the reviewer on the unseen sets of eval/unseen/ (labels in the
// repository, patch texts in DATA_ROOT/unseen-dev and DATA_ROOT/holdout, by
// default /work/eval-data), diff only and with a kernel tree. The dev set is
// reported case by case with what the reviewer said; the holdout only in
// aggregate (no case id or subject is ever printed for it).
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { errorMessage } from "../errors.js";
import { runEval } from "./run.js";
import { formatSummary, summarise, type CaseResult, type EvalSummary } from "./score.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SETS = {
  dev: { labels: join(repo, "eval", "unseen", "labels-dev.json"), sub: "unseen-dev", perCase: true },
  holdout: { labels: join(repo, "eval", "unseen", "labels-holdout.json"), sub: "holdout", perCase: false },
} as const;
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
  const which = (values.set ?? "all") as "dev" | "holdout" | "all";
  if (!["dev", "holdout", "all"].includes(which)) throw new Error("--set takes dev, holdout or all");
  const tree = values["no-tree"] ? undefined : (values.tree ?? (existsSync(DEFAULT_TREE) ? DEFAULT_TREE : undefined));
  const modes: { name: string; tree?: string }[] = [{ name: "diff-only" }, ...(tree ? [{ name: `tree ${tree}`, tree }] : [])];
  const report: Record<string, Record<string, { summary: EvalSummary; results?: CaseResult[] }>> = {};
  const text: string[] = [];
  for (const name of which === "all" ? (["dev", "holdout"] as const) : [which]) {
    const set = SETS[name];
    const dir = join(root, set.sub);
    if (!existsSync(dir)) throw new Error(`${dir}: missing; run eval/unseen/fetch-unseen.py MIRRORS ${root}`);
    report[name] = {};
    for (const mode of modes) {
      const t0 = Date.now();
      const results = await runEval(dir, { labels: set.labels, tree: mode.tree });
      const summary = summarise(results);
      report[name][mode.name] = set.perCase ? { summary, results } : { summary };
      text.push(`== ${name}, ${mode.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      if (set.perCase) text.push(...caseLines(results), "");
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

// Benchmark: `audit` of a whole kernel tree (default: the unpacked
// linux-source-6.12). Runs in this process (worker threads count towards the
// peak RSS). Returns {seconds, cpuSeconds, peakRssMb, files, parsed,
// workersReplaced, findingsPerRule, loadAverage}.
import { existsSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { auditRules } from "../dist/context/audit.js";
import { runAudit } from "../dist/context/audit-run.js";
import { DEFAULT_CONFIG } from "../dist/config.js";
import { loadKnowledge } from "../dist/knowledge/load.js";
import { ALL_RULES } from "../dist/rules/index.js";

// the first of LINUX_TREE, RR_KERNEL_TREE (as the context benchmark reads it) and the usual unpack places
export const DEFAULT_TREE =
  [process.env.LINUX_TREE, process.env.RR_KERNEL_TREE, "/work/linux/linux-source-6.12", "/work/kernel/linux-source-6.12"].find((p) => p && existsSync(p)) ??
  "/work/linux/linux-source-6.12";

export async function benchAudit(tree = DEFAULT_TREE, { jobs = availableParallelism() } = {}) {
  if (!existsSync(tree)) return { skipped: `${tree} not present (apt-get install linux-source-6.12 and unpack it)` };
  const load = loadavg()[0];
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = await runAudit({
    root: tree,
    paths: [],
    rules: auditRules(ALL_RULES),
    config: DEFAULT_CONFIG,
    kb: loadKnowledge(),
    jobs,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const findingsPerRule = {};
  for (const f of result.files) for (const x of f.findings) findingsPerRule[x.rule] = (findingsPerRule[x.rule] ?? 0) + 1;
  return {
    seconds: Math.round(seconds * 10) / 10,
    cpuSeconds: Math.round(((cpu.user + cpu.system) / 1e6) * 10) / 10,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    files: result.scanned,
    parsed: result.parsed,
    dirs: result.dirs,
    jobs,
    workersReplaced: result.workersReplaced,
    findingsPerRule,
    loadAverageAtStart: Math.round(load * 10) / 10,
  };
}

export default function run() {
  return benchAudit(process.argv[2] && !process.argv[2].startsWith("-") ? process.argv[2] : DEFAULT_TREE);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((r) => process.stdout.write(JSON.stringify(r) + "\n"));
}

// Review throughput: a generated mbox of kernel-shaped patches through the
// same ingest + review() core the CLI uses, in this process (one core).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** Writes the generated mbox in a child process, so its garbage is not counted here. */
export function ensureMbox(count, dir) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${count}-seed42.mbox`);
  if (!existsSync(file)) {
    const code = `import(${JSON.stringify(join(here, "gen-mbox.mjs"))}).then((m) => require("node:fs").writeFileSync(${JSON.stringify(file)}, m.genMbox(${count}, 42)))`;
    const r = spawnSync(process.execPath, ["-e", code], { stdio: "inherit" });
    if (r.status !== 0) throw new Error("could not generate the benchmark mbox");
  }
  return file;
}

export async function benchReview({ count = 5000, dir = ".bench-tmp" } = {}) {
  const file = ensureMbox(count, dir);
  const data = readFileSync(file);
  const { reviewInput } = await import("../dist/pipeline.js");
  const { loadKnowledge } = await import("../dist/knowledge/load.js");
  const { DEFAULT_CONFIG } = await import("../dist/config.js");
  const kb = loadKnowledge();
  // what `reclaim-review review --format json big.mbox` does: each message
  // parsed and reviewed as it is read (parsing included in the time)
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = await reviewInput(data, file, { maxBytes: 1 << 30 }, DEFAULT_CONFIG, kb);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const patches = result.reviews.length;
  const findings = result.reviews.reduce((a, r) => a + r.findings.length, 0);
  const bySeverity = { error: 0, warning: 0, info: 0 };
  for (const r of result.reviews) for (const f of r.findings) bySeverity[f.severity]++;
  return {
    patches,
    problems: result.problems.length,
    mboxMb: +(data.length / 1048576).toFixed(1),
    findings,
    bySeverity,
    seconds: +seconds.toFixed(2),
    cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(2),
    patchesPerSec: Math.round(patches / seconds),
    patchesPerCpuSec: Math.round(patches / ((cpu.user + cpu.system) / 1e6)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

// Review throughput: a generated mbox of kernel-shaped patches through the
// same ingest + review() core the CLI uses, in this process (one core).
import { mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { genMbox } from "./gen-mbox.mjs";

export async function benchReview({ count = 5000, dir = ".bench-tmp" } = {}) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${count}.mbox`);
  writeFileSync(file, genMbox(count, 42));
  const data = readFileSync(file);
  const { parseInput } = await import("../dist/ingest/index.js");
  const { review } = await import("../dist/pipeline.js");
  const { loadKnowledge } = await import("../dist/knowledge/load.js");
  const { DEFAULT_CONFIG } = await import("../dist/config.js");
  const kb = loadKnowledge();
  const t0 = process.hrtime.bigint();
  const input = await parseInput(data, file, { maxBytes: 1 << 30 });
  const t1 = process.hrtime.bigint();
  const result = review(input, null, DEFAULT_CONFIG, kb);
  const t2 = process.hrtime.bigint();
  const patches = result.reviews.length;
  const findings = result.reviews.reduce((a, r) => a + r.findings.length, 0);
  const lines = input.patches.reduce((a, p) => a + p.files.reduce((b, f) => b + f.hunks.reduce((c, h) => c + h.lines.length, 0), 0), 0);
  const seconds = Number(t2 - t0) / 1e9;
  return {
    patches,
    problems: input.problems.length,
    mboxMb: +(data.length / 1048576).toFixed(1),
    diffLines: lines,
    findings,
    parseSeconds: +(Number(t1 - t0) / 1e9).toFixed(2),
    reviewSeconds: +(Number(t2 - t1) / 1e9).toFixed(2),
    patchesPerSec: Math.round(patches / seconds),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

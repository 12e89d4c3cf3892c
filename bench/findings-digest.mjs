#!/usr/bin/env node
// The findings a performance change must not move, printed for a byte-for-byte
// comparison before and after (`node bench/findings-digest.mjs [MBOX] [-- FILE...] > a.txt`):
// every review of the benchmark mbox (diff only, the path `review big.mbox`
// takes: reviewInput) and, after `--`, every given patch file reviewed diff
// only through parseInput + review() (the path of the eval and of several
// files on the command line). One JSON line per patch: its subject, its
// findings (every field), rule failures and omitted counts.
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureMbox } from "./review.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const dash = args.indexOf("--");
const files = dash >= 0 ? args.slice(dash + 1) : [];
const mboxArg = (dash >= 0 ? args.slice(0, dash) : args)[0];
const mbox = mboxArg ?? ensureMbox(Number(process.env.BENCH_PATCHES ?? 5000), join(root, ".bench-tmp"));

const { reviewInput, review, readyToReview } = await import("../dist/pipeline.js");
const { parseInput } = await import("../dist/ingest/index.js");
const { loadKnowledge } = await import("../dist/knowledge/load.js");
const { DEFAULT_CONFIG } = await import("../dist/config.js");
const kb = loadKnowledge();
const out = [];
const line = (where, r) => out.push(JSON.stringify({ where, subject: r.patch.subject, findings: r.findings, errors: r.errors, omitted: r.omitted ?? [] }));

const res = await reviewInput(readFileSync(mbox), mbox, { maxBytes: 1 << 30 }, DEFAULT_CONFIG, kb);
res.reviews.forEach((r, i) => line(`mbox#${i}`, r));
out.push(JSON.stringify({ where: "mbox", problems: res.problems, covers: res.covers.length }));
await readyToReview();
for (const f of files) {
  try {
    const input = await parseInput(readFileSync(f), f);
    const rr = review(input, null, DEFAULT_CONFIG, kb);
    rr.reviews.forEach((r, i) => line(`${f}#${i}`, r));
    out.push(JSON.stringify({ where: f, problems: rr.problems }));
  } catch (err) {
    out.push(JSON.stringify({ where: f, error: String(err && err.message ? err.message : err) }));
  }
}
process.stdout.write(out.join("\n") + "\n");

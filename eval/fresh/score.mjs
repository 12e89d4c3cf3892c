#!/usr/bin/env node
// Scores a `reclaim-review review -f json` run over a fresh sample (eval/fresh/sample.py) against the verdicts
// in eval/fresh/judged.json: per run, the patches with a warning or error the review reports as new (not
// pre-existing), and how many of those findings were judged real, false, unsure, or not judged yet.
// usage: node eval/fresh/score.mjs RUN.json [RUN.json ...]
import { readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const judged = JSON.parse(readFileSync(join(here, "judged.json"), "utf8")).judged;
const key = (id, rule, file, line) => `${id}\0${rule}\0${file}\0${line}`;
const verdicts = new Map(judged.map((j) => [key(j.id, j.rule, j.file, j.line), j.verdict]));

const runs = process.argv.slice(2);
if (runs.length === 0) {
  process.stderr.write("usage: node eval/fresh/score.mjs RUN.json [RUN.json ...]\n");
  process.exit(2);
}
for (const run of runs) {
  const data = JSON.parse(readFileSync(run, "utf8"));
  const count = { real: 0, false: 0, unsure: 0, unjudged: 0 };
  const unjudged = [];
  let withFinding = 0;
  let preExisting = 0;
  for (const p of data.patches ?? []) {
    const id = basename(String(p.source ?? "")).replace(/\.patch$/, "");
    let any = false;
    for (const f of p.findings ?? []) {
      if (f.severity !== "warning" && f.severity !== "error") continue;
      if (f.preExisting) {
        preExisting++;
        continue;
      }
      any = true;
      const v = verdicts.get(key(id, f.rule, f.file, f.line));
      if (v) count[v]++;
      else {
        count.unjudged++;
        unjudged.push(`${id} ${f.rule} ${f.file}:${f.line}`);
      }
    }
    if (any) withFinding++;
  }
  const all = count.real + count.false + count.unsure + count.unjudged;
  const decided = count.real + count.false;
  const pct = (a, b) => (b === 0 ? "-" : `${Math.round((100 * a) / b)}%`);
  process.stdout.write(
    `${run}: ${data.patches?.length ?? 0} patches, ${withFinding} with a new warning or error; ${all} findings: ` +
      `${count.real} real, ${count.false} false, ${count.unsure} unsure, ${count.unjudged} not judged yet ` +
      `(real: ${pct(count.real, all)} of all, ${pct(count.real, decided)} of the decided); ${preExisting} pre-existing\n`,
  );
  for (const u of unjudged) process.stdout.write(`  not judged: ${u}\n`);
}

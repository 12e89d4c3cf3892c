#!/usr/bin/env node
// Scores `reclaim-review review -f json [--tree DIR]` runs of a labelled sample against its labels
// (labels-NAME.json): hazard recall at warning or above (new findings, not pre-existing), negatives with a
// warning or above, negatives with an info. Unsure labels count in neither. With --cases, each hazard and each
// negative that got a warning is listed (that reads the cases: after it, the sample steers).
//
// usage: node eval/fresh/score-labelled.mjs labels-NAME.json RUN.json... [--cases]
import { readFileSync } from "node:fs";
import { basename } from "node:path";

const args = process.argv.slice(2);
const cases = args.includes("--cases");
const [labelsFile, ...runs] = args.filter((a) => a !== "--cases");
if (!labelsFile || runs.length === 0) {
  console.error("usage: score-labelled.mjs labels-NAME.json RUN.json... [--cases]");
  process.exit(2);
}
const labels = JSON.parse(readFileSync(labelsFile, "utf8")).cases;

for (const run of runs) {
  const r = JSON.parse(readFileSync(run, "utf8"));
  const byId = new Map(r.patches.map((p) => [basename(p.source).replace(/\.patch$/, ""), p.findings]));
  const missing = labels.filter((l) => !byId.has(l.id)).map((l) => l.id);
  let hazards = 0;
  let hit = 0;
  let infoOnly = 0;
  let negatives = 0;
  let warned = 0;
  let noted = 0;
  const lines = [];
  for (const l of labels) {
    const f = byId.get(l.id) ?? [];
    const loud = f.filter((x) => x.severity !== "info" && !x.preExisting);
    const quiet = f.filter((x) => x.severity === "info" || x.preExisting);
    const where = (xs) => xs.map((x) => `${x.severity} ${x.rule} ${x.file}:${x.line}`).join("; ");
    if (l.verdict === "hazard") {
      hazards++;
      if (loud.length > 0) hit++;
      else if (quiet.length > 0) infoOnly++;
      lines.push(`hazard ${loud.length > 0 ? "hit " : quiet.length > 0 ? "info" : "miss"} ${l.id} ${where(loud.length > 0 ? loud : quiet)}`);
    } else if (l.verdict === "none") {
      negatives++;
      if (loud.length > 0) {
        warned++;
        lines.push(`negative warned ${l.id} ${where(loud)}`);
      }
      if (quiet.length > 0) noted++;
    }
  }
  const pct = (a, b) => (b === 0 ? "-" : `${Math.round((100 * a) / b)}%`);
  console.log(
    `${run}: hazards ${hit}/${hazards} (${pct(hit, hazards)}) at warning or above, ${infoOnly} more with an info only; ` +
      `negatives with a warning ${warned}/${negatives} (${pct(warned, negatives)}), with an info ${noted}/${negatives}` +
      (missing.length > 0 ? `; ${missing.length} labelled mails not in the run` : ""),
  );
  if (cases) for (const l of lines) console.log(`  ${l}`);
}

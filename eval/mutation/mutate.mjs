#!/usr/bin/env node
// Mutation differential over a kernel tree: each mutant is a one-site patch of
// the tree's own code (its pre-image is exactly the tree), reviewed diff-only
// and with the tree. A review that knows more (the tree) should never say
// less than the diff-only review of the same patch: every case where it does
// is printed, to be read. Nothing of the kernel is written into the repository;
// the patches are made in memory from the tree given.
//
//   node eval/mutation/mutate.mjs --tree DIR [--mode nofs|wqflag|scope] [--step N] [--dirs "fs block ..."] [--json [--each]]
//
// Modes: nofs   GFP_NOFS/GFP_NOIO -> GFP_KERNEL on an allocation line (a relaxation)
//        wqflag WQ_MEM_RECLAIM dropped from an alloc_workqueue() call
//        scope  a memalloc_nofs/noio_save() line and its restore deleted
// --step N keeps every Nth candidate (default 1). --each adds every mutant's outcome in both modes to the JSON
// (to compare two builds mutant by mutant). Needs `npm run build` first.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values: opts } = parseArgs({ options: { tree: { type: "string" }, mode: { type: "string", default: "nofs" }, step: { type: "string", default: "1" }, dirs: { type: "string" }, json: { type: "boolean" }, each: { type: "boolean" } } });
if (!opts.tree) {
  console.error("usage: node eval/mutation/mutate.mjs --tree DIR [--mode nofs|wqflag|scope] [--step N] [--dirs \"fs block\"] [--json [--each]]");
  process.exit(2);
}
if (!["nofs", "wqflag", "scope"].includes(opts.mode)) {
  console.error(`--mode ${opts.mode}: not one of nofs, wqflag, scope`);
  process.exit(2);
}
const TREE = opts.tree;
const STEP = Math.max(1, Number(opts.step) || 1);
const DIRS = (opts.dirs ?? "fs block drivers/block drivers/md drivers/scsi drivers/nvme net/sunrpc mm").split(/\s+/).filter(Boolean);
const dist = join(root, "dist");
const { createTwoFilesPatch } = await import("diff");
const { parseInput } = await import(join(dist, "ingest/index.js"));
const { review, readyToReview } = await import(join(dist, "pipeline.js"));
const { loadKnowledge } = await import(join(dist, "knowledge/load.js"));
const { DEFAULT_CONFIG } = await import(join(dist, "config.js"));
const { openTreeSources } = await import(join(dist, "context/sources.js"));

const files = [];
const walk = (d) => {
  let entries;
  try {
    entries = readdirSync(join(TREE, d));
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(d, e);
    const st = statSync(join(TREE, p));
    if (st.isDirectory()) walk(p);
    else if (p.endsWith(".c")) files.push(p);
  }
};
for (const d of DIRS) walk(d);
files.sort();

/** The hunk header's section, as git's C funcname rule finds it: the nearest line above that starts with a letter and is no label. */
const section = (lines, from) => {
  for (let k = from; k >= 0; k--) if (/^[A-Za-z_$]/.test(lines[k] ?? "") && !/^[A-Za-z_]\w*:\s*($|\/[*/])/.test(lines[k])) return ` ${lines[k].slice(0, 80)}`;
  return "";
};

/** The mutated lines of one candidate site, or null. */
function mutate(lines, i) {
  const l = lines[i];
  if (/^\s*(\*|\/\/|#)/.test(l)) return null;
  if (opts.mode === "nofs") {
    if (!/\bGFP_NO(FS|IO)\b/.test(l) || !/alloc|kmemdup|kstrdup|get_free_page|bio_|mempool/.test(l)) return null;
    const after = [...lines];
    after[i] = l.replace(/\bGFP_NO(FS|IO)\b/, "GFP_KERNEL");
    return after;
  }
  if (opts.mode === "wqflag") {
    if (!/\bWQ_MEM_RECLAIM\b/.test(l) || !/alloc_(ordered_)?workqueue/.test(lines.slice(Math.max(0, i - 2), i + 1).join(" "))) return null;
    const after = [...lines];
    after[i] = l.replace(/\s*\|\s*WQ_MEM_RECLAIM\b|\bWQ_MEM_RECLAIM\s*\|\s*/, "");
    if (after[i] === l) after[i] = l.replace(/\bWQ_MEM_RECLAIM\b/, "0");
    return after;
  }
  const m = /^\s*(\w+)\s*=\s*memalloc_no(fs|io)_save\(\);/.exec(l);
  if (!m) return null;
  const j = lines.findIndex((x, k) => k > i && k < i + 300 && new RegExp(`memalloc_no${m[2]}_restore\\(\\s*${m[1]}\\s*\\)`).test(x));
  return j < 0 ? null : lines.filter((_, k) => k !== i && k !== j);
}

const mutants = [];
let n = 0;
for (const f of files) {
  const text = readFileSync(join(TREE, f), "utf8");
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const after = mutate(lines, i);
    if (!after || n++ % STEP !== 0) continue;
    const p = createTwoFilesPatch(`a/${f}`, `b/${f}`, text, after.join("\n"), "", "", { context: 3 });
    const body = p
      .split("\n")
      .slice(1)
      .map((h) => {
        const hm = /^@@ -(\d+)/.exec(h);
        return hm ? `${h}${section(lines, Number(hm[1]) - 2)}` : h;
      })
      .join("\n");
    mutants.push({ id: `${f}:${i + 1}`, text: `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: Mutant <mutant@example.org>\nSubject: [PATCH] mutant ${f}:${i + 1}\n\n---\ndiff --git a/${f} b/${f}\n${body}` });
  }
}
const kb = loadKnowledge();
const inputs = [];
for (const m of mutants) inputs.push({ m, input: await parseInput(Buffer.from(m.text), m.id) });
const sources = await openTreeSources(TREE);
await sources.prepare?.(inputs.flatMap((x) => x.input.patches));
await readyToReview();
const said = (r) => r.reviews.flatMap((x) => x.findings).filter((f) => !f.preExisting);
const level = (fs) => (fs.some((f) => f.severity !== "info") ? "W" : fs.length > 0 ? "i" : "-");
const tally = {};
const lessWithTree = [];
const each = [];
for (const { m, input } of inputs) {
  const d = said(review(input, null, DEFAULT_CONFIG, kb));
  const t = said(review(input, sources, DEFAULT_CONFIG, kb));
  const k = `diff ${level(d)} / tree ${level(t)}`;
  tally[k] = (tally[k] ?? 0) + 1;
  if (opts.each) each.push({ id: m.id, diff: level(d), tree: level(t), treeFindings: t.map((f) => `${f.severity} ${f.rule}: ${f.message.slice(0, 300)}`) });
  const rank = { "-": 0, i: 1, W: 2 };
  if (rank[level(t)] < rank[level(d)]) lessWithTree.push({ id: m.id, diff: d.map((f) => `${f.severity} ${f.rule}: ${f.message.slice(0, 200)}`), tree: t.map((f) => `${f.severity} ${f.rule}: ${f.message.slice(0, 200)}`) });
}
if (opts.json) console.log(JSON.stringify({ mode: opts.mode, mutants: mutants.length, tally, lessWithTree, ...(opts.each ? { each } : {}) }, null, 1));
else {
  console.log(`${mutants.length} mutants (${opts.mode}); outcome per mode (W warning+, i info only, - nothing):`);
  for (const [k, v] of Object.entries(tally).sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(20)} ${v}`);
  console.log(`the tree says less than the diff alone on ${lessWithTree.length}:`);
  for (const x of lessWithTree) console.log(`  ${x.id}\n    diff: ${x.diff[0] ?? "-"}\n    tree: ${x.tree[0] ?? "-"}`);
}

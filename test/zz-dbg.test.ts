import { it } from "vitest";
import { readFileSync } from "node:fs";
import { parseInput } from "../src/ingest/index.js";
import { reviewPatch } from "../src/engine.js";
import { DEFAULT_CONFIG } from "../src/config.js";
import { loadKnowledge } from "../src/knowledge/load.js";
import { reclaimAnalysis } from "../src/context/reclaim.js";
import { openTreeSources } from "../src/context/sources.js";
import { rule as n2k } from "../src/rules/gfp-context/nofs-to-kernel.js";
it("dbg", async () => {
  const input = await parseInput(readFileSync("/tmp/mut/one.patch"), "one.patch");
  const p = input.patches[0]!;
  const src = await openTreeSources("/work/kernel/linux-source-6.12");
  await src.prepare?.(input.patches);
  const dbg = { ...n2k, meta: { ...n2k.meta, id: "dbg" }, check(ctx: any) {
    const a = reclaimAnalysis(ctx);
    console.log("post", a.post().map((v) => `${v.name} whole=${v.whole} ${v.flow.start}-${v.flow.end} changed=${[...v.changed]}`), "pre", a.pre().map((v) => `${v.name} ${v.flow.start}-${v.flow.end} changed=${[...v.changed]} ev=${v.flow.events.map((e) => e.line + ":" + e.callee).join(",")}`));
    for (const s of a.allocations()) console.log(`${s.fn.name}:${s.at} ${s.ev.callee} mask=${s.mask.text} eff=${JSON.stringify(s.effective)} added=${s.added} relaxed=${JSON.stringify(a.relaxedFrom(s))} hazards=${JSON.stringify(s.hazards.map((h: any) => h.kind))}`);
    return [];
  } };
  reviewPatch(p, { rules: [dbg as any], config: DEFAULT_CONFIG, kb: loadKnowledge(), source: src.contextFor(p)! });
}, 60000);

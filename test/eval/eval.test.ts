import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatSummary, scoreCase, summarise, type Label } from "../../src/eval/score.js";
import type { Finding, PatchReview } from "../../src/types.js";

function finding(partial: Partial<Finding>): Finding {
  return {
    rule: "r",
    class: "gfp-context",
    severity: "warning",
    file: "fs/x.c",
    line: 3,
    message: "m",
    fingerprint: "0".repeat(16),
    citations: [],
    messageId: "m",
    why: "",
    fix: "",
    quote: "\tp = kmalloc(n, GFP_KERNEL);",
    function: null,
    ...partial,
  };
}
const reviewOf = (...findings: Finding[]) => [{ patch: {} as PatchReview["patch"], findings, errors: [] }];

describe("eval scoring", () => {
  const hazard: Label = { id: "h", kind: "positive", classes: ["gfp-context"], lines: ["fs/x.c:+p = kmalloc(n, GFP_KERNEL);"] };
  const topic: Label = { id: "t", kind: "positive", positive_type: "fix-or-topic", classes: ["gfp-context"] };
  const negative: Label = { id: "n", kind: "negative", classes: [] };

  it("needs warning+ in a listed class for a hazard, any finding for a topic", () => {
    expect(scoreCase(hazard, reviewOf(finding({ severity: "info" }))).outcome).toBe("miss");
    expect(scoreCase(hazard, reviewOf(finding({ class: "shrinker-io" }))).outcome).toBe("miss");
    const hit = scoreCase(hazard, reviewOf(finding({})));
    expect(hit.outcome).toBe("hit");
    expect(hit.lineHit).toBe(true);
    expect(scoreCase(hazard, reviewOf(finding({ quote: "other" }))).lineHit).toBe(false);
    expect(scoreCase(topic, reviewOf(finding({ severity: "info" }))).outcome).toBe("hit");
  });

  it("counts warnings on negatives as false positives and info as noise; pre-existing ones not at all", () => {
    expect(scoreCase(negative, reviewOf(finding({}))).outcome).toBe("false-positive");
    expect(scoreCase(negative, reviewOf(finding({ preExisting: true }))).outcome).toBe("clean");
    const noisy = scoreCase(negative, reviewOf(finding({ severity: "info" })));
    expect([noisy.outcome, noisy.infoNoise]).toEqual(["clean", 1]);
    const s = summarise([scoreCase(hazard, reviewOf(finding({}))), scoreCase(topic, []), noisy, scoreCase(negative, reviewOf(finding({})))]);
    expect(s.perClass["gfp-context"]).toEqual({ positives: 2, hits: 1, recall: 0.5 });
    expect([s.falsePositives, s.falsePositiveRate, s.infoNoiseRate]).toEqual([1, 0.5, 0.5]);
  });

  it("reports apart what counts when pre-existing findings count too", () => {
    const old = finding({ preExisting: true });
    const rs = [scoreCase(hazard, reviewOf(old)), scoreCase(negative, reviewOf(old)), scoreCase(negative, [])];
    expect(rs.map((r) => [r.outcome, r.withPreExisting])).toEqual([["miss", "hit"], ["clean", "false-positive"], ["clean", "clean"]]);
    const s = summarise(rs);
    expect([s.hazards.hits, s.falsePositives, s.withPreExisting]).toEqual([0, 0, { hazardHits: 1, falsePositives: 1 }]);
    expect(formatSummary(rs, s)).toContain("with pre-existing        hazards 1/1, false positives 1/2");
    const plain = [scoreCase(hazard, reviewOf(finding({})))];
    expect(formatSummary(plain, summarise(plain))).not.toContain("with pre-existing");
  });

  it("runs over a folder as npm run eval does", () => {
    const out = execFileSync(process.execPath, ["dist/eval/main.js", "test/fixtures/eval", "--json"], { encoding: "utf8" });
    const { summary, results } = JSON.parse(out);
    expect(results.map((r: { id: string }) => r.id)).toEqual(["ext4-mask", "mask-in-fuse", "plain-refactor"]);
    expect(summary.perClass["gfp-context"]).toEqual({ positives: 2, hits: 2, recall: 1 });
    expect(summary.lineHits).toEqual({ withLines: 1, hit: 1 });
    expect(summary.falsePositives).toBe(0);
  });

  it("separates hazard recall from topic recognition, per class", () => {
    const shrinkerHazard: Label = { id: "s", kind: "positive", classes: ["shrinker-io"] };
    const s = summarise([
      scoreCase(hazard, reviewOf(finding({}))),
      scoreCase(shrinkerHazard, reviewOf(finding({ class: "shrinker-io", severity: "info" }))),
      scoreCase(topic, reviewOf(finding({ severity: "info" }))),
    ]);
    expect(s.hazards).toEqual({ positives: 2, hits: 1, recall: 0.5 });
    expect(s.topics).toEqual({ positives: 1, hits: 1, recall: 1 });
    expect(s.perClassHazard).toEqual({ "gfp-context": { positives: 1, hits: 1, recall: 1 }, "shrinker-io": { positives: 1, hits: 0, recall: 0 } });
    expect(s.perClassTopic).toEqual({ "gfp-context": { positives: 1, hits: 1, recall: 1 } });
  });

  it("prints no case id when asked for aggregates only (a holdout)", () => {
    const results = [scoreCase({ ...hazard, id: "secret-case" }, reviewOf(finding({})))];
    expect(formatSummary(results, summarise(results))).toContain("secret-case");
    const aggregate = formatSummary(results, summarise(results), false);
    expect(aggregate).not.toContain("secret-case");
    expect(aggregate).toContain("hazard recall (warning+) 1/1 (100%)");
  });

  it("reads a labels file given apart from the folder", () => {
    const out = execFileSync(process.execPath, ["dist/eval/main.js", "test/fixtures/eval", "--labels", "test/fixtures/eval/labels.json", "--json"], { encoding: "utf8" });
    expect(JSON.parse(out).summary.cases).toBe(3);
    expect(() => execFileSync(process.execPath, ["dist/eval/main.js", "test/fixtures/eval", "--labels", "test/fixtures/eval/none.json"], { stdio: "pipe" })).toThrow(/no such labels file/);
  });

  it("reviews with a tree when given one, and says so when it is not a directory", () => {
    const tree = mkdtempSync(join(tmpdir(), "eval-tree-"));
    try {
      const out = execFileSync(process.execPath, ["dist/eval/main.js", "test/fixtures/eval", "--tree", tree, "--json"], { encoding: "utf8" });
      const { results } = JSON.parse(out);
      expect(results.map((r: { id: string; error?: string }) => [r.id, r.error ?? null])).toEqual([
        ["ext4-mask", null],
        ["mask-in-fuse", null],
        ["plain-refactor", null],
      ]);
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
    expect(() => execFileSync(process.execPath, ["dist/eval/main.js", "test/fixtures/eval", "--tree", "test/fixtures/eval/labels.json"], { stdio: "pipe" })).toThrow(/not a directory/);
  });
});

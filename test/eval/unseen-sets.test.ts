import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMBINED, SETS, completeCombined, selectSets, type SetName } from "../../src/eval/unseen-sets.js";

const ALL: SetName[] = ["dev", "holdout", "dev2", "holdout2", "dev3", "holdout3", "dev4", "holdout4", "dev5", "holdout5", "dev6", "holdout6", "dev7", "holdout7", "dev8", "holdout8"];

describe("unseen set wiring (npm run eval:unseen --set)", () => {
  it("selects one set, the third to eighth batch alone, or all sixteen in report order", () => {
    expect(selectSets()).toEqual(ALL);
    expect(selectSets("all")).toEqual(ALL);
    expect(selectSets("batch3")).toEqual(["dev3", "holdout3"]);
    expect(selectSets("batch4")).toEqual(["dev4", "holdout4"]);
    expect(selectSets("holdout4")).toEqual(["holdout4"]);
    expect(selectSets("batch5")).toEqual(["dev5", "holdout5"]);
    expect(selectSets("dev5")).toEqual(["dev5"]);
    expect(selectSets("batch6")).toEqual(["dev6", "holdout6"]);
    expect(selectSets("holdout6")).toEqual(["holdout6"]);
    expect(selectSets("batch7")).toEqual(["dev7", "holdout7"]);
    expect(selectSets("dev7")).toEqual(["dev7"]);
    expect(selectSets("batch8")).toEqual(["dev8", "holdout8"]);
    expect(selectSets("holdout8")).toEqual(["holdout8"]);
    expect(selectSets("dev3")).toEqual(["dev3"]);
    expect(selectSets("holdout2")).toEqual(["holdout2"]);
  });

  it("rejects any other name with the list of accepted ones, inherited object keys included", () => {
    for (const bad of ["batch9", "dev9", "toString", "constructor", ""])
      expect(() => selectSets(bad)).toThrow(
        /--set takes dev, holdout, dev2, holdout2, dev3, holdout3, dev4, holdout4, dev5, holdout5, dev6, holdout6, dev7, holdout7, dev8, holdout8, all, batch3, batch4, batch5, batch6, batch7, batch8/,
      );
  });

  it("prints only the holdouts in aggregate, and every set has its own labels file and data folder", () => {
    expect(Object.entries(SETS).filter(([, s]) => !s.perCase).map(([n]) => n)).toEqual(["holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6", "holdout7", "holdout8"]);
    expect(new Set(Object.values(SETS).map((s) => s.sub)).size).toBe(ALL.length);
    for (const [name, set] of Object.entries(SETS)) {
      expect(existsSync(set.labels), name).toBe(true);
      const labels = JSON.parse(readFileSync(set.labels, "utf8")) as { id: string; sha256: string }[];
      expect(labels.length, name).toBeGreaterThan(0);
      expect(new Set(labels.map((l) => l.id)).size, `${name}: ids unique`).toBe(labels.length);
      for (const l of labels) expect(l.sha256, `${name}/${l.id}`).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it("labels no case twice across the sixteen sets", () => {
    const seen = new Map<string, string>();
    for (const [name, set] of Object.entries(SETS))
      for (const l of JSON.parse(readFileSync(set.labels, "utf8")) as { id: string; source_url: string }[]) {
        expect(seen.get(l.source_url), `${name}/${l.id} repeats ${seen.get(l.source_url)}`).toBeUndefined();
        seen.set(l.source_url, `${name}/${l.id}`);
      }
  });

  it("prints a combined figure only when every set it joins was run", () => {
    for (const c of COMBINED) for (const s of c.sets) expect(ALL).toContain(s);
    expect(completeCombined(selectSets("all")).map((c) => c.name)).toEqual([
      "dev+dev2",
      "holdout+holdout2",
      "dev+dev2+dev3",
      "holdout+holdout2+holdout3",
      "dev+dev2+dev3+dev4",
      "holdout+holdout2+holdout3+holdout4",
      "dev1-5",
      "holdout1-5",
      "dev1-6",
      "holdout1-6",
      "dev1-7",
      "holdout1-7",
      "dev1-8",
      "holdout1-8",
    ]);
    expect(completeCombined(selectSets("batch3"))).toEqual([]);
    expect(completeCombined(selectSets("batch4"))).toEqual([]);
    expect(completeCombined(selectSets("batch5"))).toEqual([]);
    expect(completeCombined(selectSets("batch6"))).toEqual([]);
    expect(completeCombined(selectSets("batch7"))).toEqual([]);
    expect(completeCombined(selectSets("batch8"))).toEqual([]);
    expect(completeCombined(["dev", "dev2"]).map((c) => c.name)).toEqual(["dev+dev2"]);
  });

  it("runs --set batch3 over the third batch's folders only, and names the folder to fetch when one is missing", () => {
    const root = mkdtempSync(join(tmpdir(), "eval-unseen-"));
    try {
      const fail = spawnSync(process.execPath, ["dist/eval/unseen.js", root, "--set", "batch3", "--no-tree"], { encoding: "utf8" });
      expect(fail.status).toBe(2);
      expect(fail.stderr).toContain(`${join(root, "unseen-dev3")}: missing; run eval/unseen/fetch-unseen.py MIRRORS ${root} --set dev3`);
      // folders without patch texts: every case counts as not fetched, the report still has exactly the two sets
      mkdirSync(join(root, "unseen-dev3"));
      mkdirSync(join(root, "holdout3"));
      const out = execFileSync(process.execPath, ["dist/eval/unseen.js", root, "--set", "batch3", "--no-tree", "--json"], { encoding: "utf8" });
      const report = JSON.parse(out) as Record<string, Record<string, { summary: { cases: number }; results?: unknown[] }>>;
      expect(Object.keys(report)).toEqual(["dev3", "holdout3"]);
      expect(Object.keys(report.dev3)).toEqual(["diff-only"]);
      expect(report.dev3["diff-only"].summary.cases).toBe(0);
      expect(report.dev3["diff-only"].results).toEqual([]);
      expect(report.holdout3["diff-only"].results).toBeUndefined();
      const bad = spawnSync(process.execPath, ["dist/eval/unseen.js", root, "--set", "batch9", "--no-tree"], { encoding: "utf8" });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/--set takes .*batch3/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  // The sixth batch has three hazards whose patch only removes a reclaim
  // protection (no added line can carry the finding); their notes say so.
  it.each([
    ["fourth", ["dev4", "holdout4"], false],
    ["fifth", ["dev5", "holdout5"], false],
    ["sixth", ["dev6", "holdout6"], true],
    ["seventh", ["dev7", "holdout7"], false],
    ["eighth", ["dev8", "holdout8"], false],
  ] as const)("labels every hazard of the %s batch with its evidence and an added line, and keeps linked cases in one set", (_batch, names, removalOnly) => {
    const byId = new Map<string, { set: string; kind: string }>();
    for (const name of names)
      for (const l of JSON.parse(readFileSync(SETS[name].labels, "utf8")) as {
        id: string;
        kind: string;
        positive_type?: string;
        lines?: string[];
        notes: string;
        evidence: Record<string, unknown>;
        related: string[];
      }[]) {
        byId.set(l.id, { set: name, kind: l.kind });
        if (l.kind === "positive" && l.positive_type !== "fix-or-topic") {
          if (removalOnly && l.lines?.length === 0) expect(l.notes, l.id).toMatch(/lines empty/);
          else expect(l.lines?.length, l.id).toBeGreaterThan(0);
          for (const line of l.lines ?? []) expect(line, l.id).toMatch(/^[\w./-]+:\+\S/);
          expect(Object.keys(l.evidence).some((k) => k === "fix" || k === "pushback"), l.id).toBe(true);
        }
      }
    for (const name of names)
      for (const l of JSON.parse(readFileSync(SETS[name].labels, "utf8")) as { id: string; related: string[] }[])
        for (const r of l.related) expect(byId.get(r)?.set, `${l.id} -> ${r}`).toBe(name);
  });

  it.each([
    ["batch4", "dev4", "holdout4", "unseen-dev4"],
    ["batch5", "dev5", "holdout5", "unseen-dev5"],
    ["batch6", "dev6", "holdout6", "unseen-dev6"],
    ["batch7", "dev7", "holdout7", "unseen-dev7"],
    ["batch8", "dev8", "holdout8", "unseen-dev8"],
  ] as const)("runs --set %s over that batch's folders only", (batch, dev, holdout, devSub) => {
    const root = mkdtempSync(join(tmpdir(), `eval-${batch}-`));
    try {
      const fail = spawnSync(process.execPath, ["dist/eval/unseen.js", root, "--set", batch, "--no-tree"], { encoding: "utf8" });
      expect(fail.status).toBe(2);
      expect(fail.stderr).toContain(`${join(root, devSub)}: missing; run eval/unseen/fetch-unseen.py MIRRORS ${root} --set ${dev}`);
      mkdirSync(join(root, devSub));
      mkdirSync(join(root, holdout));
      const out = execFileSync(process.execPath, ["dist/eval/unseen.js", root, "--set", batch, "--no-tree", "--json"], { encoding: "utf8" });
      const report = JSON.parse(out) as Record<string, Record<string, { summary: { cases: number }; results?: unknown[] }>>;
      expect(Object.keys(report)).toEqual([dev, holdout]);
      expect(report[dev]["diff-only"].results).toEqual([]);
      expect(report[holdout]["diff-only"].results).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

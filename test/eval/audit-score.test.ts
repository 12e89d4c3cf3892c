import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditOutput, FixedSites, Judgement, auditWarnings, formatAuditScore, formatFixedScore, scoreAudit, scoreFixedSites, type AuditFinding } from "../../src/eval/audit-score.js";

const judgement: Judgement = {
  tree: "a made-up tree",
  command: "reclaim-review audit --tree <tree>",
  judged: "by reading",
  findings: [
    { file: "drivers/block/zeta.c", line: 120, function: "zeta_add_socket", rule: "alloc-while-holding", verdict: "real", why: "queue frozen across kzalloc(GFP_KERNEL)" },
    { file: "drivers/block/zeta.c", line: 131, function: "zeta_add_socket", rule: "alloc-while-holding", verdict: "false", why: "the queue has no disk yet" },
    { file: "drivers/scsi/omega.c", line: 77, function: "omega_reset", rule: "gfp-kernel-in-io-path", verdict: "unsure", why: "not settled" },
    { file: "fs/kappa/super.c", line: 9, function: "kappa_evict", rule: "shrinker-blocking", verdict: "real", why: "waits on writeback" },
  ],
};

const fixed: FixedSites = {
  tree: "a made-up tree",
  how: "made up for this test",
  sites: [
    { fix: "zeta: allocate before freezing", date: "2026-01-01", list: "linux-block", link: "https://lore.kernel.org/r/zeta@example.org", file: "drivers/block/zeta.c", line: 118, function: "zeta_add_socket", warnAt: [{ file: "drivers/block/zeta.c", line: 118 }, { file: "drivers/block/zeta.c", line: 120 }], why: "the queue is frozen" },
    { fix: "omega: no debugfs under the freeze", date: "2026-01-02", list: "linux-block", link: "https://lore.kernel.org/r/omega@example.org", file: "block/omega.c", line: 40, function: "omega_add", warnAt: [{ file: "block/omega-debugfs.c", line: 12 }], why: "registration allocates" },
  ],
};

const out = (findings: { rule: string; severity: string; file?: string | null; line?: number | null; message: string }[], path = "drivers/block/zeta.c"): AuditOutput => ({
  files: [{ path, findings }],
});

describe("audit scoring against the judgement (npm run eval:audit)", () => {
  it("counts each warning by its judged verdict, lists the ones no row covers and the rows no warning matches", () => {
    const found: AuditFinding[] = [
      { file: "drivers/block/zeta.c", line: 120, rule: "alloc-while-holding", message: "m1" },
      { file: "drivers/block/zeta.c", line: 131, rule: "alloc-while-holding", message: "m2" },
      { file: "drivers/scsi/omega.c", line: 77, rule: "gfp-kernel-in-io-path", message: "m3" },
      // the same place under another rule is not the judged finding
      { file: "fs/kappa/super.c", line: 9, rule: "alloc-while-holding", message: "m4" },
    ];
    const s = scoreAudit(found, judgement);
    expect({ warnings: s.warnings, real: s.real, false: s.false, unsure: s.unsure }).toEqual({ warnings: 4, real: 1, false: 1, unsure: 1 });
    expect(s.unjudged.map((f) => `${f.file}:${f.line}`)).toEqual(["fs/kappa/super.c:9"]);
    expect(s.gone.map((r) => r.rule)).toEqual(["shrinker-blocking"]);
    expect(s.precision).toBeCloseTo(1 / 4);
    expect(s.decidedPrecision).toBeCloseTo(1 / 2);
    const text = formatAuditScore(s);
    expect(text).toContain("warnings 4: 1 real, 1 false, 1 unsure, 1 not judged yet");
    expect(text).toContain("precision 25% of all warnings (unsure and unjudged count against it), 50% of the decided");
    expect(text).toMatch(/not judged yet[^\n]*\n  fs\/kappa\/super\.c:9 alloc-while-holding: m4/);
    expect(text).toMatch(/no longer reported:\n  fs\/kappa\/super\.c:9 shrinker-blocking \(real\) kappa_evict/);
  });

  it("reads warnings and errors of the audit's JSON once each, skips infos, and refuses a warning without a line", () => {
    const w = auditWarnings(
      out([
        { rule: "alloc-while-holding", severity: "warning", file: "drivers/block/zeta.c", line: 120, message: "a" },
        { rule: "alloc-while-holding", severity: "warning", file: "drivers/block/zeta.c", line: 120, message: "a again" },
        { rule: "unbalanced-scope", severity: "error", line: 5, message: "b" },
        { rule: "nofs-to-kernel", severity: "info", line: 7, message: "c" },
      ]),
    );
    expect(w.map((f) => `${f.file}:${f.line} ${f.rule}`)).toEqual(["drivers/block/zeta.c:120 alloc-while-holding", "drivers/block/zeta.c:5 unbalanced-scope"]);
    expect(() => auditWarnings(out([{ rule: "alloc-while-holding", severity: "warning", line: null, message: "x" }]))).toThrow(/without a line/);
  });

  it("counts a fixed-upstream site as warned when a warning sits on one of its places, whatever the rule", () => {
    const found: AuditFinding[] = [
      { file: "drivers/block/zeta.c", line: 120, rule: "alloc-while-holding", message: "inside the call the fix moves" },
      { file: "block/omega-debugfs.c", line: 13, rule: "alloc-while-holding", message: "one line off" },
    ];
    const s = scoreFixedSites(found, fixed);
    expect([s.sites, s.warned]).toEqual([2, 1]);
    expect(s.missed.map((m) => m.function)).toEqual(["omega_add"]);
    expect(formatFixedScore(s)).toBe("fixed upstream after the tree's release: 1/2 sites warned\n  not warned: block/omega.c:40 omega_add() (omega: no debugfs under the freeze)\n");
  });

  it("the committed fixed-upstream sites of linux-6.12 are well formed, each with a lore link and a place to warn", () => {
    const f = FixedSites.parse(JSON.parse(readFileSync(join(__dirname, "..", "..", "eval", "audit", "fixed-after-6.12.json"), "utf8")));
    expect(f.sites.length).toBeGreaterThan(0);
    for (const x of f.sites) expect(x.link).toMatch(/^https:\/\/lore\.kernel\.org\/r\//);
  });

  it("the committed linux-6.12 judgement is well formed: one row per finding, a reason for each", () => {
    const j = Judgement.parse(JSON.parse(readFileSync(join(__dirname, "..", "..", "eval", "audit", "linux-6.12.json"), "utf8")));
    const keys = j.findings.map((r) => `${r.file}:${r.line} ${r.rule}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(j.findings.filter((r) => r.verdict === "real").length).toBeGreaterThanOrEqual(20);
    for (const r of j.findings) expect(r.why.length).toBeGreaterThan(20);
  });

  it("the command scores a saved audit output and says what is wrong with a bad one", () => {
    const dir = mkdtempSync(join(tmpdir(), "rr-audit-score-"));
    try {
      const j = join(dir, "j.json");
      writeFileSync(j, JSON.stringify(judgement));
      const fx = join(dir, "f.json");
      writeFileSync(fx, JSON.stringify(fixed));
      const a = join(dir, "a.json");
      writeFileSync(a, JSON.stringify(out([{ rule: "alloc-while-holding", severity: "warning", file: "drivers/block/zeta.c", line: 120, message: "a" }])));
      const script = join(__dirname, "..", "..", "dist", "eval", "audit.js");
      const ok = spawnSync(process.execPath, [script, a, "--judgement", j, "--fixed", fx], { encoding: "utf8" });
      expect(ok.status).toBe(0);
      expect(ok.stdout).toContain("warnings 1: 1 real, 0 false, 0 unsure, 0 not judged yet");
      expect(ok.stdout).toMatch(/no longer reported:\n(  .*\n){3}/);
      expect(ok.stdout).toContain("fixed upstream after the tree's release: 1/2 sites warned\n  not warned: block/omega.c:40 omega_add()");
      writeFileSync(a, JSON.stringify({ files: [{ path: "x.c" }] }));
      const bad = spawnSync(process.execPath, [script, a, "--judgement", j, "--fixed", fx], { encoding: "utf8" });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/^eval:audit: .*findings/s);
      const usage = spawnSync(process.execPath, [script], { encoding: "utf8" });
      expect(usage.status).toBe(2);
      expect(usage.stderr).toContain("usage: npm run eval:audit");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

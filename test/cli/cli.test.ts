// The CLI contract of DESIGN.md, through the built binary: exit codes 0/1/2,
// stdin, one-line errors, --fail-on, --config, --max-bytes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const BIN = join(process.cwd(), "bin", "reclaim-review.js");
const tmp = mkdtempSync(join(tmpdir(), "rr-cli-"));

function cli(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const MASK_PATCH = [
  "diff --git a/fs/fooish/inode.c b/fs/fooish/inode.c",
  "--- a/fs/fooish/inode.c",
  "+++ b/fs/fooish/inode.c",
  "@@ -1,3 +1,4 @@ void fooish_set_aops(struct inode *inode)",
  " {",
  " \tinode->i_mapping->a_ops = &fooish_aops;",
  "+\tmapping_set_gfp_mask(inode->i_mapping, GFP_NOFS);",
  " }",
  "",
].join("\n");

const CLEAN_PATCH = MASK_PATCH.replace("mapping_set_gfp_mask(inode->i_mapping, GFP_NOFS);", "inode->i_flags |= S_NOATIME;");

function noStack(err: string) {
  expect(err).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  expect(err.trim().split("\n").length).toBeLessThanOrEqual(2);
}

describe("reclaim-review CLI", () => {
  beforeAll(() => {
    writeFileSync(join(tmp, "mask.patch"), MASK_PATCH);
    writeFileSync(join(tmp, "clean.patch"), CLEAN_PATCH);
  });

  it("exits 1 on a warning (default --fail-on warning) and 0 on a clean patch", () => {
    const hit = cli(["review", "--format", "json", join(tmp, "mask.patch")]);
    expect(hit.code).toBe(1);
    const doc = JSON.parse(hit.out);
    expect(doc.tool).toBe("reclaim-review");
    expect(doc.patches[0].findings[0].rule).toBe("mapping-gfp-mask");
    expect(doc.patches[0].findings[0].line).toBe(3);
    expect(cli(["review", join(tmp, "clean.patch")]).code).toBe(0);
  });

  it("honours --fail-on", () => {
    expect(cli(["review", "--fail-on", "error", join(tmp, "mask.patch")]).code).toBe(0);
    expect(cli(["review", "--fail-on", "never", join(tmp, "mask.patch")]).code).toBe(0);
    expect(cli(["review", "--fail-on", "info", join(tmp, "mask.patch")]).code).toBe(1);
    const bad = cli(["review", "--fail-on", "sometimes", join(tmp, "mask.patch")]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--fail-on/);
  });

  it("reads stdin with no FILE and with -", () => {
    expect(cli(["review", "--format", "json"], MASK_PATCH).code).toBe(1);
    const r = cli(["review", "--format", "json", "-"], MASK_PATCH);
    expect(JSON.parse(r.out).patches[0].source).toBe("<stdin>");
  });

  it("gives exit 2 and one line for bad input, never a stack trace", () => {
    const cases: [string | Buffer, RegExp][] = [
      ["", /empty/],
      ["Hello, this is not a patch at all.\n", /not a patch/],
      [MASK_PATCH.replace(" }\n", ""), /truncated|miscounted/],
    ];
    for (const [input, re] of cases) {
      const r = cli(["review"], input);
      expect(r.code, String(input).slice(0, 40)).toBe(2);
      expect(r.err).toMatch(re);
      noStack(r.err);
    }
    const missing = cli(["review", join(tmp, "nope.patch")]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no such file/);
  });

  it("enforces --max-bytes", () => {
    const r = cli(["review", "--max-bytes", "100", join(tmp, "mask.patch")]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/over the limit/);
    noStack(r.err);
  });

  it("applies a config file and names a wrong key", () => {
    const off = join(tmp, "off.yml");
    writeFileSync(off, "rules:\n  mapping-gfp-mask: off\n");
    expect(cli(["review", "--config", off, join(tmp, "mask.patch")]).code).toBe(0);
    const sev = join(tmp, "sev.yml");
    writeFileSync(sev, "rules:\n  mapping-gfp-mask: error\n");
    const r = cli(["review", "--format", "json", "--config", sev, join(tmp, "mask.patch")]);
    expect(JSON.parse(r.out).patches[0].findings[0].severity).toBe("error");
    const exclude = join(tmp, "exclude.yml");
    writeFileSync(exclude, "paths:\n  exclude: ['fs/fooish/**']\n");
    expect(cli(["review", "--config", exclude, join(tmp, "mask.patch")]).code).toBe(0);
    const bad = join(tmp, "bad.yml");
    writeFileSync(bad, "rules:\n  no-such-rule: off\n");
    const e = cli(["review", "--config", bad, join(tmp, "mask.patch")]);
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/rules\.no-such-rule/);
    const typo = join(tmp, "typo.yml");
    writeFileSync(typo, "rulez: {}\n");
    const t = cli(["review", "--config", typo, join(tmp, "mask.patch")]);
    expect(t.code).toBe(2);
    noStack(t.err);
  });

  it("rejects unknown commands, formats and options with exit 2", () => {
    expect(cli(["frobnicate"]).code).toBe(2);
    expect(cli(["review", "--format", "xml", join(tmp, "mask.patch")]).code).toBe(2);
    const r = cli(["review", "--no-such-option", join(tmp, "mask.patch")]);
    expect(r.code).toBe(2);
    noStack(r.err);
    expect(cli(["--version"]).out).toMatch(/^reclaim-review \d+\.\d+\.\d+/);
  });

  it("reviews every input file and names the one that is bad", () => {
    const bad = join(tmp, "bad.patch");
    writeFileSync(bad, "just words\n");
    const r = cli(["review", "--format", "json", join(tmp, "mask.patch"), bad]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("bad.patch");
    expect(JSON.parse(r.out).patches).toHaveLength(1);
  });
});

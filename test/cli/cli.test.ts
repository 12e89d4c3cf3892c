// The CLI contract of DESIGN.md, through the built binary: exit codes 0/1/2,
// stdin, one-line errors, --fail-on, --config, --max-bytes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { main, type Io } from "../../src/cli/main.js";
import { ALL_RULES } from "../../src/rules/index.js";
import { throwingRule } from "../helpers/throwing-rule.js";

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
      // a + line lost: real damage (a lost trailing context line is not, see below)
      [MASK_PATCH.replace("+\tmapping_set_gfp_mask(inode->i_mapping, GFP_NOFS);\n", ""), /truncated|miscounted/],
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
    // no rule reads options: setting one is refused by name, not silently ignored
    const opts = join(tmp, "opts.yml");
    writeFileSync(opts, "rules:\n  mapping-gfp-mask:\n    severity: error\n    options: { strict: true }\n");
    const o = cli(["review", "--config", opts, join(tmp, "mask.patch")]);
    expect(o.code).toBe(2);
    expect(o.err).toBe(`reclaim-review: ${opts}: rules.mapping-gfp-mask.options: rule "mapping-gfp-mask" takes no options (only enabled and severity can be set)\n`);
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

/**
 * examples/xfs-sync-wq-mem-reclaim.patch as a patch archive's web page shows
 * it (and as it is pasted from there): the commit message, then the diff with
 * the page's two spaces before the hunk section, its last (blank) context
 * line lost with the page's trailing whitespace, and no mail headers or
 * signature.
 */
function asWebPage(patch: string): string {
  const body = patch.slice(patch.indexOf("\n\n") + 2);
  const at = body.indexOf("\ndiff --git ") + 1;
  const diff = body.slice(at, body.indexOf("\n-- \n") + 1).replace(/^(@@ [^@]+ @@) /m, "$1  ").replace(/\n \n$/, "\n");
  return body.slice(0, at) + diff;
}

describe("a patch as a web page shows it", () => {
  const page = asWebPage(readFileSync(join(process.cwd(), "examples/xfs-sync-wq-mem-reclaim.patch"), "utf8"));

  it("is reviewed (exit 1, the WQ_MEM_RECLAIM warning: the flag silences the quoted flush warning) with a note that its hunk was recounted, in every format", () => {
    expect(page).not.toMatch(/^(From|Subject|Message-ID): /m);
    expect(page).toMatch(/^@@ -9,7 \+9,8 @@  xfs_init_mount_workqueues\($/m);
    expect(page.endsWith("\t\tgoto out_destroy_buf;\n")).toBe(true);
    const file = join(tmp, "xfs-page.txt");
    writeFileSync(file, page);
    const at = page.split("\n").findIndex((l) => l.startsWith("@@ ")) + 1;
    const note = `hunk 1 of fs/xfs/xfs_super.c (@@ -9,7 +9,8 @@ at line ${at}) recounted: 6 of 7 old lines present, 7 of 8 new (1 trailing context line missing)`;

    const text = cli(["review", file]);
    expect(text.code, text.err).toBe(1);
    expect(text.err).toBe("");
    expect(text.out).toMatch(/^WARNING:wq-mem-reclaim-added: /m);
    expect(text.out).toMatch(/^#\d+: FILE: fs\/xfs\/xfs_super.c:12:$/m);
    expect(text.out).toContain(`note: ${note}`);

    const json = JSON.parse(cli(["review", "--format", "json", file]).out);
    const p = json.patches[0];
    expect(p.findings.map((f: { rule: string; class: string; severity: string }) => [f.rule, f.class, f.severity])).toContainEqual(["wq-mem-reclaim-added", "workqueue-reclaim", "warning"]);
    expect(p.findings.map((f: { rule: string }) => f.rule)).toContain("flush-warning-quoted");
    expect(p.notes).toEqual([note]);

    const sarif = JSON.parse(cli(["review", "--format", "sarif", file]).out);
    expect(sarif.runs[0].invocations[0].toolExecutionNotifications).toContainEqual({ level: "note", message: { text: `${file}: ${note}` } });
    for (const format of ["markdown", "email", "b4"]) expect(cli(["review", "--format", format, file]).out, format).toContain("recounted: 6 of 7 old lines present");
  });
});

describe("a rule that throws", () => {
  const boom = throwingRule;

  async function run(args: string[], input: string) {
    let out = "";
    let err = "";
    const io: Io = {
      stdout: (s) => void (out += s),
      stderr: (s) => void (err += s),
      readStdin: async () => Buffer.from(input),
      stdinIsTTY: false,
      stdoutIsTTY: false,
    };
    const code = await main(args, io, [...ALL_RULES, boom]);
    return { code, out, err };
  }

  it("makes review exit 2 after printing the other findings, and is listed in JSON and SARIF", async () => {
    const text = await run(["review"], MASK_PATCH);
    expect(text.code).toBe(2);
    expect(text.out).toMatch(/^WARNING:mapping-gfp-mask: /m);
    expect(text.err).toBe("reclaim-review: rule always-throws failed on <stdin>: cannot read properties of undefined (reading 'hunks')\n");
    // --fail-on never does not hide it: the verdict of that rule is unknown
    expect((await run(["review", "--fail-on", "never"], CLEAN_PATCH)).code).toBe(2);

    const json = await run(["review", "--format", "json"], MASK_PATCH);
    expect(json.code).toBe(2);
    const doc = JSON.parse(json.out);
    expect(doc.patches[0].findings.map((f: { rule: string }) => f.rule)).toEqual(["mapping-gfp-mask"]);
    expect(doc.patches[0].errors).toEqual([{ rule: "always-throws", message: "cannot read properties of undefined (reading 'hunks')" }]);

    const sarif = JSON.parse((await run(["review", "--format", "sarif"], MASK_PATCH)).out);
    const inv = sarif.runs[0].invocations[0];
    expect(inv.executionSuccessful).toBe(false);
    expect(inv.toolExecutionNotifications).toContainEqual(expect.objectContaining({ level: "error", associatedRule: { id: "always-throws" } }));
    expect(sarif.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toEqual(["mapping-gfp-mask"]);
  });
});

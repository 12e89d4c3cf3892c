import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import AjvDraft04Module from "ajv-draft-04";
import { docsUrl } from "../../src/render/common.js";
import { describe, expect, it } from "vitest";
import { render } from "../../src/render/index.js";
import { toSarif } from "../../src/render/sarif.js";
import type { ReviewResult } from "../../src/types.js";
import { findings, mainPatch, metas, patch, result } from "./fixture.js";

// The official SARIF 2.1.0 schema (rtm.5, JSON Schema draft-04) as shipped in
// the @microsoft/jest-sarif package.
const require = createRequire(import.meta.url);
const schemaPath = require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
const schema = JSON.parse(readFileSync(schemaPath, "utf8"));
// unicodeRegExp: false because one pattern in that schema (language) is not
// valid with the "u" flag; formats are not checked (no ajv-formats for draft-04).
// the package is CommonJS: module.exports is the class and so is its .default, which is what the types know
const AjvDraft04 = AjvDraft04Module.default;
const ajv = new AjvDraft04({ allErrors: true, strict: false, validateFormats: false, unicodeRegExp: false });
const validate = ajv.compile(schema);

function valid(doc: unknown): void {
  const ok = validate(doc);
  expect(ok, ajv.errorsText(validate.errors)).toBe(true);
}

type Json = Record<string, any>;

describe("sarif format", () => {
  const text = render(result, "sarif", { rules: metas });
  const doc = JSON.parse(text) as Json;
  const run = doc.runs[0] as Json;

  it("matches the reviewed golden file", async () => {
    await expect(text).toMatchFileSnapshot("../fixtures/render/sarif.txt");
  });

  it("is valid SARIF 2.1.0 by the official schema", () => {
    expect(schema.title).toMatch(/SARIF\) Version 2\.1\.0/);
    valid(doc);
    expect(doc.version).toBe("2.1.0");
    expect(doc.runs).toHaveLength(1);
  });

  it("rejects what the schema forbids (the validator is really checking)", () => {
    const broken = structuredClone(doc);
    broken.runs[0].results[1].level = "warn";
    expect(validate(broken)).toBe(false);
  });

  it("describes the tool and each rule used, with help and citations", () => {
    const driver = run.tool.driver;
    expect(driver).toMatchObject({ name: "reclaim-review", version: "0.1.0" });
    // the project page only when package.json names one; never a made-up address
    if (docsUrl()) expect(driver.informationUri).toBe(docsUrl());
    else expect(driver.informationUri).toBeUndefined();
    expect(driver.rules.map((r: Json) => r.id)).toEqual(["lockdep-splat-in-message", "mapping-gfp-mask", "shrinker-waits-on-io", "wq-mem-reclaim-added"]);
    const shrinker = driver.rules.find((r: Json) => r.id === "shrinker-waits-on-io");
    expect(shrinker.shortDescription.text).toBe("A shrinker callback that waits on IO");
    expect(shrinker.fullDescription.text).toContain("Shrinkers run in reclaim");
    expect(shrinker.help.text).toContain('commit 70704c33db84 ("dm bufio: do buffer cleanup from a workqueue")');
    expect(shrinker.help.markdown).toContain("](https://lore.kernel.org/linux-fsdevel/20190809215733.GZ7777@dread.disaster.area/)");
    expect(shrinker.properties.tags).toContain("shrinker-io");
    expect(shrinker.defaultConfiguration.level).toBe("error");
  });

  it("maps severities, rule indexes, locations and fingerprints", () => {
    const results = run.results as Json[];
    expect(results.map((r) => r.level)).toEqual(["note", "warning", "error", "warning"]);
    for (const r of results) expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
    expect(results.map((r) => r.partialFingerprints.primaryLocationLineHash)).toEqual(findings.map((f) => f.fingerprint));
    const shrink = results[2]!;
    expect(shrink.locations[0].physicalLocation.artifactLocation.uri).toBe("drivers/block/fooblk/cache.c");
    expect(shrink.locations[0].physicalLocation.region.startLine).toBe(824);
    expect(shrink.message.text).toContain("via fooblk_shrink_scan -> fooblk_write_buf -> wait_on_bit_io");
    expect(results[3]!.baselineState).toBe("unchanged");
    expect(results[1]!.baselineState).toBe("new");
  });

  it("puts a patch-level finding on the first changed line of the first file", () => {
    const r = run.results[0] as Json;
    expect(r.message.text).toMatch(/^Commit message: /);
    expect(r.locations[0].physicalLocation.artifactLocation.uri).toBe("drivers/block/fooblk/cache.c");
    expect(r.locations[0].physicalLocation.region.startLine).toBe(573);
    expect(r.properties.patchLevel).toBe(true);
  });

  it("leaves a patch-level finding without location when the patch has no text file, still valid", () => {
    const bare: ReviewResult = {
      ...result,
      reviews: [{ patch: patch({ subject: "docs only", files: [] }), findings: [findings[0]!], errors: [] }],
      covers: [],
      problems: [],
    };
    const d = toSarif(bare, { rules: metas }) as Json;
    valid(d);
    expect(d.runs[0].results[0].locations).toBeUndefined();
    expect(d.runs[0].invocations[0].executionSuccessful).toBe(true);
  });

  it("reports rule failures and input problems as tool notifications", () => {
    const n = run.invocations[0].toolExecutionNotifications as Json[];
    expect(run.invocations[0].executionSuccessful).toBe(false);
    expect(n[0]).toMatchObject({ level: "error", associatedRule: { id: "stacked-io-loop" } });
    expect(n[1].message.text).toBe("fooblk.mbox#3: no diff in this message");
    // how a patch was read (a skipped binary file, a recounted hunk) is said too
    expect(n[2]).toEqual({ level: "note", message: { text: "fooblk.mbox#1: binary file firmware/fooblk.bin skipped" } });
  });

  it("falls back to the finding's own words for a rule it has no metadata for, and uses the registry by default", () => {
    const d = toSarif({ ...result, reviews: [{ patch: mainPatch, findings: [findings[2]!], errors: [] }] }, { rules: [] }) as Json;
    valid(d);
    const rule = d.runs[0].tool.driver.rules[0];
    expect(rule.shortDescription.text).toBe(findings[2]!.message);
    expect(rule.help.text).toContain(findings[2]!.fix);
    // default: the registered rules' metadata (mapping-gfp-mask is registered)
    const reg = JSON.parse(render({ ...result, reviews: [{ patch: mainPatch, findings: [findings[3]!], errors: [] }] }, "sarif")) as Json;
    valid(reg);
    expect(reg.runs[0].tool.driver.rules[0].shortDescription.text).toMatch(/^mapping_set_gfp_mask\(\)/);
  });
});

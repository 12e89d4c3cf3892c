import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { parsePatchText } from "../../src/ingest/index.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { review } from "../../src/pipeline.js";
import { render } from "../../src/render/index.js";
import { REVIEW_JSON_SCHEMA } from "../../src/render/json-schema.js";
import { rule as mappingGfpMask } from "../../src/rules/gfp-context/mapping-gfp-mask.js";
import { formatPatch } from "../helpers/patch.js";
import { result } from "./fixture.js";

const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(REVIEW_JSON_SCHEMA);

function check(doc: unknown): void {
  const ok = validate(doc);
  expect(ok, ajv.errorsText(validate.errors)).toBe(true);
}

describe("json format", () => {
  it("validates against its schema on the hand-written result", () => {
    check(JSON.parse(render(result, "json")));
  });

  it("validates against its schema on real pipeline output", () => {
    const before = "static void barfs_set_aops(struct inode *inode)\n{\n\tinode->i_mapping->a_ops = &barfs_aops;\n}\n";
    const after = before.replace("aops;\n", "aops;\n\tmapping_set_gfp_mask(inode->i_mapping, mapping_gfp_mask(inode->i_mapping) & ~__GFP_FS);\n");
    const text = formatPatch({ subject: "barfs: keep reclaim out of the mapping", files: [{ path: "fs/barfs/inode.c", before, after }] });
    const parsed = parsePatchText(text, "barfs.patch");
    const res = review(parsed, null, DEFAULT_CONFIG, loadKnowledge(), [mappingGfpMask]);
    const doc = JSON.parse(render(res, "json"));
    check(doc);
    expect(doc.patches[0].findings).toHaveLength(1);
    expect(doc.patches[0].findings[0]).toMatchObject({ rule: "mapping-gfp-mask", class: "gfp-context", file: "fs/barfs/inode.c", line: 4 });
  });

  it("keeps the contract's field names and types", () => {
    const doc = JSON.parse(render(result, "json"));
    expect(Object.keys(doc)).toEqual(["tool", "version", "patches", "problems"]);
    const p = doc.patches[0];
    expect(Object.keys(p)).toEqual(["source", "subject", "messageId", "files", "findings", "notes", "errors"]);
    expect(p.files).toEqual(["drivers/block/fooblk/cache.c", "fs/foofs/inode.c", "firmware/fooblk.bin"]);
    const [patchLevel, line, , old] = p.findings;
    expect(Object.keys(line)).toEqual(["rule", "class", "severity", "file", "line", "message", "fingerprint", "citations"]);
    expect(patchLevel.file).toBeNull();
    expect(patchLevel.line).toBeNull();
    expect(line.citations[0]).toEqual({
      id: "dm-bufio-workqueue-2020",
      title: "dm bufio: do buffer cleanup from a workqueue",
      url: "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=70704c33db841d847b16d8ae7e29ae3b8a479e75",
      commit: "70704c33db84",
    });
    expect(old.preExisting).toBe(true);
    expect("preExisting" in line).toBe(false);
    // renderer-only fields stay out of the contract
    for (const k of ["why", "fix", "quote", "function", "messageId", "chain"]) expect(k in line).toBe(false);
  });

  it("rejects documents that break the contract", () => {
    const doc = JSON.parse(render(result, "json"));
    const renamed = structuredClone(doc);
    renamed.patches[0].findings[1].path = renamed.patches[0].findings[1].file;
    delete renamed.patches[0].findings[1].file;
    expect(validate(renamed)).toBe(false);
    const badSeverity = structuredClone(doc);
    badSeverity.patches[0].findings[1].severity = "note";
    expect(validate(badSeverity)).toBe(false);
    const lineWithoutFile = structuredClone(doc);
    lineWithoutFile.patches[0].findings[0].line = 3;
    expect(validate(lineWithoutFile)).toBe(false);
  });
});

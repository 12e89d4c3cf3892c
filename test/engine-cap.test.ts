// The engine keeps at most MAX_FINDINGS_PER_RULE findings of one rule on one
// patch and counts the rest, so hostile input gives bounded output.
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../src/config.js";
import { MAX_FINDINGS_PER_RULE, reviewPatch } from "../src/engine.js";
import { loadKnowledge } from "../src/knowledge/load.js";
import type { Rule } from "../src/types.js";
import { toPatch } from "./helpers/rule-tester.js";

const many: Rule = {
  meta: {
    id: "many-findings",
    class: "gfp-context",
    severity: "info",
    description: "reports every added line",
    docs: { why: "test", fix: "test" },
    messages: { line: "line {{n}} is here for the cap test" },
    knowledge: ["gfp-fs-io-doc"],
    scope: "line",
  },
  check({ patch }) {
    return patch.files.flatMap((f) => f.hunks.flatMap((h) => h.lines.filter((l) => l.kind === "add").map((l) => ({ file: f.path, line: l.newLine, messageId: "line", data: { n: l.newLine ?? 0 } }))));
  },
};

describe("findings per rule and patch", () => {
  it("keeps the first ones and counts the rest", () => {
    const n = MAX_FINDINGS_PER_RULE + 12;
    const after = Array.from({ length: n }, (_, i) => `int x${i};`).join("\n") + "\n";
    const r = reviewPatch(toPatch({ files: [{ path: "fs/frob/a.c", before: "", after }] }), { rules: [many], config: DEFAULT_CONFIG, kb: loadKnowledge() });
    expect(r.findings).toHaveLength(MAX_FINDINGS_PER_RULE);
    expect(r.omitted).toEqual([{ rule: "many-findings", count: 12 }]);
  });
  it("says nothing when under the cap", () => {
    const r = reviewPatch(toPatch({ files: [{ path: "fs/frob/a.c", before: "", after: "int a;\nint b;\n" }] }), { rules: [many], config: DEFAULT_CONFIG, kb: loadKnowledge() });
    expect(r.findings).toHaveLength(2);
    expect(r.omitted).toBeUndefined();
  });
});

describe("values in a message", () => {
  const naming: Rule = {
    ...many,
    meta: { ...many.meta, id: "names-a-call", messages: { line: "calls {{name}}() here" } },
    check({ patch }) {
      const f = patch.files[0]!;
      const l = f.hunks[0]!.lines.find((x) => x.kind === "add")!;
      return [{ file: f.path, line: l.newLine, messageId: "line", data: { name: l.text.replace(/\(.*$/, "").trim() } }];
    },
  };
  it("a value longer than 2,000 characters is cut and its length said", () => {
    const r = reviewPatch(toPatch({ files: [{ path: "fs/frob/a.c", before: "", after: `\t${"b".repeat(50_000)}();\n` }] }), { rules: [naming], config: DEFAULT_CONFIG, kb: loadKnowledge() });
    expect(r.findings[0]!.message).toBe(`calls ${"b".repeat(1000)}... (50000 characters)() here`);
  });
  it("a value of ordinary length is kept whole", () => {
    const r = reviewPatch(toPatch({ files: [{ path: "fs/frob/a.c", before: "", after: "\tfrob_sync();\n" }] }), { rules: [naming], config: DEFAULT_CONFIG, kb: loadKnowledge() });
    expect(r.findings[0]!.message).toBe("calls frob_sync() here");
  });
});

// Every annotation in test/fixtures/c/<rule-id>/*.c, for every context-aware
// rule: "ruleid: X" on the line before means rule X reports that line when the
// file is audited with its directory as context; "ok: X" means it does not;
// and X reports nothing else in the file.
import { readdirSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { auditContext, auditFile } from "../../src/context/audit.js";
import { initParser } from "../../src/context/parser.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { ALL_RULES } from "../../src/rules/index.js";
import { FIXTURES, annotations, fixtureTree } from "./fixture-tree.js";

const kb = loadKnowledge();
const ruleDirs = readdirSync(FIXTURES).sort();

beforeAll(async () => {
  await initParser();
});

describe("C fixture annotations", () => {
  it("has fixtures for the context-aware rules", () => {
    expect(ruleDirs).toContain("wq-flush-dependency");
  });
  for (const ruleId of ruleDirs) {
    const rule = ALL_RULES.find((r) => r.meta.id === ruleId);
    describe(ruleId, () => {
      it("names a registered rule", () => {
        expect(rule, `no rule ${ruleId}`).toBeDefined();
      });
      if (!rule) return;
      const { files, provider } = fixtureTree(ruleId);
      for (const [path, text] of files) {
        if (!path.endsWith(".c")) continue;
        it(`${path.split("/").pop()}: every annotation holds, nothing else reported`, () => {
          const notes = annotations(text);
          expect(notes.length).toBeGreaterThan(0);
          for (const n of notes) expect(n.rule).toBe(ruleId);
          const { context } = auditContext(provider);
          const result = auditFile(path, text, [rule], context, DEFAULT_CONFIG, kb);
          expect(result.errors).toEqual([]);
          const got = result.findings.map((f) => f.line).sort((a, b) => a! - b!);
          const want = notes.filter((n) => n.expect === "ruleid").map((n) => n.line);
          const lines = text.split("\n");
          const show = (ls: (number | null)[]) => ls.map((l) => `${l}: ${lines[(l ?? 1) - 1]!.trim()}`);
          expect(show(got)).toEqual(show(want));
          for (const f of result.findings) {
            expect(f.message.length).toBeGreaterThan(20);
            expect(f.citations.length).toBeGreaterThan(0);
          }
        });
      }
    });
  }
});

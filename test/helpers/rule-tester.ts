// ESLint-style rule tests: explicit valid and invalid cases per rule.
// - valid: the rule reports nothing (near misses belong here);
// - invalid: exactly the listed reports (messageId, and line/file/severity when given).
// Inputs are frozen, so a rule that mutates the patch fails.
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { reviewPatch } from "../../src/engine.js";
import { parsePatchText } from "../../src/ingest/index.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import type { Finding, Patch, Rule, Severity } from "../../src/types.js";
import { formatPatch, type PatchSpec } from "./patch.js";

export interface ExpectedReport {
  messageId: string;
  line?: number | null;
  file?: string | null;
  severity?: Severity;
}

export interface Case {
  name: string;
  /** A PatchSpec, or raw patch/mail text. */
  patch: PatchSpec | string;
}

export interface InvalidCase extends Case {
  errors: ExpectedReport[];
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

export function toPatch(input: PatchSpec | string): Patch {
  const text = typeof input === "string" ? input : formatPatch(input);
  const parsed = parsePatchText(text, "test.patch");
  if (parsed.patches.length !== 1) throw new Error(`expected one patch, got ${parsed.patches.length}`);
  return deepFreeze(parsed.patches[0]!);
}

export function runRule(rule: Rule, input: PatchSpec | string): Finding[] {
  const patch = toPatch(input);
  const review = reviewPatch(patch, { rules: [rule], config: DEFAULT_CONFIG, kb: loadKnowledge() });
  if (review.errors.length > 0) throw new Error(`rule failed: ${review.errors.map((e) => e.message).join("; ")}`);
  return review.findings;
}

export function ruleTester(rule: Rule, cases: { valid: Case[]; invalid: InvalidCase[] }): void {
  describe(rule.meta.id, () => {
    it("has at least three valid and three invalid cases", () => {
      expect(cases.valid.length).toBeGreaterThanOrEqual(3);
      expect(cases.invalid.length).toBeGreaterThanOrEqual(3);
    });
    it("has distinct case names", () => {
      const names = [...cases.valid, ...cases.invalid].map((c) => c.name);
      expect(new Set(names).size).toBe(names.length);
    });
    for (const c of cases.valid) {
      it(`valid: ${c.name}`, () => {
        const found = runRule(rule, c.patch);
        expect(found.map((f) => `${f.messageId}@${f.file}:${f.line} ${f.message}`)).toEqual([]);
      });
    }
    for (const c of cases.invalid) {
      it(`invalid: ${c.name}`, () => {
        expect(c.errors.length).toBeGreaterThan(0);
        const found = runRule(rule, c.patch);
        expect(found.length, found.map((f) => `${f.messageId}@${f.file}:${f.line}`).join(", ")).toBe(c.errors.length);
        c.errors.forEach((e, i) => {
          const f = found[i]!;
          expect(f.messageId).toBe(e.messageId);
          expect(rule.meta.messages[e.messageId]).toBeDefined();
          if (e.line !== undefined) expect(f.line).toBe(e.line);
          if (e.file !== undefined) expect(f.file).toBe(e.file);
          if (e.severity !== undefined) expect(f.severity).toBe(e.severity);
          expect(f.message.length).toBeGreaterThan(10);
          expect(f.fingerprint).toMatch(/^[0-9a-f]{16}$/);
        });
      });
    }
  });
}

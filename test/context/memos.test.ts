// memos.ts: the analyses' module-level memos can be forgotten (the audit does
// it after each directory) without changing what is found.
import { cpSync, mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { auditRules } from "../../src/context/audit.js";
import { auditDirectory } from "../../src/context/audit-run.js";
import { forgetMemos, memoNames } from "../../src/context/memos.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { ALL_RULES } from "../../src/rules/index.js";
import { FIXTURES } from "./fixture-tree.js";

describe("memos", () => {
  it("are registered by the modules that keep texts, scans, flows and directory indexes", async () => {
    // the modules register on load
    await import("../../src/context/workqueues.js");
    await import("../../src/context/facts-cache.js");
    expect(memoNames()).toEqual(
      expect.arrayContaining(["reclaim scans", "reclaim flows", "reclaim directory indexes", "reclaim lines", "call-chain flows", "call-chain directories", "call-chain mentions", "workqueue flows", "file facts"]),
    );
  });

  it("forgotten between directories, the audit finds the same", async () => {
    const root = mkdtempSync(join(tmpdir(), "rr-memos-"));
    const dirs = ["wq-flush-dependency", "shrinker-blocking", "backend-frontend-io", "gfp-kernel-in-io-path"];
    for (const d of dirs) {
      mkdirSync(join(root, "drivers", d), { recursive: true });
      cpSync(join(FIXTURES, d), join(root, "drivers", d), { recursive: true });
    }
    const rules = auditRules(ALL_RULES);
    const kb = loadKnowledge();
    const audit = async (forget: boolean) => {
      const out: string[] = [];
      // each directory twice: the second time from the memos, unless they were forgotten
      for (const d of [...dirs, ...dirs]) {
        const r = await auditDirectory(root, { dir: `drivers/${d}`, only: null }, rules, DEFAULT_CONFIG, kb);
        out.push(JSON.stringify(r));
        if (forget) forgetMemos();
      }
      return out;
    };
    forgetMemos();
    const kept = await audit(false);
    forgetMemos();
    const forgotten = await audit(true);
    expect(forgotten).toEqual(kept);
    expect(kept.slice(0, dirs.length)).toEqual(kept.slice(dirs.length));
    expect(kept.some((r) => (JSON.parse(r) as { files: unknown[] }).files.length > 0)).toBe(true);
  });
});

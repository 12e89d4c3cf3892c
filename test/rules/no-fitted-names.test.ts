// Rules and the reclaim-context analysis decide from code facts, never from the
// names of the drivers, filesystems or functions they were tuned on. This test
// reads every source file of src/rules and src/context with the TypeScript
// parser and fails when code (identifiers, regular expressions, string
// literals that take part in decisions) names a subsystem. Prose for people
// (docs, messages, labels) and knowledge-entry ids (citations, which the
// knowledge base validates) are not decisions and are exempt. Kernel API
// vocabulary lives in src/vocab, with provenance, and is exempt too.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { loadKnowledge } from "../../src/knowledge/load.js";

const ROOT = join(import.meta.dirname, "..", "..");
const DIRS = ["src/rules", "src/context"];

/** Names of subsystems, drivers and functions the rules were once fitted to. */
const FITTED =
  /\b(?:btrfs|xfs|ext4|jbd2|f2fs|ceph|nfsd?|localio|lo_rw\w*|loop_\w+|dm_bufio|dm-bufio|raid\d+|zram|nbd|tcmu|i915|amdgpu|bcache\w*|ocfs2|gfs2|zonefs|virtio\w*|ibmvfc|open_ctree|scrub\w*|relocat\w*|sunrpc|rpciod)\b|drivers\/block\/loop|fs\/btrfs|fs\/xfs|fs\/nfs/i;

/** Object keys whose string values are prose for people, not decisions. */
const PROSE_KEYS = new Set(["why", "fix", "quiet", "description", "label", "where", "detail", "reclaimEnters", "src"]);

function files(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (n.endsWith(".ts")) out.push(p);
  }
  return out;
}

function propertyKey(node: ts.Node): string | null {
  let p: ts.Node | undefined = node.parent;
  // strings concatenated with + or inside template spans belong to the property above them
  while (p && (ts.isBinaryExpression(p) || ts.isParenthesizedExpression(p) || ts.isTemplateSpan(p) || ts.isTemplateExpression(p) || ts.isArrayLiteralExpression(p))) p = p.parent;
  if (p && ts.isPropertyAssignment(p)) return p.name.getText();
  return null;
}

/** What a file names that it should not: [line, text] per hit. */
function fittedNames(path: string, knowledgeIds: Set<string>): string[] {
  const text = readFileSync(path, "utf8");
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true);
  const hits: string[] = [];
  const at = (n: ts.Node) => `${relative(ROOT, path)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${n.getText().slice(0, 80)}`;
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && FITTED.test(n.text)) hits.push(at(n));
    else if (n.kind === ts.SyntaxKind.RegularExpressionLiteral && FITTED.test(n.getText())) hits.push(at(n));
    else if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) {
      const value = "text" in n ? (n as { text: string }).text : "";
      const key = propertyKey(n);
      const inMessages = (() => {
        for (let p: ts.Node | undefined = n.parent; p; p = p.parent) if (ts.isPropertyAssignment(p) && ["messages", "docs"].includes(p.name.getText())) return true;
        return false;
      })();
      if (!knowledgeIds.has(value) && !(key && PROSE_KEYS.has(key)) && !inMessages && FITTED.test(value)) hits.push(at(n));
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return hits;
}

describe("rules and the analysis decide without fitted names", () => {
  const kb = loadKnowledge();
  const ids = new Set(kb.entries.map((e) => e.id));
  it("finds the files it checks", () => {
    expect(DIRS.flatMap((d) => files(join(ROOT, d))).length).toBeGreaterThan(20);
  });
  it("catches a fitted name in decision code (the checker itself works)", () => {
    const probe = join(ROOT, "test", "fixtures", "fitted-name-probe.ts.txt");
    const lines = new Set(fittedNames(probe, ids).map((h) => Number(/:(\d+):/.exec(h)![1])));
    // the path regex, the function-name string and the name-derived variable; not the prose or the knowledge id
    expect([...lines].sort()).toEqual([5, 6, 7, 8]);
  });
  for (const dir of DIRS) {
    it(`${dir}: no subsystem, driver or function names in decisions`, () => {
      const hits = files(join(ROOT, dir)).flatMap((f) => fittedNames(f, ids));
      expect(hits).toEqual([]);
    });
  }
});

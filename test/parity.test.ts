// Parity between the rule registry, the rule files, their tests, their docs
// and the knowledge base; and between src/version.ts and package.json.
// Data-driven: it checks whatever rules ALL_RULES holds when it runs.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { loadKnowledge } from "../src/knowledge/load.js";
import { HAZARD_CLASSES } from "../src/knowledge/schema.js";
import { packageRoot } from "../src/paths.js";
import { ALL_RULES } from "../src/rules/index.js";
import { VERSION } from "../src/version.js";

const root = packageRoot();
const rulesDir = join(root, "src", "rules");
const NOT_RULE_FOLDERS = new Set(["util"]);
const SEVERITIES = ["error", "warning", "info"];
const kb = loadKnowledge();

/** src/rules/<folder>/<id>.ts for every rule folder. */
function ruleFilesFor(id: string): string[] {
  return readdirSync(rulesDir)
    .filter((d) => !NOT_RULE_FOLDERS.has(d) && statSync(join(rulesDir, d)).isDirectory())
    .map((d) => join(rulesDir, d, `${id}.ts`))
    .filter((f) => existsSync(f));
}

describe("registry", () => {
  it("has rules, sorted by id, with unique ids", () => {
    const ids = ALL_RULES.map((r) => r.meta.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a.localeCompare(b))).toEqual(ids);
  });
});

describe.each(ALL_RULES.map((r) => [r.meta.id, r] as const))("rule %s", (id, rule) => {
  const m = rule.meta;

  it("has a kebab-case id equal to its file name under src/rules/<folder>/", async () => {
    expect(id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
    const files = ruleFilesFor(id);
    expect(files, `no src/rules/*/${id}.ts`).toHaveLength(1);
    const mod = (await import(pathToFileURL(files[0]!).href)) as { rule?: { meta: { id: string } } };
    expect(mod.rule?.meta.id).toBe(id);
  });

  it("has a test file test/rules/<id>.test.ts that exercises it", () => {
    const f = join(root, "test", "rules", `${id}.test.ts`);
    expect(existsSync(f), `missing ${f}`).toBe(true);
    // it imports the rule's module, or names the rule by id (findRule("<id>"))
    const text = readFileSync(f, "utf8");
    expect(text.includes(`/${id}.js`) || text.includes(`"${id}"`), `${f} does not import or name ${id}`).toBe(true);
  });

  it("has a valid severity, class and scope", () => {
    expect(SEVERITIES).toContain(m.severity);
    expect(HAZARD_CLASSES as readonly string[]).toContain(m.class);
    expect(["line", "patch"]).toContain(m.scope);
  });

  it("documents itself: description, why, fix, and non-empty messages", () => {
    expect(m.description.trim().length).toBeGreaterThan(10);
    expect(m.docs.why.trim().length).toBeGreaterThan(20);
    expect(m.docs.fix.trim().length).toBeGreaterThan(10);
    const ids = Object.keys(m.messages);
    expect(ids.length).toBeGreaterThan(0);
    for (const k of ids) {
      expect(k).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
      expect(m.messages[k]!.trim().length, `message ${k}`).toBeGreaterThan(10);
      // mustache placeholders are well formed
      const open = (m.messages[k]!.match(/\{\{/g) ?? []).length;
      const close = (m.messages[k]!.match(/\}\}/g) ?? []).length;
      expect(open, `message ${k} braces`).toBe(close);
    }
  });

  it("cites at least one knowledge entry, and only existing ones", () => {
    expect(m.knowledge.length).toBeGreaterThan(0);
    const missing = m.knowledge.filter((k) => !kb.has(k));
    expect(missing).toEqual([]);
    expect(new Set(m.knowledge).size).toBe(m.knowledge.length);
  });

  it("cites entries whose hazard class is related to the rule's", () => {
    // at least one cited entry shares the rule's class, so citations are on topic
    expect(m.knowledge.some((k) => kb.get(k)!.classes.includes(m.class))).toBe(true);
  });
});

describe("version", () => {
  it("src/version.ts equals package.json's version", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});

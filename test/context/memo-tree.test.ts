// memoTree(): the path walk reads a function through wrappers that ask the
// parser each thing once. Every answer must be the parser's own: node by node
// (type, text, span, parent, children, fields, descendantsOfType over every
// node) and walk by walk (analyseFunction gives the same flow either way),
// on the C fixtures and on fragments the parser has to recover from.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Node } from "web-tree-sitter";
import { analyseFunction } from "../../src/context/flow.js";
import { initParser, memoTree, parseC } from "../../src/context/parser.js";

const fixtureFiles = (readdirSync("test/fixtures", { recursive: true }) as string[])
  .filter((f) => f.endsWith(".c"))
  .map((f) => join("test/fixtures", f))
  .sort();

// written for this test: a body cut by a hunk, a missing semicolon before a block (a loop macro), an empty
// statement, labels, an unbalanced brace, a declaration without its semicolon
const FRAGMENTS = [
  "void __fragment(void) {if (__fragment_unseen) {\n\tmutex_lock(&d->lock);\n\tp = kmalloc(n, GFP_KERNEL);\n}\n\tmutex_unlock(&d->lock);\n}",
  "static int f(struct dev *d)\n{\n\tlist_for_each_entry(e, &d->list, node)\n\t{\n\t\te->buf = kzalloc(8, GFP_NOFS);\n\t}\n\tscoped_guard(mutex, &d->lock)\n\t\tx = alloc_page(GFP_KERNEL);\n\treturn 0;\n}",
  "int g(void)\n{\n\tint a = b\n\tif (a) goto out;\n\t;\nout:\n\tflags = memalloc_noio_save();\n\tmemalloc_noio_restore(flags)\n}",
  "void h(void) {\n\tcurrent->flags |= PF_MEMALLOC_NOFS;\n\tx = (y = f(g(1), 2));\n\twhile (z) { if (q) break; else continue; }\n\tdo { w++; } while (0);\n",
];

const FIELDS = ["function", "arguments", "left", "right", "operator", "condition", "body", "consequence", "alternative", "declarator", "type", "value", "name", "field", "argument", "label"];
const TYPES = [["call_expression", "assignment_expression", "declaration"], ["statement_identifier"], ["ERROR"], ["identifier", "field_expression"]];

const ids = (ns: readonly (Node | null)[]) => ns.map((n) => (n ? `${n.id}@${n.startIndex}` : null));

/** Every node under `m` (the memo side) compared with the parser's node `r`. */
function compare(r: Node, m: Node, seen: { nodes: number }): void {
  seen.nodes++;
  expect(m.id).toBe(r.id);
  expect(m.type).toBe(r.type);
  expect(m.text).toBe(r.text);
  expect([m.startIndex, m.endIndex]).toEqual([r.startIndex, r.endIndex]);
  expect(m.startPosition).toEqual(r.startPosition);
  expect(m.endPosition).toEqual(r.endPosition);
  expect(m.parent ? `${m.parent.id}@${m.parent.startIndex}` : null).toBe(r.parent ? `${r.parent.id}@${r.parent.startIndex}` : null);
  expect(ids(m.children)).toEqual(ids(r.children));
  expect(ids(m.namedChildren)).toEqual(ids(r.namedChildren));
  expect(m.lastChild?.id ?? null).toBe(r.lastChild?.id ?? null);
  for (const f of FIELDS) {
    expect(m.childForFieldName(f)?.id ?? null).toBe(r.childForFieldName(f)?.id ?? null);
    expect(ids(m.childrenForFieldName(f))).toEqual(ids(r.childrenForFieldName(f)));
  }
  for (const t of TYPES) expect(ids(m.descendantsOfType(t))).toEqual(ids(r.descendantsOfType(t)));
  const rk = r.children;
  const mk = m.children;
  for (let i = 0; i < rk.length; i++) compare(rk[i]!, mk[i]!, seen);
}

function functionsOf(text: string): { tree: ReturnType<typeof parseC>; fns: Node[] } {
  const tree = parseC(text);
  return { tree, fns: tree.rootNode.descendantsOfType("function_definition").filter((n): n is Node => n !== null) };
}

beforeAll(async () => {
  await initParser();
});

describe("memoTree", () => {
  it("has the C fixtures to compare on", () => {
    expect(fixtureFiles.length).toBeGreaterThan(10);
  });

  it("answers as the parser does, node by node (fixtures and recovered fragments)", () => {
    const seen = { nodes: 0 };
    let errors = 0;
    for (const text of [...fixtureFiles.map((f) => readFileSync(f, "utf8")), ...FRAGMENTS]) {
      const { tree, fns } = functionsOf(text);
      try {
        if (tree.rootNode.hasError) errors++;
        for (const fn of fns) compare(fn, memoTree(fn), seen);
      } finally {
        tree.delete();
      }
    }
    expect(seen.nodes).toBeGreaterThan(5000);
    expect(errors).toBeGreaterThan(0); // the recovery cases were exercised
  });

  it("answers descendantsOfType for a node reached from any side (fields, parents, earlier answers)", () => {
    const { tree, fns } = functionsOf(FRAGMENTS[1]!);
    try {
      const m = memoTree(fns[0]!);
      const call = m.descendantsOfType("call_expression")[2]!;
      expect(call.parent?.descendantsOfType(["call_expression"]).map((n) => n.id)).toEqual(fns[0]!.descendantsOfType("call_expression").filter((n) => n!.startIndex >= call.parent!.startIndex && n!.endIndex <= call.parent!.endIndex).map((n) => n!.id));
      const args = call.childForFieldName("arguments")!;
      expect(ids(args.descendantsOfType("identifier"))).toEqual(ids(fns[0]!.descendantsOfType("identifier").filter((n) => n!.startIndex >= args.startIndex && n!.endIndex <= args.endIndex)));
      // above the function: the parser answers
      expect(m.parent?.type).toBe("translation_unit");
      expect(m.parent?.descendantsOfType("function_definition").length).toBe(1);
    } finally {
      tree.delete();
    }
  });

  it("answers every property of the parser's nodes (the ones it does not keep, from the parser's node)", () => {
    const { tree, fns } = functionsOf(FRAGMENTS[1]!);
    try {
      const raw = fns[0]!.childForFieldName("body")!.namedChildren[1]!;
      const memo = memoTree(fns[0]!).childForFieldName("body")!.namedChildren[1]!;
      const proto = Object.getPrototypeOf(raw) as object;
      const names = Object.getOwnPropertyNames(proto).filter((n) => n !== "constructor" && !n.startsWith("_"));
      expect(names).toContain("nextSibling");
      for (const name of names) {
        const d = Object.getOwnPropertyDescriptor(proto, name)!;
        const m = (memo as unknown as Record<string, unknown>)[name];
        expect(m, name).not.toBeUndefined();
        if (d.get) {
          const r = (raw as unknown as Record<string, unknown>)[name];
          const key = (v: unknown) => (v && typeof v === "object" && "id" in v ? (v as Node).id : v);
          if (typeof r !== "object" || r === null || "id" in r) expect(key(m), name).toEqual(key(r));
        }
      }
      expect(memo.nextSibling?.id).toBe(raw.nextSibling?.id);
      expect(memo.isNamed).toBe(true);
    } finally {
      tree.delete();
    }
  });

  it("gives the same flow as the parser's nodes", () => {
    let flows = 0;
    for (const text of [...fixtureFiles.map((f) => readFileSync(f, "utf8")), ...FRAGMENTS]) {
      const { tree, fns } = functionsOf(text);
      try {
        for (const fn of fns) {
          expect(analyseFunction(memoTree(fn), { lineOffset: 3 })).toEqual(analyseFunction(fn, { lineOffset: 3 }));
          flows++;
        }
      } finally {
        tree.delete();
      }
    }
    expect(flows).toBeGreaterThan(50);
  });
});

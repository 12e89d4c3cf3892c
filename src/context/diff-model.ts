// The functions a patch touches, as far as its hunks show them: each hunk's
// new side (and old side) split into function regions, each region parsed
// by the C parser as a fragment (braces balanced, wrapped in a function when
// its definition is not visible) and walked by flow.ts. The state at a
// fragment's start is unknown; the analysis says so rather than guessing.
import type { FileDiff, Hunk, Patch } from "../types.js";
import { functionDefinedOn, functionFromSection, stripLine } from "./c-lines.js";
import { analyseFunction, type FlowOptions, type FunctionFlow } from "./flow.js";
import { parseC } from "./parser.js";
import type { Node } from "web-tree-sitter";

export interface Region {
  file: FileDiff;
  hunk: Hunk;
  side: "new" | "old";
  /** Function name: the definition in the region, else the hunk header's. */
  name: string | null;
  /** The region's lines in order (new side: context and added; old side: context and deleted). */
  lines: { text: string; line: number; changed: boolean }[];
  /** The definition line is in the region. */
  hasDefinition: boolean;
  /** The definition text up to the opening brace (or the hunk header's section when not visible). */
  signature: string;
  /** The function's closing brace (column 0) is in the region. */
  hasEnd: boolean;
}

const C_FILE = /\.(c|h)$/;

const regionCache = new WeakMap<Patch, { new?: readonly Region[]; old?: readonly Region[] }>();

/** Splits every hunk of the C files of a patch into function regions, on one side (once per patch and side; callers must not modify them). */
export function regionsOf(patch: Patch, side: "new" | "old"): Region[] {
  let c = regionCache.get(patch);
  if (!c) regionCache.set(patch, (c = {}));
  return [...(c[side] ??= splitRegions(patch, side))];
}

function splitRegions(patch: Patch, side: "new" | "old"): Region[] {
  const out: Region[] = [];
  for (const file of patch.files) {
    if (file.binary || !C_FILE.test(file.path)) continue;
    if (side === "new" && file.newPath === null) continue;
    if (side === "old" && file.oldPath === null) continue;
    for (const hunk of file.hunks) splitHunk(file, hunk, side, out);
  }
  return out;
}

function splitHunk(file: FileDiff, hunk: Hunk, side: "new" | "old", out: Region[]): void {
  let cur: Region | null = null;
  const start = (name: string | null, hasDefinition: boolean, signature: string): Region => ({
    file,
    hunk,
    side,
    name,
    lines: [],
    hasDefinition,
    signature,
    hasEnd: false,
  });
  const finish = () => {
    if (cur && cur.lines.some((l) => l.text.trim() !== "")) out.push(cur);
    cur = null;
  };
  const state = { inComment: false };
  let sigOpen = false;
  for (const l of hunk.lines) {
    if (side === "new" ? l.kind === "del" : l.kind === "add") continue;
    const n = side === "new" ? l.newLine : l.oldLine;
    if (n === null) continue;
    const code = stripLine(l.text, state);
    const def = state.inComment ? null : functionDefinedOn(l.text);
    if (def) {
      finish();
      cur = start(def, true, l.text.trim());
      sigOpen = !/\{\s*$/.test(code);
    } else if (!cur) {
      cur = start(functionFromSection(hunk.section), false, hunk.section.trim());
    } else if (sigOpen) {
      cur.signature += ` ${l.text.trim()}`;
      if (/^\{/.test(l.text) || /\{\s*$/.test(code)) sigOpen = false;
    }
    cur.lines.push({ text: l.text, line: n, changed: l.kind !== "ctx" });
    if (/^\}/.test(l.text)) {
      cur.hasEnd = true;
      finish();
    }
  }
  finish();
}

/** Brace balance of code lines: `{` needed before (unmatched closers) and `}` needed after (unclosed openers). */
function braceBalance(lines: string[]): { before: number; after: number } {
  let depth = 0;
  let min = 0;
  const state = { inComment: false };
  for (const raw of lines) {
    const code = stripLine(raw, state);
    for (let i = 0; i < code.length; i++) {
      const c = code.charCodeAt(i);
      if (c === 123) depth++;
      else if (c === 125) {
        depth--;
        if (depth < min) min = depth;
      }
    }
  }
  return { before: -min, after: depth - min };
}

export interface RegionFlow {
  region: Region;
  /** null when the fragment held no function body the parser could read. */
  flow: FunctionFlow | null;
}

/** Parses a region as a fragment and walks its paths. */
export function regionFlow(
  region: Region,
  known: { params?: string[]; types?: ReadonlyMap<string, string>; initial?: FlowOptions["initial"] } = {},
): FunctionFlow | null {
  const texts = region.lines.map((l) => l.text);
  const first = region.lines[0]!.line;
  const bal = braceBalance(texts);
  if (region.hasDefinition) {
    // the region starts at the definition: parse it as it is, closing what is left open
    const text = texts.join("\n") + "\n" + "}".repeat(Math.max(0, bal.after));
    const tree = parseC(text);
    try {
      const fn = topFunction(tree.rootNode);
      if (!fn) return null;
      return analyseFunction(fn, { lineOffset: first - 1, entryVisible: true, endVisible: region.hasEnd, ...(known.types ? { types: known.types } : {}) });
    } finally {
      tree.delete();
    }
  }
  // the region starts in the definition's parameter list (the hunk header holds its first line): the header and the
  // lines shown make the definition, so the function's entry is in view
  const brace = texts.findIndex((t) => /^\{\s*$/.test(t));
  if (!region.hasDefinition && brace >= 0 && region.name && region.signature.includes(`${region.name}(`) && texts.slice(0, brace).every((t) => !/[;{}]/.test(t))) {
    const text = `${region.signature}\n${texts.join("\n")}\n${"}".repeat(Math.max(0, bal.after))}`;
    const tree = parseC(text);
    try {
      const fn = topFunction(tree.rootNode);
      if (fn && !fn.hasError) return analyseFunction(fn, { lineOffset: first - 2, entryVisible: true, endVisible: region.hasEnd, ...(known.types ? { types: known.types } : {}) });
    } finally {
      tree.delete();
    }
  }
  // a piece of a body: wrapped in a function, unmatched closers opened on the wrapper's line, each as the body of
  // an if whose condition is unknown (a block whose opening is not shown may be skipped: a `return` in it does not
  // make the lines after it dead)
  const opensEntry = /^\{/.test(texts.find((t) => t.trim() !== "") ?? "");
  const text = `void __fragment(void) {${"if (__fragment_unseen) {".repeat(bal.before)}\n${texts.join("\n")}\n${"}".repeat(bal.after + 1)}`;
  const tree = parseC(text);
  try {
    const fn = topFunction(tree.rootNode);
    if (!fn) return null;
    const f = analyseFunction(fn, { lineOffset: first - 2, entryVisible: opensEntry || known.initial !== undefined, endVisible: region.hasEnd, name: region.name ?? "?", ...known });
    f.name = region.name ?? "?";
    f.start = first;
    return f;
  } finally {
    tree.delete();
  }
}

/** The first function definition of a parsed text: among the top-level nodes (the usual place), else anywhere. */
function topFunction(root: Node): Node | null {
  for (const c of root.namedChildren) if (c && c.type === "function_definition") return c;
  return root.descendantsOfType("function_definition").find((n): n is Node => n !== null) ?? null;
}

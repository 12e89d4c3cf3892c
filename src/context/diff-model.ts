// The functions a patch touches, as far as its hunks show them: each hunk's
// new side (and old side) split into function regions, each region parsed
// by the C parser as a fragment (braces balanced, wrapped in a function when
// its definition is not visible) and walked by flow.ts. The state at a
// fragment's start is unknown; the analysis says so rather than guessing.
import type { FileDiff, Hunk, Patch } from "../types.js";
import { functionDefinedAfter, functionDefinedOn, functionFromSection, isReturnTypeLine, stripLine, takeFirstBranches } from "./c-lines.js";
import { analyseFunction, type FlowOptions, type FunctionFlow } from "./flow.js";
import { memoTree, parseC } from "./parser.js";
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
    const from = out.length;
    for (const hunk of file.hunks) splitHunk(file, hunk, side, out);
    // a later hunk of a function whose definition an earlier hunk shows: its signature is that one (the hunk header
    // quotes the other side's, or only its first line: a parameter the patch adds is not in it)
    const defined = new Map<string, string>();
    for (let i = from; i < out.length; i++) {
      const r = out[i]!;
      if (r.name === null) continue;
      if (r.hasDefinition) defined.set(r.name, r.signature);
      else if (defined.has(r.name)) r.signature = defined.get(r.name)!;
    }
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
  // the last line kept when it is a return type on a line of its own (`static inline unsigned int __must_check`)
  let typeLine: { text: string; line: number; changed: boolean } | null = null;
  for (const l of hunk.lines) {
    if (side === "new" ? l.kind === "del" : l.kind === "add") continue;
    const n = side === "new" ? l.newLine : l.oldLine;
    if (n === null) continue;
    const wasInComment = state.inComment;
    const code = stripLine(l.text, state);
    let def = state.inComment ? null : functionDefinedOn(l.text);
    // kernel style: the return type on the line above, the name at column 0 (`foo_store(struct foo *f, ...)`)
    const typed: string | null = !def && typeLine !== null && !state.inComment ? functionDefinedAfter(typeLine.text, l.text) : null;
    if (typed) def = typed;
    if (def) {
      const above = typed && cur !== null && (cur as Region).lines[(cur as Region).lines.length - 1] === typeLine ? (cur as Region).lines.pop()! : null;
      finish();
      cur = start(def, true, above ? `${above.text.trim()} ${l.text.trim()}` : l.text.trim());
      if (above) cur.lines.push(above);
      sigOpen = !/\{\s*$/.test(code);
    } else if (!cur) {
      cur = start(functionFromSection(hunk.section), false, hunk.section.trim());
    } else if (sigOpen) {
      cur.signature += ` ${l.text.trim()}`;
      if (/^\{/.test(l.text) || /\{\s*$/.test(code)) sigOpen = false;
    }
    const kept = { text: l.text, line: n, changed: l.kind !== "ctx" };
    cur.lines.push(kept);
    typeLine = !wasInComment && !state.inComment && !def && isReturnTypeLine(l.text) ? kept : null;
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
  known: { params?: string[]; types?: ReadonlyMap<string, string>; initial?: FlowOptions["initial"]; entryKnown?: boolean; wrappers?: FlowOptions["wrappers"] } = {},
): FunctionFlow | null {
  // conditional groups read with every configuration option on (c-lines.ts takeFirstBranches), as whole functions are
  const raw = commentTailBlanked(region.lines.map((l) => l.text));
  const texts = raw.some((t) => t.includes("#")) ? takeFirstBranches(raw.join("\n")).split("\n") : raw;
  const first = region.lines[0]!.line;
  const bal = braceBalance(texts);
  if (region.hasDefinition) {
    // the region starts at the definition: parse it as it is, closing what is left open
    const text = texts.join("\n") + "\n" + "}".repeat(Math.max(0, bal.after));
    const tree = parseC(text);
    try {
      const fn = topFunction(tree.rootNode);
      if (!fn) return null;
      return analyseFunction(memoTree(fn), { lineOffset: first - 1, entryVisible: true, endVisible: region.hasEnd, ...(known.types ? { types: known.types } : {}), ...(known.wrappers ? { wrappers: known.wrappers } : {}) });
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
      if (fn && !fn.hasError) return analyseFunction(memoTree(fn), { lineOffset: first - 2, entryVisible: true, endVisible: region.hasEnd, ...(known.types ? { types: known.types } : {}), ...(known.wrappers ? { wrappers: known.wrappers } : {}) });
    } finally {
      tree.delete();
    }
  }
  // a piece of a body: wrapped in a function, unmatched closers opened on the wrapper's line, each as the body of
  // an if whose condition is unknown (a block whose opening is not shown may be skipped: a `return` in it does not
  // make the lines after it dead)
  const opensEntry = /^\{/.test(texts.find((t) => t.trim() !== "") ?? "");
  // a statement shown first, indented deeper than the lines after it and without braces, is the body of an if,
  // else or loop whose line is not shown (`if (!valid)` / `return -EINVAL;`): read it as such, so a return in it
  // does not make the rest dead
  // lines that end a statement begun above the fragment (`    disk->nr == n)` closing an if's condition): read as an
  // if whose condition is unknown, so what follows parses (its body, when a statement follows)
  const tail = leadingContinuation(texts);
  const resumed = tail ? texts.map((t, i) => (i < tail.line ? "" : i === tail.line ? `if (__fragment_unseen) ${tail.rest}` : t)) : texts;
  const lead = unseenBody(resumed);
  const shown = lead > 0 ? resumed.map((t, i) => (i === lead - 1 ? `${t} }` : t)) : resumed;
  const text = `void __fragment(void) {${"if (__fragment_unseen) {".repeat(bal.before)}${lead > 0 ? "if (__fragment_unseen) {" : ""}\n${shown.join("\n")}\n${"}".repeat(bal.after + 1)}`;
  const tree = parseC(text);
  try {
    const fn = topFunction(tree.rootNode);
    if (!fn) return null;
    const { entryKnown, ...rest } = known;
    // a state handed in (the tree's version of the function) makes the entry known, unless the caller says it is partial
    const f = analyseFunction(memoTree(fn), { lineOffset: first - 2, entryVisible: opensEntry || (known.initial !== undefined && entryKnown !== false), endVisible: region.hasEnd, name: region.name ?? "?", ...rest });
    f.name = region.name ?? "?";
    f.start = first;
    return f;
  } finally {
    tree.delete();
  }
}

/**
 * A fragment that begins inside a block comment opened above it (a hunk whose first context lines are a
 * comment's continuation lines and its closing star-slash): those lines blanked up to the comment's end, so
 * that the parser does not read the comment's words as code (`... ordering. <end> if (...)` as a call of
 * `if`). The lines as they are when a comment opener, a line comment, a quote or a code line comes first.
 */
export function commentTailBlanked(texts: readonly string[]): string[] {
  for (let i = 0; i < texts.length && i < 64; i++) {
    const t = texts[i]!;
    const end = t.indexOf("*/");
    // a comment's ` * ...` continuation line is prose up to its end (quotes, slashes and all)
    const prose = /^\s*\*(?!\/)/.test(t);
    const before = (x: number) => x >= 0 && (end < 0 || x < end);
    if (!prose && (before(t.indexOf("/*")) || before(t.indexOf("//")) || before(t.search(/["']/)))) return [...texts];
    if (end >= 0) return texts.map((x, k) => (k < i ? "" : k === i ? " ".repeat(end + 2) + x.slice(end + 2) : x));
    // a line of code (not a continuation, not blank) before any comment end
    if (t.trim() !== "" && !prose) return [...texts];
  }
  return [...texts];
}

/**
 * The leading lines of a fragment that end a statement begun above it: a `)` with no `(` before it in the lines
 * shown, met before any `;`, `{` or `}` outside parentheses. `line` is the index of the line with that `)`, `rest`
 * its code after it (a `{`, a statement, or `;` when the tail ended an expression). Null when the fragment starts
 * with a statement of its own.
 */
export function leadingContinuation(texts: readonly string[]): { line: number; rest: string } | null {
  const state = { inComment: false };
  let depth = 0;
  for (let i = 0; i < texts.length && i < 12; i++) {
    const code = stripLine(texts[i]!, state);
    if (/^\s*#/.test(code)) return null;
    for (let j = 0; j < code.length; j++) {
      const c = code[j];
      if (c === "(") depth++;
      else if (c === ")") {
        if (--depth < 0) {
          const rest = code.slice(j + 1).trim();
          // the tail of an expression statement (`    b);`): nothing of it is read
          return { line: i, rest: rest.startsWith(";") ? ";" : rest };
        }
      } else if (depth === 0 && (c === ";" || c === "{" || c === "}")) return null;
    }
  }
  return null;
}

/**
 * How many leading lines of a fragment form one statement that is the body of an unseen if/else/loop: deeper
 * indented than the first line after them, without braces, a complete statement (balanced parentheses, ending
 * with `;`, not starting as the continuation of an expression). 0 when there is none.
 */
export function unseenBody(texts: readonly string[]): number {
  const indent = (t: string) => /^[ \t]*/.exec(t)![0].replace(/ {8}/g, "\t").replace(/ +/g, "").length;
  const first = texts.findIndex((t) => t.trim() !== "");
  if (first < 0) return 0;
  const deep = indent(texts[first]!);
  let end = first;
  while (end < texts.length && (texts[end]!.trim() === "" || indent(texts[end]!) >= deep)) end++;
  if (end >= texts.length || end === first) return 0;
  const body = texts.slice(first, end).join("\n");
  if (/[{}]/.test(body) || /^\s*(?:#|\/\/|\/\*|\*|[-+*/%&|^?:,.)=<>!]|case\b|default\b|[A-Za-z_]\w*\s*:(?!:))/.test(texts[first]!)) return 0;
  let paren = 0;
  for (const c of body) paren += c === "(" ? 1 : c === ")" ? -1 : 0;
  if (paren !== 0 || !/;\s*(?:\/\*.*\*\/\s*)?$/.test(body.trimEnd()) || body.includes("//")) return 0;
  // exactly one statement: one `;` outside parentheses (a for-header's are inside)
  let depth = 0;
  let semis = 0;
  for (const c of body) {
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === ";" && depth === 0) semis++;
  }
  return semis === 1 && indent(texts[end]!) < deep ? end : 0;
}

/** The first function definition of a parsed text: among the top-level nodes (the usual place), else anywhere. */
function topFunction(root: Node): Node | null {
  for (const c of root.namedChildren) if (c && c.type === "function_definition") return c;
  return root.descendantsOfType("function_definition").find((n): n is Node => n !== null) ?? null;
}

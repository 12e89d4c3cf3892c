// Facts about one C file, as pure functions over its text: function spans and
// calls (from the tree-sitter parse),
// workqueues and their flags, work items and the queues they go to, memalloc
// scope regions and the return paths that leave one open.
import { lowerBound, newlineOffsets } from "../sorted.js";
import type { Node } from "web-tree-sitter";
import { callArguments, functionDefinedAfter } from "./c-lines.js";
import { parseC, parserReady } from "./parser.js";
import { SYSTEM_QUEUES as VOCAB_SYSTEM_QUEUES } from "../vocab/kernel-api.js";

export type ScopeKind = "noio" | "nofs" | "noreclaim";

export interface CallSite {
  callee: string;
  /** 1-based line of the call. */
  line: number;
  /** The argument list without the outer parentheses (truncated to 300 chars). */
  args: string;
}

export interface ScopeRegion {
  kind: ScopeKind;
  /** 1-based lines, inclusive: from the save (or flag set) to the restore (or the function's end). */
  start: number;
  end: number;
  /** The variable holding the saved flags, when known. */
  saveVar: string | null;
  /** "save" for memalloc_*_save(), "flags" for current->flags |= PF_MEMALLOC_*. */
  how: "save" | "flags";
  /** A restore was found for this region. */
  restored: boolean;
}

export interface ScopeLeak {
  /** Line of the save. */
  save: number;
  kind: ScopeKind;
  /** Line of a return (or the function's closing brace) reached with the scope still held. */
  exit: number;
  /** The restore names another variable than the save stored to. */
  wrongVar?: string;
}

export interface FunctionFact {
  name: string;
  /** 1-based lines, inclusive. */
  start: number;
  end: number;
  isStatic: boolean;
  calls: CallSite[];
  scopes: ScopeRegion[];
  leaks: ScopeLeak[];
  /** false when the function came from the line-based fallback (the parse hid it). */
  parsed: boolean;
}

export interface WorkqueueFact {
  /** Last identifier of the variable or field it is stored in: "m_sync_workqueue". */
  key: string;
  /** The flags argument as written, and after expanding visible macros. */
  flags: string;
  expanded: string;
  /** true/false when the flags are known; null when they come from a variable. */
  memReclaim: boolean | null;
  /** create_workqueue() and friends: legacy queues the flush check skips. */
  legacy: boolean;
  line: number;
  file: string;
}

export interface WorkFact {
  /** Last identifier of the work expression: "&mp->m_flush_work" -> "m_flush_work". */
  key: string;
  fn: string;
  line: number;
  how: "init" | "declare" | "container_of";
}

export interface QueuedFact {
  work: string;
  queue: string;
  line: number;
  /** The function doing the queueing, when known. */
  in: string | null;
}

export interface MacroFact {
  params: string[] | null;
  body: string;
}

export interface FileFacts {
  path: string;
  /** The C parse ran (false: line-based fallback only). */
  parsed: boolean;
  /** The parse had ERROR or MISSING nodes (tolerated). */
  parseErrors: boolean;
  functions: FunctionFact[];
  queues: WorkqueueFact[];
  works: WorkFact[];
  queued: QueuedFact[];
  /** Functions of this file used as values (function pointers): callers unknown. */
  addressTaken: Set<string>;
  /** Every identifier used as a value, not called (for functions of other files). */
  valueIdents: Set<string>;
  macros: Map<string, MacroFact>;
  /** Local headers: #include "x.h". */
  includes: string[];
}

// ------------------------------------------------------------ text helpers

/** Blanks comments and the contents of string/char literals, keeping length and newlines. */
export function stripComments(text: string): string {
  const out: string[] = [];
  let i = 0;
  let last = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 47 /* / */) {
      const d = text.charCodeAt(i + 1);
      if (d === 42 /* * */) {
        let end = text.indexOf("*/", i + 2);
        end = end < 0 ? n : end + 2;
        out.push(text.slice(last, i), text.slice(i, end).replace(/[^\n]/g, " "));
        i = last = end;
        continue;
      }
      if (d === 47) {
        let end = text.indexOf("\n", i);
        if (end < 0) end = n;
        out.push(text.slice(last, i), " ".repeat(end - i));
        i = last = end;
        continue;
      }
    } else if (c === 34 /* " */ || c === 39 /* ' */) {
      let j = i + 1;
      while (j < n) {
        const e = text.charCodeAt(j);
        if (e === 92) j += 2;
        else if (e === c || e === 10) break;
        else j++;
      }
      const end = Math.min(j + 1, n);
      out.push(text.slice(last, i + 1), text.slice(i + 1, end - 1).replace(/[^\n]/g, " "), text.slice(end - 1, end));
      i = last = end;
      continue;
    }
    i++;
  }
  out.push(text.slice(last));
  return out.join("");
}

/** 1-based line of each offset, by binary search over newline offsets. */
export function lineIndex(text: string): (offset: number) => number {
  const nl = newlineOffsets(text);
  return (off) => lowerBound(nl, off) + 1;
}

/** "&mp->m_log->l_work" -> "l_work"; "&dw.work" and "to_delayed_work(x)" forms lose the trailing ".work". */
export function keyOf(expr: string): string {
  let e = expr.replace(/\s+/g, "").replace(/^\(?&/, "");
  e = e.replace(/(?:\.|->)work$/, "");
  const ids = e.match(/[A-Za-z_]\w*/g);
  return ids ? ids[ids.length - 1]! : e;
}

const KNOWN_FLAG = /^(?:WQ_[A-Z_]+|__WQ_[A-Z_]+|0|\d+|[|()\s]|0x[0-9a-fA-F]+)*$/;

/** The system workqueues (none has WQ_MEM_RECLAIM): the vocabulary's list, the one place they are named. */
export const SYSTEM_QUEUES: ReadonlySet<string> = new Set(Object.keys(VOCAB_SYSTEM_QUEUES));

/** Expands function-like and object-like macros in `expr` (a bounded number of substitutions). */
export function expandMacros(expr: string, macros: ReadonlyMap<string, MacroFact>): string {
  let cur = expr;
  const re = /\b([A-Za-z_]\w*)\b/g;
  for (let steps = 0; steps < 32; steps++) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    let done = true;
    while ((m = re.exec(cur))) {
      const mac = macros.get(m[1]!);
      if (!mac) continue;
      if (mac.params === null) {
        cur = `${cur.slice(0, m.index)}(${mac.body})${cur.slice(m.index + m[0].length)}`;
        done = false;
        break;
      }
      const open = cur.slice(m.index + m[0].length).search(/\S/);
      const at = m.index + m[0].length + open;
      if (open < 0 || cur[at] !== "(") continue;
      const args = callArguments(cur, at);
      if (!args) continue;
      let depth = 0;
      let end = at;
      for (; end < cur.length; end++) {
        if (cur[end] === "(") depth++;
        else if (cur[end] === ")" && --depth === 0) break;
      }
      let body = mac.body;
      mac.params.forEach((p, i) => {
        body = body.replace(new RegExp(`\\b${p}\\b`, "g"), args[i] ?? "");
      });
      cur = `${cur.slice(0, m.index)}(${body})${cur.slice(end + 1)}`;
      done = false;
      break;
    }
    if (done) break;
  }
  return cur;
}

export function memReclaimOf(expanded: string): boolean | null {
  if (/\bWQ_MEM_RECLAIM\b/.test(expanded)) return true;
  return KNOWN_FLAG.test(expanded) ? false : null;
}

// ------------------------------------------------------------ regex facts

const ALLOC_WQ = /\b(alloc_workqueue|alloc_ordered_workqueue|create_workqueue|create_singlethread_workqueue|create_freezable_workqueue)\s*\(/g;
const LHS = /([A-Za-z_][\w.>\-[\]]*)\s*=\s*(?:\([^()]*\)\s*)?$/;
const WORK_INIT =
  /\b(INIT_WORK|INIT_WORK_ONSTACK|INIT_DELAYED_WORK|INIT_DEFERRABLE_WORK|INIT_RCU_WORK|DECLARE_WORK|DECLARE_DELAYED_WORK|DECLARE_DEFERRABLE_WORK)\s*\(/g;
const CONTAINER_OF = /\bcontainer_of\s*\(\s*(?:to_delayed_work\s*\(\s*)?(\w+)\s*\)?\s*,\s*(?:struct\s+)?\w+\s*,\s*([\w.]+)\s*\)/g;
const DEFINE = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(\(([^)]*)\))?[ \t]*((?:[^\n]*\\\n)*[^\n]*)/gm;
const INCLUDE = /^[ \t]*#[ \t]*include[ \t]+"([^"]+)"/gm;

/** queue call name -> [index of the queue argument or -1 for system_wq, index of the work argument]. */
export const QUEUE_CALLS: Record<string, [number, number]> = {
  queue_work: [0, 1],
  queue_work_on: [1, 2],
  queue_work_node: [1, 2],
  queue_delayed_work: [0, 1],
  queue_delayed_work_on: [1, 2],
  mod_delayed_work: [0, 1],
  mod_delayed_work_on: [1, 2],
  queue_rcu_work: [0, 1],
  schedule_work: [-1, 0],
  schedule_work_on: [-1, 1],
  schedule_delayed_work: [-1, 0],
  schedule_delayed_work_on: [-1, 1],
};


// ------------------------------------------------------------ the parse

const SAVE_KIND: Record<string, ScopeKind> = {
  memalloc_noio_save: "noio",
  memalloc_nofs_save: "nofs",
  memalloc_noreclaim_save: "noreclaim",
};
const RESTORE_KIND: Record<string, ScopeKind> = {
  memalloc_noio_restore: "noio",
  memalloc_nofs_restore: "nofs",
  memalloc_noreclaim_restore: "noreclaim",
};

function flagsKind(text: string): ScopeKind | null {
  if (/PF_MEMALLOC_NOIO/.test(text)) return "noio";
  if (/PF_MEMALLOC_NOFS/.test(text)) return "nofs";
  if (/\bPF_MEMALLOC\b/.test(text)) return "noreclaim";
  return null;
}

function declaratorName(fn: Node): string | null {
  let d = fn.childForFieldName("declarator");
  for (let guard = 0; d && d.type !== "function_declarator" && guard < 8; guard++) d = d.childForFieldName("declarator");
  if (!d) return null;
  const id = d.childForFieldName("declarator");
  if (!id) return null;
  if (id.type === "identifier") return id.text;
  const m = /([A-Za-z_]\w*)\s*$/.exec(id.text);
  return m ? m[1]! : null;
}

function isStaticDef(fn: Node): boolean {
  for (const c of fn.children) {
    if (!c) continue;
    if (c.type === "storage_class_specifier" && c.text === "static") return true;
    if (c.type === "compound_statement") break;
  }
  return false;
}

interface RawCall {
  callee: string;
  line: number;
  node: Node;
}

/** The lvalue a call's result is stored in: "x = f()" / "unsigned x = f()". */
function storedIn(call: Node): string | null {
  const p = call.parent;
  if (!p) return null;
  if (p.type === "assignment_expression") return p.childForFieldName("left")?.text ?? null;
  if (p.type === "init_declarator") return p.childForFieldName("declarator")?.text ?? null;
  return null;
}

function firstArg(call: Node): string {
  const args = call.childForFieldName("arguments");
  const a = args?.namedChildren.find((c) => c !== null && c.type !== "comment");
  return a ? a.text.trim() : "";
}

/** Does a restore of the scope happen on the path from the function start to `node` (a return)? */
function restoredBefore(node: Node, fnBody: Node, saveRow: number, isRestore: (n: Node) => boolean, lenient: boolean): boolean {
  let child: Node = node;
  let cur: Node | null = node.parent;
  while (cur && cur.id !== fnBody.parent?.id) {
    if (cur.type === "compound_statement" || cur.type === "case_statement") {
      for (const s of cur.namedChildren) {
        if (!s) continue;
        if (s.id === child.id || s.startIndex >= child.startIndex) break;
        if (s.endPosition.row < saveRow) continue;
        if (containsRestore(s, isRestore, lenient)) return true;
      }
    }
    if (cur.id === fnBody.id) break;
    child = cur;
    cur = cur.parent;
  }
  return false;
}

/**
 * A restore that runs whenever the statement runs. With `lenient` (the save
 * itself was conditional), a restore under an if counts too: the two
 * conditions are usually the same flag ("if (suspend) restore").
 */
function containsRestore(n: Node, isRestore: (n: Node) => boolean, lenient = false): boolean {
  switch (n.type) {
    case "expression_statement":
      return n.descendantsOfType("call_expression").some((c) => c !== null && isRestore(c));
    case "compound_statement":
    case "labeled_statement":
    case "else_clause":
      return n.namedChildren.some((c) => c !== null && containsRestore(c, isRestore, lenient));
    case "if_statement":
    case "for_statement":
    case "while_statement":
    case "do_statement":
      return lenient && n.namedChildren.some((c) => c !== null && c.type !== "parenthesized_expression" && containsRestore(c, isRestore, lenient));
    default:
      return false;
  }
}

const JUMPS = new Set(["return_statement", "continue_statement", "break_statement", "goto_statement"]);
const BRANCHES = new Set(["if_statement", "else_clause", "for_statement", "while_statement", "do_statement", "switch_statement", "case_statement"]);

/**
 * The returns that can run after a save, following the structure: later
 * statements of the save's block, then of each enclosing block, stopping
 * where a block jumps away (continue, break, goto, return).
 */
function returnsAfter(save: Node, body: Node): { returns: Node[]; fallsOff: boolean; conditional: boolean } {
  const returns: Node[] = [];
  let conditional = false;
  let x: Node | null = save;
  while (x && x.parent && x.parent.type !== "compound_statement" && x.parent.type !== "case_statement") {
    if (BRANCHES.has(x.parent.type)) conditional = true;
    x = x.parent;
  }
  while (x && x.parent) {
    const c: Node = x.parent;
    let stop = false;
    let after = false;
    for (const s of c.namedChildren) {
      if (!s) continue;
      if (s.id === x.id) {
        after = true;
        continue;
      }
      if (!after) continue;
      if (s.type === "return_statement") returns.push(s);
      else returns.push(...s.descendantsOfType("return_statement").filter((r): r is Node => r !== null));
      if (JUMPS.has(s.type)) {
        stop = true;
        break;
      }
    }
    if (stop) return { returns, fallsOff: false, conditional };
    if (c.id === body.id) return { returns, fallsOff: true, conditional };
    let up: Node | null = c;
    while (up && up.parent && up.parent.type !== "compound_statement" && up.parent.type !== "case_statement") {
      if (BRANCHES.has(up.parent.type) || BRANCHES.has(up.type)) conditional = true;
      up = up.parent;
    }
    if (up && BRANCHES.has(up.type)) conditional = true;
    x = up;
  }
  return { returns, fallsOff: false, conditional };
}

function analyseScopes(fnNode: Node, f: FunctionFact, calls: RawCall[]): void {
  const body = fnNode.childForFieldName("body");
  if (!body) return;
  interface Ev {
    line: number;
    save: boolean;
    kind: ScopeKind;
    v: string | null;
    node: Node | null;
    how: "save" | "flags";
  }
  const evs: Ev[] = [];
  for (const c of calls) {
    const sk = SAVE_KIND[c.callee];
    if (sk) evs.push({ line: c.line, save: true, kind: sk, v: storedIn(c.node), node: c.node, how: "save" });
    const rk = RESTORE_KIND[c.callee];
    if (rk) evs.push({ line: c.line, save: false, kind: rk, v: firstArg(c.node), node: c.node, how: "save" });
    if (c.callee === "memalloc_flags_save") {
      const k = flagsKind(firstArg(c.node));
      if (k) evs.push({ line: c.line, save: true, kind: k, v: storedIn(c.node), node: c.node, how: "save" });
    }
    if (c.callee === "memalloc_flags_restore" || c.callee === "current_restore_flags") {
      const k = flagsKind(c.node.text) ?? "noio";
      evs.push({ line: c.line, save: false, kind: k, v: firstArg(c.node), node: c.node, how: "save" });
    }
  }
  // current->flags |= PF_MEMALLOC_NOIO ... current->flags = old / &= ~PF_MEMALLOC_NOIO
  if (/current\s*->\s*flags/.test(body.text)) {
    for (const a of body.descendantsOfType("assignment_expression")) {
      if (!a) continue;
      const left = a.childForFieldName("left")?.text.replace(/\s+/g, "") ?? "";
      if (left !== "current->flags") continue;
      const op = a.childForFieldName("operator")?.text ?? a.children[1]?.text ?? "";
      const right = a.childForFieldName("right")?.text ?? "";
      const line = a.startPosition.row + 1;
      if (op === "|=") {
        const k = flagsKind(right);
        if (k) evs.push({ line, save: true, kind: k, v: null, node: a, how: "flags" });
      } else if (op === "&=" && /~/.test(right)) {
        const k = flagsKind(right);
        if (k) evs.push({ line, save: false, kind: k, v: null, node: a, how: "flags" });
      } else if (op === "=") {
        evs.push({ line, save: false, kind: flagsKind(right) ?? "noio", v: right.trim(), node: a, how: "flags" });
      }
    }
  }
  if (evs.length === 0) return;
  evs.sort((a, b) => a.line - b.line);
  for (const s of evs) {
    if (!s.save) continue;
    const matching = (e: Ev) =>
      !e.save &&
      e.line >= s.line &&
      (s.how === "flags" ? e.how === "flags" || e.kind === s.kind : e.how === "save" && e.kind === s.kind);
    const restores = evs.filter(matching);
    const end = restores.length > 0 ? restores[restores.length - 1]!.line : f.end;
    f.scopes.push({ kind: s.kind, start: s.line, end, saveVar: s.v, how: s.how, restored: restores.length > 0 });
    if (s.how !== "save") continue;
    // restoring another variable than the one saved to
    if (s.v) {
      const sv = s.v.replace(/\s+/g, "");
      for (const r of restores) {
        const rv = (r.v ?? "").replace(/\s+/g, "");
        if (r.how === "save" && rv && rv !== sv && !/^(?:0|\w+\s*\(.*\))$/.test(rv))
          f.leaks.push({ save: s.line, kind: s.kind, exit: r.line, wrongVar: rv });
      }
    }
    const restoreNodes = new Set(restores.map((r) => r.node?.id));
    const isRestore = (n: Node) => restoreNodes.has(n.id);
    const saveRow = s.line - 1;
    const saveNode = s.node;
    // saved into a structure field: the scope is handed over to another function (a transaction handle that carries the scope)
    if (!saveNode || (s.v !== null && /->|\./.test(s.v))) continue;
    const after = returnsAfter(saveNode, body);
    for (const r of after.returns) {
      if (!restoredBefore(r, body, saveRow, isRestore, after.conditional)) f.leaks.push({ save: s.line, kind: s.kind, exit: r.startPosition.row + 1 });
    }
    // falling off the end of the function
    if (after.fallsOff) {
      const stmts = body.namedChildren.filter((c): c is Node => c !== null && c.type !== "comment");
      const tail = stmts.filter((st) => st.endPosition.row >= saveRow);
      if (!tail.some((st) => containsRestore(st, isRestore, after.conditional))) f.leaks.push({ save: s.line, kind: s.kind, exit: f.end });
    }
  }
}

/** Functions by the kernel's column-0 style, for text the parse could not read. */
function fallbackFunctions(lines: string[]): { name: string; start: number; end: number; isStatic: boolean }[] {
  const out: { name: string; start: number; end: number; isStatic: boolean }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const name = functionDefinedAfter(i > 0 ? lines[i - 1]! : null, lines[i]!);
    if (!name) continue;
    // the body opens with "{" at column 0 within a few lines, before any ";" ends a prototype
    let open = -1;
    for (let j = i; j < Math.min(lines.length, i + 12); j++) {
      if (lines[j]!.startsWith("{")) {
        open = j;
        break;
      }
      if (/;\s*$/.test(lines[j]!)) break;
    }
    if (open < 0) continue;
    let close = -1;
    for (let j = open + 1; j < lines.length; j++)
      if (lines[j]!.startsWith("}")) {
        close = j;
        break;
      }
    if (close < 0) continue;
    const startLine = i > 0 && /^(?:static\b|STATIC\b)/.test(lines[i - 1]!) && !/[;{}]/.test(lines[i - 1]!) ? i - 1 : i;
    out.push({ name, start: startLine + 1, end: close + 1, isStatic: /\bstatic\b/.test(lines[startLine]!) });
    i = close;
  }
  return out;
}

const CALL_RE = /\b([A-Za-z_]\w*)\s*\(/g;
const NOT_CALL = new Set(["if", "for", "while", "switch", "return", "sizeof", "typeof", "__typeof__", "defined", "do", "else", "case", "__builtin_expect", "likely", "unlikely"]);

/** Computes the facts of one file. Uses the C parse when the parser is ready, the line fallback otherwise. */
export function extractFacts(path: string, text: string, opts: { parse?: boolean } = {}): FileFacts {
  const code = stripComments(text);
  const lineOf = lineIndex(code);
  const lines = code.split("\n");
  const facts: FileFacts = {
    path,
    parsed: false,
    parseErrors: false,
    functions: [],
    queues: [],
    works: [],
    queued: [],
    addressTaken: new Set(),
    valueIdents: new Set(),
    macros: new Map(),
    includes: [],
  };

  // --- functions and calls
  if (opts.parse !== false && parserReady()) {
    const tree = parseC(text);
    try {
      const root = tree.rootNode;
      facts.parsed = true;
      facts.parseErrors = root.hasError;
      const fnNodes = root.descendantsOfType("function_definition").filter((n): n is Node => n !== null);
      const fns: { f: FunctionFact; node: Node; raw: RawCall[] }[] = [];
      for (const n of fnNodes) {
        const name = declaratorName(n);
        if (!name) continue;
        fns.push({
          f: { name, start: n.startPosition.row + 1, end: n.endPosition.row + 1, isStatic: isStaticDef(n), calls: [], scopes: [], leaks: [], parsed: true },
          node: n,
          raw: [],
        });
      }
      fns.sort((a, b) => a.f.start - b.f.start);
      // nested definitions (an ERROR swallowing a brace) -> keep the outermost
      const kept: typeof fns = [];
      for (const x of fns) {
        const prev = kept[kept.length - 1];
        if (prev && x.f.start <= prev.f.end) continue;
        kept.push(x);
      }
      for (const c of root.descendantsOfType("call_expression")) {
        if (!c) continue;
        const fnField = c.childForFieldName("function");
        if (!fnField || fnField.type !== "identifier") continue;
        const line = c.startPosition.row + 1;
        // binary search the function holding the line
        let lo = 0;
        let hi = kept.length - 1;
        let owner: (typeof kept)[number] | undefined;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          const k = kept[mid]!;
          if (line < k.f.start) hi = mid - 1;
          else if (line > k.f.end) lo = mid + 1;
          else {
            owner = k;
            break;
          }
        }
        if (!owner) continue;
        const argsNode = c.childForFieldName("arguments");
        let args = argsNode ? argsNode.text : "()";
        args = args.slice(1, args.endsWith(")") ? -1 : undefined);
        if (args.length > 300) args = args.slice(0, 300);
        owner.raw.push({ callee: fnField.text, line, node: c });
        owner.f.calls.push({ callee: fnField.text, line, args: stripComments(args) });
      }
      // calls the parse lost inside ERROR nodes: taken from the lines
      for (const k of kept) {
        if (!k.node.hasError) continue;
        const have = new Set(k.f.calls.map((x) => `${x.callee}:${x.line}`));
        for (let l = k.f.start + 1; l <= k.f.end; l++) {
          const lt = lines[l - 1]!;
          CALL_RE.lastIndex = 0;
          let cm: RegExpExecArray | null;
          while ((cm = CALL_RE.exec(lt))) {
            if (NOT_CALL.has(cm[1]!) || have.has(`${cm[1]}:${l}`)) continue;
            const a = callArguments(lt, cm.index + cm[0].length - 1);
            k.f.calls.push({ callee: cm[1]!, line: l, args: (a ?? []).join(", ") });
          }
        }
        k.f.calls.sort((a, b) => a.line - b.line);
      }
      for (const k of kept) {
        if (/memalloc_|PF_MEMALLOC/.test(lines.slice(k.f.start - 1, k.f.end).join("\n"))) analyseScopes(k.node, k.f, k.raw);
        facts.functions.push(k.f);
      }
    } finally {
      tree.delete();
    }
  }
  // functions the parse missed (or no parser): the line fallback, calls by regex
  const known = new Set(facts.functions.map((f) => f.start));
  const covered = (line: number) => facts.functions.some((f) => line >= f.start && line <= f.end);
  for (const fb of fallbackFunctions(lines)) {
    if (known.has(fb.start) || covered(fb.start) || covered(fb.end)) continue;
    const f: FunctionFact = { ...fb, calls: [], scopes: [], leaks: [], parsed: false };
    for (let l = fb.start; l <= fb.end; l++) {
      const lt = lines[l - 1]!;
      CALL_RE.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = CALL_RE.exec(lt))) {
        if (NOT_CALL.has(m[1]!) || (m[1] === fb.name && l <= fb.start + 1)) continue;
        const args = callArguments(lt, m.index + m[0].length - 1);
        f.calls.push({ callee: m[1]!, line: l, args: (args ?? []).join(", ") });
      }
    }
    fallbackScopes(f, lines);
    facts.functions.push(f);
  }
  facts.functions.sort((a, b) => a.start - b.start);

  // --- macros and includes
  if (code.includes("#")) {
    DEFINE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = DEFINE.exec(code))) {
      const body = m[4]!.replace(/\\\n/g, " ").trim();
      if (!/WQ_|GFP|PF_MEMALLOC|work|wq/i.test(body)) continue;
      facts.macros.set(m[1]!, { params: m[2] ? m[3]!.split(",").map((s) => s.trim()).filter(Boolean) : null, body });
    }
    INCLUDE.lastIndex = 0;
    while ((m = INCLUDE.exec(text))) facts.includes.push(m[1]!);
  }

  const fnAt = (line: number): string | null => {
    for (const f of facts.functions) if (line >= f.start && line <= f.end) return f.name;
    return null;
  };


  // --- workqueues, works, queueing
  if (/work/.test(code)) {
    ALLOC_WQ.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = ALLOC_WQ.exec(code))) {
      const kind = m[1]!;
      const from = Math.max(code.lastIndexOf(";", m.index), code.lastIndexOf("{", m.index), code.lastIndexOf("}", m.index), m.index - 300);
      const lhs = LHS.exec(code.slice(from + 1, m.index).replace(/\s+/g, " "));
      if (!lhs) continue;
      const args = callArguments(code, m.index + m[0].length - 1) ?? [];
      const legacy = kind.startsWith("create_");
      const flags = legacy ? "WQ_MEM_RECLAIM" : (args[1] ?? "0");
      const line = lineOf(m.index + m[0].length);
      facts.queues.push({ key: keyOf(lhs[1]!), flags, expanded: flags, memReclaim: null, legacy, line, file: path });
      // a queue made into a local and stored afterwards (`wq = alloc_workqueue(...); ... global_wq = wq;`): the
      // stores in the same function before the local is assigned again are that queue too
      if (/^[A-Za-z_]\w*$/.test(lhs[1]!)) {
        const local = lhs[1]!;
        const fn = facts.functions.find((f) => line >= f.start && line <= f.end);
        const store = new RegExp(`^\\s*([A-Za-z_][\\w.>-]*)\\s*=\\s*${local}\\s*;`);
        const again = new RegExp(`(?:^|[^\\w.>])${local}\\s*=[^=]`);
        for (let l = line; fn && l < fn.end; l++) {
          const text = lines[l] ?? "";
          const st = store.exec(text);
          if (st && st[1] !== local) facts.queues.push({ key: keyOf(st[1]!), flags, expanded: flags, memReclaim: null, legacy, line, file: path });
          else if (again.test(text)) break;
        }
      }
    }
    WORK_INIT.lastIndex = 0;
    while ((m = WORK_INIT.exec(code))) {
      const args = callArguments(code, m.index + m[0].length - 1);
      if (!args || args.length < 2) continue;
      const fn = /^&?\s*([A-Za-z_]\w*)$/.exec(args[1]!.trim());
      if (!fn) continue;
      facts.works.push({ key: keyOf(args[0]!), fn: fn[1]!, line: lineOf(m.index), how: m[1]!.startsWith("DECLARE") ? "declare" : "init" });
    }
    CONTAINER_OF.lastIndex = 0;
    while ((m = CONTAINER_OF.exec(code))) {
      const line = lineOf(m.index);
      const fn = fnAt(line);
      if (!fn) continue;
      const fact = facts.functions.find((f) => f.name === fn);
      // only in a function that takes a work_struct
      const head = lines.slice((fact?.start ?? line) - 1, (fact?.start ?? line) + 2).join(" ");
      if (!/struct\s+work_struct\s*\*\s*(\w+)/.test(head)) continue;
      facts.works.push({ key: keyOf(m[2]!), fn, line, how: "container_of" });
    }
    for (const f of facts.functions)
      for (const c of f.calls) {
        const spec = QUEUE_CALLS[c.callee];
        if (!spec) continue;
        const args = splitArgs(c.args);
        const work = args[spec[1]];
        if (work === undefined) continue;
        const queue = spec[0] < 0 ? "system_wq" : args[spec[0]];
        if (queue === undefined) continue;
        facts.queued.push({ work: keyOf(work), queue: keyOf(queue), line: c.line, in: f.name });
      }
  }

  // --- functions used as values
  const defined = new Set(facts.functions.map((f) => f.name));
  const IDENT = /\b([A-Za-z_]\w*)\b(\s*\()?/g;
  let m: RegExpExecArray | null;
  const protoLines = new Set(facts.functions.map((f) => f.start));
  while ((m = IDENT.exec(code))) {
    if (m[2]) continue;
    const id = m[1]!;
    if (id.length < 3 || /^[A-Z_0-9]+$/.test(id)) continue;
    facts.valueIdents.add(id);
    if (defined.has(id) && !protoLines.has(lineOf(m.index))) facts.addressTaken.add(id);
  }
  return facts;
}

function fallbackScopes(f: FunctionFact, lines: string[]): void {
  if (!lines.slice(f.start - 1, f.end).some((l) => l.includes("memalloc_"))) return;
  let open: { kind: ScopeKind; start: number; v: string | null } | null = null;
  for (let l = f.start; l <= f.end; l++) {
    const t = lines[l - 1]!;
    const s = /(?:(\w+)\s*=\s*)?memalloc_(noio|nofs|noreclaim)_save\s*\(/.exec(t);
    if (s) open = { kind: s[2] as ScopeKind, start: l, v: s[1] ?? null };
    const r = /memalloc_(noio|nofs|noreclaim)_restore\s*\(/.exec(t);
    if (r && open) {
      f.scopes.push({ kind: open.kind, start: open.start, end: l, saveVar: open.v, how: "save", restored: true });
      open = null;
    }
  }
  if (open) f.scopes.push({ kind: open.kind, start: open.start, end: f.end, saveVar: open.v, how: "save", restored: false });
}

/** Splits a top-level argument list ("a, f(b, c), d"). */
export function splitArgs(args: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of args) {
    if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === ")" || ch === "]" || ch === "}") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  if (cur.trim() !== "" || out.length > 0) out.push(cur.trim());
  return out;
}


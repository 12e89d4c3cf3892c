// A linear scan of a C file for what crosses function boundaries: function
// definitions (kernel style, at top level), the calls each makes (with
// arguments), ops-table initialisers (`.queue_rq = foo_queue_rq` inside
// `struct blk_mq_ops x = {`) and field assignments of callbacks
// (`s->scan_objects = foo_scan`), also those a function-like macro of the
// file builds with token pasting (`FOO_ENTRY(bar)` for a macro that defines
// `struct foo_entry bar##_entry = { .store = bar##_store }`), and calls
// through a pointer (kept apart from direct calls). No control flow: that is
// flow.ts's job for the functions under review. One pass over a token
// stream, so neighbour files of a big directory are cheap to index.

export interface ScanCall {
  callee: string;
  line: number;
  args: string[];
}

export interface ScanFunction {
  name: string;
  /** 1-based lines of the definition (signature start) and the closing brace. */
  start: number;
  end: number;
  isStatic: boolean;
  /** The parameter list as written, without parentheses. */
  params: string;
  calls: ScanCall[];
  /** Calls through a pointer (`sched->ops->run_job(job)`): the field called and the object it is read from. */
  pointerCalls?: { field: string; receiver: string; line: number }[];
  /** The macro that writes the definition's head (`CLOSURE_CALLBACK`), when the function is defined through one. */
  definedBy?: string;
}

export interface ScanOps {
  /** The struct type of the initialiser ("blk_mq_ops"), null for a field assignment whose object type is unknown. */
  struct: string | null;
  field: string;
  fn: string;
  line: number;
  /** The variable initialised or assigned ("foo_mq_ops", "s->scan_objects"). */
  holder: string;
}

export interface ScanFile {
  functions: ScanFunction[];
  ops: ScanOps[];
}

interface Tok {
  v: string;
  line: number;
  /** 0: identifier, 1: number/string/char, 2: punctuation. */
  k: 0 | 1 | 2;
}

const KEYWORDS = new Set([
  "if", "for", "while", "switch", "return", "sizeof", "typeof", "__typeof__", "do", "else", "case", "goto", "default",
  "break", "continue", "struct", "union", "enum", "static", "const", "volatile", "unsigned", "signed", "inline",
  "__always_inline", "extern", "typedef", "__attribute__", "asm", "__asm__", "_Static_assert", "static_assert",
  "defined", "__builtin_expect", "likely", "unlikely", "offsetof", "alignof", "_Alignof", "__alignof__",
]);

const MAX_ARG_CHARS = 200;

/** Tokens of C text: comments and preprocessor lines dropped, strings kept as one token. Linear. */
export function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  let lineStart = true;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      lineStart = true;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
      continue;
    }
    if (c === 35 /* # */ && lineStart) {
      // a preprocessor line, with continuations
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 10) {
          if (text.charCodeAt(i - 1) === 92 || (text.charCodeAt(i - 1) === 13 && text.charCodeAt(i - 2) === 92)) {
            line++;
            i++;
            continue;
          }
          break;
        }
        if (d === 47 && text.charCodeAt(i + 1) === 42) {
          const e = text.indexOf("*/", i + 2);
          const end = e < 0 ? n : e + 2;
          for (let j = i; j < end; j++) if (text.charCodeAt(j) === 10) line++;
          i = end;
          continue;
        }
        i++;
      }
      continue;
    }
    lineStart = false;
    if (c === 47 /* / */) {
      const d = text.charCodeAt(i + 1);
      if (d === 42) {
        const e = text.indexOf("*/", i + 2);
        const end = e < 0 ? n : e + 2;
        for (let j = i; j < end; j++) if (text.charCodeAt(j) === 10) line++;
        i = end;
        continue;
      }
      if (d === 47) {
        const e = text.indexOf("\n", i);
        i = e < 0 ? n : e;
        continue;
      }
    }
    if (c === 34 || c === 39) {
      let j = i + 1;
      while (j < n) {
        const e = text.charCodeAt(j);
        if (e === 92) j += 2;
        else if (e === c || e === 10) break;
        else j++;
      }
      out.push({ v: c === 34 ? '""' : "''", line, k: 1 });
      i = Math.min(j + 1, n);
      continue;
    }
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) {
      let j = i + 1;
      while (j < n) {
        const e = text.charCodeAt(j);
        if ((e >= 65 && e <= 90) || (e >= 97 && e <= 122) || e === 95 || (e >= 48 && e <= 57)) j++;
        else break;
      }
      out.push({ v: text.slice(i, j), line, k: 0 });
      i = j;
      continue;
    }
    if (c >= 48 && c <= 57) {
      let j = i + 1;
      while (j < n && /[\w.]/.test(text[j]!)) j++;
      out.push({ v: text.slice(i, j), line, k: 1 });
      i = j;
      continue;
    }
    // two-character operators that matter: -> and ==
    if (c === 45 && text.charCodeAt(i + 1) === 62) {
      out.push({ v: "->", line, k: 2 });
      i += 2;
      continue;
    }
    if (c === 61 && text.charCodeAt(i + 1) === 61) {
      out.push({ v: "==", line, k: 2 });
      i += 2;
      continue;
    }
    out.push({ v: text[i]!, line, k: 2 });
    i++;
  }
  return out;
}

/** The index of the token closing the bracket opened at `open`, or toks.length. */
function closing(toks: Tok[], open: number): number {
  const o = toks[open]!.v;
  const c = o === "(" ? ")" : o === "[" ? "]" : "}";
  let depth = 0;
  for (let i = open; i < toks.length; i++) {
    const v = toks[i]!.v;
    if (v === o) depth++;
    else if (v === c && --depth === 0) return i;
  }
  return toks.length;
}

function joinToks(toks: Tok[], from: number, to: number): string {
  let s = "";
  for (let i = from; i < to && s.length < MAX_ARG_CHARS; i++) {
    const t = toks[i]!;
    const prev = toks[i - 1];
    if (s && t.k === 0 && prev && prev.k === 0) s += " ";
    s += t.v;
  }
  return s.length > MAX_ARG_CHARS ? s.slice(0, MAX_ARG_CHARS) : s;
}

/** Top-level arguments of the call whose "(" is at `open` (bounded: at most 8 arguments kept). */
function callArgs(toks: Tok[], open: number, close: number): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = open + 1;
  for (let i = open + 1; i < close; i++) {
    const v = toks[i]!.v;
    if (v === "(" || v === "[" || v === "{") depth++;
    else if (v === ")" || v === "]" || v === "}") depth--;
    else if (v === "," && depth === 0) {
      if (out.length < 8) out.push(joinToks(toks, from, i));
      from = i + 1;
    }
  }
  if (close > open + 1 && out.length < 8) out.push(joinToks(toks, from, close));
  return out;
}

/** A function-like macro of the file whose body is a struct initialiser with callback fields. */
interface OpsMacro {
  params: string[];
  struct: string;
  /** field -> the value as written: identifiers and `##` (`_prefix##_store`, `_fn`, `fixed_fn`). */
  fields: { field: string; value: string[] }[];
}

const DEFINE_RE = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(([^)]*)\)((?:[^\n]*\\\r?\n)*[^\n]*)/gm;

/**
 * Macros of the text that define a struct initialiser (`struct T name = {` or a compound literal
 * `(struct T){`) with designated fields whose values are identifiers built from the parameters.
 */
function opsMacros(text: string): Map<string, OpsMacro> {
  const out = new Map<string, OpsMacro>();
  if (!text.includes("#define") || !text.includes("##")) return out;
  for (const m of text.matchAll(DEFINE_RE)) {
    const body = m[3]!.replace(/\\\r?\n/g, " ").replace(/\/\*[\s\S]*?\*\//g, " ");
    if (!body.includes("=") || !body.includes("{")) continue;
    const st = /\bstruct\s+([A-Za-z_]\w*)\s+[A-Za-z_#\s]+(?:\[\s*\])?\s*=\s*\{/.exec(body) ?? /\(\s*struct\s+([A-Za-z_]\w*)\s*\)\s*\{/.exec(body);
    if (!st) continue;
    const params = m[2]!.split(",").map((x) => x.trim()).filter(Boolean);
    if (params.length === 0 || !params.every((x) => /^[A-Za-z_]\w*$/.test(x))) continue;
    const fields: OpsMacro["fields"] = [];
    for (const f of body.slice(st.index).matchAll(/\.\s*([A-Za-z_]\w*)\s*=\s*&?\s*([A-Za-z_][\w#\s]*?)\s*(?=[,}])/g)) {
      const value = f[2]!.split(/\s*##\s*/);
      if (value.every((x) => /^[A-Za-z_]\w*$/.test(x))) fields.push({ field: f[1]!, value });
    }
    if (fields.length > 0) out.set(m[1]!, { params, struct: st[1]!, fields });
  }
  return out;
}

/** The initialiser entries a use of an ops macro makes: its fields' values with the arguments pasted in. */
function expandOpsMacro(mac: OpsMacro, args: readonly string[], line: number, holder: string, ops: ScanOps[]): void {
  const bound = new Map(mac.params.map((p, i) => [p, (args[i] ?? "").trim()]));
  for (const f of mac.fields) {
    const fn = f.value.map((x) => bound.get(x) ?? x).join("");
    // a value that does not paste into one identifier (an argument that is an expression, a string) names nothing
    if (/^[A-Za-z_]\w*$/.test(fn)) ops.push({ struct: mac.struct, field: f.field, fn, line, holder });
  }
}

/** Scans one C file. Linear in its length (each call's arguments are scanned once more, bounded). */
export function scanFile(text: string): ScanFile {
  const toks = tokenize(text);
  const functions: ScanFunction[] = [];
  const ops: ScanOps[] = [];
  const macros = opsMacros(text);
  let i = 0;
  let lastStatic = -1;
  let stmtStart = 0;
  while (i < toks.length) {
    const t = toks[i]!;
    if (t.v === ";" || t.v === "}") {
      stmtStart = i + 1;
      i++;
      continue;
    }
    // a block at top level that is not a function body or an initialiser (struct/enum/union bodies, a body
    // whose head we did not recognise): skipped whole, so nothing inside it looks like a definition
    if (t.v === "{") {
      i = closing(toks, i) + 1;
      stmtStart = i;
      continue;
    }
    if (t.v === "static") lastStatic = i;
    // a struct initialiser at top level: struct T name [= ] {  /  struct T name[] = {
    if (t.v === "=" && toks[i + 1]?.v === "{") {
      let struct: string | null = null;
      let holder = "";
      for (let j = stmtStart; j < i; j++) {
        if (toks[j]!.v === "struct" && toks[j + 1]?.k === 0) struct = toks[j + 1]!.v;
        if (toks[j]!.k === 0) holder = toks[j]!.v;
      }
      const end = closing(toks, i + 1);
      scanInitialiser(toks, i + 1, end, struct, holder, ops);
      i = end + 1;
      continue;
    }
    // a function definition: ident ( params ) [attributes] {
    if (t.k === 0 && toks[i + 1]?.v === "(" && !KEYWORDS.has(t.v)) {
      const close = closing(toks, i + 1);
      // a use of an ops macro at top level: the initialiser it expands to
      const mac = i === stmtStart ? macros.get(t.v) : undefined;
      if (mac) {
        const args = callArgs(toks, i + 1, close);
        expandOpsMacro(mac, args, t.line, `${t.v}(${args[0] ?? ""})`, ops);
        i = close + 1;
        continue;
      }
      let j = close + 1;
      // attributes and annotations between ")" and "{"
      while (j < toks.length && toks[j]!.k === 0 && toks[j + 1]?.v === "(") j = closing(toks, j + 1) + 1;
      while (j < toks.length && toks[j]!.k === 0 && toks[j]!.v.startsWith("__")) j++;
      // a definition through a macro (`static CLOSURE_CALLBACK(foo_done) {`, `SYSCALL_DEFINE2(foo, int, a, ...) {`):
      // named by the macro's first argument, its parameters unknown (the macro writes them)
      const macroHead = /^[A-Z0-9_]+$/.test(t.v);
      const first = macroHead ? toks[i + 2] : undefined;
      const macroName = macroHead && first?.k === 0 && (toks[i + 3]?.v === ")" || toks[i + 3]?.v === ",") ? first.v : null;
      if (toks[j]?.v === "{" && i > stmtStart - 1 && (!macroHead || macroName !== null)) {
        const end = closing(toks, j);
        const start = toks[stmtStart]?.line ?? t.line;
        const fn: ScanFunction = {
          name: macroName ?? t.v,
          start: Math.min(start, t.line),
          end: toks[end]?.line ?? toks[toks.length - 1]!.line,
          isStatic: lastStatic >= stmtStart,
          params: macroName !== null ? "" : joinToks(toks, i + 2, close),
          calls: [],
          ...(macroName !== null ? { definedBy: t.v } : {}),
        };
        scanBody(toks, j + 1, end, fn, ops);
        functions.push(fn);
        i = end + 1;
        stmtStart = i;
        continue;
      }
      i = close + 1;
      continue;
    }
    i++;
  }
  return { functions, ops };
}

function scanInitialiser(toks: Tok[], open: number, close: number, struct: string | null, holder: string, ops: ScanOps[]): void {
  for (let i = open + 1; i < close; i++) {
    if (toks[i]!.v === "." && toks[i + 1]?.k === 0 && toks[i + 2]?.v === "=") {
      let k = i + 3;
      if (toks[k]?.v === "&") k++;
      const fn = toks[k];
      const after = toks[k + 1]?.v;
      if (fn && fn.k === 0 && (after === "," || after === "}" || after === undefined)) ops.push({ struct, field: toks[i + 1]!.v, fn: fn.v, line: toks[i + 1]!.line, holder });
    }
  }
}

function scanBody(toks: Tok[], from: number, to: number, fn: ScanFunction, ops: ScanOps[]): void {
  for (let i = from; i < to; i++) {
    const t = toks[i]!;
    if (t.k !== 0) continue;
    const next = toks[i + 1]?.v;
    if (next === "(" && !KEYWORDS.has(t.v) && toks[i - 1]?.v !== "." && toks[i - 1]?.v !== "->") {
      const close = closing(toks, i + 1);
      fn.calls.push({ callee: t.v, line: t.line, args: callArgs(toks, i + 1, Math.min(close, to)) });
      continue;
    }
    if (next === "(" && toks[i - 1]?.v === "->") {
      // the object: the member chain before the arrow (`sched->ops`)
      let h = i - 2;
      while (h > from && (toks[h - 1]?.v === "->" || toks[h - 1]?.v === ".") && toks[h - 2]?.k === 0) h -= 2;
      (fn.pointerCalls ??= []).push({ field: t.v, receiver: joinToks(toks, h, i - 1), line: t.line });
      continue;
    }
    // x->field = fn; / x.field = fn;
    if ((toks[i - 1]?.v === "->" || toks[i - 1]?.v === ".") && next === "=" && toks[i + 2]?.k === 0 && toks[i + 3]?.v === ";") {
      let h = i - 2;
      while (h > from && (toks[h]!.k === 0 || toks[h]!.v === "->" || toks[h]!.v === ".")) h--;
      ops.push({ struct: null, field: t.v, fn: toks[i + 2]!.v, line: t.line, holder: joinToks(toks, h + 1, i + 1) });
    }
  }
}

/** The parameter declarations of a signature text ("static int foo(struct a *x, int y)" -> ["struct a *x", "int y"]). */
export function paramsOfSignature(sig: string): string[] {
  const open = sig.indexOf("(");
  if (open < 0) return [];
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (let i = open + 1; i < sig.length; i++) {
    const c = sig[i]!;
    if (c === "(") depth++;
    else if (c === ")") {
      if (depth === 0) break;
      depth--;
    }
    if (c === "," && depth === 0) {
      out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out.filter((p) => p !== "void" && p !== "...");
}

/** The name a parameter declaration declares ("struct a *x" -> "x", "char buf[16]" -> "buf"; "" when none). */
export function paramName(decl: string): string {
  return /([A-Za-z_]\w*)\s*(?:\[.*)?$/.exec(decl)?.[1] ?? "";
}

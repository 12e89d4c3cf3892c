// Small, pure helpers over C source lines as they appear in a diff. Every
// regex is anchored at an identifier boundary, and lines are read up to
// MAX_LINE characters, so a hostile line costs linear time.

/** Characters of one line that the line helpers read (longer lines are cut there). */
export const MAX_LINE = 4096;
const cap = (s: string) => (s.length > MAX_LINE ? s.slice(0, MAX_LINE) : s);

/** Removes string/char literals and comments from one line (keeps length roughly). */
const NEEDS_STRIP = /[/"']/;

export function stripLine(text: string, state: { inComment: boolean } = { inComment: false }): string {
  if (!state.inComment && !NEEDS_STRIP.test(text)) return text; // nothing to remove (most lines)
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (state.inComment) {
      const end = text.indexOf("*/", i);
      if (end < 0) return out;
      state.inComment = false;
      i = end + 2;
      out += " ";
      continue;
    }
    const c = text[i]!;
    if (c === "/" && text[i + 1] === "*") {
      state.inComment = true;
      i += 2;
      continue;
    }
    if (c === "/" && text[i + 1] === "/") return out;
    if (c === '"' || c === "'") {
      const q = c;
      i++;
      while (i < text.length && text[i] !== q) i += text[i] === "\\" ? 2 : 1;
      i++;
      out += q + q;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/g;

export function identifiersOf(code: string): string[] {
  return code.match(IDENT) ?? [];
}

/** Whitespace-normalised line text used in fingerprints. */
export function normaliseLine(text: string): string {
  return stripLine(text).replace(/\s+/g, " ").trim();
}

/** Names of the functions called on a line: "foo(" -> foo (keywords excluded). */
const NOT_CALLS = new Set(["if", "for", "while", "switch", "return", "sizeof", "typeof", "__typeof__", "defined", "do", "else", "case"]);
export function callsOn(code: string): string[] {
  const out: string[] = [];
  const re = /\b([A-Za-z_]\w*)\s*\(/g;
  let m: RegExpExecArray | null;
  const c = cap(code);
  while ((m = re.exec(c))) if (!NOT_CALLS.has(m[1]!)) out.push(m[1]!);
  return out;
}

/**
 * The name of a function defined on this line, if it looks like the start of a
 * C function definition at column 0: "static int foo_scan(struct shrinker *s,".
 */
export function functionDefinedOn(full: string): string | null {
  const text = cap(full);
  if (!/^[A-Za-z_]/.test(text)) return null;
  if (/^(?:return|if|else|while|for|do|switch|case|default|goto|typedef|struct\s+\w+\s*\{|enum|union|#)/.test(text)) return null;
  if (/;\s*$/.test(text) && !/\)\s*$/.test(text)) return null; // a prototype or declaration
  const open = text.indexOf("(");
  if (open < 0 || text.indexOf(";", open) >= 0) return null;
  const m = /\b([A-Za-z_]\w*)\s*$/.exec(text.slice(0, open));
  if (!m) return null;
  const name = m[1]!;
  if (NOT_CALLS.has(name) || /^[A-Z0-9_]+$/.test(name)) return null; // macros in caps
  // must have a type-ish word before the name ("int foo(" / "static void *foo(") or be "foo(" continuation of a previous line
  const before = text.slice(0, m.index).trim();
  if (before === "" || /[=,]/.test(before)) return null;
  return name;
}

/** A line holding only a return type at column 0: words and stars (`static inline unsigned int __must_check`, `struct foo *`). */
const TYPE_LINE = /^[A-Za-z_][\w \t*]*$/;
const NOT_TYPE_LINE = /^(?:return|else|do|goto|case|default|break|continue|typedef|enum|union|#)\b/;

/** `text` is a return type on a line of its own, as kernel style writes it above a definition's name. */
export function isReturnTypeLine(text: string): boolean {
  return TYPE_LINE.test(text) && !NOT_TYPE_LINE.test(text);
}

/**
 * The function whose definition starts on `text`, given the line above it (null when unknown or not code):
 * also the kernel's style with the return type on its own line and the name at column 0
 * (`static ssize_t` / `foo_store(struct foo *f, ...)`).
 */
export function functionDefinedAfter(above: string | null, text: string): string | null {
  const own = functionDefinedOn(text);
  if (own || above === null || !/^[A-Za-z_]\w*\s*\(/.test(text) || !isReturnTypeLine(above)) return own;
  return functionDefinedOn(`${above.trim()} ${text}`);
}

/** The function name in a hunk header section: "static int foo(struct bar *b)" -> foo. */
export function functionFromSection(section: string): string | null {
  const m = /\b([A-Za-z_]\w*)\s*\(/.exec(cap(section));
  if (m && !NOT_CALLS.has(m[1]!)) return m[1]!;
  return null;
}

/** Lines in order with their code (stripLine), a comment carried from one line into the next. */
export function withCode<T extends { text: string }>(lines: readonly T[]): (T & { code: string })[] {
  const state = { inComment: false };
  return lines.map((l) => ({ ...l, code: stripLine(l.text, state) }));
}

/** Splits a call's argument list (from the "(" at `open`), respecting nesting; null when the call continues on a later line. */
export function callArguments(code: string, open: number): string[] | null {
  const r = scanArguments(code, open);
  return r.closed ? r.args : null;
}

/** Like callArguments, but an unclosed call gives the arguments seen so far (a statement rebuilt from several lines). */
export function callArgumentsPartial(code: string, open: number): string[] {
  return scanArguments(code, open).args;
}

function scanArguments(code: string, open: number): { args: string[]; closed: boolean } {
  const args: string[] = [];
  let depth = 0;
  let cur = "";
  for (let i = open; i < code.length; i++) {
    const c = code[i]!;
    if (c === "(") {
      depth++;
      if (depth === 1) continue;
    } else if (c === ")") {
      depth--;
      if (depth === 0) {
        args.push(cur.trim());
        return { args, closed: true };
      }
    } else if (c === "," && depth === 1) {
      args.push(cur.trim());
      cur = "";
      continue;
    }
    if (depth >= 1) cur += c;
  }
  if (cur.trim()) args.push(cur.trim());
  return { args, closed: false };
}

const DIRECTIVE = /^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b(.*)$/;

/**
 * The text with the lines of conditional blocks the preprocessor never compiles blanked (spaces of the same length,
 * so lines and offsets stay put): `#if 0`, `#if NAME` where the file itself defines NAME as 0, and the `#else` of
 * `#if 1` (or of a NAME defined non-zero). Other conditions (`#ifdef`, `IS_ENABLED()`, configuration) are unknown and
 * kept. The directive lines stay.
 */
/**
 * The value of an `#if` condition when the text decides it: a number, or a NAME the text itself defines as a number
 * (`#define FOO_DUMP 0`); null for anything else (`defined()`, `IS_ENABLED()`, configuration).
 */
function conditionValues(text: string): (cond: string) => boolean | null {
  const defs = new Map<string, number>();
  for (const m of text.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+(\d+)[ \t]*(?:\/[*/].*)?$/gm)) defs.set(m[1]!, Number(m[2]));
  return (cond) => {
    const v = cond.replace(/\/\*.*?\*\//g, "").replace(/\/\/.*$/, "").trim();
    const n = /^\d+$/.test(v) ? Number(v) : defs.get(v);
    return n === undefined ? null : n !== 0;
  };
}

export function blankDeadConditionals(text: string): string {
  if (!/^[ \t]*#[ \t]*(?:if|elif)[ \t]+(?:\d+|[A-Za-z_]\w*)[ \t]*(?:\/[*/].*)?$/m.test(text)) return text;
  const valueOf = conditionValues(text);
  const lines = text.split("\n");
  // per open conditional: whether its current branch is dead, whether the condition is known and its value, the parent's deadness
  const stack: { dead: boolean; known: boolean; value: boolean; parentDead: boolean }[] = [];
  let changed = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const d = DIRECTIVE.exec(l);
    const top = stack[stack.length - 1];
    if (d) {
      const kw = d[1]!;
      const parentDead = top?.dead ?? false;
      if (kw === "if" || kw === "ifdef" || kw === "ifndef") {
        let known = false;
        let value = true;
        if (kw === "if") {
          const v = valueOf(d[2]!);
          if (v !== null) {
            known = true;
            value = v;
          }
        }
        stack.push({ dead: parentDead || (known && !value), known, value, parentDead });
      } else if (top && kw === "elif") {
        // after a taken #if everything else is dead; after a false one the #elif's own condition is unknown
        top.dead = top.parentDead || (top.known && top.value);
        if (!(top.known && top.value)) top.known = false;
      } else if (top && kw === "else") {
        top.dead = top.parentDead || (top.known && top.value);
      } else if (kw === "endif") stack.pop();
      continue;
    }
    if (top?.dead && l.trim() !== "") {
      lines[i] = l.replace(/[^\n]/g, " ");
      changed = true;
    }
  }
  return changed ? lines.join("\n") : text;
}

/**
 * The text as a compiler would see it with every configuration option on: of each conditional group
 * (`#if`/`#ifdef`/`#ifndef` ... `#elif`/`#else` ... `#endif`) only the first branch whose condition is not known
 * to be false (as blankDeadConditionals() knows it: `#if 0`, a NAME the file defines as 0) is kept; the other
 * branches and every directive line are blanked (spaces of the same length, so lines and offsets stay put). For
 * the parser of a whole function: a group that splits a statement (`if (a) x; #if ... else y; #endif`) or opens
 * alternative blocks would otherwise leave an error node where the rest of the function's calls were.
 */
export function takeFirstBranches(text: string): string {
  if (!/^[ \t]*#[ \t]*(?:if|ifdef|ifndef)\b/m.test(text)) return text;
  const valueOf = conditionValues(text);
  const falseCond = (cond: string): boolean => valueOf(cond) === false;
  const lines = text.split("\n");
  // per open group: whether a branch was taken already, whether the current branch is kept, the parent's keep
  const stack: { taken: boolean; keep: boolean; parentKeep: boolean }[] = [];
  let changed = false;
  const blank = (i: number) => {
    if (lines[i]!.trim() === "") return;
    lines[i] = lines[i]!.replace(/[^\n]/g, " ");
    changed = true;
  };
  for (let i = 0; i < lines.length; i++) {
    const d = DIRECTIVE.exec(lines[i]!);
    const top = stack[stack.length - 1];
    if (d) {
      const kw = d[1]!;
      const parentKeep = top ? top.keep : true;
      if (kw === "if" || kw === "ifdef" || kw === "ifndef") {
        const keep = !(kw === "if" && falseCond(d[2]!));
        stack.push({ taken: keep, keep: parentKeep && keep, parentKeep });
      } else if (top && (kw === "elif" || kw === "else")) {
        const keep = !top.taken && !(kw === "elif" && falseCond(d[2]!));
        if (keep) top.taken = true;
        top.keep = top.parentKeep && keep;
      } else if (top && kw === "endif") stack.pop();
      blank(i);
      continue;
    }
    if (top && !top.keep) blank(i);
  }
  return changed ? lines.join("\n") : text;
}

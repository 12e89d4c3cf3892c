// Where a patch sets or clears WQ_MEM_RECLAIM, statement by statement: a
// workqueue constructor call, a flags macro (#define), a flags variable or
// field, or another call that takes WQ_ flags. Each hunk side is rebuilt into
// C statements (continuation lines joined), each statement that names a WQ_
// flag or a constructor becomes a flag site, and sites are paired across the
// two sides of the patch (by queue name, macro, variable), so a change of the
// flag at one site is seen as one change. Constructor names and what they
// imply come from the vocabulary.
import type { FileDiff, Hunk, Patch } from "../types.js";
import { WQ_CONSTRUCTORS } from "../vocab/kernel-api.js";
import { callArgumentsPartial, stripLine } from "./c-lines.js";

export type Side = "old" | "new";

/** A C statement as one side of a hunk shows it (joined continuation lines). */
export interface Statement {
  file: FileDiff;
  hunk: Hunk;
  side: Side;
  /** Indexes into hunk.lines, in order. */
  indexes: number[];
  /** Raw text joined with single spaces (string literals kept). */
  raw: string;
  /** The same without comments and string contents. */
  code: string;
  /** Some line of the statement is added (new side) or deleted (old side). */
  touched: boolean;
}

const MAX_STATEMENT_LINES = 12;
const C_FILE = /\.(?:c|h)$/;

/**
 * Splits one side of a hunk into statements. A hunk that opens inside a block
 * comment (its first comment close comes before any comment open) has those
 * leading lines skipped.
 */
export function statementsOf(file: FileDiff, hunk: Hunk, side: Side): Statement[] {
  const kinds = new Set(side === "new" ? ["add", "ctx"] : ["del", "ctx"]);
  const changed = side === "new" ? "add" : "del";
  const rows: number[] = [];
  hunk.lines.forEach((l, i) => {
    if (kinds.has(l.kind)) rows.push(i);
  });
  let start = 0;
  for (let r = 0; r < rows.length; r++) {
    const t = hunk.lines[rows[r]!]!.text;
    const open = t.indexOf("/*");
    const close = t.indexOf("*/");
    if (open >= 0 && (close < 0 || open < close)) break;
    if (close >= 0) {
      start = r + 1;
      break;
    }
  }
  const out: Statement[] = [];
  const state = { inComment: false };
  let cur: Statement | null = null;
  const flush = () => {
    if (cur && cur.code.trim() !== "") out.push(cur);
    cur = null;
  };
  for (let r = start; r < rows.length; r++) {
    const index = rows[r]!;
    const line = hunk.lines[index]!;
    const code = stripLine(line.text, state);
    const trimmed = code.trim();
    if (trimmed === "") continue;
    const preproc = /^\s*#/.test(code);
    if (preproc) flush();
    if (!cur) cur = { file, hunk, side, indexes: [], raw: "", code: "", touched: false };
    const c: Statement = cur;
    c.indexes.push(index);
    c.raw += (c.raw ? " " : "") + line.text.trim();
    c.code += (c.code ? " " : "") + trimmed;
    if (line.kind === changed) c.touched = true;
    const continues = /\\$/.test(line.text.trimEnd());
    if (preproc && !continues) flush();
    else if (!preproc && /[;{}]$/.test(trimmed)) flush();
    else if (c.indexes.length >= MAX_STATEMENT_LINES) flush();
  }
  flush();
  return out;
}

const CTOR_RE = new RegExp(`\\b(${Object.keys(WQ_CONSTRUCTORS).sort((a, b) => b.length - a.length).join("|")})\\s*\\(`);

export type FlagUse = "set" | "clear" | "none";

export interface FlagSite {
  stmt: Statement;
  kind: "alloc" | "define" | "assign" | "other";
  /** The constructor called (kind "alloc", or the one a macro expands to). */
  api: string | null;
  /** What identifies the site across both sides: queue name, macro or variable. */
  key: string | null;
  /** The queue name (format) literal without quotes, when the call has one. */
  name: string | null;
  /** Left-hand side of the assignment the call or flags sit in. */
  lhs: string | null;
  /** The macro a #define site defines. */
  macro: string | null;
  /** Does the statement set WQ_MEM_RECLAIM (explicitly or by a legacy constructor)? */
  use: FlagUse;
  /** The flags argument of a constructor call (code text), when found. */
  flagsArg: string | null;
}

/** How a statement uses WQ_MEM_RECLAIM: sets it, clears it (~), or only tests it (&) / not at all. */
export function memReclaimUse(code: string): FlagUse {
  if (!/\bWQ_MEM_RECLAIM\b/.test(code)) return "none";
  if (/~\s*\(?[\w\s|]*\bWQ_MEM_RECLAIM\b/.test(code)) return "clear";
  if (/&\s*\(?[\w\s|]*\bWQ_MEM_RECLAIM\b/.test(code)) return "none";
  return "set";
}

function lhsOf(code: string): string | null {
  // "if (x) flags |= WQ_..." / "else flags = ...": the assignment is the statement's body
  code = code.replace(/^\s*(?:else\s+)?(?:(?:if|while)\s*\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)\s*)?(?:else\s+)?/, "");
  const m = /^(?:[\w\s*]*?\b(?:struct\s+\w+\s*\*+\s*)?)?([A-Za-z_.][\w.\->[\]]*)\s*\|?=(?!=)/.exec(code);
  if (!m) return null;
  return m[1]!.replace(/\s+/g, "");
}

/**
 * A statement that calls several constructors on lines of their own (`if (!(a = alloc_workqueue(...)) ||
 * !(b = alloc_workqueue(...)))`) split into one piece per call: the lines from a call's first line to the next
 * call's; the lines before the first call go with it. Other statements are returned whole.
 */
export function piecesOf(stmt: Statement): Statement[] {
  const global = new RegExp(CTOR_RE.source, "g");
  if ((stmt.code.match(global)?.length ?? 0) < 2) return [stmt];
  const changed = stmt.side === "new" ? "add" : "del";
  const starts = stmt.indexes.filter((i, k) => k > 0 && CTOR_RE.test(stripLine(stmt.hunk.lines[i]!.text)));
  if (starts.length === 0) return [stmt];
  const pieces: Statement[] = [];
  let cur: number[] = [];
  const flush = () => {
    if (cur.length === 0) return;
    const rows = cur.map((i) => stmt.hunk.lines[i]!);
    pieces.push({
      ...stmt,
      indexes: cur,
      raw: rows.map((l) => l.text.trim()).join(" "),
      code: rows.map((l) => stripLine(l.text).trim()).filter(Boolean).join(" "),
      touched: rows.some((l) => l.kind === changed),
    });
    cur = [];
  };
  for (const i of stmt.indexes) {
    if (starts.includes(i)) flush();
    cur.push(i);
  }
  flush();
  return pieces;
}

/** The flag site a statement holds, if it calls a constructor or names a WQ_ flag. */
export function flagSiteOf(stmt: Statement): FlagSite | null {
  const alloc = CTOR_RE.exec(stmt.code);
  const use0 = memReclaimUse(stmt.code);
  // statements without any WQ_* flag are no flag site; ones with other WQ_* flags are (the flag may be added there)
  if (!alloc && use0 === "none" && !/\bWQ_[A-Z_]+\b/.test(stmt.code)) return null;
  if (!alloc && use0 === "none" && /&\s*\(?\s*_{0,2}WQ_/.test(stmt.code)) return null;
  const lhs = lhsOf(stmt.code);
  const def = /^\s*#\s*define\s+(\w+)/.exec(stmt.code);
  if (def) {
    // a macro: keyed by its name; a constructor call in its body is what it expands to
    const body = stmt.code.slice(def[0].length).replace(/^\([^)]*\)/, "");
    const inner = CTOR_RE.exec(body);
    const api = inner ? inner[1]! : null;
    const use: FlagUse = api && WQ_CONSTRUCTORS[api]!.legacy ? "set" : memReclaimUse(body);
    if (!api && use === "none" && !/\bWQ_[A-Z_]+\b/.test(body)) return null;
    return { stmt, kind: "define", api, key: `d:${def[1]}`, name: null, lhs: null, macro: def[1]!, use, flagsArg: null };
  }
  if (alloc) {
    const api = alloc[1]!;
    const ctor = WQ_CONSTRUCTORS[api]!;
    const rawCall = new RegExp(`\\b${api}\\s*\\(\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(stmt.raw);
    const name = rawCall ? rawCall[1]! : null;
    const args = callArgumentsPartial(stmt.code, alloc.index + alloc[0].length - 1);
    const flagsArg = ctor.flagsArg === null ? null : (args[ctor.flagsArg] ?? null);
    const use: FlagUse = ctor.implied.includes("WQ_MEM_RECLAIM") ? "set" : flagsArg === null ? "none" : memReclaimUse(flagsArg);
    // the variable assigned right before the call, when the statement is not an assignment (`!(q = alloc_workqueue(...))`)
    const target = lhs ?? /([A-Za-z_][\w.\->[\]]*)\s*=\s*$/.exec(stmt.code.slice(0, alloc.index))?.[1]?.replace(/\s+/g, "") ?? null;
    const key = name && !/^%[sd]$/.test(name) ? `q:${name}` : target ? `v:${target}` : null;
    return { stmt, kind: "alloc", api, key, name, lhs: target, macro: null, use, flagsArg };
  }
  if (lhs) return { stmt, kind: "assign", api: null, key: `v:${lhs}`, name: null, lhs, macro: null, use: use0, flagsArg: null };
  const field = /\.(\w+)\s*=/.exec(stmt.code);
  if (field) return { stmt, kind: "assign", api: null, key: `v:.${field[1]}`, name: null, lhs: `.${field[1]}`, macro: null, use: use0, flagsArg: null };
  const call = /([A-Za-z_]\w*)\s*\(/.exec(stmt.code);
  const lit = /"((?:[^"\\]|\\.)*)"/.exec(stmt.raw);
  return {
    stmt,
    kind: "other",
    api: call ? call[1]! : null,
    key: call ? `c:${call[1]}:${lit ? lit[1] : ""}` : null,
    name: lit ? lit[1]! : null,
    lhs: null,
    macro: null,
    use: use0,
    flagsArg: null,
  };
}

export interface SitePair {
  /** The new-side site (null when the site was removed). */
  now: FlagSite | null;
  /** Its old-side counterpart (null for a new site). */
  before: FlagSite | null;
}

/** Does a hunk name a WQ_ flag or a constructor at all? (cheap pre-filter) */
function mentionsWorkqueues(hunk: Hunk): boolean {
  return hunk.lines.some((l) => l.text.includes("WQ_") || l.text.includes("workqueue"));
}

/**
 * Flag sites of a file matched across the two sides of the patch: by key,
 * then unmatched touched sites of the same kind in the same hunk pair up in
 * order (a renamed variable, a reformatted call). Only pairs where one side
 * is touched are returned.
 */
export function pairFlagSites(file: FileDiff): SitePair[] {
  const olds: FlagSite[] = [];
  const news: FlagSite[] = [];
  for (const hunk of file.hunks) {
    if (!mentionsWorkqueues(hunk)) continue;
    for (const s of statementsOf(file, hunk, "old").flatMap(piecesOf)) {
      const site = flagSiteOf(s);
      if (site) olds.push(site);
    }
    for (const s of statementsOf(file, hunk, "new").flatMap(piecesOf)) {
      const site = flagSiteOf(s);
      if (site) news.push(site);
    }
  }
  const pairs: SitePair[] = [];
  const usedOld = new Set<FlagSite>();
  const unmatchedNew: FlagSite[] = [];
  // a statement the patch leaves as it is (context lines on both sides) is its own counterpart: a new call beside
  // it for the same queue (an #ifdef branch added next to it) is a new site, not this one changed
  const same = (a: FlagSite, b: FlagSite) => a.stmt.hunk === b.stmt.hunk && a.stmt.indexes.length === b.stmt.indexes.length && a.stmt.indexes.every((i, k) => i === b.stmt.indexes[k]);
  const selfPaired = new Set<FlagSite>();
  for (const n of news) {
    if (n.stmt.touched) continue;
    const o = olds.find((x) => !usedOld.has(x) && !x.stmt.touched && same(x, n));
    if (o) {
      usedOld.add(o);
      selfPaired.add(n);
    }
  }
  for (const n of news) {
    if (selfPaired.has(n)) continue;
    const o = n.key ? olds.find((x) => !usedOld.has(x) && x.key === n.key) : undefined;
    if (o) {
      usedOld.add(o);
      if (n.stmt.touched || o.stmt.touched) pairs.push({ now: n, before: o });
    } else unmatchedNew.push(n);
  }
  const leftOld = olds.filter((o) => !usedOld.has(o) && o.stmt.touched);
  for (const n of unmatchedNew) {
    if (!n.stmt.touched) continue;
    const o = leftOld.find((x) => !usedOld.has(x) && x.stmt.hunk === n.stmt.hunk && x.kind === n.kind);
    if (o) {
      usedOld.add(o);
      pairs.push({ now: n, before: o });
    } else pairs.push({ now: n, before: null });
  }
  for (const o of leftOld) if (!usedOld.has(o)) pairs.push({ now: null, before: o });
  return pairs;
}

/** Every pair of every C file of the patch. */
export function flagSitePairs(patch: Patch): SitePair[] {
  const pairs: SitePair[] = [];
  for (const file of patch.files) {
    if (file.binary || !C_FILE.test(file.path)) continue;
    if (!file.hunks.some(mentionsWorkqueues)) continue;
    pairs.push(...pairFlagSites(file));
  }
  return pairs;
}

/** The added line of a new-side statement whose code matches `re`, else its first added line. */
export function addedLineOf(stmt: Statement, re: RegExp = /\bWQ_MEM_RECLAIM\b/): number | null {
  let first: number | null = null;
  for (const i of stmt.indexes) {
    const l = stmt.hunk.lines[i]!;
    if (l.kind !== "add" || l.newLine === null) continue;
    if (re.test(stripLine(l.text))) return l.newLine;
    first ??= l.newLine;
  }
  return first;
}

/** The file line of a statement's first row on its side. */
export function lineOfStatement(stmt: Statement): number {
  const l = stmt.hunk.lines[stmt.indexes[0]!]!;
  return (stmt.side === "new" ? l.newLine : l.oldLine) ?? 0;
}

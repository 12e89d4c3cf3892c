// Workqueue helpers for the workqueue-reclaim rules: C statements rebuilt
// from one side of a hunk, the places that set WQ_MEM_RECLAIM (allocation
// calls, flag macros, flag variables), and system-queue calls.
import type { FileDiff, Hunk, Patch } from "../../types.js";
import { callArgumentsPartial, stripLine } from "./code.js";
import { perPatch } from "./patch-cache.js";
import { isSourceFile, reviewableFiles } from "./diff.js";

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

function sideKinds(side: Side): Set<string> {
  return new Set(side === "new" ? ["add", "ctx"] : ["del", "ctx"]);
}

/**
 * Splits one side of a hunk into statements. A hunk that opens inside a block
 * comment (its first comment close comes before any comment open) has those
 * leading lines skipped.
 */
export function statementsOf(file: FileDiff, hunk: Hunk, side: Side): Statement[] {
  const kinds = sideKinds(side);
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

// ------------------------------------------------------------ flag sites

/** Workqueue constructors; the legacy create_* macros imply WQ_MEM_RECLAIM. */
export const WQ_ALLOC_APIS = [
  "alloc_workqueue",
  "alloc_ordered_workqueue",
  "alloc_workqueue_lockdep_map",
  "alloc_ordered_workqueue_lockdep_map",
  "devm_alloc_workqueue",
  "devm_alloc_ordered_workqueue",
  "create_workqueue",
  "create_singlethread_workqueue",
  "create_freezable_workqueue",
] as const;

const IMPLICIT_MEM_RECLAIM = new Set(["create_workqueue", "create_singlethread_workqueue", "create_freezable_workqueue"]);

const ALLOC_RE = new RegExp(`\\b(${WQ_ALLOC_APIS.join("|")})\\s*\\(`);

export type FlagUse = "set" | "clear" | "none";

export interface FlagSite {
  stmt: Statement;
  kind: "alloc" | "define" | "assign" | "other";
  /** The constructor called, for kind "alloc". */
  api: string | null;
  /** What identifies the site across both sides: queue name, macro or variable. */
  key: string | null;
  /** The queue name literal without quotes, when the call has one. */
  name: string | null;
  /** Left-hand side of the assignment the call or flags sit in. */
  lhs: string | null;
  /** Does the statement set WQ_MEM_RECLAIM (explicitly or by a create_* macro)? */
  use: FlagUse;
  /** The flags argument of an alloc call (code text), when found. */
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

/** The flag site a statement holds, if it is an alloc call or sets/clears WQ_MEM_RECLAIM. */
export function flagSiteOf(stmt: Statement): FlagSite | null {
  const alloc = ALLOC_RE.exec(stmt.code);
  const use0 = memReclaimUse(stmt.code);
  // statements without any WQ_* flag are no flag site; ones with other WQ_* flags are (the flag may be added there)
  if (!alloc && use0 === "none" && !/\bWQ_[A-Z_]+\b/.test(stmt.code)) return null;
  if (!alloc && use0 === "none" && /&\s*\(?\s*_{0,2}WQ_/.test(stmt.code)) return null;
  const lhs = lhsOf(stmt.code);
  const def = /^\s*#\s*define\s+(\w+)/.exec(stmt.code);
  if (def) {
    // a macro: key it by its name; an alloc call in its body is what it expands to
    const body = stmt.code.slice(def[0].length).replace(/^\([^)]*\)/, "");
    const inner = ALLOC_RE.exec(body);
    const api = inner ? inner[1]! : null;
    const use: FlagUse = api && IMPLICIT_MEM_RECLAIM.has(api) ? "set" : memReclaimUse(body);
    if (!api && use === "none" && !/\bWQ_[A-Z_]+\b/.test(body)) return null;
    return { stmt, kind: "define", api, key: `d:${def[1]}`, name: null, lhs: null, use, flagsArg: null };
  }
  if (alloc) {
    const api = alloc[1]!;
    const rawCall = new RegExp(`\\b${api}\\s*\\(\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(stmt.raw);
    const name = rawCall ? rawCall[1]! : null;
    const args = callArgumentsPartial(stmt.code, alloc.index + alloc[0].length - 1);
    const flagsArg = IMPLICIT_MEM_RECLAIM.has(api) ? null : (args[1] ?? null);
    const use: FlagUse = IMPLICIT_MEM_RECLAIM.has(api) ? "set" : use0;
    const key = name && !/^%[sd]$/.test(name) ? `q:${name}` : lhs ? `v:${lhs}` : null;
    return { stmt, kind: "alloc", api, key, name, lhs, use, flagsArg };
  }
  if (lhs) return { stmt, kind: "assign", api: null, key: `v:${lhs}`, name: null, lhs, use: use0, flagsArg: null };
  const field = /\.(\w+)\s*=/.exec(stmt.code);
  if (field) return { stmt, kind: "assign", api: null, key: `v:.${field[1]}`, name: null, lhs: `.${field[1]}`, use: use0, flagsArg: null };
  const call = /([A-Za-z_]\w*)\s*\(/.exec(stmt.code);
  const lit = /"((?:[^"\\]|\\.)*)"/.exec(stmt.raw);
  return {
    stmt,
    kind: "other",
    api: call ? call[1]! : null,
    key: call ? `c:${call[1]}:${lit ? lit[1] : ""}` : null,
    name: lit ? lit[1]! : null,
    lhs: null,
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
    // a flag site names a WQ_ flag or a *workqueue* constructor: other hunks hold none
    if (!hunk.lines.some((l) => l.text.includes("WQ_") || l.text.includes("workqueue"))) continue;
    for (const s of statementsOf(file, hunk, "old")) {
      const site = flagSiteOf(s);
      if (site) olds.push(site);
    }
    for (const s of statementsOf(file, hunk, "new")) {
      const site = flagSiteOf(s);
      if (site) news.push(site);
    }
  }
  const pairs: SitePair[] = [];
  const usedOld = new Set<FlagSite>();
  const unmatchedNew: FlagSite[] = [];
  for (const n of news) {
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

const pairsOf = perPatch((patch) => {
  const pairs: SitePair[] = [];
  for (const file of reviewableFiles(patch)) {
    if (!isSourceFile(file.path) || !mentionsWorkqueues(file)) continue;
    pairs.push(...pairFlagSites(file));
  }
  return pairs;
});

/** Does a file's diff mention workqueue flags or constructors at all? (cheap pre-filter) */
function mentionsWorkqueues(file: FileDiff): boolean {
  return file.hunks.some((h) => h.lines.some((l) => l.text.includes("WQ_") || l.text.includes("workqueue")));
}

/** Every pair of every reviewable C file of the patch (computed once per patch). */
export function flagSitePairs(patch: Patch): SitePair[] {
  return pairsOf(patch);
}

/** The first added line of a new-side statement (the line a finding points at). */
export function firstAddedLine(stmt: Statement): number | null {
  for (const i of stmt.indexes) {
    const l = stmt.hunk.lines[i]!;
    if (l.kind === "add" && l.newLine !== null) return l.newLine;
  }
  return null;
}

/** The added line of a new-side statement whose code matches `re`, else its first added line. */
export function flagLine(stmt: Statement, re: RegExp = /\bWQ_MEM_RECLAIM\b/): number | null {
  for (const i of stmt.indexes) {
    const l = stmt.hunk.lines[i]!;
    if (l.kind === "add" && l.newLine !== null && re.test(stripLine(l.text))) return l.newLine;
  }
  return firstAddedLine(stmt);
}

// ------------------------------------------------------------ names

/** Tokens of a queue name or variable: "xfs-log/%s" -> xfs, log; "priv->io_wq" -> io, wq. */
export function nameTokens(text: string): string[] {
  return text
    .replace(/%[a-z]/g, " ")
    .split(/[^A-Za-z0-9]+|_/)
    .map((t) => t.toLowerCase())
    .filter((t) => t.length > 0);
}

const IO_EXACT = new Set(["io", "bio", "rq", "req", "reqs", "wb", "log", "sync", "commit", "flush", "journal", "reclaim", "endio", "completion", "complete", "cmpl", "writeback", "iod"]);
const IO_SUBSTR = ["completion", "writeback", "journal", "reclaim", "endio", "flush"];

/** The IO-ish word of a queue name or variable, if any. */
export function ioWordIn(text: string | null): string | null {
  if (!text) return null;
  for (const t of nameTokens(text)) {
    if (IO_EXACT.has(t)) return t;
    const sub = IO_SUBSTR.find((s) => t.includes(s));
    if (sub) return sub;
  }
  return null;
}

/** Files under the block, storage, filesystem and memory-management trees. */
export const STORAGE_PATH = /^(?:block|fs|mm|drivers\/(?:block|scsi|md|nvme|target|ata|mmc|mtd|ufs|s390\/block|s390\/scsi|infiniband\/ulp)|net\/sunrpc|net\/ceph)\//;

/** The storage/fs/mm subsystem a path belongs to ("scsi", "fs/xfs", "block"), or null. */
export function storageRole(path: string): string | null {
  if (!STORAGE_PATH.test(path)) return null;
  const parts = path.split("/");
  if (parts[0] === "drivers" || parts[0] === "net") return parts[1] ?? null;
  if (parts[0] === "fs" && parts.length > 2) return `fs/${parts[1]}`;
  return parts[0] ?? null;
}

// ------------------------------------------------------------ system queues

export const SYSTEM_QUEUES = /^(?:system_wq|system_percpu_wq|system_unbound_wq|system_dfl_wq|system_long_wq|system_highpri_wq|system_freezable_wq|system_power_efficient_wq|system_freezable_power_efficient_wq|system_bh_wq|system_bh_highpri_wq)$/;

export interface QueueCall {
  /** The function called. */
  api: string;
  /** The queue expression (null for schedule_* which use system_wq). */
  queue: string | null;
  /** The work expression, whitespace removed, leading & dropped. */
  work: string;
  /** True when it runs on a system workqueue. */
  system: boolean;
}

const QUEUE_APIS: Record<string, { q: number; w: number } | { w: number }> = {
  queue_work: { q: 0, w: 1 },
  queue_delayed_work: { q: 0, w: 1 },
  mod_delayed_work: { q: 0, w: 1 },
  queue_work_on: { q: 1, w: 2 },
  queue_delayed_work_on: { q: 1, w: 2 },
  mod_delayed_work_on: { q: 1, w: 2 },
  queue_rcu_work: { q: 0, w: 1 },
  schedule_work: { w: 0 },
  schedule_delayed_work: { w: 0 },
  schedule_work_on: { w: 1 },
  schedule_delayed_work_on: { w: 1 },
};

/** Work-queueing calls on a line of code. */
export function queueCallsOn(code: string): QueueCall[] {
  const out: QueueCall[] = [];
  const re = /\b(queue_work|queue_delayed_work|mod_delayed_work|queue_work_on|queue_delayed_work_on|mod_delayed_work_on|queue_rcu_work|schedule_work|schedule_delayed_work|schedule_work_on|schedule_delayed_work_on)\s*\(/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(code))) {
    const api = m[1]!;
    const args = callArgumentsPartial(code, m.index + m[0].length - 1);
    const spec = QUEUE_APIS[api]!;
    const work = (args[spec.w] ?? "").replace(/\s+/g, "").replace(/^&/, "");
    if (!work) continue;
    const queue = "q" in spec ? (args[spec.q] ?? "").replace(/\s+/g, "") : null;
    out.push({ api, queue, work, system: queue === null || SYSTEM_QUEUES.test(queue) });
  }
  return out;
}

/** The last member or variable name of an expression: "&cmd->work" -> work; "priv->io_wq" -> io_wq. */
export function lastMember(expr: string): string {
  const m = /([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*$/.exec(expr.replace(/\)+$/, ""));
  return m ? m[1]! : expr;
}

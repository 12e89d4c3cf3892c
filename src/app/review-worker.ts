// The GitHub App's review, as it runs in a worker thread (src/workers/pool.ts):
// plain data in (the pull request's diff, how it is read: whole or as a
// series of commit diffs, the commit messages, title and description, the
// fetched file texts, the history entries read from the commits API, the
// config), findings out. Parsing the diffs and the pure review() both happen
// here, off the app's event loop. Messages are never parsed as mail or diff
// text: each diff is parsed alone and given its message (describePatch).
import { posix } from "node:path";
import { workerData } from "node:worker_threads";
import type { ReviewConfig } from "../config.js";
import { initParser } from "../context/parser.js";
import { InputError } from "../errors.js";
import { rank, type Entry } from "../history/git.js";
import { decorateWithHistory } from "../history/sources.js";
import { parsePatchText, type IngestOptions } from "../ingest/index.js";
import type { KnowledgeBase } from "../knowledge/base.js";
import { loadKnowledge } from "../knowledge/load.js";
import { MAX_FINDINGS_PER_RULE } from "../engine.js";
import { review } from "../pipeline.js";
import { ALL_RULES } from "../rules/index.js";
import { normaliseLine } from "../rules/util/code.js";
import type { FileDiff, Finding, ParsedInput, Patch, Rule } from "../types.js";
import { serveTasks } from "../workers/pool.js";
import { describePatch, sourcesFrom, splitMessage, type PrCommit, type ReviewPlan } from "./pr-input.js";

export interface AppReviewInput {
  /** "owner/repo#12@0123456789ab" */
  source: string;
  /** "owner/repo#12" (series patches are named "<pr>@<commit>"). */
  pr: string;
  title: string;
  body: string;
  /** The pull request's whole diff (what GitHub can comment on). */
  diffText: string;
  plan: ReviewPlan;
  /** For a series: each commit's own diff (null: GitHub gave none). */
  seriesDiffs: { commit: PrCommit; diff: string | null }[] | null;
  maxBytes: number;
  config: ReviewConfig;
  /** Rule ids to run (the app's configured rule set). */
  ruleIds: string[];
  head: Map<string, string>;
  base: Map<string, string>;
  neighbours: Map<string, string>;
  /** Paths whose hunks are GitHub's own (inline comments may go there). */
  githubPatched: string[];
  /** The file's reclaim-related commits, per path (GitHubHistory.entries()). */
  history: Record<string, Entry[]>;
  /** Every path of the base tree's listing (base-tree.ts), when it was read: directory lookups. */
  listing?: string[] | null;
}

export interface AppReviewOutput {
  findings: Finding[];
  /** New-side lines inside GitHub's hunks, per path (where an inline comment may go). */
  lines: Record<string, number[]>;
  /** Where a patch-level finding's annotation goes. */
  anchor: { path: string; line: number } | null;
  /** fingerprint -> "commit 0123456789ab" for the findings of a series. */
  fromCommit: Record<string, string>;
  problems: string[];
  /** The patches' own notes (recounted hunks, context read), for the check run. */
  notes: string[];
}

/** Directory lookups over a listing of paths: dir -> the names of its entries (built once, linear). */
function lister(paths: readonly string[]): (dir: string) => string[] {
  const byDir = new Map<string, Set<string>>();
  for (const p of paths) {
    const parts = p.split("/");
    let dir = "";
    for (const name of parts) {
      const key = dir === "" ? "." : dir;
      let set = byDir.get(key);
      if (!set) byDir.set(key, (set = new Set()));
      set.add(name);
      dir = dir === "" ? name : `${dir}/${name}`;
    }
  }
  return (dir) => [...(byDir.get(dir === "" ? "." : posix.normalize(dir)) ?? [])];
}

type FileLike = Pick<FileDiff, "path" | "hunks">;

/** New-side line numbers inside the hunks of each file GitHub gave a patch for. */
function commentableLines(files: readonly FileLike[], githubPatched: Set<string>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const f of files) {
    if (!githubPatched.has(f.path)) continue;
    const s = new Set<number>();
    for (const h of f.hunks) for (const l of h.lines) if (l.kind !== "del" && l.newLine !== null) s.add(l.newLine);
    out[f.path] = [...s];
  }
  return out;
}

/** The first new-side line of the first file GitHub has a patch for: where a commit-message finding's annotation goes. */
function firstLine(files: readonly FileLike[], githubPatched: Set<string>): { path: string; line: number } | null {
  for (const f of files) {
    if (!githubPatched.has(f.path)) continue;
    for (const h of f.hunks) for (const l of h.lines) if (l.kind !== "del" && l.newLine !== null) return { path: f.path, line: l.newLine };
  }
  return null;
}

/** The added lines of each file of the pull request's diff (text and new-side line). */
function addedLines(files: readonly FileLike[]): Map<string, { text: string; line: number }[]> {
  const out = new Map<string, { text: string; line: number }[]>();
  for (const f of files) {
    const list: { text: string; line: number }[] = [];
    for (const h of f.hunks) for (const l of h.lines) if (l.kind === "add" && l.newLine !== null) list.push({ text: l.text, line: l.newLine });
    out.set(f.path, list);
  }
  return out;
}

/** The series as "[PATCH k/n]" patches whose cover is the pull request's title and description; null when no commit diff was read. */
function parseSeries(input: AppReviewInput, opts: IngestOptions): ParsedInput | null {
  if (!input.seriesDiffs) return null;
  const out: ParsedInput = { patches: [], covers: [], problems: [] };
  const n = input.seriesDiffs.length;
  input.seriesDiffs.forEach(({ commit: c, diff }, i) => {
    if (!diff) return;
    const { subject, body } = splitMessage(c.message);
    const parsed = describePatch(parsePatchText(diff, `${input.pr}@${c.sha.slice(0, 12)}`, opts), { subject, body, author: c.author, date: c.date, series: { index: i + 1, total: n } });
    for (const p of parsed.patches) out.patches.push({ ...p, cover: { subject: input.title, message: input.body } });
    out.problems.push(...parsed.problems);
  });
  return out.patches.length > 0 ? out : null;
}

let kb: KnowledgeBase | null = null;

/** Loads the knowledge base and the C grammar once, before the first task (the pool waits for it). */
export async function warmUp(): Promise<void> {
  kb ??= loadKnowledge();
  // the reclaim-context analysis needs the grammar: a failure here is loud (the review would fail anyway)
  await initParser();
}

/** The review itself (also called in-process when the pool runs without threads). */
export async function handle(input: AppReviewInput, _data?: unknown, local: { rules?: readonly Rule[]; kb?: KnowledgeBase } = {}): Promise<AppReviewOutput> {
  const knowledge = local.kb ?? (kb ??= loadKnowledge());
  const available = local.rules ?? ALL_RULES;
  const rules: readonly Rule[] = available.filter((r) => input.ruleIds.includes(r.meta.id));
  const out: AppReviewOutput = { findings: [], lines: {}, anchor: null, fromCommit: {}, problems: [], notes: [] };
  for (const id of input.ruleIds) if (!rules.some((r) => r.meta.id === id)) out.problems.push(`rule ${id} is not available where reviews run; not run`);
  const opts = { maxBytes: input.maxBytes };
  const patched = new Set(input.githubPatched);
  const plan = input.plan;
  try {
    const series = parseSeries(input, opts);
    const meta =
      plan.kind === "whole"
        ? { subject: plan.subject, body: plan.body, author: plan.author, date: plan.date }
        : { subject: input.title, body: [input.body, ...plan.commits.map((c) => c.message.trim())].filter((x) => x.trim() !== "").join("\n\n"), author: null, date: null };
    // the pull request's own diff (the lines GitHub can comment on), and the review's input unless it is a series
    const wholeInput = describePatch(parsePatchText(input.diffText, input.source, opts), series ? { subject: input.title, body: "", author: null, date: null } : meta);
    const whole = wholeInput.patches[0];
    out.lines = commentableLines(whole?.files ?? [], patched);
    out.anchor = firstLine(whole?.files ?? [], patched);
    const parsed: ParsedInput = series ?? wholeInput;
    // in a series, the files a later commit changes again: their head text is not this commit's
    const later = new Map<Patch, Set<string>>();
    const touchedAfter = new Set<string>();
    for (const p of [...parsed.patches].reverse()) {
      later.set(p, new Set(touchedAfter));
      for (const f of p.files) touchedAfter.add(f.path);
    }
    const tree = input.listing ? { ...input, list: lister(input.listing) } : input;
    const base = series ? sourcesFrom(tree, { stale: (p) => later.get(p) ?? new Set() }) : sourcesFrom(tree);
    const sources = decorateWithHistory(base, (p, fn) => rank(input.history[p] ?? [], fn));
    await sources.prepare?.(parsed.patches);
    const result = review(parsed, sources, input.config, knowledge, rules);
    const seen = new Set<string>();
    const added = addedLines(whole?.files ?? []);
    for (const r of result.reviews) {
      for (const e of r.errors) out.problems.push(`rule ${e.rule} failed, its verdict is unknown: ${e.message}`);
      for (const n of r.patch.notes) if (!out.notes.includes(n)) out.notes.push(n);
      for (const o of r.omitted ?? []) out.problems.push(`rule ${o.rule}: ${o.count} more finding${o.count === 1 ? " is" : "s are"} not shown (at most ${MAX_FINDINGS_PER_RULE} per rule and patch)`);
      const sha = series ? (/@([0-9a-f]+)$/.exec(r.patch.source)?.[1] ?? null) : null;
      for (const f of r.findings) {
        if (seen.has(f.fingerprint)) continue;
        seen.add(f.fingerprint);
        if (sha !== null) {
          out.fromCommit[f.fingerprint] = `commit ${sha.slice(0, 12)}`;
          // a line a later commit moved: the same added line in the pull request's diff, if there is exactly one
          if (f.file !== null && f.line !== null && later.get(r.patch)?.has(f.file) && f.quote !== null) {
            const same = (added.get(f.file) ?? []).filter((l) => normaliseLine(l.text) === normaliseLine(f.quote!));
            if (same.length === 1) f.line = same[0]!.line;
            else f.line = null;
          }
        }
        out.findings.push(f);
      }
    }
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    out.problems.push(`the diff could not be read: ${err.message}`);
  }
  return out;
}

serveTasks(handle, workerData, warmUp);

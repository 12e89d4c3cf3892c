// Input edge for a pull request: its files (pulls.listFiles, paginated) as
// one git-style diff for the core parser, the files GitHub gives no patch for
// (too large, or past the diff limits) diffed here from their two versions,
// and the head versions of the touched C files as source context. Bounded:
// at most `limits.maxFiles` files, `limits.maxSourceFiles` fetched sources of
// at most `limits.maxFileBytes` each.
import { posix } from "node:path";
import { createTwoFilesPatch } from "diff";
import { FactsIndex, contextFacts, withFacts, type TextProvider } from "../context/facts.js";
import { initParser } from "../context/parser.js";
import type { Sources } from "../pipeline.js";
import type { FileDiff, ParsedInput, Patch, SourceContext } from "../types.js";
import type { Octokit } from "./api.js";
import { revertFile } from "../diff/apply.js";

export interface Limits {
  /** Files of the pull request read (GitHub lists at most 3000). */
  maxFiles: number;
  /** Files without a patch that we diff ourselves. */
  maxSelfDiffed: number;
  /** C sources fetched for context (touched files first, then their directories' other files). */
  maxSourceFiles: number;
  /** Untouched C files fetched from one directory of a touched file. */
  maxNeighboursPerDir: number;
  /** Largest file fetched. */
  maxFileBytes: number;
  /** Parallel content fetches. */
  fetchConcurrency: number;
  /** Commits of the pull request read (pulls.listCommits; GitHub lists at most 250). */
  maxCommits: number;
  /** Commits reviewed one by one as a series; a longer pull request is reviewed as one diff with every commit message. */
  maxSeriesCommits: number;
  /** Largest diff of one commit fetched for a series. */
  maxCommitDiffBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxFiles: 3000,
  maxSelfDiffed: 20,
  maxSourceFiles: 100,
  maxNeighboursPerDir: 40,
  maxFileBytes: 1024 * 1024,
  fetchConcurrency: 4,
  maxCommits: 250,
  maxSeriesCommits: 30,
  maxCommitDiffBytes: 4 * 1024 * 1024,
};

/** The fields of a pulls.listFiles entry we use. */
export interface PrFile {
  filename: string;
  status: string;
  previous_filename?: string;
  patch?: string;
  changes?: number;
  additions?: number;
  deletions?: number;
}

export interface PrRef {
  owner: string;
  repo: string;
  number: number;
  headSha: string;
  baseSha: string;
}

export interface PrInput {
  /** One git-style diff of the whole pull request. */
  diffText: string;
  /** Paths whose hunks are GitHub's own (inline comments may go there). */
  githubPatched: Set<string>;
  /** Head (post-image) texts of touched C files. */
  head: Map<string, string>;
  /** Base (pre-image) texts, where cheap: fetched for self-diffed files, else rebuilt from head + hunks. */
  base: Map<string, string>;
  /** Untouched C files of the touched files' directories (same text before and after). */
  neighbours: Map<string, string>;
  notes: string[];
  fileCount: number;
}

const C_FILE = /\.(c|h)$/;

function headerFor(f: PrFile): string[] {
  const newP = f.filename;
  const oldP = f.status === "renamed" && f.previous_filename ? f.previous_filename : f.filename;
  const out = [`diff --git a/${oldP} b/${newP}`];
  if (f.status === "added") out.push("new file mode 100644", "--- /dev/null", `+++ b/${newP}`);
  else if (f.status === "removed") out.push("deleted file mode 100644", `--- a/${oldP}`, "+++ /dev/null");
  else {
    if (oldP !== newP) out.push(`rename from ${oldP}`, `rename to ${newP}`);
    out.push(`--- a/${oldP}`, `+++ b/${newP}`);
  }
  return out;
}

/** Builds the git-style diff text from listFiles entries (files without a patch get headers only). */
export function diffFromFiles(files: readonly PrFile[], selfDiffs: ReadonlyMap<string, string> = new Map()): string {
  const parts: string[] = [];
  for (const f of files) {
    const body = f.patch ?? selfDiffs.get(f.filename);
    if (body === undefined || body === "") {
      if (f.status === "renamed" || f.status === "added" || f.status === "removed") parts.push(headerFor(f).join("\n") + "\n");
      continue;
    }
    const text = body.endsWith("\n") ? body : body + "\n";
    parts.push(headerFor(f).join("\n") + "\n" + text);
  }
  return parts.join("");
}

/** The hunks of a jsdiff two-file patch, without its "Index:"/"---"/"+++" header lines. */
export function hunksOnly(twoFilesPatch: string): string {
  const lines = twoFilesPatch.split("\n");
  const first = lines.findIndex((l) => l.startsWith("@@ "));
  return first < 0 ? "" : lines.slice(first).join("\n");
}

/**
 * The text of a contents answer: a string (raw media type), bytes (raw without
 * a charset), or the JSON form with base64 content. Null for anything else
 * (a directory listing, a submodule).
 */
export function contentText(data: unknown): string | null {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8");
  if (data && typeof data === "object" && !Array.isArray(data)) {
    const d = data as { type?: string; encoding?: string; content?: string };
    if (d.type === "file" && d.encoding === "base64" && typeof d.content === "string") return Buffer.from(d.content, "base64").toString("utf8");
  }
  return null;
}

async function pool<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < items.length) await fn(items[i++]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

function isBinaryText(s: string): boolean {
  return s.includes("\u0000");
}

/** A file's text at a ref; null when absent, binary or over the size limit (with a note). */
export async function fetchText(
  octokit: Octokit,
  ref: PrRef,
  path: string,
  at: string,
  limits: Limits,
  notes: string[],
): Promise<string | null> {
  try {
    const res = await octokit.rest.repos.getContent({
      owner: ref.owner,
      repo: ref.repo,
      path,
      ref: at,
      mediaType: { format: "raw" },
    });
    const text = contentText(res.data);
    if (text === null) return null;
    if (Buffer.byteLength(text) > limits.maxFileBytes) {
      notes.push(`${path} at ${at.slice(0, 12)} is over ${limits.maxFileBytes} bytes: not fetched`);
      return null;
    }
    if (isBinaryText(text)) return null;
    return text;
  } catch (err) {
    if ((err as { status?: number }).status === 404) return null;
    throw err;
  }
}

/** Reads everything the core needs about a pull request. */
export async function readPullRequest(octokit: Octokit, ref: PrRef, limits: Limits = DEFAULT_LIMITS): Promise<PrInput> {
  const notes: string[] = [];
  const files: PrFile[] = [];
  for await (const page of octokit.paginate.iterator(octokit.rest.pulls.listFiles, {
    owner: ref.owner,
    repo: ref.repo,
    pull_number: ref.number,
    per_page: 100,
  })) {
    for (const f of page.data as PrFile[]) {
      if (files.length < limits.maxFiles) files.push(f);
    }
    if (files.length >= limits.maxFiles) {
      notes.push(`only the first ${limits.maxFiles} files of the pull request were reviewed`);
      break;
    }
  }

  // Files GitHub shows no patch for: diff the two versions ourselves.
  const selfDiffs = new Map<string, string>();
  const base = new Map<string, string>();
  const head = new Map<string, string>();
  const missing = files.filter((f) => f.patch === undefined && (f.changes ?? 1) > 0 && f.status !== "removed");
  if (missing.length > limits.maxSelfDiffed) {
    notes.push(`${missing.length - limits.maxSelfDiffed} large files without a patch from GitHub were not reviewed`);
  }
  const toDiff = missing.slice(0, limits.maxSelfDiffed);
  let mergeBase = ref.baseSha;
  if (toDiff.length > 0) {
    try {
      const cmp = await octokit.rest.repos.compareCommitsWithBasehead({
        owner: ref.owner,
        repo: ref.repo,
        basehead: `${ref.baseSha}...${ref.headSha}`,
        per_page: 1,
      });
      mergeBase = cmp.data.merge_base_commit?.sha ?? ref.baseSha;
    } catch {
      notes.push("merge base unknown: large files were diffed against the base branch head");
    }
  }
  await pool(toDiff, limits.fetchConcurrency, async (f) => {
    const oldPath = f.status === "renamed" && f.previous_filename ? f.previous_filename : f.filename;
    const after = await fetchText(octokit, ref, f.filename, ref.headSha, limits, notes);
    const before = f.status === "added" ? "" : await fetchText(octokit, ref, oldPath, mergeBase, limits, notes);
    if (after === null || before === null) {
      notes.push(`${f.filename}: GitHub gave no patch and the file could not be diffed (binary or too large): not reviewed`);
      return;
    }
    selfDiffs.set(f.filename, hunksOnly(createTwoFilesPatch(oldPath, f.filename, before, after, "", "", { context: 3 })));
    if (C_FILE.test(f.filename)) {
      head.set(f.filename, after);
      if (f.status !== "added") base.set(f.filename, before);
    }
  });

  // Head versions of touched C files for source context.
  const wanted = files.filter((f) => f.status !== "removed" && C_FILE.test(f.filename) && !head.has(f.filename));
  if (wanted.length > limits.maxSourceFiles) {
    notes.push(`source context limited to ${limits.maxSourceFiles} of ${wanted.length} C files`);
  }
  await pool(wanted.slice(0, limits.maxSourceFiles), limits.fetchConcurrency, async (f) => {
    const text = await fetchText(octokit, ref, f.filename, ref.headSha, limits, notes);
    if (text !== null) head.set(f.filename, text);
  });

  // The other C files of those directories: callers, workqueue allocations, shrinker registrations.
  const neighbours = new Map<string, string>();
  const touched = new Set(files.map((f) => f.filename));
  const dirs = [...new Set([...head.keys()].map((p) => posix.dirname(p)))].sort();
  let budget = limits.maxSourceFiles - head.size;
  for (const dir of dirs) {
    if (budget <= 0) break;
    let entries: { type: string; path: string; size?: number }[];
    try {
      const res = await octokit.rest.repos.getContent({ owner: ref.owner, repo: ref.repo, path: dir === "." ? "" : dir, ref: ref.headSha });
      entries = Array.isArray(res.data) ? (res.data as { type: string; path: string; size?: number }[]) : [];
    } catch (err) {
      if ((err as { status?: number }).status === 404) continue;
      throw err;
    }
    const take = entries
      .filter((e) => e.type === "file" && C_FILE.test(e.path) && !touched.has(e.path) && (e.size ?? 0) <= limits.maxFileBytes)
      .map((e) => e.path)
      .sort()
      .slice(0, Math.min(limits.maxNeighboursPerDir, budget));
    budget -= take.length;
    await pool(take, limits.fetchConcurrency, async (p) => {
      const text = await fetchText(octokit, ref, p, ref.headSha, limits, notes);
      if (text !== null) neighbours.set(p, text);
    });
  }

  const githubPatched = new Set(files.filter((f) => f.patch !== undefined).map((f) => f.filename));
  return { diffText: diffFromFiles(files, selfDiffs), githubPatched, head, base, neighbours, notes, fileCount: files.length };
}

function provider(texts: (p: string) => string | undefined, paths: readonly string[], list?: (dir: string) => string[]): TextProvider {
  const byDir = new Map<string, string[]>();
  for (const p of paths) {
    const d = posix.dirname(p);
    const list = byDir.get(d) ?? [];
    list.push(p);
    byDir.set(d, list);
  }
  return { text: texts, neighbours: (p) => byDir.get(posix.dirname(p)) ?? [], ...(list ? { list } : {}) };
}

/**
 * Source context from the fetched texts, in the shape src/pipeline.ts reads:
 * pre/post images of the touched files plus the facts index (src/context)
 * over them and their directories' other files, so source-aware rules see
 * callers, roles and workqueues the diff alone does not show.
 */
export function sourcesFrom(
  input: Pick<PrInput, "head" | "base"> & { neighbours?: Map<string, string>; list?: (dir: string) => string[] },
  opts: { stale?: (patch: Patch) => ReadonlySet<string> } = {},
): Sources {
  const neighbours = input.neighbours ?? new Map<string, string>();
  return {
    async prepare() {
      // The C grammar (wasm) loads once; without it the facts fall back to line matching.
      await initParser().catch(() => undefined);
    },
    contextFor(patch: Patch): SourceContext {
      // in a series, a file a later commit changes again has no known text at this commit
      const stale = opts.stale?.(patch) ?? new Set<string>();
      const head = stale.size === 0 ? input.head : new Map([...input.head].filter(([p]) => !stale.has(p)));
      const pre = new Map<string, string | undefined>();
      for (const f of patch.files) {
        if (f.binary) continue;
        if (stale.has(f.path)) {
          pre.set(f.path, undefined);
          continue;
        }
        if (f.status === "added") {
          pre.set(f.path, "");
          continue;
        }
        const post = head.get(f.path);
        // In a series the PR base is not this commit's pre-image: rebuild it from the head and the commit's hunks.
        const known = opts.stale ? undefined : input.base.get(f.path);
        if (known !== undefined) pre.set(f.path, known);
        else pre.set(f.path, post === undefined ? undefined : (revertFile(post, f)?.text ?? undefined));
      }
      const paths = [...new Set([...head.keys(), ...neighbours.keys()])];
      const postText = (p: string) => head.get(p) ?? (stale.has(p) ? undefined : neighbours.get(p));
      const preText = (p: string) => (pre.has(p) ? pre.get(p) : neighbours.get(p));
      const facts = contextFacts(new FactsIndex(provider(postText, paths, input.list), "post"), new FactsIndex(provider(preText, [...paths, ...pre.keys()], input.list), "pre"));
      return withFacts({ postImage: (p) => head.get(p), preImage: (p) => pre.get(p) }, facts);
    },
  };
}

// ------------------------------------------------------------- commits

/** The fields of a pulls.listCommits entry we use. */
export interface PrCommit {
  sha: string;
  /** The whole commit message: subject, body, trailers. */
  message: string;
  /** "Name <addr>" of the git author, when given. */
  author: string | null;
  date: string | null;
  parents: number;
}

interface CommitRow {
  sha: string;
  commit?: { message?: string; author?: { name?: string | null; email?: string | null; date?: string | null } | null } | null;
  parents?: unknown[];
}

/**
 * The pull request's commits, oldest first (pulls.listCommits, paginated,
 * at most `limits.maxCommits`). A refusal or failure leaves the review to
 * the title and description, with a note.
 */
export async function readPullCommits(octokit: Octokit, ref: PrRef, limits: Limits, notes: string[]): Promise<PrCommit[]> {
  const out: PrCommit[] = [];
  try {
    for await (const page of octokit.paginate.iterator(octokit.rest.pulls.listCommits, {
      owner: ref.owner,
      repo: ref.repo,
      pull_number: ref.number,
      per_page: 100,
    })) {
      for (const c of page.data as CommitRow[]) {
        if (out.length >= limits.maxCommits) break;
        const a = c.commit?.author;
        out.push({
          sha: c.sha,
          message: (c.commit?.message ?? "").replace(/\r\n/g, "\n"),
          author: a?.name ? (a.email ? `${a.name} <${a.email}>` : a.name) : null,
          date: a?.date ?? null,
          parents: Array.isArray(c.parents) ? c.parents.length : 1,
        });
      }
      if (out.length >= limits.maxCommits) {
        notes.push(`only the first ${limits.maxCommits} commits of the pull request were read`);
        break;
      }
    }
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 404 || status === 403) {
      notes.push(`the commits of the pull request could not be read (${status}): reviewed from its title and description`);
      return [];
    }
    throw err;
  }
  return out;
}

/** One commit's diff (repos.getCommit with the diff media type), or null when GitHub gives none or it is too large. */
export async function fetchCommitDiff(octokit: Octokit, ref: PrRef, sha: string, limits: Limits, notes: string[]): Promise<string | null> {
  try {
    const res = await octokit.rest.repos.getCommit({ owner: ref.owner, repo: ref.repo, ref: sha, mediaType: { format: "diff" } });
    const text = contentText(res.data);
    if (text === null) return null;
    if (Buffer.byteLength(text) > limits.maxCommitDiffBytes) {
      notes.push(`the diff of commit ${sha.slice(0, 12)} is over ${limits.maxCommitDiffBytes} bytes: not reviewed on its own`);
      return null;
    }
    return text;
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 404 || status === 422) {
      notes.push(`GitHub gave no diff for commit ${sha.slice(0, 12)} (${status})`);
      return null;
    }
    throw err;
  }
}

/** "subject\n\nbody" -> { subject, body }. */
export function splitMessage(message: string): { subject: string; body: string } {
  const lines = message.replace(/\r\n/g, "\n").split("\n");
  const subject = (lines[0] ?? "").trim();
  return { subject, body: lines.slice(1).join("\n").replace(/^\n+/, "").replace(/\s+$/, "") };
}

/** The message a pull request (or one of its commits) gives its diff. */
export interface PatchMeta {
  subject: string;
  body: string;
  /** "Name <addr>", when known. */
  author: string | null;
  date: string | null;
  /** k of n in a series of commits. */
  series?: { index: number; total: number };
}

/**
 * A diff parsed alone (it comes from the API) given its message: the title
 * or commit subject, the description or commit body. The message is never
 * parsed as mail or diff text, so a \`\`\`diff block or a
 * "From ..."/"Subject:" pair in a description changes nothing but the
 * message the commit-message rules read.
 */
export function describePatch(parsed: ParsedInput, meta: PatchMeta): ParsedInput {
  const subject = meta.subject.replace(/[\r\n]+/g, " ").trim();
  const message = meta.body.replace(/\r\n?/g, "\n");
  const series = meta.series ? { version: 1, index: meta.series.index, total: meta.series.total, tags: [] } : null;
  const raw = meta.series ? `[PATCH ${meta.series.index}/${meta.series.total}] ${subject}` : subject;
  return {
    ...parsed,
    patches: parsed.patches.map((p) => ({ ...p, subject, rawSubject: raw, message, author: meta.author?.replace(/[\r\n]+/g, " ") ?? null, date: meta.date, series })),
  };
}

/** How a pull request is read: one patch (title/description or its only commit, or too many commits), or a series. */
export type ReviewPlan =
  | { kind: "whole"; subject: string; body: string; author: string | null; date: string | null }
  | { kind: "series"; commits: PrCommit[] };

/**
 * Decides how to review: a single commit's message replaces an empty (or
 * adds to a) description; several commits (merges left out) are a series
 * when there are at most `maxSeriesCommits`, else one diff read with every
 * commit message, so traces and Fixes: tags are never lost.
 */
export function planReview(title: string, description: string, commits: readonly PrCommit[], limits: Limits, notes: string[]): ReviewPlan {
  const own = commits.filter((c) => c.parents <= 1);
  if (own.length < commits.length) notes.push(`${commits.length - own.length} merge commit(s) of the pull request were not reviewed on their own`);
  const desc = (description ?? "").trim();
  if (own.length === 0) return { kind: "whole", subject: title, body: desc, author: null, date: null };
  if (own.length === 1) {
    const c = own[0]!;
    const { subject, body } = splitMessage(c.message);
    const extra = desc !== "" && !body.includes(desc) ? `\n\n${desc}` : "";
    return { kind: "whole", subject: subject || title, body: body + extra, author: c.author, date: c.date };
  }
  if (own.length > limits.maxSeriesCommits) {
    notes.push(`${own.length} commits: reviewed as one diff (a series is read commit by commit up to ${limits.maxSeriesCommits}), with every commit message`);
    const messages = own.map((c) => c.message.trim()).join("\n\n");
    return { kind: "whole", subject: title, body: [desc, messages].filter((x) => x !== "").join("\n\n"), author: null, date: null };
  }
  return { kind: "series", commits: own };
}

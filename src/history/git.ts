// Local history: when --tree is a git checkout, the commits of its own
// history that touched the same file (and, better, the same function) and
// speak of reclaim recursion, so a finding can say "this file was fixed for
// this before: <sha> <subject>". I/O (git) happens in prepare(); lookups are pure.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { LocalCommit } from "../types.js";

const run = promisify(execFile);

/** What a commit message must speak of to count (case-insensitive, extended regex for git --grep). */
export const RECLAIM_TOPICS =
  "reclaim|deadlock|GFP_NOFS|GFP_NOIO|__GFP_FS|__GFP_IO|memalloc_no(fs|io)|PF_MEMALLOC|WQ_MEM_RECLAIM|shrinker|PF_LOCAL_THROTTLE|IO_FLUSHER|kswapd";

const TOPIC_RE = new RegExp(RECLAIM_TOPICS, "i");

export interface Entry extends LocalCommit {
  text: string;
  strength: number;
}

export interface HistoryOptions {
  /** Commits to look back per file (default 20,000). */
  maxCommits?: number;
  /** Time bound for all git calls of one prepare() (default 2,000 ms). */
  timeoutMs?: number;
}

/** Weight of a message: strong words (the exact API names) count more than "deadlock". */
function strengthOf(text: string): number {
  let s = 0;
  for (const [re, w] of [
    [/GFP_NOFS|GFP_NOIO|__GFP_FS|__GFP_IO/i, 3],
    [/memalloc_no(fs|io)|PF_MEMALLOC/i, 3],
    [/WQ_MEM_RECLAIM|flushing !?WQ_MEM_RECLAIM/i, 3],
    [/shrinker|kswapd|IO_FLUSHER|PF_LOCAL_THROTTLE/i, 2],
    [/reclaim/i, 2],
    [/deadlock/i, 1],
  ] as const)
    if (re.test(text)) s += w;
  return s;
}

export function commitUrl(remote: string | null, sha: string): string | null {
  if (!remote) return null;
  const gh = /github\.com[:/]([^/]+)\/(.+?)(?:\.git)?\/?$/.exec(remote);
  if (gh) return `https://github.com/${gh[1]}/${gh[2]}/commit/${sha}`;
  const ko = /git\.kernel\.org\/pub\/scm\/(.+?)\/?$/.exec(remote);
  if (ko) return `https://git.kernel.org/pub/scm/${ko[1]!.replace(/(\.git)?$/, ".git")}/commit/?id=${sha}`;
  return null;
}

/** Keeps the commits whose message speaks of reclaim recursion (any source: git log, the GitHub commits API). */
export function reclaimEntries(commits: readonly { sha: string; message: string; date: string; url: string | null }[]): Entry[] {
  const entries: Entry[] = [];
  for (const c of commits) {
    if (!TOPIC_RE.test(c.message)) continue;
    const subject = c.message.split("\n", 1)[0]!.trim();
    if (!subject) continue;
    entries.push({ sha: c.sha, date: c.date, subject, url: c.url, text: c.message, strength: strengthOf(c.message) });
  }
  return entries;
}

/** Parses `git log --format=%H%x1f%cs%x1f%s%x1f%b%x1e` output. */
export function parseLog(out: string, remote: string | null): Entry[] {
  const commits: { sha: string; message: string; date: string; url: string | null }[] = [];
  for (const rec of out.split("\x1e")) {
    const t = rec.replace(/^\n+/, "");
    if (!t) continue;
    const [sha, date, subject, body = ""] = t.split("\x1f");
    if (!sha || !subject) continue;
    commits.push({ sha, date: date ?? "", message: `${subject}\n${body}`, url: commitUrl(remote, sha) });
  }
  return reclaimEntries(commits);
}

/**
 * Ranks a file's reclaim commits for a function: those that name the
 * function first, then by the strength of their words, then newest first.
 */
export function rank(entries: readonly Entry[], fn: string | null, max = 2): LocalCommit[] {
  const scored = entries.map((e, i) => ({ e, i, s: e.strength + (fn && new RegExp(`\\b${fn}\\b`).test(e.text) ? 10 : 0) }));
  scored.sort((a, b) => b.s - a.s || a.i - b.i);
  return scored.slice(0, max).map(({ e }) => ({ sha: e.sha, subject: e.subject, date: e.date, url: e.url }));
}

export class LocalHistory {
  private readonly byPath = new Map<string, Entry[]>();
  /** Files whose search did not finish in time (reported as a note). */
  readonly incomplete: string[] = [];

  private constructor(
    readonly root: string,
    private readonly remote: string | null,
    private readonly opts: Required<HistoryOptions>,
  ) {}

  /** null when `root` is not inside a git work tree. */
  static async open(root: string, opts: HistoryOptions = {}): Promise<LocalHistory | null> {
    try {
      const { stdout } = await run("git", ["-C", root, "rev-parse", "--is-inside-work-tree"], { timeout: 5000 });
      if (stdout.trim() !== "true") return null;
    } catch {
      return null;
    }
    let remote: string | null = null;
    try {
      remote = (await run("git", ["-C", root, "config", "--get", "remote.origin.url"], { timeout: 5000 })).stdout.trim() || null;
    } catch {
      remote = null;
    }
    return new LocalHistory(root, remote, { maxCommits: opts.maxCommits ?? 20000, timeoutMs: opts.timeoutMs ?? 2000 });
  }

  /** Runs one path-limited, message-filtered git log per file, in parallel, within the time bound. */
  async prepare(paths: readonly string[]): Promise<void> {
    const todo = [...new Set(paths)].filter((p) => !this.byPath.has(p));
    const deadline = Date.now() + this.opts.timeoutMs;
    await Promise.all(
      todo.map(async (p) => {
        const left = Math.max(deadline - Date.now(), 50);
        try {
          const { stdout } = await run(
            "git",
            ["-C", this.root, "log", "-E", "-i", `--grep=${RECLAIM_TOPICS}`, `-n${this.opts.maxCommits}`, "--no-merges", "--format=%H%x1f%cs%x1f%s%x1f%b%x1e", "--", p],
            { timeout: left, maxBuffer: 64 * 1024 * 1024 },
          );
          this.byPath.set(p, parseLog(stdout, this.remote));
        } catch {
          this.byPath.set(p, []);
          this.incomplete.push(p);
        }
      }),
    );
  }

  lookup(path: string, fn: string | null): LocalCommit[] {
    return rank(this.byPath.get(path) ?? [], fn);
  }
}

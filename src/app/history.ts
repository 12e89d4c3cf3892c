// The GitHub App's local history: what `review --tree` finds with git log,
// found through the commits API (GET /repos/{o}/{r}/commits?path=P&sha=BASE)
// for each touched file: commits that speak of reclaim recursion, ranked per
// finding by src/history. Best effort and bounded: a failure or a slow answer
// costs the citation, never the review.
import type { Octokit } from "@octokit/core";
import { rank, reclaimEntries, type Entry } from "../history/git.js";
import type { LocalCommit } from "../types.js";

export interface HistoryLimits {
  /** Touched files whose history is asked for (C sources first). */
  maxFiles: number;
  /** Commits per file (one page). */
  perFile: number;
  /** Bound on all requests together. */
  timeoutMs: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { maxFiles: 10, perFile: 100, timeoutMs: 5000 };

interface CommitRow {
  sha: string;
  html_url?: string;
  commit: { message: string; committer?: { date?: string | null } | null; author?: { date?: string | null } | null };
}

type ListCommits = (params: { owner: string; repo: string; sha: string; path: string; per_page: number }) => Promise<{ data: CommitRow[] }>;

export class GitHubHistory {
  private readonly byPath = new Map<string, Entry[]>();
  readonly failed: string[] = [];

  constructor(
    private readonly list: ListCommits,
    private readonly ref: { owner: string; repo: string; baseSha: string },
    private readonly limits: HistoryLimits = DEFAULT_HISTORY_LIMITS,
  ) {}

  static forOctokit(octokit: Octokit & { rest: { repos: { listCommits: unknown } } }, ref: { owner: string; repo: string; baseSha: string }, limits?: HistoryLimits): GitHubHistory {
    return new GitHubHistory(octokit.rest.repos.listCommits as unknown as ListCommits, ref, limits);
  }

  async prepare(paths: readonly string[]): Promise<void> {
    const chosen = [...paths].sort((a, b) => Number(!/\.[ch]$/.test(a)) - Number(!/\.[ch]$/.test(b))).slice(0, this.limits.maxFiles);
    const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), this.limits.timeoutMs).unref());
    await Promise.all(
      chosen.map(async (path) => {
        const ask = this.list({ owner: this.ref.owner, repo: this.ref.repo, sha: this.ref.baseSha, path, per_page: this.limits.perFile })
          .then(({ data }) =>
            reclaimEntries(
              data.map((c) => ({
                sha: c.sha,
                message: c.commit.message,
                date: (c.commit.committer?.date ?? c.commit.author?.date ?? "").slice(0, 10),
                url: c.html_url ?? null,
              })),
            ),
          )
          .catch(() => null);
        const got = await Promise.race([ask, timeout]);
        if (got === "timeout" || got === null) this.failed.push(path);
        else this.byPath.set(path, got);
      }),
    );
  }

  /** What prepare() found, per path, as plain data (for a review that runs in a worker). */
  entries(): Record<string, Entry[]> {
    return Object.fromEntries(this.byPath);
  }

  lookup(path: string, fn: string | null): LocalCommit[] {
    return rank(this.byPath.get(path) ?? [], fn);
  }
}

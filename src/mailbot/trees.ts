// The source trees the mail bot reviews against (--tree, and a list's own
// `tree`): each opened once and kept (one git cat-file process per
// repository), refreshed with `git fetch` before a batch when --tree-fetch
// asks for it. The bot never writes into a tree otherwise.
import type { TreeSources } from "../context/sources.js";
import type { GitRepo } from "../git/repo.js";
import { errorMessage, UsageError } from "../errors.js";

export interface TreeSetOptions {
  /** Minutes between two `git fetch` runs in each repository; undefined: never fetch. */
  fetchMinutes?: number;
  log: (line: string) => void;
  now?: () => number;
}

export class TreeSet {
  private readonly sources = new Map<string, TreeSources>();
  private readonly repos = new Map<string, GitRepo>();
  private lastFetch = -Infinity;

  private constructor(private readonly opts: TreeSetOptions) {}

  /** Opens every tree; a tree that is not a directory is a usage error (at start, not on the first patch). */
  static async open(dirs: readonly string[], opts: TreeSetOptions): Promise<TreeSet> {
    const set = new TreeSet(opts);
    if (dirs.length === 0) return set;
    const { openTreeSources } = await import("../context/sources.js");
    const { GitRepo } = await import("../git/repo.js");
    try {
      for (const d of dirs) {
        set.sources.set(d, await openTreeSources(d));
        if (opts.fetchMinutes !== undefined) {
          const repo = await GitRepo.open(d);
          if (repo) set.repos.set(d, repo);
          else opts.log(`tree ${d}: not a git repository, --tree-fetch does not apply`);
        }
      }
    } catch (err) {
      set.close();
      throw err instanceof UsageError ? err : new UsageError(errorMessage(err));
    }
    return set;
  }

  get size(): number {
    return this.sources.size;
  }

  /** The sources of a tree named by a policy; null for none. */
  sourcesFor(dir: string | null): TreeSources | null {
    return dir === null ? null : (this.sources.get(dir) ?? null);
  }

  /** `git fetch` in every repository when the interval has passed (before a batch). Failures are logged, never fatal. */
  async refresh(): Promise<void> {
    const every = this.opts.fetchMinutes;
    if (every === undefined || this.repos.size === 0) return;
    const now = (this.opts.now ?? Date.now)();
    if (now - this.lastFetch < every * 60_000) return;
    this.lastFetch = now;
    for (const [dir, repo] of this.repos) {
      const err = await repo.fetch();
      this.opts.log(err ? `tree ${dir}: git fetch failed: ${err}` : `tree ${dir}: fetched`);
    }
  }

  close(): void {
    for (const s of this.sources.values()) s.close();
    for (const r of this.repos.values()) r.close();
    this.sources.clear();
    this.repos.clear();
  }
}

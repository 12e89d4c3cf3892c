// A git repository given as --tree (bare or not): objects through one
// long-lived cat-file process, the commit a patch was written against (its
// base-commit: trailer, or found from the blobs on its index lines, bounded
// in time), files and directory listings at a commit, `git grep` at a
// commit, and `git fetch` for a bot keeping its copy fresh. Asynchronous
// reads for prepare(); the few synchronous ones (spawnSync, time-bounded)
// are for lookups the analysis makes after it.
import { execFile, spawnSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { CatFile } from "./cat-file.js";

const run = promisify(execFile);

/** Files larger than this are not read (generated tables, firmware). */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;

export interface TreeEntry {
  name: string;
  mode: string;
  oid: string;
  type: "blob" | "tree" | "commit";
}

export interface GuessOptions {
  /** Milliseconds for the whole search (default 1,500). */
  budgetMs?: number;
  /** Commits of the path-limited history looked at (default 400). */
  maxCommits?: number;
}

/** A blob a patch names for one of its files. */
export interface NamedBlob {
  path: string;
  /** Full object id (resolved). */
  oid: string;
}

function git(args: string[], opts: { timeout?: number; maxBuffer?: number } = {}) {
  return run("git", args, { timeout: opts.timeout ?? 10_000, maxBuffer: opts.maxBuffer ?? 16 * 1024 * 1024, encoding: "utf8" });
}

function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** Parses a tree object: "<mode> <name>\0<raw id>" repeated. */
export function parseTree(data: Buffer, hashBytes: number): TreeEntry[] {
  const out: TreeEntry[] = [];
  let at = 0;
  while (at < data.length) {
    const sp = data.indexOf(32, at);
    const nul = data.indexOf(0, sp + 1);
    if (sp < 0 || nul < 0 || nul + 1 + hashBytes > data.length) break;
    const mode = data.toString("latin1", at, sp);
    const name = data.toString("utf8", sp + 1, nul);
    const oid = data.toString("hex", nul + 1, nul + 1 + hashBytes);
    at = nul + 1 + hashBytes;
    const type = mode === "40000" ? "tree" : mode === "160000" ? "commit" : "blob";
    out.push({ name, mode, oid, type });
  }
  return out;
}

export class GitRepo {
  readonly cat: CatFile;
  private readonly hashBytes: number;
  private readonly guesses = new Map<string, Promise<string | null>>();

  private constructor(
    /** Absolute path of the git directory. */
    readonly gitDir: string,
    /** The working tree, null for a bare repository. */
    readonly workTree: string | null,
    objectFormat: string,
  ) {
    this.cat = new CatFile(gitDir);
    this.hashBytes = objectFormat === "sha256" ? 32 : 20;
  }

  /**
   * The repository at `dir` when `dir` is a bare repository or the top of a
   * working tree; null otherwise (a plain directory, or a directory inside
   * someone else's checkout, whose paths would not be the patch's paths).
   */
  static async open(dir: string): Promise<GitRepo | null> {
    const root = resolve(dir);
    let out: string;
    try {
      out = (await git(["-C", root, "rev-parse", "--is-bare-repository", "--absolute-git-dir"], { timeout: 5000 })).stdout;
    } catch {
      return null;
    }
    const [bare, gitDir] = out.trim().split("\n");
    if (!gitDir) return null;
    let format = "sha1";
    try {
      format = (await git(["-C", root, "rev-parse", "--show-object-format"], { timeout: 5000 })).stdout.trim() || "sha1";
    } catch {
      // git before 2.29: sha1 only
    }
    if (bare === "true") return samePath(gitDir, root) ? new GitRepo(gitDir, null, format) : null;
    try {
      const top = (await git(["-C", root, "rev-parse", "--show-toplevel"], { timeout: 5000 })).stdout.trim();
      return samePath(top, root) ? new GitRepo(gitDir, top, format) : null;
    } catch {
      return null;
    }
  }

  get bare(): boolean {
    return this.workTree === null;
  }

  close(): void {
    this.cat.dispose();
  }

  /** The full id of a commit named any way git accepts ("HEAD", an abbreviated id, a tag); null when unknown. */
  async commit(rev: string): Promise<string | null> {
    if (!/^[\w./@^~{}-]+$/.test(rev) || rev.startsWith("-")) return null;
    const i = await this.cat.info(`${rev}^{commit}`).catch(() => null);
    return i?.type === "commit" ? i.oid : null;
  }

  /** The full id of a blob named by a (possibly abbreviated) id; null when missing, ambiguous or not a blob. */
  async blobId(id: string): Promise<string | null> {
    if (!/^[0-9a-f]{4,64}$/i.test(id)) return null;
    const i = await this.cat.info(id.toLowerCase()).catch(() => null);
    return i?.type === "blob" ? i.oid : null;
  }

  /** A blob's text by id; undefined when missing, too large or binary. */
  async blobText(oid: string): Promise<string | undefined> {
    const o = await this.cat.contents(oid).catch(() => null);
    return o && o.type === "blob" ? textOf(o.data) : undefined;
  }

  /** The blob id of a path at a commit; null when absent. */
  async blobAt(commit: string, path: string): Promise<string | null> {
    const i = await this.cat.info(`${commit}:${path}`).catch(() => null);
    return i?.type === "blob" ? i.oid : null;
  }

  /** A file's text at a commit; undefined when absent, too large or binary. */
  async readAt(commit: string, path: string): Promise<string | undefined> {
    const o = await this.cat.contents(`${commit}:${path}`).catch(() => null);
    return o && o.type === "blob" ? textOf(o.data) : undefined;
  }

  /** The entries of a directory at a commit ("." for the root); [] when absent. */
  async listAt(commit: string, dir: string): Promise<TreeEntry[]> {
    const name = dir === "." || dir === "" ? `${commit}^{tree}` : `${commit}:${dir}`;
    const o = await this.cat.contents(name).catch(() => null);
    return o && o.type === "tree" ? parseTree(o.data, this.hashBytes) : [];
  }

  /** Synchronous read for a lookup prepare() did not foresee (one git process, 5 s at most). */
  readAtSync(commit: string, path: string): string | undefined {
    if (/[\n\0]/.test(path)) return undefined;
    const r = spawnSync("git", ["--git-dir", this.gitDir, "cat-file", "blob", `${commit}:${path}`], { timeout: 5000, maxBuffer: MAX_FILE_BYTES + 1 });
    if (r.status !== 0 || !r.stdout) return undefined;
    return textOf(r.stdout as Buffer);
  }

  /** Synchronous directory listing (names), [] when absent. */
  listAtSync(commit: string, dir: string): string[] {
    const spec = dir === "." || dir === "" ? commit : `${commit}:${dir}`;
    const r = spawnSync("git", ["--git-dir", this.gitDir, "ls-tree", "--name-only", "-z", spec], { timeout: 5000, maxBuffer: 16 * 1024 * 1024 });
    if (r.status !== 0 || !r.stdout) return [];
    return (r.stdout as Buffer).toString("utf8").split("\0").filter(Boolean);
  }

  /**
   * Paths of C files at a commit holding `word` as a whole word (git grep,
   * fixed string); null when the search did not finish within `timeoutMs`
   * or failed. Synchronous: the analysis asks while it runs.
   */
  grepSync(commit: string, word: string, timeoutMs = 2000, pathspecs: readonly string[] = ["*.c", "*.h"]): string[] | null {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(word)) return null;
    const r = spawnSync("git", ["--git-dir", this.gitDir, "grep", "-l", "-w", "-F", "-I", "-e", word, commit, "--", ...pathspecs], {
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
      encoding: "utf8",
    });
    if (r.error || (r.status !== 0 && r.status !== 1)) return null;
    const prefix = `${commit}:`;
    return (r.stdout ?? "")
      .split("\n")
      .filter(Boolean)
      .map((l) => (l.startsWith(prefix) ? l.slice(prefix.length) : l));
  }

  /**
   * The commit whose tree holds every given blob at its path, as b4's
   * --guess-base finds one: HEAD first, then the commits that changed
   * those paths (all refs, newest first), bounded in commits and time.
   * null when none was found within the bounds.
   */
  guessBase(blobs: readonly NamedBlob[], opts: GuessOptions = {}): Promise<string | null> {
    if (blobs.length === 0) return Promise.resolve(null);
    const key = blobs.map((b) => `${b.path}\0${b.oid}`).sort().join("\n");
    let p = this.guesses.get(key);
    if (!p) {
      p = this.guessUncached(blobs, opts);
      this.guesses.set(key, p);
      if (this.guesses.size > 2000) this.guesses.delete(this.guesses.keys().next().value!);
    }
    return p;
  }

  private async holds(commit: string, blobs: readonly NamedBlob[]): Promise<boolean> {
    const at = await Promise.all(blobs.map((b) => this.blobAt(commit, b.path)));
    return at.every((oid, i) => oid === blobs[i]!.oid);
  }

  private async guessUncached(blobs: readonly NamedBlob[], opts: GuessOptions): Promise<string | null> {
    const deadline = Date.now() + (opts.budgetMs ?? 1500);
    const head = await this.commit("HEAD");
    if (head && (await this.holds(head, blobs))) return head;
    const paths = [...new Set(blobs.map((b) => b.path))];
    let log: string;
    try {
      log = (
        await git(["--git-dir", this.gitDir, "log", "--all", "--format=%H", `-n${opts.maxCommits ?? 400}`, "--", ...paths], {
          timeout: Math.max(deadline - Date.now(), 100),
        })
      ).stdout;
    } catch (err) {
      // killed at the deadline: use what it printed
      log = String((err as { stdout?: unknown }).stdout ?? "");
    }
    for (const c of log.split("\n")) {
      if (!/^[0-9a-f]{40,64}$/.test(c)) continue;
      if (Date.now() > deadline) return null;
      if (await this.holds(c, blobs)) return c;
    }
    return null;
  }

  /** VERSION and PATCHLEVEL of the top Makefile at a commit (a kernel tree), null otherwise. */
  async kernelVersionAt(commit: string): Promise<{ major: number; minor: number } | null> {
    return kernelVersionOf(await this.readAt(commit, "Makefile"));
  }

  /** `git fetch` from every remote (the only write a bot makes into the repository); the error text on failure. */
  async fetch(timeoutMs = 300_000): Promise<string | null> {
    try {
      await git(["--git-dir", this.gitDir, "fetch", "--all", "--quiet", "--no-write-fetch-head"], { timeout: timeoutMs });
      return null;
    } catch (err) {
      const e = err as { stderr?: string; message?: string };
      return (e.stderr || e.message || "git fetch failed").trim().split("\n")[0]!;
    }
  }
}

/** UTF-8 text of a blob; undefined when binary (a NUL byte) or larger than MAX_FILE_BYTES. */
export function textOf(data: Buffer): string | undefined {
  if (data.length > MAX_FILE_BYTES) return undefined;
  if (data.subarray(0, 8000).includes(0)) return undefined;
  return data.toString("utf8");
}

/** VERSION/PATCHLEVEL of a kernel Makefile's text. */
export function kernelVersionOf(makefile: string | undefined): { major: number; minor: number } | null {
  if (!makefile) return null;
  const v = /^VERSION\s*=\s*(\d+)\s*$/m.exec(makefile);
  const p = /^PATCHLEVEL\s*=\s*(\d+)\s*$/m.exec(makefile);
  return v && p ? { major: Number(v[1]), minor: Number(p[1]) } : null;
}

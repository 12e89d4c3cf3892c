// --tree DIR: the pre-image of each touched file, the post-image by
// applying the patch in memory (by context when the line numbers are off),
// the other files of the touched directories for reach, and the facts index
// over both images. All I/O happens in prepare(); the review that follows
// is synchronous (a lookup prepare() did not foresee reads through a
// time-bounded synchronous call).
//
// Where texts come from is a backend: a plain directory or files held in
// memory (one tree for every patch), or a git repository (./git-backend.ts:
// the exact blobs the author had, the commit holding them). A series is
// stacked: patch n sees the post-images of patches 1..n-1.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { readFile, readdir, stat } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { dirname, join, posix, resolve } from "node:path";
import { UsageError } from "../errors.js";
import type { Sources } from "../pipeline.js";
import { groupSeries } from "../series.js";
import { applyFile, revertFile, type Applied } from "../diff/apply.js";
import type { ContextBase, ContextFile, ContextOrigin, FileDiff, KernelVersion, Patch, SourceContext } from "../types.js";
import { GitRepo, kernelVersionOf } from "../git/repo.js";
import { FactsIndex, contextFacts, withFacts, type TextProvider } from "./facts.js";
import { insideTree, plainRelative } from "./contain.js";
import { initParser } from "./parser.js";

/**
 * The one place sources turn a pre-image and a file's hunks into its
 * post-image (null when the patch does not apply): jsdiff's applyPatch
 * (src/diff/apply.ts), at the stated lines, else where the context is
 * (offsets say how far); a new file is its added lines.
 */
export function postImageOf(pre: string, file: FileDiff): Applied | null {
  return applyFile(file.oldPath === null ? "" : pre, file);
}

/** C files read per directory, and the largest file read. */
const MAX_NEIGHBOURS = 400;
const MAX_FILE_BYTES = 2 * 1024 * 1024;
/** Texts kept between patches (characters); older ones are read again when asked for. */
const DEFAULT_CACHE_CHARS = 64 * 1024 * 1024;
/** Time bound of one grep of the tree. */
const GREP_MS = 2000;

/** How sources reach files: a directory on disk, or files handed over in memory (a PR head). */
export interface TreeAccess {
  /** A file's text by tree-relative path; undefined when missing or too large. */
  read(path: string): Promise<string | undefined>;
  /** Names of the entries of a directory ("." for the root); [] when missing. */
  list(dir: string): Promise<string[]>;
  /** The same, synchronously, for lookups made while the review runs. */
  readSync?(path: string): string | undefined;
  listSync?(dir: string): string[];
  /** Paths of .c/.h files holding a whole word (under `dir`, at any depth, when given); null when unknown or out of time. */
  grepSync?(word: string, dir?: string, timeoutMs?: number): string[] | null;
}

/** `git grep` over a directory (tracked files of a checkout, or any directory with --no-index). */
export function grepDirSync(root: string, word: string, noIndex: boolean, timeoutMs = GREP_MS, dir?: string): string[] | null {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(word)) return null;
  const r = spawnSync("git", ["-C", root, "grep", ...(noIndex ? ["--no-index"] : []), "-l", "-w", "-F", "-I", "-e", word, "--", ...grepPathspecs(dir)], {
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
    encoding: "utf8",
  });
  if (r.error || (r.status !== 0 && r.status !== 1)) return null;
  return (r.stdout ?? "").split("\n").filter(Boolean);
}

/**
 * A grep answer kept by key (the tree's identity, the word, the directory), least recently used out past `max`: the
 * same exported function is searched for by every patch of a series that touches it. A search that ran out of time
 * (null) is not kept.
 */
export function memoGrep(cache: Map<string, string[]>, key: string, run: () => string[] | null, max = 4096): string[] | null {
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const found = run();
  if (found === null) return null;
  if (cache.size >= max) cache.delete(cache.keys().next().value!);
  cache.set(key, found);
  return found;
}

/** A tree-relative path lies under `dir` (any depth; every path lies under no directory or "."). */
function under(path: string, dir?: string): boolean {
  const d = dir === undefined ? "." : posix.normalize(dir);
  return d === "." || path.startsWith(`${d}/`);
}

/** git pathspecs of the C files under a directory at any depth (a pathspec's `*` matches `/` too), or of the whole tree. */
export function grepPathspecs(dir?: string): string[] {
  const d = dir === undefined ? "." : posix.normalize(dir);
  return d === "." ? ["*.c", "*.h"] : [`${d}/*.c`, `${d}/*.h`];
}

export function diskTree(root: string, opts: { gitWorkTree?: boolean } = {}): TreeAccess {
  const greps = new Map<string, string[]>();
  return {
    // inside the tree only: no absolute or ".." path, no symlink out of it (contain.ts)
    async read(rel) {
      const abs = insideTree(root, rel);
      if (abs === null) return undefined;
      try {
        const st = await stat(abs);
        return st.isFile() && st.size <= MAX_FILE_BYTES ? await readFile(abs, "utf8") : undefined;
      } catch {
        return undefined;
      }
    },
    async list(dir) {
      const abs = insideTree(root, dir);
      if (abs === null) return [];
      try {
        return await readdir(abs);
      } catch {
        return [];
      }
    },
    readSync(rel) {
      const abs = insideTree(root, rel);
      if (abs === null) return undefined;
      try {
        const st = statSync(abs);
        return st.isFile() && st.size <= MAX_FILE_BYTES ? readFileSync(abs, "utf8") : undefined;
      } catch {
        return undefined;
      }
    },
    listSync(dir) {
      const abs = insideTree(root, dir);
      if (abs === null) return [];
      try {
        return readdirSync(abs);
      } catch {
        return [];
      }
    },
    // (the files on disk are taken as they were when first searched, for the life of this access)
    grepSync: (word, dir, timeoutMs) => memoGrep(greps, `${word}\0${dir ?? "."}`, () => grepDirSync(root, word, !opts.gitWorkTree, timeoutMs ?? GREP_MS, dir)),
  };
}

/** A tree held in memory: tree-relative path -> text (e.g. the files of a PR's base). */
export function memoryTree(files: ReadonlyMap<string, string>): TreeAccess {
  const listSync = (dir: string) => {
    const prefix = dir === "." ? "" : `${posix.normalize(dir)}/`;
    const out = new Set<string>();
    for (const p of files.keys()) if (p.startsWith(prefix)) out.add(p.slice(prefix.length).split("/")[0]!);
    return [...out];
  };
  return {
    read: async (p) => files.get(posix.normalize(p)),
    list: async (dir) => listSync(dir),
    readSync: (p) => files.get(posix.normalize(p)),
    listSync,
    // every file is at hand: the search is complete
    grepSync: (word, dir) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(word)) return null;
      const re = new RegExp(`\\b${word}\\b`);
      return [...files].filter(([p, t]) => /\.[ch]$/.test(p) && under(p, dir) && re.test(t)).map(([p]) => p);
    },
  };
}

/** git's id of a text as a blob (`git hash-object`). */
export function gitBlobId(text: string, format: "sha1" | "sha256" = "sha1"): string {
  const data = Buffer.from(text, "utf8");
  return createHash(format).update(`blob ${data.length}\0`).update(data).digest("hex");
}

/** Whether a text is the blob an index line names (abbreviated ids compared by prefix). */
export function isBlob(text: string, id: string): boolean {
  const want = id.toLowerCase();
  return gitBlobId(text, want.length > 40 ? "sha256" : "sha1").startsWith(want);
}

/** The origin of a pre-image read from a tree that is not the blob store: exact when its text hashes to the index line's blob. */
export function treeOrigin(path: string, text: string | undefined, from: "base-commit" | "worktree", file: FileDiff, commit?: string): ContextFile {
  if (text === undefined) return { path, from: "none", ...(file.oldBlob ? { missingBlob: file.oldBlob } : {}) };
  if (file.oldBlob && isBlob(text, file.oldBlob)) return { path, from: "blob", blob: gitBlobId(text, file.oldBlob.length > 40 ? "sha256" : "sha1"), ...(commit ? { commit } : {}) };
  return { path, from, ...(commit ? { commit } : {}), ...(file.oldBlob ? { missingBlob: file.oldBlob } : {}) };
}

/** One tree other files are read from: a commit, the working tree, files in memory. */
export interface BaseTree {
  /** Cache key: a commit id, "worktree", "memory". */
  key: string;
  info: ContextBase;
  access: TreeAccess;
  kernel?: KernelVersion;
}

export interface PreImage {
  text: string | undefined;
  origin: ContextFile;
}

/** Where a Sources takes its texts from. */
export interface TreeBackend {
  /** The tree a series (in order) is reviewed against; notes go on the patches. */
  baseFor(series: readonly Patch[]): Promise<BaseTree>;
  /** The pre-image of a file no earlier patch of the series touched. */
  preImage(file: FileDiff, patch: Patch, base: BaseTree): Promise<PreImage>;
  close?(): void;
}

/** Texts read from base trees, shared by every patch, bounded in size (oldest first out). */
class TextCache {
  private readonly texts = new Map<string, string | undefined>();
  private chars = 0;
  readonly dirs = new Map<string, string[]>();

  constructor(private readonly maxChars: number) {}

  has(key: string): boolean {
    return this.texts.has(key);
  }

  get(key: string): string | undefined {
    return this.texts.get(key);
  }

  /** Marks an entry as used now (a directory every patch reads stays). */
  touch(key: string): void {
    if (!this.texts.has(key)) return;
    const t = this.texts.get(key);
    this.texts.delete(key);
    this.texts.set(key, t);
  }

  set(key: string, text: string | undefined): void {
    const old = this.texts.get(key);
    if (old !== undefined) this.chars -= old.length;
    this.texts.delete(key);
    this.texts.set(key, text);
    if (text !== undefined) this.chars += text.length;
    while (this.chars > this.maxChars && this.texts.size > 1) {
      const [k, t] = this.texts.entries().next().value!;
      this.texts.delete(k);
      if (t !== undefined) this.chars -= t.length;
    }
    if (this.dirs.size > 50_000) this.dirs.delete(this.dirs.keys().next().value!);
  }
}

const keyOf = (base: BaseTree, path: string) => `${base.key}\0${path}`;

async function readText(cache: TextCache, base: BaseTree, rel: string): Promise<string | undefined> {
  const k = keyOf(base, rel);
  if (cache.has(k)) {
    cache.touch(k);
    return cache.get(k);
  }
  const t = await base.access.read(rel);
  cache.set(k, t);
  return t;
}

/** Reads a directory's C files into the cache (at most MAX_NEIGHBOURS of them). */
async function readDirectory(cache: TextCache, base: BaseTree, dir: string): Promise<void> {
  const k = keyOf(base, dir);
  let rels = cache.dirs.get(k);
  if (!rels) {
    const names = (await base.access.list(dir)).filter((n) => /\.[ch]$/.test(n)).sort().slice(0, MAX_NEIGHBOURS);
    rels = names.map((n) => (dir === "." ? n : posix.join(dir, n)));
    cache.dirs.set(k, rels);
  }
  await Promise.all(rels.map((r) => readText(cache, base, r)));
}

/**
 * A provider over a base tree, with some paths' texts replaced (earlier patches of the series, this patch's images).
 * `unknown`: files whose text in this image is not known (the patch does not apply to them): they stay neighbours
 * of their directory, so a reader that falls back to another image still finds them; their text() here is undefined.
 */
function providerFor(cache: TextCache, base: BaseTree, override: ReadonlyMap<string, string | undefined>, unknown: ReadonlySet<string> = new Set()): TextProvider {
  const text = (p: string): string | undefined => {
    if (override.has(p)) return override.get(p);
    const k = keyOf(base, p);
    if (cache.has(k)) return cache.get(k);
    if (!base.access.readSync) return undefined;
    const t = base.access.readSync(p);
    cache.set(k, t);
    return t;
  };
  const overridden = (dir: string) => [...override.keys()].filter((k) => dirname(k) === dir);
  return {
    text,
    neighbours: (p) => {
      const d = dirname(p);
      const own = cache.dirs.get(keyOf(base, d)) ?? [];
      const extra = overridden(d).filter((k) => !own.includes(k));
      return [...own, ...extra].filter((k) => !override.has(k) || override.get(k) !== undefined || unknown.has(k));
    },
    list: (dir) => {
      const names = new Set(base.access.listSync?.(dir) ?? []);
      const d = posix.normalize(dir);
      for (const [k, t] of override) {
        if (dirname(k) !== d) continue;
        if (t === undefined) names.delete(posix.basename(k));
        else names.add(posix.basename(k));
      }
      return [...names];
    },
    grep: (word, dir, timeoutMs) => {
      const found = base.access.grepSync?.(word, dir, timeoutMs);
      if (found === null || found === undefined) return null;
      const re = /^[A-Za-z_][A-Za-z0-9_]*$/.test(word) ? new RegExp(`\\b${word}\\b`) : null;
      const out = new Set(found.filter((p) => !override.has(p)));
      for (const [k, t] of override) if (t !== undefined && /\.[ch]$/.test(k) && under(k, dir) && re?.test(t)) out.add(k);
      return [...out];
    },
  };
}

interface Prepared {
  base: BaseTree;
  /** Texts earlier patches of the series left (post-images; undefined: deleted or unknown). */
  inherited: Map<string, string | undefined>;
  pre: Map<string, string | undefined>;
  post: Map<string, string | undefined>;
  /** Files the patch does not apply to: their post-image is unknown (not deleted). */
  unapplied: Set<string>;
  files: ContextFile[];
}

export interface SourcesOptions {
  /** Characters of base-tree text kept between patches (default 64 Mi). */
  cacheChars?: number;
}

/** A Sources that can be closed (a git repository keeps a cat-file process). */
export interface TreeSources extends Sources {
  close(): void;
  /**
   * The text provider behind a prepared patch's facts: the base tree with
   * the series' earlier post-images and this patch's pre- or post-images
   * laid over it; list() and grep() reach the whole base tree.
   */
  providerFor(patch: Patch, image: "pre" | "post"): TextProvider | undefined;
}

/** Sources over any backend: series stacked, texts cached, facts over both images. */
export function sourcesOver(backend: TreeBackend, opts: SourcesOptions = {}): TreeSources {
  const cache = new TextCache(opts.cacheChars ?? DEFAULT_CACHE_CHARS);
  const prepared = new WeakMap<Patch, Prepared>();

  async function preparePatch(p: Patch, base: BaseTree, stack: Map<string, { text: string | undefined; n: number }>): Promise<Prepared> {
    const inherited = new Map<string, string | undefined>();
    for (const [k, v] of stack) inherited.set(k, v.text);
    const pre = new Map<string, string | undefined>();
    const post = new Map<string, string | undefined>();
    const unapplied = new Set<string>();
    const files: ContextFile[] = [];
    for (const f of p.files) {
      if (f.binary) continue;
      if ([f.oldPath, f.newPath].some((x) => x !== null && !plainRelative(x))) {
        note(p, `${f.path}: an absolute path or one with "..": no source read for it; reviewed from the diff alone`);
        continue;
      }
      if (f.oldPath) await readDirectory(cache, base, posix.dirname(f.oldPath));
      if (f.newPath) await readDirectory(cache, base, posix.dirname(f.newPath));
      let oldText: string | undefined = "";
      if (f.oldPath) {
        const earlier = stack.get(f.oldPath);
        if (earlier && earlier.text !== undefined) {
          oldText = earlier.text;
          files.push({ path: f.oldPath, from: "series", patch: earlier.n });
        } else {
          const got = await backend.preImage(f, p, base);
          oldText = got.text;
          files.push(got.origin);
        }
      }
      pre.set(f.path, f.oldPath ? oldText : undefined);
      if (f.newPath === null) {
        post.set(f.path, undefined);
        continue;
      }
      if (oldText === undefined) {
        post.set(f.path, undefined);
        note(p, `${f.path}: not in the tree; reviewed from the diff alone`);
        continue;
      }
      const applied = postImageOf(oldText, f);
      // the tree already holds the patch (a merged commit reviewed against a later tree, a repost of what was
      // applied): its text is the post-image, and the patch reversed on it gives the pre-image
      const reverted = applied ? null : revertFile(oldText, f);
      if (reverted) {
        pre.set(f.path, reverted.offsets.some((o) => o !== 0) ? restate(reverted.text, f, reverted.offsets, "old") : reverted.text);
        post.set(f.path, reverted.offsets.some((o) => o !== 0) ? restate(oldText, f, reverted.offsets) : oldText);
        note(p, `${f.path}: the tree already holds this patch's changes (it applies in reverse${reverted.offsets.some((o) => o !== 0) ? `, offset ${reverted.offsets.join(", ")} lines` : ""}); the tree's text is read as the post-image`);
      } else if (!applied) {
        post.set(f.path, undefined);
        unapplied.add(f.path);
        note(p, `${f.path}: the patch does not apply to the tree; a hunk whose context lines match the tree is read inside the tree's version of its function, the rest from the diff alone`);
        continue;
      } else if (applied.offsets.some((o) => o !== 0)) {
        // keep the patch's line numbers: rebuild the post-image with each hunk at its stated new line
        note(p, `${f.path}: hunks applied by context (offset ${applied.offsets.join(", ")} lines); source context follows the tree`);
        post.set(f.path, restate(applied.text, f, applied.offsets));
        // and the pre-image the same way: the patch's old line numbers name the tree's lines the hunks replaced
        if (f.oldPath !== null) pre.set(f.path, restate(oldText, f, applied.offsets, "old"));
      } else post.set(f.path, applied.text);
      // local headers the file includes
      const text = post.get(f.path) ?? oldText;
      for (const m of text.matchAll(/^[ \t]*#[ \t]*include[ \t]+"([^"]+)"/gm)) {
        const h = posix.normalize(posix.join(posix.dirname(f.path), m[1]!));
        if (!h.startsWith("..") && !inherited.has(h)) await readText(cache, base, h);
      }
    }
    return { base, inherited, pre, post, unapplied, files };
  }

  function imageProvider(prep: Prepared, image: "pre" | "post"): TextProvider {
    // the series so far, then this patch's images (the pre-image of a renamed/added file lives under its old path, or nowhere)
    const override = new Map(prep.inherited);
    for (const [k, v] of image === "post" ? prep.post : prep.pre) override.set(k, v);
    return providerFor(cache, prep.base, override, image === "post" ? prep.unapplied : new Set());
  }

  /** What the series leaves for the next patch: post-images by path (renames and deletions move and drop). */
  function stackAfter(p: Patch, prep: Prepared, n: number, stack: Map<string, { text: string | undefined; n: number }>): void {
    for (const f of p.files) {
      if (f.binary) {
        if (f.newPath) stack.set(f.newPath, { text: undefined, n });
        continue;
      }
      if (f.oldPath && f.oldPath !== f.newPath && f.status !== "copied") stack.set(f.oldPath, { text: undefined, n });
      if (f.newPath) stack.set(f.newPath, { text: prep.post.get(f.path), n });
    }
  }

  return {
    async prepare(patches) {
      await initParser();
      for (const series of groupSeries(patches)) {
        const known = prepared.get(series[0]!);
        const base = known ? known.base : await backend.baseFor(series);
        const stack = new Map<string, { text: string | undefined; n: number }>();
        for (let i = 0; i < series.length; i++) {
          const p = series[i]!;
          const n = p.series?.index ?? i + 1;
          let prep = prepared.get(p);
          if (!prep) {
            prep = await preparePatch(p, base, stack);
            prepared.set(p, prep);
          }
          stackAfter(p, prep, n, stack);
        }
      }
    },
    providerFor(patch, image) {
      const prep = prepared.get(patch);
      return prep ? imageProvider(prep, image) : undefined;
    },
    contextFor(patch: Patch): SourceContext | undefined {
      const prep = prepared.get(patch);
      if (!prep) return undefined;
      const postIdx = new FactsIndex(imageProvider(prep, "post"), "post");
      const preIdx = new FactsIndex(imageProvider(prep, "pre"), "pre");
      const origin: ContextOrigin = { base: prep.base.info, files: prep.files };
      return withFacts(
        {
          preImage: (p) => prep.pre.get(p),
          postImage: (p) => prep.post.get(p),
          origin,
          ...(prep.base.kernel ? { kernel: prep.base.kernel } : {}),
        },
        contextFacts(postIdx, preIdx),
      );
    },
    close() {
      backend.close?.();
    },
  };
}

/** One tree for every patch: a plain directory, or files held in memory. */
export function plainBackend(access: TreeAccess, info: ContextBase, key = "tree"): TreeBackend {
  let base: Promise<BaseTree> | undefined;
  const from = info.from === "worktree" ? "worktree" : "base-commit";
  return {
    baseFor() {
      base ??= (async () => {
        const version = kernelVersionOf(await access.read("Makefile"));
        return { key, info, access, ...(version ? { kernel: { ...version, from: "tree" as const } } : {}) };
      })();
      return base;
    },
    async preImage(f) {
      const text = await access.read(f.oldPath!);
      return { text, origin: treeOrigin(f.oldPath!, text, from, f, info.commit ?? undefined) };
    },
  };
}

/**
 * --tree DIR: a git repository (bare, or the top of a checkout) gives each
 * file's exact pre-image and the commit that held it (./git-backend.ts);
 * any other directory is read as it is on disk.
 */
export async function openTreeSources(dir: string, opts: SourcesOptions & { guessBudgetMs?: number } = {}): Promise<TreeSources> {
  const root = resolve(dir);
  try {
    if (!statSync(root).isDirectory()) throw new Error();
  } catch {
    throw new UsageError(`--tree ${dir}: not a directory`);
  }
  const repo = await GitRepo.open(root);
  if (repo) {
    const { gitBackend } = await import("./git-backend.js");
    return sourcesOver(gitBackend(repo, { guessBudgetMs: opts.guessBudgetMs }), opts);
  }
  return sourcesOver(plainBackend(diskTree(root), { commit: null, from: "worktree" }), opts);
}

/**
 * Sources over any tree access: the patch's pre-images come from it, the
 * post-images from applying the patch in memory (tests, and files a caller
 * holds in memory).
 */
export function openSources(access: TreeAccess, info: ContextBase = { commit: null, from: "worktree" }): TreeSources {
  return sourcesOver(plainBackend(access, info, info.commit ?? "tree"));
}

function note(p: Patch, msg: string): void {
  if (!Object.isFrozen(p.notes) && !p.notes.includes(msg)) p.notes.push(msg);
}

export { note as addNote };

/**
 * An image rebuilt so each hunk's lines sit at the line numbers the patch
 * states for that side (the post-image: new lines; the pre-image: old lines),
 * when the hunks applied `offsets` lines away: the text around hunks comes
 * from the tree, shifted to fit.
 */
function restate(applied: string, f: FileDiff, offsets: number[], side: "new" | "old" = "new"): string {
  const lines = applied.split("\n");
  const out: string[] = [];
  let src = 0; // index into the applied text
  f.hunks.forEach((h, i) => {
    const start = side === "new" ? h.newStart : h.oldStart;
    const count = side === "new" ? h.newLines : h.oldLines;
    const newAt = count === 0 ? start : start - 1;
    const actualAt = newAt + (offsets[i] ?? 0);
    // copy the tree's lines before the hunk so that the output reaches the stated position: padding with blank
    // lines, or leaving some out: blank lines first (nearest the hunk; none that ends a macro's continued line),
    // then the lines farthest from the hunks (the top of the file before the first one, the middle of the gap
    // between two), so that the functions the hunks sit in are kept whole as far as they can be
    const have = actualAt - src;
    let drop = have - (newAt - out.length);
    const dropped = new Set<number>();
    for (let k = actualAt - 1; k >= src && drop > 0; k--)
      if (lines[k]!.trim() === "" && !(k > 0 && lines[k - 1]!.endsWith("\\"))) {
        dropped.add(k);
        drop--;
      }
    if (drop > 0) {
      const gap = Array.from({ length: have }, (_, j) => src + j).filter((k) => !dropped.has(k));
      const mid = (src + actualAt - 1) / 2;
      if (i > 0) gap.sort((x, y) => Math.abs(x - mid) - Math.abs(y - mid) || x - y);
      for (const k of gap.slice(0, drop)) dropped.add(k);
    }
    for (let k = src; k < actualAt; k++) if (!dropped.has(k)) out.push(lines[k]!);
    while (out.length < newAt) out.push("");
    src = actualAt;
    const n = h.lines.filter((l) => l.kind !== (side === "new" ? "del" : "add")).length;
    for (let k = 0; k < n; k++) out.push(lines[src++] ?? "");
  });
  out.push(...lines.slice(src));
  return out.join("\n");
}

// The pull request's base commit as source context: the whole tree listed
// once (git trees API, recursive; cached per base SHA), then, within a
// budget, the files the review should see besides the touched directories'
// head files: the headers the touched files include, and files found by
// name in the listing for the functions the patch calls or changes
// (xfs_buf_delwri_submit -> fs/xfs/xfs_buf.c). Blobs are fetched by id
// (git blobs API) and cached by id across pull requests. Best effort and
// bounded: a failure costs context, never the review.
import { posix } from "node:path";
import type { Octokit } from "./api.js";
import type { FileDiff, Patch } from "../types.js";
import type { PrRef } from "./pr-input.js";

export interface BaseTreeLimits {
  /** Files fetched from the base tree per pull request. */
  maxFiles: number;
  /** Files found by name per identifier. */
  perIdentifier: number;
  /** Identifiers looked up by name. */
  maxIdentifiers: number;
  /** Largest file fetched. */
  maxFileBytes: number;
  /** Parallel blob fetches. */
  fetchConcurrency: number;
}

export const DEFAULT_BASE_LIMITS: BaseTreeLimits = { maxFiles: 60, perIdentifier: 2, maxIdentifiers: 20, maxFileBytes: 1024 * 1024, fetchConcurrency: 4 };

export interface Listing {
  /** path -> blob id and size, for every file of the base tree the listing holds. */
  files: Map<string, { sha: string; size: number }>;
  /** GitHub cut the recursive listing short (a very large tree): only part of it is known. */
  truncated: boolean;
}

/** Listings by base SHA and blob texts by id, shared by every pull request this process reviews. */
export class BaseTreeCache {
  private readonly listings = new Map<string, Promise<Listing | null>>();
  private readonly blobs = new Map<string, string | null>();
  private blobChars = 0;
  /** API calls made (tests, logs). */
  calls = 0;

  constructor(
    private readonly maxListings = 16,
    private readonly maxBlobChars = 64 * 1024 * 1024,
  ) {}

  listing(octokit: Octokit, ref: PrRef): Promise<Listing | null> {
    const key = `${ref.owner}/${ref.repo}@${ref.baseSha}`;
    let p = this.listings.get(key);
    if (!p) {
      p = this.fetchListing(octokit, ref);
      this.listings.set(key, p);
      p.then((l) => l === null && this.listings.delete(key)).catch(() => this.listings.delete(key));
      if (this.listings.size > this.maxListings) this.listings.delete(this.listings.keys().next().value!);
    }
    return p;
  }

  private async fetchListing(octokit: Octokit, ref: PrRef): Promise<Listing | null> {
    this.calls++;
    try {
      const res = await octokit.rest.git.getTree({ owner: ref.owner, repo: ref.repo, tree_sha: ref.baseSha, recursive: "1" });
      const files = new Map<string, { sha: string; size: number }>();
      for (const e of res.data.tree) if (e.type === "blob" && e.path && e.sha) files.set(e.path, { sha: e.sha, size: e.size ?? 0 });
      return { files, truncated: Boolean(res.data.truncated) };
    } catch {
      return null;
    }
  }

  async blob(octokit: Octokit, ref: PrRef, sha: string): Promise<string | null> {
    if (this.blobs.has(sha)) {
      const t = this.blobs.get(sha)!;
      this.blobs.delete(sha);
      this.blobs.set(sha, t);
      return t;
    }
    this.calls++;
    let text: string | null = null;
    try {
      const res = await octokit.rest.git.getBlob({ owner: ref.owner, repo: ref.repo, file_sha: sha });
      const buf = Buffer.from(res.data.content, (res.data.encoding as BufferEncoding | undefined) === "utf-8" ? "utf8" : "base64");
      text = buf.subarray(0, 8000).includes(0) ? null : buf.toString("utf8");
    } catch {
      return null; // not cached: a later pull request may try again
    }
    this.blobs.set(sha, text);
    this.blobChars += text?.length ?? 0;
    while (this.blobChars > this.maxBlobChars && this.blobs.size > 1) {
      const [k, v] = this.blobs.entries().next().value!;
      this.blobs.delete(k);
      this.blobChars -= v?.length ?? 0;
    }
    return text;
  }
}

/** The process-wide cache the app uses. */
export const SHARED_BASE_CACHE = new BaseTreeCache();

export interface BaseTree {
  /** Base texts fetched (paths relative to the repository). */
  files: Map<string, string>;
  /** The listing, for directory lookups (null when it could not be read). */
  listing: Listing | null;
  notes: string[];
}

const C_FILE = /\.(c|h)$/;
const IDENT = /\b([a-z_][a-z0-9_]{3,})\s*\(/g;
const KEYWORDS = new Set(["sizeof", "return", "while", "switch", "typeof", "defined", "__builtin_expect"]);

/** Identifiers a patch's added lines call, and the functions its hunks change (hunk sections). */
export function identifiersOf(files: readonly FileDiff[], max: number): string[] {
  const out = new Set<string>();
  for (const f of files) {
    if (f.binary || !C_FILE.test(f.path)) continue;
    for (const h of f.hunks) {
      const sec = /([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(h.section);
      if (sec) out.add(sec[1]!);
      for (const l of h.lines) {
        if (l.kind !== "add") continue;
        for (const m of l.text.matchAll(IDENT)) if (!KEYWORDS.has(m[1]!)) out.add(m[1]!);
      }
    }
  }
  return [...out].slice(0, max);
}

/** Local and kernel headers a text includes, as paths of the tree ("x.h" next to the file, <linux/x.h> under include/). */
export function includedPaths(path: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^[ \t]*#[ \t]*include[ \t]+(?:"([^"]+)"|<([^>]+)>)/gm)) {
    if (m[1]) {
      const p = posix.normalize(posix.join(posix.dirname(path), m[1]));
      if (!p.startsWith("..")) out.push(p);
    } else out.push(`include/${m[2]}`);
  }
  return out;
}

/**
 * Files of the listing whose name is the start of an identifier (at a "_"
 * boundary): where kernel code usually defines it. Same top directory as
 * `near` first.
 */
export function filesNamedFor(identifier: string, listing: Listing, near: string, max: number): string[] {
  const top = near.split("/")[0];
  const hits: string[] = [];
  for (const p of listing.files.keys()) {
    if (!C_FILE.test(p)) continue;
    const stem = posix.basename(p).replace(/\.[ch]$/, "");
    if (stem.length < 3) continue;
    if (identifier === stem || identifier.startsWith(`${stem}_`)) hits.push(p);
  }
  hits.sort((a, b) => Number(b.split("/")[0] === top) - Number(a.split("/")[0] === top) || b.length - a.length || a.localeCompare(b));
  return hits.slice(0, max);
}

async function pool<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < items.length) await fn(items[i++]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

/**
 * Reads what the review should see of the base commit besides what the
 * pull request's own files give: headers and files found by name, within
 * the limits. `have` holds paths already fetched (not fetched again).
 */
export async function readBaseTree(
  octokit: Octokit,
  ref: PrRef,
  patches: readonly Patch[],
  texts: ReadonlyMap<string, string>,
  have: ReadonlySet<string>,
  limits: BaseTreeLimits = DEFAULT_BASE_LIMITS,
  cache: BaseTreeCache = SHARED_BASE_CACHE,
): Promise<BaseTree> {
  const notes: string[] = [];
  const files = new Map<string, string>();
  const listing = await cache.listing(octokit, ref);
  if (!listing) {
    notes.push(`the base tree ${ref.baseSha.slice(0, 12)} could not be listed: context from the pull request's own directories only`);
    return { files, listing: null, notes };
  }
  if (listing.truncated) notes.push(`the base tree listing of ${ref.baseSha.slice(0, 12)} is incomplete (GitHub truncated it): some files could not be found by name`);
  const want: string[] = [];
  const add = (p: string) => {
    if (!have.has(p) && !want.includes(p) && listing.files.has(p) && (listing.files.get(p)!.size ?? 0) <= limits.maxFileBytes) want.push(p);
  };
  const touched = patches.flatMap((p) => p.files.filter((f) => !f.binary && C_FILE.test(f.path)));
  for (const f of touched) {
    const t = texts.get(f.path);
    if (t !== undefined) for (const inc of includedPaths(f.path, t)) add(inc);
  }
  const near = touched[0]?.path ?? "";
  for (const id of identifiersOf(touched, limits.maxIdentifiers)) for (const p of filesNamedFor(id, listing, near, limits.perIdentifier)) add(p);
  if (want.length > limits.maxFiles) notes.push(`base context limited to ${limits.maxFiles} of ${want.length} files found by name`);
  await pool(want.slice(0, limits.maxFiles), limits.fetchConcurrency, async (p) => {
    const t = await cache.blob(octokit, ref, listing.files.get(p)!.sha);
    if (t !== null) files.set(p, t);
  });
  return { files, listing, notes };
}

/**
 * The pull request's input with the base tree laid under it: files found by
 * name join the neighbours (head files win), the listing answers directory
 * lookups, and the notes say what could not be read.
 */
export async function withBaseTree<T extends { head: Map<string, string>; neighbours: Map<string, string>; notes: string[] }>(
  octokit: Octokit,
  ref: PrRef,
  input: T,
  patches: readonly Patch[],
  limits?: BaseTreeLimits,
  cache?: BaseTreeCache,
): Promise<T & { list?: (dir: string) => string[]; listing?: Listing }> {
  const have = new Set([...input.head.keys(), ...input.neighbours.keys()]);
  const base = await readBaseTree(octokit, ref, patches, input.head, have, limits, cache);
  const listing = base.listing;
  return {
    ...input,
    neighbours: new Map([...base.files, ...input.neighbours]),
    notes: [...input.notes, ...base.notes],
    ...(listing ? { list: (dir: string) => listDir(listing, dir), listing } : {}),
  };
}

/** Names of a directory's entries in the listing ("." for the top). */
export function listDir(listing: Listing, dir: string): string[] {
  const prefix = dir === "." || dir === "" ? "" : `${posix.normalize(dir)}/`;
  const out = new Set<string>();
  for (const p of listing.files.keys()) if (p.startsWith(prefix)) out.add(p.slice(prefix.length).split("/")[0]!);
  return [...out];
}

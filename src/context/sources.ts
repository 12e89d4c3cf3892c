// --tree DIR: the pre-image of each touched file from the tree, the
// post-image by applying the patch in memory (by context when the line
// numbers are off), the other files of the touched directories for reach,
// and the facts index over both images. All I/O happens in prepare(); the
// review that follows is synchronous.
import { readFile, readdir, stat } from "node:fs/promises";
import { statSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import { UsageError } from "../errors.js";
import type { Sources } from "../pipeline.js";
import { applyFile } from "../diff/apply.js";
import type { FileDiff, Patch, SourceContext } from "../types.js";
import { FactsIndex, contextFacts, withFacts, type TextProvider } from "./facts.js";
import { initParser } from "./parser.js";

/** Relative paths of the .c/.h files of a directory, and its text reader, limited in count and size. */
const MAX_NEIGHBOURS = 400;
const MAX_FILE_BYTES = 2 * 1024 * 1024;

/** How sources reach files: a directory on disk, or files handed over in memory (a PR head). */
export interface TreeAccess {
  /** A file's text by tree-relative path; undefined when missing or too large. */
  read(path: string): Promise<string | undefined>;
  /** Names of the entries of a directory ("." for the root); [] when missing. */
  list(dir: string): Promise<string[]>;
}

export function diskTree(root: string): TreeAccess {
  return {
    async read(rel) {
      try {
        const st = await stat(join(root, rel));
        return st.isFile() && st.size <= MAX_FILE_BYTES ? await readFile(join(root, rel), "utf8") : undefined;
      } catch {
        return undefined;
      }
    },
    async list(dir) {
      try {
        return await readdir(join(root, dir));
      } catch {
        return [];
      }
    },
  };
}

/** A tree held in memory: tree-relative path -> text (e.g. the files of a PR's base). */
export function memoryTree(files: ReadonlyMap<string, string>): TreeAccess {
  return {
    read: async (p) => files.get(posix.normalize(p)),
    list: async (dir) => {
      const prefix = dir === "." ? "" : `${posix.normalize(dir)}/`;
      const out = new Set<string>();
      for (const p of files.keys()) if (p.startsWith(prefix) && !p.slice(prefix.length).includes("/")) out.add(p.slice(prefix.length));
      return [...out];
    },
  };
}

export interface TreeReader {
  access: TreeAccess;
  /** path -> text (undefined: missing). */
  texts: Map<string, string | undefined>;
  dirs: Map<string, string[]>;
}

async function readText(reader: TreeReader, rel: string): Promise<string | undefined> {
  if (reader.texts.has(rel)) return reader.texts.get(rel);
  const t = await reader.access.read(rel);
  reader.texts.set(rel, t);
  return t;
}

/** Reads a directory's C files into the reader (at most MAX_NEIGHBOURS of them). */
export async function readDirectory(reader: TreeReader, dir: string): Promise<void> {
  if (reader.dirs.has(dir)) return;
  const names = (await reader.access.list(dir)).filter((n) => /\.[ch]$/.test(n)).sort().slice(0, MAX_NEIGHBOURS);
  const rels = names.map((n) => (dir === "." ? n : posix.join(dir, n)));
  reader.dirs.set(dir, rels);
  await Promise.all(rels.map((r) => readText(reader, r)));
}

/** A provider over the reader, with some paths' texts replaced (post-images). */
export function providerFor(reader: TreeReader, override: Map<string, string | undefined>): TextProvider {
  return {
    text: (p) => (override.has(p) ? override.get(p) : reader.texts.get(p)),
    neighbours: (p) => {
      const d = dirname(p);
      const base = reader.dirs.get(d) ?? [];
      const extra = [...override.keys()].filter((k) => dirname(k) === d && !base.includes(k));
      return [...base, ...extra];
    },
  };
}

interface Prepared {
  pre: Map<string, string | undefined>;
  post: Map<string, string | undefined>;
}

/** --tree DIR: sources from a checkout on disk. */
export async function openTreeSources(dir: string): Promise<Sources> {
  const root = resolve(dir);
  try {
    if (!statSync(root).isDirectory()) throw new Error();
  } catch {
    throw new UsageError(`--tree ${dir}: not a directory`);
  }
  return openSources(diskTree(root));
}

/**
 * Sources over any tree access: the patch's pre-images come from it, the
 * post-images from applying the patch in memory. The GitHub App can hand the
 * PR base's files over with memoryTree().
 */
export function openSources(access: TreeAccess): Sources {
  const reader: TreeReader = { access, texts: new Map(), dirs: new Map() };
  const prepared = new WeakMap<Patch, Prepared>();

  return {
    async prepare(patches) {
      await initParser();
      for (const p of patches) {
        const pre = new Map<string, string | undefined>();
        const post = new Map<string, string | undefined>();
        for (const f of p.files) {
          if (f.binary) continue;
          if (f.oldPath) await readDirectory(reader, posix.dirname(f.oldPath));
          if (f.newPath) await readDirectory(reader, posix.dirname(f.newPath));
          const oldText = f.oldPath ? await readText(reader, f.oldPath) : "";
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
          // jsdiff's applyPatch: at the stated lines, else where the context is (offsets say how far)
          const applied = applyFile(f.oldPath === null ? "" : oldText, f);
          if (!applied) {
            post.set(f.path, undefined);
            note(p, `${f.path}: the patch does not apply to the tree; reviewed from the diff alone`);
            continue;
          }
          if (applied.offsets.some((o) => o !== 0)) {
            // keep the patch's line numbers: rebuild the post-image with each hunk at its stated new line
            note(p, `${f.path}: hunks applied by context (offset ${applied.offsets.join(", ")} lines); source context follows the tree`);
            post.set(f.path, restate(applied.text, f, applied.offsets));
          } else post.set(f.path, applied.text);
          // local headers the file includes
          const text = post.get(f.path) ?? oldText;
          for (const m of text.matchAll(/^[ \t]*#[ \t]*include[ \t]+"([^"]+)"/gm)) {
            const h = posix.normalize(posix.join(posix.dirname(f.path), m[1]!));
            if (!h.startsWith("..")) await readText(reader, h);
          }
        }
        prepared.set(p, { pre, post });
      }
    },
    contextFor(patch: Patch): SourceContext | undefined {
      const prep = prepared.get(patch);
      if (!prep) return undefined;
      const postIdx = new FactsIndex(providerFor(reader, prep.post), "post");
      const preOverride = new Map(prep.pre);
      // the pre-image of a renamed/added file lives under its old path (or nowhere)
      const preIdx = new FactsIndex(providerFor(reader, preOverride), "pre");
      return withFacts(
        { preImage: (p) => prep.pre.get(p), postImage: (p) => prep.post.get(p) },
        contextFacts(postIdx, preIdx),
      );
    },
  };
}

function note(p: Patch, msg: string): void {
  if (!Object.isFrozen(p.notes) && !p.notes.includes(msg)) p.notes.push(msg);
}

/**
 * The post-image rebuilt so each hunk's lines sit at the new line numbers the
 * patch states: the text around hunks comes from the tree, shifted to fit.
 */
function restate(applied: string, f: FileDiff, offsets: number[]): string {
  const lines = applied.split("\n");
  const out: string[] = [];
  let src = 0; // index into the applied text
  f.hunks.forEach((h, i) => {
    const newAt = h.newLines === 0 ? h.newStart : h.newStart - 1;
    const actualAt = newAt + (offsets[i] ?? 0);
    // copy tree lines until the output reaches the stated position, padding or dropping as needed
    while (out.length < newAt && src < actualAt) out.push(lines[src++]!);
    while (out.length < newAt) out.push("");
    src = actualAt;
    const n = h.lines.filter((l) => l.kind !== "del").length;
    for (let k = 0; k < n; k++) out.push(lines[src++] ?? "");
  });
  out.push(...lines.slice(src));
  return out.join("\n");
}

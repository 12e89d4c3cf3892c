// --tree DIR: the pre-image of each touched file from the tree, the
// post-image by applying the patch in memory.
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { statSync } from "node:fs";
import { UsageError } from "../errors.js";
import type { Sources } from "../pipeline.js";
import type { FileDiff, Patch, SourceContext } from "../types.js";

/** Applies a file's hunks to its pre-image; null when a hunk's context does not match. */
export function applyHunks(pre: string, file: FileDiff): string | null {
  const lines = pre.split("\n");
  const out: string[] = [];
  let pos = 0; // index into lines (0-based)
  for (const h of file.hunks) {
    const start = Math.max(h.oldStart - 1, 0);
    if (start < pos) return null;
    out.push(...lines.slice(pos, start));
    pos = start;
    for (const l of h.lines) {
      if (l.kind === "add") out.push(l.text);
      else {
        if (lines[pos] !== l.text) return null;
        if (l.kind === "ctx") out.push(l.text);
        pos++;
      }
    }
  }
  out.push(...lines.slice(pos));
  return out.join("\n");
}

export async function openTreeSources(dir: string): Promise<Sources> {
  const root = resolve(dir);
  try {
    if (!statSync(root).isDirectory()) throw new Error();
  } catch {
    throw new UsageError(`--tree ${dir}: not a directory`);
  }
  const cache = new Map<string, string | undefined>();
  const readPre = async (p: string) => {
    if (!cache.has(p)) cache.set(p, await readFile(join(root, p), "utf8").catch(() => undefined));
    return cache.get(p);
  };
  return {
    async prepare(patches) {
      for (const p of patches) for (const f of p.files) if (f.oldPath && !f.binary) await readPre(f.oldPath);
    },
    contextFor(patch: Patch): SourceContext {
      const pre = new Map<string, string | undefined>();
      const post = new Map<string, string | undefined>();
      for (const f of patch.files) {
        if (f.binary) continue;
        const oldText = f.oldPath ? cache.get(f.oldPath) : "";
        pre.set(f.path, oldText);
        post.set(f.path, oldText === undefined ? undefined : f.newPath ? (applyHunks(oldText, f) ?? undefined) : undefined);
      }
      return { preImage: (p) => pre.get(p), postImage: (p) => post.get(p) };
    },
  };
}

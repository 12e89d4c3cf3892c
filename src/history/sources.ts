// Decorates a Sources (from --tree) with the tree's own git history.
import type { Sources } from "../pipeline.js";
import type { LocalCommit, Patch } from "../types.js";
import { LocalHistory, type HistoryOptions } from "./git.js";

/** Adds a history lookup to every SourceContext a Sources hands out. */
export function decorateWithHistory(sources: Sources, lookup: (path: string, fn: string | null) => LocalCommit[], prepare?: (patches: readonly Patch[]) => Promise<void>): Sources {
  return {
    async prepare(patches: readonly Patch[]) {
      await sources.prepare?.(patches);
      await prepare?.(patches);
    },
    close: () => sources.close?.(),
    contextFor(patch: Patch) {
      const ctx = sources.contextFor(patch);
      if (!ctx) return ctx;
      // keep ctx's own prototype (its methods) and add the history lookup
      return Object.assign(Object.create(ctx) as typeof ctx, { localHistory: lookup });
    },
  };
}

/** The text files of a set of patches (what a history search looks at). */
export function touchedPaths(patches: readonly Patch[]): string[] {
  return [...new Set(patches.flatMap((p) => p.files.filter((f) => !f.binary && f.newPath).map((f) => f.path)))];
}

export async function withLocalHistory(sources: Sources, treeDir: string, opts?: HistoryOptions): Promise<Sources> {
  const history = await LocalHistory.open(treeDir, opts);
  if (!history) return sources;
  return decorateWithHistory(
    sources,
    (path, fn) => history.lookup(path, fn),
    (patches) => history.prepare(touchedPaths(patches)),
  );
}

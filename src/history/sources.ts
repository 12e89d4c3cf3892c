// Decorates a Sources (from --tree) with the tree's own git history.
import type { Sources } from "../pipeline.js";
import type { Patch } from "../types.js";
import { LocalHistory, type HistoryOptions } from "./git.js";

export async function withLocalHistory(sources: Sources, treeDir: string, opts?: HistoryOptions): Promise<Sources> {
  const history = await LocalHistory.open(treeDir, opts);
  if (!history) return sources;
  return {
    async prepare(patches: readonly Patch[]) {
      await sources.prepare?.(patches);
      await history.prepare(patches.flatMap((p) => p.files.filter((f) => !f.binary && f.newPath).map((f) => f.path)));
    },
    contextFor(patch: Patch) {
      const ctx = sources.contextFor(patch);
      if (!ctx) return ctx;
      // keep ctx's own prototype (its methods) and add the history lookup
      return Object.assign(Object.create(ctx) as typeof ctx, {
        localHistory: (path: string, fn: string | null) => history.lookup(path, fn),
      });
    },
  };
}

// The git backend of --tree: each file's pre-image is the blob its index
// line names (exactly what the author had), else the file at the patch's
// base commit, else the working tree (a bare repository: HEAD). Callers and
// neighbours come from the commit that holds those blobs: the base-commit:
// trailer when the repository has it, else the commit found to hold the
// series' blobs (GitRepo.guessBase, bounded in time), else the working tree
// or HEAD.
import { kernelVersionOf, type GitRepo } from "../git/repo.js";
import type { ContextBase, FileDiff, Patch } from "../types.js";
import { addNote, diskTree, grepPathspecs, isBlob, memoGrep, treeOrigin, type BaseTree, type PreImage, type TreeAccess, type TreeBackend } from "./sources.js";

export interface GitBackendOptions {
  /** Milliseconds for finding the commit that holds a series' blobs (default 1,500). */
  guessBudgetMs?: number;
}

/** Grep answers at a commit (a commit's files never change): by git directory, commit, word and directory. */
const commitGreps = new Map<string, string[]>();

function commitAccess(repo: GitRepo, commit: string): TreeAccess {
  return {
    read: (p) => repo.readAt(commit, p),
    list: async (dir) => (await repo.listAt(commit, dir)).map((e) => e.name),
    readSync: (p) => repo.readAtSync(commit, p),
    listSync: (dir) => repo.listAtSync(commit, dir),
    grepSync: (word, dir, timeoutMs) => {
      const run = () => repo.grepSync(commit, word, timeoutMs, grepPathspecs(dir));
      // kept only for a commit named by its id (a ref may move)
      return /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(commit) ? memoGrep(commitGreps, `${repo.gitDir}\0${commit}\0${word}\0${dir ?? "."}`, run) : run();
    },
  };
}

export function gitBackend(repo: GitRepo, opts: GitBackendOptions = {}): TreeBackend {
  const versions = new Map<string, Promise<{ major: number; minor: number } | null>>();
  const worktree = repo.workTree ? diskTree(repo.workTree, { gitWorkTree: true }) : null;

  async function base(commit: string | null, from: ContextBase["from"]): Promise<BaseTree> {
    const info: ContextBase = { commit, from };
    if (from === "worktree" || commit === null) {
      const access: TreeAccess = worktree ?? { read: async () => undefined, list: async () => [] };
      const v = kernelVersionOf(await access.read("Makefile"));
      return { key: "worktree", info, access, ...(v ? { kernel: { ...v, from: "tree" as const } } : {}) };
    }
    let v = versions.get(commit);
    if (!v) {
      v = repo.kernelVersionAt(commit);
      versions.set(commit, v);
    }
    const version = await v;
    return {
      key: commit,
      info,
      access: commitAccess(repo, commit),
      ...(version ? { kernel: { ...version, from: from === "base-commit" ? ("base-commit" as const) : ("tree" as const) } } : {}),
    };
  }

  return {
    async baseFor(series: readonly Patch[]): Promise<BaseTree> {
      const trailer = series.map((p) => p.baseCommit).find((c): c is string => Boolean(c));
      if (trailer) {
        const c = await repo.commit(trailer);
        if (c) return base(c, "base-commit");
        for (const p of series) addNote(p, `base-commit ${trailer.slice(0, 12)} is not in the repository`);
      }
      // the blobs the series starts from: files it touches before changing them
      const touched = new Set<string>();
      const named: { path: string; id: string }[] = [];
      for (const p of series)
        for (const f of p.files) {
          if (f.binary) continue;
          if (f.oldPath && f.oldBlob && !touched.has(f.oldPath)) named.push({ path: f.oldPath, id: f.oldBlob });
          if (f.oldPath) touched.add(f.oldPath);
          if (f.newPath) touched.add(f.newPath);
        }
      const ids = await Promise.all(named.map((b) => repo.blobId(b.id)));
      const present = named.flatMap((b, i) => (ids[i] ? [{ path: b.path, oid: ids[i]! }] : []));
      if (present.length > 0) {
        const c = await repo.guessBase(present, { budgetMs: opts.guessBudgetMs });
        if (c) return base(c, "guessed");
      }
      const head = await repo.commit("HEAD");
      return repo.workTree ? base(head, "worktree") : head ? base(head, "head") : base(null, "worktree");
    },

    async preImage(f: FileDiff, _patch: Patch, b: BaseTree): Promise<PreImage> {
      const path = f.oldPath!;
      let missingBlob: string | undefined;
      if (f.oldBlob) {
        const oid = await repo.blobId(f.oldBlob);
        const text = oid ? await repo.blobText(oid) : undefined;
        if (oid && text !== undefined) {
          const commit = b.info.commit && b.info.from !== "worktree" && (await repo.blobAt(b.info.commit, path)) === oid ? b.info.commit : undefined;
          return { text, origin: { path, from: "blob", blob: oid, ...(commit ? { commit } : {}) } };
        }
        if (!oid) missingBlob = f.oldBlob;
      }
      const missing = missingBlob ? { missingBlob } : {};
      if (b.info.commit && (b.info.from === "base-commit" || b.info.from === "guessed")) {
        const text = await repo.readAt(b.info.commit, path);
        if (text !== undefined) return { text, origin: { path, from: "base-commit", commit: b.info.commit, ...missing } };
      }
      const head = await repo.commit("HEAD");
      const text = worktree ? await worktree.read(path) : head ? await repo.readAt(head, path) : undefined;
      // an uncommitted working-tree file may still be the very blob the index line names
      if (text !== undefined && missingBlob && isBlob(text, missingBlob)) return { text, origin: treeOrigin(path, text, "worktree", f) };
      if (text !== undefined) return { text, origin: { path, from: "worktree", ...(head ? { commit: head } : {}), ...missing } };
      return { text: undefined, origin: { path, from: "none", ...missing } };
    },

    close() {
      repo.close();
    },
  };
}

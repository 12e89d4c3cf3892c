// The audit's I/O: walks a tree directory by directory (streaming: one
// directory's texts in memory at a time per worker), prefilters files by
// identifiers, and audits the candidates with their directory as context.
// Runs in-process or across worker threads.
import { readFile, readdir, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join, posix, relative, resolve, sep } from "node:path";
import { Worker } from "node:worker_threads";
import type { ReviewConfig } from "../config.js";
import { pathSelected } from "../config.js";
import type { KnowledgeBase } from "../knowledge/base.js";
import type { Finding, Rule, RuleFailure } from "../types.js";
import { auditContext, auditFile, candidateRules, dirHints } from "./audit.js";
import { memoryTextProvider } from "./memory.js";
import { insideTree } from "./contain.js";
import { forgetMemos } from "./memos.js";
import { initParser } from "./parser.js";
import { builtDir, builtModule } from "../paths.js";

const MAX_FILE_BYTES = 2 * 1024 * 1024;

/**
 * The analyses keep what they read (texts, scans, walked functions, directory
 * indexes) for the next patch or file that asks about the same text, which
 * pays off within a directory. An audit moves on and does not ask about a
 * directory again: a worker that kept everything grew past 1.3 GB over
 * linux-6.12. So the audit forgets those memos after each directory
 * (memos.ts; what is found stays the same, and on linux-6.12 the CPU time too),
 * and a worker whose heap held more than this at the end of a directory is
 * replaced by a fresh one (a backstop; none was on linux-6.12).
 */
export const RECYCLE_HEAP_BYTES = 384 * 1024 * 1024;

export interface DirJob {
  /** Directory relative to the root ("fs/foo"; "." for the root). */
  dir: string;
  /** File names in it to audit (only these; the others still serve as context). */
  only: string[] | null;
}

export interface DirResult {
  dir: string;
  files: { path: string; findings: Finding[]; errors: RuleFailure[] }[];
  /** Files read, candidates parsed. */
  scanned: number;
  parsed: number;
}

/** Audits one directory: reads its C files, prefilters, audits candidates. */
export async function auditDirectory(
  root: string,
  job: DirJob,
  rules: readonly Rule[],
  config: ReviewConfig,
  kb: KnowledgeBase,
): Promise<DirResult> {
  await initParser();
  const abs = join(root, job.dir);
  let names: string[];
  try {
    names = (await readdir(abs)).filter((n) => /\.[ch]$/.test(n)).sort();
  } catch {
    names = [];
  }
  const texts = new Map<string, string>();
  const rel = (n: string) => (job.dir === "." ? n : posix.join(job.dir, n));
  await Promise.all(
    names.map(async (n) => {
      // a symlink that leaves the tree is skipped
      const real = insideTree(root, rel(n));
      if (real === null) return;
      try {
        const st = await stat(real);
        if (st.isFile() && st.size <= MAX_FILE_BYTES) texts.set(rel(n), await readFile(real, "utf8"));
      } catch {
        /* unreadable: skipped */
      }
    }),
  );
  const enabled = new Set(rules.map((r) => r.meta.id));
  const hints = dirHints(texts.values());
  const candidates: { path: string; ids: string[] }[] = [];
  for (const n of job.only ?? names) {
    if (!n.endsWith(".c")) continue;
    const p = rel(n);
    const t = texts.get(p);
    if (t === undefined || !pathSelected(config, p)) continue;
    const ids = candidateRules(t, hints).filter((id) => enabled.has(id));
    if (ids.length > 0) candidates.push({ path: p, ids });
  }
  const result: DirResult = { dir: job.dir, files: [], scanned: texts.size, parsed: 0 };
  if (candidates.length === 0) return result;
  // local headers outside the directory that candidates include
  for (const c of candidates)
    for (const m of texts.get(c.path)!.matchAll(/^[ \t]*#[ \t]*include[ \t]+"([^"]+)"/gm)) {
      const h = posix.normalize(posix.join(job.dir, m[1]!));
      if (texts.has(h) || h.startsWith("..")) continue;
      const real = insideTree(root, h);
      if (real === null) continue;
      try {
        const st = await stat(real);
        if (st.isFile() && st.size <= MAX_FILE_BYTES) texts.set(h, await readFile(real, "utf8"));
      } catch {
        /* missing header: no context from it */
      }
    }
  const { context, index } = auditContext(memoryTextProvider(texts));
  for (const c of candidates) {
    const rs = rules.filter((r) => c.ids.includes(r.meta.id));
    const r = auditFile(c.path, texts.get(c.path)!, rs, context, config, kb);
    if (r.findings.length > 0 || r.errors.length > 0) result.files.push(r);
  }
  result.parsed = index.parsedCount();
  return result;
}

/** Directories under root/start (depth first, sorted), skipping dot-directories. */
export async function* walkDirs(root: string, start: string): AsyncGenerator<string> {
  const stack = [start];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let entries;
    try {
      entries = await readdir(join(root, d), { withFileTypes: true });
    } catch {
      continue;
    }
    if (entries.some((e) => e.isFile() && e.name.endsWith(".c"))) yield d;
    const subs = entries.filter((e) => e.isDirectory() && !e.name.startsWith(".")).map((e) => (d === "." ? e.name : posix.join(d, e.name)));
    subs.sort().reverse();
    stack.push(...subs);
  }
}

/** Turns PATH arguments into directory jobs (a file: its directory, only that file). */
export async function jobsFor(root: string, paths: string[]): Promise<{ dirs: string[]; files: Map<string, string[]> }> {
  const dirs: string[] = [];
  const files = new Map<string, string[]>();
  if (paths.length === 0) return { dirs: ["."], files };
  for (const p of paths) {
    const abs = resolve(root, p);
    const relp = relative(root, abs).split(sep).join("/") || ".";
    if (relp.startsWith("..") || insideTree(root, relp) === null) throw new Error(`${p} is outside the tree`);
    const st = await stat(abs);
    if (st.isDirectory()) dirs.push(relp);
    else {
      const d = posix.dirname(relp);
      files.set(d, [...(files.get(d) ?? []), posix.basename(relp)]);
    }
  }
  return { dirs, files };
}

export interface AuditRunOptions {
  root: string;
  paths: string[];
  rules: readonly Rule[];
  config: ReviewConfig;
  kb: KnowledgeBase;
  /** Worker threads (at least one: a worker's memory is given back when it is replaced; the TypeScript sources run in-process). */
  jobs?: number;
  onProgress?: (dirsDone: number, filesWithFindings: number, current: string) => void;
}

export interface AuditRunResult {
  files: { path: string; findings: Finding[]; errors: RuleFailure[] }[];
  scanned: number;
  parsed: number;
  dirs: number;
  /** Workers replaced because their heap grew past RECYCLE_HEAP_BYTES. */
  workersReplaced: number;
}

async function* allJobs(root: string, paths: string[]): AsyncGenerator<DirJob> {
  const { dirs, files } = await jobsFor(root, paths);
  const seen = new Set<string>();
  for (const [dir, only] of files) yield { dir, only };
  for (const start of dirs)
    for await (const d of walkDirs(root, start)) {
      if (seen.has(d)) continue;
      seen.add(d);
      yield { dir: d, only: null };
    }
}

/** A directory the audit could not finish: an internal-error entry, the rest goes on. */
function failed(dir: string, message: string): DirResult {
  return { dir, files: [{ path: dir, findings: [], errors: [{ rule: "audit", message }] }], scanned: 0, parsed: 0 };
}

export async function runAudit(opts: AuditRunOptions): Promise<AuditRunResult> {
  const out: AuditRunResult = { files: [], scanned: 0, parsed: 0, dirs: 0, workersReplaced: 0 };
  const take = (r: DirResult) => {
    out.files.push(...r.files);
    out.scanned += r.scanned;
    out.parsed += r.parsed;
    out.dirs++;
    opts.onProgress?.(out.dirs, out.files.length, r.dir);
  };
  const jobs = Math.max(1, Math.min(opts.jobs ?? availableParallelism(), 16));
  // the compiled worker (dist/context/audit-worker.js), also when this code runs from the CLI's bundle
  const workerUrl = builtModule("context/audit-worker.js");
  // one worker too: its heap is bounded by replacing it, the process's own is not
  const canThread = builtDir() !== null;
  if (!canThread) {
    for await (const j of allJobs(opts.root, opts.paths)) {
      try {
        take(await auditDirectory(opts.root, j, opts.rules, opts.config, opts.kb));
        forgetMemos();
      } catch (err) {
        take(failed(j.dir, err instanceof Error ? err.message : String(err)));
      }
    }
  } else {
    const ruleIds = opts.rules.map((r) => r.meta.id);
    const gen = allJobs(opts.root, opts.paths);
    const spawn = () => new Worker(workerUrl, { workerData: { root: opts.root, ruleIds, config: opts.config } });
    const workers = Array.from({ length: jobs }, spawn);
    try {
      await Promise.all(
        workers.map(async (_, slot) => {
          for (;;) {
            const next = await gen.next();
            if (next.done) return;
            const w = workers[slot]!;
            let heap = 0;
            const r = await new Promise<DirResult>((res, rej) => {
              const onMsg = (m: { ok: boolean; result?: DirResult; error?: string; heap?: number }) => {
                w.off("error", onErr);
                heap = m.heap ?? 0;
                // one directory that cannot be audited is reported, not fatal
                res(m.ok ? m.result! : failed(next.value.dir, m.error ?? "unknown error"));
              };
              const onErr = (e: Error) => {
                w.off("message", onMsg);
                rej(e);
              };
              w.once("message", onMsg);
              w.once("error", onErr);
              w.postMessage(next.value);
            });
            take(r);
            if (heap > RECYCLE_HEAP_BYTES) {
              await w.terminate();
              workers[slot] = spawn();
              out.workersReplaced++;
            }
          }
        }),
      );
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  }
  out.files.sort((a, b) => a.path.localeCompare(b.path));
  return out;
}

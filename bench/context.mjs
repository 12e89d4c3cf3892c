// Review with context from a local kernel git repository:
//  - single: one small patch per process (`reclaim-review review --tree
//    REPO`), cold every time (Node start, C grammar, a new git cat-file),
//    median and p95 of the wall time;
//  - backfill: the mail bot over a 5,000-patch mbox with `tree:` set (dry
//    run to an outbox), patches per second;
//  - cliMbox: the same mbox through `reclaim-review review --tree` in one
//    process: wall time and peak RSS (a mailbox reviewed in bounded memory).
// Patches are made here from the repository's own files (a line added or a
// GFP flag changed in fs/, mm/, block/, drivers/block, drivers/md; some
// written against a blob the repository lacks; some as 2-3 patch series),
// each with the index line git writes. Nothing of the kernel is kept in this
// project: the repository and the mbox live in a cache directory.
//
// The repository: RR_KERNEL_TREE (a git repository, an unpacked source tree,
// or a linux-source-*.tar.xz), else /work/kernel/linux-source-6.12, else
// /usr/src/linux-source-*.tar.xz. A tree or tarball is made into a bare git
// repository (one commit) in RR_BENCH_CACHE (default $TMPDIR/reclaim-review-bench)
// once; the source is never written to. Without any: skipped, saying why.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { prng } from "./gen-mbox.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..");
const CACHE = process.env.RR_BENCH_CACHE ?? join(tmpdir(), "reclaim-review-bench");
const DIRS = ["fs", "mm", "block", "drivers/block", "drivers/md"];

function git(args, opts = {}) {
  return execFileSync("git", args, { encoding: "utf8", maxBuffer: 1 << 30, ...opts });
}

/** The top of a git repository (bare or a checkout) at dir, or null. */
function gitTop(dir) {
  try {
    const [bare, gitDir] = git(["-C", dir, "rev-parse", "--is-bare-repository", "--absolute-git-dir"], { stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n");
    if (bare === "true") return resolve(gitDir) === resolve(dir) ? dir : null;
    const top = git(["-C", dir, "rev-parse", "--show-toplevel"], { stdio: ["ignore", "pipe", "ignore"] }).trim();
    return resolve(top) === resolve(dir) ? dir : null;
  } catch {
    return null;
  }
}

/** A bare one-commit repository of a source tree, built in the cache (the tree is only read). */
function repoFromTree(src, name) {
  const out = join(CACHE, `${name}.git`);
  if (gitTop(out)) return out;
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  process.stderr.write(`bench/context: building ${out} from ${src} (once)\n`);
  git(["init", "-q", "--bare", tmp]);
  // run inside the tree (a pathspec "." outside the work tree adds nothing), and add what the tree's own .gitignore
  // hides: Debian's linux-source tarball ignores everything at its top level ("/*" in .gitignore)
  git(["-C", src, "--git-dir", tmp, "--work-tree", src, "add", "-A", "-f", "."]);
  git(["-C", src, "--git-dir", tmp, "--work-tree", src, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", `${name} (benchmark)`]);
  renameSync(tmp, out);
  return out;
}

function repoFromTarball(tarball) {
  const name = basename(tarball).replace(/\.tar(\.\w+)?$/, "");
  const out = join(CACHE, `${name}.git`);
  if (gitTop(out)) return out;
  mkdirSync(CACHE, { recursive: true });
  const x = mkdtempSync(join(CACHE, "unpack-"));
  try {
    process.stderr.write(`bench/context: unpacking ${tarball} (once)\n`);
    execFileSync("tar", ["-xf", tarball, "-C", x]);
    const entries = readdirSync(x);
    const src = entries.length === 1 && statSync(join(x, entries[0])).isDirectory() ? join(x, entries[0]) : x;
    return repoFromTree(src, name);
  } finally {
    rmSync(x, { recursive: true, force: true });
  }
}

/** { repo } or { skipped: reason }. */
export function kernelRepo() {
  const tarballs = existsSync("/usr/src") ? readdirSync("/usr/src").filter((f) => /^linux-source-.*\.tar\.(xz|gz|bz2)$/.test(f)).map((f) => join("/usr/src", f)) : [];
  const candidates = [process.env.RR_KERNEL_TREE, "/work/kernel/linux-source-6.12", ...tarballs].filter(Boolean);
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    if (statSync(c).isDirectory()) {
      const top = gitTop(c);
      if (top) return { repo: top, from: c };
      if (existsSync(join(c, "Makefile"))) return { repo: repoFromTree(c, basename(c)), from: c };
    } else if (/\.tar(\.\w+)?$/.test(c)) return { repo: repoFromTarball(c), from: c };
  }
  return { skipped: "no kernel source on this machine: set RR_KERNEL_TREE to a kernel git repository, an unpacked source tree or a linux-source-*.tar.xz" };
}

const blobId = (buf) => createHash("sha1").update(`blob ${buf.length}\0`).update(buf).digest("hex");

/** Reads many blobs with one git cat-file --batch. */
function readBlobs(repo, oids) {
  const out = execFileSync("git", ["--git-dir", gitDirOf(repo), "cat-file", "--batch"], { input: oids.join("\n") + "\n", maxBuffer: 1 << 30 });
  const texts = new Map();
  let at = 0;
  for (const oid of oids) {
    const nl = out.indexOf(10, at);
    const [, , size] = out.toString("latin1", at, nl).split(" ");
    const start = nl + 1;
    texts.set(oid, out.subarray(start, start + Number(size)));
    at = start + Number(size) + 1;
  }
  return texts;
}

function gitDirOf(repo) {
  return git(["-C", repo, "rev-parse", "--absolute-git-dir"]).trim();
}

/** git's default hunk section: the nearest line above starting with a letter, _ or $. */
function sectionFor(lines, idx) {
  for (let i = idx - 1; i >= 0; i--) if (/^[A-Za-z_$]/.test(lines[i])) return lines[i].slice(0, 80);
  return "";
}

/** One-hunk diff (latin1 strings, so bytes survive) of a change at line idx: `del` lines replaced by `add`. */
function hunkDiff(path, beforeBuf, lines, idx, del, add) {
  const ctx = 3;
  const from = Math.max(0, idx - ctx);
  const to = Math.min(lines.length, idx + del + ctx);
  const after = [...lines.slice(0, idx), ...add, ...lines.slice(idx + del)];
  const afterBuf = Buffer.from(after.join("\n"), "latin1");
  const body = [];
  for (let i = from; i < idx; i++) body.push(" " + lines[i]);
  for (let i = idx; i < idx + del; i++) body.push("-" + lines[i]);
  for (const a of add) body.push("+" + a);
  for (let i = idx + del; i < to; i++) body.push(" " + lines[i]);
  const oldN = to - from;
  const newN = oldN - del + add.length;
  const sec = sectionFor(lines, from);
  const text = [
    `diff --git a/${path} b/${path}`,
    `index ${blobId(beforeBuf).slice(0, 12)}..${blobId(afterBuf).slice(0, 12)} 100644`,
    `--- a/${path}`,
    `+++ b/${path}`,
    `@@ -${from + 1},${oldN} +${from + 1},${newN} @@${sec ? " " + sec : ""}`,
    ...body,
    "",
  ].join("\n");
  return { text, afterBuf, afterLines: after };
}

/** A small change in a function body at a random statement: a GFP flag changed when the line has one, else a line added. */
function change(r, lines, path, buf) {
  const stmts = [];
  for (let i = 10; i < lines.length - 10; i++) if (/^\t+[a-z_].*;$/.test(lines[i]) && lines[i].length < 100) stmts.push(i);
  if (stmts.length === 0) return null;
  const gfp = stmts.filter((i) => /GFP_KERNEL/.test(lines[i]));
  if (gfp.length > 0 && r() < 0.3) {
    const i = gfp[Math.floor(r() * gfp.length)];
    return { idx: i, ...hunkDiff(path, buf, lines, i, 1, [lines[i].replace("GFP_KERNEL", "GFP_NOFS")]) };
  }
  const i = stmts[Math.floor(r() * stmts.length)];
  const indent = /^\t+/.exec(lines[i])[0];
  return { idx: i + 1, ...hunkDiff(path, buf, lines, i + 1, 0, [`${indent}cond_resched();`]) };
}

function mail(n, subject, diff, extra = []) {
  return [
    `From bench@z Thu Jan  1 00:00:00 1970`,
    `From: Dev ${n % 53} <dev${n % 53}@example.org>`,
    `To: linux-fsdevel@vger.kernel.org`,
    `Subject: ${subject}`,
    // recent: the bot answers patches within its age limit (max-age) only
    `Date: ${new Date(Date.now() - 3600_000).toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <ctx${n}@bench.example>`,
    ...extra,
    `List-Id: <linux-fsdevel.vger.kernel.org>`,
    `MIME-Version: 1.0`,
    `Content-Type: text/plain; charset=utf-8`,
    ``,
    `A small change made for the context benchmark.`,
    ``,
    `Signed-off-by: Dev <dev@example.org>`,
    `---`,
    diff.replace(/^(>*From )/gm, ">$1") + `-- `,
    `2.47.0`,
    ``,
  ].join("\n");
}

/** { mbox (Buffer), singles: [diff text] }: `count` patches from the repository's files. */
export function makePatches(repo, count, seed = 10) {
  const r = prng(seed);
  const listing = git(["-C", repo, "ls-tree", "-r", "HEAD", "--", ...DIRS])
    .split("\n")
    .map((l) => /^100644 blob ([0-9a-f]+)\t(.+\.c)$/.exec(l))
    .filter(Boolean)
    .map((m) => ({ oid: m[1], path: m[2] }));
  const picks = [];
  for (let i = 0; i < Math.min(count, 2500); i++) picks.push(listing[Math.floor(r() * listing.length)]);
  const texts = readBlobs(repo, [...new Set(picks.map((p) => p.oid))]);
  const mails = [];
  const singles = [];
  let n = 0;
  let k = 0;
  while (mails.length < count) {
    const f = picks[k++ % picks.length];
    let buf = texts.get(f.oid);
    if (buf.length > 400_000) continue;
    let lines = buf.toString("latin1").split("\n");
    const kind = r();
    if (kind < 0.1) {
      // written against a version the repository lacks: the first line's comment differs
      lines = [...lines];
      lines[0] = lines[0] + " ";
      buf = Buffer.from(lines.join("\n"), "latin1");
    }
    const parts = kind > 0.9 ? 2 + Math.floor(r() * 2) : 1;
    const root = n;
    let prev = { lines, buf };
    for (let p = 1; p <= parts && mails.length < count; p++) {
      const c = change(r, prev.lines, f.path, prev.buf);
      if (!c) break;
      const subject = parts === 1 ? `[PATCH] ${f.path.split("/").slice(-2, -1)[0]}: small change ${n}` : `[PATCH ${p}/${parts}] ${f.path.split("/").slice(-2, -1)[0]}: step ${p} of ${root}`;
      const extra = parts > 1 && p > 1 ? [`In-Reply-To: <ctx${root}@bench.example>`, `References: <ctx${root}@bench.example>`] : [];
      mails.push(mail(n, subject, c.text, extra));
      if (parts === 1 && kind >= 0.1 && singles.length < 40) singles.push(c.text);
      n++;
      prev = { lines: c.afterLines, buf: c.afterBuf };
    }
  }
  return { mbox: Buffer.from(mails.join("\n"), "latin1"), singles };
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** GNU time, when installed: the child's CPU time too (wall times on a shared machine say little alone). */
const GNU_TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

function benchSingle(repo, singles, runs, dir) {
  const times = [];
  const cpus = [];
  let findings = 0;
  for (let i = 0; i < runs; i++) {
    const file = join(dir, `single-${i}.patch`);
    writeFileSync(file, Buffer.from(singles[i % singles.length], "latin1"));
    const argv = [process.execPath, join(ROOT, "bin", "reclaim-review.js"), "review", "--tree", repo, "--format", "json", file];
    const cpuFile = join(dir, "cpu.txt");
    const t0 = process.hrtime.bigint();
    const res = GNU_TIME
      ? spawnSync(GNU_TIME, ["-o", cpuFile, "-f", "%U %S", ...argv], { encoding: "utf8", maxBuffer: 1 << 26 })
      : spawnSync(argv[0], argv.slice(1), { encoding: "utf8", maxBuffer: 1 << 26 });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (GNU_TIME) {
      const [u, s] = readFileSync(cpuFile, "utf8").trim().split("\n").pop().split(" ").map(Number);
      cpus.push((u + s) * 1000);
    }
    if (res.status === 2) throw new Error(`review --tree failed: ${res.stderr}`);
    const doc = JSON.parse(res.stdout);
    if (!doc.patches[0].context) throw new Error("review --tree gave no context");
    findings += doc.patches[0].findings.length;
  }
  times.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  return {
    runs,
    medianMs: Math.round(quantile(times, 0.5)),
    p95Ms: Math.round(quantile(times, 0.95)),
    maxMs: Math.round(times[times.length - 1]),
    ...(cpus.length > 0 ? { cpuMedianMs: Math.round(quantile(cpus, 0.5)), cpuP95Ms: Math.round(quantile(cpus, 0.95)) } : {}),
    findings,
  };
}

/** The mail bot's backfill of the mbox with the tree, in a child process (its own RSS). */
function benchBackfill(repo, mboxFile, dir) {
  return new Promise((resolvePromise, reject) => {
    const code = `import(${JSON.stringify(pathToFileURL(fileURLToPath(import.meta.url)).href)}).then((m) => m.backfillChild(${JSON.stringify(repo)}, ${JSON.stringify(mboxFile)}, ${JSON.stringify(dir)}))`;
    const p = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("close", (status) => {
      try {
        if (status !== 0) throw new Error(`backfill child exited ${status}`);
        resolvePromise(JSON.parse(out.trim().split("\n").pop()));
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** `reclaim-review review --tree REPO --format json` of the whole mbox in one process: wall time and peak RSS. */
function benchCliMbox(repo, mboxFile) {
  const t0 = process.hrtime.bigint();
  // the child's own peak RSS, written to fd 3 as it exits
  const preload = `data:text/javascript,${encodeURIComponent('import{writeSync}from"node:fs";process.on("exit",()=>{try{writeSync(3,String(process.resourceUsage().maxRSS))}catch{}})')}`;
  const r = spawnSync(process.execPath, ["--import", preload, join(ROOT, "bin", "reclaim-review.js"), "review", "--tree", repo, "--format", "json", "--fail-on", "never", mboxFile], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe", "pipe"],
    maxBuffer: 1 << 30,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) return { failed: `exit ${r.status ?? r.signal}`, stderr: (r.stderr ?? "").slice(-300) };
  const patches = JSON.parse(r.stdout).patches.length;
  return { patches, seconds: +seconds.toFixed(2), patchesPerSec: Math.round(patches / seconds), peakRssMb: Math.round(Number(r.output[3] || 0) / 1024) };
}

export async function backfillChild(repo, mboxFile, dir) {
  const { runMail } = await import(pathToFileURL(join(ROOT, "dist/mailbot/index.js")).href);
  const logs = [];
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const sum = await runMail({
    config: { "from-mbox": [mboxFile], outbox: join(dir, "outbox"), state: join(dir, "state"), from: "Bench Bot <bot@bench.example>", once: true, tree: repo },
    log: (l) => logs.push(l),
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const skipped = logs.filter((l) => /: skipped: (?!no findings)/.test(l)).length;
  process.stdout.write(
    JSON.stringify({ patches: sum.ingested, replies: sum.sent, unexpectedSkips: skipped, seconds: +seconds.toFixed(2), patchesPerSec: Math.round(sum.ingested / seconds), cpuSeconds: +cpuSeconds.toFixed(2), patchesPerCpuSec: Math.round(sum.ingested / cpuSeconds), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }) + "\n",
  );
}

export async function benchContext({ count = Number(process.env.BENCH_CONTEXT_PATCHES ?? 5000), runs = Number(process.env.BENCH_SINGLE_RUNS ?? 20) } = {}) {
  const k = kernelRepo();
  if (k.skipped) return { skipped: k.skipped };
  const repo = k.repo;
  const head = git(["-C", repo, "rev-parse", "HEAD"]).trim();
  mkdirSync(CACHE, { recursive: true });
  const dir = mkdtempSync(join(CACHE, "run-"));
  try {
    const { mbox, singles } = makePatches(repo, count);
    const mboxFile = join(dir, "backfill.mbox");
    writeFileSync(mboxFile, mbox);
    const single = benchSingle(repo, singles, runs, dir);
    const backfill = await benchBackfill(repo, mboxFile, dir);
    const cliMbox = benchCliMbox(repo, mboxFile);
    // a shared machine: the load says how far wall times are to be trusted
    return { repo, head: head.slice(0, 12), loadAvg: loadavg().map((x) => +x.toFixed(1)), single, backfill, cliMbox };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default benchContext;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  benchContext().then((r) => process.stdout.write(JSON.stringify(r) + "\n"));
}

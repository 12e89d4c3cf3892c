// Local-history search on a repository of 10,000 commits: git log per file
// with the reclaim-topic filter, as `review --tree` runs it. Aim: < 2 s.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function benchHistory({ commits = 10000, files = 200 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "rr-hist-bench-"));
  execFileSync("git", ["init", "-q", "-b", "main", dir]);
  const parts = [];
  const topics = ["use GFP_NOIO in the submit path", "fix a deadlock with reclaim", "set WQ_MEM_RECLAIM on the flush queue", "rename a variable", "fix a typo", "add a tracepoint", "convert to memalloc_nofs_save()"];
  for (let i = 0; i < commits; i++) {
    const f = `drivers/sub${i % 20}/file${i % files}.c`;
    const msg = `sub${i % 20}: ${topics[i % topics.length]} (${i})\n\nBody text of commit ${i}.\n`;
    const text = `/* revision ${i} */\nint file${i % files}_v = ${i};\n`;
    parts.push("commit refs/heads/main", `committer Dev <dev@example.org> ${1600000000 + i * 60} +0000`, `data ${Buffer.byteLength(msg)}`, msg, `M 100644 inline ${f}`, `data ${Buffer.byteLength(text)}`, text, "");
  }
  execFileSync("git", ["-C", dir, "fast-import", "--quiet"], { input: parts.join("\n") + "\n", maxBuffer: 1 << 30 });
  execFileSync("git", ["-C", dir, "checkout", "-q", "main"]);
  const { LocalHistory } = await import("../dist/history/git.js");
  const touched = ["drivers/sub0/file0.c", "drivers/sub1/file1.c", "drivers/sub2/file2.c", "drivers/sub3/file3.c", "drivers/sub4/file4.c"];
  const t0 = process.hrtime.bigint();
  const h = await LocalHistory.open(dir, { timeoutMs: 10000 });
  await h.prepare(touched);
  const hits = touched.map((p) => h.lookup(p, null).length);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  rmSync(dir, { recursive: true, force: true });
  return { commits, filesTouched: touched.length, ms: Math.round(ms), hitsPerFile: hits, incomplete: h.incomplete.length };
}

// review --tree: pre-image from the tree, post-image by applying the patch in
// memory (by context when the numbers are off), facts over both, and
// pre-existing findings marked.
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { getFacts } from "../../src/context/facts.js";
import { diskTree, grepPathspecs, memoGrep, memoryTree, openSources, openTreeSources } from "../../src/context/sources.js";
import { GitRepo } from "../../src/git/repo.js";
import { parsePatchText } from "../../src/ingest/index.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { review } from "../../src/pipeline.js";
import { rule as wqFlush } from "../../src/rules/source/wq-flush-dependency.js";
import { formatPatch } from "../helpers/patch.js";

const kb = loadKnowledge();

const lines = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i + 1)).join("\n") + "\n";

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "rr-tree-"));
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), t);
  }
  return dir;
}

const QUEUES = [
  // not static: zap_gc.c uses them (a header declares them extern)
  "struct workqueue_struct *zap_reclaim_wq;",
  "struct workqueue_struct *zap_plain_wq;",
  "static int zap_init(struct zap *z)",
  "{",
  "\tzap_reclaim_wq = alloc_workqueue(\"zap-r\", WQ_MEM_RECLAIM, 0);",
  "\tzap_plain_wq = alloc_workqueue(\"zap-p\", 0, 0);",
  "\tINIT_WORK(&z->gc_work, zap_gc_worker);",
  "\treturn 0;",
  "}",
  "void zap_kick(struct zap *z)",
  "{",
  "\tqueue_work(zap_reclaim_wq, &z->gc_work);",
  "}",
  "",
].join("\n");

const WORKER_BEFORE = [
  "void zap_gc_worker(struct work_struct *work)",
  "{",
  "\tstruct zap *z = container_of(work, struct zap, gc_work);",
  "",
  "\tzap_collect(z);",
  "}",
  "",
].join("\n");

describe("openTreeSources", () => {
  it("gives facts over the post-image, across files of the directory", async () => {
    const dir = tree({ "drivers/zap/zap_main.c": QUEUES, "drivers/zap/zap_gc.c": WORKER_BEFORE });
    const after = WORKER_BEFORE.replace("\tzap_collect(z);\n", "\tzap_collect(z);\n\tflush_workqueue(zap_plain_wq);\n");
    const text = formatPatch({ files: [{ path: "drivers/zap/zap_gc.c", before: WORKER_BEFORE, after }] });
    const input = parsePatchText(text, "t.patch");
    const sources = await openTreeSources(dir);
    await sources.prepare!(input.patches);
    const ctx = sources.contextFor(input.patches[0]!);
    const facts = getFacts(ctx);
    expect(facts?.functionAt("drivers/zap/zap_gc.c", 6)?.name).toBe("zap_gc_worker");
    expect(facts?.workqueueOf("drivers/zap/zap_gc.c", "zap_gc_worker").map((q) => [q.key, q.memReclaim])).toEqual([["zap_reclaim_wq", true]]);
    const result = review(input, sources, DEFAULT_CONFIG, kb, [wqFlush]);
    const f = result.reviews[0]!.findings;
    expect(f.map((x) => [x.rule, x.line, x.preExisting ?? false])).toEqual([["wq-flush-dependency", 6, false]]);
    expect(f[0]!.chain).toEqual(['"zap-r" (WQ_MEM_RECLAIM)', "zap_gc_worker()", "flush_workqueue(zap_plain_wq)", '"zap-p" (no WQ_MEM_RECLAIM)']);
    // without the tree the diff alone does not show the queues: quiet
    expect(review(input, null, DEFAULT_CONFIG, kb, [wqFlush]).reviews[0]!.findings).toEqual([]);
  });

  it("marks a hazard that already held in the pre-image as pre-existing", async () => {
    const before = WORKER_BEFORE.replace("\tzap_collect(z);\n", "\tflush_workqueue(zap_plain_wq);\n\tzap_collect(z);\n");
    const after = before.replace("\tflush_workqueue(zap_plain_wq);\n\tzap_collect(z);\n", "\tzap_collect(z);\n\tflush_workqueue(zap_plain_wq);\n");
    const dir = tree({ "drivers/zap/zap_main.c": QUEUES, "drivers/zap/zap_gc.c": before });
    const input = parsePatchText(formatPatch({ files: [{ path: "drivers/zap/zap_gc.c", before, after }] }), "t.patch");
    const sources = await openTreeSources(dir);
    await sources.prepare!(input.patches);
    const f = review(input, sources, DEFAULT_CONFIG, kb, [wqFlush]).reviews[0]!.findings;
    expect(f.map((x) => [x.line, x.preExisting ?? false])).toEqual([[6, true]]);
  });

  it("applied by context below lines the patch did not see, leaves out blank lines first to keep the patch's numbering", async () => {
    const base = [
      "void zap_gc_worker(struct work_struct *work)",
      "{",
      "\tstruct zap *z = container_of(work, struct zap, gc_work);",
      "",
      "\tzap_scan(z);",
      "\tmutex_lock(&z->lock);",
      "",
      "\tzap_mark(z);",
      "\tzap_sweep(z);",
      "\tzap_collect(z);",
      "\tmutex_unlock(&z->lock);",
      "}",
      "",
    ].join("\n");
    const after = base.replace("\tzap_collect(z);\n", "\tzap_collect(z);\n\tz->buf = kzalloc(64, GFP_KERNEL);\n");
    const moved = "static int zap_seen;\n\n" + base;
    const dir = tree({ "drivers/zap/zap_gc.c": moved });
    const input = parsePatchText(formatPatch({ files: [{ path: "drivers/zap/zap_gc.c", before: base, after }] }), "t.patch");
    const sources = await openTreeSources(dir);
    await sources.prepare!(input.patches);
    expect(input.patches[0]!.notes.join("\n")).toMatch(/applied by context \(offset 2 lines\)/);
    const post = sources.contextFor(input.patches[0]!)!.postImage("drivers/zap/zap_gc.c")!.split("\n");
    // the added line where the patch says; every line of code of the tree kept (two blank lines left out)
    expect(post[10]).toBe("\tz->buf = kzalloc(64, GFP_KERNEL);");
    expect(post.filter((l) => l.trim() !== "")).toEqual(moved.replace("\tzap_collect(z);\n", "\tzap_collect(z);\n\tz->buf = kzalloc(64, GFP_KERNEL);\n").split("\n").filter((l) => l.trim() !== ""));
    // the pre-image too: the hunk's old lines where the patch's old line numbers say (the old side is read by them)
    const pre = sources.contextFor(input.patches[0]!)!.preImage("drivers/zap/zap_gc.c")!.split("\n");
    expect(pre[9]).toBe("\tzap_collect(z);");
    expect(pre.filter((l) => l.trim() !== "")).toEqual(moved.split("\n").filter((l) => l.trim() !== ""));
  });

  it("reads a tree that already holds the patch as its post-image, the patch reversed on it as the pre-image", async () => {
    // the patch takes a lock around a loop whose allocation, further down, the hunks do not show
    const body = (locked: boolean) =>
      [
        "static int zap_fill(struct zap *z)",
        "{",
        "\tint i;",
        "",
        ...(locked ? ["\tmutex_lock(&z->lock);"] : []),
        "\tzap_scan(z);",
        "\tzap_mark(z);",
        "\tzap_sweep(z);",
        "\tzap_count(z);",
        "\tzap_trim(z);",
        "\tfor (i = 0; i < z->n; i++)",
        "\t\tz->slot[i] = kzalloc(64, GFP_KERNEL);",
        ...(locked ? ["\tmutex_unlock(&z->lock);"] : []),
        "\treturn 0;",
        "}",
        "",
      ].join("\n");
    const later = "/* lines the patch's base did not have */\nstatic int zap_seen;\n\n" + body(true);
    const dir = tree({ "drivers/zap/zap_fill.c": later });
    const input = parsePatchText(formatPatch({ files: [{ path: "drivers/zap/zap_fill.c", before: body(false), after: body(true) }] }), "t.patch");
    const sources = await openTreeSources(dir);
    await sources.prepare!(input.patches);
    expect(input.patches[0]!.notes.join("\n")).toMatch(/already holds this patch's changes \(it applies in reverse, offset 3, 3 lines\)/);
    const ctx = sources.contextFor(input.patches[0]!)!;
    // the pre-image with the patch's old line numbers (the tree's lines above it shifted to fit)
    const pre = ctx.preImage("drivers/zap/zap_fill.c")!.split("\n");
    expect(pre.slice(4)).toEqual(body(false).split("\n").slice(4));
    expect(pre[4]).toBe("\tzap_scan(z);");
    const post = ctx.postImage("drivers/zap/zap_fill.c")!.split("\n");
    expect(post[4]).toBe("\tmutex_lock(&z->lock);");
    expect(post[11]).toBe("\t\tz->slot[i] = kzalloc(64, GFP_KERNEL);");
    // the function as a whole: the allocation the hunks do not show is under the lock the patch takes
    expect(getFacts(ctx)?.functionAt("drivers/zap/zap_fill.c", 12)?.name).toBe("zap_fill");
  });

  it("applies by context when the tree moved, says so, and keeps the patch's line numbers", async () => {
    const after = WORKER_BEFORE.replace("\tzap_collect(z);\n", "\tzap_collect(z);\n\tflush_workqueue(zap_plain_wq);\n");
    const moved = "/* a comment the patch did not see */\n\n" + WORKER_BEFORE;
    const dir = tree({ "drivers/zap/zap_main.c": QUEUES, "drivers/zap/zap_gc.c": moved });
    const input = parsePatchText(formatPatch({ files: [{ path: "drivers/zap/zap_gc.c", before: WORKER_BEFORE, after }] }), "t.patch");
    const sources = await openTreeSources(dir);
    await sources.prepare!(input.patches);
    expect(input.patches[0]!.notes.join("\n")).toMatch(/applied by context \(offset 2 lines\)/);
    const ctx = sources.contextFor(input.patches[0]!)!;
    expect(ctx.postImage("drivers/zap/zap_gc.c")!.split("\n")[5]).toBe("\tflush_workqueue(zap_plain_wq);");
    const f = review(input, sources, DEFAULT_CONFIG, kb, [wqFlush]).reviews[0]!.findings;
    expect(f.map((x) => x.line)).toEqual([6]);
  });

  it("notes a patch that does not apply and reviews it from the diff alone", async () => {
    const dir = tree({ "drivers/zap/zap_gc.c": "int other(void)\n{\n\treturn 1;\n}\n" });
    const after = WORKER_BEFORE.replace("\tzap_collect(z);\n", "\tzap_collect(z);\n\tzap_more(z);\n");
    const input = parsePatchText(formatPatch({ files: [{ path: "drivers/zap/zap_gc.c", before: WORKER_BEFORE, after }] }), "t.patch");
    const sources = await openTreeSources(dir);
    await sources.prepare!(input.patches);
    expect(input.patches[0]!.notes.join("\n")).toMatch(/does not apply/);
    expect(sources.contextFor(input.patches[0]!)!.postImage("drivers/zap/zap_gc.c")).toBe(undefined);
  });

  it("works the same over files held in memory (a PR's base)", async () => {
    const after = WORKER_BEFORE.replace("\tzap_collect(z);\n", "\tzap_collect(z);\n\tflush_workqueue(zap_plain_wq);\n");
    const input = parsePatchText(formatPatch({ files: [{ path: "drivers/zap/zap_gc.c", before: WORKER_BEFORE, after }] }), "t.patch");
    const sources = openSources(memoryTree(new Map([["drivers/zap/zap_main.c", QUEUES], ["drivers/zap/zap_gc.c", WORKER_BEFORE], ["other/x.c", "int x;\n"]])));
    await sources.prepare!(input.patches);
    const f = review(input, sources, DEFAULT_CONFIG, kb, [wqFlush]).reviews[0]!.findings;
    expect(f.map((x) => [x.line, x.message.includes("zap_reclaim_wq")])).toEqual([[6, true]]);
  });

  it("rejects a --tree that is not a directory", async () => {
    await expect(openTreeSources(join(tmpdir(), "no-such-tree-rr"))).rejects.toThrow(/not a directory/);
  });
});

describe("searching the tree for a word (how users in other directories are found)", () => {
  const files: Record<string, string> = {
    "fs/lib/a.c": "int foo_lib(void)\n{\n\treturn 0;\n}\n",
    "fs/x/y/b.c": "static int b(void)\n{\n\treturn foo_lib();\n}\n",
    "drivers/c.c": "static int c(void)\n{\n\treturn foo_lib();\n}\n",
    "fs/d.c": "static int d(void)\n{\n\treturn foo_library();\n}\n",
    "fs/e.txt": "foo_lib\n",
  };
  const expectations = (grep: (w: string, d?: string) => string[] | null) => {
    expect(grep("foo_lib")!.sort()).toEqual(["drivers/c.c", "fs/lib/a.c", "fs/x/y/b.c"]);
    expect(grep("foo_lib", "fs")!.sort()).toEqual(["fs/lib/a.c", "fs/x/y/b.c"]);
    expect(grep("foo_lib", "fs/x")).toEqual(["fs/x/y/b.c"]);
    expect(grep("foo_lib", "block")).toEqual([]);
    // not an identifier: no search, not an empty answer
    expect(grep("foo lib")).toBeNull();
  };

  it("finds whole words in C files, under a directory at any depth when one is given: git grep on disk", () => {
    const t = diskTree(tree(files));
    expectations((w, d) => t.grepSync!(w, d));
  });

  it("gives the same answers at a commit of a git repository and over files in memory", async () => {
    const dir = tree(files);
    const run = (args: string[]) => execFileSync("git", ["-C", dir, ...args], { stdio: "pipe" });
    run(["init", "-q"]);
    run(["add", "."]);
    run(["-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "files"]);
    const repo = (await GitRepo.open(dir))!;
    const head = execFileSync("git", ["-C", dir, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    expectations((w, d) => repo.grepSync(head, w, 2000, grepPathspecs(d)));
    const m = memoryTree(new Map(Object.entries(files)));
    expectations((w, d) => m.grepSync!(w, d));
  });
});

describe("grep answers kept (memoGrep)", () => {
  it("answers the same question from memory, least recently used out, and does not keep a search that ran out of time", () => {
    const cache = new Map<string, string[]>();
    let runs = 0;
    const ask = (k: string, answer: string[] | null) => memoGrep(cache, k, () => (runs++, answer), 2);
    expect(ask("a", ["x.c"])).toEqual(["x.c"]);
    expect(ask("a", ["changed.c"])).toEqual(["x.c"]);
    expect(runs).toBe(1);
    expect(ask("b", null)).toBeNull();
    expect(ask("b", ["y.c"])).toEqual(["y.c"]);
    expect(runs).toBe(3);
    ask("c", ["z.c"]);
    // "a" was used least recently: it goes, and is searched again
    expect(ask("a", ["again.c"])).toEqual(["again.c"]);
    expect(runs).toBe(5);
  });
});

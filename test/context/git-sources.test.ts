// review --tree on a git repository: each file's pre-image is the blob its
// index line names (else the base-commit, else the working tree), callers and
// neighbours come from the commit holding those blobs, and a series is
// reviewed in order. Repositories are built by the tests with git itself.
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { openTreeSources, type TreeSources } from "../../src/context/sources.js";
import { parseInput } from "../../src/ingest/index.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { review } from "../../src/pipeline.js";
import { render } from "../../src/render/index.js";
import { REVIEW_JSON_SCHEMA } from "../../src/render/json-schema.js";
import { rule as shrinkerBlocking } from "../../src/rules/shrinker-io/shrinker-blocking.js";
import { rule as wqFlush } from "../../src/rules/source/wq-flush-dependency.js";
import type { ParsedInput, Rule } from "../../src/types.js";
import { blobId, commitsOf, makeRepo, patchMail, type FakeCommit } from "./git-fixture.js";
import { QC_H, QC_IO, QC_IO_SYNC, QC_SHRINK } from "./qcache-fixture.js";

const kb = loadKnowledge();
const open: TreeSources[] = [];
afterAll(() => open.forEach((s) => s.close()));

async function reviewIn(dir: string, mbox: string, rules: Rule[]) {
  const input: ParsedInput = await parseInput(mbox, "t.mbox");
  const sources = await openTreeSources(dir);
  open.push(sources);
  await sources.prepare!(input.patches);
  return { input, result: review(input, sources, DEFAULT_CONFIG, kb, rules) };
}

const makefile = (minor: number) => `# SPDX-License-Identifier: GPL-2.0\nVERSION = 6\nPATCHLEVEL = ${minor}\nSUBLEVEL = 0\nEXTRAVERSION =\n`;

const mainWith = (flags: string) =>
  [
    "static struct workqueue_struct *zap_reclaim_wq;",
    "static struct workqueue_struct *zap_plain_wq;",
    "static int zap_init(struct zap *z)",
    "{",
    '\tzap_reclaim_wq = alloc_workqueue("zap-r", WQ_MEM_RECLAIM, 0);',
    `\tzap_plain_wq = alloc_workqueue("zap-p", ${flags}, 0);`,
    "\tINIT_WORK(&z->gc_work, zap_gc_worker);",
    "\treturn 0;",
    "}",
    "void zap_kick(struct zap *z)",
    "{",
    "\tqueue_work(zap_reclaim_wq, &z->gc_work);",
    "}",
    "",
  ].join("\n");

const GC_V1 = [
  "void zap_gc_worker(struct work_struct *work)",
  "{",
  "\tstruct zap *z = container_of(work, struct zap, gc_work);",
  "",
  "\tzap_collect(z);",
  "}",
  "",
].join("\n");
const GC_V2 = "/* garbage collection of zap objects */\n" + GC_V1;
const GC_V3 = "// SPDX-License-Identifier: GPL-2.0\n" + GC_V2;
const addFlush = (t: string) => t.replace("\tzap_collect(z);\n", "\tzap_collect(z);\n\tflush_workqueue(zap_plain_wq);\n");

// Three commits: the plain queue lost nothing at first, and HEAD gave it WQ_MEM_RECLAIM.
const history: FakeCommit[] = [
  { message: "zap: initial\n", files: { Makefile: makefile(9), "drivers/zap/zap_main.c": mainWith("0"), "drivers/zap/zap_gc.c": GC_V1 } },
  { message: "zap: describe the collector\n", files: { "drivers/zap/zap_gc.c": GC_V2 } },
  { message: "zap: plain queue may reclaim\n", files: { Makefile: makefile(12), "drivers/zap/zap_main.c": mainWith("WQ_MEM_RECLAIM"), "drivers/zap/zap_gc.c": GC_V3 } },
];

describe("--tree on a git repository", () => {
  const repo = makeRepo(history);
  const [c1, c2, c3] = commitsOf(repo) as [string, string, string];
  const bare = join(mkdtempSync(join(tmpdir(), "rr-bare-")), "zap.git");
  execFileSync("git", ["clone", "-q", "--bare", repo, bare]);

  it("takes the pre-image from the older blob the patch names, and callers from the commit that holds it", async () => {
    const mbox = patchMail({ subject: "[PATCH] zap: flush the plain queue", messageId: "<p1@example.org>", files: [{ path: "drivers/zap/zap_gc.c", before: GC_V1, after: addFlush(GC_V1) }] });
    const { input, result } = await reviewIn(repo, mbox, [wqFlush]);
    const r = result.reviews[0]!;
    expect(r.context?.files).toEqual([{ path: "drivers/zap/zap_gc.c", from: "blob", blob: blobId(GC_V1), commit: c1 }]);
    expect(r.context?.base).toEqual({ commit: c1, from: "guessed" });
    expect(r.context?.kernel).toEqual({ major: 6, minor: 9, from: "tree" });
    // at c1 the plain queue has no WQ_MEM_RECLAIM: flushing it from the reclaim worker is the hazard
    expect(r.findings.map((f) => [f.rule, f.line])).toEqual([["wq-flush-dependency", 6]]);
    expect(input.patches[0]!.notes).toEqual([]);
    const text = render(result, "text");
    expect(text).toContain(`context: Linux 6.9 tree at ${c1.slice(0, 12)} (the commit holding the patch's blobs)`);
    expect(text).toContain(`drivers/zap/zap_gc.c: exact blob ${blobId(GC_V1).slice(0, 12)} (as in ${c1.slice(0, 12)})`);
    const json = JSON.parse(render(result, "json"));
    expect(json.patches[0].context.files[0]).toEqual({ path: "drivers/zap/zap_gc.c", from: "blob", commit: c1, blob: blobId(GC_V1) });
    const validate = new Ajv({ allErrors: true, strict: true }).compile(REVIEW_JSON_SCHEMA);
    expect(validate(json)).toBe(true);
    expect(render(result, "email").replace(/\s+/g, " ")).toContain(`Reviewed against the Linux 6.9 tree at ${c1.slice(0, 12)} (the commit holding the patch's blobs); drivers/zap/zap_gc.c: exact blob`);
    expect(render(result, "markdown")).toContain("**Context**: Reviewed against the Linux 6.9 tree at");
  });

  it("the working tree alone (HEAD) would have told another story", async () => {
    // the same patch against a plain copy of HEAD: the queue there has WQ_MEM_RECLAIM
    const dir = mkdtempSync(join(tmpdir(), "rr-head-"));
    mkdirSync(join(dir, "drivers/zap"), { recursive: true });
    writeFileSync(join(dir, "drivers/zap/zap_main.c"), mainWith("WQ_MEM_RECLAIM"));
    writeFileSync(join(dir, "drivers/zap/zap_gc.c"), GC_V3);
    const mbox = patchMail({ subject: "[PATCH] zap: flush the plain queue", messageId: "<p1@example.org>", files: [{ path: "drivers/zap/zap_gc.c", before: GC_V1, after: addFlush(GC_V1) }] });
    const { input, result } = await reviewIn(dir, mbox, [wqFlush]);
    expect(result.reviews[0]!.findings).toEqual([]);
    expect(result.reviews[0]!.context?.files).toEqual([{ path: "drivers/zap/zap_gc.c", from: "worktree", missingBlob: blobId(GC_V1).slice(0, 12) }]);
    expect(input.patches[0]!.notes.join("\n")).toMatch(/applied by context \(offset 2 lines\)/);
    // a plain directory holding the very blob the index line names is exact too
    writeFileSync(join(dir, "drivers/zap/zap_gc.c"), GC_V1);
    const again = await reviewIn(dir, mbox, [wqFlush]);
    expect(again.result.reviews[0]!.context?.files).toEqual([{ path: "drivers/zap/zap_gc.c", from: "blob", blob: blobId(GC_V1) }]);
    expect(again.result.reviews[0]!.context?.base).toEqual({ commit: null, from: "worktree" });
  });

  it("falls back to the working tree when the blob is not in the repository, and says so", async () => {
    const unknown = "/* a version nobody committed */\n" + GC_V1;
    const mbox = patchMail({ subject: "[PATCH] zap: flush the plain queue", messageId: "<p2@example.org>", files: [{ path: "drivers/zap/zap_gc.c", before: unknown, after: addFlush(unknown) }] });
    const { result } = await reviewIn(repo, mbox, [wqFlush]);
    const r = result.reviews[0]!;
    expect(r.context?.files).toEqual([{ path: "drivers/zap/zap_gc.c", from: "worktree", commit: c3, missingBlob: blobId(unknown).slice(0, 12) }]);
    expect(r.context?.base).toEqual({ commit: c3, from: "worktree" });
    expect(r.context?.kernel).toEqual({ major: 6, minor: 12, from: "tree" });
    // HEAD's queue has WQ_MEM_RECLAIM: nothing to say
    expect(r.findings).toEqual([]);
    expect(render(result, "text")).toContain(`(the index line's blob ${blobId(unknown).slice(0, 12)} is not in the tree)`);
  });

  it("in a bare repository: the blob, the commit holding it, and HEAD as the last resort", async () => {
    const mbox = patchMail({ subject: "[PATCH] zap: flush the plain queue", messageId: "<p3@example.org>", files: [{ path: "drivers/zap/zap_gc.c", before: GC_V1, after: addFlush(GC_V1) }] });
    const { result } = await reviewIn(bare, mbox, [wqFlush]);
    expect(result.reviews[0]!.context?.base).toEqual({ commit: c1, from: "guessed" });
    expect(result.reviews[0]!.findings.map((f) => f.rule)).toEqual(["wq-flush-dependency"]);
    const unknown = "/* a version nobody committed */\n" + GC_V1;
    const mbox2 = patchMail({ subject: "[PATCH] zap: other", messageId: "<p4@example.org>", files: [{ path: "drivers/zap/zap_gc.c", before: unknown, after: addFlush(unknown) }] });
    const r2 = (await reviewIn(bare, mbox2, [wqFlush])).result.reviews[0]!;
    expect(r2.context?.base).toEqual({ commit: c3, from: "head" });
    expect(r2.context?.files[0]).toMatchObject({ from: "worktree", commit: c3 });
  });

  it("honours the base-commit: trailer for a diff without index lines", async () => {
    const mbox = patchMail({
      subject: "[PATCH] zap: flush the plain queue",
      messageId: "<p5@example.org>",
      plain: true,
      baseCommit: c2,
      files: [{ path: "drivers/zap/zap_gc.c", before: GC_V2, after: addFlush(GC_V2) }],
    });
    const { input, result } = await reviewIn(repo, mbox, [wqFlush]);
    expect(input.patches[0]!.baseCommit).toBe(c2);
    const r = result.reviews[0]!;
    expect(r.context).toEqual({
      base: { commit: c2, from: "base-commit" },
      files: [{ path: "drivers/zap/zap_gc.c", from: "base-commit", commit: c2 }],
      kernel: { major: 6, minor: 9, from: "base-commit" },
    });
    expect(r.findings.map((f) => f.rule)).toEqual(["wq-flush-dependency"]);
    expect(render(result, "text")).toContain(`(the patch's base-commit)`);
  });

  it("lets the analysis list and grep the base commit, with the patch laid over it", async () => {
    const mbox = patchMail({ subject: "[PATCH] zap: flush the plain queue", messageId: "<p7@example.org>", files: [{ path: "drivers/zap/zap_gc.c", before: GC_V1, after: addFlush(GC_V1) }] });
    const input = await parseInput(mbox, "t.mbox");
    const sources = await openTreeSources(repo);
    open.push(sources);
    await sources.prepare!(input.patches);
    const post = sources.providerFor(input.patches[0]!, "post")!;
    const pre = sources.providerFor(input.patches[0]!, "pre")!;
    expect([...post.list!("drivers/zap")].sort()).toEqual(["zap_gc.c", "zap_main.c"]);
    expect([...post.list!(".")].sort()).toEqual(["Makefile", "drivers"]);
    // the base is c1: its Makefile, its queue flags
    expect(post.text("Makefile")).toBe(makefile(9));
    expect(post.text("drivers/zap/zap_main.c")).toBe(mainWith("0"));
    // the flush is only in the post-image
    expect(post.grep!("flush_workqueue")).toEqual(["drivers/zap/zap_gc.c"]);
    expect(pre.grep!("flush_workqueue")).toEqual([]);
    expect([...post.grep!("zap_plain_wq")!].sort()).toEqual(["drivers/zap/zap_gc.c", "drivers/zap/zap_main.c"]);
    expect(post.grep!("not an identifier!")).toBe(null);
  });

  it("says when the base-commit is not in the repository, and reads the working tree", async () => {
    const mbox = patchMail({
      subject: "[PATCH] zap: flush the plain queue",
      messageId: "<p6@example.org>",
      plain: true,
      baseCommit: "0badc0ffee0badc0ffee0badc0ffee0badc0ffee",
      files: [{ path: "drivers/zap/zap_gc.c", before: GC_V3, after: addFlush(GC_V3) }],
    });
    const { input, result } = await reviewIn(repo, mbox, [wqFlush]);
    expect(input.patches[0]!.notes).toContain("base-commit 0badc0ffee0b is not in the repository");
    expect(result.reviews[0]!.context?.files).toEqual([{ path: "drivers/zap/zap_gc.c", from: "worktree", commit: c3 }]);
  });
});

describe("a series is reviewed in order", () => {
  const files = { "drivers/qc/qc_shrink.c": QC_SHRINK, "drivers/qc/qc_io.c": QC_IO, "drivers/qc/qc.h": QC_H };
  const repo = makeRepo([{ message: "qcache: initial\n", files }]);
  const [c1] = commitsOf(repo) as [string];
  const plain = mkdtempSync(join(tmpdir(), "rr-qc-"));
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(join(plain, p, ".."), { recursive: true });
    writeFileSync(join(plain, p), t);
  }

  // 1/2 adds a helper that writes back and waits; 2/2 calls it from the shrinker (and documents it)
  const ioDocumented = QC_IO_SYNC.replace("void qc_sync_obj", "/* writes the object back and waits for the IO */\nvoid qc_sync_obj");
  const shrinkSync = QC_SHRINK.replace("\tqc_drop_clean(o);\n", "\tqc_sync_obj(o);\n\tqc_drop_clean(o);\n");
  const p1 = patchMail({ subject: "[PATCH 1/2] qcache: add qc_sync_obj()", messageId: "<s1@example.org>", files: [{ path: "drivers/qc/qc_io.c", before: QC_IO, after: QC_IO_SYNC }] });
  const p2 = patchMail({
    subject: "[PATCH 2/2] qcache: write dirty objects back before dropping them",
    messageId: "<s2@example.org>",
    inReplyTo: "<s1@example.org>",
    files: [
      { path: "drivers/qc/qc_io.c", before: QC_IO_SYNC, after: ioDocumented },
      { path: "drivers/qc/qc_shrink.c", before: QC_SHRINK, after: shrinkSync },
    ],
  });

  for (const [name, dir] of [
    ["git", repo],
    ["plain directory", plain],
  ] as const) {
    it(`sees the helper 1/2 added when reviewing 2/2 (${name})`, async () => {
      // given out of order: the n/m index decides
      const { result } = await reviewIn(dir, p2 + p1, [shrinkerBlocking]);
      const [r2, r1] = result.reviews;
      expect(r1!.patch.subject).toBe("qcache: add qc_sync_obj()");
      expect(r1!.findings).toEqual([]);
      expect(r2!.findings.map((f) => [f.file, f.messageId])).toEqual([["drivers/qc/qc_shrink.c", "waitsOnIo"]]);
      expect(r2!.findings[0]!.message).toContain("qc_scan (shrinker.scan_objects) -> qc_sync_obj -> wait_on_buffer");
      expect(r2!.context?.files.find((f) => f.path === "drivers/qc/qc_io.c")).toEqual({ path: "drivers/qc/qc_io.c", from: "series", patch: 1 });
      if (name === "git") {
        expect(r2!.context?.files.find((f) => f.path === "drivers/qc/qc_shrink.c")).toEqual({ path: "drivers/qc/qc_shrink.c", from: "blob", blob: blobId(QC_SHRINK), commit: c1 });
        expect(r2!.context?.base).toEqual({ commit: c1, from: "guessed" });
      }
      expect(render(result, "text")).toContain("drivers/qc/qc_io.c: as patch 1 of the series leaves it");
    });
  }

  it("without 1/2, the call in 2/2 reaches only what 2/2's own lines show of the helper", async () => {
    const { result } = await reviewIn(repo, p2, [shrinkerBlocking]);
    // 2/2's context lines show qc_sync_obj() starting with write_dirty_buffer(); its wait_on_buffer() is not shown
    expect(result.reviews[0]!.findings.map((f) => [f.file, f.messageId])).toEqual([["drivers/qc/qc_shrink.c", "syncIo"]]);
    expect(result.reviews[0]!.findings[0]!.message).toContain("qc_scan (shrinker.scan_objects) -> qc_sync_obj -> write_dirty_buffer");
    // 2/2's pre-image of qc_io.c is 1/2's post-image: not in the repository; the base (found from qc_shrink.c's blob) has an older one
    expect(result.reviews[0]!.context?.files.find((f) => f.path === "drivers/qc/qc_io.c")).toEqual({
      path: "drivers/qc/qc_io.c",
      from: "base-commit",
      commit: c1,
      missingBlob: blobId(QC_IO_SYNC).slice(0, 12),
    });
    expect(result.reviews[0]!.patch.notes.join("\n")).toMatch(/qc_io\.c: the patch does not apply/);
  });
});

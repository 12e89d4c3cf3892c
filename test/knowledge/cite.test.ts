// Citation choice: the finding's own facts decide (the APIs an entry is
// about, then its triggers), never a shared directory alone; what the patch
// names comes first; the patch itself and entries that do not hold for the
// reviewed kernel never come at all.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { reviewPatch } from "../../src/engine.js";
import { parseInput } from "../../src/ingest/index.js";
import { KnowledgeBase, triggerMatches } from "../../src/knowledge/base.js";
import { linkedMessageIds, namedCommits, normaliseSubject, patchIdentity, type PatchIdentity } from "../../src/knowledge/identity.js";
import { loadKnowledge, parseEntry } from "../../src/knowledge/load.js";
import { NEWEST_RELEASE, RELEASE_RE, holdsFor, parseRelease } from "../../src/knowledge/release.js";
import type { KnowledgeEntry } from "../../src/knowledge/schema.js";
import { ALL_RULES } from "../../src/rules/index.js";

interface Mk {
  classes: string[];
  subsystems?: string[];
  triggers?: string[];
  apis?: string[];
  sha?: string;
  kind?: "doc" | "thread";
  title?: string;
  messageId?: string;
  holds?: string;
  partial?: boolean;
}

function mk(id: string, o: Mk): KnowledgeEntry {
  const kind = o.sha ? `commits:\n  - sha: ${o.sha}\n    subject: "${o.title ?? `${id} subject`}"\nkind: commit` : `kind: ${o.kind ?? "doc"}`;
  const text = `---
id: ${id}
title: "${o.title ?? `${id} title`}"
${kind}
date: "2020"
${o.messageId ? `messageId: ${o.messageId}\n` : ""}${o.holds ? `holds: ${o.holds}\n` : ""}links:
  - https://example.org/${id}
classes: [${o.classes.join(", ")}]
subsystems: [${(o.subsystems ?? []).join(", ")}]
triggers: [${(o.triggers ?? []).join(", ")}]
apis: [${(o.apis ?? []).join(", ")}]
lesson: "a lesson long enough for the schema"
advice: "some advice here"
verified:
  status: ${o.partial ? "partial" : "verified"}
  how: "a synthetic entry for tests"
  checked: 2026-11-22
---
**What happened.** A synthetic story for the citation tests, long enough to pass.
`;
  return parseEntry(text, `${id}.md`);
}

const synthetic = new KnowledgeBase([
  mk("generic-doc", { classes: ["gfp-context"], subsystems: ["mm/"], triggers: ["GFP_NOFS", "memalloc_nofs_save"] }),
  mk("blk-a", { classes: ["gfp-context"], subsystems: ["drivers/block/"], triggers: ["blka_worker"], sha: "aaaaaaaaaaaa" }),
  mk("blk-deep", { classes: ["gfp-context"], subsystems: ["drivers/block/fooblk.c"], triggers: ["fooblk_submit", "blka_worker"], sha: "bbbbbbbbbbbb" }),
  mk("nfs-x", { classes: ["gfp-context", "stacked-io"], subsystems: ["fs/nfs/"], triggers: ["nfs_local_*"], sha: "cccccccccccc" }),
  mk("wq-y", { classes: ["workqueue-reclaim"], subsystems: ["drivers/block/"], triggers: ["alloc_workqueue", "WQ_MEM_RECLAIM"], sha: "dddddddddddd" }),
  mk("api-z", { classes: ["io-flusher"], subsystems: ["kernel/sys.c"], triggers: ["PR_SET_IO_FLUSHER", "prctl"], apis: ["PR_SET_IO_FLUSHER"], sha: "eeeeeeeeeeee" }),
  ...["u1", "u2", "u3"].map((id, i) => mk(id, { classes: ["io-flusher"], triggers: ["PR_SET_IO_FLUSHER"], sha: `${"fa"[i % 2]}${i}`.padEnd(12, "0") })),
]);

const ids = (c: { id: string }[]) => c.map((x) => x.id);

describe("KnowledgeBase.cite: the finding's own facts", () => {
  it("cites a rule's commit entries only on evidence; its docs always", () => {
    expect(ids(synthetic.cite({ candidates: ["generic-doc", "blk-a", "nfs-x"] }))).toEqual(["generic-doc"]);
    expect(ids(synthetic.cite({ candidates: ["generic-doc", "blk-a", "nfs-x"], identifiers: ["nfs_local_write"] }))).toEqual(["nfs-x", "generic-doc"]);
    expect(triggerMatches("nfs_local_*", "nfs_local_write")).toBe(true);
    expect(triggerMatches("nfs_local_*", "nfs_localio")).toBe(false);
    expect(triggerMatches("*", "anything")).toBe(false);
  });

  it("never lets a shared directory pull an entry in or reorder entries without evidence", () => {
    // the file is in nfs-x's subsystem, but nothing in the finding is about NFS
    expect(ids(synthetic.cite({ candidates: ["generic-doc", "blk-a", "nfs-x"], path: "fs/nfs/localio.c", identifiers: ["kmalloc"], ruleClass: "gfp-context" }))).toEqual(["generic-doc"]);
    expect(ids(synthetic.cite({ candidates: ["generic-doc"], path: "drivers/block/fooblk.c", identifiers: ["kmalloc"], ruleClass: "gfp-context" }))).toEqual(["generic-doc"]);
  });

  it("lets a subsystem match break a tie between entries with the same evidence (the deeper prefix first)", () => {
    const c = synthetic.cite({ candidates: ["blk-a", "blk-deep"], path: "drivers/block/fooblk.c", identifiers: ["blka_worker"] });
    expect(ids(c)).toEqual(["blk-deep", "blk-a"]);
    const elsewhere = synthetic.cite({ candidates: ["blk-a", "blk-deep"], path: "sound/x.c", identifiers: ["blka_worker"] });
    expect(ids(elsewhere)).toEqual(["blk-a", "blk-deep"]);
  });

  it("counts an entry's own API strongly, however many entries mention the name", () => {
    expect(synthetic.isSpecificTrigger("PR_SET_IO_FLUSHER")).toBe(false);
    const c = synthetic.cite({ candidates: ["u1", "api-z"], identifiers: ["PR_SET_IO_FLUSHER"], ruleClass: "io-flusher" });
    expect(ids(c)).toEqual(["api-z"]);
    const r = synthetic.rank({ candidates: ["api-z"], identifiers: ["PR_SET_IO_FLUSHER"] });
    expect(r[0]).toMatchObject({ origin: "candidate", apiHits: ["PR_SET_IO_FLUSHER"] });
  });

  it("reads \"@list\" in apis as any identifier of that list (the kind of hazard, not a name)", () => {
    const waits = (name: string) => (name === "waits" ? (id: string) => ["wait_on_buffer", "submit_bio_wait"].includes(id) : null);
    const kb = new KnowledgeBase([mk("io-in-shrinker", { classes: ["shrinker-io"], triggers: ["dmx_shrink_scan"], apis: ['"@waits"'], sha: "c0c0c0c0c0c0" })], waits);
    expect(ids(kb.cite({ candidates: ["io-in-shrinker"], identifiers: ["frob_scan", "wait_on_buffer"] }))).toEqual(["io-in-shrinker"]);
    expect(kb.cite({ candidates: ["io-in-shrinker"], identifiers: ["frob_scan", "mutex_lock"] })).toEqual([]);
    // without the list the reference matches nothing
    expect(new KnowledgeBase(kb.entries).cite({ candidates: ["io-in-shrinker"], identifiers: ["wait_on_buffer"] })).toEqual([]);
  });

  it("puts the report's own ids first, then evidence", () => {
    const c = synthetic.cite({ preferred: ["blk-a"], candidates: ["generic-doc", "nfs-x"], identifiers: ["nfs_local_write"] });
    expect(ids(c)).toEqual(["blk-a", "nfs-x", "generic-doc"]);
  });

  it("returns at most max citations, drops unknown ids and duplicates", () => {
    expect(synthetic.cite({ candidates: ["generic-doc", "blk-a", "blk-deep", "nfs-x"], identifiers: ["blka_worker", "nfs_local_read"] })).toHaveLength(3);
    expect(synthetic.cite({ candidates: ["generic-doc", "blk-a"], identifiers: ["blka_worker"], max: 1 })).toHaveLength(1);
    expect(ids(synthetic.cite({ preferred: ["nope", "blk-a"], candidates: ["blk-a", "missing", "generic-doc"] }))).toEqual(["blk-a", "generic-doc"]);
  });

  it("adds an entry the rule did not list only for its class, with topical evidence", () => {
    expect(ids(synthetic.cite({ candidates: ["generic-doc"], path: "drivers/block/fooblk.c", identifiers: ["fooblk_submit"], ruleClass: "gfp-context" }))).toEqual(["blk-deep", "generic-doc"]);
    expect(ids(synthetic.cite({ candidates: [], identifiers: ["alloc_workqueue", "WQ_MEM_RECLAIM"], path: "sound/x.c", ruleClass: "workqueue-reclaim" }))).toEqual(["wq-y"]);
    expect(synthetic.cite({ candidates: [], identifiers: ["alloc_workqueue"], path: "sound/x.c", ruleClass: "workqueue-reclaim" })).toEqual([]);
    expect(ids(synthetic.cite({ candidates: ["generic-doc"], path: "drivers/block/fooblk.c", identifiers: ["fooblk_submit"], ruleClass: "shrinker-io" }))).toEqual(["generic-doc"]);
  });

  it("turns an entry into a citation titled by the commit's own subject, marking an unconfirmed id", () => {
    const [c] = synthetic.cite({ candidates: ["blk-a"], identifiers: ["blka_worker"] });
    expect(c).toEqual({ id: "blk-a", title: "blk-a subject", url: "https://example.org/blk-a", commit: "aaaaaaaaaaaa" });
    const kb = new KnowledgeBase([mk("half", { classes: ["gfp-context"], triggers: ["half_fn"], sha: "abcabcabcabc", partial: true })]);
    expect(kb.cite({ candidates: ["half"], identifiers: ["half_fn"] })[0]).toMatchObject({ id: "half", partial: true });
  });
});

describe("KnowledgeBase.cite: the patch under review and what it names", () => {
  const kb = new KnowledgeBase([
    mk("self-thread", { classes: ["workqueue-reclaim"], kind: "thread", title: "[v2] xfs: enable WQ_MEM_RECLAIM on m_sync_workqueue (not merged)", messageId: "ZoGJRSe98wZFDK36@kernel.org", triggers: ["m_sync_workqueue", "WQ_MEM_RECLAIM"], apis: ["m_sync_workqueue"] }),
    mk("warn-commit", { classes: ["workqueue-reclaim"], sha: "fca839c00a12d682cb59b3b620d109a1d850b262", title: "workqueue: warn if memory reclaim tries to flush !WQ_MEM_RECLAIM workqueue", triggers: ["check_flush_dependency"] }),
    mk("wq-doc", { classes: ["workqueue-reclaim"], triggers: ["WQ_MEM_RECLAIM"] }),
  ]);
  const base: PatchIdentity = { messageIds: [], subjects: [], commits: [], namedCommits: [], namedThreads: [] };
  const req = { candidates: ["self-thread", "warn-commit", "wq-doc"], identifiers: ["m_sync_workqueue", "check_flush_dependency", "WQ_MEM_RECLAIM"] };

  it("cites history by default", () => {
    expect(ids(kb.cite({ ...req, patch: base }))).toEqual(["self-thread", "warn-commit", "wq-doc"]);
  });

  it("never cites the patch itself: same Message-ID, same subject in another version, same commit", () => {
    expect(ids(kb.cite({ ...req, patch: { ...base, messageIds: ["zogjrse98wzfdk36@kernel.org"] } }))).not.toContain("self-thread");
    const v3 = normaliseSubject("Re: [PATCH RESEND v3 2/3] xfs: enable WQ_MEM_RECLAIM on m_sync_workqueue");
    expect(v3).toBe(normaliseSubject("[v2] xfs: enable WQ_MEM_RECLAIM on m_sync_workqueue (not merged)"));
    expect(ids(kb.cite({ ...req, patch: { ...base, subjects: [v3] } }))).not.toContain("self-thread");
    expect(ids(kb.cite({ ...req, patch: { ...base, commits: ["fca839c00a12"] } }))).not.toContain("warn-commit");
  });

  it("cites first what the patch names: Fixes:, reverts, commit <id>, lore links", () => {
    const named = kb.cite({ ...req, patch: { ...base, namedCommits: ["fca839c00a12"] } });
    expect(ids(named)[0]).toBe("warn-commit");
    const thread = kb.cite({ ...req, candidates: ["wq-doc"], identifiers: [], patch: { ...base, namedThreads: ["zogjrse98wzfdk36@kernel.org"] } });
    expect(ids(thread)).toEqual(["self-thread", "wq-doc"]);
  });

  it("reads a patch's identity: its ids, its subjects, its own commit, and what its message names", () => {
    const message = [
      "This reverts commit 0123456789abcdef0123456789abcdef01234567.",
      "",
      "As commit fca839c00a12 (\"workqueue: warn ...\") showed, ...",
      "See https://lore.kernel.org/all/ZoGJRSe98wZFDK36@kernel.org/T/#u and",
      "Link: https://lore.kernel.org/r/20190725093358.30679-1-damien.lemoal@wdc.com",
      "",
      "Fixes: 9d28eb12447e (\"dm bufio: change __GFP_IO to __GFP_FS in shrinker callbacks\")",
    ].join("\n");
    expect(namedCommits(message)).toEqual(["0123456789abcdef0123456789abcdef01234567", "fca839c00a12", "9d28eb12447e"]);
    expect(linkedMessageIds(message)).toEqual(["zogjrse98wzfdk36@kernel.org", "20190725093358.30679-1-damien.lemoal@wdc.com"]);
    const id = patchIdentity({
      source: "demo/linux#61@f3f3f3f3f3f3",
      subject: "xfs: one",
      rawSubject: "[PATCH 1/2] xfs: one",
      messageId: "<a@b>",
      inReplyTo: "<c@d>",
      references: ["<c@d>"],
      author: null,
      date: null,
      message,
      series: null,
      files: [],
      notes: [],
      cover: { subject: "xfs: the whole series", message: "" },
    });
    expect(id).toMatchObject({ messageIds: ["a@b", "c@d"], subjects: ["xfs: one", "xfs: the whole series"], commits: ["f3f3f3f3f3f3"] });
  });
});

describe("KnowledgeBase.cite: the release a lesson holds for", () => {
  const kb = new KnowledgeBase([
    mk("old-only", { classes: ["gfp-context"], triggers: ["__vmalloc"], apis: ["__vmalloc"], sha: "a1a1a1a1a1a1", holds: "{ until: v5.17 }" }),
    mk("new-only", { classes: ["gfp-context"], triggers: ["memalloc_nofs_save"], apis: ["memalloc_nofs_save"], sha: "b3b3b3b3b3b3", holds: "{ since: v4.12 }" }),
  ]);
  const req = { candidates: ["old-only", "new-only"], identifiers: ["__vmalloc", "memalloc_nofs_save"] };

  it("reads releases and bounds", () => {
    expect(parseRelease("v5.17")).toEqual({ major: 5, minor: 17 });
    expect(parseRelease("5.17")).toEqual({ major: 5, minor: 17 }); // lenient reading (tags, Makefiles); entries are checked against RELEASE_RE
    expect(RELEASE_RE.test("5.17")).toBe(false);
    expect(holdsFor({ until: "v5.17" }, { major: 5, minor: 16 })).toBe(true);
    expect(holdsFor({ until: "v5.17" }, { major: 5, minor: 17 })).toBe(false);
    expect(holdsFor({ since: "v4.12" }, { major: 4, minor: 11 })).toBe(false);
    expect(holdsFor(undefined, { major: 2, minor: 6 })).toBe(true);
  });

  it("never cites an entry for a kernel its lesson does not hold for", () => {
    expect(ids(kb.cite({ ...req, kernel: { major: 6, minor: 12 } }))).toEqual(["new-only"]);
    expect(ids(kb.cite({ ...req, kernel: { major: 5, minor: 10 } }))).toEqual(["old-only", "new-only"]);
    expect(ids(kb.cite({ ...req, kernel: { major: 4, minor: 9 } }))).toEqual(["old-only"]);
    // no kernel given: the newest release known
    expect(ids(kb.cite(req))).toEqual(["new-only"]);
  });

  it("rejects bounds that are not releases or that exclude everything", () => {
    expect(() => mk("bad", { classes: ["gfp-context"], holds: "{ until: \"5.17\" }" })).toThrow(/release/);
    expect(() => mk("bad", { classes: ["gfp-context"], holds: "{ since: v5.17, until: v5.10 }" })).toThrow(/not before/);
  });
});

describe("KnowledgeBase.cite (bundled knowledge)", () => {
  const kb = loadKnowledge();
  const gfpCandidates = ["gfp-fs-io-doc", "memalloc-noio-2013", "loop-noio-2019", "dm-bufio-vmalloc-2013", "nfs-localio-reclaim-2026", "btrfs-scrub-nofs-2018"];

  it("never cites an entry marked to hold only before a release for a newer kernel, whatever names it", () => {
    const bounded = kb.entries.filter((e) => e.holds?.until);
    expect(bounded.map((e) => e.id)).toContain("dm-bufio-vmalloc-2013");
    for (const e of bounded) {
      const until = parseRelease(e.holds!.until!)!;
      const every = { preferred: [e.id], candidates: [e.id], identifiers: [...e.triggers, ...e.apis], ruleClass: e.classes[0] };
      for (const kernel of [until, { major: until.major, minor: until.minor + 3 }, { major: until.major + 1, minor: 0 }, NEWEST_RELEASE]) {
        expect(ids(kb.cite({ ...every, kernel })), `${e.id} cited for v${kernel.major}.${kernel.minor}`).not.toContain(e.id);
      }
      expect(ids(kb.cite({ ...every, kernel: { major: until.major, minor: until.minor - 1 } }))).toContain(e.id);
    }
  });

  it("the engine cites by the reviewed kernel: the tree's release, else the newest known", async () => {
    const text = readFileSync("test/fixtures/knowledge/vmalloc-noio.patch", "utf8");
    const [patch] = (await parseInput(Buffer.from(text), "vmalloc-noio.patch")).patches;
    const cites = (kernel?: { major: number; minor: number; from: "tree" }) =>
      reviewPatch(patch!, { rules: ALL_RULES, config: DEFAULT_CONFIG, kb, ...(kernel ? { kernel } : {}) }).findings.flatMap((f) => f.citations.map((c) => c.id));
    expect(cites({ major: 5, minor: 10, from: "tree" })).toContain("dm-bufio-vmalloc-2013");
    expect(cites({ major: 6, minor: 12, from: "tree" })).not.toContain("dm-bufio-vmalloc-2013");
    expect(cites()).not.toContain("dm-bufio-vmalloc-2013");
  });

  it("the prctl finding cites the commit that added the prctl, by its API", () => {
    const c = kb.cite({ candidates: ["pr-set-io-flusher-2019", "local-throttle-2020", "ext4-mapping-gfp-2019"], identifiers: ["PR_SET_IO_FLUSHER", "io_thread"], path: "runner/io_thread.c", ruleClass: "io-flusher" });
    expect(c[0]!.id).toBe("pr-set-io-flusher-2019");
  });

  it("a dm-bufio vmalloc on an old kernel sees dm-bufio history first; on a new one the documentation", () => {
    const req = { candidates: gfpCandidates, path: "drivers/md/dm-bufio.c", identifiers: ["alloc_buffer_data", "__vmalloc", "GFP_NOIO"], ruleClass: "gfp-context" as const };
    expect(kb.cite({ ...req, kernel: { major: 5, minor: 4 } })[0]!.id).toBe("dm-bufio-vmalloc-2013");
    expect(ids(kb.cite(req))).not.toContain("dm-bufio-vmalloc-2013");
    expect(ids(kb.cite(req))[0]).toBe("gfp-fs-io-doc");
  });

  it("a filesystem shrinker that waits for IO gets the shrinker-IO history; one that only takes a lock does not", () => {
    const candidates = ["dm-bufio-workqueue-2020", "xfs-reclaim-nonblocking-2020", "dm-bufio-loop-revert-2019", "shrinker-alloc-api-2023"];
    const io = kb.cite({ candidates, path: "fs/frobfs/super.c", identifiers: ["sync_dirty_buffer", "frob_scan", "frob_write_back"], ruleClass: "shrinker-io" });
    expect(ids(io)).toEqual(["dm-bufio-workqueue-2020", "xfs-reclaim-nonblocking-2020"]);
    const lock = kb.cite({ candidates, path: "fs/frobfs/super.c", identifiers: ["mutex_lock", "frob_scan"], ruleClass: "shrinker-io" });
    expect(ids(lock)).not.toContain("dm-bufio-workqueue-2020");
    expect(ids(lock)).not.toContain("xfs-reclaim-nonblocking-2020");
  });

  it("an NFS localio patch sees localio history first, by its functions", () => {
    const c = kb.cite({ candidates: gfpCandidates, path: "fs/nfs/localio.c", identifiers: ["nfs_local_commit", "GFP_KERNEL"], ruleClass: "gfp-context" });
    expect(c[0]!.id).toMatch(/^nfs-localio-/);
  });

  it("a btrfs scrub patch sees the scrub fix first", () => {
    const c = kb.cite({ candidates: gfpCandidates, path: "fs/btrfs/scrub.c", identifiers: ["GFP_KERNEL", "scrub_pages"], ruleClass: "gfp-context" });
    expect(c[0]!.id).toBe("btrfs-scrub-nofs-2018");
  });

  it("a plain WQ_MEM_RECLAIM addition in a network driver gets the workqueue documentation, not a filesystem's thread", () => {
    const c = kb.cite({
      candidates: ["xfs-sync-wq-2024", "workqueue-doc", "wq-flush-dependency-2015", "wq-cancel-no-warn-2024", "loop-noio-2019"],
      path: "drivers/net/ethernet/foo/foo_main.c",
      identifiers: ["alloc_workqueue", "WQ_MEM_RECLAIM", "WQ_UNBOUND", "foo_probe"],
      ruleClass: "workqueue-reclaim",
    });
    expect(ids(c)).toContain("workqueue-doc");
    expect(ids(c)).not.toContain("xfs-sync-wq-2024");
    expect(ids(c)).not.toContain("loop-noio-2019");
  });

  it("a file outside every subsystem without evidence gets the rule's documentation only", () => {
    const c = kb.cite({ candidates: gfpCandidates, path: "sound/core/pcm_native.c", identifiers: ["kmalloc"], ruleClass: "gfp-context" });
    expect(ids(c)).toEqual(["gfp-fs-io-doc"]);
  });
});

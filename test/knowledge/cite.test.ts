// Citation relevance: the 1 to 3 entries that best fit a finding, not a fixed list.
import { describe, expect, it } from "vitest";
import { KnowledgeBase, triggerMatches } from "../../src/knowledge/base.js";
import { loadKnowledge, parseEntry } from "../../src/knowledge/load.js";
import type { KnowledgeEntry } from "../../src/knowledge/schema.js";

function mk(id: string, opts: { classes: string[]; subsystems?: string[]; triggers?: string[]; sha?: string }): KnowledgeEntry {
  const commits = opts.sha ? `commits:\n  - sha: ${opts.sha}\n    subject: "${id} subject"\nkind: commit` : "kind: doc";
  const text = `---
id: ${id}
title: "${id} title"
${commits}
date: "2020"
links:
  - https://example.org/${id}
classes: [${opts.classes.join(", ")}]
subsystems: [${(opts.subsystems ?? []).join(", ")}]
triggers: [${(opts.triggers ?? []).join(", ")}]
lesson: "a lesson long enough for the schema"
advice: "some advice here"
verified:
  status: partial
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
  mk("blk-deep", { classes: ["gfp-context"], subsystems: ["drivers/block/fooblk.c"], triggers: ["fooblk_submit"], sha: "bbbbbbbbbbbb" }),
  mk("nfs-x", { classes: ["gfp-context", "stacked-io"], subsystems: ["fs/nfs/"], triggers: ["nfs_local_*"], sha: "cccccccccccc" }),
  mk("wq-y", { classes: ["workqueue-reclaim"], subsystems: ["drivers/block/"], triggers: ["alloc_workqueue", "WQ_MEM_RECLAIM"], sha: "dddddddddddd" }),
]);

describe("KnowledgeBase.cite (synthetic entries)", () => {
  it("keeps the rule's order when nothing else distinguishes candidates", () => {
    const c = synthetic.cite({ candidates: ["generic-doc", "blk-a", "nfs-x"] });
    expect(c.map((x) => x.id)).toEqual(["generic-doc", "blk-a", "nfs-x"]);
  });

  it("ranks the entry of the file's subsystem first", () => {
    const c = synthetic.cite({ candidates: ["generic-doc", "blk-a", "nfs-x"], path: "fs/nfs/localio.c" });
    expect(c[0]!.id).toBe("nfs-x");
  });

  it("prefers the deeper subsystem prefix", () => {
    const c = synthetic.cite({ candidates: ["blk-a", "blk-deep"], path: "drivers/block/fooblk.c" });
    expect(c.map((x) => x.id)).toEqual(["blk-deep", "blk-a"]);
  });

  it("uses trigger identifiers from the hunk, including prefix triggers", () => {
    const c = synthetic.cite({ candidates: ["generic-doc", "blk-a", "nfs-x"], identifiers: ["nfs_local_write"] });
    expect(c[0]!.id).toBe("nfs-x");
    expect(triggerMatches("nfs_local_*", "nfs_local_write")).toBe(true);
    expect(triggerMatches("nfs_local_*", "nfs_localio")).toBe(false);
    expect(triggerMatches("*", "anything")).toBe(false);
  });

  it("puts the report's own ids first, whatever else matches", () => {
    const c = synthetic.cite({ preferred: ["generic-doc"], candidates: ["blk-a", "nfs-x"], path: "fs/nfs/write.c", identifiers: ["nfs_local_write"] });
    expect(c.map((x) => x.id)).toEqual(["generic-doc", "nfs-x", "blk-a"]);
  });

  it("returns at most max citations, and at least one when asked for zero", () => {
    expect(synthetic.cite({ candidates: ["generic-doc", "blk-a", "blk-deep", "nfs-x"] })).toHaveLength(3);
    expect(synthetic.cite({ candidates: ["generic-doc", "blk-a"], max: 1 })).toHaveLength(1);
    expect(synthetic.cite({ candidates: ["generic-doc", "blk-a"], max: 0 })).toHaveLength(1);
  });

  it("drops unknown ids and duplicates", () => {
    const c = synthetic.cite({ preferred: ["nope", "blk-a"], candidates: ["blk-a", "missing", "generic-doc"] });
    expect(c.map((x) => x.id)).toEqual(["blk-a", "generic-doc"]);
  });

  it("adds a related entry of the rule's class when a trigger hits in its own subsystem", () => {
    const c = synthetic.cite({ candidates: ["generic-doc"], path: "drivers/block/fooblk.c", identifiers: ["fooblk_submit"], ruleClass: "gfp-context" });
    expect(c.map((x) => x.id)).toEqual(["blk-deep", "generic-doc"]);
  });

  it("does not add a related entry on a subsystem match alone", () => {
    const c = synthetic.cite({ candidates: ["generic-doc"], path: "drivers/block/fooblk.c", identifiers: ["kmalloc"], ruleClass: "gfp-context" });
    expect(c.map((x) => x.id)).toEqual(["generic-doc"]);
  });

  it("ranks a candidate with a trigger hit above one without", () => {
    const c = synthetic.cite({ candidates: ["blk-a", "generic-doc"], identifiers: ["memalloc_nofs_save"] });
    expect(c.map((x) => x.id)).toEqual(["generic-doc", "blk-a"]);
  });

  it("never adds related entries of another class, nor without evidence", () => {
    const other = synthetic.cite({ candidates: ["generic-doc"], path: "drivers/block/fooblk.c", ruleClass: "shrinker-io" });
    expect(other.map((x) => x.id)).toEqual(["generic-doc"]);
    const noEvidence = synthetic.cite({ candidates: ["generic-doc"], path: "sound/core/pcm.c", ruleClass: "gfp-context" });
    expect(noEvidence.map((x) => x.id)).toEqual(["generic-doc"]);
    const noClass = synthetic.cite({ candidates: ["generic-doc"], path: "drivers/block/fooblk.c" });
    expect(noClass.map((x) => x.id)).toEqual(["generic-doc"]);
  });

  it("adds a related entry on two trigger hits without a subsystem match", () => {
    const c = synthetic.cite({ candidates: [], identifiers: ["alloc_workqueue", "WQ_MEM_RECLAIM"], path: "sound/x.c", ruleClass: "workqueue-reclaim" });
    expect(c.map((x) => x.id)).toEqual(["wq-y"]);
    const one = synthetic.cite({ candidates: [], identifiers: ["alloc_workqueue"], path: "sound/x.c", ruleClass: "workqueue-reclaim" });
    expect(one).toEqual([]);
  });

  it("does not pull in related entries on common triggers alone", () => {
    const common = ["GFP_NOIO", "memalloc_noio_save"];
    const many = new KnowledgeBase(
      ["c1", "c2", "c3", "c4"].map((id) => mk(id, { classes: ["gfp-context"], subsystems: [`drivers/${id}/`], triggers: common, sha: `${id}${"0".repeat(10)}`.replace(/c/g, "e") })),
    );
    expect(many.isSpecificTrigger("GFP_NOIO")).toBe(false);
    expect(many.cite({ candidates: [], identifiers: common, path: "sound/x.c", ruleClass: "gfp-context" })).toEqual([]);
    // in its own subsystem one common hit is enough
    expect(many.cite({ candidates: [], identifiers: common, path: "drivers/c2/x.c", ruleClass: "gfp-context" }).map((c) => c.id)).toEqual(["c2"]);
  });

  it("weights a specific trigger above a common one", () => {
    const kb2 = new KnowledgeBase([
      ...["g1", "g2", "g3", "g4"].map((id, i) => mk(id, { classes: ["gfp-context"], triggers: ["GFP_NOIO"], sha: "abcd"[i]!.repeat(12) })),
      mk("spec", { classes: ["gfp-context"], triggers: ["fooblk_submit"], sha: "abcdefabcdef" }),
    ]);
    const c = kb2.cite({ candidates: ["g1", "spec"], identifiers: ["GFP_NOIO", "fooblk_submit"] });
    expect(c.map((x) => x.id)).toEqual(["spec", "g1"]);
  });

  it("turns an entry into a citation with its first link and a 12-char commit, titled by the commit's own subject", () => {
    const [c] = synthetic.cite({ candidates: ["blk-a"] });
    expect(c).toEqual({ id: "blk-a", title: "blk-a subject", url: "https://example.org/blk-a", commit: "aaaaaaaaaaaa" });
    const [d] = synthetic.cite({ candidates: ["generic-doc"] });
    expect(d!.commit).toBeUndefined();
    expect(d!.title).toBe("generic-doc title");
  });

  it("explains its ranking through rank()", () => {
    const r = synthetic.rank({ candidates: ["blk-a"], path: "drivers/block/fooblk.c", identifiers: ["fooblk_submit"], ruleClass: "gfp-context" });
    const deep = r.find((s) => s.entry.id === "blk-deep")!;
    expect(deep.origin).toBe("related");
    expect(deep.subsystemMatch).toBe(true);
    expect(deep.triggerHits).toEqual(["fooblk_submit"]);
    expect(r[0]!.entry.id).toBe("blk-deep");
  });
});

describe("KnowledgeBase.cite (bundled knowledge)", () => {
  const kb = loadKnowledge();
  // The candidate list a workqueue or GFP rule might carry, in a fixed order.
  const gfpCandidates = ["gfp-fs-io-doc", "memalloc-noio-2013", "loop-noio-2019", "dm-bufio-vmalloc-2013", "nfs-localio-reclaim-2026", "btrfs-scrub-nofs-2018"];

  it("a dm patch sees dm-bufio history first", () => {
    const c = kb.cite({ candidates: gfpCandidates, path: "drivers/md/dm-bufio.c", identifiers: ["alloc_buffer_data", "__vmalloc"], ruleClass: "gfp-context" });
    expect(c[0]!.id).toBe("dm-bufio-vmalloc-2013");
    expect(c.every((x) => kb.has(x.id))).toBe(true);
  });

  it("an NFS patch sees localio history first", () => {
    const c = kb.cite({ candidates: gfpCandidates, path: "fs/nfs/localio.c", identifiers: ["nfs_local_commit", "GFP_KERNEL"], ruleClass: "gfp-context" });
    expect(c[0]!.id).toMatch(/^nfs-localio-/);
  });

  it("a btrfs patch sees the scrub fix first", () => {
    const c = kb.cite({ candidates: gfpCandidates, path: "fs/btrfs/scrub.c", identifiers: ["GFP_KERNEL", "scrub_pages"], ruleClass: "gfp-context" });
    expect(c[0]!.id).toBe("btrfs-scrub-nofs-2018");
  });

  it("a workqueue flag change in a SCSI driver sees storvsc history", () => {
    const c = kb.cite({
      candidates: ["wq-flush-dependency-2015", "workqueue-doc", "xfs-sync-wq-2024"],
      path: "drivers/scsi/storvsc_drv.c",
      identifiers: ["alloc_ordered_workqueue", "WQ_MEM_RECLAIM"],
      ruleClass: "workqueue-reclaim",
    });
    expect(c.map((x) => x.id)).toContain("storvsc-error-wq-2022");
    expect(c).toHaveLength(3);
  });

  it("different files get different citations from the same candidates", () => {
    const a = kb.cite({ candidates: gfpCandidates, path: "drivers/md/dm-bufio.c", ruleClass: "gfp-context" }).map((x) => x.id);
    const b = kb.cite({ candidates: gfpCandidates, path: "fs/nfs/localio.c", ruleClass: "gfp-context" }).map((x) => x.id);
    expect(a).not.toEqual(b);
  });

  it("a file outside every subsystem falls back to the rule's order", () => {
    const c = kb.cite({ candidates: gfpCandidates, path: "sound/core/pcm_native.c", ruleClass: "gfp-context" });
    expect(c.map((x) => x.id)).toEqual(gfpCandidates.slice(0, 3));
  });
});

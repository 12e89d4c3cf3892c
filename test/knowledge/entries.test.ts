// Every bundled knowledge entry loads, validates and is usable for citations.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadKnowledge, loadKnowledgeDir, parseEntry } from "../../src/knowledge/load.js";
import { knowledgeEntrySchema } from "../../src/knowledge/schema.js";
import { packageRoot } from "../../src/paths.js";

const dir = join(packageRoot(), "knowledge");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".md") && f !== "README.md")
  .sort();
const kb = loadKnowledgeDir(dir);

// The ids the rules and HISTORY.md map rely on (issue "Knowledge and evidence").
const REQUIRED_IDS = [
  "dm-bufio-workqueue-2020", "dm-bufio-gfp-fs-2014", "dm-bufio-loop-revert-2019", "loop-noio-2019",
  "memalloc-overhaul-2020", "memalloc-noio-2013", "noio-implies-nofs-2014", "memalloc-nofs-api-2017",
  "gfp-fs-io-doc", "local-throttle-2020", "wq-flush-dependency-2015", "wq-legacy-skip-2016",
  "wq-cancel-no-warn-2024", "workqueue-doc", "pr-set-io-flusher-2019", "ext4-mapping-gfp-2019",
  "xfs-sync-wq-2024", "nfs-localio-2024", "nfs-localio-workqueues-2024", "nfs-localio-reclaim-2026",
  "nfs-localio-commit-noio-2026", "xfs-reclaim-nonblocking-2020", "shrinker-alloc-api-2023",
  "memalloc-flags-2024", "dm-bufio-vmalloc-2013", "dm-bufio-nowait-lock-2016", "sk-page-frag-2019",
  "sunrpc-nofs-rpciod-2019", "sunrpc-nofs-sync-2021", "iscsi-recovery-2020", "md-suspend-scope-2020",
  "libnvdimm-noio-2017", "ipoib-noio-2017", "pagecache-gfp-mask-2014", "bcache-journal-wq-2019",
  "md-workqueue-2010", "btrfs-scrub-nofs-2018",
];

describe("bundled knowledge base", () => {
  it("has at least 45 entries, one per file", () => {
    expect(files.length).toBeGreaterThanOrEqual(45);
    expect(kb.entries.map((e) => `${e.id}.md`)).toEqual(files);
  });

  it("has every id the rules and the history map expect", () => {
    const missing = REQUIRED_IDS.filter((id) => !kb.has(id));
    expect(missing).toEqual([]);
  });

  it("is what loadKnowledge() returns (and is cached)", () => {
    const a = loadKnowledge();
    expect(a).toBe(loadKnowledge());
    expect(a.entries.map((e) => e.id)).toEqual(kb.entries.map((e) => e.id));
  });

  it("has no commit id in two entries as the primary commit", () => {
    const firsts = kb.entries.flatMap((e) => (e.commits[0] ? [e.commits[0].sha.slice(0, 12)] : []));
    expect(new Set(firsts).size).toBe(firsts.length);
  });

  it("mentions only existing entries when a story points at another id", () => {
    const idLike = /\b([a-z0-9]+(?:-[a-z0-9]+)+-(?:19|20)\d\d)\b/g;
    const dangling: string[] = [];
    for (const e of kb.entries)
      for (const m of `${e.story} ${e.lesson} ${e.advice}`.matchAll(idLike)) if (!kb.has(m[1]!)) dangling.push(`${e.id} -> ${m[1]}`);
    expect(dangling).toEqual([]);
  });

  it("titles entries by the commit's or the thread's own subject, with nothing added", () => {
    for (const e of kb.entries) {
      expect(e.title, e.id).not.toMatch(/\((?:not merged|merged|and [^)]*)\)\s*$/i);
      if (e.kind === "commit" || e.kind === "series") expect(e.title === e.commits[0]!.subject || e.kind === "series", e.id).toBe(true);
    }
  });

  it("states opinions only as quotes, never as a paraphrase attributed to a person", () => {
    const paraphrase = /\b[A-Z][a-z]+ [A-Z][a-z']+(?:'s)? (?:on (?:the|a|this)\b|(?:reply|answer|view|verdict|argument|position)\b)/;
    for (const e of kb.entries) for (const [k, v] of Object.entries({ title: e.title, lesson: e.lesson, advice: e.advice })) expect(v, `${e.id} ${k}`).not.toMatch(paraphrase);
  });

  it("marks the releases a lesson holds for as a real range", () => {
    for (const e of kb.entries) {
      if (!e.holds) continue;
      expect(e.holds.since ?? e.holds.until, e.id).toBeDefined();
      if (e.release && e.holds.since) expect(e.holds.since, e.id).toBe(e.release);
    }
  });

  describe.each(files)("%s", (file) => {
    const text = readFileSync(join(dir, file), "utf8");
    const e = parseEntry(text, join(dir, file));

    it("validates against the schema (front matter only)", () => {
      const { story, ...front } = e;
      expect(story.length).toBeGreaterThan(200);
      expect(knowledgeEntrySchema().safeParse(front).success).toBe(true);
    });

    it("has links and a verification note", () => {
      expect(e.links.length).toBeGreaterThan(0);
      for (const l of e.links) expect(l).toMatch(/^https:\/\//);
      expect(e.verified.how.length).toBeGreaterThan(40);
      expect(e.verified.checked).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    });

    it("links a commit page for its primary commit, when it has one", () => {
      const c = e.commits[0];
      if (!c) {
        expect(e.kind === "thread" || e.kind === "doc").toBe(true);
        return;
      }
      const prefix = c.sha.slice(0, 12);
      const kernelLink = e.links.some((l) => l.includes(prefix));
      expect(kernelLink, `no link mentions ${prefix}`).toBe(true);
    });

    it("carries subsystems and triggers for relevance", () => {
      expect(e.subsystems.length).toBeGreaterThan(0);
      expect(e.triggers.length).toBeGreaterThanOrEqual(3);
      expect(new Set(e.triggers).size).toBe(e.triggers.length);
    });

    it("tells the story in sections", () => {
      expect(e.story).toMatch(/\*\*What happened\.\*\*|\*\*What it says\.\*\*/);
      expect(e.story).toMatch(/lesson|Lesson|Review angle|Why it matters/);
    });

    it("has a thread Message-ID only in lore form, when linked from lore", () => {
      if (!e.messageId) return;
      expect(e.messageId).not.toMatch(/[<>\s]/);
    });
  });
});

// Lenient intake, measured: every patch of a corpus of our own real-looking
// patches (the examples, the eval fixtures, the ingest fixtures and patches
// built from the GitHub fixtures), with the last context line of a hunk
// stripped the way web pages and mail clients lose it, reviews to exactly
// the findings of the intact patch, with a note naming the recounted hunk.
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { parseInput } from "../../src/ingest/index.js";
import type { KnowledgeBase } from "../../src/knowledge/base.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { review } from "../../src/pipeline.js";
import { formatPatch } from "../helpers/patch.js";
import { fixtureText } from "./helpers.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (rel: string) => readFileSync(ROOT + rel, "utf8");

function corpus(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const f of readdirSync(ROOT + "examples").filter((n) => n.endsWith(".patch")).sort()) out.push({ name: `examples/${f}`, text: read(`examples/${f}`) });
  for (const f of readdirSync(ROOT + "test/fixtures/eval").filter((n) => n.endsWith(".patch")).sort()) out.push({ name: `eval/${f}`, text: read(`test/fixtures/eval/${f}`) });
  for (const f of ["format-patch.patch", "git-diff-stat.diff", "plain.diff", "git-headers.patch", "series-v2.mbox"]) out.push({ name: `inputs/${f}`, text: fixtureText(f) });
  const gh = (f: string) => read(`test/fixtures/github/${f}`);
  const pairs: [string, string, string][] = [
    ["fs/demofs/inode.c", "inode-base.c", "inode-nofs.c"],
    ["fs/demofs/inode.c", "inode-base.c", "inode-fixed.c"],
    ["fs/demofs/inode.c", "inode-base.c", "inode-nofs-touched.c"],
    ["fs/demofs/bmap.c", "bmap-base.c", "bmap-nofs.c"],
    ["fs/demofs/io.c", "io-base.c", "io-flush.c"],
  ];
  for (const [path, before, after] of pairs) {
    out.push({ name: `github/${after}`, text: formatPatch({ subject: `demofs: ${after}`, files: [{ path, before: gh(before), after: gh(after) }] }) });
  }
  return out;
}

/** Index (into the text's lines) of the last body line of every hunk, found by the hunk's own counts. */
function hunkEnds(lines: string[]): number[] {
  const ends: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(lines[i]!);
    if (!m) continue;
    let old = m[1] === undefined ? 1 : Number(m[1]);
    let neu = m[2] === undefined ? 1 : Number(m[2]);
    let last = i;
    for (let j = i + 1; j < lines.length && (old > 0 || neu > 0); j++) {
      const c = lines[j]!.slice(0, 1);
      if (c === "\\") continue;
      if (c === "+") neu--;
      else if (c === "-") old--;
      else {
        old--;
        neu--;
      }
      last = j;
    }
    ends.push(last);
    i = last;
  }
  return ends;
}

const isContext = (l: string) => l === "" || l.startsWith(" ");

interface Seen {
  findings: string[];
  notes: string[];
}

async function reviewed(text: string, name: string, kb: KnowledgeBase): Promise<Seen[]> {
  const parsed = await parseInput(text, name);
  const result = review(parsed, null, DEFAULT_CONFIG, kb);
  return result.reviews.map((r) => {
    expect(r.errors, name).toEqual([]);
    return {
      findings: r.findings.map((f) => `${f.rule} ${f.severity} ${f.file}:${f.line} ${f.fingerprint} ${f.message}`),
      notes: r.patch.notes,
    };
  });
}

describe("patches with their trailing context stripped review like the intact ones", () => {
  let kb: KnowledgeBase;
  beforeAll(() => {
    kb = loadKnowledge();
  });

  it("one hunk at a time, and every hunk at once", async () => {
    let variants = 0;
    let withFindings = 0;
    for (const { name, text } of corpus()) {
      const intact = await reviewed(text, name, kb);
      expect(intact.length, name).toBeGreaterThan(0);
      for (const r of intact) expect(r.notes.filter((n) => n.includes("recounted")), name).toEqual([]);
      const lines = text.split("\n");
      const strippable = hunkEnds(lines).filter((e) => isContext(lines[e]!));
      const sets = [...strippable.map((e) => [e]), ...(strippable.length > 1 ? [strippable] : [])];
      for (const set of sets) {
        const cut = lines.filter((_l, i) => !set.includes(i)).join("\n");
        const label = `${name} without line${set.length > 1 ? "s" : ""} ${set.map((e) => e + 1).join(",")}`;
        const got = await reviewed(cut, label, kb);
        expect(got.map((r) => r.findings), label).toEqual(intact.map((r) => r.findings));
        const recounted = got.flatMap((r) => r.notes).filter((n) => /recounted: \d+ of \d+ old lines present, \d+ of \d+ new \(1 trailing context line missing\)$/.test(n));
        expect(recounted, label).toHaveLength(set.length);
        variants++;
        if (intact.some((r) => r.findings.length > 0)) withFindings++;
      }
    }
    // the corpus is not a token one: most of these carry findings that must survive
    expect(variants).toBeGreaterThanOrEqual(40);
    expect(withFindings).toBeGreaterThanOrEqual(20);
  });
});

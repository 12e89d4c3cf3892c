// reviewInput (message by message, slimmed) must say exactly what
// parseInput + review() say, and keep what every renderer needs.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain JS generator shared with the benchmark
import { genMbox } from "../../bench/gen-mbox.mjs";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { parseInput } from "../../src/ingest/index.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { review, reviewInput } from "../../src/pipeline.js";
import { render, FORMATS } from "../../src/render/index.js";
import { readFileSync } from "node:fs";

const kb = loadKnowledge();
const key = (r: Awaited<ReturnType<typeof reviewInput>>) =>
  r.reviews.map((x) => [x.patch.source, x.patch.subject, x.findings.map((f) => `${f.rule}:${f.severity}:${f.file}:${f.line}:${f.fingerprint}`)]);

describe("reviewInput (streaming)", () => {
  it("finds the same as parseInput + review on a generated mbox, in the same order", async () => {
    const mbox = (genMbox as (n: number, seed: number) => string)(120, 7);
    const whole = review(await parseInput(mbox, "g.mbox"), null, DEFAULT_CONFIG, kb);
    const streamed = await reviewInput(mbox, "g.mbox", {}, DEFAULT_CONFIG, kb);
    expect(streamed.reviews).toHaveLength(120);
    expect(key(streamed)).toEqual(key(whole));
    expect(streamed.reviews.some((r) => r.findings.length > 0)).toBe(true);
  });

  it("renders every format identically for the examples (slim patches keep the quoted hunks)", async () => {
    for (const name of ["xfs-sync-wq-mem-reclaim", "dm-bufio-shrinker-io", "loop-worker-noio"]) {
      const data = readFileSync(`examples/${name}.patch`);
      const whole = review(await parseInput(data, name), null, DEFAULT_CONFIG, kb);
      const streamed = await reviewInput(data, name, {}, DEFAULT_CONFIG, kb);
      for (const format of FORMATS) expect(render(streamed, format), `${name} ${format}`).toBe(render(whole, format));
    }
  });

  it("keeps only hunks with findings (and the first one when a finding is patch-level)", async () => {
    const mbox = (genMbox as (n: number, seed: number) => string)(60, 3);
    const whole = await parseInput(mbox, "g.mbox");
    const streamed = await reviewInput(mbox, "g.mbox", {}, DEFAULT_CONFIG, kb);
    const hunks = (ps: { files: { hunks: unknown[] }[] }[]) => ps.reduce((a, p) => a + p.files.reduce((b, f) => b + f.hunks.length, 0), 0);
    expect(hunks(streamed.reviews.map((r) => r.patch))).toBeLessThan(hunks(whole.patches) / 2);
    // every finding line still sits in a kept hunk
    for (const r of streamed.reviews)
      for (const f of r.findings) {
        if (f.file === null || f.line === null) continue;
        const file = r.patch.files.find((x) => x.path === f.file)!;
        expect(file.hunks.some((h) => f.line! >= h.newStart && f.line! < h.newStart + Math.max(h.newLines, 1))).toBe(true);
      }
  });

  it("still attaches covers and reports problems", async () => {
    const cover = "From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001\nFrom: A <a@example.org>\nSubject: [PATCH 0/1] demo: series\nMessage-ID: <cover@example.org>\n\nThe cover letter.\n";
    const patch = readFileSync("examples/fooblk-queue-rq-alloc.patch", "utf8")
      .replace("Subject: [PATCH] fooblk:", "Subject: [PATCH 1/1] fooblk:")
      .replace("Message-ID: <20261111130000.4242-1-pat@example.com>", "Message-ID: <p1@example.org>\nIn-Reply-To: <cover@example.org>");
    const bad = "From 2222222222222222222222222222222222222222 Mon Sep 17 00:00:00 2001\nFrom: B <b@example.org>\nSubject: [PATCH 2/1] broken\nMessage-ID: <bad@example.org>\n\n---\ndiff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,3 @@\n a\n-b\n";
    const r = await reviewInput([cover, patch, bad].join("\n"), "s.mbox", {}, DEFAULT_CONFIG, kb);
    expect(r.reviews).toHaveLength(1);
    expect(r.reviews[0]!.patch.cover?.subject).toBe("demo: series");
    expect(r.covers).toHaveLength(1);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.message).toContain("s.mbox#3");
  });
});

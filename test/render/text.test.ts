import { describe, expect, it } from "vitest";
import { render } from "../../src/render/index.js";
import { renderFindingText } from "../../src/render/text.js";
import type { ReviewResult } from "../../src/types.js";
import { cleanPatch, findings, result } from "./fixture.js";

const ANSI = /\x1b\[[0-9;]*m/g;

describe("text format", () => {
  const plain = render(result, "text");

  it("matches the reviewed golden file", async () => {
    await expect(plain).toMatchFileSnapshot("../fixtures/render/text.txt");
  });

  it("writes checkpatch-like blocks: severity:rule, checkpatch's #N: FILE: location, quoted line, via, why, fix, see", () => {
    const block = renderFindingText(findings[2]!);
    const lines = block.split("\n");
    expect(lines[0]).toBe("ERROR:shrinker-waits-on-io: fooblk_shrink_scan() waits for IO (wait_on_bit_io) from a shrinker callback");
    // without the patch, N is the file line (checkpatch -f)
    expect(lines[1]).toBe("#824: FILE: drivers/block/fooblk/cache.c:824:");
    expect(lines[2]).toBe("+\t\t\twait_on_bit_io(&b->state, FOOBLK_BUF_WRITING, TASK_UNINTERRUPTIBLE);");
    expect(lines[3]).toBe("  via: fooblk_shrink_scan -> fooblk_write_buf -> wait_on_bit_io");
    expect(lines[4]).toMatch(/^ {2}why: Shrinkers run/);
    expect(block).toContain('  see: commit 70704c33db84 ("dm bufio: do buffer cleanup from a workqueue")\n       https://git.kernel.org/');
    // a patch-level finding has no location line
    expect(renderFindingText(findings[0]!).split("\n")[1]).toMatch(/^ {2}why: /);
  });

  it("wraps why and fix (URLs excepted) and keeps pre-existing findings after the new ones", () => {
    for (const l of plain.split("\n")) {
      // the wrapped parts are the indented ones (why, fix, see); URLs stay whole
      if (!/^ /.test(l) || /^ +https?:\/\/\S+$/.test(l)) continue;
      expect(l.length, l).toBeLessThanOrEqual(78);
    }
    const heading = plain.indexOf("pre-existing (already there before this patch");
    expect(heading).toBeGreaterThan(plain.indexOf("ERROR:shrinker-waits-on-io"));
    expect(plain.indexOf("WARNING:mapping-gfp-mask")).toBeGreaterThan(heading);
  });

  it("lists notes, internal errors, covers, problems and the total", () => {
    expect(plain).toContain("note: binary file firmware/fooblk.bin skipped\n");
    expect(plain).toContain("INTERNAL-ERROR:stacked-io-loop: TypeError:");
    expect(plain).toContain("PROBLEM:fooblk.mbox#3: no diff in this message\n");
    expect(plain).toContain("cover letter, not reviewed: fooblk.mbox#0: fooblk: cache fixes\n");
    expect(plain.endsWith("total: 1 errors, 2 warnings, 1 info, 2 patches\n")).toBe(true);
    const clean: ReviewResult = { ...result, reviews: [{ patch: cleanPatch, findings: [], errors: [] }], covers: [], problems: [] };
    expect(render(clean, "text")).toBe(
      "==== fooblk.mbox#2: fooblk: document the cache knobs\nno reclaim hazards found\n\ntotal: 0 errors, 0 warnings, 0 info, 1 patches\n",
    );
  });

  it("uses colour only when asked, and colour changes nothing else", () => {
    expect(plain).not.toMatch(ANSI);
    const coloured = render(result, "text", { color: true });
    expect(coloured).toMatch(ANSI);
    expect(coloured).toContain("\x1b[1;31mERROR\x1b[0m:shrinker-waits-on-io:");
    expect(coloured.replace(ANSI, "")).toBe(plain);
    expect(render(result, "text", { color: false })).toBe(plain);
  });
});

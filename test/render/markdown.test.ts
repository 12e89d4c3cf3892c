import { describe, expect, it } from "vitest";
import { render } from "../../src/render/index.js";
import { codeSpan, escapeMarkdown, renderFindingMarkdown } from "../../src/render/markdown.js";
import { findings, mainPatch, result } from "./fixture.js";

describe("markdown format", () => {
  const md = render(result, "markdown");

  it("matches the reviewed golden file", async () => {
    await expect(md).toMatchFileSnapshot("../fixtures/render/markdown.txt");
  });

  it("has a heading per patch and a table row per finding", () => {
    expect(md.startsWith("# reclaim-review report\n\n1 errors, 2 warnings, 1 info in 2 patches (reclaim-review 0.1.0).\n")).toBe(true);
    expect(md).toContain("\n## fooblk: write back dirty buffers from the shrinker\n");
    expect(md).toContain("\n## fooblk: document the cache knobs\n");
    const rows = md.split("\n").filter((l) => /^\| \d+ \|/.test(l));
    expect(rows).toHaveLength(findings.length);
    expect(rows[2]).toBe(
      "| 3 | **error** | `shrinker-waits-on-io` | `drivers/block/fooblk/cache.c:824` | fooblk\\_shrink\\_scan() waits for IO (wait\\_on\\_bit\\_io) from a shrinker callback |",
    );
    expect(md).toContain("No reclaim hazards found.");
    expect(md).toContain("## Input problems\n\n- `fooblk.mbox#3`: no diff in this message");
    expect(md).toContain("- `stacked-io-loop`: TypeError:");
  });

  it("quotes the hunk in a diff fence, one paragraph about this code, linked citations and the rule's background", () => {
    const sec = renderFindingMarkdown(findings[2]!, mainPatch);
    expect(sec.startsWith("### error: `shrinker-waits-on-io` at `drivers/block/fooblk/cache.c:824`\n")).toBe(true);
    expect(sec).toContain("```diff\n@@ -812,10 +817,12 @@ static unsigned long fooblk_shrink_scan(struct shrinker *s,\n");
    expect(sec).toContain("\n+\t\t\twait_on_bit_io(&b->state, FOOBLK_BUF_WRITING, TASK_UNINTERRUPTIBLE);\n");
    expect(sec).toContain(
      "\nfooblk\\_shrink\\_scan() waits for IO (wait\\_on\\_bit\\_io) from a shrinker callback. Free only clean buffers in the scan callback and hand dirty ones to a WQ\\_MEM\\_RECLAIM worker that writes them back outside reclaim. Call chain: fooblk\\_shrink\\_scan -\\> fooblk\\_write\\_buf -\\> wait\\_on\\_bit\\_io.\n",
    );
    expect(sec).toContain(
      '- [commit 70704c33db84 ("dm bufio: do buffer cleanup from a workqueue")](https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=70704c33db841d847b16d8ae7e29ae3b8a479e75)',
    );
    expect(sec).toContain("<details><summary>Background: why <code>shrinker-waits-on-io</code> matters</summary>\n\nShrinkers run in direct reclaim");
    expect(sec).toContain("`9a8b7c6d5e4f3021` (shrinker-waits-on-io, `drivers/block/fooblk/cache.c:824`)");
  });

  it("gives each rule's background and each link once per report, and the fingerprints in one footer per patch", () => {
    expect(md.match(/<details><summary>Background/g)).toHaveLength(4);
    expect(md.match(/20190725093358\.30679-1-damien\.lemoal@wdc\.com/g)).toHaveLength(1);
    expect(md.match(/70704c33db841d847b16d8ae7e29ae3b8a479e75/g)).toHaveLength(1);
    const footers = md.split("\n").filter((l) => l.startsWith("<sub>To silence a finding"));
    expect(footers).toHaveLength(1);
    for (const f of findings) {
      expect(footers[0]).toContain(f.fingerprint);
      expect(md.split(f.fingerprint)).toHaveLength(2);
    }
  });

  it("renders a finding alone (for the GitHub App) with just its added line", () => {
    const sec = renderFindingMarkdown(findings[3]!);
    expect(sec).toContain("```diff\n+\tmapping_set_gfp_mask(inode->i_mapping, GFP_NOFS);\n```");
    expect(sec).toContain("This was already the case before the patch; it is mentioned for context.");
    expect(sec).toContain("clears \\_\\_GFP\\_FS for the whole mapping");
    const patchLevel = renderFindingMarkdown(findings[0]!);
    expect(patchLevel).not.toContain("```");
    expect(patchLevel).toContain("at the commit message");
  });

  it("escapes what markdown would eat", () => {
    expect(escapeMarkdown("__GFP_FS | *x* <y> [z]")).toBe("\\_\\_GFP\\_FS \\| \\*x\\* \\<y\\> \\[z\\]");
    expect(escapeMarkdown("# not a heading")).toBe("\\# not a heading");
    expect(codeSpan("a`b")).toBe("``a`b``");
    const fenced = renderFindingMarkdown({ ...findings[1]!, quote: "/* ``` */" });
    expect(fenced).toContain("````diff\n+/* ``` */\n````");
  });
});

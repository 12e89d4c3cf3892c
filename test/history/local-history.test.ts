import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { openTreeSources } from "../../src/context/sources.js";
import { commitUrl, LocalHistory } from "../../src/history/git.js";
import { withLocalHistory } from "../../src/history/sources.js";
import { parsePatchText } from "../../src/ingest/index.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { review } from "../../src/pipeline.js";
import { render } from "../../src/render/index.js";
import { makeRepo } from "./fixture-repo.js";

const v1 = "static int fooblk_queue_rq(void)\n{\n\treturn 0;\n}\n";

describe("local history", () => {
  const repo = makeRepo(
    [
      { message: "fooblk: initial driver\n", files: { "drivers/block/fooblk.c": v1, "README": "x\n" } },
      { message: "fooblk: fix a typo in a comment\n", files: { "drivers/block/fooblk.c": v1 + "/* typo */\n" } },
      {
        message: "fooblk: use GFP_NOIO in fooblk_queue_rq\n\nA GFP_KERNEL allocation here can recurse into reclaim and deadlock.\n",
        files: { "drivers/block/fooblk.c": v1 + "/* noio */\n" },
      },
      { message: "fooblk: avoid a deadlock in teardown\n", files: { "drivers/block/fooblk.c": v1 + "/* teardown */\n" } },
      { message: "other: reclaim fix elsewhere with GFP_NOFS\n", files: { "fs/other.c": "int x;\n" } },
    ],
    "https://github.com/example/linux.git",
  );

  it("finds only commits of the same file that speak of reclaim, the function's first", async () => {
    const h = (await LocalHistory.open(repo))!;
    expect(h).not.toBeNull();
    await h.prepare(["drivers/block/fooblk.c"]);
    const found = h.lookup("drivers/block/fooblk.c", "fooblk_queue_rq");
    expect(found.map((c) => c.subject)).toEqual(["fooblk: use GFP_NOIO in fooblk_queue_rq", "fooblk: avoid a deadlock in teardown"]);
    expect(found[0]!.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(found[0]!.url).toBe(`https://github.com/example/linux/commit/${found[0]!.sha}`);
    expect(h.lookup("drivers/block/fooblk.c", null)).toHaveLength(2);
    expect(h.lookup("README", null)).toEqual([]);
  });

  it("is null outside a git checkout", async () => {
    const dir = join(repo, ".git"); // inside .git is not a work tree
    expect(await LocalHistory.open(dir)).toBeNull();
  });

  it("builds commit URLs for GitHub and kernel.org remotes only", () => {
    expect(commitUrl("git@github.com:torvalds/linux.git", "abc")).toBe("https://github.com/torvalds/linux/commit/abc");
    expect(commitUrl("https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git", "abc")).toBe(
      "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=abc",
    );
    expect(commitUrl("/srv/mirror/linux", "abc")).toBeNull();
  });

  it("reaches findings through review() with --tree sources", async () => {
    writeFileSync(join(repo, "drivers/block/fooblk.c"), "static int fooblk_queue_rq(void)\n{\n\treturn 0;\n}\n");
    execFileSync("git", ["-C", repo, "commit", "-qam", "reset file"]);
    const patch = [
      "diff --git a/drivers/block/fooblk.c b/drivers/block/fooblk.c",
      "--- a/drivers/block/fooblk.c",
      "+++ b/drivers/block/fooblk.c",
      "@@ -1,4 +1,5 @@",
      " static int fooblk_queue_rq(void)",
      " {",
      "+\tmapping_set_gfp_mask(inode->i_mapping, GFP_NOFS);",
      " \treturn 0;",
      " }",
      "",
    ].join("\n");
    const input = parsePatchText(patch, "t.patch");
    const sources = await withLocalHistory(await openTreeSources(repo), repo);
    await sources.prepare?.(input.patches);
    const result = review(input, sources, DEFAULT_CONFIG, loadKnowledge());
    const f = result.reviews[0]!.findings[0]!;
    expect(f.rule).toBe("mapping-gfp-mask");
    expect(f.localHistory?.map((c) => c.subject)).toEqual(["fooblk: use GFP_NOIO in fooblk_queue_rq", "fooblk: avoid a deadlock in teardown"]);
    const sha12 = f.localHistory![0]!.sha.slice(0, 12);
    expect(render(result, "text")).toContain(`here: commit ${sha12} ("fooblk: use GFP_NOIO in fooblk_queue_rq"`);
    expect(render(result, "email")).toContain(`commit ${sha12} ("fooblk: use GFP_NOIO in fooblk_queue_rq"`);
    const doc = JSON.parse(render(result, "json"));
    expect(doc.patches[0].findings[0].localHistory[0]).toMatchObject({ commit: f.localHistory![0]!.sha, subject: "fooblk: use GFP_NOIO in fooblk_queue_rq" });
  });
});

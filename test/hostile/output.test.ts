// Injection into terminals, mail and GitHub: control characters in a patch
// come out escaped in text, email and markdown (through the real CLI), and
// patch-derived words in GitHub comments cannot mention, link, embed or forge
// our fingerprint marker.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { finalMarker, markedFingerprints, marker } from "../../src/app/markers.js";
import { renderComment, renderSummary } from "../../src/app/render.js";
import { escapeControls, escapeGitHub, findingForGitHub } from "../../src/render/escape.js";
import type { Finding } from "../../src/types.js";

const ROOT = join(import.meta.dirname, "..", "..");
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;


const ESC = "\x1b";
const patch = [
  "From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001",
  "From: Pat <pat@example.org>",
  `Subject: [PATCH] fooblk: ${ESC}]0;owned${"\x07"}title`,
  "",
  `Looks fine.${ESC}[2J`,
  "---",
  "diff --git a/drivers/block/fooblk.c b/drivers/block/fooblk.c",
  "--- a/drivers/block/fooblk.c",
  "+++ b/drivers/block/fooblk.c",
  "@@ -4,6 +4,7 @@ static blk_status_t fooblk_queue_rq(struct blk_mq_hw_ctx *hctx,",
  " \tstruct request *rq = bd->rq;",
  " \tstruct fooblk_cmd *cmd = blk_mq_rq_to_pdu(rq);",
  " ",
  // the CR would send the cursor back and let the comment overwrite the allocation on a terminal
  `+\tcmd->sgt = kzalloc(sizeof(*cmd->sgt), GFP_KERNEL);\r/* harmless ${ESC}[1A\u202e */`,
  " \tif (!cmd->sgt)",
  " \t\treturn BLK_STS_RESOURCE;",
  " \treturn BLK_STS_OK;",
  "",
].join("\n");

describe("control characters from a patch", () => {
  for (const format of ["text", "email", "markdown"]) {
    it(`are shown escaped in --format ${format}`, () => {
      const r = spawnSync(process.execPath, [join(ROOT, "bin", "reclaim-review.js"), "review", "--format", format, "-"], { input: patch, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stdout).toContain("gfp-kernel-in-io-path");
      expect(r.stdout).not.toMatch(RAW);
      // the CR and the bidi override are shown, not obeyed (escape sequences do not survive the input edge at all)
      expect(r.stdout).toMatch(/GFP_KERNEL\);\\r\/\* harmless (\\e\[1A)?\\u202e \*\//);
    });
  }
  it("keeps TAB and LF and our own colours", () => {
    expect(escapeControls("a\tb\nc\x1b[31m")).toBe("a\tb\nc\\e[31m");
    expect(escapeControls("a\nb", true)).toBe("a\\nb");
    expect(escapeControls("\x9b\u2067")).toBe("\\x9b\\u2067");
    const colour = spawnSync(process.execPath, [join(ROOT, "bin", "reclaim-review.js"), "review", "--color", "-"], { input: patch, encoding: "utf8" });
    expect(colour.stdout).toContain("\x1b[1;33mWARNING\x1b[0m");
    expect(colour.stdout.replace(/\x1b\[[0-9;]*m/g, "")).not.toMatch(RAW);
  });
});

function finding(over: Partial<Finding>): Finding {
  return {
    rule: "gfp-kernel-in-io-path",
    class: "gfp-context",
    severity: "warning",
    file: "drivers/block/fooblk.c",
    line: 7,
    message: "GFP_KERNEL allocation in x()",
    fingerprint: "1f29099214aa23db",
    citations: [],
    messageId: "m",
    why: "why",
    fix: "fix",
    quote: null,
    function: null,
    ...over,
  };
}

describe("patch-derived words on GitHub", () => {
  const forged = marker("aaaaaaaaaaaaaaaa");
  const f = finding({
    message: `allocation in @torvalds/maintainers ![x](https://evil.example/p.png) [click](https://evil.example) <img src=x> ${forged} #123`,
    chain: ["a`b", "@c"],
    file: "drivers/`x`@y.c",
  });

  it("cannot mention, link, embed, add HTML or forge our marker in a comment", () => {
    const body = renderComment(findingForGitHub(f));
    expect(markedFingerprints(body)).toEqual([f.fingerprint]);
    expect(finalMarker(body)).toBe(f.fingerprint);
    expect(body).not.toMatch(/@torvalds/);
    expect(body).toContain("@\u200btorvalds/maintainers");
    expect(body).not.toContain("![x](");
    expect(body).not.toContain("[click](");
    // shown as text (backslash-escaped), never as HTML
    expect(body).not.toMatch(/(?<!\\)<img/);
    expect(body).not.toMatch(/https:\/\/evil/);
    expect(body).not.toMatch(/#123/);
  });

  it("keeps the check-run summary's locations inside their code spans", () => {
    const s = renderSummary({
      headSha: "a".repeat(40),
      current: [findingForGitHub(f)],
      commented: new Set(),
      outside: [],
      preExisting: [],
      resolved: [],
      suppressed: [],
      below: [],
      minSeverity: "warning",
      notes: [escapeGitHub("note about @someone <b>")],
      problems: [],
      configOrigin: "defaults",
    });
    expect(s).toContain("`drivers/'x'@y.c:7`");
    expect(s).not.toMatch(/@someone/);
    expect(s).not.toContain("<b>");
    for (const line of s.split("\n")) if (line.includes("fp=")) expect(finalMarker(line)).toBe(f.fingerprint);
  });
});

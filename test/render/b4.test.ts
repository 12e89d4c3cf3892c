import { docsUrl } from "../../src/render/common.js";
import { describe, expect, it } from "vitest";
import { render } from "../../src/render/index.js";
import { toB4 } from "../../src/render/b4.js";
import type { Finding, ReviewResult } from "../../src/types.js";
import { cleanPatch, findings, mainPatch, result } from "./fixture.js";

function only(fs: Finding[], errors: ReviewResult["reviews"][number]["errors"] = []): ReviewResult {
  return { ...result, reviews: [{ patch: mainPatch, findings: fs, errors }], covers: [], problems: [] };
}

describe("b4 format", () => {
  const text = render(result, "b4");

  it("matches the reviewed golden file", async () => {
    await expect(text).toMatchFileSnapshot("../fixtures/render/b4.txt");
  });

  it("is a JSON array of {tool, status, summary, url, details}", () => {
    const arr = JSON.parse(text) as Record<string, unknown>[];
    expect(Array.isArray(arr)).toBe(true);
    expect(arr).toHaveLength(2);
    for (const c of arr) {
      expect(Object.keys(c).sort()).toEqual(["details", "status", "summary", "tool", "url"]);
      expect(c.tool).toBe("reclaim-review");
      for (const v of Object.values(c)) expect(typeof v).toBe("string");
    }
  });

  it("fails on an error, warns on a warning or an incomplete review, passes otherwise", () => {
    expect(toB4(result).map((c) => c.status)).toEqual(["fail", "pass"]);
    expect(toB4(only([findings[1]!]))[0]!.status).toBe("warn");
    expect(toB4(only([], [{ rule: "x", message: "boom" }]))[0]!).toMatchObject({ status: "warn", summary: expect.stringContaining("review incomplete: 1 rule failed") });
    const info = toB4(only([findings[0]!]))[0]!;
    expect(info.status).toBe("pass");
    expect(info.details).toContain("- info patch lockdep-splat-in-message:");
  });

  it("summarises with counts and the most severe finding; url is the first citation, else the project page when one is set (none is made up)", () => {
    const c = toB4(result)[0]!;
    expect(c.summary).toBe("1 error, 2 warnings, 1 info: shrinker-waits-on-io at drivers/block/fooblk/cache.c:824 (review incomplete: 1 rule failed)");
    expect(c.url).toBe(findings[2]!.citations[0]!.url);
    expect(c.details.split("\n")[0]).toMatch(/^- error /);
    expect(c.details.split("\n")).toContain("- error drivers/block/fooblk/cache.c:824 shrinker-waits-on-io: fooblk_shrink_scan() waits for IO (wait_on_bit_io) from a shrinker callback");
    const clean = toB4({ ...result, reviews: [{ patch: cleanPatch, findings: [], errors: [] }], problems: [] })[0]!;
    expect(clean.url).toBe(docsUrl() ?? "");
    expect(clean.url).not.toContain("github.com/reclaim-review");
    expect(clean.summary).toBe("no memory-reclaim hazards found");
  });

  it("reports an input it could not review as a warning", () => {
    const c = toB4({ ...result, reviews: [] });
    expect(c).toHaveLength(1);
    expect(c[0]).toMatchObject({ status: "warn", summary: "could not review: no diff in this message" });
  });
});

// Subjects read like b4's LoreSubject.
import { describe, expect, it } from "vitest";
import { parseSubject } from "../../src/ingest/subject.js";

describe("parseSubject", () => {
  const cases: [string, string, ReturnType<typeof parseSubject>["series"], boolean][] = [
    ["[PATCH v2 3/7] mm: vmscan: stop kswapd waiting on IO", "mm: vmscan: stop kswapd waiting on IO", { version: 2, index: 3, total: 7, tags: [] }, false],
    ["[PATCHv3 net-next 01/27] net: use GFP_NOIO in rx refill", "net: use GFP_NOIO in rx refill", { version: 3, index: 1, total: 27, tags: ["net-next"] }, false],
    ["[RFC PATCH 0/4] memalloc scopes for loop", "memalloc scopes for loop", { version: 1, index: 0, total: 4, tags: ["RFC"] }, false],
    ["[PATCH RESEND] dm bufio: fix shrinker waiting on IO", "dm bufio: fix shrinker waiting on IO", { version: 1, index: null, total: null, tags: ["RESEND"] }, false],
    ["[PATCH] xfs: one thing", "xfs: one thing", { version: 1, index: null, total: null, tags: [] }, false],
    ["[PATCH 5.10 038/120] Revert \"dm bufio: x\"", "Revert \"dm bufio: x\"", { version: 1, index: 38, total: 120, tags: ["5.10"] }, false],
    ["[net] [PATCH v4 2/2] tcp: thing", "tcp: thing", { version: 4, index: 2, total: 2, tags: ["net"] }, false],
    ["[PATCH [net] 1/2] nested brackets", "nested brackets", { version: 1, index: 1, total: 2, tags: ["net"] }, false],
    ["Re: [PATCH v2 1/3] fs: a change", "fs: a change", { version: 2, index: 1, total: 3, tags: [] }, true],
    ["AW: Re: [PATCH] fs: a change", "fs: a change", { version: 1, index: null, total: null, tags: [] }, true],
    ["Fwd: [PATCH 2/2] fs: forwarded", "fs: forwarded", { version: 1, index: 2, total: 2, tags: [] }, true],
    ["mm: a subject without brackets", "mm: a subject without brackets", null, false],
    ["[PATCH  v2   1/2]   lots   of    spaces", "lots of spaces", { version: 2, index: 1, total: 2, tags: [] }, false],
  ];
  for (const [raw, subject, series, reply] of cases) {
    it(raw, () => {
      const s = parseSubject(raw);
      expect(s.subject).toBe(subject);
      expect(s.series).toEqual(series);
      expect(s.reply).toBe(reply);
    });
  }

  it("flags RFC and RESEND", () => {
    expect(parseSubject("[RFC PATCH RESEND v2] x")).toMatchObject({ rfc: true, resend: true, patch: true });
    expect(parseSubject("[GIT PULL] x")).toMatchObject({ rfc: false, resend: false, patch: false, series: { tags: ["GIT", "PULL"] } });
  });
});

describe("parseSubject on hostile input", () => {
  it("reads a long run of unclosed brackets as a plain subject (and returns: no quadratic regex)", () => {
    const s = parseSubject("[".repeat(200_000) + "x");
    expect(s.series).toBeNull();
    expect(s.subject.length).toBe(200_001);
  });
});

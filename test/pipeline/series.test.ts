// Which patches form a series, and in which order they apply.
import { describe, expect, it } from "vitest";
import { groupSeries, seriesKey } from "../../src/series.js";
import type { Patch } from "../../src/types.js";

function patch(source: string, subject: string, n: number | null, total: number | null, extra: Partial<Patch> = {}): Patch {
  return {
    source,
    subject,
    rawSubject: subject,
    messageId: null,
    inReplyTo: null,
    references: [],
    author: "Ann <ann@example.org>",
    date: null,
    message: "",
    series: n === null ? null : { version: 1, index: n, total, tags: [] },
    files: [],
    notes: [],
    ...extra,
  };
}

const ids = (groups: Patch[][]) => groups.map((g) => g.map((p) => p.subject));

describe("groupSeries", () => {
  it("orders a threaded series by n/m, whatever the order of the mails, and keeps lone patches apart", () => {
    const cover = { references: ["<c@x>"], inReplyTo: "<c@x>" };
    const ps = [
      patch("a.mbox#3", "two", 2, 3, cover),
      patch("a.mbox#1", "lone", null, null),
      patch("a.mbox#2", "one", 1, 3, cover),
      patch("a.mbox#4", "three", 3, 3, { ...cover, author: "Bob <bob@example.org>" }),
    ];
    expect(ids(groupSeries(ps))).toEqual([["one", "two", "three"], ["lone"]]);
  });

  it("without a cover: 1/n is the thread root of the others", () => {
    const ps = [patch("x#1", "one", 1, 2, { messageId: "<1@x>" }), patch("x#2", "two", 2, 2, { messageId: "<2@x>", inReplyTo: "<1@x>", references: ["<1@x>"] })];
    expect(seriesKey(ps[0]!)).toBe(seriesKey(ps[1]!));
    expect(ids(groupSeries(ps))).toEqual([["one", "two"]]);
  });

  it("without threading headers: the input file, the author, the version and the size tell series apart", () => {
    const ps = [
      patch("a.patch", "a2", 2, 2),
      patch("b.patch", "b1", 1, 2),
      patch("a.patch", "a1", 1, 2),
      patch("a.patch", "other author", 1, 2, { author: "Carl <carl@example.org>" }),
      patch("a.patch", "v2", 1, 2, { series: { version: 2, index: 1, total: 2, tags: [] } }),
    ];
    expect(ids(groupSeries(ps))).toEqual([["a1", "a2"], ["b1"], ["other author"], ["v2"]]);
  });

  it("a patch numbered 1/1 or without n/m is alone", () => {
    expect(seriesKey(patch("x", "s", 1, 1))).toBe(null);
    expect(seriesKey(patch("x", "s", null, null))).toBe(null);
  });
});

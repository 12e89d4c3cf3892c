// ALL_RULES is sorted without localeCompare (start-up cost): that is only the
// collation order while every id is lowercase words joined by "-".
import { describe, expect, it } from "vitest";
import { ALL_RULES } from "../../src/rules/index.js";

describe("ALL_RULES order", () => {
  it("ids are lowercase words joined by '-', sorted as localeCompare sorts them", () => {
    const ids = ALL_RULES.map((r) => r.meta.id);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
    expect(ids).toEqual([...ids].sort((a, b) => a.localeCompare(b)));
    expect(new Set(ids).size).toBe(ids.length);
  });
});

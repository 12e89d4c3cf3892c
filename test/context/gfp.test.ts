import { describe, expect, it } from "vitest";
import { decidedByCaller, evalMask, ternaryArms } from "../../src/context/gfp.js";
import { classifyCall } from "../../src/context/events.js";

const bits = (x: string) => {
  const m = evalMask(x);
  return { reclaim: m.reclaim, io: m.io, fs: m.fs };
};

describe("evalMask: a choice between two masks", () => {
  it("finds the arms of a top-level c ? a : b, not one inside parentheses", () => {
    expect(ternaryArms("atomic ? GFP_ATOMIC : GFP_KERNEL")).toEqual(["GFP_ATOMIC", "GFP_KERNEL"]);
    expect(ternaryArms("a ? (b ? GFP_NOIO : GFP_NOFS) : GFP_KERNEL")).toEqual(["(b ? GFP_NOIO : GFP_NOFS)", "GFP_KERNEL"]);
    expect(ternaryArms("a ? b ? GFP_NOIO : GFP_NOFS : GFP_KERNEL")).toEqual(["b ? GFP_NOIO : GFP_NOFS", "GFP_KERNEL"]);
    expect(ternaryArms("GFP_KERNEL | __GFP_ZERO")).toBeNull();
  });
  it("a bit is set when either arm sets it, and clear only when both clear it", () => {
    expect(bits("atomic ? GFP_ATOMIC : GFP_KERNEL")).toEqual({ reclaim: true, io: true, fs: true });
    expect(bits("x ? GFP_NOIO : GFP_NOFS")).toEqual({ reclaim: true, io: true, fs: false });
    expect(bits("x ? GFP_NOIO : GFP_NOIO | __GFP_ZERO")).toEqual({ reclaim: true, io: false, fs: false });
    expect(bits("x ? GFP_NOWAIT : GFP_ATOMIC").fs).toBe(false);
    expect(evalMask("atomic ? GFP_ATOMIC : GFP_KERNEL").name).toBeNull();
  });
  it("a helper handed a choice between two written-out masks may allocate with them", () => {
    const info = classifyCall("frob_alloc_page", ["i == 0 ? GFP_KERNEL : GFP_NOWAIT | __GFP_NOWARN"], null, () => null);
    expect(info.kind).toBe("alloc");
    if (info.kind === "alloc") expect(info.mask.fs).toBe(true);
    expect(classifyCall("frob_alloc_page", ["i == 0 ? gfp : GFP_NOWAIT"], null, () => null).kind).toBe("call");
  });
});

describe("decidedByCaller: a choice on a parameter is the caller's", () => {
  it("a condition on a parameter leaves the bits the arms disagree on unknown", () => {
    const m = decidedByCaller(evalMask("flags & FROB_ATOMIC ? GFP_ATOMIC : GFP_KERNEL"), ["mr", "flags"]);
    expect({ reclaim: m.reclaim, io: m.io, fs: m.fs }).toEqual({ reclaim: null, io: null, fs: null });
    const w = decidedByCaller(evalMask("for_write ? GFP_NOIO : GFP_KERNEL"), ["for_write"]);
    expect({ reclaim: w.reclaim, io: w.io, fs: w.fs }).toEqual({ reclaim: true, io: null, fs: null });
  });
  it("a condition on a local or on the task keeps the least strict arm", () => {
    for (const x of ["i == 0 ? GFP_NOFS : GFP_KERNEL", "in_interrupt() ? GFP_ATOMIC : GFP_KERNEL", "mr->atomic ? GFP_ATOMIC : GFP_KERNEL"]) {
      const m = decidedByCaller(evalMask(x), ["mr", "flags"]);
      expect(m.fs).toBe(true);
    }
  });
  it("arms that agree are kept whatever the condition", () => {
    const m = decidedByCaller(evalMask("flags ? GFP_NOIO : GFP_NOIO | __GFP_ZERO"), ["flags"]);
    expect({ io: m.io, fs: m.fs }).toEqual({ io: false, fs: false });
  });
});

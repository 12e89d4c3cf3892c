// The conditions a chain of calls runs under, read as facts about the root's
// objects (src/context/chain-conds.ts), and the early-exit guards the path
// walk records for them (FlowEvent.guards). Code written for these tests,
// modelled on HBA drivers whose reset path reuses chip set-up code that
// branches on the adapter's type.
import { beforeAll, describe, expect, it } from "vitest";
import { chainConflict, linksOf, type ChainEdge } from "../../src/context/chain-conds.js";
import { analyseFunction, functionName, type FunctionFlow } from "../../src/context/flow.js";
import { initParser, parseC } from "../../src/context/parser.js";
import { kappaDriver } from "../helpers/kappa-driver.js";

beforeAll(async () => {
  await initParser();
});

/** Every function of a C text, walked, with its own text. */
function walk(text: string): Map<string, { flow: FunctionFlow; text: string }> {
  const lines = text.split("\n");
  const out = new Map<string, { flow: FunctionFlow; text: string }>();
  const tree = parseC(text);
  try {
    for (const fn of tree.rootNode.descendantsOfType("function_definition")) {
      if (!fn) continue;
      const flow = analyseFunction(fn);
      out.set(functionName(fn)!, { flow, text: lines.slice(flow.start - 1, flow.end).join("\n") });
    }
  } finally {
    tree.delete();
  }
  return out;
}

const eventOf = (fns: Map<string, { flow: FunctionFlow }>, fn: string, callee: string) => fns.get(fn)!.flow.events.find((e) => e.callee === callee)!;

describe("guards: conditions an early exit leaves in force", () => {
  const fns = () =>
    walk(`int kappa_setup(struct kappa_host *h)
{
	struct kappa_hw *hw = h->hw;
	int rc;

	if (KAPPA_IS_LEGACY(hw)) {
		rc = kappa_legacy_load(h);
		if (rc == 0)
			goto done;
		else
			goto fail;
	}
	rc = kappa_load_fw(h);
	if (rc)
		return rc;
retry:
	rc = kappa_start(h);
	if (rc == -EAGAIN)
		goto retry;
	kappa_buffers(h);
done:
	kappa_version(h);
	return 0;
fail:
	return -EIO;
}

void kappa_poll(struct kappa_host *h, int n)
{
	switch (n) {
	case 1:
		if (!h->ready)
			break;
		kappa_one(h);
	case 2:
		kappa_two(h);
		break;
	}
	while (n--) {
		if (h->stop)
			continue;
		kappa_each(h);
	}
	kappa_after(h);
}`);

  it("a then-branch that always leaves (goto, return) guards what follows in its block", () => {
    const f = fns();
    expect(eventOf(f, "kappa_setup", "kappa_load_fw").guards).toEqual(["!(KAPPA_IS_LEGACY(hw))"]);
    expect(eventOf(f, "kappa_setup", "kappa_load_fw").conds).toBeUndefined();
    expect(eventOf(f, "kappa_setup", "kappa_start").guards).toEqual(["!(KAPPA_IS_LEGACY(hw))", "!(rc)"]);
  });

  it("a label that only gotos from inside the guarded stretch reach keeps the guards; one reached from outside ends them", () => {
    const f = fns();
    // `retry:` is reached from below it (inside the stretch): the legacy test still holds
    expect(eventOf(f, "kappa_setup", "kappa_buffers").guards).toEqual(["!(KAPPA_IS_LEGACY(hw))", "!(rc)", "!(rc==-EAGAIN)"]);
    // `done:` is reached from the legacy branch itself
    expect(eventOf(f, "kappa_setup", "kappa_version").guards).toBeUndefined();
  });

  it("break and continue leave too; a switch's next case and the code after the loop are not guarded", () => {
    const f = fns();
    expect(eventOf(f, "kappa_poll", "kappa_one").guards).toEqual(["!(!h->ready)"]);
    expect(eventOf(f, "kappa_poll", "kappa_two").guards).toBeUndefined();
    expect(eventOf(f, "kappa_poll", "kappa_each").guards).toEqual(["!(h->stop)"]);
    expect(eventOf(f, "kappa_poll", "kappa_after").guards).toBeUndefined();
  });
});

describe("guards in a fragment (the function's start not shown)", () => {
  it("ends them at any label: gotos from the lines not shown may land there", () => {
    const text = "int kappa_tail(struct kappa_host *h)\n{\n\tif (KAPPA_IS_LEGACY(h->hw))\n\t\treturn 0;\n\tkappa_before(h);\nagain:\n\tkappa_after(h);\n\treturn 0;\n}\n";
    const tree = parseC(text);
    try {
      const fn = tree.rootNode.descendantsOfType("function_definition")[0]!;
      for (const [entryVisible, after] of [[true, ["!(KAPPA_IS_LEGACY(h->hw))"]], [false, undefined]] as const) {
        const flow = analyseFunction(fn, { entryVisible });
        expect(flow.events.find((e) => e.callee === "kappa_before")!.guards).toEqual(["!(KAPPA_IS_LEGACY(h->hw))"]);
        expect(flow.events.find((e) => e.callee === "kappa_after")!.guards).toEqual(after);
      }
    } finally {
      tree.delete();
    }
  });
});

describe("chainConflict: a chain whose calls need one fact of the root's objects both ways", () => {
  const driver = (root: string, helper = "", setup = "") => kappaDriver({ alloc: "vmalloc(h->dump_len)", root, helper, setup });
  const edges: ChainEdge[] = [
    { caller: "kappa_host_reset", callee: "kappa_ctx_reset", file: "k.c", line: 0 },
    { caller: "kappa_ctx_reset", callee: "kappa_setup", file: "k.c", line: 0 },
    { caller: "kappa_setup", callee: "kappa_alloc_dump", file: "k.c", line: 0 },
  ];
  const conflict = (text: string) => {
    const fns = walk(text);
    // each edge at the line of its one call
    const at = edges.map((e) => ({ ...e, line: eventOf(fns, e.caller, e.callee).line }));
    return chainConflict(linksOf(at, (_f, name) => fns.get(name) ?? null));
  };

  it("finds the root's test carried through a parameter and a local alias (h->hw as hw)", () => {
    expect(conflict(driver("\tif (KAPPA_IS_LEGACY(h->hw))\n\t\tkappa_ctx_reset(h);"))).toEqual({
      fact: "KAPPA_IS_LEGACY(h->hw)",
      whenTrue: "kappa_host_reset",
      whenFalse: "kappa_setup",
    });
  });

  it("is null when the root calls under the other value, or under no test of that object", () => {
    expect(conflict(driver("\tif (!KAPPA_IS_LEGACY(h->hw))\n\t\tkappa_ctx_reset(h);"))).toBeNull();
    expect(conflict(driver("\tkappa_ctx_reset(h);"))).toBeNull();
    // another object's type says nothing about this one's
    expect(conflict(driver("\tif (KAPPA_IS_LEGACY(h->peer_hw))\n\t\tkappa_ctx_reset(h);"))).toBeNull();
  });

  it("is null when a link reassigns the parameter it passes on, or writes the member the test reads", () => {
    expect(conflict(driver("\tif (KAPPA_IS_LEGACY(h->hw))\n\t\tkappa_ctx_reset(h);", "\thost = kappa_primary(host);"))).toBeNull();
    expect(conflict(driver("\tif (KAPPA_IS_LEGACY(h->hw))\n\t\tkappa_ctx_reset(h);", "\thost->hw = kappa_fallback_hw(host);"))).toBeNull();
  });

  it("reads only fixed properties: a state field, its comparison, a volatile read, a disjunction or a call says nothing", () => {
    const flagged = (rootCond: string, setupCond: string) =>
      conflict(driver(`\tif (${rootCond})\n\t\tkappa_ctx_reset(h);`).replace("if (KAPPA_IS_LEGACY(hw)) {", `if (${setupCond}) {`));
    // a helper the set-up calls first may change a state field: not carried
    expect(flagged("h->hw->mode == KAPPA_MODE_TARGET", "hw->mode == KAPPA_MODE_TARGET")).toBeNull();
    expect(flagged("h->hw->nvme_only", "hw->nvme_only")).toBeNull();
    expect(flagged("READ_ONCE(h->hw)", "READ_ONCE(hw)")).toBeNull();
    expect(flagged("KAPPA_IS_LEGACY(h->hw) || KAPPA_IS_OLD(h->hw)", "KAPPA_IS_LEGACY(hw)")).toBeNull();
    expect(flagged("kappa_is_legacy(h->hw)", "kappa_is_legacy(hw)")).toBeNull();
    // an early exit on a disjunction needs each part false; on a conjunction, neither alone
    expect(flagged("KAPPA_IS_LEGACY(h->hw)", "KAPPA_IS_LEGACY(hw) || KAPPA_IS_OLD(hw)")?.fact).toBe("KAPPA_IS_LEGACY(h->hw)");
    expect(flagged("KAPPA_IS_LEGACY(h->hw)", "KAPPA_IS_LEGACY(hw) && KAPPA_IS_OLD(hw)")).toBeNull();
  });
});

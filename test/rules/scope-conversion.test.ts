import { rule } from "../../src/rules/gfp-context/scope-conversion.js";
import { describe, expect, it } from "vitest";
import { ruleTester, runRule } from "../helpers/rule-tester.js";

const before = `static int snark_fill(struct snark_ctx *sc)
{
	sc->a = kmalloc(64, GFP_NOFS);
	sc->b = kmalloc(64, GFP_NOFS);
	return snark_go(sc);
}
`;
const converted = `static int snark_fill(struct snark_ctx *sc)
{
	unsigned int nofs = memalloc_nofs_save();
	int ret;

	sc->a = kmalloc(64, GFP_KERNEL);
	sc->b = kmalloc(64, GFP_KERNEL);
	ret = snark_go(sc);
	memalloc_nofs_restore(nofs);
	return ret;
}
`;

ruleTester(rule, {
  valid: [
    { name: "no scope added (plain GFP_NOFS change)", patch: { files: [{ path: "fs/snark/fill.c", before, after: before.replace("64, GFP_NOFS);\n\tsc->b", "128, GFP_NOFS);\n\tsc->b") }] } },
    { name: "scope only removed", patch: { files: [{ path: "fs/snark/fill.c", before: converted, after: before }] } },
    {
      name: "the scope API header itself",
      patch: {
        files: [
          {
            path: "include/linux/sched/mm.h",
            before: "static inline int snark(void)\n{\n\treturn 0;\n}\n",
            after: "static inline int snark(void)\n{\n\tunsigned int f = memalloc_nofs_save();\n\n\tmemalloc_nofs_restore(f);\n\treturn 0;\n}\n",
          },
        ],
      },
    },
  ],
  invalid: [
    {
      name: "memalloc_noreclaim_save() is not a NOFS/NOIO scope: said on its own",
      patch: { files: [{ path: "net/snark/tx.c", before, after: before.replace("\treturn snark_go(sc);\n", "\tnoreclaim = memalloc_noreclaim_save();\n\tsnark_tx(sc);\n\tmemalloc_noreclaim_restore(noreclaim);\n\treturn snark_go(sc);\n") }] },
      errors: [{ messageId: "noreclaimAdded", severity: "info" }],
    },
    {
      name: "per-call GFP_NOFS replaced by a scope",
      patch: { files: [{ path: "fs/snark/fill.c", before, after: converted }] },
      errors: [{ messageId: "scopeAdded", line: 3, severity: "info" }],
    },
    {
      name: "noio scope added in a driver",
      patch: {
        files: [
          {
            path: "drivers/block/snark.c",
            before: "static void snark_reset(struct snark_dev *sd)\n{\n\tsnark_hw_reset(sd);\n}\n",
            after: "static void snark_reset(struct snark_dev *sd)\n{\n\tunsigned int noio = memalloc_noio_save();\n\n\tsnark_hw_reset(sd);\n\tmemalloc_noio_restore(noio);\n}\n",
          },
        ],
      },
      errors: [{ messageId: "scopeAdded", line: 3 }],
    },
    {
      name: "scope whose restore is not visible: still one info finding",
      patch: {
        files: [
          {
            path: "fs/snark/fill.c",
            before,
            after: before.replace("\tsc->a", "\tsc->nofs = memalloc_nofs_save();\n\tsc->a"),
          },
        ],
      },
      errors: [{ messageId: "scopeAdded", line: 3, severity: "info" }],
    },
  ],
});

describe("scope-conversion balance wording", () => {
  const unrestored = converted.replace("\tmemalloc_nofs_restore(nofs);\n", "");
  it("points at unbalanced-scope's finding instead of repeating it", () => {
    const [f] = runRule(rule, { files: [{ path: "fs/snark/fill.c", before, after: unrestored }] });
    expect(f!.message).toContain("see the unbalanced-scope finding");
    expect(f!.message).not.toContain("no restore of nofs");
  });
  it("says a scope saved into an object is handed over, and that its restore was not checked", () => {
    const [f] = runRule(rule, { files: [{ path: "fs/snark/fill.c", before, after: before.replace("\tsc->a", "\tsc->nofs = memalloc_nofs_save();\n\tsc->a") }] });
    expect(f!.message).toContain("saved into sc->nofs is handed over");
    expect(f!.message).toContain("not checked");
  });
  it("claims every path restores only when the whole function is visible", () => {
    const [f] = runRule(rule, { files: [{ path: "fs/snark/fill.c", before, after: converted }] });
    expect(f!.message).toMatch(/every path (?:out of|shown)/);
  });
});

// A pair of helpers: one returns the value it saved (its caller holds the scope), the other restores a value it is
// handed; the return types sit on lines of their own, as kernel headers write them.
const HELPERS_BEFORE = `static inline bool snark_can_poll(struct snark_queue *q)
{
	return q->poll > 0;
}
`;
const HELPERS_AFTER = `${HELPERS_BEFORE}
static inline unsigned int __must_check
snark_enter_quiet(struct snark_queue *q)
{
	unsigned int flags = memalloc_noio_save();

	snark_block_io(q);
	return flags;
}

static inline void
snark_exit_quiet(struct snark_queue *q, unsigned int flags)
{
	snark_unblock_io(q);
	memalloc_noio_restore(flags);
}
`;

describe("scope-conversion: a scope returned to the callers", () => {
  it("says the helper returns the saved value and who restores one, not that every path restores it", () => {
    const [f] = runRule(rule, { files: [{ path: "drivers/snark/snark.h", before: HELPERS_BEFORE, after: HELPERS_AFTER }] });
    expect(f!.message).toContain("snark_enter_quiet() returns the saved value to its callers, which must restore it on every path (snark_exit_quiet() restores a value handed in); the callers were not checked here");
    expect(f!.message).not.toContain("every path out of");
  });
});

describe("scope-conversion: a device's runtime-PM NOIO flag", () => {
  // written for this test, modelled on a disk registration that unwinds on error
  const add = (cleared: string) => `static int tome_add_disk(struct tome_disk *td)
{
	struct device *ddev = &td->dev;
	int ret;

	ret = device_add(ddev);
	if (ret)
		return ret;
	pm_runtime_set_memalloc_noio(ddev, true);
	ret = tome_register_queue(td);
	if (ret)
		goto out_del;
	return 0;
out_del:
${cleared}	device_del(ddev);
	return ret;
}
`;
  it("recognises the flag cleared on an error path, saying what it does", () => {
    const f = runRule(rule, { context: 20, files: [{ path: "drivers/block/tome.c", before: add(""), after: add("\tpm_runtime_set_memalloc_noio(ddev, false);\n") }] });
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[15, "info", "deviceNoio"]]);
    expect(f[0]!.message).toContain("tome_add_disk() clears the runtime-PM NOIO flag of ddev (pm_runtime_set_memalloc_noio(..., false))");
  });
  it("is quiet on an unchanged call", () => {
    const same = add("\tpm_runtime_set_memalloc_noio(ddev, false);\n");
    expect(runRule(rule, { context: 20, files: [{ path: "drivers/block/tome.c", before: same, after: same.replace("return 0;", "td->live = true;\n\treturn 0;") }] })).toEqual([]);
  });
});

// gfp-arg-misplaced: an allocator's gfp mask passed in another argument's
// slot, diff-only. The fixture is written for this test, modelled on a bio
// polling context allocated on the submission path.
import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/gfp-context/gfp-arg-misplaced.js";
import { runRule, ruleTester } from "../helpers/rule-tester.js";

const before = `static struct zeb_poll_ctx *zeb_poll_ctx_get(struct zeb_io_context *ioc)
{
	struct zeb_poll_ctx *pc;
	unsigned int size = sizeof(*pc) + ZEB_POLL_SLOTS * sizeof(pc->slot[0]);

	pc = READ_ONCE(ioc->poll_ctx);
	return pc;
}
`;
/** The same function with one more statement before the return (new line 7). */
const withCall = (stmt: string) => ({ files: [{ path: "block/zeb-poll.c", before, after: before.replace("\treturn pc;\n}", `\t${stmt}\n\treturn pc;\n}`) }] });

ruleTester(rule, {
  valid: [
    { name: "the mask in its slot", patch: withCall("pc = kzalloc(size, GFP_ATOMIC);") },
    { name: "a gfp variable in its slot", patch: withCall("pc = kzalloc(size, ioc->gfp_mask);") },
    { name: "a mask made of flags in its slot", patch: withCall("pc = kzalloc(size, GFP_NOIO | __GFP_NOWARN);") },
    { name: "kcalloc with the mask third", patch: withCall("pc = kcalloc(ZEB_POLL_SLOTS, size, GFP_NOIO);") },
    { name: "bio_alloc's signature before v5.18 (mask first)", patch: withCall("bio = bio_alloc(GFP_NOIO, nr_vecs);") },
    { name: "kvrealloc's signature before v6.12 (mask fourth)", patch: withCall("pc = kvrealloc(pc, old, size, GFP_KERNEL);") },
    { name: "an allocator with no gfp argument", patch: withCall("pc = vzalloc(size);") },
    { name: "a call with more arguments than the known signature (another variant of the name)", patch: withCall("bio = bio_alloc(ioc->bdev, sector, 0, 0, 1, GFP_NOIO);") },
    { name: "a mask after the gfp slot", patch: withCall("pc = kzalloc(size, flags, GFP_NOIO);") },
    {
      name: "a misplaced mask on a line the patch does not touch",
      patch: {
        files: [
          {
            path: "block/zeb-poll.c",
            before: before.replace("\treturn pc;\n}", "\tpc = kzalloc(GFP_ATOMIC, size);\n\treturn pc;\n}"),
            after: before.replace("\treturn pc;\n}", "\tpc = kzalloc(GFP_ATOMIC, size);\n\tWRITE_ONCE(ioc->poll_ctx, pc);\n\treturn pc;\n}"),
          },
        ],
      },
    },
  ],
  invalid: [
    { name: "kzalloc with size and mask swapped", patch: withCall("pc = kzalloc(GFP_ATOMIC, size);"), errors: [{ messageId: "misplaced", line: 7, severity: "warning" }] },
    { name: "kmalloc_array with the mask first", patch: withCall("pc = kmalloc_array(GFP_NOIO, ZEB_POLL_SLOTS, size);"), errors: [{ messageId: "misplaced", line: 7 }] },
    { name: "mempool_alloc with the pool in the mask's place", patch: withCall("pc = mempool_alloc(GFP_NOIO, ioc->pool);"), errors: [{ messageId: "misplaced", line: 7 }] },
    { name: "GFP_KERNEL swapped with the size: a note", patch: withCall("pc = kzalloc(GFP_KERNEL, size);"), errors: [{ messageId: "misplacedAllowing", line: 7, severity: "info" }] },
  ],
});

describe("gfp-arg-misplaced: what it says", () => {
  it("names both slots and gives the call with the arguments swapped", () => {
    const [f] = runRule(rule, withCall("pc = kzalloc(GFP_ATOMIC, size);"));
    expect(f!.message).toContain("kzalloc() takes its gfp mask as the second argument, but GFP_ATOMIC is passed as the first and size in the mask's place");
    expect(f!.fix).toBe("Swap the arguments: kzalloc(size, GFP_ATOMIC).");
  });
});

import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/shrinker-io/shrinker-gfp-test.js";
import { maskBitTested } from "../../src/rules/util/shrinker-scope.js";
import { ruleTester, runRule } from "../helpers/rule-tester.js";

// Fixtures written for these tests: a made-up buffer cache whose scan callback trylocks.
const scan = `static unsigned long bcache2_shrink_scan(struct shrinker *s,
					 struct shrink_control *sc)
{
	struct bc2 *c = container_of(s, struct bc2, shrinker);
	unsigned long freed;

	if (!mutex_trylock(&c->lock))
		return SHRINK_STOP;
	freed = bc2_scan(c, sc->nr_to_scan);
	mutex_unlock(&c->lock);
	return freed;
}
`;

// A helper the scan callback passes the reclaim caller's mask to.
const helper = `static bool bc2_try_evict(struct bc2_buf *b, gfp_t gfp)
{
	if (!(gfp & __GFP_IO) && bc2_dirty(b))
		return false;
	return bc2_free(b);
}

static unsigned long bc2_shrink_scan(struct shrinker *s, struct shrink_control *sc)
{
	return bc2_try_evict(bc2_lru(s), sc->gfp_mask);
}
`;

const renamed = (src: string) => src.replace(/bc2_try_evict/g, "pick").replace(/bc2_shrink_scan/g, "reap").replace(/bc2/g, "wob");

describe("maskBitTested", () => {
  const sc = /\bsc\s*(?:->|\.)\s*gfp_mask\b|\bgfp\b/;
  it("finds the bit a mask test uses, on either side of the &", () => {
    expect(maskBitTested("if (!(sc->gfp_mask & __GFP_FS))", sc)).toBe("__GFP_FS");
    expect(maskBitTested("if ((gfp & __GFP_IO) == 0)", sc)).toBe("__GFP_IO");
    expect(maskBitTested("if (__GFP_FS & gfp)", sc)).toBe("__GFP_FS");
  });
  it("ignores masks passed to allocations and other masks", () => {
    expect(maskBitTested("p = kmalloc(len, GFP_NOFS);", sc)).toBeNull();
    expect(maskBitTested("if (cc->gfp_mask & __GFP_FS)", sc)).toBeNull();
  });
});

ruleTester(rule, {
  valid: [
    {
      name: "mask test outside a shrinker (a compaction control's mask)",
      patch: {
        files: [
          {
            path: "mm/compaction.c",
            before: "static bool may_compact(struct compact_control *cc)\n{\n\treturn true;\n}\n",
            after: "static bool may_compact(struct compact_control *cc)\n{\n\tif (!(cc->gfp_mask & __GFP_FS))\n\t\treturn false;\n\treturn true;\n}\n",
          },
        ],
      },
    },
    {
      name: "allocation with GFP_NOFS inside a shrinker is not a mask test",
      patch: { files: [{ path: "drivers/md/bcache2.c", before: scan, after: scan.replace("\tunsigned long freed;\n", "\tunsigned long freed;\n\tvoid *p = kmalloc(16, GFP_NOFS | __GFP_NOWARN);\n") }] },
    },
    {
      name: "bit switched in a gfp helper with no shrinker in sight",
      patch: { files: [{ path: "drivers/md/bcache2.c", before: helper.split("\n\n")[0] + "\n", after: helper.split("\n\n")[0]!.replace("gfp & __GFP_IO", "gfp & __GFP_FS") + "\n" }] },
    },
    {
      name: "existing test removed",
      patch: { files: [{ path: "drivers/md/bcache2.c", before: helper, after: helper.replace("\tif (!(gfp & __GFP_IO) && bc2_dirty(b))\n\t\treturn false;\n", "") }] },
    },
    {
      name: "existing test reformatted, same bit",
      patch: { context: 8, files: [{ path: "drivers/md/bcache2.c", before: helper, after: helper.replace("if (!(gfp & __GFP_IO) && bc2_dirty(b))", "if (!(gfp & __GFP_IO) &&\n\t    bc2_dirty(b))") }] },
    },
    {
      name: "a test of another structure's mask inside a shrinker",
      patch: {
        files: [
          {
            path: "drivers/md/bcache2.c",
            before: scan,
            after: scan.replace("\tunsigned long freed;\n", "\tstruct bc2_ctl *ctl = c->ctl;\n\tunsigned long freed;\n\n\tif (ctl->gfp_mask & __GFP_IO)\n\t\tbc2_note(c);\n"),
          },
        ],
      },
    },
  ],
  invalid: [
    {
      name: "bit switched from __GFP_IO to __GFP_FS in a helper the scan callback passes its mask to",
      patch: { context: 8, files: [{ path: "drivers/md/bcache2.c", before: helper, after: helper.replace("gfp & __GFP_IO", "gfp & __GFP_FS") }] },
      errors: [{ messageId: "changedBit", line: 3, severity: "warning" }],
    },
    {
      name: "the same switch with every name changed",
      patch: { context: 8, files: [{ path: "drivers/md/wob.c", before: renamed(helper), after: renamed(helper).replace("gfp & __GFP_IO", "gfp & __GFP_FS") }] },
      errors: [{ messageId: "changedBit", line: 3, severity: "warning" }],
    },
    {
      name: "bit switched in the scan callback itself",
      patch: {
        files: [
          {
            path: "drivers/md/bcache2.c",
            before: scan.replace("\tif (!mutex_trylock", "\tif (!(sc->gfp_mask & __GFP_IO))\n\t\treturn SHRINK_STOP;\n\tif (!mutex_trylock"),
            after: scan.replace("\tif (!mutex_trylock", "\tif (!(sc->gfp_mask & __GFP_FS))\n\t\treturn SHRINK_STOP;\n\tif (!mutex_trylock"),
          },
        ],
      },
      errors: [{ messageId: "changedBit", line: 7, severity: "warning" }],
    },
    {
      name: "test added to choose a sleeping lock over the trylock (info: the lock is shrinker-blocking's)",
      patch: {
        files: [
          {
            path: "drivers/md/bcache2.c",
            before: scan,
            after: scan.replace("\tif (!mutex_trylock(&c->lock))\n\t\treturn SHRINK_STOP;", "\tif (sc->gfp_mask & __GFP_FS)\n\t\tmutex_lock(&c->lock);\n\telse if (!mutex_trylock(&c->lock))\n\t\treturn SHRINK_STOP;"),
          },
        ],
      },
      errors: [{ messageId: "gatesBlocking", line: 7, severity: "info" }],
    },
    {
      name: "test on a local copy added to an existing shrinker: a changelog naming a caller changes nothing",
      patch: {
        message: "Reclaim from the loop worker deadlocks when this shrinker blocks.",
        files: [
          {
            path: "drivers/md/bcache2.c",
            before: scan,
            after: scan.replace("\tunsigned long freed;\n", "\tunsigned long freed;\n\tgfp_t mask = sc->gfp_mask;\n\n\tif (!(mask & __GFP_IO))\n\t\treturn SHRINK_STOP;\n"),
          },
        ],
      },
      errors: [{ messageId: "added", line: 8, severity: "info" }],
    },
    {
      name: "new shrinker that simply bails out without __GFP_FS",
      patch: {
        files: [
          {
            path: "fs/quuxfs/cache.c",
            before: "static int quuxfs_cache_init(void)\n{\n\treturn 0;\n}\n",
            after:
              "static unsigned long quuxfs_cache_scan(struct shrinker *s, struct shrink_control *sc)\n{\n\tif (!(sc->gfp_mask & __GFP_FS))\n\t\treturn SHRINK_STOP;\n\treturn quuxfs_prune(sc->nr_to_scan);\n}\n\n" +
              "static int quuxfs_cache_init(void)\n{\n\treturn 0;\n}\n",
          },
        ],
      },
      errors: [{ messageId: "added", line: 3, severity: "info" }],
    },
  ],
});

describe("shrinker-gfp-test wording", () => {
  it("names the shrinker path and both bits", () => {
    const [f] = runRule(rule, { context: 8, files: [{ path: "drivers/md/bcache2.c", before: helper, after: helper.replace("gfp & __GFP_IO", "gfp & __GFP_FS") }] });
    expect(f!.message).toContain("now tests __GFP_FS instead of __GFP_IO");
    expect(f!.message).toContain("bc2_shrink_scan (a shrinker callback (by its struct shrink_control parameter)) -> bc2_try_evict");
    expect(f!.fix).toContain("memalloc_noio_save()");
  });
});

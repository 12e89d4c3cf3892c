import { describe, expect, it } from "vitest";
import { gfpTestOn, rule } from "../../src/rules/shrinker-io/shrinker-gfp-test.js";
import { ruleTester } from "../helpers/rule-tester.js";

// A made-up buffer cache whose scan callback picks lock or trylock.
const scan = `static unsigned long bcache2_shrink_scan(struct shrinker *s,
					 struct shrink_control *sc)
{
	struct bc2 *c = container_of(s, struct bc2, shrinker);
	unsigned long freed;

	if (!bc2_trylock(c))
		return SHRINK_STOP;
	freed = bc2_scan(c, sc->nr_to_scan);
	bc2_unlock(c);
	return freed;
}
`;

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

describe("gfpTestOn", () => {
  it("finds the bit a mask test uses", () => {
    expect(gfpTestOn("if (!(sc->gfp_mask & __GFP_FS))", new Set())).toBe("__GFP_FS");
    expect(gfpTestOn("if ((gfp & __GFP_IO) == 0)", new Set())).toBe("__GFP_IO");
    expect(gfpTestOn("if (!gfpflags_allow_blocking(sc->gfp_mask))", new Set())).toBe("gfpflags_allow_blocking");
    expect(gfpTestOn("p = kmalloc(len, GFP_NOFS);", new Set())).toBeNull();
  });
});

ruleTester(rule, {
  valid: [
    {
      name: "mask test outside a shrinker (vmscan-style scan_control)",
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
      patch: { files: [{ path: "drivers/md/bcache2.c", before: scan, after: scan.replace("\tunsigned long freed;\n", "\tunsigned long freed;\n\tvoid *p = kmalloc(16, GFP_NOFS);\n") }] },
    },
    {
      name: "bit switched in a gfp helper with no shrinker in sight",
      patch: { files: [{ path: "drivers/md/bcache2.c", before: helper, after: helper.replace("gfp & __GFP_IO", "gfp & __GFP_FS") }] },
    },
    {
      name: "existing test removed",
      patch: { files: [{ path: "drivers/md/bcache2.c", before: helper, after: helper.replace("\tif (!(gfp & __GFP_IO) && bc2_dirty(b))\n\t\treturn false;\n", "") }] },
    },
    {
      name: "existing test reformatted, same bit",
      patch: { files: [{ path: "drivers/md/bcache2.c", before: helper, after: helper.replace("if (!(gfp & __GFP_IO) && bc2_dirty(b))", "if (!(gfp & __GFP_IO) &&\n\t    bc2_dirty(b))") }] },
    },
  ],
  invalid: [
    {
      name: "bit switched from __GFP_IO to __GFP_FS in a helper the scan callback calls",
      patch: { context: 8, files: [{ path: "drivers/md/bcache2.c", before: helper, after: helper.replace("gfp & __GFP_IO", "gfp & __GFP_FS") }] },
      errors: [{ messageId: "changedBit", line: 3, severity: "warning" }],
    },
    {
      name: "test added to choose a sleeping lock over the trylock: info, shrinker-blocking warns on the lock",
      patch: {
        files: [
          {
            path: "drivers/md/bcache2.c",
            before: scan,
            after: scan.replace("\tif (!bc2_trylock(c))\n\t\treturn SHRINK_STOP;", "\tif (sc->gfp_mask & __GFP_FS)\n\t\tbc2_lock(c);\n\telse if (!bc2_trylock(c))\n\t\treturn SHRINK_STOP;"),
          },
        ],
      },
      errors: [{ messageId: "workaround", line: 7, severity: "info" }],
    },
    {
      name: "test on a local copy added to an existing shrinker with a loop-device changelog",
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
      errors: [{ messageId: "workaround", line: 8, severity: "warning" }],
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
      errors: [{ messageId: "bailOut", line: 3, severity: "info" }],
    },
  ],
});

import { describe, expect, it } from "vitest";
import { scanFile } from "../../src/context/c-scan.js";
import { findLockWrappers, wrapperLockExpr, wrappersKey } from "../../src/context/lock-wrappers.js";
import { rule as allocWhileHolding } from "../../src/rules/gfp-context/alloc-while-holding.js";
import { reviewWithTree } from "../helpers/tree-review.js";

// Fixtures written for these tests, modelled on a device-mapper target's metadata code and a filesystem header
// that wraps its rwsems in a small struct.
const header = `struct vane_rwsem {
	struct rw_semaphore internal_rwsem;
};

static inline void vane_down_write(struct vane_rwsem *sem)
{
	down_write(&sem->internal_rwsem);
}

static inline void vane_up_write(struct vane_rwsem *sem)
{
	up_write(&sem->internal_rwsem);
}

static inline void vane_lock_op(struct vane_sb_info *sbi)
{
	vane_down_write(&sbi->cp_rwsem);
}

static inline int vane_trylock_op(struct vane_sb_info *sbi)
{
	return down_read_trylock(&sbi->cp_rwsem.internal_rwsem);
}

static inline void vane_lock_maybe(struct vane_sb_info *sbi, bool wait)
{
	if (wait)
		mutex_lock(&sbi->sync_lock);
}

static inline void vane_lock_scoped(struct vane_sb_info *sbi)
{
	mutex_lock(&sbi->sync_lock);
	sbi->nofs = memalloc_nofs_save();
}

static inline void vane_lock_twice(struct vane_sb_info *sbi)
{
	mutex_lock(&sbi->sync_lock);
	mutex_lock(&sbi->umount_lock);
}
`;
const other = `static void vane_lock_dup(struct vane_sb_info *sbi)
{
	mutex_lock(&sbi->a_lock);
}

static void vane_long(struct vane_sb_info *sbi)
{
	mutex_lock(&sbi->a_lock);
	vane_a(sbi);
	vane_b(sbi);
	vane_c(sbi);
	vane_d(sbi);
}
`;
const dup = `static void vane_lock_dup(struct vane_sb_info *sbi)
{
	mutex_lock(&sbi->b_lock);
}
`;

function wrappersOf(files: Record<string, string>) {
  const scans = new Map(Object.entries(files).map(([f, t]) => [f, scanFile(t)]));
  return findLockWrappers(Object.keys(files), scans, (f) => files[f]);
}

describe("lock wrappers", () => {
  it("finds functions that take or drop one lock for their caller, and wrappers over wrappers", () => {
    const w = wrappersOf({ "fs/vane/vane.h": header });
    expect([...w.keys()].sort()).toEqual(["vane_down_write", "vane_lock_op", "vane_trylock_op", "vane_up_write"]);
    expect(w.get("vane_down_write")).toMatchObject({ kind: "rwsem", op: "acquire", param: 0, template: "&$->internal_rwsem" });
    expect(w.get("vane_up_write")).toMatchObject({ op: "release" });
    expect(w.get("vane_lock_op")).toMatchObject({ kind: "rwsem", op: "acquire", template: "&$->cp_rwsem" });
    expect(w.get("vane_trylock_op")).toMatchObject({ op: "try" });
  });

  it("leaves out conditional takes, helpers that also open a scope, two locks, long functions and names defined twice", () => {
    const w = wrappersOf({ "fs/vane/vane.h": header, "fs/vane/a.c": other, "fs/vane/b.c": dup });
    for (const n of ["vane_lock_maybe", "vane_lock_scoped", "vane_lock_twice", "vane_long", "vane_lock_dup"]) expect(w.has(n)).toBe(false);
  });

  it("keys a call by the lock object the caller names", () => {
    const w = wrappersOf({ "fs/vane/vane.h": header });
    expect(wrapperLockExpr(w.get("vane_down_write")!, ["&sbi->sb_lock"])).toBe("&sbi->sb_lock");
    expect(wrapperLockExpr(w.get("vane_lock_op")!, ["sbi"])).toBe("&sbi->cp_rwsem");
    expect(wrapperLockExpr(w.get("vane_lock_op")!, ["VANE_SB(sb)"])).toBe("&(VANE_SB(sb))->cp_rwsem");
    expect(wrapperLockExpr(w.get("vane_lock_op")!, [])).toBeNull();
    expect(wrappersKey(w)).toBe(wrappersKey(wrappersOf({ "fs/vane/vane.h": header })));
    expect(wrappersKey(new Map())).toBe("");
  });
});

// A zoned target's metadata: the map lock is taken through a wrapper on both sides, by the shrinker of cached
// metadata blocks and around a chunk mapping that allocates.
const meta = (mask: string) => `void vane_lock_map(struct vane_metadata *zmd)
{
	mutex_lock(&zmd->map_lock);
}

void vane_unlock_map(struct vane_metadata *zmd)
{
	mutex_unlock(&zmd->map_lock);
}

static unsigned long vane_mblock_shrink_scan(struct shrinker *shrink, struct shrink_control *sc)
{
	struct vane_metadata *zmd = shrink->private_data;
	unsigned long count;

	vane_lock_map(zmd);
	count = vane_shrink_mblock_cache(zmd, sc->nr_to_scan);
	vane_unlock_map(zmd);
	return count ? count : SHRINK_STOP;
}

int vane_map_chunk(struct vane_metadata *zmd, unsigned int chunk)
{
	struct vane_map *m;

	vane_lock_map(zmd);
	m = kzalloc(sizeof(*m), ${mask});
	if (m)
		vane_insert_map(zmd, chunk, m);
	vane_unlock_map(zmd);
	return m ? 0 : -ENOMEM;
}

int vane_mblock_shrinker_init(struct vane_metadata *zmd)
{
	zmd->mblk_shrinker = shrinker_alloc(0, "vane-mblk");
	if (!zmd->mblk_shrinker)
		return -ENOMEM;
	zmd->mblk_shrinker->scan_objects = vane_mblock_shrink_scan;
	zmd->mblk_shrinker->private_data = zmd;
	shrinker_register(zmd->mblk_shrinker);
	return 0;
}
`;

describe("lock wrappers in the reclaim analysis", () => {
  it("an allocation under a wrapper-taken lock that the shrinker takes through the same wrapper is a warning", async () => {
    const f = await reviewWithTree(new Map([["drivers/md/vane-metadata.c", meta("GFP_NOIO")]]), { files: [{ path: "drivers/md/vane-metadata.c", before: meta("GFP_NOIO"), after: meta("GFP_KERNEL") }] }, [allocWhileHolding]);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[27, "warning", "lockTaken"]]);
    expect(f[0]!.message).toContain("while &zmd->map_lock is held");
    expect(f[0]!.message).toContain("vane_mblock_shrink_scan -> vane_lock_map");
  });

  it("GFP_NOIO under it is quiet, and so is GFP_KERNEL after the wrapper dropped it", async () => {
    expect(await reviewWithTree(new Map([["drivers/md/vane-metadata.c", meta("GFP_KERNEL")]]), { files: [{ path: "drivers/md/vane-metadata.c", before: meta("GFP_KERNEL"), after: meta("GFP_NOIO") }] }, [allocWhileHolding])).toEqual([]);
    const after = meta("GFP_NOIO").replace("\tm = kzalloc(sizeof(*m), GFP_NOIO);\n\tif (m)\n\t\tvane_insert_map(zmd, chunk, m);\n\tvane_unlock_map(zmd);\n", "\tvane_unlock_map(zmd);\n\tm = kzalloc(sizeof(*m), GFP_KERNEL);\n\tif (m)\n\t\tvane_insert_map(zmd, chunk, m);\n");
    expect(await reviewWithTree(new Map([["drivers/md/vane-metadata.c", meta("GFP_NOIO")]]), { files: [{ path: "drivers/md/vane-metadata.c", before: meta("GFP_NOIO"), after }] }, [allocWhileHolding])).toEqual([]);
  });
});

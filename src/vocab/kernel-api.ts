// Kernel API vocabulary: allocators and where their gfp argument sits, scope
// calls, lock and wait primitives, workqueue calls and system queues,
// transaction/journal handle APIs, and the ops-table fields that give a
// function a role reclaim or IO waits on. Data only, each entry with where it
// comes from (`src`: the file in linux-6.12 that defines or documents it,
// `since`/`until`: the releases between which it holds). Both the diff-only
// and the source-tree analysis read this one table; rules and context never
// keep name lists of their own.

export interface Provenance {
  /** Where the entry comes from: a file of linux-6.12 (or a commit). */
  src: string;
  /** First release the entry holds for ("v5.17"). */
  since?: string;
  /** First release it no longer holds for. */
  until?: string;
}

// ---------------------------------------------------------------- allocators

export type AllocFamily = "slab" | "page" | "vmalloc" | "mempool" | "bio" | "skb" | "dma" | "xarray" | "percpu" | "other";

export interface Allocator extends Provenance {
  /** 0-based index of the gfp_t argument; null: always allocates as GFP_KERNEL (no gfp argument). */
  gfpArg: number | null;
  family: AllocFamily;
  /** Where the gfp_t argument sat before the signature changed (a patch for an older kernel passes it there). */
  formerGfpArg?: { arg: number; until: string };
}

const slab = (gfpArg: number): Allocator => ({ gfpArg, family: "slab", src: "include/linux/slab.h" });
const page = (gfpArg: number, src = "include/linux/gfp.h"): Allocator => ({ gfpArg, family: "page", src });
const implicitVmalloc: Allocator = { gfpArg: null, family: "vmalloc", src: "include/linux/vmalloc.h" };

/** Calls that allocate memory, by name (the `_noprof` variants resolve to these). */
export const ALLOCATORS: Readonly<Record<string, Allocator>> = {
  kmalloc: slab(1),
  kzalloc: slab(1),
  kmalloc_node: slab(1),
  kzalloc_node: slab(1),
  __kmalloc: slab(1),
  kcalloc: slab(2),
  kcalloc_node: slab(2),
  kmalloc_array: slab(2),
  kmalloc_array_node: slab(2),
  krealloc: slab(2),
  krealloc_array: slab(3),
  kmalloc_obj: slab(1),
  kvmalloc: slab(1),
  kvzalloc: slab(1),
  kvmalloc_node: slab(1),
  kvzalloc_node: slab(1),
  kvcalloc: slab(2),
  kvmalloc_array: slab(2),
  kvrealloc: { gfpArg: 2, formerGfpArg: { arg: 3, until: "v6.12" }, family: "slab", src: "include/linux/slab.h (kvrealloc(p, size, gfp) since v6.12; before: kvrealloc(p, oldsize, newsize, gfp))" },
  kmem_cache_alloc: slab(1),
  kmem_cache_zalloc: slab(1),
  kmem_cache_alloc_node: slab(1),
  kmem_cache_alloc_lru: slab(2),
  kmemdup: { gfpArg: 2, family: "slab", src: "include/linux/string.h" },
  kmemdup_nul: { gfpArg: 2, family: "slab", src: "include/linux/string.h" },
  kmemdup_array: { gfpArg: 3, family: "slab", src: "include/linux/string.h" },
  kstrdup: { gfpArg: 1, family: "slab", src: "include/linux/string.h" },
  kstrdup_const: { gfpArg: 1, family: "slab", src: "include/linux/string.h" },
  kstrndup: { gfpArg: 2, family: "slab", src: "include/linux/string.h" },
  kasprintf: { gfpArg: 0, family: "slab", src: "include/linux/sprintf.h" },
  kvasprintf: { gfpArg: 0, family: "slab", src: "include/linux/sprintf.h" },
  devm_kmalloc: { gfpArg: 2, family: "slab", src: "include/linux/device/devres.h" },
  devm_kzalloc: { gfpArg: 2, family: "slab", src: "include/linux/device/devres.h" },
  devm_kcalloc: { gfpArg: 3, family: "slab", src: "include/linux/device/devres.h" },
  alloc_pages: page(0),
  alloc_page: page(0),
  alloc_pages_node: page(1),
  __alloc_pages: page(0),
  __get_free_pages: page(0),
  __get_free_page: page(0),
  get_zeroed_page: page(0),
  folio_alloc: page(0),
  __folio_alloc: page(0),
  filemap_alloc_folio: page(0, "include/linux/pagemap.h"),
  __page_cache_alloc: page(0, "include/linux/pagemap.h (filemap_alloc_folio(gfp, 0))"),
  pagecache_get_page: page(3, "include/linux/pagemap.h"),
  read_cache_page_gfp: page(2, "include/linux/pagemap.h"),
  __filemap_get_folio: page(3, "include/linux/pagemap.h"),
  find_or_create_page: page(2, "include/linux/pagemap.h"),
  vmalloc: implicitVmalloc,
  vzalloc: implicitVmalloc,
  vmalloc_node: implicitVmalloc,
  vzalloc_node: implicitVmalloc,
  vmalloc_user: implicitVmalloc,
  vmalloc_32: implicitVmalloc,
  vmalloc_array: implicitVmalloc,
  vcalloc: implicitVmalloc,
  __vmalloc: { gfpArg: 1, family: "vmalloc", src: "include/linux/vmalloc.h" },
  __vmalloc_node: { gfpArg: 2, family: "vmalloc", src: "include/linux/vmalloc.h" },
  mempool_alloc: { gfpArg: 1, family: "mempool", src: "include/linux/mempool.h" },
  mempool_create: { gfpArg: null, family: "mempool", src: "mm/mempool.c (GFP_KERNEL)" },
  mempool_create_kmalloc_pool: { gfpArg: null, family: "mempool", src: "include/linux/mempool.h (GFP_KERNEL)" },
  mempool_create_slab_pool: { gfpArg: null, family: "mempool", src: "include/linux/mempool.h (GFP_KERNEL)" },
  mempool_create_page_pool: { gfpArg: null, family: "mempool", src: "include/linux/mempool.h (GFP_KERNEL)" },
  bio_alloc: { gfpArg: 3, formerGfpArg: { arg: 0, until: "v5.18" }, family: "bio", src: "include/linux/bio.h (bio_alloc(bdev, nr_vecs, opf, gfp) since v5.18; before: bio_alloc(gfp, nr_iovecs))" },
  bio_alloc_bioset: { gfpArg: 3, formerGfpArg: { arg: 0, until: "v5.18" }, family: "bio", src: "include/linux/bio.h (bio_alloc_bioset(bdev, nr_vecs, opf, gfp, bs) since v5.18; before: bio_alloc_bioset(gfp, nr_iovecs, bs))" },
  bio_kmalloc: { gfpArg: 1, formerGfpArg: { arg: 0, until: "v5.18" }, family: "bio", src: "include/linux/bio.h (bio_kmalloc(nr_vecs, gfp) since v5.18; before: bio_kmalloc(gfp, nr_iovecs))" },
  bio_alloc_clone: { gfpArg: 2, family: "bio", src: "include/linux/bio.h" },
  bio_clone_fast: { gfpArg: 1, family: "bio", src: "include/linux/bio.h", until: "v5.18" },
  alloc_skb: { gfpArg: 1, family: "skb", src: "include/linux/skbuff.h" },
  skb_clone: { gfpArg: 1, family: "skb", src: "include/linux/skbuff.h" },
  skb_copy: { gfpArg: 1, family: "skb", src: "include/linux/skbuff.h" },
  dma_alloc_coherent: { gfpArg: 3, family: "dma", src: "include/linux/dma-mapping.h" },
  dma_pool_alloc: { gfpArg: 1, family: "dma", src: "include/linux/dmapool.h" },
  dma_pool_zalloc: { gfpArg: 1, family: "dma", src: "include/linux/dmapool.h" },
  idr_alloc: { gfpArg: 4, family: "xarray", src: "include/linux/idr.h" },
  idr_alloc_cyclic: { gfpArg: 4, family: "xarray", src: "include/linux/idr.h" },
  ida_alloc: { gfpArg: 1, family: "xarray", src: "include/linux/idr.h" },
  ida_alloc_range: { gfpArg: 3, family: "xarray", src: "include/linux/idr.h" },
  ida_simple_get: { gfpArg: 3, family: "xarray", src: "include/linux/idr.h", until: "v6.12" },
  xa_store: { gfpArg: 3, family: "xarray", src: "include/linux/xarray.h" },
  xa_insert: { gfpArg: 3, family: "xarray", src: "include/linux/xarray.h" },
  xa_alloc: { gfpArg: 4, family: "xarray", src: "include/linux/xarray.h" },
  xa_alloc_cyclic: { gfpArg: 5, family: "xarray", src: "include/linux/xarray.h" },
  xa_reserve: { gfpArg: 2, family: "xarray", src: "include/linux/xarray.h" },
  radix_tree_preload: { gfpArg: 0, family: "xarray", src: "include/linux/radix-tree.h" },
  sg_alloc_table: { gfpArg: 2, family: "other", src: "include/linux/scatterlist.h" },
  kthread_create: { gfpArg: null, family: "other", src: "kernel/kthread.c (waits for kthreadd, allocates GFP_KERNEL)" },
  kthread_run: { gfpArg: null, family: "other", src: "include/linux/kthread.h" },
  kthread_create_on_node: { gfpArg: null, family: "other", src: "kernel/kthread.c" },
  // a socket's inode comes from sockfs with GFP_KERNEL (sock_alloc_inode(): alloc_inode_sb(sb, sock_inode_cachep,
  // GFP_KERNEL)); every way of creating a socket allocates it first
  sock_alloc: { gfpArg: null, family: "other", src: "net/socket.c sock_alloc() -> new_inode_pseudo() -> sock_alloc_inode(): alloc_inode_sb(..., GFP_KERNEL)" },
  __sock_create: { gfpArg: null, family: "other", src: "net/socket.c __sock_create() -> sock_alloc()" },
  sock_create: { gfpArg: null, family: "other", src: "net/socket.c sock_create() -> __sock_create()" },
  sock_create_kern: { gfpArg: null, family: "other", src: "net/socket.c sock_create_kern() -> __sock_create()" },
  sock_create_lite: { gfpArg: null, family: "other", src: "net/socket.c sock_create_lite() -> sock_alloc()" },
  // a uevent builds its environment and the netlink message with GFP_KERNEL (and may run the user-mode helper)
  kobject_uevent: { gfpArg: null, family: "other", src: "lib/kobject_uevent.c kobject_uevent() -> kobject_uevent_env()" },
  kobject_uevent_env: { gfpArg: null, family: "other", src: "lib/kobject_uevent.c kobject_uevent_env(): kzalloc(sizeof(struct kobj_uevent_env), GFP_KERNEL), kobject_get_path(kobj, GFP_KERNEL)" },
  // per-CPU memory: the plain forms pass GFP_KERNEL to pcpu_alloc_noprof(), which then takes pcpu_alloc_mutex and
  // may populate chunks with vmalloc'd pages; a mask without GFP_KERNEL's bits makes it an atomic allocation
  alloc_percpu: { gfpArg: null, family: "percpu", src: "include/linux/percpu.h alloc_percpu() -> __alloc_percpu() -> pcpu_alloc_noprof(..., GFP_KERNEL)" },
  __alloc_percpu: { gfpArg: null, family: "percpu", src: "include/linux/percpu.h __alloc_percpu(): pcpu_alloc_noprof(..., GFP_KERNEL)" },
  alloc_percpu_gfp: { gfpArg: 1, family: "percpu", src: "include/linux/percpu.h" },
  __alloc_percpu_gfp: { gfpArg: 2, family: "percpu", src: "include/linux/percpu.h" },
};

/**
 * Fields that give a filesystem a write path (include/linux/fs.h): a directory whose address_space_operations
 * tables and file_operations set none of them writes no file data, so its bio completions are reads, which page
 * reclaim never waits for (it skips locked folios; it waits only for writeback).
 */
export const WRITE_PATH_FIELDS: Readonly<Record<string, Provenance>> = {
  writepages: { src: "include/linux/fs.h struct address_space_operations" },
  writepage: { src: "include/linux/fs.h struct address_space_operations" },
  write_begin: { src: "include/linux/fs.h struct address_space_operations" },
  dirty_folio: { src: "include/linux/fs.h struct address_space_operations" },
  write_iter: { src: "include/linux/fs.h struct file_operations" },
  write: { src: "include/linux/fs.h struct file_operations" },
};

/**
 * Ops tables only a filesystem registers: a directory that sets one and none of BLOCK_DRIVER_TABLES is a
 * filesystem's, whose work its own writeback waits on (include/linux/fs.h). GFP_NOFS keeps reclaim out of it.
 */
export const FILESYSTEM_TABLES: ReadonlySet<string> = new Set(["super_operations", "address_space_operations"]);
/** Ops tables of a block driver (include/linux/blk-mq.h, include/linux/blkdev.h): block IO, which reclaim issues, waits on its work. */
export const BLOCK_DRIVER_TABLES: ReadonlySet<string> = new Set(["blk_mq_ops", "block_device_operations"]);

/**
 * Reference drops that return true when the caller dropped the last reference (and, for the _lock forms, hold the
 * lock): the branch they guard is the object's release, which runs only when no other user holds the object.
 */
export const LAST_REFERENCE_TESTS: Readonly<Record<string, Provenance>> = {
  refcount_dec_and_test: { src: "include/linux/refcount.h" },
  refcount_dec_and_mutex_lock: { src: "include/linux/refcount.h" },
  refcount_dec_and_lock: { src: "include/linux/refcount.h" },
  refcount_dec_and_lock_irqsave: { src: "include/linux/refcount.h" },
  atomic_dec_and_test: { src: "include/linux/atomic/atomic-instrumented.h" },
  atomic_dec_and_lock: { src: "include/linux/spinlock.h" },
  atomic_dec_and_mutex_lock: { src: "include/linux/mutex.h" },
  kref_put: { src: "include/linux/kref.h (returns 1 when it called the release function)" },
};

/**
 * Calls below which a disk's request queue takes no IO that waits for its unfreeze. Before device_add_disk()
 * returns, no filesystem, swap device or other opener has the disk, and its deletion (del_gendisk(), which freezes
 * the queue and takes its locks) cannot run; del_gendisk() marks the disk dead before it takes the queue's locks, and
 * a new bio to a dead disk fails in bio_queue_enter() instead of waiting for the unfreeze. A lock of that queue held
 * below such a call is not one a frozen queue's IO waits for.
 */
export const DISK_NOT_LIVE_CALLS: Readonly<Record<string, Provenance>> = {
  device_add_disk: { src: "block/genhd.c device_add_disk() (the disk is announced, and can be opened, at its end)" },
  add_disk: { src: "include/linux/blkdev.h add_disk() (calls device_add_disk())" },
  del_gendisk: { src: "block/genhd.c del_gendisk() (__blk_mark_disk_dead() sets GD_DEAD before blk_unregister_queue()); block/blk-core.c __bio_queue_enter() (fails with -ENODEV on GD_DEAD)" },
};

/**
 * Substrings every allocator name (and every gfp mask word) contains: a
 * prefilter for diff-only review that never drops a patch with an allocation.
 */
export function allocationNeedles(): string[] {
  const all = ["GFP_", "alloc", ...Object.keys(ALLOCATORS)];
  // drop a needle that contains another: a text holding the longer one holds the shorter
  return all.filter((n, i) => all.indexOf(n) === i && !all.some((m) => m !== n && n.includes(m)));
}

/** The allocator a call names ("kmalloc_noprof" -> kmalloc), or undefined. */
export function allocatorOf(name: string): (Allocator & { name: string }) | undefined {
  const base = name.endsWith("_noprof") ? name.slice(0, -"_noprof".length) : name;
  const a = ALLOCATORS[base];
  return a ? { ...a, name: base } : undefined;
}

/** Allocators that may fall back to vmalloc (mm/util.c kvmalloc_node, mm/vmalloc.c). */
export const VMALLOC_BACKED: ReadonlySet<string> = new Set([
  ...Object.entries(ALLOCATORS).filter(([, a]) => a.family === "vmalloc").map(([n]) => n),
  "kvmalloc", "kvzalloc", "kvmalloc_node", "kvzalloc_node", "kvcalloc", "kvmalloc_array", "kvrealloc",
]);

/**
 * Calls that take a gfp mask but do not allocate with it now: they test it,
 * compute another from it, or store it for later (include/linux/gfp.h,
 * include/linux/pagemap.h, include/linux/radix-tree.h, include/linux/xarray.h).
 * Any other call given a mask is taken at its word: a function with a gfp_t
 * parameter may allocate with it.
 */
export const MASK_NOT_ALLOCATING: Readonly<Record<string, Provenance & { stores?: boolean }>> = {
  mapping_set_gfp_mask: { src: "include/linux/pagemap.h", stores: true },
  mapping_gfp_constraint: { src: "include/linux/pagemap.h" },
  current_gfp_context: { src: "include/linux/sched/mm.h" },
  gfpflags_allow_blocking: { src: "include/linux/gfp.h" },
  gfp_has_io_fs: { src: "include/linux/gfp.h" },
  gfp_zone: { src: "include/linux/gfp.h" },
  gfp_migratetype: { src: "include/linux/gfp.h" },
  gfp_compaction_allowed: { src: "include/linux/gfp.h" },
  memalloc_retry_wait: { src: "include/linux/sched/mm.h (reads the mask, with the task's scope applied, to choose how long to sleep before an allocation is retried)" },
  INIT_RADIX_TREE: { src: "include/linux/radix-tree.h", stores: true },
  RADIX_TREE_INIT: { src: "include/linux/radix-tree.h", stores: true },
  xa_init_flags: { src: "include/linux/xarray.h", stores: true },
  WARN_ON: { src: "include/asm-generic/bug.h" },
  WARN_ON_ONCE: { src: "include/asm-generic/bug.h" },
  BUG_ON: { src: "include/asm-generic/bug.h" },
  VM_BUG_ON: { src: "include/linux/mmdebug.h" },
  VM_WARN_ON_ONCE: { src: "include/linux/mmdebug.h" },
  trace_printk: { src: "include/linux/kernel.h" },
};

/**
 * Calls whose value, or whose allocation, carries an address_space's own gfp mask (the one its owner set with
 * mapping_set_gfp_mask(), often without __GFP_FS): `mappingArg` is the mapping's argument. Found on a line a patch
 * deletes, such a call proves the API existed in the patch's base, so entries are not gated by release.
 */
export const MAPPING_MASK_SOURCES: Readonly<Record<string, Provenance & { mappingArg: number }>> = {
  mapping_gfp_mask: { mappingArg: 0, src: "include/linux/pagemap.h" },
  mapping_gfp_constraint: { mappingArg: 0, src: "include/linux/pagemap.h (mapping_gfp_mask(mapping) & gfp)" },
  readahead_gfp_mask: { mappingArg: 0, src: "include/linux/pagemap.h (mapping_gfp_mask(x) | __GFP_NORETRY | __GFP_NOWARN)" },
  grab_cache_page: { mappingArg: 0, src: "include/linux/pagemap.h (find_or_create_page(mapping, index, mapping_gfp_mask(mapping)))" },
  filemap_grab_folio: { mappingArg: 0, src: "include/linux/pagemap.h (__filemap_get_folio(..., mapping_gfp_mask(mapping)))" },
  read_mapping_page: { mappingArg: 0, src: "include/linux/pagemap.h (read_cache_page(): the mapping's mask)" },
  read_mapping_folio: { mappingArg: 0, src: "include/linux/pagemap.h (read_cache_folio(): the mapping's mask)" },
  page_cache_alloc: { mappingArg: 0, src: "include/linux/pagemap.h before \"mm: remove page_cache_alloc()\" (not in linux-6.12): __page_cache_alloc(mapping_gfp_mask(x))" },
  page_cache_alloc_cold: { mappingArg: 0, src: "include/linux/pagemap.h before 453f85d43fa9 (\"mm: remove __GFP_COLD\", v4.15): mapping_gfp_mask(x) | __GFP_COLD" },
  page_cache_alloc_readahead: { mappingArg: 0, src: "include/linux/pagemap.h before 453f85d43fa9 (v4.15): mapping_gfp_mask(x) | __GFP_COLD | __GFP_NORETRY | __GFP_NOWARN" },
};

/** vmalloc and kvmalloc honour a NOFS/NOIO mask or scope for their page tables only since v5.17. */
export const VMALLOC_HONOURS_SCOPE: Provenance & { commits: string[] } = {
  src: "mm/vmalloc.c __vmalloc_area_node (memalloc_nofs_save/memalloc_noio_save around the page-table allocation)",
  since: "v5.17",
  commits: ["451769ebb7e7", "a421ef303008"],
};

// ---------------------------------------------------------------- gfp masks

/** What a mask lets reclaim do: enter direct reclaim, start IO, call into filesystems. */
export interface GfpBits {
  reclaim: boolean;
  io: boolean;
  fs: boolean;
}

const KERNEL: GfpBits = { reclaim: true, io: true, fs: true };
const NOFS: GfpBits = { reclaim: true, io: true, fs: false };
const NOIO: GfpBits = { reclaim: true, io: false, fs: false };
const NONE: GfpBits = { reclaim: false, io: false, fs: false };

/** Named masks (include/linux/gfp_types.h). Modifiers that do not touch reclaim map to NONE and OR in harmlessly. */
export const GFP_MASKS: Readonly<Record<string, GfpBits>> = {
  GFP_KERNEL: KERNEL,
  GFP_KERNEL_ACCOUNT: KERNEL,
  GFP_USER: KERNEL,
  GFP_HIGHUSER: KERNEL,
  GFP_HIGHUSER_MOVABLE: KERNEL,
  GFP_TRANSHUGE: KERNEL,
  GFP_NOFS: NOFS,
  GFP_NOIO: NOIO,
  GFP_ATOMIC: NONE,
  GFP_NOWAIT: NONE,
  GFP_TRANSHUGE_LIGHT: NONE,
  GFP_DMA: NONE,
  GFP_DMA32: NONE,
  __GFP_FS: { reclaim: false, io: false, fs: true },
  __GFP_IO: { reclaim: false, io: true, fs: false },
  __GFP_DIRECT_RECLAIM: { reclaim: true, io: false, fs: false },
  __GFP_RECLAIM: { reclaim: true, io: false, fs: false },
  __GFP_KSWAPD_RECLAIM: NONE,
};

/** Modifiers that leave the reclaim bits alone (so `GFP_KERNEL | __GFP_ZERO` is GFP_KERNEL for our purposes). */
export const GFP_MODIFIERS: ReadonlySet<string> = new Set([
  "__GFP_ZERO", "__GFP_NOWARN", "__GFP_COMP", "__GFP_NORETRY", "__GFP_RETRY_MAYFAIL", "__GFP_NOFAIL", "__GFP_HIGHMEM",
  "__GFP_MOVABLE", "__GFP_ACCOUNT", "__GFP_NOLOCKDEP", "__GFP_HARDWALL", "__GFP_THISNODE", "__GFP_NOMEMALLOC",
  "__GFP_MEMALLOC", "__GFP_HIGH", "__GFP_DMA", "__GFP_DMA32", "__GFP_RECLAIMABLE", "__GFP_WRITE", "__GFP_ZEROTAGS",
  "__GFP_SKIP_ZERO", "__GFP_SKIP_KASAN", "__GFP_NO_OBJ_EXT", "__GFP_UNMAPPED",
]);

/**
 * Where the gfp and scope machinery itself lives: the headers that define the masks and the memalloc_*() helpers,
 * prctl's PR_SET_IO_FLUSHER (it sets the task flags), the page allocator that applies the task's scope to every
 * mask (current_gfp_context() in the slow path), and reclaim, which runs under its own PF_MEMALLOC. A scope, a task
 * flag or a NOFS/NOIO mask written there is the machinery at work, not a caller stating its context. The rest of
 * mm/ (readahead, vmalloc, swap IO, the page cache) calls the API like any other code
 * (f2c817bed58d "mm: use memalloc_nofs_save in readahead path" is such a caller).
 */
export const SCOPE_API_FILES: { re: RegExp } & Provenance = {
  re: /^(?:include\/linux\/(?:gfp[\w_]*|sched\/mm|sched)\.h|kernel\/sys\.c|mm\/(?:page_alloc|vmscan|internal)\.[ch])$/,
  src: "include/linux/gfp.h, include/linux/gfp_types.h, include/linux/sched/mm.h, include/linux/sched.h, kernel/sys.c (PR_SET_IO_FLUSHER), mm/page_alloc.c, mm/vmscan.c, mm/internal.h",
};

/** Filesystem-private mask words that mean NOFS (data with its filesystem's source). */
export const PRIVATE_NOFS_MASKS: Readonly<Record<string, Provenance>> = {
  KM_NOFS: { src: "fs/xfs/kmem.h (removed in v6.8 with the kmem wrappers)", until: "v6.8" },
  XFS_TRANS_NOFS: { src: "fs/xfs/xfs_shared.h (transaction flag, before the NOFS scope became implicit)" },
};

// ---------------------------------------------------------------- scopes

export type ScopeKind = "noio" | "nofs" | "noreclaim" | "pin";

export interface ScopeCall extends Provenance {
  kind: ScopeKind;
  op: "save" | "restore";
}

export const SCOPE_CALLS: Readonly<Record<string, ScopeCall>> = {
  memalloc_noio_save: { kind: "noio", op: "save", src: "include/linux/sched/mm.h", since: "v3.9" },
  memalloc_noio_restore: { kind: "noio", op: "restore", src: "include/linux/sched/mm.h", since: "v3.9" },
  memalloc_nofs_save: { kind: "nofs", op: "save", src: "include/linux/sched/mm.h", since: "v4.12" },
  memalloc_nofs_restore: { kind: "nofs", op: "restore", src: "include/linux/sched/mm.h", since: "v4.12" },
  memalloc_noreclaim_save: { kind: "noreclaim", op: "save", src: "include/linux/sched/mm.h" },
  memalloc_noreclaim_restore: { kind: "noreclaim", op: "restore", src: "include/linux/sched/mm.h" },
  memalloc_pin_save: { kind: "pin", op: "save", src: "include/linux/sched/mm.h" },
  memalloc_pin_restore: { kind: "pin", op: "restore", src: "include/linux/sched/mm.h" },
};

/** Calls that start a kernel thread running their first argument (include/linux/kthread.h). */
export const THREAD_SPAWNERS: Readonly<Record<string, Provenance>> = {
  kthread_create: { src: "include/linux/kthread.h" },
  kthread_run: { src: "include/linux/kthread.h" },
  kthread_create_on_node: { src: "include/linux/kthread.h" },
  kthread_create_on_cpu: { src: "include/linux/kthread.h" },
  kthread_run_on_cpu: { src: "include/linux/kthread.h" },
  kthread_create_worker: { src: "include/linux/kthread.h (runs kthread_worker_fn; the work is queued on it)" },
  kthread_run_worker: { src: "include/linux/kthread.h" },
};

/**
 * lockdep annotations by which code declares what reclaim takes: between fs_reclaim_acquire() and
 * fs_reclaim_release(), a might_lock() (or a lock taken) tells lockdep the lock is taken in reclaim, so that any
 * allocation that may enter FS reclaim while it is held is reported at once (shrinkers prime their locks this way).
 */
export const RECLAIM_LOCKDEP_PRIME: Readonly<{ enter: Record<string, Provenance>; exit: Record<string, Provenance>; declare: Record<string, Provenance> }> = {
  enter: { fs_reclaim_acquire: { src: "include/linux/sched/mm.h, mm/page_alloc.c" } },
  exit: { fs_reclaim_release: { src: "include/linux/sched/mm.h, mm/page_alloc.c" } },
  declare: { might_lock: { src: "include/linux/lockdep.h" }, might_lock_nested: { src: "include/linux/lockdep.h" } },
};

/**
 * A device's runtime-PM NOIO flag: with it set, rpm_callback() runs the device's runtime suspend/resume callbacks
 * under memalloc_noio_save() (a block device, and the devices its IO passes through, set it so that resuming them
 * cannot start IO that waits for them); setting it marks the ancestors too, clearing it unmarks them unless another
 * child still has it set.
 * `arg`: the argument that says set (true) or clear (false).
 */
export const DEVICE_NOIO_FLAG: Readonly<Record<string, Provenance & { arg: number }>> = {
  pm_runtime_set_memalloc_noio: { arg: 1, src: "include/linux/pm_runtime.h; drivers/base/power/runtime.c pm_runtime_set_memalloc_noio(), rpm_callback()" },
};

/**
 * What a function reads to learn the calling task's allocation context: its flags (PF_MEMALLOC_NOIO/NOFS, the
 * worker and kswapd bits), the mask with the task's scope applied, the workqueue it runs on.
 */
export const TASK_CONTEXT_READS: Readonly<Record<string, Provenance & { what: string }>> = {
  "current->flags": { what: "the task's flags (PF_MEMALLOC_NOIO/NOFS, PF_WQ_WORKER, PF_KSWAPD)", src: "include/linux/sched.h" },
  current_gfp_context: { what: "the mask with the task's NOFS/NOIO scope applied", src: "include/linux/sched/mm.h" },
  current_workqueue: { what: "the workqueue the task runs work of", src: "include/linux/workqueue.h, kernel/workqueue.c (added after linux-6.12; not in its tree)" },
  current_is_kswapd: { what: "whether the task is kswapd", src: "include/linux/swap.h" },
  current_is_workqueue_rescuer: { what: "whether the task is a workqueue rescuer", src: "include/linux/workqueue.h, kernel/workqueue.c" },
};

/** memalloc_flags_save(PF_x) / memalloc_flags_restore(old): the common base since 2024. */
export const FLAGS_SCOPE_CALLS: Readonly<Record<string, Provenance & { op: "save" | "restore" }>> = {
  // introduced by 3f6d5e6a468d; present in linux-6.12 (the release it first shipped in is not recorded here)
  memalloc_flags_save: { op: "save", src: "include/linux/sched/mm.h (3f6d5e6a468d)", since: "v6.12" },
  memalloc_flags_restore: { op: "restore", src: "include/linux/sched/mm.h (3f6d5e6a468d)", since: "v6.12" },
  current_restore_flags: { op: "restore", src: "include/linux/sched.h" },
};

/** Task flags that set a scope (include/linux/sched.h). */
export const PF_SCOPE_FLAGS: Readonly<Record<string, ScopeKind | "throttle">> = {
  PF_MEMALLOC_NOIO: "noio",
  PF_MEMALLOC_NOFS: "nofs",
  PF_MEMALLOC: "noreclaim",
  PF_MEMALLOC_PIN: "pin",
  PF_LOCAL_THROTTLE: "throttle",
  PF_LESS_THROTTLE: "throttle",
};

/** What each scope clears from every allocation in it (current_gfp_context(), include/linux/sched/mm.h). */
export const SCOPE_CLEARS: Readonly<Record<ScopeKind, { io: boolean; fs: boolean; reclaim: boolean }>> = {
  noio: { io: true, fs: true, reclaim: false },
  nofs: { io: false, fs: true, reclaim: false },
  noreclaim: { io: true, fs: true, reclaim: true },
  pin: { io: false, fs: false, reclaim: false },
};

// ---------------------------------------------------------------- locks

/** sleeping: may be held across an allocation that reclaims; spinning: an allocation under it must not sleep at all. */
export type LockKind = "mutex" | "rwsem" | "semaphore" | "spinlock" | "rwlock" | "rcu" | "folio" | "buffer" | "inode" | "bit" | "freeze" | "fence";

export interface LockCall extends Provenance {
  kind: LockKind;
  op: "acquire" | "release" | "try";
  /** Argument index of the lock expression (default 0). */
  arg?: number;
  /** For acquire/try of readers-writers locks. */
  shared?: boolean;
  /** The lockdep map the call takes whatever its arguments (a section, not a lock object). */
  map?: string;
  /**
   * A freeze's acquire: how findings name the state it leaves (`is`), its end (`until`) and the call that ends it
   * (`undo`). Unset: a request queue frozen (`frozen`, `unfrozen`, `unfreeze`); a quiesce says `quiesced`.
   */
  state?: { is: string; until: string; undo: string };
}

/** How findings name a freeze's state when its acquire does not say (a request queue frozen). */
export const FROZEN_STATE = { is: "frozen", until: "unfrozen", undo: "unfreeze" } as const;
const QUIESCED = { state: { is: "quiesced", until: "unquiesced", undo: "unquiesce" } };

/** The xarray lock macros: spin_lock() and friends on xa->xa_lock. */
const XA = "include/linux/xarray.h";
const lk = (kind: LockKind, op: LockCall["op"], src: string, extra: Partial<LockCall> = {}): LockCall => ({ kind, op, src, ...extra });
const MUTEX = "include/linux/mutex.h";
const RWSEM = "include/linux/rwsem.h";
const SPIN = "include/linux/spinlock.h";
const FENCE = "drivers/dma-buf/dma-fence.c (5fbff813a4a3, DOC: fence signalling annotation)";
const RESV = "include/linux/dma-resv.h";

export const LOCK_CALLS: Readonly<Record<string, LockCall>> = {
  mutex_lock: lk("mutex", "acquire", MUTEX),
  mutex_lock_nested: lk("mutex", "acquire", MUTEX),
  mutex_lock_interruptible: lk("mutex", "acquire", MUTEX),
  mutex_lock_killable: lk("mutex", "acquire", MUTEX),
  mutex_lock_io: lk("mutex", "acquire", MUTEX),
  mutex_trylock: lk("mutex", "try", MUTEX),
  mutex_unlock: lk("mutex", "release", MUTEX),
  down_read: lk("rwsem", "acquire", RWSEM, { shared: true }),
  down_read_nested: lk("rwsem", "acquire", RWSEM, { shared: true }),
  down_read_killable: lk("rwsem", "acquire", RWSEM, { shared: true }),
  down_read_interruptible: lk("rwsem", "acquire", RWSEM, { shared: true }),
  // (released by another task than the one that took it: a reader held across IO submission and its completion)
  down_read_non_owner: lk("rwsem", "acquire", RWSEM, { shared: true }),
  down_write: lk("rwsem", "acquire", RWSEM),
  down_write_nested: lk("rwsem", "acquire", RWSEM),
  down_write_killable: lk("rwsem", "acquire", RWSEM),
  down_read_trylock: lk("rwsem", "try", RWSEM, { shared: true }),
  down_write_trylock: lk("rwsem", "try", RWSEM),
  up_read: lk("rwsem", "release", RWSEM),
  up_read_non_owner: lk("rwsem", "release", RWSEM),
  up_write: lk("rwsem", "release", RWSEM),
  percpu_down_read: lk("rwsem", "acquire", "include/linux/percpu-rwsem.h", { shared: true }),
  percpu_down_write: lk("rwsem", "acquire", "include/linux/percpu-rwsem.h"),
  percpu_up_read: lk("rwsem", "release", "include/linux/percpu-rwsem.h"),
  percpu_up_write: lk("rwsem", "release", "include/linux/percpu-rwsem.h"),
  down: lk("semaphore", "acquire", "include/linux/semaphore.h"),
  down_interruptible: lk("semaphore", "acquire", "include/linux/semaphore.h"),
  down_killable: lk("semaphore", "acquire", "include/linux/semaphore.h"),
  down_trylock: lk("semaphore", "try", "include/linux/semaphore.h"),
  up: lk("semaphore", "release", "include/linux/semaphore.h"),
  spin_lock: lk("spinlock", "acquire", SPIN),
  spin_lock_nested: lk("spinlock", "acquire", SPIN),
  spin_lock_irq: lk("spinlock", "acquire", SPIN),
  spin_lock_irqsave: lk("spinlock", "acquire", SPIN),
  spin_lock_bh: lk("spinlock", "acquire", SPIN),
  spin_trylock: lk("spinlock", "try", SPIN),
  spin_unlock: lk("spinlock", "release", SPIN),
  spin_unlock_irq: lk("spinlock", "release", SPIN),
  spin_unlock_irqrestore: lk("spinlock", "release", SPIN),
  spin_unlock_bh: lk("spinlock", "release", SPIN),
  xa_lock: lk("spinlock", "acquire", XA),
  xa_lock_bh: lk("spinlock", "acquire", XA),
  xa_lock_irq: lk("spinlock", "acquire", XA),
  xa_lock_irqsave: lk("spinlock", "acquire", XA),
  xa_unlock: lk("spinlock", "release", XA),
  xa_unlock_bh: lk("spinlock", "release", XA),
  xa_unlock_irq: lk("spinlock", "release", XA),
  xa_unlock_irqrestore: lk("spinlock", "release", XA),
  raw_spin_lock: lk("spinlock", "acquire", SPIN),
  raw_spin_lock_irq: lk("spinlock", "acquire", SPIN),
  raw_spin_lock_irqsave: lk("spinlock", "acquire", SPIN),
  raw_spin_unlock: lk("spinlock", "release", SPIN),
  raw_spin_unlock_irq: lk("spinlock", "release", SPIN),
  raw_spin_unlock_irqrestore: lk("spinlock", "release", SPIN),
  read_lock: lk("rwlock", "acquire", "include/linux/rwlock.h", { shared: true }),
  read_lock_irqsave: lk("rwlock", "acquire", "include/linux/rwlock.h", { shared: true }),
  read_lock_bh: lk("rwlock", "acquire", "include/linux/rwlock.h", { shared: true }),
  read_unlock: lk("rwlock", "release", "include/linux/rwlock.h"),
  read_unlock_irqrestore: lk("rwlock", "release", "include/linux/rwlock.h"),
  read_unlock_bh: lk("rwlock", "release", "include/linux/rwlock.h"),
  write_lock: lk("rwlock", "acquire", "include/linux/rwlock.h"),
  write_lock_irq: lk("rwlock", "acquire", "include/linux/rwlock.h"),
  write_lock_irqsave: lk("rwlock", "acquire", "include/linux/rwlock.h"),
  write_lock_bh: lk("rwlock", "acquire", "include/linux/rwlock.h"),
  write_unlock: lk("rwlock", "release", "include/linux/rwlock.h"),
  write_unlock_irq: lk("rwlock", "release", "include/linux/rwlock.h"),
  write_unlock_irqrestore: lk("rwlock", "release", "include/linux/rwlock.h"),
  write_unlock_bh: lk("rwlock", "release", "include/linux/rwlock.h"),
  rcu_read_lock: lk("rcu", "acquire", "include/linux/rcupdate.h"),
  rcu_read_unlock: lk("rcu", "release", "include/linux/rcupdate.h"),
  folio_lock: lk("folio", "acquire", "include/linux/pagemap.h"),
  folio_trylock: lk("folio", "try", "include/linux/pagemap.h"),
  folio_unlock: lk("folio", "release", "mm/filemap.c"),
  lock_page: lk("folio", "acquire", "include/linux/pagemap.h"),
  trylock_page: lk("folio", "try", "include/linux/pagemap.h"),
  unlock_page: lk("folio", "release", "mm/folio-compat.c"),
  lock_buffer: lk("buffer", "acquire", "include/linux/buffer_head.h"),
  trylock_buffer: lk("buffer", "try", "include/linux/buffer_head.h"),
  unlock_buffer: lk("buffer", "release", "fs/buffer.c"),
  inode_lock: lk("inode", "acquire", "include/linux/fs.h"),
  inode_lock_shared: lk("inode", "acquire", "include/linux/fs.h", { shared: true }),
  inode_lock_nested: lk("inode", "acquire", "include/linux/fs.h"),
  inode_trylock: lk("inode", "try", "include/linux/fs.h"),
  inode_unlock: lk("inode", "release", "include/linux/fs.h"),
  inode_unlock_shared: lk("inode", "release", "include/linux/fs.h"),
  filemap_invalidate_lock: lk("rwsem", "acquire", "include/linux/fs.h"),
  filemap_invalidate_unlock: lk("rwsem", "release", "include/linux/fs.h"),
  filemap_invalidate_lock_shared: lk("rwsem", "acquire", "include/linux/fs.h", { shared: true }),
  filemap_invalidate_unlock_shared: lk("rwsem", "release", "include/linux/fs.h"),
  wait_on_bit_lock: lk("bit", "acquire", "include/linux/wait_bit.h", { arg: 0 }),
  wait_on_bit_lock_io: lk("bit", "acquire", "include/linux/wait_bit.h", { arg: 0 }),
  clear_and_wake_up_bit: lk("bit", "release", "include/linux/wait_bit.h", { arg: 1 }),
  blk_mq_freeze_queue: lk("freeze", "acquire", "block/blk-mq.c"),
  blk_mq_unfreeze_queue: lk("freeze", "release", "block/blk-mq.c"),
  blk_mq_quiesce_queue: lk("freeze", "acquire", "block/blk-mq.c", QUIESCED),
  // (the same quiesce without waiting for dispatch in progress: requests queued after it wait for the unquiesce too)
  blk_mq_quiesce_queue_nowait: lk("freeze", "acquire", "block/blk-mq.c", QUIESCED),
  blk_mq_unquiesce_queue: lk("freeze", "release", "block/blk-mq.c"),
  // every queue of a tag set quiesced (and unquiesced) at once
  blk_mq_quiesce_tagset: lk("freeze", "acquire", "block/blk-mq.c", { since: "v6.2", ...QUIESCED }),
  blk_mq_unquiesce_tagset: lk("freeze", "release", "block/blk-mq.c", { since: "v6.2" }),
  // a buffer's reservation lock (a ww_mutex): drivers may wait for fences while holding it
  dma_resv_lock: lk("mutex", "acquire", RESV),
  dma_resv_lock_interruptible: lk("mutex", "acquire", RESV),
  dma_resv_lock_slow: lk("mutex", "acquire", RESV),
  dma_resv_lock_slow_interruptible: lk("mutex", "acquire", RESV),
  dma_resv_trylock: lk("mutex", "try", RESV),
  dma_resv_unlock: lk("mutex", "release", RESV),
  // a dma-fence signalling critical section (lockdep's dma_fence_map, taken for reading); the release's argument
  // is the cookie, so both name the map
  dma_fence_begin_signalling: lk("fence", "acquire", FENCE, { map: "dma_fence_map", since: "v5.9" }),
  dma_fence_end_signalling: lk("fence", "release", FENCE, { map: "dma_fence_map", since: "v5.9" }),
};

/** The lock classes `guard(x)(&l)` and `scoped_guard(x, &l)` take (include/linux/cleanup.h and the DEFINE_GUARD users). */
export const GUARD_CLASSES: Readonly<Record<string, LockKind>> = {
  mutex: "mutex",
  mutex_intr: "mutex",
  rwsem_read: "rwsem",
  rwsem_write: "rwsem",
  spinlock: "spinlock",
  spinlock_irq: "spinlock",
  spinlock_irqsave: "spinlock",
  spinlock_bh: "spinlock",
  raw_spinlock: "spinlock",
  raw_spinlock_irq: "spinlock",
  raw_spinlock_irqsave: "spinlock",
  read_lock: "rwlock",
  write_lock: "rwlock",
  rcu: "rcu",
};

/** Locks an allocation may sleep under; the others are atomic context (a different bug). */
export function isSleepingLock(kind: LockKind): boolean {
  return kind !== "spinlock" && kind !== "rwlock" && kind !== "rcu" && kind !== "fence";
}

/**
 * Why reclaim waits for fences: drivers may call dma_fence_wait() from their shrinkers and mmu notifiers, so
 * code needed to signal a fence must not allocate with direct reclaim (GFP_KERNEL, and with mmu notifiers not
 * GFP_NOFS/GFP_NOIO either: only GFP_ATOMIC/GFP_NOWAIT). lockdep checks it: dma_resv_lockdep() primes
 * fs_reclaim -> mmu notifier -> fence wait at boot, and fs_reclaim_acquire() takes the mmu notifier map for any
 * allocation that may reclaim.
 */
/**
 * Locks code a fence needs must not take: drivers may call dma_fence_wait() while holding a reservation lock, so
 * taking one on the way to signalling a fence can wait for that very fence (the cross-driver contract).
 */
export const FENCE_FORBIDDEN_LOCKS: Readonly<Record<string, Provenance>> = {
  dma_resv_lock: { src: "drivers/dma-buf/dma-fence.c (DOC: fence cross-driver contract), include/linux/dma-resv.h" },
  dma_resv_lock_interruptible: { src: "drivers/dma-buf/dma-fence.c (DOC: fence cross-driver contract), include/linux/dma-resv.h" },
  dma_resv_lock_slow: { src: "drivers/dma-buf/dma-fence.c (DOC: fence cross-driver contract), include/linux/dma-resv.h" },
  dma_resv_lock_slow_interruptible: { src: "drivers/dma-buf/dma-fence.c (DOC: fence cross-driver contract), include/linux/dma-resv.h" },
};

export const RECLAIM_WAITS_FOR_FENCES: Provenance = {
  src: "drivers/dma-buf/dma-fence.c (DOC: fence cross-driver contract), drivers/dma-buf/dma-resv.c dma_resv_lockdep(), mm/page_alloc.c fs_reclaim_acquire()",
  since: "v5.9",
};

// ---------------------------------------------------------------- waits

export type WaitKind = "io" | "writeback" | "completion" | "event" | "flush" | "freeze";

export interface WaitCall extends Provenance {
  kind: WaitKind;
}

const wt = (kind: WaitKind, src: string): WaitCall => ({ kind, src });

/** Calls that sleep until IO, writeback or another task finishes. */
export const WAIT_CALLS: Readonly<Record<string, WaitCall>> = {
  wait_on_buffer: wt("io", "include/linux/buffer_head.h"),
  __wait_on_buffer: wt("io", "fs/buffer.c"),
  __lock_buffer: wt("io", "fs/buffer.c"),
  sync_dirty_buffer: wt("io", "fs/buffer.c"),
  __sync_dirty_buffer: wt("io", "fs/buffer.c"),
  submit_bio_wait: wt("io", "block/bio.c"),
  blk_execute_rq: wt("io", "block/blk-mq.c"),
  wait_on_bit_io: wt("io", "include/linux/wait_bit.h"),
  bit_wait_io: wt("io", "kernel/sched/wait_bit.c"),
  io_schedule: wt("io", "kernel/sched/core.c"),
  io_schedule_timeout: wt("io", "kernel/sched/core.c"),
  wait_for_completion_io: wt("io", "kernel/sched/completion.c"),
  wait_for_completion_io_timeout: wt("io", "kernel/sched/completion.c"),
  folio_wait_locked: wt("io", "include/linux/pagemap.h (a folio stays locked while its read IO is in flight)"),
  folio_wait_locked_killable: wt("io", "include/linux/pagemap.h"),
  wait_on_page_locked: wt("io", "include/linux/pagemap.h"),
  jbd2_log_wait_commit: wt("io", "fs/jbd2/journal.c (waits until a transaction's commit IO is done)"),
  jbd2_journal_force_commit: wt("io", "fs/jbd2/journal.c"),
  jbd2_complete_transaction: wt("io", "fs/jbd2/journal.c"),
  folio_wait_writeback: wt("writeback", "mm/page-writeback.c"),
  folio_wait_writeback_killable: wt("writeback", "mm/page-writeback.c"),
  filemap_fdatawait_keep_errors: wt("writeback", "mm/filemap.c"),
  wait_on_page_writeback: wt("writeback", "mm/folio-compat.c"),
  folio_wait_stable: wt("writeback", "mm/page-writeback.c"),
  filemap_fdatawait: wt("writeback", "include/linux/fs.h"),
  filemap_fdatawait_range: wt("writeback", "mm/filemap.c"),
  filemap_write_and_wait: wt("writeback", "include/linux/fs.h"),
  filemap_write_and_wait_range: wt("writeback", "mm/filemap.c"),
  write_inode_now: wt("writeback", "fs/fs-writeback.c"),
  sync_inode_metadata: wt("writeback", "fs/fs-writeback.c"),
  sync_blockdev: wt("writeback", "block/bdev.c"),
  sync_filesystem: wt("writeback", "fs/sync.c"),
  blkdev_issue_flush: wt("io", "block/blk-flush.c"),
  wait_for_completion: wt("completion", "kernel/sched/completion.c"),
  wait_for_completion_timeout: wt("completion", "kernel/sched/completion.c"),
  wait_for_completion_killable: wt("completion", "kernel/sched/completion.c"),
  wait_for_completion_interruptible: wt("completion", "kernel/sched/completion.c"),
  wait_event: wt("event", "include/linux/wait.h"),
  wait_event_timeout: wt("event", "include/linux/wait.h"),
  wait_event_killable: wt("event", "include/linux/wait.h"),
  wait_event_interruptible: wt("event", "include/linux/wait.h"),
  wait_var_event: wt("event", "include/linux/wait_bit.h"),
  blk_mq_freeze_queue_wait: wt("freeze", "block/blk-mq.c"),
};

/**
 * Which evictions reclaim runs: iput_final() asks the filesystem's drop_inode
 * (generic_drop_inode() when it has none), which drops an inode without links
 * at once, so evict() runs for it at its last iput, in the task that dropped
 * it; only linked inodes wait on the superblock's LRU, where reclaim
 * (prune_icache_sb() from the superblock shrinker) evicts them. Code of an
 * eviction callback that runs only when the inode has no links (`if
 * (!inode->i_nlink)`, `if (inode->i_nlink) goto out;`) is therefore not on a
 * reclaim path, unless the filesystem's own drop_inode keeps such inodes.
 * `field`: the link count tested; `drops`: drop_inode implementations that
 * drop every inode without links.
 */
export const EVICT_UNLINKED: Readonly<Provenance & { field: string; drops: readonly string[] }> = {
  field: "i_nlink",
  drops: ["generic_drop_inode", "generic_delete_inode"],
  src: "fs/inode.c iput_final(), generic_delete_inode(); include/linux/fs.h generic_drop_inode(); fs/super.c super_cache_scan() -> prune_icache_sb()",
};

/**
 * ->dirty_folio implementations that set the folio's dirty flag without
 * tagging it dirty in the mapping ("For address_spaces which do not use
 * buffers nor write back"). Flusher and sync writeback find dirty folios by
 * that tag (write_cache_pages() walks PAGECACHE_TAG_DIRTY; do_writepages()
 * calls ->writepage only through it when a table has no ->writepages), so the
 * ->writepage of a table that has such a dirty_folio and no ->writepages is
 * run only by page reclaim (mm/vmscan.c pageout(), in a task with PF_MEMALLOC
 * set: kswapd(), __perform_reclaim()) and by callers that write a folio they
 * hold themselves (migration's writeout()). Reclaim never waits for another
 * task running it, so an allocation below it is not "writeback reclaim waits
 * on" (what it locks, reclaim still holds).
 */
export const UNTAGGED_DIRTY: Readonly<Record<string, Provenance>> = {
  noop_dirty_folio: { src: "mm/page-writeback.c noop_dirty_folio(), write_cache_pages(), do_writepages(); mm/vmscan.c pageout(); used by mm/shmem.c shmem_aops and mm/swap_state.c swap_aops" },
};

/**
 * Filesystems that keep a reference on every dentry they create ("dget(dentry);
 * Extra count - pin the dentry in core" in ramfs_mknod(), hugetlbfs, shmem) and
 * drop those references only at unmount, in kill_litter_super() (d_genocide()
 * takes one count off each pinned dentry). A linked inode of such a filesystem
 * always has a referenced dentry, so it never waits unreferenced on the
 * superblock's LRU where prune_icache_sb() evicts; an unlinked one is evicted
 * at its last iput (EVICT_UNLINKED). Its eviction callbacks run at unlink,
 * last close or unmount, not from the superblock shrinker. `killers`: the
 * kill_sb implementations that drop the pinned references.
 */
export const PINNED_DENTRIES: Readonly<Provenance & { killers: readonly string[] }> = {
  killers: ["kill_litter_super"],
  src: "fs/super.c kill_litter_super() -> fs/dcache.c d_genocide(); fs/ramfs/inode.c ramfs_mknod() (the pinning dget()); Documentation/filesystems/porting.rst (FS_LITTER -> kill_litter_super); fs/super.c super_cache_scan() -> fs/inode.c prune_icache_sb()",
};

/**
 * Calls that may drop the last reference to an inode or dentry and so evict
 * it right there (fs/inode.c iput() -> iput_final() -> evict() ->
 * ->evict_inode, which waits for writeback and truncates; fs/dcache.c dput()
 * of the last dentry reference ends in iput()). In reclaim (a shrinker) that
 * is filesystem work and IO waits the allocating task may be holding up.
 */
export const EVICTING_CALLS: Readonly<Record<string, Provenance>> = {
  iput: { src: "fs/inode.c iput() -> iput_final() -> evict()" },
  dput: { src: "fs/dcache.c dput() -> dentry_kill() -> iput()" },
  d_prune_aliases: { src: "fs/dcache.c" },
};

/** Calls that signal a completion (the other side of the WAIT_CALLS of kind "completion"). */
export const COMPLETION_SIGNALS: Readonly<Record<string, Provenance>> = {
  complete: { src: "include/linux/completion.h, kernel/sched/completion.c" },
  complete_all: { src: "include/linux/completion.h, kernel/sched/completion.c" },
};

// ---------------------------------------------------------------- workqueues

export interface WqConstructor extends Provenance {
  /** Index of the flags argument; null for the legacy constructors (flags implied). */
  flagsArg: number | null;
  /** Index of max_active, when the constructor takes it. */
  maxActiveArg: number | null;
  /** Flags the constructor adds itself. */
  implied: string[];
  legacy: boolean;
}

const WQ_H = "include/linux/workqueue.h";
export const WQ_CONSTRUCTORS: Readonly<Record<string, WqConstructor>> = {
  alloc_workqueue: { flagsArg: 1, maxActiveArg: 2, implied: [], legacy: false, src: WQ_H },
  alloc_ordered_workqueue: { flagsArg: 1, maxActiveArg: null, implied: ["WQ_UNBOUND", "__WQ_ORDERED"], legacy: false, src: WQ_H },
  create_workqueue: { flagsArg: null, maxActiveArg: null, implied: ["__WQ_LEGACY", "WQ_MEM_RECLAIM"], legacy: true, src: WQ_H },
  create_singlethread_workqueue: { flagsArg: null, maxActiveArg: null, implied: ["__WQ_LEGACY", "WQ_MEM_RECLAIM", "WQ_UNBOUND", "__WQ_ORDERED"], legacy: true, src: WQ_H },
  create_freezable_workqueue: { flagsArg: null, maxActiveArg: null, implied: ["__WQ_LEGACY", "WQ_MEM_RECLAIM", "WQ_FREEZABLE", "WQ_UNBOUND"], legacy: true, src: WQ_H },
  alloc_workqueue_lockdep_map: { flagsArg: 1, maxActiveArg: 2, implied: [], legacy: false, src: `${WQ_H} (linux-6.12: fmt, flags, max_active, lockdep_map, ...)` },
  alloc_ordered_workqueue_lockdep_map: { flagsArg: 1, maxActiveArg: null, implied: ["WQ_UNBOUND", "__WQ_ORDERED"], legacy: false, src: `${WQ_H} (linux-6.12: fmt, flags, lockdep_map, args...)` },
};

/** WQ_ flag names (include/linux/workqueue.h enum wq_flags). */
export const WQ_FLAGS: ReadonlySet<string> = new Set([
  "WQ_BH", "WQ_UNBOUND", "WQ_FREEZABLE", "WQ_MEM_RECLAIM", "WQ_HIGHPRI", "WQ_CPU_INTENSIVE", "WQ_SYSFS",
  "WQ_POWER_EFFICIENT", "WQ_PERCPU", "__WQ_DESTROYING", "__WQ_DRAINING", "__WQ_ORDERED", "__WQ_LEGACY",
  "__WQ_BH_ALLOWS", "WQ_MAX_ACTIVE", "WQ_UNBOUND_MAX_ACTIVE", "WQ_DFL_ACTIVE",
]);

/** Queueing calls: [queue argument index (-1: a system queue), work argument index, the system queue]. */
export const QUEUE_CALLS: Readonly<Record<string, { queueArg: number; workArg: number; system?: string } & Provenance>> = {
  queue_work: { queueArg: 0, workArg: 1, src: WQ_H },
  queue_work_on: { queueArg: 1, workArg: 2, src: WQ_H },
  queue_work_node: { queueArg: 1, workArg: 2, src: WQ_H },
  queue_delayed_work: { queueArg: 0, workArg: 1, src: WQ_H },
  queue_delayed_work_on: { queueArg: 1, workArg: 2, src: WQ_H },
  mod_delayed_work: { queueArg: 0, workArg: 1, src: WQ_H },
  mod_delayed_work_on: { queueArg: 1, workArg: 2, src: WQ_H },
  queue_rcu_work: { queueArg: 0, workArg: 1, src: WQ_H },
  schedule_work: { queueArg: -1, workArg: 0, system: "system_wq", src: WQ_H },
  schedule_work_on: { queueArg: -1, workArg: 1, system: "system_wq", src: WQ_H },
  schedule_delayed_work: { queueArg: -1, workArg: 0, system: "system_wq", src: WQ_H },
  schedule_delayed_work_on: { queueArg: -1, workArg: 1, system: "system_wq", src: WQ_H },
};

/** Flush and cancel calls: what they wait for, and whether check_flush_dependency() looks at them. */
export const FLUSH_CALLS: Readonly<Record<string, { target: "queue" | "work" | "system"; cancel: boolean } & Provenance>> = {
  flush_workqueue: { target: "queue", cancel: false, src: "kernel/workqueue.c" },
  drain_workqueue: { target: "queue", cancel: false, src: "kernel/workqueue.c" },
  flush_work: { target: "work", cancel: false, src: "kernel/workqueue.c" },
  flush_delayed_work: { target: "work", cancel: false, src: "kernel/workqueue.c" },
  flush_rcu_work: { target: "work", cancel: false, src: "kernel/workqueue.c" },
  flush_scheduled_work: { target: "system", cancel: false, src: WQ_H },
  __flush_workqueue: { target: "queue", cancel: false, src: "kernel/workqueue.c (what flush_workqueue() and flush_scheduled_work() expand to)" },
  cancel_work_sync: { target: "work", cancel: true, src: "kernel/workqueue.c" },
  cancel_delayed_work_sync: { target: "work", cancel: true, src: "kernel/workqueue.c" },
  disable_work_sync: { target: "work", cancel: true, src: "kernel/workqueue.c" },
  disable_delayed_work_sync: { target: "work", cancel: true, src: "kernel/workqueue.c" },
};

/** check_flush_dependency() stops warning on cancel paths (de35994ecd2d). */
export const CANCEL_NOT_CHECKED: Provenance & { commit: string } = {
  src: "kernel/workqueue.c check_flush_dependency()",
  since: "v6.13",
  commit: "de35994ecd2d",
};

/** The work-item initialisers: [work argument, function argument]. */
export const WORK_INITS: Readonly<Record<string, { workArg: number; fnArg: number } & Provenance>> = {
  INIT_WORK: { workArg: 0, fnArg: 1, src: WQ_H },
  INIT_WORK_ONSTACK: { workArg: 0, fnArg: 1, src: WQ_H },
  INIT_DELAYED_WORK: { workArg: 0, fnArg: 1, src: WQ_H },
  INIT_DEFERRABLE_WORK: { workArg: 0, fnArg: 1, src: WQ_H },
  INIT_RCU_WORK: { workArg: 0, fnArg: 1, src: WQ_H },
  DECLARE_WORK: { workArg: 0, fnArg: 1, src: WQ_H },
  DECLARE_DELAYED_WORK: { workArg: 0, fnArg: 1, src: WQ_H },
  DECLARE_DEFERRABLE_WORK: { workArg: 0, fnArg: 1, src: WQ_H },
};

/**
 * Upper-case function-like macros that read memory as it is now (a value another thread or a helper may change),
 * not a fixed property of the object: chain-conds.ts does not carry their tests from one call of a chain to the next.
 */
export const VOLATILE_READ_MACROS: Readonly<Record<string, Provenance>> = {
  READ_ONCE: { src: "include/asm-generic/rwonce.h" },
  READ_ONCE_NOCHECK: { src: "include/asm-generic/rwonce.h" },
  WARN_ON: { src: "include/asm-generic/bug.h" },
  WARN_ON_ONCE: { src: "include/asm-generic/bug.h" },
};

/**
 * The system workqueues and whether they have WQ_MEM_RECLAIM (none does),
 * from kernel/workqueue.c workqueue_init_early(). With a tree, the tree's own
 * header decides which exist.
 */
export const SYSTEM_QUEUES: Readonly<Record<string, { memReclaim: false; bh?: true } & Provenance>> = {
  system_wq: { memReclaim: false, src: "kernel/workqueue.c" },
  system_percpu_wq: { memReclaim: false, src: "kernel/workqueue.c (upstream v6.17; Debian's 6.12 carries it)" },
  system_highpri_wq: { memReclaim: false, src: "kernel/workqueue.c" },
  system_long_wq: { memReclaim: false, src: "kernel/workqueue.c" },
  system_unbound_wq: { memReclaim: false, src: "kernel/workqueue.c" },
  system_dfl_wq: { memReclaim: false, src: "kernel/workqueue.c (upstream v6.17; Debian's 6.12 carries it)" },
  system_freezable_wq: { memReclaim: false, src: "kernel/workqueue.c" },
  system_power_efficient_wq: { memReclaim: false, src: "kernel/workqueue.c" },
  system_freezable_power_efficient_wq: { memReclaim: false, src: "kernel/workqueue.c" },
  // (BH queues run their work in softirq on the queueing CPU: no worker is created for it, so none needs a rescuer,
  // and __alloc_workqueue() refuses WQ_MEM_RECLAIM with WQ_BH, __WQ_BH_ALLOWS)
  system_bh_wq: { memReclaim: false, bh: true, src: "kernel/workqueue.c; include/linux/workqueue.h (system_bh[_highpri]_wq: BH work items run in softirq)", since: "v6.9" },
  system_bh_highpri_wq: { memReclaim: false, bh: true, src: "kernel/workqueue.c; include/linux/workqueue.h (system_bh[_highpri]_wq: BH work items run in softirq)", since: "v6.9" },
};

/**
 * Where each non-legacy constructor's printf format and its arguments sit
 * (`__printf(1, 4) alloc_workqueue(fmt, flags, max_active, ...)`; the ordered
 * form passes its trailing arguments straight to the format).
 */
export const WQ_CONSTRUCTOR_FORMAT: Readonly<Record<string, { fmtArg: number; varargsFrom: number } & Provenance>> = {
  alloc_workqueue: { fmtArg: 0, varargsFrom: 3, src: `${WQ_H} __printf(1, 4) alloc_workqueue()` },
  alloc_ordered_workqueue: { fmtArg: 0, varargsFrom: 2, src: `${WQ_H} #define alloc_ordered_workqueue(fmt, flags, args...)` },
  alloc_workqueue_lockdep_map: { fmtArg: 0, varargsFrom: 4, src: `${WQ_H} __printf(1, 5) alloc_workqueue_lockdep_map() (linux-6.12)` },
  alloc_ordered_workqueue_lockdep_map: { fmtArg: 0, varargsFrom: 3, src: `${WQ_H} #define alloc_ordered_workqueue_lockdep_map(fmt, flags, lockdep_map, args...) (linux-6.12)` },
};

/** max_active values (enum in include/linux/workqueue.h): counts, not flags. */
export const WQ_MAX_ACTIVE_NAMES: Readonly<Record<string, { value: number } & Provenance>> = {
  WQ_MAX_ACTIVE: { value: 512, src: WQ_H },
  WQ_UNBOUND_MAX_ACTIVE: { value: 512, src: `${WQ_H} (= WQ_MAX_ACTIVE)` },
  WQ_DFL_ACTIVE: { value: 256, src: `${WQ_H} (= WQ_MAX_ACTIVE / 2)` },
  WQ_DFL_MIN_ACTIVE: { value: 8, src: `${WQ_H} (linux-6.12)` },
};

/** Bit numbers of the WQ_ flags (enum wq_flags, include/linux/workqueue.h in linux-6.12). */
export const WQ_FLAG_BITS: Readonly<Record<string, { bit: number } & Provenance>> = {
  WQ_BH: { bit: 0, src: WQ_H, since: "v6.9" },
  WQ_UNBOUND: { bit: 1, src: WQ_H },
  WQ_FREEZABLE: { bit: 2, src: WQ_H },
  WQ_MEM_RECLAIM: { bit: 3, src: WQ_H },
  WQ_HIGHPRI: { bit: 4, src: WQ_H },
  WQ_CPU_INTENSIVE: { bit: 5, src: WQ_H },
  WQ_SYSFS: { bit: 6, src: WQ_H },
  WQ_POWER_EFFICIENT: { bit: 7, src: WQ_H },
  WQ_PERCPU: { bit: 8, src: `${WQ_H} (Debian's 6.12 carries it; the upstream release is not recorded here)` },
  __WQ_ORDERED: { bit: 17, src: WQ_H },
  __WQ_LEGACY: { bit: 18, src: WQ_H },
};

/**
 * The names system workqueues print in warnings (wq->name, set in
 * kernel/workqueue.c workqueue_init_early()). A name longer than the name
 * buffer (WQ_NAME_LEN: 24 bytes in older releases, 32 in linux-6.12) is
 * printed cut short.
 */
export const SYSTEM_QUEUE_NAMES: Readonly<Record<string, { queues: string[] } & Provenance>> = {
  events: { queues: ["system_wq", "system_percpu_wq"], src: "kernel/workqueue.c workqueue_init_early()" },
  events_highpri: { queues: ["system_highpri_wq"], src: "kernel/workqueue.c workqueue_init_early()" },
  events_long: { queues: ["system_long_wq"], src: "kernel/workqueue.c workqueue_init_early()" },
  events_unbound: { queues: ["system_unbound_wq", "system_dfl_wq"], src: "kernel/workqueue.c workqueue_init_early()" },
  events_freezable: { queues: ["system_freezable_wq"], src: "kernel/workqueue.c workqueue_init_early()" },
  events_power_efficient: { queues: ["system_power_efficient_wq"], src: "kernel/workqueue.c workqueue_init_early()" },
  events_freezable_pwr_efficient: { queues: ["system_freezable_power_efficient_wq"], src: "kernel/workqueue.c workqueue_init_early() (linux-6.12)" },
  events_freezable_power_efficient: { queues: ["system_freezable_power_efficient_wq"], src: "kernel/workqueue.c workqueue_init_early() (older releases; printed as \"events_freezable_power_\" with the 24-byte name)" },
  events_bh: { queues: ["system_bh_wq"], src: "kernel/workqueue.c workqueue_init_early()", since: "v6.9" },
  events_bh_highpri: { queues: ["system_bh_highpri_wq"], src: "kernel/workqueue.c workqueue_init_early()", since: "v6.9" },
};

/** The text check_flush_dependency() prints (kernel/workqueue.c): which task or worker flushed which queue. */
export const FLUSH_WARNINGS: Readonly<Record<"worker" | "task", { format: string } & Provenance>> = {
  worker: { format: "workqueue: WQ_MEM_RECLAIM %s:%ps is flushing !WQ_MEM_RECLAIM %s:%ps", src: "kernel/workqueue.c check_flush_dependency() (fca839c00a12)" },
  task: { format: "workqueue: PF_MEMALLOC task %d(%s) is flushing !WQ_MEM_RECLAIM %s:%ps", src: "kernel/workqueue.c check_flush_dependency()" },
};

/**
 * How functions with a role reach check_flush_dependency() when they flush:
 * reclaim runs shrinkers, eviction and folio release with PF_MEMALLOC set
 * (kswapd, and direct reclaim under memalloc_noreclaim_save()); writeback runs
 * from the bdi flusher work on the WQ_MEM_RECLAIM "writeback" queue.
 */
export const ROLE_FLUSH_CONTEXT: Readonly<Partial<Record<Role, { how: "PF_MEMALLOC" | "WQ_MEM_RECLAIM"; what: string } & Provenance>>> = {
  shrinker: { how: "PF_MEMALLOC", what: "memory reclaim (PF_MEMALLOC: kswapd, or direct reclaim)", src: "mm/vmscan.c kswapd() sets PF_MEMALLOC; __perform_reclaim() runs under memalloc_noreclaim_save()" },
  "reclaim-evict": { how: "PF_MEMALLOC", what: "memory reclaim when the superblock shrinker evicts the inode (PF_MEMALLOC)", src: "fs/super.c super_cache_scan() -> prune_icache_sb(); mm/vmscan.c PF_MEMALLOC" },
  "reclaim-release": { how: "PF_MEMALLOC", what: "page reclaim (PF_MEMALLOC)", src: "mm/vmscan.c shrink_folio_list() -> filemap_release_folio()" },
  writeback: { how: "WQ_MEM_RECLAIM", what: "writeback, which runs on the WQ_MEM_RECLAIM \"writeback\" queue (bdi_wq)", src: "mm/backing-dev.c default_bdi_init(): alloc_workqueue(\"writeback\", WQ_MEM_RECLAIM | WQ_UNBOUND | WQ_SYSFS, 0)" },
};

/** Calls that complete block or page IO: work that calls them finishes IO that others (and reclaim) wait on. */
export const IO_COMPLETION_CALLS: Readonly<Record<string, Provenance>> = {
  bio_endio: { src: "include/linux/bio.h, block/bio.c" },
  bio_io_error: { src: "include/linux/bio.h" },
  blk_mq_end_request: { src: "include/linux/blk-mq.h" },
  __blk_mq_end_request: { src: "include/linux/blk-mq.h" },
  blk_mq_end_request_batch: { src: "include/linux/blk-mq.h" },
  blk_mq_complete_request: { src: "include/linux/blk-mq.h" },
  scsi_done: { src: "include/scsi/scsi_cmnd.h (the helper; older releases call cmd->scsi_done())" },
  scsi_eh_flush_done_q: { src: "drivers/scsi/scsi_error.c (finishes or retries the commands error handling processed: the IO waiting on them completes)" },
  folio_end_writeback: { src: "include/linux/pagemap.h, mm/filemap.c" },
  end_page_writeback: { src: "include/linux/pagemap.h, mm/folio-compat.c" },
  iomap_finish_ioends: { src: "include/linux/iomap.h" },
};

/** Calls that write back dirty data: reclaim waits for writeback to make progress. */
export const WRITEBACK_CALLS: Readonly<Record<string, Provenance>> = {
  do_writepages: { src: "include/linux/writeback.h, mm/page-writeback.c" },
  write_cache_pages: { src: "include/linux/writeback.h" },
  filemap_fdatawrite: { src: "include/linux/pagemap.h, mm/filemap.c" },
  filemap_fdatawrite_range: { src: "include/linux/pagemap.h, mm/filemap.c" },
  filemap_flush: { src: "include/linux/pagemap.h, mm/filemap.c" },
  writeback_inodes_sb: { src: "include/linux/writeback.h, fs/fs-writeback.c" },
  writeback_inodes_sb_nr: { src: "include/linux/writeback.h, fs/fs-writeback.c" },
  try_to_writeback_inodes_sb: { src: "include/linux/writeback.h, fs/fs-writeback.c" },
  sync_inodes_sb: { src: "include/linux/writeback.h, fs/fs-writeback.c" },
};

// ---------------------------------------------------------------- roles

/**
 * What a function registered in an ops table is to reclaim:
 * - io-submit / io-complete / io-error: IO the system (and reclaim) waits on
 *   is queued behind it: an allocation there must not recurse into IO (NOIO);
 * - writeback / swap-io: reclaim writes back or swaps through it;
 * - shrinker: runs inside reclaim: must not wait on IO or on locks held across allocations;
 * - reclaim-evict / reclaim-release: runs inside reclaim (inode eviction from the
 *   superblock shrinker, folio release from page reclaim): what it locks or starts
 *   is something reclaim needs;
 * - reclaim-unmap: an MMU notifier's invalidation, which page reclaim runs when it
 *   unmaps a page (mm/rmap.c try_to_unmap_one()): what it locks, reclaim holds;
 * - fence-signal: code a dma-fence needs to be signalled (a GPU scheduler's
 *   run_job and its timeout/recovery handler): shrinkers and mmu notifiers may
 *   wait for that fence, so an allocation there must not reclaim directly;
 * - io-suspended: a device-mapper target's suspend and resume hooks that run
 *   while the mapped device holds back its IO: an allocation there must not
 *   recurse into IO (NOIO), as the IO it would wait for is held until they return.
 */
export type Role = "io-submit" | "io-complete" | "io-error" | "io-suspended" | "writeback" | "swap-io" | "shrinker" | "reclaim-evict" | "reclaim-release" | "reclaim-unmap" | "fence-signal";

export interface OpsField extends Provenance {
  role: Role;
  /** How a reviewer names it: "blk_mq_ops.queue_rq". */
  label: string;
  /**
   * Reclaim itself calls it (mm/vmscan.c, mm/shrinker.c, fs/super.c): shrinker
   * callbacks, inode eviction from the superblock shrinker, folio release and
   * ->writepage from page reclaim. What such a function locks, reclaim holds.
   */
  inReclaim?: boolean;
}

const DM_SUSPEND_SRC =
  "drivers/md/dm.c: dm_suspend() calls dm_table_postsuspend_targets() after __dm_suspend() set DMF_BLOCK_IO_FOR_SUSPEND " +
  "(new bios are deferred), and __dm_resume() calls dm_table_resume_targets() (preresume, resume) before dm_queue_flush() " +
  "lets them through; dm_kobject_uevent() and dm-ima.c's resume-time measurement allocate under memalloc_noio_save() there";
const FENCE_ROLE_SRC = "include/drm/gpu_scheduler.h; drivers/dma-buf/dma-fence.c (DOC: fence cross-driver contract)";

/** struct type -> field -> role. A field seen without its struct type only counts when it is unambiguous (see FIELD_ROLES). */
export const OPS_ROLES: Readonly<Record<string, Readonly<Record<string, OpsField>>>> = {
  blk_mq_ops: {
    queue_rq: { role: "io-submit", label: "blk_mq_ops.queue_rq", src: "include/linux/blk-mq.h" },
    queue_rqs: { role: "io-submit", label: "blk_mq_ops.queue_rqs", src: "include/linux/blk-mq.h" },
    commit_rqs: { role: "io-submit", label: "blk_mq_ops.commit_rqs", src: "include/linux/blk-mq.h" },
    complete: { role: "io-complete", label: "blk_mq_ops.complete", src: "include/linux/blk-mq.h" },
    timeout: { role: "io-error", label: "blk_mq_ops.timeout", src: "include/linux/blk-mq.h" },
  },
  block_device_operations: {
    submit_bio: { role: "io-submit", label: "block_device_operations.submit_bio", src: "include/linux/blkdev.h" },
  },
  target_type: {
    map: { role: "io-submit", label: "target_type.map (device-mapper)", src: "include/linux/device-mapper.h" },
    clone_and_map_rq: { role: "io-submit", label: "target_type.clone_and_map_rq (device-mapper)", src: "include/linux/device-mapper.h" },
    end_io: { role: "io-complete", label: "target_type.end_io (device-mapper)", src: "include/linux/device-mapper.h" },
    rq_end_io: { role: "io-complete", label: "target_type.rq_end_io (device-mapper)", src: "include/linux/device-mapper.h" },
    // presuspend runs before the device stops its IO, so it is not listed
    postsuspend: { role: "io-suspended", label: "target_type.postsuspend (device-mapper)", src: DM_SUSPEND_SRC },
    preresume: { role: "io-suspended", label: "target_type.preresume (device-mapper)", src: DM_SUSPEND_SRC },
    resume: { role: "io-suspended", label: "target_type.resume (device-mapper)", src: DM_SUSPEND_SRC },
  },
  scsi_host_template: {
    queuecommand: { role: "io-submit", label: "scsi_host_template.queuecommand", src: "include/scsi/scsi_host.h" },
    eh_abort_handler: { role: "io-error", label: "scsi_host_template.eh_abort_handler", src: "include/scsi/scsi_host.h" },
    eh_device_reset_handler: { role: "io-error", label: "scsi_host_template.eh_device_reset_handler", src: "include/scsi/scsi_host.h" },
    eh_target_reset_handler: { role: "io-error", label: "scsi_host_template.eh_target_reset_handler", src: "include/scsi/scsi_host.h" },
    eh_bus_reset_handler: { role: "io-error", label: "scsi_host_template.eh_bus_reset_handler", src: "include/scsi/scsi_host.h" },
    eh_host_reset_handler: { role: "io-error", label: "scsi_host_template.eh_host_reset_handler", src: "include/scsi/scsi_host.h" },
    eh_timed_out: { role: "io-error", label: "scsi_host_template.eh_timed_out", src: "include/scsi/scsi_host.h" },
  },
  // a transport's own error handling (libata's, libsas's) runs in place of the midlayer's, in the host's error handler
  // thread while the host is in recovery and its IO waits
  scsi_transport_template: {
    eh_strategy_handler: { role: "io-error", label: "scsi_transport_template.eh_strategy_handler", src: "include/scsi/scsi_transport.h; drivers/scsi/scsi_error.c scsi_error_handler() calls it instead of scsi_unjam_host()" },
  },
  address_space_operations: {
    writepage: { role: "writeback", label: "address_space_operations.writepage", src: "include/linux/fs.h" , inReclaim: true },
    writepages: { role: "writeback", label: "address_space_operations.writepages", src: "include/linux/fs.h" },
    swap_rw: { role: "swap-io", label: "address_space_operations.swap_rw", src: "include/linux/fs.h" },
    release_folio: { role: "reclaim-release", label: "address_space_operations.release_folio", src: "include/linux/fs.h" , inReclaim: true },
    releasepage: { role: "reclaim-release", label: "address_space_operations.releasepage", src: "include/linux/fs.h", until: "v6.0" , inReclaim: true },
    free_folio: { role: "reclaim-release", label: "address_space_operations.free_folio", src: "include/linux/fs.h" , inReclaim: true },
  },
  super_operations: {
    evict_inode: { role: "reclaim-evict", label: "super_operations.evict_inode", src: "include/linux/fs.h" , inReclaim: true },
    write_inode: { role: "writeback", label: "super_operations.write_inode", src: "include/linux/fs.h" },
    free_cached_objects: { role: "shrinker", label: "super_operations.free_cached_objects", src: "include/linux/fs.h" , inReclaim: true },
    destroy_inode: { role: "reclaim-evict", label: "super_operations.destroy_inode", src: "fs/inode.c evict() -> destroy_inode() (the superblock shrinker's prune_icache_sb() evicts)", inReclaim: true },
    nr_cached_objects: { role: "shrinker", label: "super_operations.nr_cached_objects", src: "include/linux/fs.h" , inReclaim: true },
  },
  // the superblock shrinker prunes dentries too: prune_dcache_sb() -> shrink_dentry_list() -> __dentry_kill(), which
  // calls d_iput (d_lock dropped) and d_release; d_prune runs under d_lock (atomic) and is not listed
  dentry_operations: {
    d_release: { role: "reclaim-evict", label: "dentry_operations.d_release", src: "fs/dcache.c __dentry_kill() (the superblock shrinker's prune_dcache_sb())", inReclaim: true },
    d_iput: { role: "reclaim-evict", label: "dentry_operations.d_iput", src: "fs/dcache.c dentry_unlink_inode() (the superblock shrinker's prune_dcache_sb())", inReclaim: true },
  },
  shrinker: {
    scan_objects: { role: "shrinker", label: "shrinker.scan_objects", src: "include/linux/shrinker.h" , inReclaim: true },
    count_objects: { role: "shrinker", label: "shrinker.count_objects", src: "include/linux/shrinker.h" , inReclaim: true },
  },
  bio: {
    bi_end_io: { role: "io-complete", label: "bio.bi_end_io", src: "include/linux/blk_types.h" },
  },
  mmu_interval_notifier_ops: {
    invalidate: { role: "reclaim-unmap", label: "mmu_interval_notifier_ops.invalidate", src: "include/linux/mmu_notifier.h; called from mm/rmap.c try_to_unmap_one() during reclaim", inReclaim: true },
  },
  mmu_notifier_ops: {
    invalidate_range_start: { role: "reclaim-unmap", label: "mmu_notifier_ops.invalidate_range_start", src: "include/linux/mmu_notifier.h; called from mm/rmap.c during reclaim", inReclaim: true },
    invalidate_range_end: { role: "reclaim-unmap", label: "mmu_notifier_ops.invalidate_range_end", src: "include/linux/mmu_notifier.h; called from mm/rmap.c during reclaim", inReclaim: true },
  },
  // the job's finished fence is published before run_job runs, and a hung job's fence completes through the
  // timeout handler's recovery ("fences must complete in a reasonable time ... backed up by timeout and gpu hang
  // recovery code"): both are code the fence needs to be signalled
  drm_sched_backend_ops: {
    run_job: { role: "fence-signal", label: "drm_sched_backend_ops.run_job", src: FENCE_ROLE_SRC },
    timedout_job: { role: "fence-signal", label: "drm_sched_backend_ops.timedout_job", src: FENCE_ROLE_SRC },
  },
  iomap_writeback_ops: {
    map_blocks: { role: "writeback", label: "iomap_writeback_ops.map_blocks", src: "include/linux/iomap.h" },
    prepare_ioend: { role: "writeback", label: "iomap_writeback_ops.prepare_ioend", src: "include/linux/iomap.h" },
  },
};

/**
 * Functions of the kernel's own IO paths that no ops table registers, each with the one file that defines it: their
 * role is the role of everything they call. Every bio, writeback's and swap's included, is submitted through
 * submit_bio_noacct() and __submit_bio() before it reaches a driver's ->submit_bio or blk_mq_submit_bio().
 */
export const CORE_PATH_FUNCTIONS: Readonly<Record<string, OpsField & { file: string }>> = {
  submit_bio_noacct: { role: "io-submit", label: "the block layer's bio submission", file: "block/blk-core.c", src: "block/blk-core.c submit_bio_noacct() (submit_bio() calls it)" },
  __submit_bio: { role: "io-submit", label: "the block layer's bio submission", file: "block/blk-core.c", src: "block/blk-core.c __submit_bio() (every bio, before the driver's ->submit_bio or blk_mq_submit_bio())" },
};

/** Fields whose name alone says the role (no other ops table in the kernel uses the name). */
export const FIELD_ROLES: Readonly<Record<string, OpsField>> = {
  queue_rq: OPS_ROLES.blk_mq_ops!.queue_rq!,
  queue_rqs: OPS_ROLES.blk_mq_ops!.queue_rqs!,
  scan_objects: OPS_ROLES.shrinker!.scan_objects!,
  count_objects: OPS_ROLES.shrinker!.count_objects!,
  bi_end_io: OPS_ROLES.bio!.bi_end_io!,
  eh_abort_handler: OPS_ROLES.scsi_host_template!.eh_abort_handler!,
  eh_device_reset_handler: OPS_ROLES.scsi_host_template!.eh_device_reset_handler!,
  eh_target_reset_handler: OPS_ROLES.scsi_host_template!.eh_target_reset_handler!,
  eh_bus_reset_handler: OPS_ROLES.scsi_host_template!.eh_bus_reset_handler!,
  eh_host_reset_handler: OPS_ROLES.scsi_host_template!.eh_host_reset_handler!,
  eh_strategy_handler: OPS_ROLES.scsi_transport_template!.eh_strategy_handler!,
  evict_inode: OPS_ROLES.super_operations!.evict_inode!,
  release_folio: OPS_ROLES.address_space_operations!.release_folio!,
  writepages: OPS_ROLES.address_space_operations!.writepages!,
  swap_rw: OPS_ROLES.address_space_operations!.swap_rw!,
  free_cached_objects: OPS_ROLES.super_operations!.free_cached_objects!,
  run_job: OPS_ROLES.drm_sched_backend_ops!.run_job!,
  timedout_job: OPS_ROLES.drm_sched_backend_ops!.timedout_job!,
};

/**
 * Roles a function's signature gives it (diff-only review sees the definition
 * line, often only its first line in a hunk header, not the ops table): the
 * callback types of the same headers. Every listed parameter type must
 * appear; `returns` must be the return type; `only`: the parameters shown are
 * all there are (the signature is complete and has no others).
 */
/**
 * Roles a function's signature gives when nothing registers it. `only`: those are all its parameters. `generic`:
 * ordinary helpers share the signature (`void f(struct bio *)`), so a function the patch calls by name and never
 * hands over as a value is taken for a helper, not for the callback.
 */
export const SIGNATURE_ROLES: readonly (OpsField & { params: string[]; returns?: string; only?: boolean; generic?: boolean })[] = [
  { params: ["struct shrink_control"], role: "shrinker", label: "a shrinker callback (by its struct shrink_control parameter)", src: "include/linux/shrinker.h", inReclaim: true },
  { params: ["struct shrinker"], returns: "unsigned long", role: "shrinker", label: "a shrinker callback (by its signature: unsigned long, struct shrinker *)", src: "include/linux/shrinker.h (struct shrinker: count_objects/scan_objects)", inReclaim: true },
  { params: ["struct blk_mq_queue_data"], role: "io-submit", label: "a blk_mq_ops.queue_rq handler (by its struct blk_mq_queue_data parameter)", src: "include/linux/blk-mq.h" },
  { params: ["struct blk_mq_hw_ctx"], returns: "blk_status_t", role: "io-submit", label: "a blk_mq_ops.queue_rq handler (by its signature: blk_status_t, struct blk_mq_hw_ctx *)", src: "include/linux/blk-mq.h" },
  { params: ["struct writeback_control"], role: "writeback", label: "a writeback callback (by its struct writeback_control parameter)", src: "include/linux/writeback.h" },
  { params: ["struct dm_target", "struct bio"], role: "io-submit", label: "a device-mapper map/end_io function (by its struct dm_target and struct bio parameters)", src: "include/linux/device-mapper.h" },
  { params: ["struct drm_sched_job"], returns: "struct dma_fence *", only: true, role: "fence-signal", label: "a drm_sched_backend_ops.run_job handler (by its signature: struct dma_fence *f(struct drm_sched_job *))", src: FENCE_ROLE_SRC },
  { params: ["struct bio"], returns: "void", only: true, generic: true, role: "io-complete", label: "a bio callback (by its signature void f(struct bio *), that of bi_end_io and submit_bio)", src: "include/linux/blk_types.h (bio_end_io_t), include/linux/blkdev.h (submit_bio)" },
];

/** What an allocation in a role must not do (the bit its mask must clear), and why. */
export const ROLE_NEEDS: Readonly<Record<Role, { clear: "io" | "fs" | "reclaim" | null; why: string }>> = {
  "io-submit": { clear: "io", why: "IO queued behind this request waits for it, and reclaim may wait on that IO" },
  "io-complete": { clear: "io", why: "IO completion must not wait for IO that is waiting for this completion" },
  "io-error": { clear: "io", why: "while error handling runs, IO to the device is stalled, so reclaim that writes to it cannot finish" },
  "io-suspended": { clear: "io", why: "the mapped device holds back its IO until its targets are suspended or resumed, so reclaim that writes to it cannot finish" },
  writeback: { clear: "fs", why: "reclaim may wait on writeback, and writeback re-entering the filesystem through reclaim can deadlock on its own locks" },
  // swap-out runs from reclaim itself, with PF_MEMALLOC set: its allocations do not recurse into reclaim
  "swap-io": { clear: null, why: "swap-out is issued by reclaim (PF_MEMALLOC set, so its allocations do not recurse)" },
  shrinker: { clear: null, why: "it runs inside reclaim" },
  "reclaim-evict": { clear: null, why: "inode eviction runs inside reclaim (the superblock shrinker)" },
  "reclaim-release": { clear: null, why: "folio release runs inside page reclaim" },
  "reclaim-unmap": { clear: null, why: "MMU notifier invalidation runs inside page reclaim (unmapping)" },
  "fence-signal": { clear: "reclaim", why: "shrinkers and mmu notifiers may wait for the fence this code signals, so it must not wait for reclaim" },
};

// ---------------------------------------------------------------- handles

/**
 * Transaction and journal handle APIs. Whether a handle carries a NOFS scope
 * for its lifetime is not listed here: the analysis derives it from the tree
 * (a start function that saves a scope into a field of the handle). `derived`
 * records what that derivation found in linux-6.12, for diff-only review.
 */
export interface HandleApi extends Provenance {
  /** Start functions: the handle is the return value, or the argument at `outArg` (a pointer to it). */
  start: Readonly<Record<string, { outArg?: number }>>;
  /** The handle's C type: a parameter of this type means a caller holds a running handle. */
  types: string[];
  /** Stop functions and the argument that is the handle. */
  stop: Readonly<Record<string, { arg: number }>>;
  /** What the scope derivation found in linux-6.12: the NOFS save into the handle, or none. */
  derived: { scope: "nofs" | null; where: string };
  /** Reclaim re-enters this API (inode eviction, writeback of the same filesystem start or join a handle). */
  reclaimEnters: string;
}

export const HANDLE_APIS: Readonly<Record<string, HandleApi>> = {
  jbd2: {
    start: { jbd2_journal_start: {}, jbd2__journal_start: {}, ext4_journal_start: {}, ext4_journal_start_sb: {}, __ext4_journal_start: {}, __ext4_journal_start_sb: {}, ext4_journal_start_with_reserve: {}, ext4_journal_start_with_revoke: {}, ocfs2_start_trans: {} },
    types: ["handle_t"],
    stop: { jbd2_journal_stop: { arg: 0 }, ext4_journal_stop: { arg: 0 }, __ext4_journal_stop: { arg: 2 }, ocfs2_commit_trans: { arg: 1 } },
    derived: { scope: "nofs", where: "fs/jbd2/transaction.c start_this_handle(): handle->saved_alloc_context = memalloc_nofs_save()" },
    reclaimEnters: "fs/ext4/inode.c ext4_evict_inode() starts a handle",
    src: "fs/jbd2/transaction.c, fs/ext4/ext4_jbd2.h, fs/ocfs2/journal.c",
  },
  "xfs-trans": {
    start: { xfs_trans_alloc: { outArg: 5 }, xfs_trans_alloc_inode: { outArg: 6 }, xfs_trans_alloc_empty: { outArg: 1 }, xfs_trans_alloc_icreate: { outArg: 4 }, xfs_trans_alloc_ichange: { outArg: 4 }, xfs_trans_alloc_dir: { outArg: 6 } },
    types: ["struct xfs_trans"],
    stop: { xfs_trans_commit: { arg: 0 }, xfs_trans_cancel: { arg: 0 } },
    derived: { scope: "nofs", where: "fs/xfs/xfs_trans.h xfs_trans_set_context(): tp->t_pflags = memalloc_nofs_save()" },
    reclaimEnters: "fs/xfs/xfs_icache.c inode reclaim and inodegc run transactions",
    src: "fs/xfs/xfs_trans.c, fs/xfs/xfs_trans.h",
  },
  "btrfs-trans": {
    start: { btrfs_start_transaction: {}, btrfs_join_transaction: {}, btrfs_join_transaction_nostart: {}, btrfs_join_transaction_spacecache: {}, btrfs_attach_transaction: {}, btrfs_attach_transaction_barrier: {}, btrfs_start_transaction_fallback_global_rsv: {} },
    types: ["struct btrfs_trans_handle"],
    stop: { btrfs_end_transaction: { arg: 0 }, btrfs_end_transaction_throttle: { arg: 0 }, btrfs_commit_transaction: { arg: 0 } },
    derived: { scope: null, where: "fs/btrfs/transaction.c start_transaction() saves none into the handle" },
    reclaimEnters: "fs/btrfs/inode.c btrfs_evict_inode() starts or joins a transaction, which waits for a committing one",
    src: "fs/btrfs/transaction.c",
  },
  "gfs2-trans": {
    start: { gfs2_trans_begin: {} },
    types: [],
    stop: { gfs2_trans_end: { arg: 0 } },
    derived: { scope: null, where: "fs/gfs2/trans.c __gfs2_trans_begin(): no scope saved (gfs2 passes GFP_NOFS itself)" },
    reclaimEnters: "fs/gfs2/super.c gfs2_evict_inode() begins transactions",
    src: "fs/gfs2/trans.c",
  },
};

type HandleCallInfo = { api: string; op: "start"; outArg?: number } | { api: string; op: "stop"; arg: number };
let handleCalls: Map<string, HandleCallInfo> | null = null;

/** name -> [api id, start/stop info] for every handle call. */
export function handleCall(name: string): HandleCallInfo | undefined {
  if (!handleCalls) {
    handleCalls = new Map();
    for (const [api, h] of Object.entries(HANDLE_APIS)) {
      for (const [n, st] of Object.entries(h.start)) handleCalls.set(n, { api, op: "start", ...(st.outArg !== undefined ? { outArg: st.outArg } : {}) });
      for (const [n, t] of Object.entries(h.stop)) handleCalls.set(n, { api, op: "stop", arg: t.arg });
    }
  }
  return handleCalls.get(name);
}

/**
 * Calls that mark a folio for writeback: until the task submits its IO, the
 * folio's writeback cannot end, and page reclaim may wait on it
 * (mm/vmscan.c shrink_folio_list(): folio_wait_writeback() for memcg v1).
 * A folio only locked is not such a wait: reclaim trylocks folios.
 */
export const WRITEBACK_MARKS: Readonly<Record<string, Provenance>> = {
  folio_start_writeback: { src: "include/linux/page-flags.h (__folio_start_writeback, mm/page-writeback.c)" },
  __folio_start_writeback: { src: "mm/page-writeback.c" },
  folio_start_writeback_keepwrite: { src: "include/linux/page-flags.h" },
  set_page_writeback: { src: "include/linux/page-flags.h" },
};

// ---------------------------------------------------------------- stacked IO and userspace

/** Calls that submit filesystem IO through the VFS (a back end writing through another filesystem). */
export const FS_IO_CALLS: Readonly<Record<string, Provenance>> = {
  vfs_iter_write: { src: "fs/read_write.c" },
  vfs_iter_read: { src: "fs/read_write.c" },
  vfs_iocb_iter_write: { src: "fs/read_write.c" },
  vfs_iocb_iter_read: { src: "fs/read_write.c" },
  kernel_write: { src: "fs/read_write.c" },
  __kernel_write: { src: "fs/read_write.c" },
  kernel_read: { src: "fs/read_write.c" },
  call_write_iter: { src: "include/linux/fs.h", until: "v6.9" },
  call_read_iter: { src: "include/linux/fs.h", until: "v6.9" },
  vfs_fsync: { src: "fs/sync.c" },
  vfs_fsync_range: { src: "fs/sync.c" },
};

/** file_operations methods called through the file (`file->f_op->write_iter(...)`): filesystem IO without a VFS helper. */
export const FILE_IO_OPS: Readonly<Record<string, Provenance & { write: boolean }>> = {
  write_iter: { write: true, src: "include/linux/fs.h (struct file_operations)" },
  read_iter: { write: false, src: "include/linux/fs.h (struct file_operations)" },
};

/**
 * Filesystem methods, called through an ops pointer, that write to the filesystem: a journalling filesystem starts
 * a transaction for them (ext4_write_dquot(), ocfs2 and others), so whoever calls them waits for a committing
 * transaction and its IO.
 */
export const FS_WRITE_OPS: Readonly<Record<string, Provenance & { what: string }>> = {
  write_dquot: { what: "writes the dquot to the quota file through the filesystem (a journal handle on journalling filesystems)", src: "include/linux/quota.h (struct dquot_operations); fs/quota/dquot.c dquot_write_dquot(), fs/ext4/super.c ext4_write_dquot()" },
  acquire_dquot: { what: "creates the dquot in the quota file through the filesystem (a journal handle on journalling filesystems)", src: "include/linux/quota.h (struct dquot_operations); fs/ext4/super.c ext4_acquire_dquot()" },
  release_dquot: { what: "deletes the dquot from the quota file through the filesystem (a journal handle on journalling filesystems)", src: "include/linux/quota.h (struct dquot_operations); fs/ext4/super.c ext4_release_dquot()" },
};

/**
 * Calls that write back synchronously: they submit IO and wait for it, or
 * wait for IO already in flight before submitting (a shrinker must not).
 */
export const SYNC_IO_CALLS: Readonly<Record<string, Provenance & { what: string }>> = {
  write_dirty_buffer: { what: "locks the buffer (waiting for IO in flight) and submits its write", src: "fs/buffer.c" },
  sync_mapping_buffers: { what: "writes the mapping's associated buffers and waits for them", src: "fs/buffer.c" },
  filemap_fdatawrite: { what: "data-integrity writeback (WB_SYNC_ALL): waits for pages under writeback", src: "mm/filemap.c" },
  filemap_fdatawrite_range: { what: "data-integrity writeback (WB_SYNC_ALL): waits for pages under writeback", src: "mm/filemap.c" },
  do_writepages: { what: "runs ->writepages for the mapping", src: "mm/page-writeback.c" },
  filp_close: {
    what: "runs the file's ->flush, which writes back the file's dirty pages and waits on filesystems that flush at close (NFS)",
    src: "fs/open.c filp_close() -> filp_flush() -> f_op->flush; fs/nfs/file.c nfs_file_flush() -> nfs_wb_all()",
  },
};

/** Userspace calls that create a thread or task (which inherits the task flags set before it). */
export const USERSPACE_THREAD_CALLS: Readonly<Record<string, Provenance & { fnArg: number }>> = {
  pthread_create: { fnArg: 2, src: "POSIX pthread_create(3)" },
  thrd_create: { fnArg: 1, src: "C11 thrd_create" },
  clone: { fnArg: 0, src: "clone(2) (glibc wrapper: fn is the first argument)" },
};

/** Device nodes whose opening makes a process a filesystem or block server (uapi documentation). */
export const USERSPACE_IO_DEVICES: Readonly<Record<string, Provenance & { what: string }>> = {
  "/dev/fuse": { what: "a FUSE server (/dev/fuse)", src: "Documentation/filesystems/fuse.rst" },
};

/** Userspace interfaces that make a process serve block or filesystem IO (uapi headers). */
export const USERSPACE_IO_SERVERS: Readonly<Record<string, Provenance & { what: string }>> = {
  NBD_DO_IT: { what: "an nbd server (ioctl NBD_DO_IT)", src: "include/uapi/linux/nbd.h" },
  NBD_SET_SOCK: { what: "an nbd server (ioctl NBD_SET_SOCK)", src: "include/uapi/linux/nbd.h" },
  UBLK_IO_FETCH_REQ: { what: "a ublk server (UBLK_IO_FETCH_REQ)", src: "include/uapi/linux/ublk_cmd.h" },
  UBLK_U_IO_FETCH_REQ: { what: "a ublk server (UBLK_U_IO_FETCH_REQ)", src: "include/uapi/linux/ublk_cmd.h" },
  UBLK_IO_COMMIT_AND_FETCH_REQ: { what: "a ublk server", src: "include/uapi/linux/ublk_cmd.h" },
  UBLK_U_IO_COMMIT_AND_FETCH_REQ: { what: "a ublk server", src: "include/uapi/linux/ublk_cmd.h" },
  UBLK_CMD_START_DEV: { what: "a ublk server (UBLK_CMD_START_DEV)", src: "include/uapi/linux/ublk_cmd.h" },
  UBLK_U_CMD_START_DEV: { what: "a ublk server (UBLK_U_CMD_START_DEV)", src: "include/uapi/linux/ublk_cmd.h" },
  FUSE_DEV_IOC_CLONE: { what: "a FUSE server (/dev/fuse)", src: "include/uapi/linux/fuse.h" },
  TCMU_MAILBOX_VERSION: { what: "a tcmu (target_core_user) handler", src: "include/uapi/linux/target_core_user.h" },
};

/** Libraries that run such a loop for their caller (their own documentation). */
export const USERSPACE_IO_LIBRARIES: Readonly<Record<string, Provenance & { what: string }>> = {
  fuse_session_loop: { what: "a FUSE server (libfuse session loop)", src: "libfuse include/fuse_lowlevel.h" },
  fuse_session_loop_mt: { what: "a FUSE server (libfuse session loop)", src: "libfuse include/fuse_lowlevel.h" },
  tcmulib_initialize: { what: "a tcmu handler (libtcmu)", src: "tcmu-runner libtcmu.h" },
  tcmulib_processing_start: { what: "a tcmu handler (libtcmu)", src: "tcmu-runner libtcmu.h" },
};

/** prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0): v5.6, 8d19f1c8e193; arg2 0 clears it. */
export const IO_FLUSHER: Provenance & { commit: string } = {
  src: "kernel/sys.c (PR_SET_IO_FLUSHER)",
  since: "v5.6",
  commit: "8d19f1c8e193",
};

/** The handle API a parameter declaration ("struct btrfs_trans_handle *trans", "handle_t *handle") holds, if any. */
export function handleParam(param: string): string | undefined {
  const p = param.replace(/\s+/g, " ").replace(/\bconst\b/g, "").trim();
  // a pointer to the handle; a pointer to a pointer is where the function hands out one it starts (`**trans_out`)
  for (const [api, h] of Object.entries(HANDLE_APIS))
    for (const t of h.types) if (new RegExp(`^${t.replace(/ /g, "\\s+")}\\s*\\*(?!\\s*\\*)`).test(p)) return api;
  return undefined;
}

// ---------------------------------------------------------------- call traces

/** Frames of a stack trace that mean "an allocation is in progress" (mm/page_alloc.c, mm/slub.c, mm/vmalloc.c, mm/mempool.c, mm/filemap.c, block/bio.c; names across releases). */
export const TRACE_ALLOC_FRAMES: ReadonlySet<string> = new Set([
  "___slab_alloc", "__alloc_pages", "__alloc_pages_noprof", "__alloc_pages_nodemask", "__alloc_pages_slowpath", "__filemap_get_folio",
  "__folio_alloc", "__get_free_pages", "__kmalloc", "__kmalloc_node", "__kmalloc_noprof", "__slab_alloc", "__vmalloc_node_range",
  "alloc_pages", "alloc_pages_current", "alloc_pages_mpol", "alloc_pages_noprof", "alloc_pages_vma", "alloc_kmem_pages",
  "alloc_kmem_pages_node", "kmalloc_large", "kmalloc_order", "allocate_slab", "bio_alloc_bioset", "folio_alloc",
  "grab_cache_page_write_begin", "kmalloc", "kmalloc_trace", "kmem_cache_alloc", "kmem_cache_alloc_lru", "kmem_cache_alloc_node",
  "kmem_cache_alloc_noprof", "kmem_cache_alloc_trace", "mempool_alloc", "new_slab", "pagecache_get_page", "radix_tree_node_alloc",
  "skb_page_frag_refill", "slab_alloc_node", "vmalloc",
]);

/**
 * Frames of reclaim running a shrinker: the call of a shrinker's scan or count callback (do_shrink_slab() and its
 * callers, mm/shrinker.c since v6.7, mm/vmscan.c before), the superblock shrinker (super_cache_scan(), fs/super.c)
 * and what it prunes (prune_icache_sb(), fs/inode.c; prune_dcache_sb(), fs/dcache.c). In a trace, the frames printed
 * above the innermost of these ran inside the shrinker.
 */
export const TRACE_SHRINKER_FRAMES: ReadonlySet<string> = new Set(["do_shrink_slab", "shrink_slab", "shrink_slab_memcg", "super_cache_scan", "prune_icache_sb", "prune_dcache_sb"]);

/** Frames of memory reclaim: direct reclaim, kswapd, shrinkers, inode pruning (mm/vmscan.c, mm/shrinker.c, fs/super.c, fs/inode.c). */
export const TRACE_RECLAIM_FRAMES: ReadonlySet<string> = new Set([
  ...TRACE_SHRINKER_FRAMES,
  "__alloc_pages_direct_reclaim", "__perform_reclaim", "balance_pgdat", "do_shrink_slab", "do_try_to_free_pages", "kswapd",
  "prune_icache_sb", "shrink_folio_list", "shrink_inactive_list", "shrink_lruvec", "shrink_node", "shrink_node_memcgs",
  "shrink_page_list", "shrink_slab", "shrink_zone", "shrink_zones", "super_cache_scan", "try_to_free_mem_cgroup_pages",
  "try_to_free_pages",
]);

/** A frame that waits for IO or another task: a WAIT_CALLS entry, or the kernel's naming of waits (io_schedule*, *_iowait, wait_for_completion*, wait_on_*). */
export function isWaitFrame(name: string): boolean {
  return name in WAIT_CALLS || /^io_schedule|_iowait$|^wait_for_completion|^wait_on_|^__wait_on_|^out_of_line_wait_on_bit|^bit_wait/.test(name);
}

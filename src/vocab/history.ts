// The kernel history the rules cite, by what each case shows. Every value is
// the id of a knowledge entry (knowledge/<id>.md: commits, dates, links, what
// happened), so the subsystem a case came from stays data with its
// provenance; a rule cites a case for what it demonstrates, never decides by it.
export const HISTORY = {
  /** A flush warning silenced by adding WQ_MEM_RECLAIM to the flushed queue (a sync workqueue). */
  flagAddedForFlushWarning: "xfs-sync-wq-2024",
  /** A flush warning fixed by giving the flushed notifier queue WQ_MEM_RECLAIM. */
  notifierQueueFlushWarning: "amdxdna-notifier-wq-2026",
  /** Inode reclaim made fully asynchronous: reclaim no longer waits for inode flushing. */
  nonBlockingInodeReclaim: "xfs-reclaim-nonblocking-2020",
  /** A shrinker's buffer cleanup moved to a work item so reclaim does not block. */
  shrinkerWorkOffload: "dm-bufio-workqueue-2020",
  /** A deadlock on page reclaim fixed by a mapping-wide gfp mask. */
  mappingMaskDeadlock: "ext4-mapping-gfp-2019",
  /** Direct reclaim recursing into a filesystem's writepages from its own IO path. */
  writepagesReclaimRecursion: "nfs-localio-reclaim-2026",
  /** PF_MEMALLOC_NOIO set for a block driver's worker thread that does file IO. */
  workerNoioFlag: "loop-noio-2019",
  /** A shrinker's test of the reclaim caller's mask changed from __GFP_IO to __GFP_FS. */
  shrinkerGfpBit: "dm-bufio-gfp-fs-2014",
  /** A deadlock with reclaim under a running transaction fixed with a NOFS scope. */
  transactionNofs: "btrfs-scrub-nofs-2018",
  /** __vmalloc with a NOIO mask deadlocking (page tables allocated with GFP_KERNEL). */
  vmallocMaskIgnored: "dm-bufio-vmalloc-2013",
  /** A separate WQ_MEM_RECLAIM queue for journal writes to avoid a deadlock. */
  dedicatedReclaimQueue: "bcache-journal-wq-2019",
  /** WQ_MEM_RECLAIM removed from an error-handling queue whose work flushed a queue without it. */
  rescuerDroppedForFlush: "storvsc-error-wq-2022",
  /** A driver's workqueue usage fixed (a queue reclaim depends on). */
  driverQueueUsage: "md-workqueue-2010",
  /** Dedicated workqueues for a back end's filesystem reads and writes. */
  backendIoQueues: "nfs-localio-workqueues-2024",
  /** Scheduler work queues marked WQ_MEM_RECLAIM (fences reclaim waits on). */
  schedulerQueueReclaim: "drm-sched-wq-reclaim-2024",
  /** A back end that serves IO through the page cache of a local file. */
  backendFileIo: "nfs-localio-2024",
  /** A shrinker trylock that fixed nothing, reverted. */
  shrinkerTrylockRevert: "dm-bufio-loop-revert-2019",
  /** A suspend path put under a NOIO scope. */
  suspendNoioScope: "md-suspend-scope-2020",
} as const;

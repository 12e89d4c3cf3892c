// The bounded in-process work queue behind the webhook handler: the handler
// only enqueues (GitHub wants an answer within 10 s), workers run the jobs.
// Jobs with the same serial key (one pull request) never run at the same
// time and run in arrival order; a job whose dedupe key is queued, running
// or already done is not queued again. When the queue is full, enqueue
// throws QueueFullError and the webhook is answered 503, so GitHub records a
// failed delivery that can be redelivered: nothing is dropped silently.

export interface Job {
  /** Jobs with the same serial key run one after another (e.g. "owner/repo#12"). */
  serialKey: string;
  /** Identity of the work ("owner/repo#12@sha"): queued, running or done once. */
  dedupeKey?: string;
  /** Webhook delivery id that asked for it (for logs). */
  deliveryId: string;
  run(): Promise<JobOutcome>;
}

/** "done" marks the dedupe key done; "skipped" and "failed" leave it open for a later try. */
export type JobOutcome = "done" | "skipped" | "failed";

export class QueueFullError extends Error {
  readonly status = 503;
  constructor(limit: number) {
    super(`review queue is full (${limit} jobs waiting); redeliver this webhook later`);
    this.name = "QueueFullError";
  }
}

export interface QueueStats {
  queued: number;
  running: number;
  done: number;
  failed: number;
  skipped: number;
  duplicates: number;
  rejected: number;
}

/** A set that forgets its oldest members past a size limit. */
export class BoundedSet {
  private readonly items = new Map<string, true>();
  constructor(private readonly limit: number) {}
  has(k: string): boolean {
    return this.items.has(k);
  }
  add(k: string): void {
    this.items.delete(k);
    this.items.set(k, true);
    if (this.items.size > this.limit) this.items.delete(this.items.keys().next().value as string);
  }
  delete(k: string): void {
    this.items.delete(k);
  }
  get size(): number {
    return this.items.size;
  }
}

export interface QueueOptions {
  concurrency: number;
  maxQueued: number;
  /** How many done dedupe keys to remember. */
  memory?: number;
  onError?: (job: Job, err: unknown) => void;
}

export class WorkQueue {
  private readonly waiting: Job[] = [];
  private readonly runningKeys = new Set<string>();
  private readonly pendingDedupe = new Set<string>();
  private readonly doneDedupe: BoundedSet;
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  readonly stats: QueueStats = { queued: 0, running: 0, done: 0, failed: 0, skipped: 0, duplicates: 0, rejected: 0 };

  constructor(private readonly opts: QueueOptions) {
    this.doneDedupe = new BoundedSet(opts.memory ?? 10_000);
  }

  /** Whether work with this dedupe key is queued, running or done. */
  knows(dedupeKey: string): boolean {
    return this.pendingDedupe.has(dedupeKey) || this.doneDedupe.has(dedupeKey);
  }

  /** Forget a done key (an explicit re-run request). */
  forget(dedupeKey: string): void {
    this.doneDedupe.delete(dedupeKey);
  }

  /** Queues a job; false if the same work is already queued, running or done. Throws QueueFullError. */
  enqueue(job: Job): boolean {
    if (job.dedupeKey && this.knows(job.dedupeKey)) {
      this.stats.duplicates++;
      return false;
    }
    if (this.waiting.length >= this.opts.maxQueued) {
      this.stats.rejected++;
      throw new QueueFullError(this.opts.maxQueued);
    }
    if (job.dedupeKey) this.pendingDedupe.add(job.dedupeKey);
    this.waiting.push(job);
    this.stats.queued = this.waiting.length;
    this.pump();
    return true;
  }

  get size(): number {
    return this.waiting.length + this.running;
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    while (this.running < this.opts.concurrency) {
      const i = this.waiting.findIndex((j) => !this.runningKeys.has(j.serialKey));
      if (i < 0) break;
      const job = this.waiting.splice(i, 1)[0]!;
      this.running++;
      this.runningKeys.add(job.serialKey);
      this.stats.queued = this.waiting.length;
      this.stats.running = this.running;
      void this.execute(job);
    }
    if (this.size === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const r of w) r();
    }
  }

  private async execute(job: Job): Promise<void> {
    let outcome: JobOutcome;
    try {
      outcome = await job.run();
    } catch (err) {
      outcome = "failed";
      this.opts.onError?.(job, err);
    }
    this.stats[outcome]++;
    if (job.dedupeKey) {
      this.pendingDedupe.delete(job.dedupeKey);
      if (outcome === "done") this.doneDedupe.add(job.dedupeKey);
    }
    this.running--;
    this.runningKeys.delete(job.serialKey);
    this.stats.running = this.running;
    this.pump();
  }
}

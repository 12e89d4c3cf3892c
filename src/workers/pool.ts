// A small pool of worker threads (node:worker_threads) that runs reviews off
// the event loop, each under a deadline. A task that passes its deadline has
// its worker terminated (that stops even a regex that runs for minutes) and
// replaced; the caller gets a DeadlineError and reports it. Tasks wait in
// FIFO order for a free worker. The bots keep answering webhooks, health
// checks and IMAP while reviews run.
//
// A worker script is an ES module exporting `handle(input)`; when it runs as
// a worker it answers the pool's messages with it (see serveTasks). When the
// module is TypeScript source (the tests run src/ directly), the pool runs
// `handle` in-process instead: same results, but no deadline can interrupt
// it (the compiled build, which the bots run, always uses threads).
import { isMainThread, parentPort, Worker } from "node:worker_threads";

export class DeadlineError extends Error {
  constructor(readonly deadlineMs: number) {
    super(`the review did not finish within its deadline of ${deadlineMs < 1000 ? `${deadlineMs} ms` : `${Math.round(deadlineMs / 100) / 10} s`} and was stopped`);
    this.name = "DeadlineError";
  }
}

export class WorkerCrashError extends Error {
  constructor(message: string) {
    super(`the review worker stopped: ${message}`);
    this.name = "WorkerCrashError";
  }
}

export interface PoolOptions<I = unknown, O = unknown> {
  /** The worker module (compiled .js: threads; .ts source: in-process). */
  script: URL;
  /** Worker threads (default 2). 0 runs tasks in-process (no deadline enforcement). */
  size?: number;
  /** Milliseconds a task may run in its worker. */
  deadlineMs: number;
  /** Passed to every worker as workerData. */
  workerData?: unknown;
  /** Heap limit per worker in MB (resourceLimits.maxOldGenerationSizeMb). */
  maxHeapMb?: number;
  /** How to run a task in-process, when the pool does (default: the script's `handle`). */
  inline?: (input: I) => O | Promise<O>;
}

export interface PoolStats {
  size: number;
  busy: number;
  queued: number;
  deadlines: number;
  crashes: number;
}

interface Task<I, O> {
  input: I;
  deadlineMs: number;
  resolve: (o: O) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  /** Resolves once the worker loaded what every task needs. */
  warm: Promise<void>;
}

type Answer<O> = { ok: true; output: O } | { ok: false; error: string };

export class WorkerPool<I, O> {
  // (the options interface is generic in I and O through `inline`)
  private readonly slots: Slot[] = [];
  private readonly waiting: Task<I, O>[] = [];
  private readonly inline: boolean;
  private inlineHandler: Promise<(input: I) => O | Promise<O>> | null = null;
  private closed = false;
  readonly stats: PoolStats;

  constructor(private readonly opts: PoolOptions<I, O>) {
    const size = opts.size ?? 2;
    // running from TypeScript source (the tests): there is no compiled worker to start
    this.inline = size === 0 || opts.script.pathname.endsWith(".ts") || import.meta.url.endsWith(".ts");
    this.stats = { size: this.inline ? 0 : size, busy: 0, queued: 0, deadlines: 0, crashes: 0 };
    if (!this.inline) for (let i = 0; i < size; i++) this.slots.push(this.slot());
  }

  private slot(): Slot {
    const worker = this.spawn();
    const warm = new Promise<void>((resolve) => {
      const done = () => {
        worker.off("message", onMsg);
        resolve();
      };
      const onMsg = (m: unknown) => {
        if ((m as { warm?: boolean })?.warm) done();
      };
      worker.on("message", onMsg);
      worker.once("error", done);
      worker.once("exit", done);
    });
    return { worker, busy: false, warm };
  }

  /** Resolves once every worker has loaded what tasks need (the bots' readiness waits for it). */
  async ready(): Promise<void> {
    if (this.inline) {
      this.inlineHandler ??= this.loadInline();
      await this.inlineHandler;
      return;
    }
    await Promise.all(this.slots.map((s) => s.warm));
  }

  /** Whether tasks run in threads (false: in-process, no deadline enforcement). */
  get threaded(): boolean {
    return !this.inline;
  }

  private spawn(): Worker {
    const w = new Worker(this.opts.script, {
      workerData: this.opts.workerData,
      ...(this.opts.maxHeapMb ? { resourceLimits: { maxOldGenerationSizeMb: this.opts.maxHeapMb } } : {}),
    });
    w.unref();
    return w;
  }

  /** Runs one task; rejects with DeadlineError or WorkerCrashError, or the task's own error. */
  run(input: I, deadlineMs = this.opts.deadlineMs): Promise<O> {
    if (this.closed) return Promise.reject(new Error("the review pool is closed"));
    if (this.inline) return this.runInline(input);
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ input, deadlineMs, resolve, reject });
      this.stats.queued = this.waiting.length;
      this.pump();
    });
  }

  private async runInline(input: I): Promise<O> {
    this.inlineHandler ??= this.loadInline();
    const handle = await this.inlineHandler;
    this.stats.busy++;
    try {
      return await handle(input);
    } finally {
      this.stats.busy--;
    }
  }

  private async loadInline(): Promise<(input: I) => O | Promise<O>> {
    if (this.opts.inline) return this.opts.inline;
    const m = (await import(this.opts.script.href)) as { handle: (input: I, data: unknown) => O | Promise<O>; warmUp?: () => Promise<void> };
    await m.warmUp?.();
    return (x: I) => m.handle(x, this.opts.workerData);
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const task = this.waiting.shift();
      if (!task) break;
      this.stats.queued = this.waiting.length;
      this.execute(slot, task);
    }
  }

  private execute(slot: Slot, task: Task<I, O>): void {
    slot.busy = true;
    this.stats.busy++;
    const w = slot.worker;
    let settled = false;
    const finish = (replace: boolean, settle: () => void) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      w.off("message", onMessage);
      w.off("error", onError);
      w.off("exit", onExit);
      if (replace) {
        void w.terminate();
        if (!this.closed) Object.assign(slot, this.slot());
      }
      slot.busy = false;
      this.stats.busy--;
      settle();
      this.pump();
    };
    const onMessage = (m: Answer<O> | { warm: true }) => {
      if ("warm" in m) return;
      finish(false, () => (m.ok ? task.resolve(m.output) : task.reject(new Error(m.error))));
    };
    const onError = (e: Error) => {
      this.stats.crashes++;
      finish(true, () => task.reject(new WorkerCrashError(e.message)));
    };
    const onExit = (code: number) => {
      this.stats.crashes++;
      finish(true, () => task.reject(new WorkerCrashError(`exit code ${code}`)));
    };
    let timer: NodeJS.Timeout | undefined;
    w.on("message", onMessage);
    w.once("error", onError);
    w.once("exit", onExit);
    // the deadline counts the task's own time, not a replacement worker's start-up
    void slot.warm.then(() => {
      if (settled) return;
      timer = setTimeout(() => {
        this.stats.deadlines++;
        finish(true, () => task.reject(new DeadlineError(task.deadlineMs)));
      }, task.deadlineMs);
      w.postMessage(task.input);
    });
  }

  /** Stops every worker; queued tasks are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.waiting.splice(0)) t.reject(new Error("the review pool is closed"));
    this.stats.queued = 0;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/**
 * In a worker module: loads what tasks need (warmUp), says so, then answers
 * the pool's messages with `handle`. Does nothing on the main thread.
 */
export function serveTasks<I, O>(handle: (input: I, data: unknown) => O | Promise<O>, data: unknown, warmUp?: () => Promise<void>): void {
  if (isMainThread || !parentPort) return;
  const port = parentPort;
  const warm = (warmUp ?? (async () => undefined))().catch(() => undefined);
  void warm.then(() => port.postMessage({ warm: true }));
  port.on("message", (input: I) => {
    warm
      .then(() => handle(input, data))
      .then(
        (output) => port.postMessage({ ok: true, output }),
        (err: unknown) => port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
      );
  });
}

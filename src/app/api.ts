// How the app talks to GitHub: rate limits waited out (retry-after,
// x-ratelimit-reset), secondary limits backed off, server errors retried a
// bounded number of times, and writes serialised per installation with a
// minimum gap between them. Installed as an outermost request hook, so it
// wraps probot's authentication; probot's own throttle and retry plugins are
// switched off (server.ts) so that there is exactly one policy.
import type { ProbotOctokit } from "probot";

export type Octokit = InstanceType<typeof ProbotOctokit>;

export interface ApiPolicy {
  /** Retries after the first attempt, for any retryable answer. */
  maxRetries: number;
  /** Minimum gap between two writes of one installation (GitHub asks for >= 1 s). */
  writeIntervalMs: number;
  /** First wait after a secondary rate limit without retry-after; doubles each time. */
  secondaryBackoffMs: number;
  /** First wait after a 5xx or a network error; doubles each time. */
  serverErrorBackoffMs: number;
  /** A wait longer than this is not taken: the request fails and the failure is reported. */
  maxWaitMs: number;
}

export const DEFAULT_POLICY: ApiPolicy = {
  maxRetries: 3,
  writeIntervalMs: 1000,
  secondaryBackoffMs: 60_000,
  serverErrorBackoffMs: 1000,
  maxWaitMs: 15 * 60_000,
};

/** Policy from the environment (RECLAIM_* variables, documented in docs/github-app.md). */
export function policyFromEnv(env: NodeJS.ProcessEnv): ApiPolicy {
  const num = (name: string, dflt: number): number => {
    const v = env[name];
    if (v === undefined || v === "") return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${v}"`);
    return n;
  };
  return {
    maxRetries: num("RECLAIM_MAX_RETRIES", DEFAULT_POLICY.maxRetries),
    writeIntervalMs: num("RECLAIM_WRITE_INTERVAL_MS", DEFAULT_POLICY.writeIntervalMs),
    secondaryBackoffMs: num("RECLAIM_SECONDARY_BACKOFF_MS", DEFAULT_POLICY.secondaryBackoffMs),
    serverErrorBackoffMs: num("RECLAIM_SERVER_ERROR_BACKOFF_MS", DEFAULT_POLICY.serverErrorBackoffMs),
    maxWaitMs: num("RECLAIM_MAX_WAIT_MS", DEFAULT_POLICY.maxWaitMs),
  };
}

interface ErrorLike {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined> };
}

function header(err: ErrorLike, name: string): string | undefined {
  const v = err.response?.headers?.[name];
  return v === undefined ? undefined : String(v);
}

/**
 * How long to wait before retrying a failed request, or null when it must not
 * be retried (a 4xx that is not a rate limit, or a wait past maxWaitMs).
 */
export function retryDelay(err: unknown, attempt: number, policy: ApiPolicy, now = Date.now()): number | null {
  const e = (err ?? {}) as ErrorLike;
  const status = typeof e.status === "number" ? e.status : undefined;
  let wait: number | null = null;
  if (status === 403 || status === 429) {
    const retryAfter = header(e, "retry-after");
    const remaining = header(e, "x-ratelimit-remaining");
    const reset = header(e, "x-ratelimit-reset");
    if (retryAfter !== undefined && Number.isFinite(Number(retryAfter))) {
      wait = Number(retryAfter) * 1000;
    } else if (remaining === "0" && reset !== undefined && Number.isFinite(Number(reset))) {
      wait = Math.max(0, Number(reset) * 1000 - now) + 1000;
    } else if (status === 429 || /secondary rate limit|abuse detection/i.test(e.message ?? "")) {
      wait = policy.secondaryBackoffMs * 2 ** attempt;
    }
  } else if (status === undefined || status >= 500) {
    wait = policy.serverErrorBackoffMs * 2 ** attempt;
  }
  if (wait === null || wait > policy.maxWaitMs) return null;
  return wait;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One chain of writes per installation, each at least writeIntervalMs after the previous one. */
export class WriteGate {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly last = new Map<string, number>();

  constructor(private readonly intervalMs: number) {}

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(
      () => this.exec(key, fn),
      () => this.exec(key, fn),
    );
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  private async exec<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const wait = (this.last.get(key) ?? 0) + this.intervalMs - Date.now();
    if (wait > 0) await sleep(wait);
    try {
      return await fn();
    } finally {
      this.last.set(key, Date.now());
      if (this.last.size > 10_000) this.last.clear();
    }
  }
}

export interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
}

/** Wraps an installation's octokit with the retry and write policy (outermost hook). */
export function makeResilient(octokit: Octokit, opts: { policy: ApiPolicy; gate: WriteGate; key: string; log: Logger }): Octokit {
  const { policy, gate, key, log } = opts;
  octokit.hook.wrap("request", async (request, options) => {
    const method = String(options.method ?? "GET").toUpperCase();
    const attemptLoop = async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await request(options);
        } catch (err) {
          const wait = attempt < policy.maxRetries ? retryDelay(err, attempt, policy) : null;
          if (wait === null) throw err;
          log.warn(
            { status: (err as ErrorLike).status, method, url: options.url, waitMs: wait, attempt: attempt + 1 },
            `GitHub answered ${(err as ErrorLike).status ?? "with a network error"}; retrying in ${Math.round(wait / 100) / 10} s`,
          );
          await sleep(wait);
        }
      }
    };
    if (method === "GET" || method === "HEAD") return attemptLoop();
    return gate.run(key, attemptLoop);
  });
  return octokit;
}

/** An error GitHub gave that means "this token may not do that" (fork installs, missing permissions). */
export function isForbidden(err: unknown): boolean {
  const e = (err ?? {}) as ErrorLike;
  return e.status === 403 && !/rate limit|abuse/i.test(e.message ?? "");
}

export function statusOf(err: unknown): number | undefined {
  const s = (err as ErrorLike | undefined)?.status;
  return typeof s === "number" ? s : undefined;
}

// How the app talks to GitHub: probot's own octokit plugins, configured.
// @octokit/plugin-throttling waits out primary rate limits (x-ratelimit-reset)
// and secondary ones (retry-after), and spaces the writes of one installation
// (probot keys its limiters by installation id); @octokit/plugin-retry retries
// 5xx answers and network errors. What is ours is the policy: how often and
// how long to wait, and the spacing, from RECLAIM_* variables.
import Bottleneck from "bottleneck";
import { ProbotOctokit } from "probot";
import { metrics } from "../ops/metrics.js";

export type Octokit = InstanceType<typeof ProbotOctokit>;

export interface ApiPolicy {
  /** Retries after the first attempt: per rate limit kind, and for 5xx/network errors. */
  maxRetries: number;
  /** Minimum gap between two writes of one installation (GitHub asks for >= 1 s); requests that notify people wait three times as long. */
  writeIntervalMs: number;
  /** Wait after a secondary rate limit that gives no retry-after; doubles each time. */
  secondaryBackoffMs: number;
  /** Wait after a 5xx or a network error, growing as (attempt + 1)^2. */
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

export interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
}

interface RequestLike {
  method?: string;
  url?: string;
}

type HasLog = { log: Pick<Logger, "warn"> };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The throttling plugin's two decisions: retry after a primary or secondary
 * rate limit, or give up (retries used up, or a wait past maxWaitMs). The
 * plugin then waits retry-after (or, with none, fallbackSecondaryRateRetryAfter);
 * for a repeated secondary limit without retry-after we wait longer first,
 * so the waits double as GitHub's best-practices page asks.
 */
export function rateLimitHandlers(policy: ApiPolicy, wait: (ms: number) => Promise<void> = sleep) {
  const fallbackS = policy.secondaryBackoffMs / 1000;
  const decide = async (kind: "primary" | "secondary", retryAfterS: number, options: RequestLike, octokit: HasLog, retryCount: number): Promise<boolean> => {
    const extraMs = kind === "secondary" && retryAfterS === fallbackS ? policy.secondaryBackoffMs * (2 ** retryCount - 1) : 0;
    const totalMs = retryAfterS * 1000 + extraMs;
    const what = `${String(options.method ?? "GET").toUpperCase()} ${options.url ?? ""}`;
    const fields = { request: what, waitMs: totalMs, attempt: retryCount + 1 };
    if (retryCount >= policy.maxRetries || totalMs > policy.maxWaitMs) {
      octokit.log.warn(fields, `GitHub ${kind} rate limit on ${what}: not retried (${retryCount >= policy.maxRetries ? "retries used up" : "the wait is too long"})`);
      return false;
    }
    octokit.log.warn(fields, `GitHub ${kind} rate limit on ${what}; retrying in ${Math.round(totalMs / 100) / 10} s`);
    metrics().rateLimitWaits.inc({ bot: "github", reason: `${kind}-rate-limit` });
    metrics().rateLimitWaitSeconds.inc({ bot: "github", reason: `${kind}-rate-limit` }, totalMs / 1000);
    if (extraMs > 0) await wait(extraMs);
    return true;
  };
  return {
    onRateLimit: (retryAfter: number, options: RequestLike, octokit: HasLog, retryCount: number) => decide("primary", retryAfter, options, octokit, retryCount),
    onSecondaryRateLimit: (retryAfter: number, options: RequestLike, octokit: HasLog, retryCount: number) => decide("secondary", retryAfter, options, octokit, retryCount),
  };
}

/**
 * Options for probot's throttling and retry plugins from the policy. The
 * limiter groups are shared by every installation's octokit (the plugin keys
 * them by installation id), so writes are spaced per installation.
 */
export function pluginOptions(policy: ApiPolicy): { throttle: Record<string, unknown>; retry: Record<string, unknown> } {
  return {
    throttle: {
      enabled: true,
      fallbackSecondaryRateRetryAfter: policy.secondaryBackoffMs / 1000,
      write: new Bottleneck.Group({ id: "reclaim-write", maxConcurrent: 1, minTime: policy.writeIntervalMs }),
      notifications: new Bottleneck.Group({ id: "reclaim-notify", maxConcurrent: 1, minTime: 3 * policy.writeIntervalMs }),
      ...rateLimitHandlers(policy),
    },
    retry: {
      enabled: true,
      retries: policy.maxRetries,
      retryAfterBaseValue: policy.serverErrorBackoffMs,
      // rate limits (403, 429) are the throttling plugin's; refusals are final
      doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
    },
  };
}

/** ProbotOctokit with the policy in its throttling and retry plugins (probot's per-installation id kept). */
export function appOctokit(policy: ApiPolicy): typeof ProbotOctokit {
  const opts = pluginOptions(policy);
  return ProbotOctokit.defaults((options: Record<string, unknown>) => ({
    ...options,
    throttle: { ...((options.throttle as object | undefined) ?? {}), ...opts.throttle },
    retry: { ...((options.retry as object | undefined) ?? {}), ...opts.retry },
  })) as typeof ProbotOctokit;
}

interface ErrorLike {
  status?: number;
  message?: string;
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

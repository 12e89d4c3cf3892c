// Prometheus metrics (prom-client) of the two bots, served at GET /metrics
// (src/ops/http.ts). One registry per process, with Node's default process
// metrics (RSS, heap, event-loop lag, GC). Names and labels are documented in
// docs/operations.md.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type BotName = "github" | "mail";

/** How a review ended: "ok" (published or queued), "deadline" (stopped by the review deadline), "failed", "skipped". */
export type ReviewOutcome = "ok" | "deadline" | "failed" | "skipped";

export interface Metrics {
  registry: Registry;
  reviews: Counter<"bot" | "outcome">;
  reviewSeconds: Histogram<"bot">;
  queueDepth: Gauge<"bot">;
  running: Gauge<"bot">;
  failures: Counter<"bot" | "kind">;
  rateLimitWaits: Counter<"bot" | "reason">;
  rateLimitWaitSeconds: Counter<"bot" | "reason">;
  bodiesRefused: Counter<"reason">;
}

let instance: Metrics | null = null;
const depthSources = new Map<BotName, () => { queued: number; running: number }>();

/** The process's metrics (created on first use). */
export function metrics(): Metrics {
  if (instance) return instance;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "reclaim_" });
  const m: Metrics = {
    registry,
    reviews: new Counter({ name: "reclaim_reviews_total", help: "Reviews finished, by bot and outcome (ok, deadline, failed, skipped).", labelNames: ["bot", "outcome"], registers: [registry] }),
    reviewSeconds: new Histogram({
      name: "reclaim_review_duration_seconds",
      help: "Time of one review in its worker (parse, analysis, rules), by bot.",
      labelNames: ["bot"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "reclaim_queue_depth",
      help: "Jobs waiting (GitHub App: pull request jobs; mail bot: replies waiting in the outbox), by bot.",
      labelNames: ["bot"],
      registers: [registry],
      collect() {
        for (const [bot, f] of depthSources) this.set({ bot }, f().queued);
      },
    }),
    running: new Gauge({
      name: "reclaim_jobs_running",
      help: "Jobs running now, by bot.",
      labelNames: ["bot"],
      registers: [registry],
      collect() {
        for (const [bot, f] of depthSources) this.set({ bot }, f().running);
      },
    }),
    failures: new Counter({
      name: "reclaim_failures_total",
      help: "Failures by bot and kind (review: an internal error; deadline: a review stopped; api: a GitHub request that failed for good; delivery: a reply not sent; input: a message or webhook that could not be read).",
      labelNames: ["bot", "kind"],
      registers: [registry],
    }),
    rateLimitWaits: new Counter({
      name: "reclaim_rate_limit_waits_total",
      help: "Times a bot waited for a rate limit (github: GitHub's primary/secondary limits and retries; mail: the replies-per-minute limit).",
      labelNames: ["bot", "reason"],
      registers: [registry],
    }),
    rateLimitWaitSeconds: new Counter({
      name: "reclaim_rate_limit_wait_seconds_total",
      help: "Seconds spent waiting for rate limits, by bot and reason.",
      labelNames: ["bot", "reason"],
      registers: [registry],
    }),
    bodiesRefused: new Counter({
      name: "reclaim_webhook_bodies_refused_total",
      help: "Webhook requests refused before their body was read, by reason (content-length, streamed).",
      labelNames: ["reason"],
      registers: [registry],
    }),
  };
  instance = m;
  return m;
}

/** Where the queue gauges read their numbers for one bot. */
export function setDepthSource(bot: BotName, f: () => { queued: number; running: number }): void {
  depthSources.set(bot, f);
}

// Starts the real probot server with probot's standard environment (APP_ID,
// PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET, PORT, HOST, GHE_HOST,
// GHE_PROTOCOL, LOG_LEVEL; webhooks at /api/github/webhooks). Probot verifies
// X-Hub-Signature-256 before any handler runs. Its throttle and retry
// plugins wait out rate limits and retry server errors, with the policy of
// api.ts (RECLAIM_* variables).
import { run, type Server } from "probot";
import { UsageError } from "../errors.js";
import { appOctokit, policyFromEnv } from "./api.js";
import { createReclaimApp, type ReclaimApp } from "./index.js";
import { DEFAULT_LIMITS } from "./pr-input.js";

export interface RunningApp {
  server: Server;
  app: ReclaimApp;
  /** Stops accepting webhooks, lets queued work finish (up to drainMs), then closes. */
  stop(drainMs?: number): Promise<void>;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const v = env[name];
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} must be a positive whole number, got "${v}"`);
  return n;
}

/** Reads the environment, starts the server, returns once it listens. */
export async function startGitHubApp(env: NodeJS.ProcessEnv = process.env): Promise<RunningApp> {
  const configured = Boolean(env.APP_ID) && Boolean(env.PRIVATE_KEY || env.PRIVATE_KEY_PATH);
  if (configured && !env.WEBHOOK_SECRET) {
    throw new UsageError("WEBHOOK_SECRET is not set: refusing to accept unsigned webhooks");
  }
  const policy = policyFromEnv(env);
  const app = createReclaimApp({
    appId: env.APP_ID ? Number(env.APP_ID) : null,
    limits: { ...DEFAULT_LIMITS, maxFileBytes: positiveInt(env, "RECLAIM_MAX_FILE_BYTES", DEFAULT_LIMITS.maxFileBytes) },
    concurrency: positiveInt(env, "RECLAIM_CONCURRENCY", 4),
    maxQueued: positiveInt(env, "RECLAIM_MAX_QUEUED", 500),
  });
  // Without APP_ID and a key, probot serves its manifest flow (app.yml) to create the app.
  const server = await run(app.appFn, { env, Octokit: appOctokit(policy) });
  return {
    server,
    app,
    async stop(drainMs = 30_000) {
      await server.stop();
      await Promise.race([app.queue.idle(), new Promise((r) => setTimeout(r, drainMs).unref())]);
    },
  };
}

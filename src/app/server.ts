// Starts the GitHub App with probot's standard environment (APP_ID,
// PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET, PORT, HOST, GHE_HOST,
// GHE_PROTOCOL, LOG_LEVEL, LOG_FORMAT; webhooks at /api/github/webhooks).
//
// Our own node:http server sits in front of probot's middleware:
//  - a webhook body over RECLAIM_MAX_BODY_BYTES (25 MB, GitHub's own cap) is
//    answered 413 before it is buffered: by Content-Length (and on
//    "Expect: 100-continue" before the client sends it), and by counting the
//    bytes of a streamed body; the rest is discarded unread, then the
//    connection is closed;
//  - probot then verifies X-Hub-Signature-256 before any handler runs;
//  - /ping, /healthz, /readyz and /metrics (src/ops/http.ts) answer at any
//    time: reviews run in worker threads.
// Probot's throttle and retry plugins wait out rate limits and retry server
// errors, with the policy of api.ts (RECLAIM_* variables). Without APP_ID and
// a key, probot's own server serves the manifest flow (app.yml) that creates
// the app.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import { createNodeMiddleware, createProbot, run } from "probot";
import { UsageError, errorMessage } from "../errors.js";
import { handleOps, type Health } from "../ops/http.js";
import { metrics } from "../ops/metrics.js";
import { appOctokit, policyFromEnv, type Logger } from "./api.js";
import { DEFAULT_DEADLINE_MS, createReclaimApp, type ReclaimApp } from "./index.js";
import { DEFAULT_LIMITS } from "./pr-input.js";

/** GitHub caps webhook payloads at 25 MB; larger bodies are refused unread. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;
/** How long a refused body is still read (and discarded) so the client sees the 413, before the connection is closed. */
const LINGER_MS = 2000;

export interface RunningApp {
  /** The listening HTTP server. */
  server: HttpServer;
  app: ReclaimApp;
  /** Stops accepting webhooks, lets queued work finish (up to drainMs), then closes. */
  stop(drainMs?: number): Promise<void>;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, dflt: number, min = 1): number {
  const v = env[name];
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be a whole number of at least ${min}, got "${v}"`);
  return n;
}

function refuse(req: IncomingMessage, res: ServerResponse, limit: number, reason: "content-length" | "streamed", log: Logger): void {
  metrics().bodiesRefused.inc({ reason });
  log.warn({ delivery: req.headers["x-github-delivery"], contentLength: req.headers["content-length"], limit, reason }, "webhook body over the size limit refused (413)");
  if (!res.headersSent) {
    res.writeHead(413, { "content-type": "application/json", connection: "close" });
    res.end(JSON.stringify({ error: `request body over ${limit} bytes` }) + "\n");
  }
  // read the rest into nothing for a moment (so the client reads our answer), then close
  req.removeAllListeners("data");
  req.on("data", () => undefined);
  req.resume();
  const t = setTimeout(() => req.socket.destroy(), LINGER_MS);
  t.unref();
  req.socket.once("close", () => clearTimeout(t));
}

/**
 * Reads a request body of at most `limit` bytes into memory. Answers 413 and
 * resolves null as soon as the declared or counted size passes the limit.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, limit: number, log: Logger): Promise<Buffer | null> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    refuse(req, res, limit, "content-length", log);
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        chunks.length = 0;
        cleanup();
        refuse(req, res, limit, "streamed", log);
        resolve(null);
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

/** Reads the environment, starts the server, returns once it listens. */
export async function startGitHubApp(env: NodeJS.ProcessEnv = process.env): Promise<RunningApp> {
  const configured = Boolean(env.APP_ID) && Boolean(env.PRIVATE_KEY || env.PRIVATE_KEY_PATH);
  if (configured && !env.WEBHOOK_SECRET) {
    throw new UsageError("WEBHOOK_SECRET is not set: refusing to accept unsigned webhooks");
  }
  const maxBody = positiveInt(env, "RECLAIM_MAX_BODY_BYTES", MAX_WEBHOOK_BYTES);
  const policy = policyFromEnv(env);
  const app = createReclaimApp({
    appId: env.APP_ID ? Number(env.APP_ID) : null,
    limits: { ...DEFAULT_LIMITS, maxFileBytes: positiveInt(env, "RECLAIM_MAX_FILE_BYTES", DEFAULT_LIMITS.maxFileBytes) },
    concurrency: positiveInt(env, "RECLAIM_CONCURRENCY", 4),
    maxQueued: positiveInt(env, "RECLAIM_MAX_QUEUED", 500),
    workers: positiveInt(env, "RECLAIM_REVIEW_WORKERS", 2, 0),
    deadlineMs: positiveInt(env, "RECLAIM_REVIEW_DEADLINE_MS", DEFAULT_DEADLINE_MS),
    ...(env.RECLAIM_BOT_LOGIN ? { botLogin: env.RECLAIM_BOT_LOGIN } : {}),
  });
  if (!configured) {
    // probot's manifest flow creates the app (app.yml); nothing is reviewed until it is configured
    const server = await run(app.appFn, { env, Octokit: appOctokit(policy) });
    void server;
    return {
      server: createServer(),
      app,
      async stop() {
        await server.stop();
        await app.pool.close();
      },
    };
  }

  const probot = createProbot({ env: { LOG_LEVEL: "info", ...env }, overrides: { Octokit: appOctokit(policy) } });
  const webhookPath = env.WEBHOOK_PATH || "/api/github/webhooks";
  const middleware = await createNodeMiddleware(app.appFn, { probot, webhooksPath: webhookPath });
  // probot builds its logger while loading the application function
  const log = probot.log as unknown as Logger;
  let stopping = false;
  let warm = false;
  void app.pool.ready().then(() => {
    warm = true;
    log.info({ workers: app.pool.stats.size }, "ready: review workers loaded");
  });
  const health: Health = {
    ready: () => !stopping && warm && app.loaded(),
    detail: () => ({
      queued: app.queue.stats.queued,
      running: app.queue.stats.running,
      workers: app.pool.stats.size,
      reviewing: app.pool.stats.busy,
      stopping,
    }),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (await handleOps(req, res, health)) return;
    if (req.method === "POST" && (req.url ?? "").split("?")[0]!.replace(/\/+$/, "") === webhookPath.replace(/\/+$/, "")) {
      if (stopping) {
        res.writeHead(503, { "content-type": "application/json", "retry-after": "30" }).end(JSON.stringify({ error: "stopping; redeliver later" }) + "\n");
        return;
      }
      const body = await readBody(req, res, maxBody, log);
      if (body === null) return;
      // probot's middleware takes a body already read (a string) and verifies its signature
      (req as IncomingMessage & { body?: string }).body = new TextDecoder("utf-8", { fatal: false }).decode(body);
    }
    const handled = await middleware(req, res);
    if (!handled && !res.headersSent) res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err: errorMessage(err) }, "request failed");
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  // "Expect: 100-continue": refuse an oversized body before the client sends it
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBody) {
      metrics().bodiesRefused.inc({ reason: "content-length" });
      res.writeHead(413, { "content-type": "application/json", connection: "close" }).end(JSON.stringify({ error: `request body over ${maxBody} bytes` }) + "\n");
      return;
    }
    res.writeContinue();
    server.emit("request", req, res);
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  const host = env.HOST || "localhost";
  const port = env.PORT ? Number(env.PORT) : 3000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  log.info({ host, port, workers: app.pool.stats.size, threaded: app.pool.threaded, maxBodyBytes: maxBody }, `Listening on http://${host}:${port}`);
  return {
    server,
    app,
    async stop(drainMs = 30_000) {
      stopping = true;
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.race([app.queue.idle(), new Promise((r) => setTimeout(r, drainMs).unref())]);
      await app.pool.close();
    },
  };
}

// The operator's HTTP endpoints, shared by the GitHub App (on its webhook
// port) and the mail bot (--http HOST:PORT):
//   GET /ping     "PONG" (probot's liveness answer)
//   GET /healthz  liveness: 200 and a JSON status while the event loop runs
//   GET /readyz   readiness: 200 once the bot can take work, 503 before and while stopping
//   GET /metrics  Prometheus text format (src/ops/metrics.ts)
// Reviews run in worker threads, so these answer during reviews.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { metrics } from "./metrics.js";

export interface Health {
  /** True once the bot can take work (and not while it drains to stop). */
  ready(): boolean;
  /** Extra fields for /healthz and /readyz (queue sizes, pool state). */
  detail(): Record<string, unknown>;
}

const started = Date.now();

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" }).end(body);
}

/** Answers the ops endpoints; false for any other request. */
export async function handleOps(req: IncomingMessage, res: ServerResponse, health: Health): Promise<boolean> {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  const path = (req.url ?? "").split("?")[0];
  switch (path) {
    case "/ping":
      send(res, 200, "text/plain", "PONG");
      return true;
    case "/healthz":
      send(res, 200, "application/json", JSON.stringify({ status: "ok", uptimeSeconds: Math.round((Date.now() - started) / 1000), ...health.detail() }) + "\n");
      return true;
    case "/readyz": {
      const ok = health.ready();
      send(res, ok ? 200 : 503, "application/json", JSON.stringify({ ready: ok, ...health.detail() }) + "\n");
      return true;
    }
    case "/metrics": {
      const reg = metrics().registry;
      send(res, 200, reg.contentType, await reg.metrics());
      return true;
    }
    default:
      return false;
  }
}

/** An HTTP server with only the ops endpoints (the mail bot's). Resolves once it listens. */
export function startOpsServer(host: string, port: number, health: Health): Promise<Server> {
  const server = createServer((req, res) => {
    handleOps(req, res, health).then(
      (done) => {
        if (!done) send(res, 404, "text/plain", "not found\n");
      },
      () => send(res, 500, "text/plain", "error\n"),
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

/** "127.0.0.1:9464", ":9464", "[::1]:9464" -> host and port. */
export function parseListen(spec: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(spec.trim());
  if (!m) throw new Error(`--http takes HOST:PORT (e.g. 127.0.0.1:9464), not "${spec}"`);
  const port = Number(m[3]);
  if (port < 0 || port > 65535) throw new Error(`--http: port ${port} is out of range`);
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port };
}

// `reclaim-review github`: runs the GitHub App until SIGINT/SIGTERM.
// Configuration comes from probot's environment (see docs/github-app.md).
import { parseArgs } from "node:util";
import type { Io } from "../main.js";

const HELP = `usage: reclaim-review github

Starts the GitHub App (probot) and serves webhooks at /api/github/webhooks.

environment:
  APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH   the app's id and private key
                                           (without them: the manifest flow that creates the app)
  WEBHOOK_SECRET                           webhook secret (required)
  PORT (3000), HOST (localhost)            where to listen (HOST=0.0.0.0 in containers)
  GHE_HOST, GHE_PROTOCOL                   GitHub Enterprise Server (API at PROTOCOL://HOST/api/v3)
  LOG_LEVEL, LOG_FORMAT=json               logging
  RECLAIM_CONCURRENCY (4), RECLAIM_MAX_QUEUED (500), RECLAIM_WRITE_INTERVAL_MS (1000),
  RECLAIM_MAX_RETRIES (3), RECLAIM_SECONDARY_BACKOFF_MS (60000),
  RECLAIM_SERVER_ERROR_BACKOFF_MS (1000), RECLAIM_MAX_WAIT_MS (900000),
  RECLAIM_MAX_FILE_BYTES (1048576)         queue, rate-limit and size bounds
  RECLAIM_MAX_BODY_BYTES (26214400)        larger webhook bodies are refused (413) unread
  RECLAIM_REVIEW_WORKERS (2)               review worker threads
  RECLAIM_REVIEW_DEADLINE_MS (60000)       a longer review is stopped and reported (check run neutral)
  RECLAIM_BOT_LOGIN                        the app's bot account (default: asked of GitHub, GET /app)

endpoints: POST /api/github/webhooks, GET /ping, /healthz, /readyz, /metrics (docs/operations.md)
`;

export async function run(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { help: { type: "boolean", short: "h" } } });
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  const { startGitHubApp } = await import("../../app/server.js");
  const running = await startGitHubApp(process.env);
  return await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      io.stderr(`reclaim-review: ${signal}: finishing queued reviews, then stopping\n`);
      running.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}

// `reclaim-review mail`: the mailing-list bot (DESIGN.md contract). Flags win
// over the same keys in the --config YAML file.
import { parseArgs } from "node:util";
import { UsageError } from "../../errors.js";
import type { Io } from "../main.js";

export const MAIL_USAGE = `usage: reclaim-review mail [options]
  --imap-url imap[s]://USER[:PASS]@HOST:PORT/MAILBOX   a mailbox to watch (repeatable)
  --from-mbox FILE           backfill from an mbox file (repeatable)
  --from-public-inbox DIR    backfill from a public-inbox v2 archive (repeatable)
  --smtp-url smtp[s]://[USER:PASS@]HOST:PORT   send replies (without it: dry run)
  --outbox DIR               dry run: write each reply there as an .eml
  --from "Name <addr>"       who the replies come from
  --state DIR                the bot's state store
  --once                     process what is waiting, then exit
  --tree DIR                 review every patch against this kernel git repository
                             (or source directory); per list: \`tree:\` in --config
  --tree-fetch MINUTES       git fetch in each tree repository before a batch,
                             at most every MINUTES (0: before every batch)
  --config FILE              YAML: the same keys, the review config, per-list policy
  --imap-password-file FILE  the IMAP password (or RECLAIM_IMAP_PASSWORD), when the URL has none
  --smtp-password-file FILE  the SMTP password (or RECLAIM_SMTP_PASSWORD), when the URL has none
  --allow-plaintext          allow IMAP/SMTP without TLS to a host that is not loopback
  --max-recipients N         To + Cc of one reply at most (default 20)
  --review-workers N         review worker threads (default 2)
  --review-deadline SECONDS  a longer review is stopped, logged and tried once more (default 60)
  --http HOST:PORT           serve /ping, /healthz, /readyz and /metrics
  --log-format text|json     json: one object per line (docs/operations.md)

One bot per --state directory: a second one exits 2 naming the first one's PID.`;

export async function run(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      "imap-url": { type: "string", multiple: true },
      "from-mbox": { type: "string", multiple: true },
      "from-public-inbox": { type: "string", multiple: true },
      "smtp-url": { type: "string" },
      outbox: { type: "string" },
      from: { type: "string" },
      state: { type: "string" },
      once: { type: "boolean" },
      tree: { type: "string" },
      "tree-fetch": { type: "string" },
      config: { type: "string" },
      "imap-password-file": { type: "string" },
      "smtp-password-file": { type: "string" },
      "allow-plaintext": { type: "boolean" },
      "max-recipients": { type: "string" },
      "review-workers": { type: "string" },
      "review-deadline": { type: "string" },
      http: { type: "string" },
      "log-format": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout(MAIL_USAGE + "\n");
    return 0;
  }
  const { readMailConfig } = await import("../../mailbot/policy.js");
  const { runMail } = await import("../../mailbot/index.js");
  const config = values.config ? readMailConfig(values.config) : {};
  for (const k of ["imap-url", "from-mbox", "from-public-inbox"] as const) {
    const v = values[k];
    if (v && v.length > 0) config[k] = v;
  }
  if (values["tree-fetch"] !== undefined) {
    const n = Number(values["tree-fetch"]);
    if (!Number.isFinite(n) || n < 0) throw new UsageError("--tree-fetch takes a number of minutes (0 or more)");
    config["tree-fetch"] = n;
  }
  for (const k of ["smtp-url", "outbox", "from", "state", "tree", "imap-password-file", "smtp-password-file", "http"] as const) {
    const v = values[k];
    if (v !== undefined) config[k] = v;
  }
  if (values.once !== undefined) config.once = values.once;
  if (values["allow-plaintext"] !== undefined) config["allow-plaintext"] = values["allow-plaintext"];
  const num = (name: "max-recipients" | "review-workers" | "review-deadline", min: number) => {
    const v = values[name];
    if (v === undefined) return;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || (name !== "review-deadline" && !Number.isInteger(n))) throw new UsageError(`--${name} takes a number of at least ${min}, not "${v}"`);
    config[name] = n;
  };
  num("max-recipients", 1);
  num("review-workers", 0);
  num("review-deadline", 0.001);
  if (values["log-format"] !== undefined) {
    if (values["log-format"] !== "text" && values["log-format"] !== "json") throw new UsageError(`--log-format takes text or json`);
    config["log-format"] = values["log-format"];
  }
  const json = config["log-format"] === "json";
  const log = (line: string, fields: Record<string, unknown> = {}) =>
    io.stderr(json ? JSON.stringify({ time: new Date().toISOString(), level: /fail|error|refused|could not|did not finish/i.test(line) ? "warn" : "info", name: "mail", msg: line, ...fields }) + "\n" : `mail: ${line}\n`);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    const summary = await runMail({
      config,
      log,
      signal: controller.signal,
    });
    log(`${summary.ingested} messages, ${summary.sent} replies sent, ${summary.waiting} waiting`, { ingested: summary.ingested, sent: summary.sent, waiting: summary.waiting });
    return summary.ok ? 0 : 1;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

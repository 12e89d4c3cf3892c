// `reclaim-review mail`: the mailing-list bot (DESIGN.md contract). Flags win
// over the same keys in the --config YAML file.
import { parseArgs } from "node:util";
import { UsageError } from "../../errors.js";
import type { Io } from "../main.js";

export const MAIL_USAGE = `usage: reclaim-review mail [options]
  --imap-url imap[s]://USER:PASS@HOST:PORT/MAILBOX   a mailbox to watch (repeatable)
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
  --config FILE              YAML: the same keys, the review config, per-list policy`;

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
  for (const k of ["smtp-url", "outbox", "from", "state", "tree"] as const) {
    const v = values[k];
    if (v !== undefined) config[k] = v;
  }
  if (values.once !== undefined) config.once = values.once;
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    const summary = await runMail({
      config,
      log: (line) => io.stderr(`mail: ${line}\n`),
      signal: controller.signal,
    });
    io.stderr(`mail: ${summary.ingested} messages, ${summary.sent} replies sent, ${summary.waiting} waiting\n`);
    return summary.ok ? 0 : 1;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

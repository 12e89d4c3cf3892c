// The mail bot, assembled: options (flags over config file) -> state store,
// transport, bot, then IMAP watchers and/or backfill sources.
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { loadKnowledge } from "../knowledge/load.js";
import { ALL_RULES } from "../rules/index.js";
import { UsageError, errorMessage } from "../errors.js";
import { parseListen, startOpsServer } from "../ops/http.js";
import { setDepthSource } from "../ops/metrics.js";
import type { Patch, PatchReview } from "../types.js";
import { WorkerPool } from "../workers/pool.js";
import { MailBot, type MailReviewer } from "./bot.js";
import { OutboxDirTransport, SmtpTransport, isLoopback, type Transport } from "./deliver.js";
import type { MailReviewInput } from "./review-worker.js";
import { MailboxWatcher, parseImapUrl } from "./imap.js";
import { backfillMbox, backfillPublicInbox } from "./backfill.js";
import { buildPolicies, reviewConfigOf, treesOf, type MailConfigFile } from "./policy.js";
import { TreeSet } from "./trees.js";
import { StateStore } from "./state.js";
import { builtDir, builtModule } from "../paths.js";

export { MailBot } from "./bot.js";
export { StateStore } from "./state.js";

export interface MailRunOptions {
  config: MailConfigFile;
  log: (line: string, fields?: Record<string, unknown>) => void;
  signal?: AbortSignal;
  /** Environment for passwords (RECLAIM_IMAP_PASSWORD, RECLAIM_SMTP_PASSWORD); default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** A password from an environment variable or a file (its first line); undefined when neither is given. */
export function secret(env: NodeJS.ProcessEnv, variable: string, file: string | undefined): string | undefined {
  if (file) {
    try {
      return readFileSync(file, "utf8").split(/\r?\n/)[0]!;
    } catch (err) {
      throw new UsageError(`cannot read the password file ${file}: ${errorMessage(err)}`);
    }
  }
  const v = env[variable];
  return v === undefined || v === "" ? undefined : v;
}

export const DEFAULT_REVIEW_DEADLINE_S = 60;

export interface MailRunSummary {
  ingested: number;
  sent: number;
  waiting: number;
  ok: boolean;
}

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export async function runMail(opts: MailRunOptions): Promise<MailRunSummary> {
  const c = opts.config;
  const imapUrls = list(c["imap-url"]);
  const mboxes = list(c["from-mbox"]);
  const inboxes = list(c["from-public-inbox"]);
  if (imapUrls.length + mboxes.length + inboxes.length === 0) throw new UsageError("mail: give --imap-url, --from-mbox or --from-public-inbox");
  if (!c.from) throw new UsageError('mail: --from "Name <addr>" is required');
  if (!c.state) throw new UsageError("mail: --state DIR is required");
  if (!c["smtp-url"] && !c.outbox) throw new UsageError("mail: a dry run (no --smtp-url) needs --outbox DIR");
  const env = opts.env ?? process.env;
  const plaintext = c["allow-plaintext"] ?? false;
  const imapPassword = secret(env, "RECLAIM_IMAP_PASSWORD", c["imap-password-file"]);
  const targets = imapUrls.map((u) => {
    let t;
    try {
      t = parseImapUrl(u);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (t.pass === "") {
      if (imapPassword === undefined) throw new UsageError(`--imap-url for ${t.user}@${t.host} has no password: put it in RECLAIM_IMAP_PASSWORD or --imap-password-file`);
      t.pass = imapPassword;
    }
    t.requireTLS = !t.secure && !isLoopback(t.host) && !plaintext;
    return t;
  });
  const review = reviewConfigOf(c, ALL_RULES.map((r) => r.meta.id));
  const smtpPassword = c["smtp-url"] ? secret(env, "RECLAIM_SMTP_PASSWORD", c["smtp-password-file"]) : undefined;
  const policies = buildPolicies(c);
  const trees = await TreeSet.open(treesOf(policies), { fetchMinutes: c["tree-fetch"], log: opts.log });
  let state: StateStore;
  try {
    // one bot per state directory: a second one exits 2 naming the first one's PID
    state = StateStore.open(c.state);
  } catch (err) {
    trees.close();
    throw err;
  }
  if (state.tornRecords > 0) opts.log(`state: dropped ${state.tornRecords} torn journal record(s) from a crash`);
  let transport: Transport;
  try {
    transport = c["smtp-url"] ? new SmtpTransport(c["smtp-url"], { ...(smtpPassword !== undefined ? { password: smtpPassword } : {}), allowPlaintext: plaintext }) : new OutboxDirTransport(c.outbox!);
  } catch (err) {
    state.close();
    trees.close();
    throw new UsageError((err as Error).message);
  }
  const pool = new WorkerPool<MailReviewInput, PatchReview>({
    // the compiled worker, also when this code runs from the CLI's bundle; from src/ (the tests) it runs in process
    script: builtDir() ? builtModule("mailbot/review-worker.js") : new URL("./review-worker.ts", import.meta.url),
    size: c["review-workers"] ?? 2,
    deadlineMs: (c["review-deadline"] ?? DEFAULT_REVIEW_DEADLINE_S) * 1000,
  });
  const reviewer: MailReviewer = (patch: Patch, config) => pool.run({ patch, config });
  let stopping = false;
  let warm = false;
  let http: Server | null = null;
  const bot = new MailBot({
    from: c.from,
    state,
    transport,
    policies,
    trees,
    review,
    kb: loadKnowledge(),
    rateLimit: c["rate-limit"] ?? 20,
    maxMessageBytes: c["max-message-bytes"] ?? 20 * 1024 * 1024,
    ...(c["bot-name"] ? { botName: c["bot-name"] } : {}),
    ...(c["signature-url"] ? { signatureUrl: c["signature-url"] } : {}),
    log: opts.log,
    maxRecipients: c["max-recipients"] ?? 20,
    ignoreAuth: { authservId: c["ignore-auth"]?.["authserv-id"] ?? null, allow: c["ignore-auth"]?.allow ?? [] },
    reviewer,
  });
  setDepthSource("mail", () => ({ queued: bot.pending().length, running: pool.stats.busy }));
  try {
    if (c.http) {
      const { host, port } = parseListen(c.http);
      http = await startOpsServer(host, port, {
        ready: () => warm && !stopping,
        detail: () => ({ outbox: bot.pending().length, reviewing: pool.stats.busy, workers: pool.stats.size, stopping }),
      });
      opts.log(`http: /ping, /healthz, /readyz, /metrics on ${c.http}`, { http: c.http });
    }
    await pool.ready();
    warm = true;
    opts.log("ready", { workers: pool.stats.size, threaded: pool.threaded });
  } catch (err) {
    http?.close();
    await pool.close();
    transport.close();
    state.close();
    trees.close();
    throw err instanceof UsageError ? err : new UsageError(`--http ${c.http}: ${errorMessage(err)}`);
  }
  const once = c.once ?? false;
  let ingested = 0;
  let ok = true;
  try {
    // replies left in the outbox by an earlier run (a crash, an embargo) go first
    await bot.deliverDue({ wait: once });
    await trees.refresh();
    for (const m of mboxes) ingested += (await backfillMbox(m, bot, opts)).messages;
    for (const d of inboxes) ingested += (await backfillPublicInbox(d, bot, state, opts)).messages;
    if (targets.length > 0) {
      const tick = async () => {
        await trees.refresh();
        bot.flushSeries(false);
        await bot.deliverDue();
        if (state.records > 10_000) state.compact();
      };
      const watchers = targets.map((t) => new MailboxWatcher(t, bot, state, { once, log: opts.log, tick }));
      const results = await Promise.all(watchers.map((w) => w.run(opts.signal)));
      ok = results.every(Boolean);
      ingested += watchers.reduce((s, w) => s + w.processed, 0);
    }
    bot.flushSeries(false);
    const d = await bot.deliverDue({ wait: once });
    const held = Object.keys(state.data.held).length;
    if (held > 0) opts.log(`${held} series wait for their remaining patches (series-reply: cover)`);
    const waiting = bot.pending().length;
    if (waiting > 0) opts.log(`${waiting} repl${waiting === 1 ? "y waits" : "ies wait"} in the outbox (embargo or delivery failure)`);
    return { ingested, sent: bot.sentCount, waiting, ok: ok && d.failed === 0 };
  } finally {
    stopping = true;
    http?.close();
    await pool.close();
    transport.close();
    state.close();
    trees.close();
  }
}

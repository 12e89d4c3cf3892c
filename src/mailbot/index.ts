// The mail bot, assembled: options (flags over config file) -> state store,
// transport, bot, then IMAP watchers and/or backfill sources.
import { loadKnowledge } from "../knowledge/load.js";
import { ALL_RULES } from "../rules/index.js";
import { UsageError } from "../errors.js";
import { MailBot } from "./bot.js";
import { OutboxDirTransport, SmtpTransport, type Transport } from "./deliver.js";
import { MailboxWatcher, parseImapUrl } from "./imap.js";
import { backfillMbox, backfillPublicInbox } from "./backfill.js";
import { buildPolicies, reviewConfigOf, treesOf, type MailConfigFile } from "./policy.js";
import { TreeSet } from "./trees.js";
import { StateStore } from "./state.js";

export { MailBot } from "./bot.js";
export { StateStore } from "./state.js";

export interface MailRunOptions {
  config: MailConfigFile;
  log: (line: string) => void;
  signal?: AbortSignal;
}

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
  const targets = imapUrls.map((u) => {
    try {
      return parseImapUrl(u);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
  const review = reviewConfigOf(c, ALL_RULES.map((r) => r.meta.id));
  const policies = buildPolicies(c);
  const trees = await TreeSet.open(treesOf(policies), { fetchMinutes: c["tree-fetch"], log: opts.log });
  let state: StateStore;
  try {
    state = StateStore.open(c.state);
  } catch (err) {
    trees.close();
    throw err;
  }
  if (state.tornRecords > 0) opts.log(`state: dropped ${state.tornRecords} torn journal record(s) from a crash`);
  let transport: Transport;
  try {
    transport = c["smtp-url"] ? new SmtpTransport(c["smtp-url"]) : new OutboxDirTransport(c.outbox!);
  } catch (err) {
    state.close();
    trees.close();
    throw new UsageError((err as Error).message);
  }
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
  });
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
    transport.close();
    state.close();
    trees.close();
  }
}

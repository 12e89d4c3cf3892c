// IMAP ingest: one supervised imapflow client per mailbox. A client that
// closes or fails is replaced by a new one after a jittered backoff (an
// imapflow instance cannot connect twice). At start, and after every
// reconnect, we catch up from the stored UID; IDLE is called explicitly.
// A changed UIDVALIDITY voids the cursor: the mailbox is read again from
// the start and Message-IDs already seen are skipped.
import { ImapFlow } from "imapflow";
import { errorMessage } from "../errors.js";
import type { MailBot } from "./bot.js";
import type { StateStore } from "./state.js";

export interface ImapTarget {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  pass: string;
  mailbox: string;
  /** Cursor key: user@host:port/mailbox (no password). */
  key: string;
  /** STARTTLS required (a non-loopback server over imap://, unless plaintext is allowed). */
  requireTLS?: boolean;
}

/** imap[s]://USER:PASS@HOST:PORT/MAILBOX (MAILBOX defaults to INBOX; parts percent-decoded). */
export function parseImapUrl(url: string): ImapTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`not a URL: ${url.replace(/\/\/[^@/]*@/, "//***@")}`);
  }
  if (u.protocol !== "imap:" && u.protocol !== "imaps:") throw new Error(`--imap-url must start with imap:// or imaps://`);
  const secure = u.protocol === "imaps:";
  const mailbox = decodeURIComponent(u.pathname.replace(/^\//, "")) || "INBOX";
  const user = decodeURIComponent(u.username);
  const port = u.port ? Number(u.port) : secure ? 993 : 143;
  return { host: u.hostname, port, secure, user, pass: decodeURIComponent(u.password), mailbox, key: `${user}@${u.hostname}:${port}/${mailbox}` };
}

export interface WatcherOptions {
  once: boolean;
  log: (line: string) => void;
  /** Backoff between reconnects: base and cap in ms (jittered). */
  backoffMs?: { min: number; max: number };
  /** In --once mode, give up after this many failed connections in a row. */
  onceAttempts?: number;
  /** Restart IDLE at least this often (ms). */
  maxIdleMs?: number;
  /** Messages fetched per FETCH of bodies. */
  batch?: number;
  /** Called after each wake-up (outbox timers, series flush). */
  tick?: () => Promise<void>;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

export function backoffDelay(attempt: number, min: number, max: number, rand = Math.random): number {
  const cap = Math.min(max, min * 2 ** Math.min(attempt, 20));
  return Math.round(cap / 2 + rand() * (cap / 2));
}

export class MailboxWatcher {
  /** Connections opened so far (reconnects included). */
  connections = 0;
  /** Messages handed to the bot. */
  processed = 0;
  private current: ImapFlow | null = null;

  constructor(
    readonly target: ImapTarget,
    private readonly bot: MailBot,
    private readonly state: StateStore,
    private readonly o: WatcherOptions,
  ) {}

  private newClient(): ImapFlow {
    const t = this.target;
    return new ImapFlow({
      host: t.host,
      port: t.port,
      secure: t.secure,
      // doSTARTTLS true: refuse to go on without TLS; undefined: upgrade when offered (loopback)
      ...(t.secure ? {} : t.requireTLS ? { doSTARTTLS: true } : {}),
      auth: { user: t.user, pass: t.pass },
      logger: false,
      disableAutoIdle: true,
      maxIdleTime: this.o.maxIdleMs ?? 5 * 60_000,
      connectionTimeout: 30_000,
      greetingTimeout: 15_000,
      socketTimeout: 10 * 60_000,
    });
  }

  /** Runs until the signal aborts (or, with once, until the mailbox is caught up). Resolves false if --once could not finish. */
  async run(signal?: AbortSignal): Promise<boolean> {
    const { min, max } = this.o.backoffMs ?? { min: 1000, max: 60_000 };
    let failures = 0;
    while (!signal?.aborted) {
      const client = this.newClient();
      this.current = client;
      let wake: () => void = () => {};
      client.on("error", (err: unknown) => this.o.log(`imap ${this.target.key}: ${errorMessage(err)}`));
      client.on("exists", () => wake());
      const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
      const onAbort = () => client.close();
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        await client.connect();
        this.connections++;
        failures = 0;
        this.o.log(`imap ${this.target.key}: connected`);
        await this.catchUp(client);
        if (this.o.once) {
          await client.logout().catch(() => undefined);
          return true;
        }
        while (client.usable && !signal?.aborted) {
          await this.o.tick?.();
          const woke = new Promise<void>((resolve) => (wake = resolve));
          const idling = client.idle().catch(() => undefined);
          await Promise.race([woke, closed, sleep(60_000, signal)]);
          if (!client.usable || signal?.aborted) break;
          await this.catchUp(client); // a command ends the IDLE
          await idling;
        }
      } catch (err) {
        if (!signal?.aborted) this.o.log(`imap ${this.target.key}: ${errorMessage(err)}`);
      } finally {
        signal?.removeEventListener("abort", onAbort);
        client.close();
        this.current = null;
      }
      if (signal?.aborted) break;
      failures++;
      if (this.o.once && failures >= (this.o.onceAttempts ?? 5)) {
        this.o.log(`imap ${this.target.key}: giving up after ${failures} failed attempts`);
        return false;
      }
      const delay = backoffDelay(failures - 1, min, max);
      this.o.log(`imap ${this.target.key}: connection lost; reconnecting in ${delay} ms`);
      await sleep(delay, signal);
    }
    return true;
  }

  /** Fetches and processes everything after the stored UID. */
  async catchUp(client: ImapFlow): Promise<number> {
    const t = this.target;
    const lock = await client.getMailboxLock(t.mailbox);
    let n = 0;
    try {
      const mb = client.mailbox;
      if (!mb) throw new Error(`mailbox ${t.mailbox} did not open`);
      const uidValidity = String(mb.uidValidity);
      const cur = this.state.cursor(t.key);
      let last = 0;
      if (cur && cur.uidValidity === uidValidity) last = cur.lastUid;
      else if (cur) this.o.log(`imap ${t.key}: UIDVALIDITY changed ${cur.uidValidity} -> ${uidValidity}; resyncing by Message-ID`);
      if (mb.exists === 0) {
        if (!cur || cur.uidValidity !== uidValidity) this.state.append({ t: "cursor", key: t.key, cursor: { uidValidity, lastUid: 0 } });
        return 0;
      }
      // sizes first: a huge message is judged on its size, never downloaded
      const list = (await client.fetchAll(`${last + 1}:*`, { uid: true, size: true }, { uid: true }))
        .filter((m) => m.uid > last) // "N:*" also returns the last message when its UID < N
        .sort((a, b) => a.uid - b.uid);
      const batch = this.o.batch ?? 25;
      for (let i = 0; i < list.length; i += batch) {
        const chunk = list.slice(i, i + batch);
        const limit = this.bot.maxMessageBytes;
        const small = chunk.filter((m) => (m.size ?? 0) <= limit).map((m) => m.uid);
        const bodies = new Map<number, Buffer>();
        if (small.length > 0) {
          for (const m of await client.fetchAll(small.join(","), { uid: true, source: true }, { uid: true })) {
            if (m.source) bodies.set(m.uid, m.source);
          }
        }
        const big = chunk.filter((m) => (m.size ?? 0) > limit).map((m) => m.uid);
        const envelopes = new Map<number, string | null>();
        if (big.length > 0) {
          for (const m of await client.fetchAll(big.join(","), { uid: true, envelope: true }, { uid: true })) {
            envelopes.set(m.uid, m.envelope?.messageId ?? null);
          }
        }
        for (const m of chunk) {
          const origin = { source: `${t.mailbox}#${m.uid}`, mailbox: t.mailbox };
          const body = bodies.get(m.uid);
          if (body) await this.bot.ingest(body, origin);
          else if ((m.size ?? 0) > limit) this.bot.tooLarge(envelopes.get(m.uid) ?? null, `${t.key}:${uidValidity}:${m.uid}`, m.size ?? 0, origin);
          else this.o.log(`imap ${t.key}: UID ${m.uid} vanished before it was fetched`);
          this.processed++;
          n++;
          this.state.append({ t: "cursor", key: t.key, cursor: { uidValidity, lastUid: m.uid } });
        }
        await this.bot.deliverDue();
      }
      if (list.length === 0 && (!cur || cur.uidValidity !== uidValidity)) {
        this.state.append({ t: "cursor", key: t.key, cursor: { uidValidity, lastUid: last } });
      }
    } finally {
      lock.release();
    }
    return n;
  }
}

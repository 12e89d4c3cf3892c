// Delivery edge: SMTP through nodemailer (the pre-built message sent as-is,
// 8bit included) or a dry run that writes each reply to --outbox DIR as .eml.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import nodemailer, { type Transporter } from "nodemailer";
import type { OutboxItem } from "./state.js";
import { fsyncDir, writeFileDurably } from "./state.js";

export interface Transport {
  readonly kind: "smtp" | "dry-run";
  /** Resolves once the server accepted the message (or the file is on disk). Throws otherwise. */
  send(item: OutboxItem): Promise<void>;
  /** Makes what send() wrote durable (the dry run's directory entries); true when the transport batches. */
  readonly batches: boolean;
  flush(): void;
  close(): void;
}

/** The file name of a reply in the dry-run outbox: its Message-ID made file-safe. */
export function emlName(messageId: string): string {
  return messageId.replace(/^<|>$/g, "").replace(/[^A-Za-z0-9._@+-]/g, "_") + ".eml";
}

export class OutboxDirTransport implements Transport {
  readonly kind = "dry-run" as const;
  readonly batches = true;
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  async send(item: OutboxItem): Promise<void> {
    // same Message-ID, same file: a resend after a crash overwrites, never duplicates
    writeFileDurably(join(this.dir, emlName(item.id)), item.raw, false);
  }
  flush(): void {
    fsyncDir(this.dir);
  }
  close(): void {}
}

/** A host on this machine: plaintext there crosses no network. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

export interface SmtpOptions {
  /** The password when the URL has none (from RECLAIM_SMTP_PASSWORD or --smtp-password-file). */
  password?: string;
  /** Allow a non-loopback server without TLS (default false: STARTTLS is required there). */
  allowPlaintext?: boolean;
}

/** smtp[s]://[USER[:PASS]@]HOST:PORT */
export class SmtpTransport implements Transport {
  readonly kind = "smtp" as const;
  readonly batches = false;
  private readonly transporter: Transporter;
  constructor(url: string, opts: SmtpOptions = {}) {
    const u = new URL(url);
    if (u.protocol !== "smtp:" && u.protocol !== "smtps:") throw new Error(`--smtp-url must start with smtp:// or smtps://, not ${u.protocol}//`);
    const secure = u.protocol === "smtps:";
    const loopback = isLoopback(u.hostname);
    const pass = u.password ? decodeURIComponent(u.password) : opts.password;
    if (u.username && pass === undefined) throw new Error("--smtp-url names a user but no password: put it in RECLAIM_SMTP_PASSWORD or --smtp-password-file");
    this.transporter = nodemailer.createTransport({
      host: u.hostname,
      port: u.port ? Number(u.port) : secure ? 465 : 587,
      secure,
      ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: pass! } } : {}),
      // a loopback relay without TLS is common for a bot; anywhere else STARTTLS is required unless allowed off
      ignoreTLS: !secure && loopback,
      requireTLS: !secure && !loopback && !opts.allowPlaintext,
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 60_000,
    });
  }
  async send(item: OutboxItem): Promise<void> {
    const info = await this.transporter.sendMail({
      envelope: { from: item.envelopeFrom, to: item.recipients },
      raw: item.raw,
    });
    if (info.rejected && info.rejected.length === item.recipients.length) {
      throw new Error(`every recipient was rejected: ${info.response ?? ""}`);
    }
  }
  flush(): void {}
  close(): void {
    this.transporter.close();
  }
}

/** A rolling one-minute window: at most perMinute sends (0: no limit). */
export class RateLimiter {
  private readonly stamps: number[] = [];
  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}
  /** Milliseconds to wait before the next send may go (0: now). */
  waitMs(): number {
    if (this.perMinute <= 0) return 0;
    const t = this.now();
    while (this.stamps.length > 0 && this.stamps[0]! <= t - 60_000) this.stamps.shift();
    if (this.stamps.length < this.perMinute) return 0;
    return this.stamps[0]! + 60_000 - t;
  }
  record(): void {
    if (this.perMinute > 0) this.stamps.push(this.now());
  }
}

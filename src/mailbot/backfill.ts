// Backfill sources: an mbox file (mboxrd/mboxo, streamed) and a public-inbox
// v2 archive (epochs git/N.git, one message per commit in the blob "m"),
// read through `git rev-list` and one `git cat-file --batch` per epoch.
import { spawn, execFile } from "node:child_process";
import { createReadStream, readdirSync, existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { promisify } from "node:util";
import type { MailBot } from "./bot.js";
import type { StateStore } from "./state.js";

const execFileP = promisify(execFile);

/** Messages reviewed between deliveries: one fsync of the journal covers them. */
const BATCH = 64;

/** Undoes mboxrd quoting (">From " -> "From ", ">>From " -> ">From "). */
function unquoteFrom(msg: Buffer): Buffer {
  const s = msg.toString("latin1");
  if (!/^>+From /m.test(s)) return msg;
  return Buffer.from(s.replace(/^>(>*From )/gm, "$1"), "latin1");
}

/** Streams the messages of an mbox file, without its "From " separator lines. */
export async function* readMbox(path: string): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  let started = false;
  const emit = (chunk: Buffer, last = false): Buffer | null => {
    // drop the From_ line
    const nl = chunk.indexOf(0x0a);
    const body = nl >= 0 ? chunk.subarray(nl + 1) : Buffer.alloc(0);
    // the separator's preceding blank line belongs to the format, not the message
    let end = body.length;
    if (!last && end >= 1 && body[end - 1] === 0x0a) end--;
    const msg = body.subarray(0, end);
    return msg.length > 0 ? unquoteFrom(Buffer.from(msg)) : null;
  };
  for await (const data of createReadStream(path, { highWaterMark: 1 << 20 })) {
    pending = pending.length === 0 ? (data as Buffer) : Buffer.concat([pending, data as Buffer]);
    if (!started) {
      if (pending.length < 5) continue;
      if (pending.subarray(0, 5).toString("latin1") !== "From ") throw new Error(`${path}: not an mbox (no "From " line at the start)`);
      started = true;
    }
    let from = 0;
    for (;;) {
      const i = pending.indexOf("\nFrom ", from + 1, "latin1");
      if (i < 0) break;
      const m = emit(pending.subarray(from, i + 1));
      if (m) yield m;
      from = i + 1;
    }
    pending = pending.subarray(from);
  }
  if (pending.length > 0) {
    if (!started) throw new Error(`${path}: not an mbox (no "From " line at the start)`);
    const m = emit(pending, true);
    if (m) yield m;
  }
}

export interface BackfillStats {
  messages: number;
}

export async function backfillMbox(path: string, bot: MailBot, opts: { log: (s: string) => void }): Promise<BackfillStats> {
  let n = 0;
  const label = basename(path);
  for await (const raw of readMbox(path)) {
    n++;
    await bot.ingest(raw, { source: `${label}#${n}`, mailbox: label });
    if (n % BATCH === 0) await bot.deliverDue();
  }
  await bot.deliverDue();
  opts.log(`mbox ${path}: ${n} messages`);
  return { messages: n };
}

/** One long-lived `git cat-file --batch`: blob contents by "<rev>:<path>". */
class CatFile {
  private readonly child;
  private buf: Buffer = Buffer.alloc(0);
  private failed: Error | null = null;

  constructor(gitDir: string) {
    this.child = spawn("git", ["--git-dir", gitDir, "cat-file", "--batch"], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.on("data", (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.pump();
    });
    this.child.on("error", (e) => {
      this.failed = e;
      this.pump();
    });
  }

  private result: ((v: Buffer | null) => void) | null = null;

  private pump(): void {
    if (!this.result) return;
    if (this.failed) {
      const r = this.result;
      this.result = null;
      r(null);
      return;
    }
    const nl = this.buf.indexOf(0x0a);
    if (nl < 0) return;
    const header = this.buf.subarray(0, nl).toString("utf8");
    if (header.endsWith(" missing") || header.endsWith(" ambiguous")) {
      this.buf = this.buf.subarray(nl + 1);
      const r = this.result;
      this.result = null;
      r(null);
      return;
    }
    const size = Number(header.split(" ")[2]);
    if (this.buf.length < nl + 1 + size + 1) return;
    const content = Buffer.from(this.buf.subarray(nl + 1, nl + 1 + size));
    this.buf = this.buf.subarray(nl + 1 + size + 1);
    const r = this.result;
    this.result = null;
    r(content);
  }

  get(spec: string): Promise<Buffer | null> {
    return new Promise((resolveGet) => {
      this.result = resolveGet;
      this.child.stdin.write(spec + "\n");
      this.pump();
    });
  }

  close(): void {
    this.child.stdin.end();
  }
}

/** The epochs of a public-inbox v2 archive, oldest first. */
export function publicInboxEpochs(dir: string): string[] {
  const g = join(dir, "git");
  if (!existsSync(g)) throw new Error(`${dir}: not a public-inbox v2 archive (no git/ directory)`);
  return readdirSync(g)
    .filter((n) => /^\d+\.git$/.test(n))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10))
    .map((n) => join(g, n));
}

/**
 * Feeds every message of a public-inbox v2 archive to the bot, epoch by epoch,
 * oldest commit first. A commit without "m" (a deletion, "d") is passed over.
 * The last commit handled per epoch is stored as a cursor.
 */
export async function backfillPublicInbox(dir: string, bot: MailBot, state: StateStore, opts: { log: (s: string) => void }): Promise<BackfillStats> {
  const abs = resolve(dir);
  let n = 0;
  for (const gitDir of publicInboxEpochs(abs)) {
    const epoch = basename(gitDir, ".git");
    const key = `public-inbox:${abs}:${epoch}`;
    const cur = state.cursor(key);
    const range = cur && cur.uidValidity ? [`${cur.uidValidity}..HEAD`] : ["HEAD"];
    let out: string;
    try {
      out = (await execFileP("git", ["--git-dir", gitDir, "rev-list", "--reverse", ...range], { maxBuffer: 1 << 30 })).stdout;
    } catch (err) {
      opts.log(`public-inbox ${gitDir}: cannot list commits: ${(err as Error).message.split("\n")[0]}`);
      continue;
    }
    const commits = out.split("\n").filter(Boolean);
    const cat = new CatFile(gitDir);
    try {
      let i = 0;
      for (const c of commits) {
        i++;
        const raw = await cat.get(`${c}:m`);
        if (raw) {
          n++;
          await bot.ingest(raw, { source: `${basename(abs)}/${epoch}@${c.slice(0, 12)}`, mailbox: basename(abs) });
        }
        state.append({ t: "cursor", key, cursor: { uidValidity: c, lastUid: (cur?.lastUid ?? 0) + i } });
        if (i % BATCH === 0) await bot.deliverDue();
      }
      await bot.deliverDue();
    } finally {
      cat.close();
    }
  }
  opts.log(`public-inbox ${dir}: ${n} messages`);
  return { messages: n };
}

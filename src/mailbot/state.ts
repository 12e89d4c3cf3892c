// The mail bot's embedded state store: one directory, two files.
//   state.json    a snapshot, replaced atomically (write temp, fsync, rename, fsync dir)
//   journal.log   JSON lines appended after the snapshot, each fsync'ed before we go on
// Opening replays the journal over the snapshot (a torn last line from a crash is
// dropped), writes a fresh snapshot and empties the journal. Every change the bot
// relies on after a crash goes through append(), so a record either reached the disk
// before the next step started or never happened.
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.js";

/** Another process holds the state directory (exit status 2, naming its PID). */
export class StateLockedError extends UsageError {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`--state ${dir} is in use by another reclaim-review mail (PID ${pid}); one bot per state directory`);
    this.name = "StateLockedError";
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the state directory's exclusive lock: a file "lock" holding our PID,
 * created atomically (link of a finished temporary file, which fails when
 * the lock exists). A lock whose process is gone is taken over. Returns the
 * release function.
 */
export function lockStateDir(dir: string): () => void {
  const lock = join(dir, "lock");
  const tmp = join(dir, `lock.${process.pid}.${Date.now()}`);
  writeFileSync(tmp, `${process.pid}\n`);
  try {
    for (let tries = 0; ; tries++) {
      try {
        linkSync(tmp, lock);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST" || tries > 5) throw err;
        let holder = NaN;
        try {
          holder = Number(readFileSync(lock, "utf8").trim());
        } catch {
          continue; // removed meanwhile: try again
        }
        if (alive(holder) && holder !== process.pid) throw new StateLockedError(dir, holder);
        // a stale lock (its process is gone): move it aside, then try again
        try {
          renameSync(lock, `${lock}.stale.${process.pid}`);
          unlinkSync(`${lock}.stale.${process.pid}`);
        } catch {
          /* another process took it over first: the next link tells */
        }
      }
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* gone */
    }
  }
  return () => {
    try {
      if (Number(readFileSync(lock, "utf8").trim()) === process.pid) unlinkSync(lock);
    } catch {
      /* already gone */
    }
  };
}

/** What we decided about one incoming message (keyed by Message-ID). */
export interface SeenRecord {
  /** "queued": a reply waits in the outbox; "done": replied, or decided not to. */
  state: "queued" | "done";
  /** Why no reply, or the reply's Message-ID. */
  reason: string;
  /** Series lineages (author + base subject) this patch belongs to, for ignore replies. */
  lineages?: string[];
  /** A cover letter's summary and addressing, for series grouping and cover replies. */
  cover?: { summary: string; mail: unknown; listId?: string | null; mailbox?: string | null; baseCommit?: string };
  /** Author address of the patch, for ignore replies. */
  author?: string | null;
  at: number;
}

/** A reply that is built and waits to be delivered. The raw bytes never change once queued. */
export interface OutboxItem {
  /** Our Message-ID, with angle brackets. */
  id: string;
  /** The Message-IDs (incoming) this reply answers; each is marked done once it is sent. */
  answers: string[];
  envelopeFrom: string;
  recipients: string[];
  /** The whole RFC 5322 message. */
  raw: string;
  /** Epoch ms before which it must not go out (embargo). */
  notBefore: number;
  queuedAt: number;
}

export interface Cursor {
  uidValidity: string;
  lastUid: number;
}

export interface SentRecord {
  answers: string[];
  at: number;
}

/** A series part held back until the whole series can be answered in one reply to the cover. */
export interface HeldPart {
  messageId: string;
  index: number;
  /** Serialised PatchReview (plain data). */
  review: unknown;
  at: number;
}

export interface StateData {
  seen: Record<string, SeenRecord>;
  cursors: Record<string, Cursor>;
  outbox: Record<string, OutboxItem>;
  sent: Record<string, SentRecord>;
  /** lineage -> suppressed fingerprints */
  suppressions: Record<string, string[]>;
  /** series key -> held parts (cover-reply policy) */
  held: Record<string, HeldPart[]>;
}

export type JournalRecord =
  | { t: "seen"; id: string; rec: SeenRecord }
  | { t: "cursor"; key: string; cursor: Cursor }
  | { t: "queue"; item: OutboxItem; seen: Record<string, SeenRecord> }
  | { t: "sent"; id: string; at: number }
  | { t: "drop"; id: string; reason: string; at: number }
  | { t: "suppress"; lineage: string; fingerprints: string[] }
  | { t: "hold"; series: string; part: HeldPart }
  | { t: "release"; series: string };

function emptyState(): StateData {
  return { seen: {}, cursors: {}, outbox: {}, sent: {}, suppressions: {}, held: {} };
}

export function applyRecord(s: StateData, r: JournalRecord): void {
  switch (r.t) {
    case "seen":
      s.seen[r.id] = r.rec;
      break;
    case "cursor":
      s.cursors[r.key] = r.cursor;
      break;
    case "queue":
      s.outbox[r.item.id] = r.item;
      Object.assign(s.seen, r.seen);
      break;
    case "sent": {
      const item = s.outbox[r.id];
      if (!item) break;
      delete s.outbox[r.id];
      s.sent[r.id] = { answers: item.answers, at: r.at };
      for (const a of item.answers) {
        const prev = s.seen[a];
        s.seen[a] = { ...(prev ?? { reason: "", at: r.at }), state: "done", reason: `replied ${r.id}` };
      }
      break;
    }
    case "drop": {
      const item = s.outbox[r.id];
      if (!item) break;
      delete s.outbox[r.id];
      for (const a of item.answers) {
        const prev = s.seen[a];
        s.seen[a] = { ...(prev ?? { at: r.at }), state: "done", reason: `reply ${r.id} dropped: ${r.reason}` };
      }
      break;
    }
    case "suppress": {
      const cur = new Set(s.suppressions[r.lineage] ?? []);
      for (const f of r.fingerprints) cur.add(f);
      s.suppressions[r.lineage] = [...cur];
      break;
    }
    case "hold":
      (s.held[r.series] ??= []).push(r.part);
      break;
    case "release":
      delete s.held[r.series];
      break;
  }
}

export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some file systems refuse fsync on a directory; the rename itself is atomic
  }
}

/** Writes a file so that after a crash it holds either the old or the new content. */
export function writeFileDurably(path: string, data: string | Buffer, syncDir = true): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (syncDir) fsyncDir(join(path, ".."));
}

export class StateStore {
  readonly data: StateData;
  private fd: number;
  private readonly journalPath: string;
  /** Journal lines dropped at open because a crash tore them. */
  readonly tornRecords: number;

  private constructor(
    readonly dir: string,
    data: StateData,
    torn: number,
  ) {
    this.data = data;
    this.tornRecords = torn;
    this.journalPath = join(dir, "journal.log");
    this.fd = openSync(this.journalPath, "a");
  }

  private release: () => void = () => undefined;

  /** Opens (or creates) the store in dir, replaying and compacting the journal. Throws StateLockedError when another process has it. */
  static open(dir: string): StateStore {
    mkdirSync(dir, { recursive: true });
    const release = lockStateDir(dir);
    try {
      const store = StateStore.load(dir);
      store.release = release;
      return store;
    } catch (err) {
      release();
      throw err;
    }
  }

  private static load(dir: string): StateStore {
    const snap = join(dir, "state.json");
    const data = existsSync(snap) ? { ...emptyState(), ...(JSON.parse(readFileSync(snap, "utf8")) as Partial<StateData>) } : emptyState();
    const jp = join(dir, "journal.log");
    let torn = 0;
    if (existsSync(jp)) {
      const lines = readFileSync(jp, "utf8").split("\n");
      for (const line of lines) {
        if (line === "") continue;
        let rec: JournalRecord;
        try {
          rec = JSON.parse(line) as JournalRecord;
        } catch {
          torn++; // only the last line can be torn: it was never acknowledged
          continue;
        }
        applyRecord(data, rec);
      }
    }
    // compact: the snapshot now holds everything, then the journal starts empty
    writeFileDurably(snap, JSON.stringify(data));
    writeFileDurably(jp, "");
    return new StateStore(dir, data, torn);
  }

  private dirty = false;

  /**
   * Applies a change. The record reaches the kernel before this returns, so a
   * killed process loses nothing; it reaches the disk at the next sync(),
   * which the bot calls before it sends anything (a queued reply must survive
   * a power cut before it may go out), and at close(). Records are written in
   * order, so a power cut can only lose a suffix: messages decided again the
   * same way, a cursor read again, or one resend of a reply with its same
   * Message-ID. One fsync then covers a whole batch of messages.
   */
  append(rec: JournalRecord): void {
    writeSync(this.fd, JSON.stringify(rec) + "\n");
    this.dirty = true;
    this.records++;
    applyRecord(this.data, rec);
  }

  /** Records in the journal since the last snapshot. */
  records = 0;

  /**
   * Folds the journal into a new snapshot (a long-running bot calls this now
   * and then). A crash in between leaves either the old snapshot with the
   * full journal, or the new snapshot with a journal whose records it
   * already holds: replaying them again changes nothing.
   */
  compact(): void {
    this.sync();
    writeFileDurably(join(this.dir, "state.json"), JSON.stringify(this.data));
    closeSync(this.fd);
    writeFileDurably(this.journalPath, "");
    this.fd = openSync(this.journalPath, "a");
    this.records = 0;
  }

  /** Makes every record so far durable. */
  sync(): void {
    if (!this.dirty) return;
    fsyncSync(this.fd);
    this.dirty = false;
  }

  seen(id: string): SeenRecord | undefined {
    return this.data.seen[id];
  }

  cursor(key: string): Cursor | undefined {
    return this.data.cursors[key];
  }

  suppressed(lineage: string): string[] {
    return this.data.suppressions[lineage] ?? [];
  }

  close(): void {
    this.sync();
    closeSync(this.fd);
    this.release();
  }
}

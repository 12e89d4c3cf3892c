// One long-lived `git cat-file --batch-command` process per repository:
// object lookups ("info") and reads ("contents") by any name git accepts
// (full or abbreviated ids, "<commit>:<path>", "<rev>^{tree}"), answered
// in order over one pipe. The process is started on first use, keeps Node
// alive only while a request is waiting, and is restarted once if it dies.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";

export interface ObjectInfo {
  oid: string;
  type: string;
  size: number;
}

export interface GitObject extends ObjectInfo {
  data: Buffer;
}

interface Waiter {
  kind: "info" | "contents";
  resolve: (v: GitObject | ObjectInfo | null) => void;
  reject: (e: Error) => void;
}

/** Names git cannot take on one command line (or that would be read as options). */
function unsafeName(name: string): boolean {
  return name === "" || /[\n\r\0]/.test(name);
}

export class CatFile {
  private proc: ChildProcessWithoutNullStreams | null = null;
  private readonly waiting: Waiter[] = [];
  /** Bytes of a header line not complete yet. */
  private head: Buffer = Buffer.alloc(0);
  /** The body being read for the first waiter. */
  private body: { info: ObjectInfo; buf: Buffer; filled: number } | null = null;
  /** One trailing LF after a body still to skip. */
  private skipLf = false;
  private restarts = 0;
  private closed = false;
  /** Objects read, for tests and benchmarks. */
  reads = 0;

  constructor(private readonly gitDir: string) {}

  info(name: string): Promise<ObjectInfo | null> {
    return this.ask("info", name) as Promise<ObjectInfo | null>;
  }

  contents(name: string): Promise<GitObject | null> {
    return this.ask("contents", name) as Promise<GitObject | null>;
  }

  /** Stops the process; later requests start a new one. */
  close(): void {
    const p = this.proc;
    this.proc = null;
    if (p) {
      p.stdin.end();
      p.kill();
    }
    this.failAll(new Error("git cat-file closed"));
  }

  /** Closes for good (no restart). */
  dispose(): void {
    this.closed = true;
    this.close();
  }

  private ask(kind: Waiter["kind"], name: string): Promise<GitObject | ObjectInfo | null> {
    if (unsafeName(name)) return Promise.resolve(null);
    if (this.closed) return Promise.reject(new Error("git cat-file closed"));
    const proc = this.start();
    return new Promise((resolve, reject) => {
      this.waiting.push({ kind, resolve, reject });
      this.reads++;
      if (this.waiting.length === 1) this.ref(true);
      proc.stdin.write(`${kind} ${name}\n`);
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.proc) return this.proc;
    const p = spawn("git", ["--git-dir", this.gitDir, "cat-file", "--batch-command"], { stdio: ["pipe", "pipe", "pipe"] });
    this.proc = p;
    this.head = Buffer.alloc(0);
    this.body = null;
    this.skipLf = false;
    let stderr = "";
    p.stderr.on("data", (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString("utf8");
    });
    p.stdout.on("data", (chunk: Buffer) => this.feed(chunk));
    p.stdin.on("error", () => undefined); // reported through "close"
    p.on("error", (err) => this.died(p, err.message));
    p.on("close", (code) => this.died(p, stderr.trim() || `exit ${code}`));
    this.ref(false);
    return p;
  }

  private died(p: ChildProcessWithoutNullStreams, why: string): void {
    if (this.proc !== p) return;
    this.proc = null;
    this.failAll(new Error(`git cat-file stopped: ${why.split("\n")[0]}`));
    if (++this.restarts > 3) this.closed = true;
  }

  private failAll(err: Error): void {
    const w = this.waiting.splice(0);
    for (const x of w) x.reject(err);
    this.body = null;
  }

  /** Keeps the event loop alive only while an answer is awaited. */
  private ref(on: boolean): void {
    const p = this.proc;
    if (!p) return;
    for (const h of [p, p.stdin, p.stdout, p.stderr] as { ref?: () => void; unref?: () => void }[]) {
      if (on) h.ref?.();
      else h.unref?.();
    }
  }

  private feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.skipLf) {
        this.skipLf = false;
        if (chunk[at] === 10) at++;
        continue;
      }
      if (this.body) {
        const b = this.body;
        const n = Math.min(b.buf.length - b.filled, chunk.length - at);
        chunk.copy(b.buf, b.filled, at, at + n);
        b.filled += n;
        at += n;
        if (b.filled === b.buf.length) {
          this.body = null;
          this.skipLf = true;
          this.settle({ ...b.info, data: b.buf });
        }
        continue;
      }
      const nl = chunk.indexOf(10, at);
      if (nl < 0) {
        this.head = Buffer.concat([this.head, chunk.subarray(at)]);
        return;
      }
      const line = Buffer.concat([this.head, chunk.subarray(at, nl)]).toString("utf8");
      this.head = Buffer.alloc(0);
      at = nl + 1;
      this.header(line);
    }
  }

  private header(line: string): void {
    const w = this.waiting[0];
    if (!w) return;
    if (/ (missing|ambiguous)$/.test(line) || !/^[0-9a-f]+ [a-z]+ \d+$/.test(line)) {
      this.settle(null);
      return;
    }
    const [oid, type, size] = line.split(" ") as [string, string, string];
    const info: ObjectInfo = { oid, type, size: Number(size) };
    if (w.kind === "info") this.settle(info);
    else if (info.size === 0) {
      this.skipLf = true;
      this.settle({ ...info, data: Buffer.alloc(0) });
    } else this.body = { info, buf: Buffer.allocUnsafe(info.size), filled: 0 };
  }

  private settle(v: GitObject | ObjectInfo | null): void {
    const w = this.waiting.shift();
    if (this.waiting.length === 0) this.ref(false);
    w?.resolve(v);
  }
}

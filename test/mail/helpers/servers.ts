// Real servers on loopback for the mail tests: Dovecot (started from a
// temporary config, stopped by PID) and an in-process smtp-server sink.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ImapFlow } from "imapflow";
import { SMTPServer } from "smtp-server";

/** Why Dovecot tests cannot run here, or null when they can. */
export function dovecotUnavailable(): string | null {
  const which = spawnSync("sh", ["-c", "command -v dovecot"], { encoding: "utf8" });
  if (which.status !== 0) return "dovecot is not installed (apt-get install dovecot-imapd; .ci/run does it)";
  if (process.getuid && process.getuid() !== 0) return "dovecot tests start the server as root with mail uid 65534; not running as root";
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = new Socket();
      sock.once("connect", () => {
        sock.destroy();
        resolve(true);
      });
      sock.once("error", () => resolve(false));
      sock.connect(port, "127.0.0.1");
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** PIDs of every live descendant of pid (from /proc). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(Number(name), ppid);
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) if (pp === p) {
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

export const IMAP_USER = "bot";
export const IMAP_PASS = "secret-pw";

export class Dovecot {
  readonly dir: string;
  readonly port: number;
  private child: ChildProcess | null = null;

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  static async start(): Promise<Dovecot> {
    const dir = mkdtempSync(join(tmpdir(), "rr-dovecot-"));
    chmodSync(dir, 0o755);
    for (const d of ["run", "state", "mail"]) mkdirSync(join(dir, d), { recursive: true });
    chmodSync(join(dir, "mail"), 0o777);
    const port = await freePort();
    const conf = [
      "protocols = imap",
      "listen = 127.0.0.1",
      `base_dir = ${dir}/run`,
      `state_dir = ${dir}/state`,
      `log_path = ${dir}/dovecot.log`,
      "ssl = no",
      "disable_plaintext_auth = no",
      "auth_mechanisms = plain login",
      `mail_location = maildir:${dir}/mail/%u`,
      "first_valid_uid = 1",
      "shutdown_clients = yes",
      "passdb {",
      "  driver = static",
      `  args = password=${IMAP_PASS}`,
      "}",
      "userdb {",
      "  driver = static",
      `  args = uid=65534 gid=65534 home=${dir}/mail/%u`,
      "}",
      "service imap-login {",
      "  inet_listener imap {",
      "    address = 127.0.0.1",
      `    port = ${port}`,
      "  }",
      "  inet_listener imaps {",
      "    port = 0",
      "  }",
      "}",
      "service anvil {",
      "  chroot =",
      "}",
      "",
    ].join("\n");
    writeFileSync(join(dir, "dovecot.conf"), conf);
    const dc = new Dovecot(dir, port);
    await dc.launch();
    return dc;
  }

  private async launch(): Promise<void> {
    this.child = spawn("dovecot", ["-F", "-c", join(this.dir, "dovecot.conf")], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    this.child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    try {
      await waitForPort(this.port, 10_000);
    } catch (e) {
      const log = existsSync(join(this.dir, "dovecot.log")) ? readFileSync(join(this.dir, "dovecot.log"), "utf8") : "";
      throw new Error(`dovecot did not start: ${(e as Error).message}\n${err}\n${log}`);
    }
  }

  /** Stops the master and every process it started (an imap process outlives its master otherwise). */
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.pid === undefined) return;
    const family = descendants(c.pid);
    const exited = new Promise<void>((resolve) => c.once("exit", () => resolve()));
    c.kill("SIGTERM");
    await exited;
    for (const pid of family) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    this.child = null;
    // the listener must be gone before a restart binds the port again
    await new Promise((r) => setTimeout(r, 200));
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  url(mailbox = "INBOX"): string {
    return `imap://${IMAP_USER}:${IMAP_PASS}@127.0.0.1:${this.port}/${mailbox}`;
  }

  /** Deletes and creates the mailbox again (the server gives it a new UIDVALIDITY). */
  async recreate(mailbox: string): Promise<void> {
    const c = new ImapFlow({ host: "127.0.0.1", port: this.port, secure: false, auth: { user: IMAP_USER, pass: IMAP_PASS }, logger: false });
    c.on("error", () => undefined);
    await c.connect();
    try {
      await c.mailboxDelete(mailbox);
      // UIDVALIDITY is time based in Dovecot: make sure the second differs
      await new Promise((r) => setTimeout(r, 1100));
      await c.mailboxCreate(mailbox);
    } finally {
      await c.logout().catch(() => undefined);
    }
  }

  /** Appends messages with IMAP APPEND (creating the mailbox when missing). */
  async append(messages: (string | Buffer)[], mailbox = "INBOX"): Promise<void> {
    const c = new ImapFlow({ host: "127.0.0.1", port: this.port, secure: false, auth: { user: IMAP_USER, pass: IMAP_PASS }, logger: false });
    c.on("error", () => undefined);
    await c.connect();
    try {
      if (mailbox !== "INBOX") await c.mailboxCreate(mailbox).catch(() => undefined);
      for (const m of messages) await c.append(mailbox, m);
    } finally {
      await c.logout().catch(() => undefined);
    }
  }
}

export interface Received {
  from: string;
  to: string[];
  raw: string;
}

export class SmtpSink {
  readonly received: Received[] = [];
  /** Called right after a message was accepted (the 250 reply is on its way). */
  onAccept: ((r: Received) => void) | null = null;
  private server: SMTPServer;
  port = 0;

  constructor(opts: { rejectRcpt?: (address: string) => boolean } = {}) {
    this.server = new SMTPServer({
      onRcptTo: (address, _session, callback) => {
        if (opts.rejectRcpt?.(address.address)) {
          const err = Object.assign(new Error("no such user here"), { responseCode: 550 });
          return callback(err);
        }
        callback();
      },
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      disableReverseLookup: true,
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          const r: Received = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((a) => a.address),
            raw: Buffer.concat(chunks).toString("utf8"),
          };
          this.received.push(r);
          callback();
          this.onAccept?.(r);
        });
      },
    });
  }

  async start(port = 0): Promise<void> {
    // a client killed mid-dialogue resets the connection: expected in the crash test
    this.server.on("error", () => undefined);
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", () => resolve()));
    const a = this.server.server.address();
    this.port = typeof a === "object" && a ? a.port : 0;
  }

  url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A header's value in a raw message (first occurrence, unfolded). */
export function header(raw: string, name: string): string | null {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, " ");
  const re = new RegExp(`^${name}:[ \\t]*(.*)$`, "im");
  const m = re.exec(head);
  return m ? m[1]!.trim() : null;
}

export function bodyOf(raw: string): string {
  const i = raw.search(/\r?\n\r?\n/);
  return i < 0 ? "" : raw.slice(i).replace(/^\r?\n\r?\n/, "").replace(/\r\n/g, "\n");
}

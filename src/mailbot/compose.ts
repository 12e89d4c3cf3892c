// Builds the reply as one RFC 5322 message: a single text/plain; charset=utf-8
// part sent 8bit (quoted kernel lines are often over 76 columns, and lists
// prefer readable text to quoted-printable), threaded and addressed like b4.
import { randomBytes } from "node:crypto";
import addressparser from "nodemailer/lib/addressparser/index.js";
import { encodeWords } from "nodemailer/lib/mime-funcs/index.js";
import { replySubject } from "./subject.js";

export interface Address {
  name: string;
  address: string;
}

/** Parses "Name <a@b>", "a@b", or lists of them; invalid parts are dropped. */
export function parseAddresses(values: readonly string[]): Address[] {
  const out: Address[] = [];
  for (const v of values) {
    if (!v) continue;
    for (const a of addressparser(v, { flatten: true })) {
      if (a.address && a.address.includes("@")) out.push({ name: a.name ?? "", address: a.address });
    }
  }
  return out;
}

export function parseAddress(value: string): Address | null {
  return parseAddresses([value])[0] ?? null;
}

export function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at >= 0 ? address.slice(at + 1).toLowerCase() : "localhost";
}

/** `<YYYYMMDDHHMMSS.<random>-reclaim@<domain>>` */
export function makeMessageId(domain: string, now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const stamp =
    `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}` +
    `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `<${stamp}.${randomBytes(6).toString("hex")}-reclaim@${domain}>`;
}

function formatAddress(a: Address): string {
  if (!a.name) return a.address;
  const name = /^[\x20-\x7e]*$/.test(a.name)
    ? /[()<>[\]:;@\\,."]/.test(a.name)
      ? `"${a.name.replace(/(["\\])/g, "\\$1")}"`
      : a.name
    : encodeWords(a.name, "Q", 52);
  return `${name} <${a.address}>`;
}

/** Folds a header at spaces to stay within 75 columns (like b4). */
function foldHeader(name: string, value: string): string {
  const words = value.split(" ");
  const lines: string[] = [];
  let cur = `${name}:`;
  for (const w of words) {
    if (cur.length + 1 + w.length > 75 && cur.length > name.length + 1) {
      lines.push(cur);
      cur = ` ${w}`;
    } else cur += ` ${w}`;
  }
  lines.push(cur);
  return lines.join("\r\n");
}

function rfc2822Date(d: Date): string {
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const p = (n: number) => String(n).padStart(2, "0");
  return `${days[d.getUTCDay()]}, ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export interface OriginalMail {
  messageId: string;
  references: string[];
  subject: string;
  from: string | null;
  replyTo: string[];
  to: string[];
  cc: string[];
}

export interface Addressing {
  to: Address[];
  cc: Address[];
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * b4-style addressing: To = Reply-To, else From; with reply-all, Cc = original
 * To + Cc, deduplicated case-insensitively, without ourselves and without the To.
 */
export function addressReply(orig: OriginalMail, self: Address, mode: "author" | "all", extraCc: readonly string[] = []): Addressing {
  const replyTo = parseAddresses(orig.replyTo);
  const to = (replyTo.length > 0 ? replyTo : parseAddresses(orig.from ? [orig.from] : [])).filter((a) => !sameAddress(a.address, self.address));
  const taken = new Set<string>([self.address.toLowerCase(), ...to.map((a) => a.address.toLowerCase())]);
  const cc: Address[] = [];
  const candidates = [...(mode === "all" ? parseAddresses([...orig.to, ...orig.cc]) : []), ...parseAddresses([...extraCc])];
  for (const a of candidates) {
    const k = a.address.toLowerCase();
    if (taken.has(k)) continue;
    taken.add(k);
    cc.push(a);
  }
  return { to, cc };
}

export interface ReplySpec {
  orig: OriginalMail;
  from: Address;
  addressing: Addressing;
  messageId: string;
  body: string;
  date?: Date;
}

/** The whole reply, CRLF line ends, 8bit UTF-8 body. */
export function composeReply(spec: ReplySpec): string {
  const { orig } = spec;
  const refs = [...orig.references.filter((r) => r !== orig.messageId), orig.messageId];
  const subject = replySubject(orig.subject);
  const h: string[] = [
    `From: ${formatAddress(spec.from)}`,
    foldHeader("To", spec.addressing.to.map(formatAddress).join(", ")),
  ];
  if (spec.addressing.cc.length > 0) h.push(foldHeader("Cc", spec.addressing.cc.map(formatAddress).join(", ")));
  h.push(
    foldHeader("Subject", /^[\x20-\x7e]*$/.test(subject) ? subject : encodeWords(subject, "Q", 52)),
    `Date: ${rfc2822Date(spec.date ?? new Date())}`,
    `Message-ID: ${spec.messageId}`,
    `In-Reply-To: ${orig.messageId}`,
    foldHeader("References", refs.join(" ")),
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "Auto-Submitted: auto-generated",
    "X-Mailer: reclaim-review",
  );
  const body = spec.body.replace(/\r\n/g, "\n").replace(/\n/g, "\r\n");
  return h.join("\r\n") + "\r\n\r\n" + (body.endsWith("\r\n") ? body : body + "\r\n");
}

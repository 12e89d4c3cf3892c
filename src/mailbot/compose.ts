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

/** An address we may put in a header or an SMTP envelope: one mailbox, no spaces, brackets, commas or controls. */
export function plainAddress(address: string): boolean {
  return /^[^\s<>,;:"()\\\x00-\x1f\x7f]+@[^\s<>,;:"()\\@\x00-\x1f\x7f]+$/.test(address) && address.length <= 254;
}

function formatAddress(a: Address): string {
  // a display name is only ever a name: no controls, no line breaks, quoted when it holds specials (an "@" included)
  const clean = a.name.replace(/[\x00-\x1f\x7f]+/g, " ").trim().slice(0, 200);
  if (!clean) return a.address;
  a = { ...a, name: clean };
  const name = /^[\x20-\x7e]*$/.test(a.name)
    ? /[()<>[\]:;@\\,."]/.test(a.name)
      ? `"${a.name.replace(/(["\\])/g, "\\$1")}"`
      : a.name
    : encodeWords(a.name, "Q", 52);
  return `${name} <${a.address}>`;
}

/** RFC 5322's hard limit on a line, CRLF excluded. */
export const MAX_LINE = 998;

/**
 * Folds a header at spaces to stay within 75 columns (like b4). A word that
 * cannot be folded is cut so that no line passes 998 characters.
 */
function foldHeader(name: string, value: string): string {
  const words = value
    .replace(/[\r\n\x00-\x08\x0b-\x1f\x7f]+/g, " ")
    .split(" ")
    .filter((w, i) => w !== "" || i === 0)
    .map((w) => (w.length > MAX_LINE - name.length - 3 ? w.slice(0, MAX_LINE - name.length - 6) + "..." : w));
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
  /** The Message-ID with brackets, or our key for a mail without one ("sha256:..."): then no In-Reply-To is written. */
  messageId: string;
  references: string[];
  subject: string;
  /** Parsed pairs, kept as parsed (an older state may hold "Name <addr>" strings: read by asAddresses). */
  from: Address | string | null;
  replyTo: (Address | string)[];
  to: (Address | string)[];
  cc: (Address | string)[];
}

/** Pairs as they are; a string (a state written by an earlier version) parsed once. Invalid addresses are dropped. */
export function asAddresses(values: readonly (Address | string | null)[]): Address[] {
  const out: Address[] = [];
  for (const v of values) {
    if (v === null || v === "") continue;
    const list = typeof v === "string" ? parseAddresses([v]) : [v];
    for (const a of list) if (plainAddress(a.address)) out.push({ name: a.name ?? "", address: a.address });
  }
  return out;
}

/** A real Message-ID: "<left@right>" without spaces (not our "sha256:" key). */
export function isMessageId(id: string): boolean {
  return /^<[^<>\s@]+@[^<>\s@]+>$/.test(id) && id.length <= 900;
}

/** References of a reply: the first and the last 20 of the original's, then the original itself. */
export const MAX_REFERENCES = 20;

/** Recipients (To + Cc) of a reply at most, by default. */
export const DEFAULT_MAX_RECIPIENTS = 20;

export interface Addressing {
  to: Address[];
  cc: Address[];
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * b4-style addressing: To = Reply-To when it names exactly one address, else
 * From; with reply-all, Cc = original To + Cc, deduplicated
 * case-insensitively, without ourselves and without the To. Addresses come
 * from the parsed pairs (a display name holding an address stays a name).
 * At most maxRecipients in all (To first); `dropped` says how many more
 * there were.
 */
export function addressReply(
  orig: OriginalMail,
  self: Address,
  mode: "author" | "all",
  extraCc: readonly string[] = [],
  maxRecipients = DEFAULT_MAX_RECIPIENTS,
): Addressing & { dropped: number } {
  const replyTo = asAddresses(orig.replyTo);
  const to = (replyTo.length === 1 ? replyTo : asAddresses([orig.from])).filter((a) => !sameAddress(a.address, self.address)).slice(0, Math.max(1, maxRecipients));
  const taken = new Set<string>([self.address.toLowerCase(), ...to.map((a) => a.address.toLowerCase())]);
  const cc: Address[] = [];
  const candidates = [...(mode === "all" ? asAddresses([...orig.to, ...orig.cc]) : []), ...asAddresses(parseAddresses([...extraCc]))];
  let dropped = 0;
  for (const a of candidates) {
    const k = a.address.toLowerCase();
    if (taken.has(k)) continue;
    taken.add(k);
    if (to.length + cc.length >= maxRecipients) dropped++;
    else cc.push(a);
  }
  return { to, cc, dropped };
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
  const real = isMessageId(orig.messageId);
  const known = orig.references.filter((r) => r !== orig.messageId && isMessageId(r));
  // the thread's root and its last 20: enough to thread, bounded whatever the original carried
  const kept = known.length > MAX_REFERENCES + 1 ? [known[0]!, ...known.slice(-MAX_REFERENCES)] : known;
  const refs = real ? [...kept, orig.messageId] : kept;
  const subject = replySubject(orig.subject.replace(/[\r\n]+/g, " ")).slice(0, 900);
  const h: string[] = [
    `From: ${formatAddress(spec.from)}`,
    foldHeader("To", spec.addressing.to.map(formatAddress).join(", ")),
  ];
  if (spec.addressing.cc.length > 0) h.push(foldHeader("Cc", spec.addressing.cc.map(formatAddress).join(", ")));
  h.push(
    foldHeader("Subject", /^[\x20-\x7e]*$/.test(subject) ? subject : encodeWords(subject, "Q", 52)),
    `Date: ${rfc2822Date(spec.date ?? new Date())}`,
    `Message-ID: ${spec.messageId}`,
    // no In-Reply-To without a real Message-ID to point at
    ...(real ? [`In-Reply-To: ${orig.messageId}`] : []),
    ...(refs.length > 0 ? [foldHeader("References", refs.join(" "))] : []),
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "Auto-Submitted: auto-generated",
    "X-Mailer: reclaim-review",
  );
  const body = spec.body.replace(/\r\n/g, "\n").replace(/\n/g, "\r\n");
  return h.join("\r\n") + "\r\n\r\n" + (body.endsWith("\r\n") ? body : body + "\r\n");
}

// RFC 5322 header blocks: find where the headers of a message end (leniently:
// a pasted mail, a format-patch file) and unfold them, on the raw bytes so the
// body can then be decoded with its own charset. Decoding is the mail
// libraries': RFC 2047 words and structured values by libmime, addresses by
// nodemailer's addressparser.
import { createRequire } from "node:module";
import { MIMEType } from "node:util";
import type Libmime from "libmime";
import addressparser from "nodemailer/lib/addressparser/index.js";
import { decodeUndeclared } from "./charset.js";

// libmime is loaded on first use (its Japanese charset tables cost ~80 ms):
// a plain format-patch with ASCII headers never needs it
const require = createRequire(import.meta.url);
let libmimeModule: typeof Libmime | undefined;
function libmime(): typeof Libmime {
  libmimeModule ??= require("libmime") as typeof Libmime;
  return libmimeModule;
}

export interface HeaderField {
  /** Lower-cased field name. */
  name: string;
  /** Unfolded value, not yet RFC 2047-decoded. */
  value: string;
}

export interface HeaderBlock {
  fields: HeaderField[];
  /** Byte offset of the first body byte. */
  bodyStart: number;
}

const FIELD_NAME = /^([!-9;-~]+)[ \t]*:/;

/** Fields whose presence makes a run of "Name: value" lines a mail header rather than prose. */
const MAIL_FIELDS = new Set([
  "from",
  "subject",
  "date",
  "message-id",
  "to",
  "cc",
  "content-type",
  "mime-version",
  "received",
  "return-path",
  "in-reply-to",
  "references",
  "delivered-to",
  "list-id",
  "reply-to",
  "sender",
  "x-mailer",
  "content-transfer-encoding",
]);

const MAX_HEADER_BYTES = 4 * 1024 * 1024;

/**
 * Reads the header block that starts at `start`. Returns null when the bytes
 * there are not a mail header (a bare diff, prose). Ends at the first empty
 * line, or leniently at the first line that is neither a field nor a
 * continuation (that line then starts the body).
 */
export function readHeaderBlock(buf: Buffer, start: number): HeaderBlock | null {
  const raw: { name: string; parts: string[] }[] = [];
  let pos = start;
  let bodyStart = buf.length;
  let sawMailField = false;
  while (pos < buf.length) {
    let nl = buf.indexOf(10, pos);
    if (nl < 0) nl = buf.length;
    let end = nl;
    if (end > pos && buf[end - 1] === 13) end--;
    if (end === pos) {
      bodyStart = Math.min(nl + 1, buf.length);
      break;
    }
    const first = buf[pos]!;
    if ((first === 32 || first === 9) && raw.length > 0) {
      raw[raw.length - 1]!.parts.push(buf.toString("latin1", pos, end));
    } else {
      // field names are short; look at the start of the line only
      const head = buf.toString("latin1", pos, Math.min(end, pos + 80));
      const m = FIELD_NAME.exec(head);
      if (!m) {
        bodyStart = pos;
        break;
      }
      const name = m[1]!.toLowerCase();
      if (MAIL_FIELDS.has(name)) sawMailField = true;
      raw.push({ name, parts: [buf.toString("latin1", pos + m[0].length, end)] });
    }
    pos = nl + 1;
    if (pos - start > MAX_HEADER_BYTES) {
      bodyStart = pos;
      break;
    }
  }
  if (!sawMailField) return null;
  const fields = raw.map(({ name, parts }) => ({ name, value: fromLatin1(parts.join("")).trim() }));
  return { fields, bodyStart };
}

/** Header bytes were read as latin1; re-read 8-bit values as UTF-8 when they are UTF-8. */
function fromLatin1(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[\x80-\xff]/.test(s)) return s;
  return decodeUndeclared(Buffer.from(s, "latin1"));
}

export class Headers {
  constructor(readonly fields: HeaderField[]) {}

  /** First raw (undecoded) value of a field. */
  raw(name: string): string | null {
    for (const f of this.fields) if (f.name === name) return f.value;
    return null;
  }

  /** First value, RFC 2047-decoded. */
  get(name: string): string | null {
    const v = this.raw(name);
    return v === null ? null : decodeWords(v);
  }

  all(name: string): string[] {
    return this.fields.filter((f) => f.name === name).map((f) => f.value);
  }

  /** name -> first value, decoded. */
  toRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const f of this.fields) if (!(f.name in out)) out[f.name] = decodeWords(f.value);
    return out;
  }
}

// ------------------------------------------------------------ decoding

/**
 * Decodes RFC 2047 encoded words, with libmime (mailparser's own decoder:
 * adjacent words joined before decoding, so a character split across two
 * words survives; charsets through iconv-lite).
 */
export function decodeWords(value: string): string {
  if (!value.includes("=?")) return value;
  try {
    return libmime().decodeWords(value);
  } catch {
    return value;
  }
}

// ------------------------------------------------------------ addresses

export interface Mailbox {
  name: string;
  address: string;
}

/** The mailboxes of an address field, by nodemailer's addressparser (groups flattened); display names decoded. */
export function parseMailboxList(value: string | null): Mailbox[] {
  if (!value || value.trim() === "") return [];
  const out: Mailbox[] = [];
  for (const a of addressparser(value, { flatten: true })) {
    const address = (a.address ?? "").trim();
    if (address === "") continue;
    out.push({ name: decodeWords(a.name ?? "").replace(/\s+/g, " ").trim(), address });
  }
  return out;
}

/** The first mailbox of a field ("Name <addr>", "<addr>", "addr (Name)", "addr"). */
export function parseMailbox(value: string): Mailbox | null {
  return parseMailboxList(value)[0] ?? null;
}

/** "Name <addr>", or just "addr" when the mailbox has no display name. */
export function formatMailbox(mb: Mailbox): string {
  return mb.name ? `${mb.name} <${mb.address}>` : mb.address;
}

/** Message-IDs in a header value, without angle brackets. */
export function messageIds(value: string | null): string[] {
  if (!value) return [];
  const ids: string[] = [];
  const re = /<([^<>\s]+)>/g;
  for (let m = re.exec(value); m; m = re.exec(value)) ids.push(m[1]!);
  if (ids.length === 0) {
    for (const tok of value.split(/\s+/)) if (tok.includes("@")) ids.push(tok.replace(/^<|>$/g, ""));
  }
  return ids;
}

/**
 * Parameters of a structured header ("text/plain; charset=utf-8; format=flowed"),
 * value and names lower-cased: Node's WHATWG MIME type parser for a well-formed
 * Content-Type, libmime for anything else (comments, RFC 2231, sloppy quoting).
 */
export function parseParams(value: string | null): { value: string; params: Record<string, string> } {
  if (!value) return { value: "", params: {} };
  try {
    const m = new MIMEType(value.trim());
    return { value: m.essence, params: Object.fromEntries(m.params) };
  } catch {
    // not a WHATWG MIME type: libmime is more forgiving
  }
  const h = libmime().parseHeaderValue(value);
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(h.params)) if (typeof v === "string") params[k.toLowerCase()] = v;
  return { value: h.value.trim().toLowerCase(), params };
}

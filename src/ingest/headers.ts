// RFC 5322 header blocks: find where the headers of a message end, unfold
// them, decode RFC 2047 encoded words, and read addresses and Message-IDs.
// Works on the raw bytes so the body can then be decoded with its own charset.
import { decodeUndeclared, lookupDecoder } from "./charset.js";

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

// ------------------------------------------------------------ RFC 2047

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

function wordBytes(enc: string, text: string): Buffer {
  if (enc === "B" || enc === "b") return Buffer.from(text, "base64");
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "_") bytes.push(32);
    else if (c === "=" && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c.charCodeAt(0) & 0xff);
  }
  return Buffer.from(bytes);
}

/**
 * Decodes RFC 2047 encoded words. Adjacent words in the same charset are
 * joined before decoding (a multi-byte character may be split across them);
 * whitespace between encoded words is dropped. A word in a charset we cannot
 * decode is left as it is.
 */
export function decodeWords(value: string): string {
  if (!value.includes("=?")) return value;
  let out = "";
  let last = 0;
  let pending: { charset: string; bytes: Buffer[]; raw: string } | null = null;
  const flush = () => {
    if (!pending) return;
    const label = pending.charset.replace(/\*.*$/, "");
    const dec = lookupDecoder(label);
    out += dec ? dec.decode(Buffer.concat(pending.bytes)) : pending.raw;
    pending = null;
  };
  ENCODED_WORD.lastIndex = 0;
  for (let m = ENCODED_WORD.exec(value); m; m = ENCODED_WORD.exec(value)) {
    const between = value.slice(last, m.index);
    const charset = m[1]!.toLowerCase();
    const bytes = wordBytes(m[2]!, m[3]!);
    if (pending && /^[ \t\r\n]*$/.test(between)) {
      const p: { charset: string; bytes: Buffer[]; raw: string } = pending;
      if (p.charset === charset) {
        p.bytes.push(bytes);
        p.raw += between + m[0];
      } else {
        flush();
        pending = { charset, bytes: [bytes], raw: m[0] };
      }
    } else {
      flush();
      out += between;
      pending = { charset, bytes: [bytes], raw: m[0] };
    }
    last = m.index + m[0].length;
  }
  flush();
  out += value.slice(last);
  return out;
}

// ------------------------------------------------------------ addresses

export interface Mailbox {
  name: string;
  address: string;
}

/** Splits on commas outside quotes, angle brackets and comments. */
function splitList(value: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote = false;
  let angle = 0;
  let paren = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\" && quote) {
      cur += c + (value[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === '"' && paren === 0) quote = !quote;
    else if (!quote) {
      if (c === "<") angle++;
      else if (c === ">" && angle > 0) angle--;
      else if (c === "(") paren++;
      else if (c === ")" && paren > 0) paren--;
      else if ((c === "," || c === ";") && angle === 0 && paren === 0) {
        out.push(cur);
        cur = "";
        continue;
      }
    }
    cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s !== "");
}

function unquote(name: string): string {
  let n = name.trim();
  if (n.length >= 2 && n.startsWith('"') && n.endsWith('"')) n = n.slice(1, -1).replace(/\\(.)/g, "$1");
  return n.replace(/\s+/g, " ").trim();
}

/** One mailbox from "Name <addr>", "<addr>", "addr (Name)" or "addr". */
export function parseMailbox(value: string): Mailbox | null {
  let v = decodeWords(value).trim();
  // a group ("undisclosed-recipients:;" or "team: a@x") keeps only its members
  const group = /^[^"<>@]*:\s*(.*)$/.exec(v);
  if (group && !v.includes("<") ) v = group[1]!.trim();
  if (v === "") return null;
  const angle = /^(.*)<([^<>]*)>\s*(?:\(.*\))?$/.exec(v);
  if (angle) {
    const address = angle[2]!.trim();
    if (address === "") return null;
    return { name: unquote(angle[1]!), address };
  }
  const comment = /^(\S+@\S+)\s*\((.*)\)$/.exec(v);
  if (comment) return { name: unquote(comment[2]!), address: comment[1]! };
  const bare = /^(\S+)$/.exec(v);
  if (bare) return { name: "", address: bare[1]! };
  return null;
}

export function parseMailboxList(value: string | null): Mailbox[] {
  if (!value) return [];
  const out: Mailbox[] = [];
  for (const part of splitList(value)) {
    const mb = parseMailbox(part);
    if (mb) out.push(mb);
  }
  return out;
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

/** Parameters of a structured header ("text/plain; charset=utf-8; format=flowed"), names lower-cased. */
export function parseParams(value: string | null): { value: string; params: Record<string, string> } {
  if (!value) return { value: "", params: {} };
  const parts = value.split(";");
  const main = parts.shift()!.trim().toLowerCase();
  const params: Record<string, string> = {};
  for (const p of parts) {
    const eq = p.indexOf("=");
    if (eq < 0) continue;
    const k = p.slice(0, eq).trim().toLowerCase();
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"')) v = v.replace(/^"|"$/g, "");
    if (!(k in params)) params[k] = v;
  }
  return { value: main, params };
}

// Charset handling for what we decode ourselves: a plain (non-MIME) message
// body and patch attachments (mailparser decodes the text parts of MIME mail
// and libmime the headers). TextDecoder (WHATWG labels, full ICU in Node) does
// the decoding; we only resolve the labels mail clients write that WHATWG does
// not list, and refuse labels nobody knows instead of guessing (a wrong guess
// would corrupt the diff silently).
import { TextDecoder } from "node:util";
import { InputError } from "../errors.js";

const cache = new Map<string, TextDecoder | null>();

// Labels seen in kernel mail that are not WHATWG labels, mapped to one that is.
const ALIASES: Record<string, string> = {
  utf8: "utf-8",
  "utf-8-bom": "utf-8",
  latin1: "iso-8859-1",
  "latin-1": "iso-8859-1",
  "iso8859-15": "iso-8859-15",
  "iso_8859-1": "iso-8859-1",
  "ansi_x3.4-1968": "us-ascii",
  ascii: "us-ascii",
  "x-user-defined": "x-user-defined",
};

function tryLabel(label: string): TextDecoder | null {
  try {
    return new TextDecoder(label);
  } catch {
    return null;
  }
}

/** The decoder for a charset label, or null when the label names no charset we can decode. */
export function lookupDecoder(label: string): TextDecoder | null {
  const key = label.trim().replace(/^["']|["']$/g, "").toLowerCase();
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let dec = tryLabel(key);
  if (!dec && ALIASES[key]) dec = tryLabel(ALIASES[key]!);
  if (!dec) {
    const stripped = key.replace(/^(?:x-|cs)/, "");
    if (stripped !== key) dec = tryLabel(stripped) ?? (ALIASES[stripped] ? tryLabel(ALIASES[stripped]!) : null);
  }
  if (!dec) {
    // "cp-1252", "windows1252", "iso8859_2": normalise the separators once
    const m = /^(?:cp|windows)[-_]?(\d{3,4})$/.exec(key);
    if (m) dec = tryLabel(`windows-${m[1]}`);
    const iso = /^iso[-_]?8859[-_]?(\d{1,2})$/.exec(key);
    if (!dec && iso) dec = tryLabel(`iso-8859-${iso[1]}`);
  }
  if (cache.size < 256) cache.set(key, dec);
  return dec;
}

function isUtf8Label(label: string): boolean {
  const l = label.trim().toLowerCase();
  // us-ascii mail with 8-bit bytes in it is, in practice, UTF-8 mislabelled by git send-email
  return l === "utf-8" || l === "utf8" || l === "us-ascii" || l === "ascii" || l === '"utf-8"';
}

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });
const latin1 = new TextDecoder("windows-1252");

/** Whether bytes in this charset can be decoded (the label names a charset we know). */
export function knownCharset(label: string): boolean {
  return isUtf8Label(label) || lookupDecoder(label) !== null;
}

/**
 * UTF-8 when the bytes are valid UTF-8, else Windows-1252 (what an
 * undeclared 8-bit body almost always is).
 */
export function decodeUndeclared(bytes: Uint8Array): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const s = buf.toString("utf8");
  if (!s.includes("\uFFFD")) return s;
  try {
    return fatalUtf8.decode(buf);
  } catch {
    return latin1.decode(buf);
  }
}

/**
 * Decodes bytes with the charset a part declares. No label: UTF-8 (falling
 * back to Windows-1252). A label no decoder knows: InputError naming it.
 */
export function decodeWithCharset(bytes: Uint8Array, charset: string | null | undefined, source?: string): string {
  if (!charset || charset.trim() === "" || isUtf8Label(charset)) return decodeUndeclared(bytes);
  const dec = lookupDecoder(charset);
  if (!dec) throw new InputError(`unknown charset ${JSON.stringify(charset.trim().slice(0, 60))}: cannot decode the message`, source);
  return dec.decode(bytes);
}

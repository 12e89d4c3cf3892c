// Splitting an mbox (mboxo or mboxrd; git format-patch --stdout; lore's
// t.mbox) into messages at "From " separator lines, the way git mailsplit
// recognises them: "From <addr> <asctime date>" at the start of a line,
// after an empty line (or at the start), or git's fixed
// "From <sha> Mon Sep 17 00:00:00 2001".
import { findDiffStart } from "./body.js";

export interface Segment {
  /** Byte range of the message, the "From " line excluded. */
  start: number;
  end: number;
  /** The message followed a "From " separator line. */
  separated: boolean;
}

// asctime as mbox writers put it: "From addr Thu Jan  1 00:00:00 1970" (git mailsplit also wants seconds and a year)
const FROM_LINE = /^From \S+ +.*\d\d?:\d\d:\d\d(?: +[+-]\d{4})? +\d{4}\s*$/;
const GIT_MAGIC = /^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001/;

function isSeparator(buf: Buffer, at: number): boolean {
  const line = buf.toString("latin1", at, Math.min(buf.length, at + 200)).split("\n")[0]!;
  if (GIT_MAGIC.test(line)) return true;
  if (!FROM_LINE.test(line)) return false;
  if (at === 0) return true;
  // the previous line must be empty ("\n\nFrom " or "\r\n\r\nFrom ")
  let p = at - 2; // the byte before the "\n" that ends the previous line
  if (p >= 0 && buf[p] === 13) p--;
  return p < 0 || buf[p] === 10;
}

const FROM = Buffer.from("\nFrom ");

/** The messages of an mbox; a single message (no separator) comes back as one segment. */
export function splitMbox(buf: Buffer): Segment[] {
  const starts: number[] = [];
  if (buf.length >= 5 && buf.toString("latin1", 0, 5) === "From " && isSeparator(buf, 0)) starts.push(0);
  for (let i = buf.indexOf(FROM); i >= 0; i = buf.indexOf(FROM, i + 1)) {
    if (isSeparator(buf, i + 1)) starts.push(i + 1);
  }
  if (starts.length === 0 || (starts[0]! > 0 && encodedMail(buf, starts[0]!))) return [{ start: 0, end: buf.length, separated: false }];
  const out: Segment[] = [];
  if (starts[0]! > 0) {
    // text before the first separator: an email client's or a user's note, kept only if it holds a diff
    const pre = buf.toString("latin1", 0, starts[0]);
    if (findDiffStart(pre) >= 0) out.push({ start: 0, end: starts[0]!, separated: false });
  }
  for (let k = 0; k < starts.length; k++) {
    const lineEnd = buf.indexOf(10, starts[k]!);
    const start = lineEnd < 0 ? buf.length : lineEnd + 1;
    const end = k + 1 < starts.length ? starts[k + 1]! : buf.length;
    out.push({ start: Math.min(start, end), end, separated: true });
  }
  return out;
}

/**
 * The text before the first separator is one mail (headers from its first line) whose body is encoded
 * (quoted-printable, base64) or multipart: a "From " line below its headers is part of that body (a format-patch
 * pasted into the mail), not the start of another message, since a file that is an mbox starts with a separator.
 */
function encodedMail(buf: Buffer, before: number): boolean {
  const pre = buf.toString("latin1", 0, Math.min(before, 64 * 1024));
  const end = pre.search(/\r?\n\r?\n/);
  if (end < 0 || !/^[A-Za-z][A-Za-z0-9-]*:/.test(pre)) return false;
  const headers = pre.slice(0, end).replace(/\r?\n[ \t]+/g, " ");
  return /^content-transfer-encoding:[ \t]*(?:quoted-printable|base64)\b/im.test(headers) || /^content-type:[ \t]*multipart\//im.test(headers);
}

/** mboxrd/mboxo unescaping: one ">" comes off every ">From " line. */
export function unescapeFrom(text: string): string {
  return text.includes(">From ") ? text.replace(/^>(>*From )/gm, "$1") : text;
}

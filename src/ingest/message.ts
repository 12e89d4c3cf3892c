// One message (a mail, a format-patch file, a bare diff) -> what we know of
// it: headers, decoded body and, when it carries a diff, a Patch. Used for
// every message of an mbox by parseInput and for the one message the mail
// bot receives (parseMail). Split in three steps so that only messages that
// need MIME decoding wait for mailparser:
//   prepare (sync)  -> headers, and whether MIME decoding is needed
//   decode          -> decodeFast (sync) or decodeMimeBody (async)
//   finish (sync)   -> Patch, or the reason it could not be read
import { InputError, errorMessage } from "../errors.js";
import { parseDiff } from "../diff/parse.js";
import type { FileDiff, Patch } from "../types.js";
import { cutSignature, inBodyHeaders, splitBody, stripAnsi, stripDiffstat, trimBlock, unflow } from "./body.js";
import { decodeWithCharset } from "./charset.js";
import { Headers, formatMailbox, messageIds, parseMailbox, parseParams, readHeaderBlock, type HeaderBlock } from "./headers.js";
import { unescapeFrom } from "./mbox.js";
import { decodeMime, type MimeAttachment } from "./mime.js";
import { parseSubject, type SubjectInfo } from "./subject.js";

export interface Prepared {
  buf: Buffer;
  /** Lines of the input before this message. */
  lineBase: number;
  /** The message came out of an mbox (">From " lines are escaped). */
  mbox: boolean;
  block: HeaderBlock | null;
  headers: Headers;
  needsMime: boolean;
  /** A reason found before decoding (binary data). */
  problem: string | null;
}

export interface Decoded {
  text: string;
  /** Lines of the input before the first body line, when body lines are input lines (no MIME, not flowed). */
  lineBase: number | null;
  /** The body before un-flowing, when we un-flowed it (a plain format=flowed body). */
  unflowedFrom: string | null;
  attachments: MimeAttachment[];
  /** Notes on how the message was decoded, for the patch. */
  notes?: string[];
}

export interface MessageResult {
  headers: Headers;
  subject: SubjectInfo;
  /** Decoded text/plain body, LF line ends. */
  body: string;
  /** Always built (files empty when there is no diff), so that covers can use it. */
  patch: Patch;
  hasDiff: boolean;
  problem: string | null;
}

const EMPTY_HEADERS = new Headers([]);

/** NUL bytes anywhere but inside a "GIT binary patch" block mean this is not text. */
function hasBinaryData(buf: Buffer): boolean {
  let nul = buf.indexOf(0);
  while (nul >= 0) {
    // inside a GIT binary patch block (from that line to the next empty line)?
    const before = buf.lastIndexOf("GIT binary patch", nul);
    if (before < 0) return true;
    const lf2 = buf.indexOf("\n\n", before);
    const crlf2 = buf.indexOf("\n\r\n", before);
    let end = lf2 < 0 ? crlf2 : crlf2 < 0 ? lf2 : Math.min(lf2, crlf2);
    if (end < 0) end = buf.length;
    if (end < nul) return true;
    nul = buf.indexOf(0, end);
  }
  return false;
}

/** Many control bytes at the start: binary garbage rather than a text we cannot read. */
function looksBinary(buf: Buffer): boolean {
  const n = Math.min(buf.length, 8192);
  let ctl = 0;
  for (let i = 0; i < n; i++) {
    const b = buf[i]!;
    if (b < 32 && b !== 9 && b !== 10 && b !== 13 && b !== 12 && b !== 27) ctl++;
  }
  return n > 0 && ctl * 20 > n;
}

function findHeaderBlock(buf: Buffer): HeaderBlock | null {
  const block = readHeaderBlock(buf, 0);
  if (block) return block;
  // leading text (an email client's "Forwarded message" lines, a note) before the mail's headers
  let limit = buf.length;
  for (const marker of ["\ndiff ", "\n--- ", "\n@@ -"]) {
    const i = buf.indexOf(marker);
    if (i >= 0 && i < limit) limit = i;
  }
  let best = -1;
  for (const marker of ["\nFrom: ", "\nSubject: "]) {
    const i = buf.indexOf(marker);
    if (i >= 0 && i < limit && (best < 0 || i < best)) best = i;
  }
  if (best < 0) return null;
  const later = readHeaderBlock(buf, best + 1);
  if (later && later.fields.some((f) => f.name === "subject" || f.name === "from")) return later;
  return null;
}

function countLines(buf: Buffer, end: number): number {
  let n = 0;
  for (let i = buf.indexOf(10); i >= 0 && i < end; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

export function prepare(buf: Buffer, mbox: boolean, lineBase = 0): Prepared {
  if (hasBinaryData(buf) || looksBinary(buf))
    return { buf, lineBase, mbox, block: null, headers: EMPTY_HEADERS, needsMime: false, problem: "not a patch: binary data" };
  const block = findHeaderBlock(buf);
  const headers = block ? new Headers(block.fields) : EMPTY_HEADERS;
  const ct = parseParams(headers.raw("content-type"));
  const cte = (headers.raw("content-transfer-encoding") ?? "").trim().toLowerCase();
  const needsMime =
    ct.value.startsWith("multipart/") ||
    ct.value.startsWith("message/") ||
    cte === "base64" ||
    cte === "quoted-printable" ||
    (ct.value !== "" && !ct.value.startsWith("text/"));
  return { buf, lineBase, mbox, block, headers, needsMime, problem: null };
}

function lf(s: string): string {
  return s.includes("\r\n") ? s.replace(/\r\n/g, "\n") : s;
}

/** A single-part 7bit/8bit body, decoded with its charset. */
export function decodeFast(p: Prepared): Decoded {
  const start = p.block ? p.block.bodyStart : 0;
  const ct = parseParams(p.headers.raw("content-type"));
  const text = lf(decodeWithCharset(p.buf.subarray(start), ct.params.charset));
  if (/^flowed$/i.test(ct.params.format ?? "")) {
    return { text: unflow(text, /^yes$/i.test(ct.params.delsp ?? "")), lineBase: null, unflowedFrom: text, attachments: [] };
  }
  return { text, lineBase: p.lineBase + countLines(p.buf, start), unflowedFrom: null, attachments: [] };
}

export async function decodeMimeBody(p: Prepared): Promise<Decoded> {
  const body = await decodeMime(p.buf, p.headers.raw("content-type"));
  return {
    text: lf(body.text),
    lineBase: null,
    unflowedFrom: null,
    attachments: body.attachments.map((a) => ({ ...a, text: lf(a.text) })),
    notes: body.notes,
  };
}

// ------------------------------------------------------------ finishing

interface Content {
  message: string;
  files: FileDiff[];
  notes: string[];
  hasDiff: boolean;
  author: string | null;
  date: string | null;
  subject: string | null;
  /** The subject came from below a scissors line: it is the patch's, whatever the mail's subject says. */
  scissors?: boolean;
}

/** git show / git log -p output: "commit <sha>", Author:, Date:, indented message. */
function gitShowHeader(text: string): { author: string | null; date: string | null; subject: string; message: string; rest: string } | null {
  const m = /^commit [0-9a-f]{7,40}\b[^\n]*\n((?:[A-Za-z]+: [^\n]*\n)*)\n((?: {4}[^\n]*\n|\n)*)/.exec(text);
  if (!m) return null;
  const author = /^Author: (.*)$/m.exec(m[1]!)?.[1]?.trim() ?? null;
  const date = /^Date: (.*)$/m.exec(m[1]!)?.[1]?.trim() ?? null;
  const lines = m[2]!.split("\n").map((l) => l.replace(/^ {4}/, ""));
  const msg = trimBlock(lines.join("\n"));
  const nl = msg.indexOf("\n");
  return {
    author,
    date,
    subject: nl < 0 ? msg : msg.slice(0, nl).trim(),
    message: nl < 0 ? "" : trimBlock(msg.slice(nl + 1)),
    rest: text.slice(m[0].length),
  };
}

/** A scissors line as git am --scissors knows it: "-- >8 --", "--8<--", "-- 8< -- cut here". */
const SCISSORS = /^[ \t]*-{2,}[ \t]*(?:>8|8<)[ \t]*-{2,}[^\n]*\n/m;

/**
 * A forwarded message's header lines inside a body, above its patch: what
 * mailparser writes for an inline message/rfc822 part (From, Subject, Date,
 * To, Cc), or a mail client's forwarded-message block. The last such block
 * with From, Subject and Date, between blank lines.
 */
const FORWARDED = /(?:^|\n)[ \t]*\n((?:(?:From|Subject|Date|To|Cc|Bcc|Sent): [^\n]*\n)+)[ \t]*\n/g;

function forwardedHeaders(message: string): { from: string | null; subject: string; date: string | null; rest: string } | null {
  let found: RegExpExecArray | null = null;
  FORWARDED.lastIndex = 0;
  for (let m = FORWARDED.exec(message + "\n"); m; m = FORWARDED.exec(message + "\n")) {
    if (/^From: /m.test(m[1]!) && /^Subject: /m.test(m[1]!) && /^(?:Date|Sent): /m.test(m[1]!)) found = m;
    FORWARDED.lastIndex = m.index + m[0].length - 1;
  }
  if (!found) return null;
  const field = (name: string) => new RegExp(`^${name}: (.*)$`, "m").exec(found![1]!)?.[1]?.trim() ?? null;
  const from = parseMailbox(field("From") ?? "");
  return {
    from: from ? formatMailbox(from) : null,
    subject: field("Subject")!,
    date: field("Date") ?? field("Sent"),
    rest: (message + "\n").slice(found.index + found[0].length),
  };
}

function contentOf(text: string, headerless: boolean, lineBase: number | null, reply = false): Content {
  let src = text;
  let show: ReturnType<typeof gitShowHeader> = null;
  let base = lineBase;
  if (headerless) {
    show = gitShowHeader(src);
    if (show) {
      src = show.rest;
      if (base !== null) base += text.slice(0, text.length - src.length).split("\n").length - 1;
    }
  }
  const parts = splitBody(src, !reply);
  let message = parts.message;
  let author: string | null = null;
  let date: string | null = null;
  let subject: string | null = null;
  let scissors = false;
  if (show) {
    message = show.message;
    author = show.author;
    date = show.date;
    subject = show.subject;
  } else if (headerless) {
    message = trimBlock(stripDiffstat(message));
  } else {
    // git am --scissors: discussion above a "-- >8 --" line, the commit below it
    const cut = SCISSORS.exec(message);
    if (cut && parts.diff !== null) message = message.slice(cut.index + cut[0].length);
    const fwd = cut || parts.diff === null ? null : forwardedHeaders(message);
    if (fwd) message = fwd.rest;
    const ib = inBodyHeaders(trimBlock(message));
    message = ib.rest;
    if (ib.from) author = ib.from;
    if (ib.date) date = ib.date;
    if (ib.subject) subject = ib.subject;
    if (cut && ib.subject) scissors = true;
    if (fwd) {
      author = fwd.from ?? author;
      date = fwd.date ?? date;
      subject = fwd.subject;
      scissors = true;
    }
  }
  if (parts.diff === null) return { message, files: [], notes: [], hasDiff: false, author, date, subject, scissors };
  const { files, notes } = parseDiff(parts.diff, undefined, base === null ? undefined : base + parts.diffLine);
  return { message, files, notes, hasDiff: files.length > 0, author, date, subject, scissors };
}

/** The body's content, retrying without un-flowing when a format=flowed body damaged the diff. */
function bodyContent(d: Decoded, headerless: boolean, reply: boolean): Content {
  try {
    return contentOf(d.text, headerless, d.lineBase, reply);
  } catch (err) {
    if (d.unflowedFrom === null || !(err instanceof InputError)) throw err;
    try {
      return contentOf(d.unflowedFrom, headerless, null, reply);
    } catch {
      throw err;
    }
  }
}

/**
 * Patches attached to a mail whose body has no diff: each may be a whole
 * format-patch file (its own header block) or a forwarded mail (decoded by
 * mailparser, its headers with it).
 */
function attachmentContent(atts: MimeAttachment[]): Content | null {
  let found: Content | null = null;
  for (const a of atts) {
    let c: Content;
    if (a.mail) {
      c = contentOf(a.text, false, null);
      if (!c.hasDiff) continue;
      if (a.mail.from && !c.author) c.author = a.mail.from;
      c.date ??= a.mail.date;
      c.subject ??= a.mail.subject;
    } else {
      const buf = Buffer.from(a.text, "utf8");
      let start = 0;
      if (a.text.startsWith("From ")) start = buf.indexOf(10) + 1;
      const block = readHeaderBlock(buf, start);
      const body = block ? buf.toString("utf8", block.bodyStart) : buf.toString("utf8", start);
      c = contentOf(body, block === null, null);
      if (!c.hasDiff) continue;
      if (block) {
        const h = new Headers(block.fields);
        const from = parseMailbox(h.raw("from") ?? "");
        if (from && !c.author) c.author = formatMailbox(from);
        c.date ??= h.get("date");
        c.subject ??= h.get("subject");
      }
    }
    c.scissors = false;
    if (!found) found = c;
    else {
      found.files.push(...c.files);
      found.notes.push(...c.notes);
      if (!found.message) found.message = c.message;
    }
  }
  return found;
}

/** b4's and `git format-patch --base`'s base tree information: "base-commit: <id>" on a line of its own. */
const BASE_COMMIT = /^base-commit:[ \t]*([0-9a-fA-F]{7,64})[ \t]*$/m;

/** The base-commit: id of a message's text (a patch or a cover letter), lower-cased; null without one. */
export function baseCommitOf(text: string): string | null {
  const m = BASE_COMMIT.exec(text);
  return m ? m[1]!.toLowerCase() : null;
}

export function finish(p: Prepared, d: Decoded, source: string): MessageResult {
  const h = p.headers;
  const rawSubject = h.get("subject") ?? "";
  let subject = parseSubject(rawSubject);
  const fromBox = parseMailbox(h.raw("from") ?? "");
  const patch: Patch = {
    source,
    subject: subject.subject,
    rawSubject: subject.full,
    messageId: messageIds(h.raw("message-id"))[0] ?? null,
    inReplyTo: messageIds(h.raw("in-reply-to"))[0] ?? null,
    references: messageIds(h.all("references").join(" ")),
    author: fromBox ? formatMailbox(fromBox) : null,
    date: h.get("date"),
    message: "",
    series: subject.series,
    files: [],
    notes: [],
  };
  let text = stripAnsi(d.text);
  if (p.mbox) text = unescapeFrom(text);
  const decoded: Decoded = { ...d, text, unflowedFrom: d.unflowedFrom === null ? null : unescapeFrom(stripAnsi(d.unflowedFrom)) };
  const result: MessageResult = { headers: h, subject, body: text, patch, hasDiff: false, problem: p.problem };
  if (p.problem) return result;
  try {
    const headerless = p.block === null;
    let c = bodyContent(decoded, headerless, subject.reply);
    if (!c.hasDiff && decoded.attachments.length > 0) {
      const att = attachmentContent(decoded.attachments);
      if (att) {
        if (!att.message) att.message = c.message;
        c = att;
      }
    }
    if (c.author) patch.author = c.author;
    if (c.date) patch.date = c.date;
    if (c.subject && (!rawSubject || !subject.patch || c.scissors)) {
      // an in-body or attached Subject: when the mail's own subject is not a patch subject,
      // or below a scissors line
      subject = parseSubject(c.subject);
      patch.subject = subject.subject;
      patch.rawSubject = subject.full;
      patch.series = subject.series ?? patch.series;
      result.subject = subject;
    }
    patch.message = c.message;
    patch.files = c.files;
    patch.notes = [...(d.notes ?? []), ...c.notes];
    const base = baseCommitOf(text);
    if (base) patch.baseCommit = base;
    result.hasDiff = c.hasDiff;
    if (!c.hasDiff) patch.message = trimBlock(cutSignature(text));
  } catch (err) {
    result.problem = err instanceof InputError ? err.message : `could not read the message: ${errorMessage(err).split("\n")[0]}`;
  }
  return result;
}

/** prepare + decode + finish for one message. */
export async function readMessage(buf: Buffer, source: string, mbox: boolean, lineBase = 0): Promise<MessageResult> {
  const p = prepare(buf, mbox, lineBase);
  let d: Decoded;
  try {
    if (p.problem) return finish(p, { text: "", lineBase: null, unflowedFrom: null, attachments: [] }, source);
    d = p.needsMime ? await decodeMimeBody(p) : decodeFast(p);
  } catch (err) {
    return failed(p, source, err);
  }
  return finish(p, d, source);
}

/** The synchronous variant: a message that needs MIME decoding is a problem here. */
export function readMessageSync(buf: Buffer, source: string, mbox: boolean, lineBase = 0): MessageResult {
  const p = prepare(buf, mbox, lineBase);
  if (p.problem) return finish(p, { text: "", lineBase: null, unflowedFrom: null, attachments: [] }, source);
  if (p.needsMime) return failed(p, source, new InputError("a MIME-encoded message needs the asynchronous parseInput"));
  let d: Decoded;
  try {
    d = decodeFast(p);
  } catch (err) {
    return failed(p, source, err);
  }
  return finish(p, d, source);
}

function failed(p: Prepared, source: string, err: unknown): MessageResult {
  const r = finish({ ...p, problem: "pending" }, { text: "", lineBase: null, unflowedFrom: null, attachments: [] }, source);
  r.problem = err instanceof InputError ? err.message : `could not read the message: ${errorMessage(err).split("\n")[0]}`;
  return r;
}

// MIME messages (multipart, base64, quoted-printable, message/rfc822) through
// mailparser's simpleParser, imported only when a message needs it so that
// reviewing a plain format-patch file does not load it. mailparser decodes
// the transfer encodings and the charsets of the text parts (iconv-lite),
// un-flows format=flowed text, picks text/plain out of multipart/alternative,
// and hands every other part over as an attachment with its headers. What is
// ours: which attachments carry a patch, decoding those with the charset
// their own Content-Type names (an unknown one is an InputError, never a
// guess), and reading a forwarded message (message/rfc822) the same way.
import type { AddressObject, Attachment, ParsedMail } from "mailparser";
import { InputError } from "../errors.js";
import { decodeWithCharset, knownCharset } from "./charset.js";
import { parseParams } from "./headers.js";

export interface MimeAttachment {
  filename: string | null;
  mimeType: string;
  /** Decoded text: a patch file, or a forwarded message's body. */
  text: string;
  /** A forwarded message's own headers (decoded by mailparser). */
  mail?: { from: string | null; subject: string | null; date: string | null };
}

export interface MimeBody {
  /** The text/plain body (format=flowed already un-flowed by mailparser). */
  text: string;
  /** Attachments that carry a patch, decoded, and forwarded messages. */
  attachments: MimeAttachment[];
  /** What the reader should know of how the message was read. */
  notes: string[];
}

type SimpleParser = (input: Buffer, options?: Record<string, unknown>) => Promise<ParsedMail>;

let loading: Promise<SimpleParser> | null = null;
function simpleParser(): Promise<SimpleParser> {
  loading ??= import("mailparser").then((m) => (m.simpleParser ?? (m as unknown as { default: { simpleParser: SimpleParser } }).default.simpleParser) as SimpleParser);
  return loading;
}

/** Only what a patch review needs: no HTML rendering, no link detection. */
const PARSE_OPTIONS = { skipHtmlToText: false, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true, keepCidLinks: true, maxHtmlLengthToParse: 1 << 20 };

/** Forwarded messages inside forwarded messages: read this deep, no deeper. */
const MAX_FORWARD_DEPTH = 4;

const PATCH_TYPES = new Set(["text/x-patch", "text/x-diff", "text/x-diff-file", "application/x-patch", "application/x-diff", "text/diff", "text/patch"]);

function isPatchAttachment(type: string, filename: string | null): boolean {
  if (PATCH_TYPES.has(type)) return true;
  return filename !== null && /\.(?:patch|diff)$/i.test(filename);
}

/** What mailparser forgives and we do not: a multipart without a boundary, or whose boundary never appears. */
function checkStructure(raw: Buffer, contentType: string | null, source?: string): void {
  const ct = parseParams(contentType);
  if (!ct.value.startsWith("multipart/")) return;
  const boundary = ct.params.boundary;
  if (!boundary) throw new InputError(`malformed MIME: ${ct.value} without a boundary`, source);
  if (raw.indexOf("--" + boundary) < 0) throw new InputError(`malformed MIME: boundary ${JSON.stringify(boundary.slice(0, 70))} never appears`, source);
}

/** The charset of an attachment's Content-Type, as mailparser parsed the part's headers. */
function charsetOf(a: Attachment): string | undefined {
  const ct = a.headers.get("content-type") as { params?: Record<string, string> } | string | undefined;
  return typeof ct === "object" && ct !== null ? ct.params?.charset : undefined;
}

function firstAddress(v: AddressObject | AddressObject[] | undefined): string | null {
  const a = (Array.isArray(v) ? v[0] : v)?.value?.[0];
  if (!a?.address) return null;
  return a.name ? `${a.name} <${a.address}>` : a.address;
}

async function parse(raw: Buffer, source: string | undefined): Promise<ParsedMail> {
  const parser = await simpleParser();
  try {
    return await parser(raw, PARSE_OPTIONS);
  } catch (err) {
    throw new InputError(`malformed MIME: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`, source);
  }
}

async function collect(mail: ParsedMail, depth: number, out: MimeAttachment[], source: string | undefined): Promise<void> {
  for (const a of mail.attachments) {
    const type = (a.contentType ?? "application/octet-stream").toLowerCase();
    const filename = a.filename ?? null;
    if (type === "message/rfc822") {
      // a forwarded message: its body and its own patch attachments, read like the mail itself
      if (depth >= MAX_FORWARD_DEPTH) continue;
      const inner = await parse(a.content, source);
      out.push({
        filename,
        mimeType: type,
        text: inner.text ?? "",
        // the Date header as written (mailparser's headers hold it as a Date object)
        mail: { from: firstAddress(inner.from), subject: inner.subject ?? null, date: inner.headerLines.find((h) => h.key === "date")?.line.replace(/^date:\s*/i, "").trim() ?? null },
      });
      await collect(inner, depth + 1, out, source);
      continue;
    }
    const disposition = (a.contentDisposition ?? "").toLowerCase();
    const asText = type.startsWith("text/") || type === "application/octet-stream" || PATCH_TYPES.has(type);
    if (asText && (isPatchAttachment(type, filename) || (type === "text/plain" && disposition === "attachment"))) {
      out.push({ filename, mimeType: type, text: decodeWithCharset(a.content, charsetOf(a), source) });
    }
  }
}

/**
 * Decodes a MIME message. `contentType` is the top-level Content-Type
 * header: its structure is checked, and its charset must be one we know,
 * before mailparser (which would read an unknown charset as UTF-8) runs.
 */
export async function decodeMime(raw: Buffer, contentType: string | null, source?: string): Promise<MimeBody> {
  checkStructure(raw, contentType, source);
  const top = parseParams(contentType);
  const declared = top.params.charset;
  if (!top.value.startsWith("multipart/") && declared !== undefined && declared.trim() !== "" && !knownCharset(declared)) {
    throw new InputError(`unknown charset ${JSON.stringify(declared.trim().slice(0, 60))}: cannot decode the message`, source);
  }
  const mail = await parse(raw, source);
  const attachments: MimeAttachment[] = [];
  await collect(mail, 0, attachments, source);
  const text = (mail.text ?? "").replace(/\r\n/g, "\n");
  const notes: string[] = [];
  // a part whose charset mailparser could not decode comes out as UTF-8 with replacement characters
  if (text.includes("\uFFFD")) notes.push("some bytes of the message text are not valid in its declared charset (shown as U+FFFD)");
  return { text, attachments, notes };
}

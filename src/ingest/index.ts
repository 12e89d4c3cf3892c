// Input edge: bytes (a patch file, format-patch output, an mbox, an .eml,
// git diff on stdin) -> ParsedInput. Pure apart from the bytes handed in.
import { InputError } from "../errors.js";
import { parseDiff } from "../diff/parse.js";
import type { ParsedInput, Patch } from "../types.js";

export interface IngestOptions {
  maxBytes?: number;
}

/** Any input (mbox, .eml with MIME, format-patch, plain diff). Async because MIME decoding is. */
export async function parseInput(data: Buffer | string, source: string, opts: IngestOptions = {}): Promise<ParsedInput> {
  return parsePatchText(data, source, opts);
}

/** A single plain-text patch (format-patch or diff), synchronously. */
export function parsePatchText(data: Buffer | string, source: string, opts: IngestOptions = {}): ParsedInput {
  const max = opts.maxBytes ?? 50 * 1024 * 1024;
  const size = typeof data === "string" ? Buffer.byteLength(data) : data.length;
  if (size > max) throw new InputError(`input is ${size} bytes, over the limit of ${max} bytes`, source);
  const text = (typeof data === "string" ? data : data.toString("utf8")).replace(/\r\n/g, "\n");
  if (text.trim() === "") throw new InputError("empty input", source);
  const idx = text.search(/^(diff --git |--- \S)/m);
  if (idx < 0) throw new InputError("not a patch: no diff found", source);
  const head = text.slice(0, idx);
  const subj = /^Subject: (.*)$/m.exec(head);
  let diffText = text.slice(idx);
  const sig = diffText.lastIndexOf("\n-- \n");
  if (sig >= 0) diffText = diffText.slice(0, sig + 1);
  const { files, notes } = parseDiff(diffText, source);
  const patch: Patch = {
    source,
    subject: subj ? subj[1]!.replace(/^\[[^\]]*\]\s*/, "") : "",
    rawSubject: subj ? subj[1]! : "",
    messageId: null,
    inReplyTo: null,
    references: [],
    author: null,
    date: null,
    message: head.split(/^---$/m)[0]!.replace(/^[\s\S]*?\n\n/, ""),
    series: null,
    files,
    notes,
  };
  return { patches: [patch], covers: [], problems: [] };
}

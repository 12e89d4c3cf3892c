// Input edge: bytes (a patch file, format-patch output, an mbox, an .eml,
// git diff on stdin) -> ParsedInput. Pure apart from the bytes handed in.
//
// An mbox is split into messages; each message is read by ./message.ts
// (headers, charset, MIME when needed, b4's body layout, the diff); then
// replies without a diff are dropped, cover letters are set apart and
// attached to their series, and a message that cannot be read becomes a
// problem entry while the others are still returned.
import { TextDecoder } from "node:util";
import { gunzipSync } from "node:zlib";
import { InputError, errorMessage } from "../errors.js";
import type { InputProblem, ParsedInput, Patch } from "../types.js";
import { splitMbox } from "./mbox.js";
import { readMessage, readMessageSync, type MessageResult } from "./message.js";

export { parseMail, type MailMessage } from "./mail.js";
export { parseSubject, type SubjectInfo } from "./subject.js";

export interface IngestOptions {
  /** Input size limit in bytes (default 50 MB). */
  maxBytes?: number;
}

export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

interface Item {
  source: string;
  result: MessageResult;
}

/** Size limit, empty input; returns the bytes. */
export function checkInput(data: Buffer | string, source: string, opts: IngestOptions): Buffer {
  const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const size = typeof data === "string" ? Buffer.byteLength(data) : data.length;
  if (size > max) throw new InputError(`input is ${size} bytes, over the limit of ${max} bytes`, source);
  let buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzip(buf, max, source);
  buf = withoutBom(buf);
  let i = 0;
  while (i < buf.length && (buf[i] === 32 || buf[i] === 9 || buf[i] === 10 || buf[i] === 13 || buf[i] === 12)) i++;
  if (i === buf.length) throw new InputError("empty input", source);
  return buf;
}

/** lore's t.mbox.gz as downloaded: decompressed, within the same size limit. */
function gunzip(buf: Buffer, max: number, source: string): Buffer {
  try {
    return gunzipSync(buf, { maxOutputLength: max });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ERR_BUFFER_TOO_LARGE" || (err instanceof RangeError && /larger than|maxOutputLength/i.test(err.message)))
      throw new InputError(`gzip input decompresses to more than the limit of ${max} bytes`, source);
    throw new InputError(`gzip input does not decompress: ${oneLine(errorMessage(err))}`, source);
  }
}

/** A UTF-8 byte order mark goes; UTF-16 text (a patch saved by a Windows editor) becomes UTF-8. */
function withoutBom(buf: Buffer): Buffer {
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return buf.subarray(3);
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return Buffer.from(new TextDecoder("utf-16le").decode(buf.subarray(2)), "utf8");
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) return Buffer.from(new TextDecoder("utf-16be").decode(buf.subarray(2)), "utf8");
  return buf;
}

function segmentsOf(buf: Buffer, source: string): { buf: Buffer; source: string; mbox: boolean; lineBase: number }[] {
  const segs = splitMbox(buf);
  const multi = segs.length > 1;
  let line = 0;
  let at = 0;
  return segs.map((s, k) => {
    for (let i = buf.indexOf(10, at); i >= 0 && i < s.start; i = buf.indexOf(10, i + 1)) line++;
    at = s.start;
    return { buf: buf.subarray(s.start, s.end), source: multi ? `${source}#${k + 1}` : source, mbox: s.separated, lineBase: line };
  });
}

function problemFor(item: Item, multi: boolean, reason: string): InputProblem {
  const id = item.result.patch.messageId;
  const where = multi && id ? `${item.source} (<${id}>)` : item.source;
  return { source: item.source, message: `${where}: ${oneLine(reason)}` };
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, " ").slice(0, 500);
}

/**
 * Sorts messages as they come, one at a time (so a large mbox can be
 * reviewed without holding every parsed patch): add() hands back each patch
 * to review; finish() settles what only the whole input tells (which
 * diff-less messages are cover letters), attaches covers, and throws when
 * no message held a patch.
 */
export class Assembler {
  private readonly covers: Patch[] = [];
  private readonly problems: InputProblem[] = [];
  private readonly undecided: Item[] = [];
  private readonly roots = new Set<string>();
  private count = 0;
  private first: Item | undefined;
  private patchCount = 0;

  constructor(
    private readonly source: string,
    private readonly multi: boolean,
  ) {}

  /** The patch to review, or null when the message is a cover, a reply, or unreadable. */
  add(item: Item): Patch | null {
    this.count++;
    this.first ??= item;
    const r = item.result;
    if (r.problem) {
      this.problems.push(problemFor(item, this.multi, r.problem));
      return null;
    }
    if (r.subject.series?.index === 0) {
      this.covers.push(r.patch);
      return null;
    }
    if (!r.hasDiff) {
      if (!r.subject.reply) this.undecided.push(item);
      return null; // a reply without a diff is discussion, not a patch
    }
    const p = r.patch;
    if (p.series) {
      // a message without a diff that patches of a series answer is that series' cover letter
      if (p.inReplyTo) this.roots.add(p.inReplyTo);
      if (p.references[0]) this.roots.add(p.references[0]);
    }
    this.patchCount++;
    return p;
  }

  /** Covers and problems of the whole input; attaches covers to `patches` (the ones add() returned, or their reviewed copies). */
  finish(patches: Patch[]): { covers: Patch[]; problems: InputProblem[] } {
    for (const item of this.undecided) {
      const id = item.result.patch.messageId;
      if (id && this.roots.has(id)) this.covers.push(item.result.patch);
      else this.problems.push(problemFor(item, this.multi, "not a patch: no diff found"));
    }
    this.undecided.length = 0;
    attachCovers(patches, this.covers);
    if (this.patchCount === 0) {
      if (!this.multi) {
        const only = this.first;
        if (only?.result.problem) throw new InputError(oneLine(only.result.problem), this.source);
        if (only && this.covers.length > 0) throw new InputError("not a patch: a cover letter without a diff", this.source);
        throw new InputError("not a patch: no diff found", this.source);
      }
      const first = this.problems[0];
      if (first) throw new InputError(`no patch in ${this.count} messages (${this.problems.length} unreadable; first: ${first.message})`, this.source);
      throw new InputError(`not a patch: no diff found in ${this.count} messages`, this.source);
    }
    return { covers: this.covers, problems: this.problems };
  }
}

/** Replies, covers, problems, and each patch's cover letter. */
export function assemble(items: Item[], source: string): ParsedInput {
  const a = new Assembler(source, items.length > 1);
  const patches: Patch[] = [];
  for (const item of items) {
    const p = a.add(item);
    if (p) patches.push(p);
  }
  return { patches, ...a.finish(patches) };
}

function attachCovers(patches: Patch[], covers: Patch[]): void {
  if (covers.length === 0) return;
  const byId = new Map<string, Patch>();
  for (const c of covers) if (c.messageId) byId.set(c.messageId, c);
  for (const p of patches) {
    let cover: Patch | undefined;
    for (const id of [p.inReplyTo, ...p.references]) {
      if (id && byId.has(id)) {
        cover = byId.get(id);
        break;
      }
    }
    if (!cover && p.series) {
      // no threading headers: the only cover of the same version and size
      const same = covers.filter((c) => c.series && c.series.version === p.series!.version && c.series.total === p.series!.total);
      if (same.length === 1) cover = same[0];
    }
    if (cover) {
      p.cover = { subject: cover.subject, message: cover.message };
      // format-patch --cover-letter --base writes the base tree information into the cover only
      if (!p.baseCommit && cover.baseCommit) p.baseCommit = cover.baseCommit;
    }
  }
}

function guard<T>(source: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`could not read the input: ${oneLine(errorMessage(err))}`, source);
  }
}

/**
 * The streaming form of parseInput: reads the messages of an input one at a
 * time and hands each patch to `onPatch` as soon as it is read. Returns the
 * covers and problems; throws InputError as parseInput does.
 */
export async function readInput(
  data: Buffer | string,
  source: string,
  opts: IngestOptions,
  onPatch: (patch: Patch) => Patch,
): Promise<{ patches: Patch[]; covers: Patch[]; problems: InputProblem[] }> {
  try {
    const buf = checkInput(data, source, opts);
    const segs = guard(source, () => segmentsOf(buf, source));
    const a = new Assembler(source, segs.length > 1);
    const kept: Patch[] = [];
    for (const s of segs) {
      const p = a.add({ source: s.source, result: await readMessage(s.buf, s.source, s.mbox, s.lineBase) });
      if (p) kept.push(onPatch(p));
    }
    return { patches: kept, ...a.finish(kept) };
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`could not read the input: ${oneLine(errorMessage(err))}`, source);
  }
}

/** Any input (mbox, .eml with MIME, format-patch, plain diff). Async because MIME decoding is. */
export async function parseInput(data: Buffer | string, source: string, opts: IngestOptions = {}): Promise<ParsedInput> {
  try {
    const buf = checkInput(data, source, opts);
    const segs = guard(source, () => segmentsOf(buf, source));
    const items: Item[] = [];
    for (const s of segs) items.push({ source: s.source, result: await readMessage(s.buf, s.source, s.mbox, s.lineBase) });
    return guard(source, () => assemble(items, source));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`could not read the input: ${oneLine(errorMessage(err))}`, source);
  }
}

/**
 * A plain-text patch (format-patch, diff, an mbox of them), synchronously.
 * A message that needs MIME decoding (base64, quoted-printable, multipart)
 * is a problem here; use parseInput for mail.
 */
export function parsePatchText(data: Buffer | string, source: string, opts: IngestOptions = {}): ParsedInput {
  return guard(source, () => {
    const buf = checkInput(data, source, opts);
    const items = segmentsOf(buf, source).map((s) => ({ source: s.source, result: readMessageSync(s.buf, s.source, s.mbox, s.lineBase) }));
    return assemble(items, source);
  });
}

// MIME messages (multipart, base64, quoted-printable) through postal-mime,
// imported only when a message needs it so that reviewing a plain
// format-patch file does not load it. postal-mime hands back attachments as
// bytes without their charset, so we walk its part tree and decode every text
// part and patch attachment ourselves, with the part's own charset; an
// unknown charset is an InputError instead of a silent Windows-1252 guess.
import { InputError } from "../errors.js";
import { decodeUndeclared, decodeWithCharset } from "./charset.js";
import { unflow } from "./body.js";
import { parseParams } from "./headers.js";

export interface MimeAttachment {
  filename: string | null;
  mimeType: string;
  text: string;
}

export interface MimeBody {
  /** The text/plain body (flowed text already un-flowed). */
  text: string;
  /** The same text before un-flowing, when the part was format=flowed. */
  unflowedFrom: string | null;
  /** Attachments that carry a patch, decoded. */
  attachments: MimeAttachment[];
}

// The fields of postal-mime's part tree we read (postal-mime 4.0.0, pinned).
interface PartNode {
  contentType?: { parsed?: { value?: string; params?: Record<string, string> }; multipart?: string | false };
  contentDisposition?: { parsed?: { value?: string; params?: Record<string, string> } };
  content?: ArrayBuffer | null;
  childNodes?: PartNode[];
}

type PostalMimeCtor = new (opts?: Record<string, unknown>) => { parse(buf: Uint8Array): Promise<{ text?: string; attachments: { filename: string | null; mimeType: string; content: ArrayBuffer | Uint8Array | string }[] }> };

let loading: Promise<PostalMimeCtor> | null = null;
function postalMime(): Promise<PostalMimeCtor> {
  loading ??= import("postal-mime").then((m) => m.default as unknown as PostalMimeCtor);
  return loading;
}

const PATCH_TYPES = new Set(["text/x-patch", "text/x-diff", "text/x-diff-file", "application/x-patch", "application/x-diff", "text/diff", "text/patch"]);

function isPatchAttachment(type: string, filename: string | null): boolean {
  if (PATCH_TYPES.has(type)) return true;
  return filename !== null && /\.(?:patch|diff)$/i.test(filename);
}

/** Checks what postal-mime forgives: a multipart without a boundary, or whose boundary never appears. */
function checkStructure(raw: Buffer, contentType: string | null, source?: string): void {
  const ct = parseParams(contentType);
  if (!ct.value.startsWith("multipart/")) return;
  const boundary = ct.params.boundary;
  if (!boundary) throw new InputError(`malformed MIME: ${ct.value} without a boundary`, source);
  if (raw.indexOf("--" + boundary) < 0) throw new InputError(`malformed MIME: boundary ${JSON.stringify(boundary.slice(0, 70))} never appears`, source);
}

function bytesOf(content: ArrayBuffer | null | undefined): Uint8Array {
  return content ? new Uint8Array(content) : new Uint8Array(0);
}

/**
 * Decodes a MIME message. `contentType` is the top-level Content-Type
 * header, used for the structure check before postal-mime forgives it.
 */
export async function decodeMime(raw: Buffer, contentType: string | null, source?: string): Promise<MimeBody> {
  checkStructure(raw, contentType, source);
  const PostalMime = await postalMime();
  const parser = new PostalMime({ attachmentEncoding: "arraybuffer", maxNestingDepth: 64 });
  let email;
  try {
    email = await parser.parse(raw);
  } catch (err) {
    throw new InputError(`malformed MIME: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`, source);
  }
  const root = (parser as unknown as { root?: PartNode }).root;
  if (!root || !root.contentType) {
    // postal-mime changed its internals: take what its public API gives
    return {
      text: email.text ?? "",
      unflowedFrom: null,
      attachments: email.attachments
        .filter((a) => isPatchAttachment(a.mimeType, a.filename))
        .map((a) => ({
          filename: a.filename,
          mimeType: a.mimeType,
          text: typeof a.content === "string" ? a.content : decodeUndeclared(new Uint8Array(a.content as ArrayBuffer)),
        })),
    };
  }

  const texts: string[] = [];
  const raws: string[] = [];
  let flowed = false;
  const patches: MimeAttachment[] = [];
  const walk = (node: PartNode, inAlternative: boolean, depth: number): void => {
    if (depth > 64) throw new InputError("malformed MIME: parts nested too deep", source);
    const type = (node.contentType?.parsed?.value ?? "text/plain").toLowerCase();
    const params = node.contentType?.parsed?.params ?? {};
    const children = node.childNodes ?? [];
    if (node.contentType?.multipart) {
      if (node.contentType.multipart === "alternative") {
        // one representation: the text/plain one (kernel lists are plain text)
        const plain = children.find((c) => (c.contentType?.parsed?.value ?? "text/plain").toLowerCase() === "text/plain");
        if (plain) return walk(plain, true, depth + 1);
        for (const c of children) if (c.contentType?.multipart) walk(c, true, depth + 1);
        return;
      }
      for (const c of children) walk(c, inAlternative, depth + 1);
      return;
    }
    const disposition = (node.contentDisposition?.parsed?.value ?? "").toLowerCase();
    const filename = node.contentDisposition?.parsed?.params?.filename ?? params.name ?? null;
    if (type === "text/plain" && disposition !== "attachment") {
      const text = decodeWithCharset(bytesOf(node.content), params.charset, source);
      raws.push(text);
      if (/^flowed$/i.test(params.format ?? "")) {
        flowed = true;
        texts.push(unflow(text.replace(/\r\n/g, "\n"), /^yes$/i.test(params.delsp ?? "")));
      } else texts.push(text);
      return;
    }
    if (type === "message/rfc822") {
      // a forwarded message: its patch, if the mail itself has none (read like an attached .patch file)
      patches.push({ filename, mimeType: type, text: decodeUndeclared(bytesOf(node.content)) });
      return;
    }
    const asText = type.startsWith("text/") || type === "application/octet-stream" || PATCH_TYPES.has(type);
    if (asText && (isPatchAttachment(type, filename) || (type === "text/plain" && disposition === "attachment"))) {
      patches.push({ filename, mimeType: type, text: decodeWithCharset(bytesOf(node.content), params.charset, source) });
    }
  };
  walk(root, false, 0);
  if (texts.length === 0 && email.text) texts.push(email.text);
  const text = texts.join("\n");
  return { text, unflowedFrom: flowed ? raws.join("\n") : null, attachments: patches };
}

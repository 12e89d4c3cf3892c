// One raw RFC 822 message, as the mail bot receives it from IMAP: the
// addressing headers a reply needs, plus the patch it carries (the same
// reading parseInput gives each message of an mbox). Never throws: a message
// that cannot be read comes back with `problem` set.
import { errorMessage } from "../errors.js";
import type { Patch } from "../types.js";
import { formatMailbox, messageIds, parseMailbox, parseMailboxList, type Mailbox } from "./headers.js";
import { readMessage } from "./message.js";

export interface MailMessage {
  source: string;
  /** Without angle brackets. */
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  /** "Name <addr>" (just "addr" when the mail gives no name). */
  from: string | null;
  fromAddress: string | null;
  /** Reply-To, To and Cc mailboxes as "Name <addr>". */
  replyTo: string[];
  to: string[];
  cc: string[];
  /** The same mailboxes as parsed pairs: a reply is addressed from these, never by re-parsing the strings above. */
  mailboxes: { from: Mailbox | null; replyTo: Mailbox[]; to: Mailbox[]; cc: Mailbox[] };
  /** Every Authentication-Results field, topmost (the receiving server's) first. */
  authResults: string[];
  /** Decoded Subject as it arrived. */
  subject: string;
  date: string | null;
  autoSubmitted: string | null;
  listId: string | null;
  /** Lower-cased field name -> first value, RFC 2047-decoded. */
  headers: Record<string, string>;
  /** The decoded text/plain body. */
  body: string;
  /** null when the message carries no diff (or could not be read). */
  patch: Patch | null;
  /** A 0/n cover letter. */
  isCover: boolean;
  /** Why the message could not be read, if so; also "not a patch: no diff found" for a non-reply without a diff. */
  problem: string | null;
}

const MAX_MAIL_BYTES = 50 * 1024 * 1024;

export async function parseMail(raw: Buffer, source: string): Promise<MailMessage> {
  const empty: MailMessage = {
    source,
    messageId: null,
    inReplyTo: null,
    references: [],
    from: null,
    fromAddress: null,
    replyTo: [],
    to: [],
    cc: [],
    mailboxes: { from: null, replyTo: [], to: [], cc: [] },
    authResults: [],
    subject: "",
    date: null,
    autoSubmitted: null,
    listId: null,
    headers: {},
    body: "",
    patch: null,
    isCover: false,
    problem: null,
  };
  try {
    if (raw.length > MAX_MAIL_BYTES) return { ...empty, problem: `message is ${raw.length} bytes, over the limit of ${MAX_MAIL_BYTES} bytes` };
    let i = 0;
    while (i < raw.length && (raw[i] === 32 || raw[i] === 9 || raw[i] === 10 || raw[i] === 13)) i++;
    if (i === raw.length) return { ...empty, problem: "empty input" };
    // an mbox "From " line in front of the headers (some IMAP exports keep it)
    let buf = raw;
    if (raw.toString("latin1", 0, 5) === "From ") {
      const nl = raw.indexOf(10);
      buf = nl < 0 ? Buffer.alloc(0) : raw.subarray(nl + 1);
    }
    const r = await readMessage(buf, source, false);
    const h = r.headers;
    const from = parseMailbox(h.raw("from") ?? "");
    const listId = h.get("list-id");
    const isCover = r.subject.series?.index === 0;
    let problem = r.problem;
    if (!problem && !r.hasDiff && !r.subject.reply && !isCover) problem = "not a patch: no diff found";
    const replyTo = parseMailboxList(h.raw("reply-to"));
    const to = parseMailboxList(h.all("to").join(", "));
    const cc = parseMailboxList(h.all("cc").join(", "));
    return {
      source,
      messageId: r.patch.messageId,
      inReplyTo: r.patch.inReplyTo,
      references: r.patch.references,
      from: from ? formatMailbox(from) : null,
      fromAddress: from ? from.address : null,
      replyTo: replyTo.map(formatMailbox),
      to: to.map(formatMailbox),
      cc: cc.map(formatMailbox),
      mailboxes: { from, replyTo, to, cc },
      authResults: h.all("authentication-results"),
      subject: r.subject.full,
      date: h.get("date"),
      autoSubmitted: h.get("auto-submitted")?.trim() ?? null,
      listId: listId ? (messageIds(listId)[0] ?? listId.trim()) : null,
      headers: h.toRecord(),
      body: r.body,
      patch: r.hasDiff && !r.problem ? r.patch : null,
      isCover,
      problem,
    };
  } catch (err) {
    return { ...empty, problem: `could not read the message: ${errorMessage(err).split("\n")[0]}` };
  }
}

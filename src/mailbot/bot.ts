// The mail bot's core loop for one message: parse, decide whether it deserves
// a reply, review, render, and put the reply in the transactional outbox;
// then deliver what is due. Every decision is journalled before the next
// step, so a crash loses no review and sends no reply twice (except one
// resend, with the same Message-ID, when it fell between the server's
// acceptance and our record of it).
import { createHash } from "node:crypto";
import type { ReviewConfig } from "../config.js";
import { errorMessage } from "../errors.js";
import { parseMail, type MailMessage } from "../ingest/mail.js";
import type { KnowledgeBase } from "../knowledge/base.js";
import { readyToReview, review, seriesKey, type Sources } from "../pipeline.js";
import { baseCommitOf } from "../ingest/message.js";
import type { TreeSet } from "./trees.js";
import { renderEmailBody } from "../render/email.js";
import { reviewVisible } from "../render/escape.js";
import { SEVERITY_RANK, type Finding, type Patch, type PatchReview, type Rule, type Severity } from "../types.js";
import { DEFAULT_MAX_RECIPIENTS, addressReply, composeReply, domainOf, makeMessageId, parseAddress, type Address, type OriginalMail } from "./compose.js";
import { DeadlineError } from "../workers/pool.js";
import { metrics } from "../ops/metrics.js";
import { RateLimiter, type Transport } from "./deliver.js";
import { daysTooOld, policyFor, type ListPolicy, type PolicyTable } from "./policy.js";
import type { HeldPart, OutboxItem, SeenRecord, StateStore } from "./state.js";
import { parseSubject } from "./subject.js";

/** Bots we never answer (besides ourselves and the policy's ignore-senders). */
export const KNOWN_BOTS: readonly RegExp[] = [
  /^lkp@intel\.com$/i,
  /^patchwork-bot(\+[^@]*)?@kernel\.org$/i,
  /^sashiko-bot@kernel\.org$/i,
  /^bot\+[^@]*@kernel\.org$/i,
  /^syzbot(\+[^@]*)?@syzkaller\.appspotmail\.com$/i,
];

const IGNORE_CMD = /^[ \t]*reclaim-review:[ \t]*ignore[ \t]+([0-9a-f]{8,64})\b/gim;

export interface Origin {
  /** Where the bytes came from, for logs: "INBOX#42", "lkml.mbox#3". */
  source: string;
  /** IMAP mailbox name or backfill label, for policy matching. */
  mailbox: string | null;
}

export type Action = "queued" | "held" | "skipped" | "duplicate" | "suppression";

export interface Decision {
  key: string;
  action: Action;
  reason: string;
  /** The reply's Message-ID when one was queued. */
  replyId?: string;
}

/**
 * What makes an ignore reply believable besides its From matching the
 * patch's author (a From header is easy to forge): a DKIM pass for the
 * author's domain in the Authentication-Results field our receiving server
 * (authserv-id) put on top, or the sender on an allow-list.
 */
export interface IgnoreAuth {
  /** The authserv-id of the server that receives the bot's mail (e.g. "mx.example.org"). */
  authservId: string | null;
  /** Senders whose ignore replies are taken without DKIM: addresses or "@domain". */
  allow: string[];
}

/** Runs one patch's review (in a worker thread, under a deadline, when the bot runs as a service). */
export type MailReviewer = (patch: Patch, config: ReviewConfig) => Promise<PatchReview>;

/** Why an ignore reply is not authenticated, or null when it is. */
export function ignoreUnauthenticated(mail: Pick<MailMessage, "fromAddress" | "authResults">, auth: IgnoreAuth): string | null {
  const sender = (mail.fromAddress ?? "").toLowerCase();
  const domain = sender.slice(sender.lastIndexOf("@") + 1);
  if (auth.allow.some((a) => (a.startsWith("@") ? sender.endsWith(a.toLowerCase()) : a.toLowerCase() === sender))) return null;
  if (!auth.authservId) return "no ignore-auth is configured (a DKIM authserv-id or an allow-list)";
  const top = mail.authResults[0];
  if (!top) return "the message has no Authentication-Results from the receiving server";
  const parts = top.replace(/\([^)]*\)/g, " ").split(";").map((x) => x.trim());
  const id = (parts[0] ?? "").split(/\s+/)[0]!.toLowerCase();
  if (id !== auth.authservId.toLowerCase()) return `the topmost Authentication-Results is from ${id || "(none)"}, not ${auth.authservId}`;
  for (const res of parts.slice(1)) {
    if (!/^dkim\s*=\s*pass\b/i.test(res)) continue;
    const d = /\bheader\.d\s*=\s*"?([^\s";]+)/i.exec(res)?.[1]?.toLowerCase();
    const i = /\bheader\.i\s*=\s*"?([^\s";]+)/i.exec(res)?.[1]?.toLowerCase();
    if (d === domain || (i !== undefined && (i === sender || i.endsWith(`@${domain}`)))) return null;
  }
  return `no DKIM pass for ${domain} from ${auth.authservId}`;
}

export interface BotOptions {
  /** "Name <addr>" we send as. */
  from: string;
  state: StateStore;
  transport: Transport;
  policies: PolicyTable;
  review: ReviewConfig;
  kb: KnowledgeBase;
  /** The rules to run (default: all of them). */
  rules?: readonly Rule[];
  /** Replies per minute (0: no limit). */
  rateLimit: number;
  maxMessageBytes: number;
  botName?: string;
  signatureUrl?: string;
  log: (line: string, fields?: Record<string, unknown>) => void;
  now?: () => number;
  /** Source trees for context (a list's `tree`); without them every review is diff-only. */
  trees?: TreeSet;
  /** Recipients (To + Cc) of a reply at most (default 20). */
  maxRecipients?: number;
  /** How an ignore reply is authenticated (default: not at all, so none is accepted). */
  ignoreAuth?: IgnoreAuth;
  /** Where reviews run (default: in-process). */
  reviewer?: MailReviewer;
}

/** Series remembered for stacking (patch n reviewed on top of 1..n-1 seen earlier). */
const MAX_SERIES_KEPT = 500;

/** Message-IDs compared with angle brackets, lower-cased domain untouched. */
export function normaliseId(id: string | null | undefined): string | null {
  if (!id) return null;
  const t = id.trim();
  if (t === "") return null;
  return t.startsWith("<") ? t : `<${t}>`;
}

/** The Message-ID header of raw bytes, read from the header block only (for messages we will not parse). */
export function headerMessageId(raw: Buffer): string | null {
  const head = raw.subarray(0, Math.min(raw.length, 256 * 1024)).toString("latin1");
  const end = head.search(/\r?\n\r?\n/);
  const block = (end >= 0 ? head.slice(0, end) : head).replace(/\r?\n[ \t]+/g, " ");
  const m = /^message-id:\s*(<[^>\s]+>)/im.exec(block);
  return m ? m[1]! : null;
}

function rawKey(raw: Buffer): string {
  return "sha256:" + createHash("sha256").update(raw).digest("hex").slice(0, 32);
}

function summaryKey(summary: string): string {
  return summary.toLowerCase().replace(/\s+/g, " ").trim();
}

export function lineageOf(author: string | null, summary: string): string {
  return `${(author ?? "").toLowerCase()}\n${summaryKey(summary)}`;
}

function baseOf(body: string): { baseCommit?: string } {
  const b = baseCommitOf(body);
  return b ? { baseCommit: b } : {};
}

function visibleFindings(findings: readonly Finding[], min: Severity): Finding[] {
  return findings.filter((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[min]);
}

export class MailBot {
  readonly self: Address;
  /** Replies delivered by this process. */
  sentCount = 0;
  private readonly limiter: RateLimiter;
  private readonly now: () => number;

  constructor(private readonly o: BotOptions) {
    const self = parseAddress(o.from);
    if (!self) throw new Error(`--from "${o.from}" is not an address`);
    this.self = self;
    this.now = o.now ?? Date.now;
    this.limiter = new RateLimiter(o.transport.kind === "smtp" ? o.rateLimit : 0, this.now);
  }

  get maxRecipients(): number {
    return this.o.maxRecipients ?? DEFAULT_MAX_RECIPIENTS;
  }

  get maxMessageBytes(): number {
    return this.o.maxMessageBytes;
  }

  /** A message judged on its size alone (never downloaded). */
  tooLarge(messageId: string | null, fallbackKey: string, size: number, origin: Origin): Decision {
    const key = normaliseId(messageId) ?? fallbackKey;
    if (this.state.seen(key)) return { key, action: "duplicate", reason: "already seen" };
    const d = this.done(key, `message is ${size} bytes, over the limit of ${this.o.maxMessageBytes}`);
    this.o.log(`${origin.source} ${key}: ${d.action}: ${d.reason}`, { mail: key, source: origin.source, action: d.action });
    return d;
  }

  private get state(): StateStore {
    return this.o.state;
  }

  private done(key: string, reason: string, extra: Partial<SeenRecord> = {}, action: Action = "skipped"): Decision {
    this.state.append({ t: "seen", id: key, rec: { state: "done", reason: `${action}: ${reason}`, at: this.now(), ...extra } });
    return { key, action, reason };
  }

  private lock: Promise<unknown> = Promise.resolve();

  /**
   * Runs fn alone: several mailbox watchers share one bot, and a message
   * cross-posted to two lists, or one outbox item, must not be handled by
   * two of them at once.
   */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Takes one raw message through to a durable decision. Never throws for bad input. */
  ingest(raw: Buffer, origin: Origin): Promise<Decision> {
    return this.exclusive(() => this.ingestNow(raw, origin));
  }

  private async ingestNow(raw: Buffer, origin: Origin): Promise<Decision> {
    await readyToReview();
    const hdrId = headerMessageId(raw);
    const early = hdrId ?? rawKey(raw);
    if (this.state.seen(early)) return { key: early, action: "duplicate", reason: "already seen" };
    if (raw.length > this.o.maxMessageBytes) {
      return this.tooLarge(hdrId, early, raw.length, origin);
    }
    let mail: MailMessage;
    try {
      mail = await parseMail(raw, origin.source);
    } catch (err) {
      const d = this.done(early, `unreadable message: ${errorMessage(err)}`);
      metrics().failures.inc({ bot: "mail", kind: "input" });
      this.o.log(`${origin.source} ${early}: ${d.action}: ${d.reason}`, { mail: early, source: origin.source, action: d.action });
      return d;
    }
    const key = normaliseId(mail.messageId) ?? early;
    if (key !== early && this.state.seen(key)) return { key, action: "duplicate", reason: "already seen" };
    let d: Decision;
    try {
      d = await this.decide(mail, key, origin);
    } catch (err) {
      // a bug in review or rendering must not stop the bot nor lose the message silently
      metrics().failures.inc({ bot: "mail", kind: "review" });
      d = this.done(key, `internal error: ${errorMessage(err)}`);
    }
    this.o.log(`${origin.source} ${key}: ${d.action}: ${d.reason}`, { mail: key, source: origin.source, action: d.action, ...(d.replyId ? { reply: d.replyId } : {}) });
    return d;
  }

  private async decide(mail: MailMessage, key: string, origin: Origin): Promise<Decision> {
    const policy = policyFor(this.o.policies, mail.listId, origin.mailbox);
    const sender = (mail.fromAddress ?? "").toLowerCase();
    const subj = parseSubject(mail.subject);

    if (sender && sender === this.self.address.toLowerCase()) return this.done(key, "our own mail");
    if ((mail.headers["x-mailer"] ?? "").startsWith("reclaim-review")) return this.done(key, "mail from a reclaim-review bot");
    if (sender && KNOWN_BOTS.some((re) => re.test(sender))) return this.done(key, `known bot ${sender}`);
    if (
      sender &&
      policy.ignoreSenders.some((s) => (s.startsWith("@") ? sender.endsWith(s.toLowerCase()) : s.toLowerCase() === sender))
    )
      return this.done(key, `sender ${sender} is on the list's ignore-senders`);
    if ((mail.headers["return-path"] ?? "").replace(/\s/g, "") === "<>") return this.done(key, "empty envelope sender (a bounce or notification)");
    const auto = (mail.autoSubmitted ?? "").trim().toLowerCase();
    if (auto && !auto.startsWith("no")) return this.done(key, `Auto-Submitted: ${mail.autoSubmitted}`);

    const cmds = this.ignoreCommands(mail.body);
    if (cmds.length > 0 && !mail.patch) return this.applyIgnore(mail, key, cmds);

    if (mail.isCover) {
      const summary = subj.summary;
      return this.done(key, `cover letter of ${subj.total ?? "?"} patches (v${subj.version})`, {
        cover: { summary, mail: this.original(mail, key), listId: mail.listId, mailbox: origin.mailbox, ...baseOf(mail.body) },
        lineages: [lineageOf(mail.fromAddress, summary)],
        author: mail.fromAddress,
      });
    }
    if (!mail.patch) {
      if (subj.reply) return this.done(key, "a reply without a new diff");
      if (subj.pull || /\bare available in the Git repository at\b/i.test(mail.body)) return this.done(key, "a pull request without a diff");
      if (mail.problem) return this.done(key, `${mail.problem}`);
      return this.done(key, "not a patch (no diff)");
    }
    if (daysTooOld(policy, mail.date, this.now()) !== null) {
      // a backfill or a catch-up: recorded (an ignore request can still find it), never answered
      return this.done(key, `older than max-age (${policy.maxAgeDays} days): recorded, not answered`, {
        lineages: [lineageOf(mail.fromAddress, subj.summary)],
        author: mail.fromAddress,
      });
    }
    return this.reviewAndQueue(mail, mail.patch, key, policy);
  }

  private ignoreCommands(body: string): string[] {
    const out: string[] = [];
    for (const m of body.matchAll(IGNORE_CMD)) out.push(m[1]!.toLowerCase());
    return out;
  }

  /** "reclaim-review: ignore <fp>" from the patch's author: suppress for later versions of the series. */
  private applyIgnore(mail: MailMessage, key: string, fps: string[]): Decision {
    const chain = [mail.inReplyTo, ...[...mail.references].reverse()].map(normaliseId).filter((x): x is string => x !== null);
    let target: SeenRecord | undefined;
    for (const id of chain) {
      const sent = this.state.data.sent[id] ?? this.state.data.outbox[id];
      if (sent) {
        target = sent.answers.map((a) => this.state.seen(a)).find((r) => r?.lineages && r.lineages.length > 0);
        if (target) break;
      }
      const seen = this.state.seen(id);
      if (seen?.lineages && seen.lineages.length > 0) {
        target = seen;
        break;
      }
    }
    if (!target) return this.done(key, "an ignore request for a patch we do not know");
    const author = (target.author ?? "").toLowerCase();
    const sender = (mail.fromAddress ?? "").toLowerCase();
    if (!sender || sender !== author) return this.done(key, `ignore request from ${sender || "an unknown sender"}, not the patch author ${author || "(unknown)"}`);
    const unauth = ignoreUnauthenticated(mail, this.o.ignoreAuth ?? { authservId: null, allow: [] });
    if (unauth !== null) return this.done(key, `ignore request from ${sender} not authenticated: ${unauth}`);
    for (const lineage of target.lineages!) this.state.append({ t: "suppress", lineage, fingerprints: fps });
    return this.done(key, `${fps.join(", ")} ignored for later versions`, {}, "suppression");
  }

  private original(mail: MailMessage, key: string): OriginalMail {
    // the parsed pairs, as parsed: never "Name <addr>" strings read again
    const m = mail.mailboxes;
    return {
      messageId: key,
      references: mail.references.map(normaliseId).filter((x): x is string => x !== null),
      subject: mail.subject,
      from: m.from,
      replyTo: m.replyTo,
      to: m.to,
      cc: m.cc,
    };
  }

  /** The review of one patch, under the deadline when it runs in a worker: stopped once, it is tried once more. */
  private async runReview(patch: Patch, config: ReviewConfig, key: string): Promise<PatchReview | null> {
    const reviewer = this.o.reviewer ?? (async (p: Patch, c: ReviewConfig) => review({ patches: [p], covers: [], problems: [] }, null, c, this.o.kb, this.o.rules).reviews[0]!);
    for (let attempt = 1; ; attempt++) {
      const t0 = process.hrtime.bigint();
      try {
        const r = await reviewer(patch, config);
        metrics().reviewSeconds.observe({ bot: "mail" }, Number(process.hrtime.bigint() - t0) / 1e9);
        metrics().reviews.inc({ bot: "mail", outcome: "ok" });
        return r;
      } catch (err) {
        if (!(err instanceof DeadlineError)) throw err;
        metrics().failures.inc({ bot: "mail", kind: "deadline" });
        this.o.log(`${patch.source} ${key}: ${err.message} (attempt ${attempt} of 2)`, { mail: key, attempt });
        if (attempt >= 2) {
          metrics().reviews.inc({ bot: "mail", outcome: "deadline" });
          return null;
        }
      }
    }
  }

  private threadRoot(mail: MailMessage): string | null {
    return normaliseId(mail.references[0]) ?? normaliseId(mail.inReplyTo);
  }

  /** Earlier patches of the same series this process saw, oldest first out. */
  private readonly seriesSeen = new Map<string, Patch[]>();

  /**
   * Sources for a patch of a list with a tree: prepared with the earlier
   * patches of its series, so patch n sees what 1..n-1 changed.
   */
  private async sourcesFor(patch: Patch, policy: ListPolicy): Promise<Sources | null> {
    const sources = this.o.trees?.sourcesFor(policy.tree) ?? null;
    if (!sources) return null;
    const skey = seriesKey(patch);
    let group = [patch];
    if (skey !== null) {
      const earlier = (this.seriesSeen.get(skey) ?? []).filter((p) => p.series?.index !== patch.series?.index);
      group = [...earlier, patch];
      this.seriesSeen.delete(skey);
      this.seriesSeen.set(skey, group);
      if (this.seriesSeen.size > MAX_SERIES_KEPT) this.seriesSeen.delete(this.seriesSeen.keys().next().value!);
    }
    await sources.prepare?.(group);
    return sources;
  }

  private async reviewAndQueue(mail: MailMessage, patch: Patch, key: string, policy: ListPolicy): Promise<Decision> {
    const subj = parseSubject(mail.subject);
    const root = this.threadRoot(mail);
    const rootRec = root ? this.state.seen(root) : undefined;
    const lineages = [lineageOf(mail.fromAddress, subj.summary)];
    if (rootRec?.cover) lineages.unshift(lineageOf(mail.fromAddress, rootRec.cover.summary));
    const suppressed = new Set(lineages.flatMap((l) => this.state.suppressed(l)));
    const config: ReviewConfig = {
      ...this.o.review,
      ignore: [...this.o.review.ignore, ...policy.ignoreFingerprints, ...suppressed],
    };
    const withId: Patch = { ...patch, messageId: patch.messageId ?? key };
    // format-patch --cover-letter --base writes the base commit into the cover only
    if (!withId.baseCommit && rootRec?.cover?.baseCommit) withId.baseCommit = rootRec.cover.baseCommit;
    const sources = await this.sourcesFor(withId, policy);
    // with a tree the sources hold readers of it (not plain data): that review runs here; the others in the worker pool, under the deadline
    const pr = sources ? review({ patches: [withId], covers: [], problems: [] }, sources, config, this.o.kb, this.o.rules).reviews[0]! : await this.runReview(withId, config, key);
    if (pr === null) return this.done(key, "the review did not finish within its deadline, twice: no reply (logged)", { lineages, author: mail.fromAddress });
    const meta: Partial<SeenRecord> = { lineages, author: mail.fromAddress };
    if (pr.errors.length > 0) {
      // a review with a failed rule is incomplete: no reply (it could say "nothing found" wrongly), the failure in the log
      for (const e of pr.errors) this.o.log(`${withId.source} ${key}: rule ${e.rule} failed: ${e.message}`);
      const failed = pr.errors.map((e) => e.rule).join(", ");
      return this.done(key, `not answered: rule${pr.errors.length === 1 ? "" : "s"} ${failed} failed (${pr.findings.length} other findings)`, meta);
    }
    const shown = visibleFindings(pr.findings, policy.minSeverity);
    const note = suppressed.size > 0 ? ` (${suppressed.size} suppressed by the author)` : "";

    if (policy.mute) return this.done(key, `list muted (${shown.length} findings)`, meta);

    if (policy.seriesReply === "cover" && rootRec?.cover && subj.total !== null && subj.index !== null) {
      const series = `${root}|v${subj.version}`;
      const part: HeldPart = { messageId: key, index: subj.index, review: { ...pr, findings: shown }, at: this.now() };
      this.state.append({ t: "hold", series, part });
      this.state.append({ t: "seen", id: key, rec: { state: "queued", reason: `held for a reply to ${root}`, at: this.now(), ...meta } });
      this.flushSeries(false, series);
      return { key, action: "held", reason: `held for the series reply to ${root} (${shown.length} findings)${note}` };
    }

    if (shown.length === 0 && !policy.noFindingsReply) return this.done(key, `no findings at or above ${policy.minSeverity}${note}`, meta);
    if (addressReply(this.original(mail, key), this.self, "author", [], this.maxRecipients).to.length === 0)
      return this.done(key, `no address to reply to (${shown.length} findings)`, meta);
    const body = renderEmailBody(reviewVisible({ ...pr, findings: shown }), this.renderOpts(policy));
    const item = this.queue(this.original(mail, key), [key], body, policy, mail.date, meta);
    return { key, action: "queued", reason: `reply ${item.id} (${shown.length} findings)${note}`, replyId: item.id };
  }

  private renderOpts(policy: ListPolicy): { minSeverity: Severity; signatureUrl?: string; botName?: string } {
    return {
      minSeverity: policy.minSeverity,
      ...(this.o.signatureUrl ? { signatureUrl: this.o.signatureUrl } : {}),
      ...(this.o.botName ? { botName: this.o.botName } : {}),
    };
  }

  private queue(
    orig: OriginalMail,
    answers: string[],
    body: string,
    policy: ListPolicy,
    date: string | null,
    meta: Partial<SeenRecord>,
  ): OutboxItem {
    const id = makeMessageId(domainOf(this.self.address), new Date(this.now()));
    const addressing = addressReply(orig, this.self, policy.reply, policy.cc, this.maxRecipients);
    if (addressing.dropped > 0) this.o.log(`reply to ${orig.messageId}: ${addressing.dropped} more recipients not addressed (max-recipients ${this.maxRecipients})`, { mail: orig.messageId });
    const recipients = [...addressing.to, ...addressing.cc].map((a) => a.address);
    const raw = composeReply({ orig, from: this.self, addressing, messageId: id, body, date: new Date(this.now()) });
    let sent = date ? Date.parse(date) : NaN;
    if (!Number.isFinite(sent) || sent > this.now()) sent = this.now();
    const item: OutboxItem = {
      id,
      answers,
      envelopeFrom: this.self.address,
      recipients,
      raw,
      notBefore: sent + policy.embargoMinutes * 60_000,
      queuedAt: this.now(),
    };
    const seen: Record<string, SeenRecord> = {};
    for (const a of answers) seen[a] = { ...(this.state.seen(a) ?? {}), state: "queued", reason: `reply ${id}`, at: this.now(), ...meta };
    this.state.append({ t: "queue", item, seen });
    return item;
  }

  /**
   * Cover-reply policy: answers a held series once every part arrived, or when
   * its oldest part waited series-wait minutes, or (force) now.
   */
  flushSeries(force: boolean, only?: string): number {
    let n = 0;
    for (const [series, parts] of Object.entries(this.state.data.held)) {
      if (only && series !== only) continue;
      const coverId = series.slice(0, series.lastIndexOf("|"));
      const cover = this.state.seen(coverId);
      const c = cover?.cover;
      const policy = policyFor(this.o.policies, c?.listId ?? null, c?.mailbox ?? null);
      const mail = c?.mail as OriginalMail | undefined;
      const total = mail ? parseSubject(mail.subject).total : null;
      const indexes = new Set(parts.map((p) => p.index));
      const complete = total !== null && indexes.size >= total;
      const oldest = Math.min(...parts.map((p) => p.at));
      if (!complete && !force && this.now() - oldest < policy.seriesWaitMinutes * 60_000) continue;
      const sorted = [...parts].sort((a, b) => a.index - b.index);
      const reviews = sorted.map((p) => p.review as PatchReview);
      const findings = reviews.flatMap((r) => r.findings);
      const answers = [...sorted.map((p) => p.messageId), coverId];
      if (!mail || (findings.length === 0 && !policy.noFindingsReply)) {
        for (const a of answers)
          this.state.append({ t: "seen", id: a, rec: { ...(this.state.seen(a) ?? { at: this.now() }), state: "done", reason: "series had no findings to mail" } as SeenRecord });
        this.state.append({ t: "release", series });
        continue;
      }
      const first = reviews[0]!.patch;
      const merged: PatchReview = {
        patch: { ...first, subject: parseSubject(mail.subject).summary, rawSubject: mail.subject, messageId: coverId, files: reviews.flatMap((r) => r.patch.files) },
        findings,
        errors: [],
      };
      const body = renderEmailBody(reviewVisible(merged), this.renderOpts(policy));
      this.queue(mail, answers, body, policy, null, {});
      this.state.append({ t: "release", series });
      n++;
    }
    return n;
  }

  /** Replies waiting in the outbox. */
  pending(): OutboxItem[] {
    return Object.values(this.state.data.outbox).sort((a, b) => a.queuedAt - b.queuedAt || a.id.localeCompare(b.id));
  }

  /**
   * Sends every reply that is due. With wait, sleeps for the rate limit
   * instead of leaving the rest for later. Returns how many went out.
   * A failed send stays in the outbox for the next call.
   */
  deliverDue(opts: { wait?: boolean } = {}): Promise<{ sent: number; failed: number; waiting: number }> {
    return this.exclusive(() => this.deliverNow(opts));
  }

  private async deliverNow(opts: { wait?: boolean }): Promise<{ sent: number; failed: number; waiting: number }> {
    let sent = 0;
    let failed = 0;
    let waiting = 0;
    const due = this.pending().filter((item) => {
      if (item.notBefore <= this.now()) return true;
      waiting++;
      return false;
    });
    if (due.length === 0) return { sent, failed, waiting };
    // every queued reply is on disk before the first one leaves
    this.state.sync();
    const written: OutboxItem[] = [];
    const t = this.o.transport;
    for (const item of due) {
      let w = this.limiter.waitMs();
      if (w > 0 && !opts.wait) {
        waiting++;
        continue;
      }
      if (w > 0) {
        metrics().rateLimitWaits.inc({ bot: "mail", reason: "replies-per-minute" });
        metrics().rateLimitWaitSeconds.inc({ bot: "mail", reason: "replies-per-minute" }, w / 1000);
      }
      while (w > 0) {
        await new Promise((r) => setTimeout(r, w));
        w = this.limiter.waitMs();
      }
      try {
        await t.send(item);
      } catch (err) {
        const code = (err as { responseCode?: unknown }).responseCode;
        if (typeof code === "number" && code >= 500 && code < 600) {
          // a permanent refusal (5xx): retrying would block every later reply
          this.state.append({ t: "drop", id: item.id, reason: `refused by the SMTP server: ${errorMessage(err)}`, at: this.now() });
          this.o.log(`delivery of ${item.id} refused (${code}), dropped: ${errorMessage(err)}`);
          continue;
        }
        failed++;
        metrics().failures.inc({ bot: "mail", kind: "delivery" });
        this.o.log(`delivery of ${item.id} failed, kept in the outbox: ${errorMessage(err)}`, { reply: item.id });
        break;
      }
      this.limiter.record();
      // the window for the one permitted resend: accepted by the server, not yet recorded
      if (t.batches) written.push(item);
      else this.record(item);
      sent++;
    }
    if (written.length > 0) {
      t.flush();
      for (const item of written) this.record(item);
    }
    return { sent, failed, waiting };
  }

  private record(item: OutboxItem): void {
    this.state.append({ t: "sent", id: item.id, at: this.now() });
    this.sentCount++;
    this.o.log(`${this.o.transport.kind === "smtp" ? "sent" : "wrote"} ${item.id} to ${item.recipients.join(", ")}`);
  }
}

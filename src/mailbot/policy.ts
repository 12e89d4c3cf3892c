// The mail bot's configuration file (YAML): the same keys as the command-line
// flags, the review config, and a policy per list.
import { z } from "zod";
import { parseConfig, readYamlFile, type ReviewConfig } from "../config.js";
import { ConfigError, errorMessage } from "../errors.js";
import type { Severity } from "../types.js";

const severity = z.enum(["error", "warning", "info"]);

const policyFields = {
  /** Whom to address: the author only (default) or everyone on To/Cc (b4 reply-all). */
  reply: z.enum(["author", "all"]).optional(),
  /** Findings below this are not mailed (default warning). */
  "min-severity": severity.optional(),
  /** Review and record, but never reply. */
  mute: z.boolean().optional(),
  /** Minutes to wait after the patch's Date before the reply may go out. */
  embargo: z.number().nonnegative().optional(),
  /** Also reply when a patch has no findings (opt-in). */
  "no-findings-reply": z.boolean().optional(),
  /** "patch": one reply per patch with findings; "cover": one reply to the cover letter for the series. */
  "series-reply": z.enum(["patch", "cover"]).optional(),
  /** Minutes to wait for the rest of a series before answering the cover with what arrived. */
  "series-wait": z.number().nonnegative().optional(),
  /** Senders never answered (addresses, or "@domain"). */
  "ignore-senders": z.array(z.string()).optional(),
  /** Fingerprints never mailed on this list. */
  "ignore-fingerprints": z.array(z.string()).optional(),
  /** Addresses added to Cc of every reply. */
  cc: z.array(z.string()).optional(),
  /**
   * Days after its Date: a patch is still answered (0: no limit). Older ones
   * (a backfill, catching up after downtime) are recorded, never answered.
   */
  "max-age": z.number().nonnegative().optional(),
  /** The git repository (or source directory) this list's patches are reviewed against; false: none. */
  tree: z.union([z.string().min(1), z.literal(false)]).optional(),
};

const listSchema = z
  .object({
    /** List-Id (the part in <> or the whole header) or IMAP mailbox name / source label. */
    match: z.object({ "list-id": z.string().optional(), mailbox: z.string().optional() }).strict(),
    ...policyFields,
  })
  .strict();

const stringOrList = z.union([z.string(), z.array(z.string())]);

export const mailConfigSchema = z
  .object({
    "imap-url": stringOrList.optional(),
    "smtp-url": z.string().optional(),
    outbox: z.string().optional(),
    from: z.string().optional(),
    state: z.string().optional(),
    once: z.boolean().optional(),
    "from-mbox": stringOrList.optional(),
    "from-public-inbox": stringOrList.optional(),
    /** Replies per minute over all lists (0: no limit). Default 20. */
    "rate-limit": z.number().nonnegative().optional(),
    /** Larger messages are skipped with a logged reason. Default 20 MiB. */
    "max-message-bytes": z.number().int().positive().optional(),
    "bot-name": z.string().optional(),
    "signature-url": z.string().optional(),
    /** The default tree for every list (--tree); a list's own `tree` wins. */
    tree: z.string().min(1).optional(),
    /** Run `git fetch` in each tree repository at most every this many minutes, before a batch (0: before every batch). */
    "tree-fetch": z.number().nonnegative().optional(),
    /** Recipients (To + Cc) of one reply at most. Default 20. */
    "max-recipients": z.number().int().positive().optional(),
    /** How an ignore reply is authenticated besides its From: DKIM pass from this server, or an allow-list. */
    "ignore-auth": z.object({ "authserv-id": z.string().optional(), allow: z.array(z.string()).optional() }).strict().optional(),
    /** Password files (the URL may then carry the user only); RECLAIM_IMAP_PASSWORD / RECLAIM_SMTP_PASSWORD work too. */
    "imap-password-file": z.string().optional(),
    "smtp-password-file": z.string().optional(),
    /** Allow IMAP/SMTP without TLS to a host that is not loopback (default false). */
    "allow-plaintext": z.boolean().optional(),
    /** Review worker threads (default 2) and the deadline of one review in seconds (default 60). */
    "review-workers": z.number().int().nonnegative().optional(),
    "review-deadline": z.number().positive().optional(),
    /** HOST:PORT for /ping, /healthz, /readyz and /metrics (off by default). */
    http: z.string().optional(),
    /** "text" (default) or "json" (one object per line; docs/operations.md lists the fields). */
    "log-format": z.enum(["text", "json"]).optional(),
    /** The review configuration (rules, paths, ignore): same schema as `review --config`. */
    review: z.record(z.string(), z.unknown()).optional(),
    defaults: z.object(policyFields).strict().optional(),
    lists: z.array(listSchema).optional(),
  })
  .strict();

export type MailConfigFile = z.infer<typeof mailConfigSchema>;

export interface ListPolicy {
  reply: "author" | "all";
  minSeverity: Severity;
  mute: boolean;
  embargoMinutes: number;
  noFindingsReply: boolean;
  seriesReply: "patch" | "cover";
  seriesWaitMinutes: number;
  ignoreSenders: string[];
  ignoreFingerprints: string[];
  cc: string[];
  /** Days after its Date: a patch is still answered; 0: no limit. */
  maxAgeDays: number;
  /** Source tree for context, null for a diff-only review. */
  tree: string | null;
}

export const DEFAULT_POLICY: ListPolicy = {
  reply: "author",
  minSeverity: "warning",
  mute: false,
  embargoMinutes: 0,
  noFindingsReply: false,
  seriesReply: "patch",
  seriesWaitMinutes: 60,
  ignoreSenders: [],
  ignoreFingerprints: [],
  cc: [],
  maxAgeDays: 14,
  tree: null,
};

type PolicyInput = { [K in keyof typeof policyFields]?: z.infer<(typeof policyFields)[K]> };

function merge(base: ListPolicy, p: PolicyInput | undefined): ListPolicy {
  if (!p) return base;
  return {
    reply: p.reply ?? base.reply,
    minSeverity: p["min-severity"] ?? base.minSeverity,
    mute: p.mute ?? base.mute,
    embargoMinutes: p.embargo ?? base.embargoMinutes,
    noFindingsReply: p["no-findings-reply"] ?? base.noFindingsReply,
    seriesReply: p["series-reply"] ?? base.seriesReply,
    seriesWaitMinutes: p["series-wait"] ?? base.seriesWaitMinutes,
    ignoreSenders: [...base.ignoreSenders, ...(p["ignore-senders"] ?? [])],
    ignoreFingerprints: [...base.ignoreFingerprints, ...(p["ignore-fingerprints"] ?? [])],
    cc: p.cc ?? base.cc,
    maxAgeDays: p["max-age"] ?? base.maxAgeDays,
    tree: p.tree === undefined ? base.tree : p.tree === false ? null : p.tree,
  };
}

export interface PolicyTable {
  defaults: ListPolicy;
  lists: { listId?: string; mailbox?: string; policy: ListPolicy }[];
}

export function buildPolicies(cfg: MailConfigFile): PolicyTable {
  const defaults = merge({ ...DEFAULT_POLICY, tree: cfg.tree ?? null }, cfg.defaults);
  return {
    defaults,
    lists: (cfg.lists ?? []).map((l) => ({
      listId: l.match["list-id"],
      mailbox: l.match.mailbox,
      policy: merge(defaults, l),
    })),
  };
}

/** The bare id of a List-Id header: "Linux MM <linux-mm.kvack.org>" -> "linux-mm.kvack.org". */
export function bareListId(h: string | null | undefined): string | null {
  if (!h) return null;
  const m = /<([^>]+)>/.exec(h);
  return (m ? m[1]! : h).trim().toLowerCase();
}

/** Every tree a policy names (each opened once). */
export function treesOf(table: PolicyTable): string[] {
  return [...new Set([table.defaults.tree, ...table.lists.map((l) => l.policy.tree)].filter((t): t is string => t !== null))];
}

/** The first list entry whose List-Id or mailbox matches; else the defaults. */
export function policyFor(table: PolicyTable, listId: string | null, mailbox: string | null): ListPolicy {
  const id = bareListId(listId);
  for (const l of table.lists) {
    if (l.listId && id && bareListId(l.listId) === id) return l.policy;
    if (l.mailbox && mailbox && l.mailbox === mailbox) return l.policy;
  }
  return table.defaults;
}

export function readMailConfig(path: string): MailConfigFile {
  const parsed = mailConfigSchema.safeParse(readYamlFile(path));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(issue.message, `${path}: ${issue.path.join(".") || "(top level)"}`);
  }
  return parsed.data;
}

export function reviewConfigOf(cfg: MailConfigFile, knownRules?: readonly string[]): ReviewConfig {
  try {
    return parseConfig(cfg.review ?? {}, knownRules);
  } catch (err) {
    throw new ConfigError(errorMessage(err), "review");
  }
}

/**
 * How many days past the policy's age limit a message is (> 0: too old to
 * answer), or null when it has no usable Date: (then it is answered) or the
 * policy sets no limit. A Date: in the future counts as now.
 */
export function daysTooOld(policy: ListPolicy, date: string | null, now: number): number | null {
  if (policy.maxAgeDays <= 0 || !date) return null;
  const sent = Date.parse(date);
  if (!Number.isFinite(sent)) return null;
  const age = (now - Math.min(sent, now)) / 86_400_000;
  return age > policy.maxAgeDays ? age - policy.maxAgeDays : null;
}

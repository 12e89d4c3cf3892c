// What a patch is and what it names, for choosing citations: a review never
// cites the patch under review (same Message-ID, same subject, same commit)
// nor another version of it, and cites first the commits and threads the
// patch names itself (Fixes:, a reverted commit, "commit <id>", Link:).
import type { Patch } from "../types.js";
import type { KnowledgeEntry } from "./schema.js";

export interface PatchIdentity {
  /** The patch's own Message-ID and those of its thread (In-Reply-To, References), without angle brackets, lower-cased. */
  messageIds: string[];
  /** Normalised subjects of the patch and of its series' cover letter: another version of the series has the same. */
  subjects: string[];
  /** The patch's own commit id(s), when it is a commit ("owner/repo#12@<sha>"). */
  commits: string[];
  /** Commit ids the commit message names, in the order it names them. */
  namedCommits: string[];
  /** Message-IDs of threads the message links to (lore URLs, Message-ID: lines). */
  namedThreads: string[];
}

const REPLY = /^(?:(?:re|aw|fwd?|sv|antw)\s*:\s*)+/i;

/**
 * A subject as versions of one patch share it: without reply prefixes and
 * bracket tags ("[PATCH v2 3/5]", "[v2]"), without an editorial
 * parenthesis at the end ("(not merged)"), whitespace folded, lower-cased.
 */
export function normaliseSubject(s: string): string {
  let t = s.replace(/\s+/g, " ").trim();
  for (let guard = 0; guard < 20; guard++) {
    const before = t;
    t = t.replace(REPLY, "").replace(/^\[[^\]]*\]\s*/, "");
    if (t === before) break;
  }
  return t.replace(/\s*\((?:not merged|merged|dropped|rejected|superseded)[^)]*\)$/i, "").toLowerCase();
}

function bare(id: string): string {
  return id.trim().replace(/^<|>$/g, "").toLowerCase();
}

const HEX = "[0-9a-f]{7,40}";
/** Commit ids a commit message names: Fixes: tags, reverted commits, "commit <id>" anywhere. */
const NAMED_COMMIT = new RegExp(
  [`^\\s*Fixes:\\s*(${HEX})\\b`, `\\breverts? commit (${HEX})\\b`, `\\bcommit (${HEX})\\b`, `^\\s*Revert(?:s)?:?\\s*(${HEX})\\b`].join("|"),
  "gim",
);
/** Message-IDs in lore-style URLs (/r/<id>, /all/<id>/, /<list>/<id>/) and "Message-ID: <id>" lines. */
const LORE_ID = /https?:\/\/(?:lore\.kernel\.org|lkml\.kernel\.org|patch\.msgid\.link)\/(?:[^/\s@]+\/)?([^/\s>@]+@[^/\s>)\]]+)/gim;

/** Commit ids named in a commit message, in order, without duplicates. */
export function namedCommits(message: string): string[] {
  const out: string[] = [];
  for (const m of message.matchAll(NAMED_COMMIT)) {
    const id = (m[1] ?? m[2] ?? m[3] ?? m[4])!.toLowerCase();
    if (!out.some((o) => o.startsWith(id) || id.startsWith(o))) out.push(id);
  }
  return out;
}

/** Message-IDs of the threads a text links to (lore URLs), in order, without duplicates. */
export function linkedMessageIds(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(LORE_ID)) {
    let id: string;
    try {
      id = decodeURIComponent(m[1]!);
    } catch {
      id = m[1]!;
    }
    id = bare(id);
    if (!out.includes(id)) out.push(id);
  }
  return out;
}

export function patchIdentity(patch: Patch): PatchIdentity {
  const messageIds = [patch.messageId, patch.inReplyTo, ...patch.references]
    .filter((x): x is string => typeof x === "string" && x.trim() !== "")
    .map(bare);
  const subjects = [patch.subject, patch.cover?.subject ?? ""].map(normaliseSubject).filter((s) => s.length >= 8);
  const own = /@([0-9a-f]{7,40})$/i.exec(patch.source);
  return {
    messageIds: [...new Set(messageIds)],
    subjects: [...new Set(subjects)],
    commits: own ? [own[1]!.toLowerCase()] : [],
    namedCommits: namedCommits(patch.message),
    namedThreads: linkedMessageIds(patch.message),
  };
}

function samePrefix(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  return n >= 7 && a.slice(0, n) === b.slice(0, n);
}

const entryIds = new WeakMap<KnowledgeEntry, string[]>();
const entryTitles = new WeakMap<KnowledgeEntry, string[]>();

/** Message-IDs an entry stands for: its messageId and any lore link's (computed once per entry). */
export function entryMessageIds(e: KnowledgeEntry): string[] {
  let ids = entryIds.get(e);
  if (ids) return ids;
  ids = e.messageId ? [bare(e.messageId)] : [];
  for (const l of e.links) for (const id of linkedMessageIds(l)) if (!ids.includes(id)) ids.push(id);
  entryIds.set(e, ids);
  return ids;
}

function entrySubjects(e: KnowledgeEntry): string[] {
  let t = entryTitles.get(e);
  if (!t) entryTitles.set(e, (t = [e.title, ...e.commits.map((c) => c.subject)].map(normaliseSubject)));
  return t;
}

/** Is this entry the patch under review, or another version of it? */
export function isSelf(e: KnowledgeEntry, id: PatchIdentity): boolean {
  if (id.messageIds.length > 0 && entryMessageIds(e).some((m) => id.messageIds.includes(m))) return true;
  if (id.commits.length > 0 && e.commits.some((c) => id.commits.some((own) => samePrefix(c.sha, own)))) return true;
  if (id.subjects.length > 0 && entrySubjects(e).some((t) => id.subjects.includes(t))) return true;
  return false;
}

/** Where in the patch's own references the entry is named (lower first), or -1. */
export function namedRank(e: KnowledgeEntry, id: PatchIdentity): number {
  for (const [i, named] of id.namedCommits.entries()) if (e.commits.some((c) => samePrefix(c.sha, named))) return i;
  const threads = entryMessageIds(e);
  for (const [i, t] of id.namedThreads.entries()) if (threads.includes(t)) return id.namedCommits.length + i;
  return -1;
}

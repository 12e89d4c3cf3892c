// The app keeps no database: what it already said and what people asked it
// to stop saying is read back from GitHub. Every comment (and every finding
// line of a check summary or review body) carries a hidden marker with the
// finding's fingerprint; "/reclaim-review ignore" replies, ignore comments on
// the conversation and thumbs-down reactions on our comments are read from
// the pull request when it is next reviewed.

export const MARKER_VERSION = "v1";

/** `<!-- reclaim-review:v1 fp=<fingerprint> -->` */
export function marker(fingerprint: string): string {
  return `<!-- reclaim-review:${MARKER_VERSION} fp=${fingerprint} -->`;
}

const MARKER_RE = /<!-- reclaim-review:v1 fp=([0-9a-f]{6,64}) -->/g;

/** Every fingerprint marked in a text, in order. */
export function markedFingerprints(text: string | null | undefined): string[] {
  if (!text) return [];
  return [...text.matchAll(MARKER_RE)].map((m) => m[1]!);
}

/** "/reclaim-review ignore" at the start of a line, optionally followed by fingerprints. */
const IGNORE_RE = /^\s*\/reclaim-review\s+ignore\b(.*)$/im;

export interface IgnoreCommand {
  /** Fingerprints named on the command line (a reply to our comment may name none). */
  fingerprints: string[];
  /** Free text after the fingerprints: the reason, kept for the log. */
  reason: string;
}

export function parseIgnoreCommand(body: string | null | undefined): IgnoreCommand | null {
  if (!body) return null;
  const m = IGNORE_RE.exec(body);
  if (!m) return null;
  const words = m[1]!.trim().split(/\s+/).filter(Boolean);
  const fingerprints: string[] = [];
  let i = 0;
  for (; i < words.length && /^[0-9a-f]{6,64}$/.test(words[i]!); i++) fingerprints.push(words[i]!);
  return { fingerprints, reason: words.slice(i).join(" ") };
}

/** Associations whose word counts for a suppression (besides the pull request's author). */
export const TRUSTED_ASSOCIATIONS = new Set(["OWNER", "MEMBER", "COLLABORATOR"]);

export interface GhUser {
  login: string;
  type?: string;
}

/** The subset of a pull request review comment we read. */
export interface ReviewCommentLike {
  id: number;
  body: string;
  path: string;
  line?: number | null;
  original_line?: number | null;
  in_reply_to_id?: number;
  user: GhUser | null;
  author_association?: string;
  reactions?: { "-1"?: number } & Record<string, unknown>;
}

export interface IssueCommentLike {
  id: number;
  body?: string;
  user: GhUser | null;
  author_association?: string;
}

export interface ReviewLike {
  id: number;
  body: string | null;
  user: GhUser | null;
}

export interface PostedFinding {
  fingerprint: string;
  path: string | null;
  line: number | null;
  /** First line of the comment, for the "resolved" list. */
  title: string;
  commentId: number | null;
}

export interface PullRequestState {
  /** Fingerprints our earlier comments and review bodies already carry. */
  posted: Map<string, PostedFinding>;
  /** Fingerprints people asked us to drop on this pull request, with who asked. */
  suppressed: Map<string, string>;
}

export function isBot(user: GhUser | null | undefined): boolean {
  return user?.type === "Bot";
}

function firstLine(body: string): string {
  const l = body.split("\n").find((x) => x.trim() !== "" && !x.startsWith("<!--")) ?? "";
  return l.replace(/\*\*|`/g, "").trim().slice(0, 200);
}

/**
 * Reads what earlier runs posted and what people suppressed.
 * `prAuthor` and trusted associations may suppress; other voices are ignored.
 */
export function readPullRequestState(
  comments: readonly ReviewCommentLike[],
  reviews: readonly ReviewLike[],
  issueComments: readonly IssueCommentLike[],
  prAuthor: string | null,
): PullRequestState {
  const posted = new Map<string, PostedFinding>();
  const byId = new Map<number, string>();
  const suppressed = new Map<string, string>();
  const trusted = (u: GhUser | null, assoc: string | undefined) => maySuppress(u, assoc, prAuthor);

  for (const c of comments) {
    if (!isBot(c.user)) continue;
    const fps = markedFingerprints(c.body);
    if (fps.length === 0) continue;
    const fp = fps[fps.length - 1]!;
    byId.set(c.id, fp);
    const line = c.line ?? c.original_line ?? null;
    const where = line === null ? c.path : `${c.path}:${line}`;
    if (!posted.has(fp)) posted.set(fp, { fingerprint: fp, path: c.path, line, title: `${where}: ${firstLine(c.body)}`, commentId: c.id });
    if ((c.reactions?.["-1"] ?? 0) > 0) suppressed.set(fp, "a thumbs-down reaction");
  }
  for (const r of reviews) {
    if (!isBot(r.user)) continue;
    for (const line of (r.body ?? "").split("\n")) {
      for (const fp of markedFingerprints(line)) {
        if (!posted.has(fp)) posted.set(fp, { fingerprint: fp, path: null, line: null, title: firstLine(line), commentId: null });
      }
    }
  }
  for (const c of comments) {
    if (c.in_reply_to_id === undefined || isBot(c.user)) continue;
    const cmd = parseIgnoreCommand(c.body);
    if (!cmd || !trusted(c.user, c.author_association)) continue;
    const parent = byId.get(c.in_reply_to_id);
    if (parent) suppressed.set(parent, `@${c.user?.login ?? "someone"}`);
    for (const fp of cmd.fingerprints) suppressed.set(fp, `@${c.user?.login ?? "someone"}`);
  }
  for (const c of issueComments) {
    const cmd = parseIgnoreCommand(c.body);
    if (!cmd || !trusted(c.user, c.author_association)) continue;
    for (const fp of cmd.fingerprints) suppressed.set(fp, `@${c.user?.login ?? "someone"}`);
  }
  return { posted, suppressed };
}

/** Whether a user may suppress findings on a pull request. */
export function maySuppress(user: GhUser | null, association: string | undefined, prAuthor: string | null): boolean {
  if (isBot(user)) return false;
  return (prAuthor !== null && user?.login === prAuthor) || TRUSTED_ASSOCIATIONS.has(association ?? "");
}

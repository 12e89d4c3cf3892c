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

/** The marker that ends a text (only whitespace after it), as our comments and summary lines end. */
const FINAL_MARKER_RE = /<!-- reclaim-review:v1 fp=([0-9a-f]{6,64}) -->\s*$/;

/**
 * The fingerprint of the marker a text ends with, or null. Only this one
 * counts: a marker anywhere else (quoted, or forged in a patch-derived
 * string) is not ours.
 */
export function finalMarker(text: string | null | undefined): string | null {
  if (!text) return null;
  return FINAL_MARKER_RE.exec(text)?.[1] ?? null;
}

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

/**
 * Who may suppress: people with write access to the repository (asked of
 * GitHub's collaborator permission API by feedback.ts, never taken from a
 * comment's author_association), and the pull request's author, whose
 * suppressions apply only below the severity that fails the check.
 */
export interface Trust {
  prAuthor: string | null;
  /** Our app's bot account ("<slug>[bot]"); null when unknown (then any Bot account's comment is taken as ours). */
  botLogin: string | null;
  /** Logins known to have write (or admin/maintain) permission. */
  writers: ReadonlySet<string>;
  /** Our comments that someone with write access gave a thumbs-down: comment id -> that person's login. */
  thumbsDown: ReadonlyMap<number, string>;
}

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
  /** Fingerprints someone with write access asked us to drop on this pull request, with who asked. */
  suppressed: Map<string, string>;
  /** Fingerprints only the pull request's author (without write access) asked us to drop. */
  byAuthor: Map<string, string>;
}

export function isBot(user: GhUser | null | undefined): boolean {
  return user?.type === "Bot";
}

/** A comment of our own app's bot account. */
export function isOurs(user: GhUser | null | undefined, botLogin: string | null): boolean {
  if (!isBot(user)) return false;
  return botLogin === null || user!.login.toLowerCase() === botLogin.toLowerCase();
}

function firstLine(body: string): string {
  const l = body.split("\n").find((x) => x.trim() !== "" && !x.startsWith("<!--")) ?? "";
  return l.replace(/\*\*|`/g, "").trim().slice(0, 200);
}

/** A trust with nobody known to have write access (the pull request's author only). */
export function authorOnly(prAuthor: string | null): Trust {
  return { prAuthor, botLogin: null, writers: new Set(), thumbsDown: new Map() };
}

/**
 * Reads what earlier runs posted and what people suppressed. Only comments
 * of our bot account count as ours, and only by the marker they end with;
 * suppressions count from writers (and, apart, from the author).
 */
export function readPullRequestState(
  comments: readonly ReviewCommentLike[],
  reviews: readonly ReviewLike[],
  issueComments: readonly IssueCommentLike[],
  trust: Trust,
): PullRequestState {
  const posted = new Map<string, PostedFinding>();
  const byId = new Map<number, string>();
  const suppressed = new Map<string, string>();
  const byAuthor = new Map<string, string>();
  const note = (u: GhUser | null, fps: Iterable<string>) => {
    const who = suppressor(u, trust);
    if (who === null) return;
    for (const fp of fps) {
      if (who === "writer") suppressed.set(fp, `@${u!.login}`);
      else if (!suppressed.has(fp)) byAuthor.set(fp, `@${u!.login} (the author)`);
    }
  };

  for (const c of comments) {
    if (!isOurs(c.user, trust.botLogin)) continue;
    const fp = finalMarker(c.body);
    if (fp === null) continue;
    byId.set(c.id, fp);
    const line = c.line ?? c.original_line ?? null;
    const where = line === null ? c.path : `${c.path}:${line}`;
    if (!posted.has(fp)) posted.set(fp, { fingerprint: fp, path: c.path, line, title: `${where}: ${firstLine(c.body)}`, commentId: c.id });
    const who = trust.thumbsDown.get(c.id);
    if (who !== undefined) suppressed.set(fp, `a thumbs-down by @${who}`);
  }
  for (const r of reviews) {
    if (!isOurs(r.user, trust.botLogin)) continue;
    for (const line of (r.body ?? "").split("\n")) {
      const fp = finalMarker(line);
      if (fp !== null && !posted.has(fp)) posted.set(fp, { fingerprint: fp, path: null, line: null, title: firstLine(line), commentId: null });
    }
  }
  for (const c of comments) {
    if (c.in_reply_to_id === undefined || isBot(c.user)) continue;
    const cmd = parseIgnoreCommand(c.body);
    if (!cmd) continue;
    const parent = byId.get(c.in_reply_to_id);
    note(c.user, parent ? [parent, ...cmd.fingerprints] : cmd.fingerprints);
  }
  for (const c of issueComments) {
    const cmd = parseIgnoreCommand(c.body);
    if (cmd) note(c.user, cmd.fingerprints);
  }
  for (const fp of suppressed.keys()) byAuthor.delete(fp);
  return { posted, suppressed, byAuthor };
}

/** "writer", "author" (the pull request's author without write access), or null: may not suppress. */
export function suppressor(user: GhUser | null, trust: Pick<Trust, "prAuthor" | "writers">): "writer" | "author" | null {
  if (!user || isBot(user)) return null;
  if (trust.writers.has(user.login)) return "writer";
  if (trust.prAuthor !== null && user.login === trust.prAuthor) return "author";
  return null;
}

// "/reclaim-review ignore": a reply on one of our review comments, or a
// conversation comment naming fingerprints. Nothing is stored: the next
// review reads the command back from the pull request (markers.ts). Here we
// only check that it is ours to honour and acknowledge it with a reaction,
// so the person knows it was understood. Who may suppress is asked of
// GitHub: the collaborator permission API (write, maintain or admin), cached;
// a thumbs-down counts only from such a person (the reactions are listed).
import { errorMessage } from "../errors.js";
import { isForbidden, statusOf, type Logger, type Octokit } from "./api.js";
import {
  finalMarker,
  isBot,
  isOurs,
  parseIgnoreCommand,
  suppressor,
  type GhUser,
  type IssueCommentLike,
  type ReviewCommentLike,
  type Trust,
} from "./markers.js";

/** Permissions that let a user change the repository: their word may turn a finding off. */
const WRITE = new Set(["admin", "maintain", "write"]);

/** Collaborator permissions asked of GitHub, remembered for `ttlMs` (bounded). */
export class PermissionCache {
  private readonly known = new Map<string, { writer: boolean; at: number }>();
  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly limit = 10_000,
  ) {}

  async isWriter(octokit: Octokit, owner: string, repo: string, login: string, log?: Logger): Promise<boolean> {
    const key = `${owner}/${repo}\n${login.toLowerCase()}`;
    const hit = this.known.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.writer;
    let writer = false;
    try {
      const res = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: login });
      const d = res.data as { permission?: string; role_name?: string };
      writer = WRITE.has(d.permission ?? "") || WRITE.has(d.role_name ?? "");
    } catch (err) {
      // 404: not a collaborator. Anything else: not known to be a writer (fail closed), said in the log.
      if (statusOf(err) !== 404) log?.warn({ user: login, err: errorMessage(err) }, "could not read a collaborator permission; treated as no write access");
    }
    this.known.delete(key);
    this.known.set(key, { writer, at: Date.now() });
    if (this.known.size > this.limit) this.known.delete(this.known.keys().next().value as string);
    return writer;
  }
}

/** People whose permission is asked per review, at most (each is one request when not cached). */
const MAX_PERMISSION_CHECKS = 50;

/**
 * The trust a review's suppressions are read with: who of the people who
 * asked for one (ignore commands, thumbs-down on our comments) has write
 * access. Reactions are listed only on our own comments that have a
 * thumbs-down count.
 */
export async function gatherTrust(
  octokit: Octokit,
  ref: { owner: string; repo: string },
  prAuthor: string | null,
  botLogin: string | null,
  comments: readonly ReviewCommentLike[],
  issueComments: readonly IssueCommentLike[],
  perms: PermissionCache,
  log?: Logger,
): Promise<Trust> {
  const asked = new Set<string>();
  for (const c of [...comments, ...issueComments]) {
    if (c.user && !isBot(c.user) && parseIgnoreCommand(c.body)) asked.add(c.user.login);
  }
  const reactors = new Map<number, string[]>();
  for (const c of comments) {
    if (!isOurs(c.user, botLogin) || (c.reactions?.["-1"] ?? 0) === 0 || finalMarker(c.body) === null) continue;
    const list = (await octokit.paginate(octokit.rest.reactions.listForPullRequestReviewComment, {
      owner: ref.owner,
      repo: ref.repo,
      comment_id: c.id,
      content: "-1",
      per_page: 100,
    })) as { content?: string; user: GhUser | null }[];
    const logins = list.filter((r) => (r.content ?? "-1") === "-1" && r.user && !isBot(r.user)).map((r) => r.user!.login);
    reactors.set(c.id, logins);
    for (const l of logins) asked.add(l);
  }
  const writers = new Set<string>();
  const people = [...asked].slice(0, MAX_PERMISSION_CHECKS);
  if (asked.size > people.length) log?.warn({ asked: asked.size, checked: people.length }, "too many people asked to suppress; only the first were checked");
  for (const login of people) if (await perms.isWriter(octokit, ref.owner, ref.repo, login, log)) writers.add(login);
  const thumbsDown = new Map<number, string>();
  for (const [id, logins] of reactors) {
    const w = logins.find((l) => writers.has(l));
    if (w !== undefined) thumbsDown.set(id, w);
  }
  return { prAuthor, botLogin, writers, thumbsDown };
}

export interface IgnoreRequest {
  kind: "review-comment" | "issue-comment";
  owner: string;
  repo: string;
  number: number;
  commentId: number;
  /** The comment replied to (review-comment only). */
  inReplyTo: number | null;
  body: string;
  user: GhUser | null;
  association: string | undefined;
  prAuthor: string | null;
}

export type IgnoreResult = "acknowledged" | "not-ours" | "not-allowed" | "no-command";

export interface IgnoreDeps {
  log: Logger;
  perms: PermissionCache;
  botLogin: string | null;
}

export async function handleIgnore(octokit: Octokit, req: IgnoreRequest, deps: IgnoreDeps): Promise<IgnoreResult> {
  const log = deps.log;
  const cmd = parseIgnoreCommand(req.body);
  if (!cmd || isBot(req.user)) return "no-command";
  const fps = [...cmd.fingerprints];
  if (req.kind === "review-comment" && req.inReplyTo !== null) {
    try {
      const parent = await octokit.rest.pulls.getReviewComment({ owner: req.owner, repo: req.repo, comment_id: req.inReplyTo });
      const fp = isOurs(parent.data.user as GhUser, deps.botLogin) ? finalMarker(parent.data.body) : null;
      if (fp !== null) fps.push(fp);
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }
  if (fps.length === 0) return "not-ours";
  const writers = new Set<string>();
  if (req.user && (await deps.perms.isWriter(octokit, req.owner, req.repo, req.user.login, log))) writers.add(req.user.login);
  if (suppressor(req.user, { prAuthor: req.prAuthor, writers }) === null) {
    log.info({ pr: `${req.owner}/${req.repo}#${req.number}`, user: req.user?.login }, "ignore command from someone who may not suppress: not honoured");
    return "not-allowed";
  }
  try {
    if (req.kind === "review-comment") {
      await octokit.rest.reactions.createForPullRequestReviewComment({ owner: req.owner, repo: req.repo, comment_id: req.commentId, content: "+1" });
    } else {
      await octokit.rest.reactions.createForIssueComment({ owner: req.owner, repo: req.repo, comment_id: req.commentId, content: "+1" });
    }
  } catch (err) {
    // The suppression holds either way (it is read back from the comment); the reaction is a courtesy.
    if (!isForbidden(err)) throw err;
    log.warn({ err: errorMessage(err) }, "could not react to the ignore command");
  }
  log.info({ pr: `${req.owner}/${req.repo}#${req.number}`, fingerprints: fps, reason: cmd.reason }, "ignore command acknowledged");
  return "acknowledged";
}

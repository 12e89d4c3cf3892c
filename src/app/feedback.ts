// "/reclaim-review ignore": a reply on one of our review comments, or a
// conversation comment naming fingerprints. Nothing is stored: the next
// review reads the command back from the pull request (markers.ts). Here we
// only check that it is ours to honour and acknowledge it with a reaction,
// so the person knows it was understood.
import { errorMessage } from "../errors.js";
import { isForbidden, statusOf, type Logger, type Octokit } from "./api.js";
import { isBot, markedFingerprints, maySuppress, parseIgnoreCommand, type GhUser } from "./markers.js";

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

export async function handleIgnore(octokit: Octokit, req: IgnoreRequest, log: Logger): Promise<IgnoreResult> {
  const cmd = parseIgnoreCommand(req.body);
  if (!cmd || isBot(req.user)) return "no-command";
  const fps = [...cmd.fingerprints];
  if (req.kind === "review-comment" && req.inReplyTo !== null) {
    try {
      const parent = await octokit.rest.pulls.getReviewComment({ owner: req.owner, repo: req.repo, comment_id: req.inReplyTo });
      if (isBot(parent.data.user as GhUser)) fps.push(...markedFingerprints(parent.data.body));
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }
  if (fps.length === 0) return "not-ours";
  if (!maySuppress(req.user, req.association, req.prAuthor)) {
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

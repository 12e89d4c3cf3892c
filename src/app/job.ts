// One review of one pull request head: read the config, the files and the
// sources, run the one review() core, read back what earlier runs posted and
// what people suppressed, then publish one check run for the head SHA and at
// most one review with new inline comments. Every step that writes is
// idempotent (markers, an existing check run reused), so a redelivery or a
// restart repeats nothing.
import { SEVERITY_RANK, type Finding, type Rule, type Severity } from "../types.js";
import { ConfigError, InputError, errorMessage } from "../errors.js";
import { parsePatchText } from "../ingest/index.js";
import { DeadlineError, type WorkerPool } from "../workers/pool.js";
import { metrics } from "../ops/metrics.js";
import { isForbidden, statusOf, type Logger, type Octokit } from "./api.js";
import { CONFIG_PATH, type AppConfig } from "./config.js";
import { finalMarker, readPullRequestState, type IssueCommentLike, type ReviewCommentLike, type ReviewLike } from "./markers.js";
import { fetchCommitDiff, planReview, readPullCommits, readPullRequest, type Limits, type PrCommit, type PrInput, type PrRef } from "./pr-input.js";
import { withBaseTree } from "./base-tree.js";
import { GitHubHistory } from "./history.js";
import { gatherTrust, type PermissionCache } from "./feedback.js";
import type { AppReviewInput, AppReviewOutput } from "./review-worker.js";
import {
  annotationOf,
  countBySeverity,
  renderComment,
  renderConfigError,
  renderError,
  renderReviewBody,
  renderSummary,
  type Annotation,
  type SummaryInput,
} from "./render.js";
import type { JobOutcome } from "./queue.js";
import { escapeGitHub, findingForGitHub, findingVisible } from "../render/escape.js";

/** Diffs larger than this are not parsed on the event loop for base-tree lookups (the worker still reviews them). */
const BASE_TREE_DIFF_LIMIT = 2 * 1024 * 1024;

export const CHECK_NAME = "reclaim-review";
/** Annotations per check-run request (GitHub's limit). */
export const ANNOTATION_BATCH = 50;
/** Annotations per check run, to bound the writes a huge pull request costs. */
export const MAX_ANNOTATIONS = 500;

export interface PullRequestJob extends PrRef {
  deliveryId: string;
  action: string;
  /** The previous head on "synchronize" (its check run tells what was reported before). */
  before: string | null;
  draft: boolean;
  author: string | null;
  authorIsBot: boolean;
  senderIsBot: boolean;
  title: string;
  body: string;
}

export interface JobDeps {
  appId: number | null;
  rules: readonly Rule[];
  limits: Limits;
  log: Logger;
  /** Where reviews run: worker threads, each review under a deadline. */
  pool: WorkerPool<AppReviewInput, AppReviewOutput>;
  /** Collaborator permissions (who may suppress), cached across jobs. */
  perms: PermissionCache;
  /** Our bot account's login ("<slug>[bot]"), or null when it could not be learnt. */
  botLogin: () => Promise<string | null>;
}

export interface ReviewOutcome {
  findings: number;
  inline: number;
  conclusion: string;
  checkRunId: number | null;
}

// ------------------------------------------------------------- check runs

interface CheckRunRef {
  id: number;
  /** Annotations the run already has (path:line:title), so a re-run appends none twice. */
  existing: Set<string>;
}

interface CheckRunLike {
  id: number;
  app?: { id?: number } | null;
  output?: { summary?: string | null; annotations_count?: number } | null;
}

async function listOurRuns(octokit: Octokit, ref: PrRef, sha: string, appId: number | null): Promise<CheckRunLike[]> {
  const res = await octokit.rest.checks.listForRef({ owner: ref.owner, repo: ref.repo, ref: sha, check_name: CHECK_NAME, per_page: 100 });
  return (res.data.check_runs as CheckRunLike[]).filter((r) => appId === null || !r.app?.id || r.app.id === appId);
}

const annotationKey = (a: { path: string; start_line: number; title?: string | null }) => `${a.path}:${a.start_line}:${a.title ?? ""}`;

/** The run for this head SHA: the existing one (reused) or a new one, in progress. Null when checks are not permitted. */
async function openCheckRun(octokit: Octokit, job: PullRequestJob, deps: JobDeps): Promise<CheckRunRef | null> {
  try {
    const runs = await listOurRuns(octokit, job, job.headSha, deps.appId);
    const found = runs[0];
    if (found) {
      const existing = new Set<string>();
      if ((found.output?.annotations_count ?? 0) > 0) {
        const anns = await octokit.paginate(octokit.rest.checks.listAnnotations, { owner: job.owner, repo: job.repo, check_run_id: found.id, per_page: 100 });
        for (const a of anns) existing.add(annotationKey(a));
      }
      // Reused as it is: the final update completes it again (a completed run is not reopened).
      return { id: found.id, existing };
    }
    const created = await octokit.rest.checks.create({
      owner: job.owner,
      repo: job.repo,
      name: CHECK_NAME,
      head_sha: job.headSha,
      status: "in_progress",
      started_at: new Date().toISOString(),
    });
    return { id: created.data.id, existing: new Set() };
  } catch (err) {
    if (isForbidden(err)) {
      deps.log.warn({ pr: prName(job) }, "no permission to write check runs; findings go into the review instead");
      return null;
    }
    throw err;
  }
}

async function completeCheckRun(
  octokit: Octokit,
  job: PullRequestJob,
  run: CheckRunRef,
  conclusion: "success" | "neutral" | "failure",
  title: string,
  summary: string,
  annotations: Annotation[],
): Promise<void> {
  const fresh = annotations.filter((a) => !run.existing.has(annotationKey(a))).slice(0, MAX_ANNOTATIONS);
  const batches: Annotation[][] = [];
  for (let i = 0; i < fresh.length; i += ANNOTATION_BATCH) batches.push(fresh.slice(i, i + ANNOTATION_BATCH));
  const base = { owner: job.owner, repo: job.repo, check_run_id: run.id };
  await octokit.rest.checks.update({
    ...base,
    status: "completed",
    conclusion,
    completed_at: new Date().toISOString(),
    output: { title, summary, ...(batches[0] ? { annotations: batches[0] } : {}) },
  });
  for (const batch of batches.slice(1)) {
    await octokit.rest.checks.update({ ...base, output: { title, summary, annotations: batch } });
  }
  for (const a of fresh) run.existing.add(annotationKey(a));
}

// ------------------------------------------------------------------ helpers

export function prName(p: { owner: string; repo: string; number: number }): string {
  return `${p.owner}/${p.repo}#${p.number}`;
}

/**
 * The pull request's commits as a series: each commit's own diff (from the
 * API, bounded), in order; the worker reads them as "[PATCH k/n]" patches of
 * one series whose cover is the pull request's title and description.
 */
async function readSeriesDiffs(octokit: Octokit, job: PullRequestJob, commits: readonly PrCommit[], limits: Limits, notes: string[]): Promise<{ commit: PrCommit; diff: string | null }[]> {
  const diffs = new Map<string, string | null>();
  let next = 0;
  const worker = async () => {
    while (next < commits.length) {
      const c = commits[next++]!;
      diffs.set(c.sha, await fetchCommitDiff(octokit, job, c.sha, limits, notes));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limits.fetchConcurrency, commits.length) }, worker));
  return commits.map((commit) => ({ commit, diff: diffs.get(commit.sha) ?? null }));
}

function atLeast(s: Severity, min: Severity | "never"): boolean {
  return min !== "never" && SEVERITY_RANK[s] >= SEVERITY_RANK[min];
}

interface PreviousReport {
  fingerprint: string;
  title: string;
}

/** Findings the previous head's check run listed (markers in its summary). */
async function previousReport(octokit: Octokit, job: PullRequestJob, appId: number | null): Promise<PreviousReport[]> {
  if (!job.before || /^0+$/.test(job.before)) return [];
  try {
    const runs = await listOurRuns(octokit, job, job.before, appId);
    const out: PreviousReport[] = [];
    for (const r of runs.slice(0, 1)) {
      for (const line of (r.output?.summary ?? "").split("\n")) {
        // only the marker that ends a line of our own summary counts
        const fp = finalMarker(line);
        if (fp !== null) {
          out.push({ fingerprint: fp, title: line
            .replace(/<!--.*?-->/g, "")
            .replace(/\((review comment|check run only)\)/, "")
            .replace(/^[-\s]+/, "")
            .replace(/\*\*|`/g, "")
            .trim()
            .slice(0, 200) });
        }
      }
    }
    return out;
  } catch (err) {
    if (statusOf(err) === 404 || isForbidden(err)) return [];
    throw err;
  }
}

// ---------------------------------------------------------------- the job

/**
 * Reviews one pull request head and publishes the result. Never throws:
 * failures end in the check run and the log. `readConfig` reads the
 * repository's config (probot's context.config(), see config.ts).
 */
export async function runReviewJob(octokit: Octokit, job: PullRequestJob, deps: JobDeps, readConfig: (knownRules: readonly string[]) => Promise<AppConfig>): Promise<JobOutcome> {
  const log = deps.log;
  const knownRules = deps.rules.map((r) => r.meta.id);
  let run: CheckRunRef | null = null;
  try {
    let config: AppConfig;
    try {
      config = await readConfig(knownRules);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const origin = `${job.owner}/${job.repo}:${CONFIG_PATH}`;
      log.warn({ pr: prName(job), key: err.key }, `invalid configuration: ${err.message}`);
      run = await openCheckRun(octokit, job, deps);
      const msg = err.key ? err.message.slice(err.key.length + 2) : err.message;
      if (run) {
        await completeCheckRun(octokit, job, run, "failure", `Invalid configuration: ${err.key ?? "(file)"}`, renderConfigError(origin, err.key ?? "(file)", escapeGitHub(msg)), []);
      }
      return "skipped";
    }
    const gh = config.github;
    if (job.draft && !gh.reviewDrafts) {
      log.info({ pr: prName(job) }, "draft pull request skipped (github.reviewDrafts is false)");
      return "skipped";
    }
    if ((job.authorIsBot || job.senderIsBot) && !gh.reviewBots) {
      log.info({ pr: prName(job) }, "pull request from a bot skipped (github.reviewBots is false)");
      return "skipped";
    }
    run = await openCheckRun(octokit, job, deps);
    const outcome = await reviewAndPublish(octokit, job, deps, config, run);
    metrics().reviews.inc({ bot: "github", outcome: outcome === "stopped" ? "deadline" : outcome === "done" ? "ok" : outcome });
    return outcome === "stopped" ? "done" : outcome;
  } catch (err) {
    const status = statusOf(err);
    log.error({ pr: prName(job), sha: job.headSha, status, err: errorMessage(err) }, "review failed");
    try {
      run ??= await openCheckRun(octokit, job, deps);
      if (run) await completeCheckRun(octokit, job, run, "neutral", "Review did not finish", renderError(job.headSha, escapeGitHub(errorMessage(err)), status), []);
    } catch (err2) {
      log.error({ pr: prName(job), err: errorMessage(err2) }, "could not report the failure in the check run either; redeliver the webhook or push again");
    }
    metrics().reviews.inc({ bot: "github", outcome: "failed" });
    metrics().failures.inc({ bot: "github", kind: status !== undefined ? "api" : "review" });
    return "failed";
  }
}

/** "stopped": the review hit its deadline (reported in the check run; the head counts as handled). */
async function reviewAndPublish(octokit: Octokit, job: PullRequestJob, deps: JobDeps, config: AppConfig, run: CheckRunRef | null): Promise<JobOutcome | "stopped"> {
  const log = deps.log;
  const gh = config.github;
  const problems: string[] = [];

  let input: PrInput = await readPullRequest(octokit, job, deps.limits);
  const notes = [...input.notes];
  let findings: Finding[] = [];
  let lines = new Map<string, Set<number>>();
  /** Where a finding came from in a series: "commit 0123456789ab". */
  const fromCommit = new Map<string, string>();
  /** Where a patch-level finding's annotation goes: the first line of the first file GitHub has a patch for. */
  let anchor: { path: string; line: number } | null = null;
  let stopped: DeadlineError | null = null;
  if (input.diffText.trim() !== "") {
    // the API's answers are read here (I/O); parsing and the review run in a worker thread, under the deadline
    const commits = await readPullCommits(octokit, job, deps.limits, notes);
    const plan = planReview(job.title, job.body ?? "", commits, deps.limits, notes);
    const seriesDiffs = plan.kind === "series" ? await readSeriesDiffs(octokit, job, plan.commits, deps.limits, notes) : null;
    // callers and neighbours beyond the touched directories, from the base commit: looked up from the
    // diff's functions and includes and read here (the worker does no I/O); a very large diff goes without
    let listing: string[] | null = null;
    if (input.diffText.length <= BASE_TREE_DIFF_LIMIT) {
      try {
        const forBase = parsePatchText(input.diffText, `${prName(job)}@${job.headSha.slice(0, 12)}`, { maxBytes: config.review.maxInputBytes });
        const known = input.notes.length;
        const withBase = await withBaseTree(octokit, job, input, forBase.patches);
        input = withBase;
        listing = withBase.listing ? [...withBase.listing.files.keys()] : null;
        notes.push(...input.notes.slice(known));
      } catch (err) {
        // an unreadable diff is reported by the review itself
        if (!(err instanceof InputError)) throw err;
      }
    } else notes.push(`the diff is over ${BASE_TREE_DIFF_LIMIT} bytes: no context from the base tree beyond the touched directories`);
    // the file's own reclaim history, through the commits API (best effort, bounded)
    const history = GitHubHistory.forOctokit(octokit, { owner: job.owner, repo: job.repo, baseSha: job.baseSha });
    await history.prepare([...new Set([...input.githubPatched, ...input.head.keys()])]);
    const started = process.hrtime.bigint();
    try {
      const out = await deps.pool.run({
        source: `${prName(job)}@${job.headSha.slice(0, 12)}`,
        pr: prName(job),
        title: job.title,
        body: job.body ?? "",
        diffText: input.diffText,
        plan,
        seriesDiffs,
        maxBytes: config.review.maxInputBytes,
        config: config.review,
        ruleIds: deps.rules.map((r) => r.meta.id),
        head: input.head,
        base: input.base,
        neighbours: input.neighbours,
        githubPatched: [...input.githubPatched],
        history: history.entries(),
        listing,
      });
      findings = out.findings;
      problems.push(...out.problems);
      for (const n of out.notes) if (!notes.includes(n)) notes.push(n);
      lines = new Map(Object.entries(out.lines).map(([p, ls]) => [p, new Set(ls)]));
      anchor = out.anchor;
      for (const [fp, c] of Object.entries(out.fromCommit)) fromCommit.set(fp, c);
    } catch (err) {
      if (!(err instanceof DeadlineError)) throw err;
      stopped = err;
    } finally {
      metrics().reviewSeconds.observe({ bot: "github" }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
  if (stopped) {
    // reported, not retried on its own: the check run says why; "Re-run" or a push tries again
    metrics().failures.inc({ bot: "github", kind: "deadline" });
    log.warn({ pr: prName(job), sha: job.headSha, deadlineMs: stopped.deadlineMs }, "review stopped at its deadline");
    if (run) {
      await completeCheckRun(octokit, job, run, "neutral", "Review stopped at its deadline", renderError(job.headSha, stopped.message + "; nothing was posted for this head. The patch may be very large or pathological", undefined), []);
    }
    return "stopped";
  }

  const [comments, reviews, issueComments, previous] = await Promise.all([
    octokit.paginate(octokit.rest.pulls.listReviewComments, { owner: job.owner, repo: job.repo, pull_number: job.number, per_page: 100 }) as Promise<ReviewCommentLike[]>,
    octokit.paginate(octokit.rest.pulls.listReviews, { owner: job.owner, repo: job.repo, pull_number: job.number, per_page: 100 }) as Promise<ReviewLike[]>,
    octokit.paginate(octokit.rest.issues.listComments, { owner: job.owner, repo: job.repo, issue_number: job.number, per_page: 100 }) as Promise<IssueCommentLike[]>,
    previousReport(octokit, job, deps.appId),
  ]);
  const botLogin = await deps.botLogin();
  const trust = await gatherTrust(octokit, job, job.author, botLogin, comments, issueComments, deps.perms, log);
  const state = readPullRequestState(comments, reviews, issueComments, trust);


  // Sort the findings into the summary's sections. Below the comment
  // threshold a finding is not hidden: it is a note in the check run.
  const current: Finding[] = [];
  const outside: Finding[] = [];
  const preExisting: Finding[] = [];
  const below: Finding[] = [];
  const suppressed: SummaryInput["suppressed"] = [];
  for (const f of findings) {
    let by = state.suppressed.get(f.fingerprint);
    const byAuthor = state.byAuthor.get(f.fingerprint);
    if (by === undefined && byAuthor !== undefined) {
      // the author (without write access) may silence what does not gate the check, when the repository allows it
      if (!gh.authorMaySuppress) problems.push(escapeGitHub(`${byAuthor} asked to ignore ${f.fingerprint}; github.authorMaySuppress is off here, so someone with write access has to`));
      else if (atLeast(f.severity, gh.failOn)) problems.push(escapeGitHub(`${byAuthor} asked to ignore ${f.fingerprint}, a ${f.severity} that fails this check (failOn: ${gh.failOn}); someone with write access has to`));
      else by = byAuthor;
    }
    if (by !== undefined) {
      suppressed.push({ fingerprint: f.fingerprint, title: escapeGitHub(`${f.rule} ${f.file ?? ""}${f.line ? ":" + f.line : ""}`.trim()), by });
      continue;
    }
    if (f.preExisting) preExisting.push(f);
    else if (!atLeast(f.severity, gh.minSeverity)) below.push(f);
    else if (f.file !== null && f.line !== null && lines.get(f.file)?.has(f.line)) current.push(f);
    else outside.push(f);
  }
  const now = new Set(findings.map((f) => f.fingerprint));
  const resolved = new Map<string, { fingerprint: string; title: string }>();
  for (const p of [...state.posted.values(), ...previous]) {
    if (now.has(p.fingerprint) || state.suppressed.has(p.fingerprint) || resolved.has(p.fingerprint)) continue;
    resolved.set(p.fingerprint, { fingerprint: p.fingerprint, title: p.title });
  }
  findings = [];

  // New inline comments: not posted before, not in the previous check run, at most maxInlineComments.
  const reportedBefore = new Set([...state.posted.keys(), ...previous.map((p) => p.fingerprint)]);
  const fresh = current.filter((f) => !reportedBefore.has(f.fingerprint));
  const inline = gh.checkOnly ? [] : fresh.slice(0, gh.maxInlineComments);
  const overflow = gh.checkOnly ? 0 : fresh.length - inline.length;
  const commented = new Set(state.posted.keys());

  // Without a check run, the review body has to carry what would have gone there.
  let bodyFindings: Finding[] = [];
  let bodyReason = "";
  if (!run && !gh.checkOnly) {
    bodyFindings = [...fresh.slice(inline.length), ...outside.filter((f) => !reportedBefore.has(f.fingerprint))];
    bodyReason = "This app may not write check runs here, so these are listed in the review:";
  }

  let outcome: JobOutcome = "done";
  let posted = 0;
  if (inline.length + bodyFindings.length > 0) {
    const res = await postReview(octokit, job, inline, overflow, bodyFindings, bodyReason, log);
    posted = res.inline;
    if (res.problem) problems.push(res.problem);
    if (res.transient) outcome = "failed";
    if (res.inline > 0) for (const f of inline) commented.add(f.fingerprint);
  }

  const summaryInput: SummaryInput = {
    headSha: job.headSha,
    // patch-derived words reach GitHub escaped (no mentions, links, images or forged markers)
    current: current.map(findingForGitHub),
    commented,
    outside: outside.map(findingForGitHub),
    preExisting: preExisting.map(findingForGitHub),
    resolved: [...resolved.values()],
    suppressed,
    below: below.map(findingForGitHub),
    minSeverity: gh.minSeverity,
    fromCommit,
    notes: notes.map(escapeGitHub),
    problems: problems.map(escapeGitHub),
    configOrigin: config.origin,
  };
  const newOnes = [...current, ...outside];
  const conclusion: "success" | "neutral" | "failure" = newOnes.some((f) => atLeast(f.severity, gh.failOn))
    ? "failure"
    : newOnes.length > 0 || problems.length > 0
      ? "neutral"
      : "success";
  const c = countBySeverity(newOnes);
  const title =
    newOnes.length === 0
      ? problems.length > 0
        ? "No findings; see problems"
        : "No memory-reclaim hazards found"
      : `${newOnes.length} finding${newOnes.length === 1 ? "" : "s"}: ${c.error} error, ${c.warning} warning, ${c.info} info`;
  const annotations = [
    ...[...current, ...outside, ...preExisting].map((f) => annotationOf(findingVisible(f), { anchor, commit: fromCommit.get(f.fingerprint) })),
    ...below.map((f) => annotationOf(findingVisible(f), { anchor, commit: fromCommit.get(f.fingerprint), level: "notice" })),
  ].filter((a): a is Annotation => a !== null);
  if (run) await completeCheckRun(octokit, job, run, conclusion, title, renderSummary(summaryInput), annotations);

  const result: ReviewOutcome = { findings: newOnes.length, inline: posted, conclusion, checkRunId: run?.id ?? null };
  log.info({ pr: prName(job), sha: job.headSha, delivery: job.deliveryId, ...result, resolved: resolved.size, suppressed: suppressed.length }, "reviewed");
  return outcome;
}

interface PostResult {
  inline: number;
  problem?: string;
  /** A failure worth retrying on redelivery (not a refusal). */
  transient?: boolean;
}

async function postReview(
  octokit: Octokit,
  job: PullRequestJob,
  inline: Finding[],
  overflow: number,
  bodyFindings: Finding[],
  bodyReason: string,
  log: Logger,
): Promise<PostResult> {
  const base = { owner: job.owner, repo: job.repo, pull_number: job.number, commit_id: job.headSha, event: "COMMENT" as const };
  const comments = inline.map((f) => ({ path: f.file!, line: f.line!, side: "RIGHT" as const, body: renderComment(findingForGitHub(f)) }));
  try {
    await octokit.rest.pulls.createReview({
      ...base,
      body: renderReviewBody({ headSha: job.headSha, inlineCount: inline.length, overflow, bodyFindings: bodyFindings.map(findingForGitHub), bodyReason }),
      ...(comments.length > 0 ? { comments } : {}),
    });
    return { inline: comments.length };
  } catch (err) {
    const status = statusOf(err);
    if (status === 422 && comments.length > 0) {
      // GitHub refused a line; it does not say which. Keep the findings, in the body.
      log.warn({ pr: prName(job), err: errorMessage(err) }, "inline comments refused (422); posting them in the review body");
      try {
        await octokit.rest.pulls.createReview({
          ...base,
          body: renderReviewBody({
            headSha: job.headSha,
            inlineCount: 0,
            overflow,
            bodyFindings: [...inline, ...bodyFindings].map(findingForGitHub),
            bodyReason: "GitHub did not accept these as line comments, so they are listed here:",
          }),
        });
        return { inline: 0, problem: `GitHub refused the inline comments (422: ${errorMessage(err).slice(0, 200)}); they were posted in the review body` };
      } catch (err2) {
        return { inline: 0, problem: `the review could not be posted: ${errorMessage(err2)}`, transient: !isForbidden(err2) };
      }
    }
    if (isForbidden(err)) {
      log.warn({ pr: prName(job) }, "no permission to post a review (read-only installation); the check run carries the findings");
      return { inline: 0, problem: "this installation may not post reviews here; the findings are in this check run only" };
    }
    return { inline: 0, problem: `the review could not be posted (${status ?? "network error"}): ${errorMessage(err).slice(0, 300)}`, transient: true };
  }
}

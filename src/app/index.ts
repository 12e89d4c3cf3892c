// The probot application: thin handlers that check the event, drop what was
// already handled (same X-GitHub-Delivery, same pull request head) and queue
// the work; the queue's workers do the reviews (job.ts) and acknowledge
// ignore commands (feedback.ts). The octokit of each event is probot's own
// (its throttling and retry plugins configured in api.ts); the repository
// config is read with the event's context.config() when the job runs.
import type { ApplicationFunction, Probot } from "probot";
import { errorMessage } from "../errors.js";
import type { KnowledgeBase } from "../knowledge/base.js";
import { loadKnowledge } from "../knowledge/load.js";
import { ALL_RULES } from "../rules/index.js";
import type { Rule } from "../types.js";
import { setDepthSource } from "../ops/metrics.js";
import { WorkerPool } from "../workers/pool.js";
import type { Logger, Octokit } from "./api.js";
import { loadAppConfig, type ConfigContext } from "./config.js";
import { PermissionCache, handleIgnore, type IgnoreRequest } from "./feedback.js";
import { handle as reviewInProcess, type AppReviewInput, type AppReviewOutput } from "./review-worker.js";
import { CHECK_NAME, prName, runReviewJob, type JobDeps, type PullRequestJob } from "./job.js";
import { DEFAULT_LIMITS, type Limits } from "./pr-input.js";
import { BoundedSet, WorkQueue } from "./queue.js";
import { builtDir, builtModule } from "../paths.js";

export const REVIEW_ACTIONS = ["opened", "synchronize", "reopened", "ready_for_review"] as const;

export interface AppOptions {
  /** Our GitHub App id: check runs of other apps with the same name are not ours. */
  appId: number | null;
  limits?: Limits;
  /** Reviews running at once. */
  concurrency?: number;
  /** Jobs waiting at most; past it webhooks are answered 503 (GitHub records the failure). */
  maxQueued?: number;
  /** Knowledge base and rules for reviews run in-process (workers: 0, or the TypeScript sources); worker threads load the bundled ones. */
  kb?: KnowledgeBase;
  rules?: readonly Rule[];
  /** Review worker threads (default 2; 0: in-process, without deadlines). */
  workers?: number;
  /** Milliseconds one review may run before it is stopped and reported (default 60 s). */
  deadlineMs?: number;
  /** Our bot account's login; default: asked of GitHub (GET /app) once. */
  botLogin?: string | null;
}

export const DEFAULT_DEADLINE_MS = 60_000;

export interface ReclaimApp {
  appFn: ApplicationFunction;
  queue: WorkQueue;
  pool: WorkerPool<AppReviewInput, AppReviewOutput>;
  /** True once the application function ran (knowledge loaded, handlers registered). */
  loaded(): boolean;
}

interface UserLike {
  login?: string;
  type?: string;
}

/** The fields of a pull request (webhook payload or pulls.get) a review needs. */
export interface PullLike {
  number: number;
  draft?: boolean | null;
  title?: string | null;
  body?: string | null;
  user?: UserLike | null;
  head: { sha: string };
  base: { sha: string };
}

export function jobFromPull(
  pr: PullLike,
  owner: string,
  repo: string,
  deliveryId: string,
  action: string,
  extra: { before?: string | null; senderIsBot?: boolean } = {},
): PullRequestJob {
  return {
    deliveryId,
    action,
    owner,
    repo,
    number: pr.number,
    headSha: pr.head.sha,
    baseSha: pr.base.sha,
    before: extra.before ?? null,
    draft: Boolean(pr.draft),
    author: pr.user?.login ?? null,
    authorIsBot: pr.user?.type === "Bot",
    senderIsBot: extra.senderIsBot ?? false,
    title: pr.title ?? "",
    body: pr.body ?? "",
  };
}

/** Builds the application function and the queue it feeds. */
export function createReclaimApp(opts: AppOptions): ReclaimApp {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const deliveries = new BoundedSet(20_000);
  let log: Logger = console as unknown as Logger;
  let loaded = false;
  const pool = new WorkerPool<AppReviewInput, AppReviewOutput>({
    // the compiled worker, also when this code runs from the CLI's bundle; from src/ (the tests) it runs in process
    script: builtDir() ? builtModule("app/review-worker.js") : new URL("./review-worker.ts", import.meta.url),
    size: opts.workers ?? 2,
    deadlineMs: opts.deadlineMs ?? DEFAULT_DEADLINE_MS,
    // in-process (the tests, workers: 0): the given rules and knowledge base
    inline: (input) => reviewInProcess(input, undefined, { rules: opts.rules, kb: opts.kb }),
  });
  const perms = new PermissionCache();
  const queue = new WorkQueue({
    concurrency: opts.concurrency ?? 4,
    maxQueued: opts.maxQueued ?? 500,
    onError: (job, err) => {
      // not marked handled: a redelivery of the same webhook tries again
      deliveries.delete(job.deliveryId);
      log.error({ delivery: job.deliveryId, key: job.serialKey, err: errorMessage(err) }, "job failed");
    },
  });

  setDepthSource("github", () => ({ queued: queue.stats.queued, running: queue.stats.running }));

  const appFn: ApplicationFunction = (app: Probot) => {
    log = app.log as unknown as Logger;
    // validates the knowledge base at start (worker threads load their own copy)
    if (!opts.kb) loadKnowledge();
    let login: Promise<string | null> | null = opts.botLogin !== undefined ? Promise.resolve(opts.botLogin) : null;
    const botLogin = (): Promise<string | null> => {
      login ??= (async () => {
        try {
          const jwt = await app.auth();
          const res = await jwt.request("GET /app");
          const slug = (res.data as { slug?: string }).slug;
          return slug ? `${slug}[bot]` : null;
        } catch (err) {
          log.warn({ err: errorMessage(err) }, "could not learn the app's bot account (GET /app); any bot account's marked comment is taken as ours");
          login = null; // asked again next time
          return null;
        }
      })();
      return login;
    };
    /** One logger per delivery: every line of a job carries its delivery id. */
    const forDelivery = (delivery: string): Logger => (typeof (log as { child?: unknown }).child === "function" ? (log as Logger & { child(b: object): Logger }).child({ delivery }) : log);
    const depsFor = (delivery: string): JobDeps => ({ appId: opts.appId, rules: opts.rules ?? ALL_RULES, limits, log: forDelivery(delivery), pool, perms, botLogin });
    loaded = true;
    const octokitOf = (context: { octokit: unknown }): Octokit => context.octokit as Octokit;
    const configOf = (context: ConfigContext) => (knownRules: readonly string[]) => loadAppConfig(context, knownRules);

    /** True when this delivery was handled already (a redelivery of a job that did not fail). */
    const seen = (id: string): boolean => {
      if (deliveries.has(id)) {
        log.info({ delivery: id }, "delivery already handled; ignored");
        return true;
      }
      return false;
    };

    app.on(
      REVIEW_ACTIONS.map((a) => `pull_request.${a}` as const),
      async (context) => {
        if (seen(context.id)) return;
        const p = context.payload;
        const pr = p.pull_request;
        const [owner, repo] = [p.repository.owner.login, p.repository.name];
        const job = jobFromPull(pr as unknown as PullLike, owner, repo, context.id, p.action, {
          before: p.action === "synchronize" ? ((p as { before?: string }).before ?? null) : null,
          senderIsBot: (p.sender as UserLike | undefined)?.type === "Bot",
        });
        const octokit = octokitOf(context);
        const accepted = queue.enqueue({
          serialKey: prName(job),
          dedupeKey: `${prName(job)}@${job.headSha}`,
          deliveryId: context.id,
          run: async () => {
            const outcome = await runReviewJob(octokit, job, depsFor(context.id), configOf(context));
            // a failed review may be redelivered (by hand or by the deliveries API) and is then tried again
            if (outcome === "failed") deliveries.delete(context.id);
            return outcome;
          },
        });
        deliveries.add(context.id);
        log.info({ delivery: context.id, pr: prName(job), sha: job.headSha, action: p.action, queued: accepted }, accepted ? "review queued" : "this head is already queued or reviewed");
      },
    );

    // "Re-run" on our check run: review that head again (the run is reused, nothing is posted twice).
    app.on("check_run.rerequested", async (context) => {
      if (seen(context.id)) return;
      const p = context.payload;
      const cr = p.check_run;
      if (cr.name !== CHECK_NAME || (opts.appId !== null && cr.app?.id !== undefined && cr.app.id !== opts.appId)) return;
      const [owner, repo] = [p.repository.owner.login, p.repository.name];
      const octokit = octokitOf(context);
      const known = cr.pull_requests?.[0]?.number;
      const serialKey = known !== undefined ? `${owner}/${repo}#${known}` : `${owner}/${repo}@${cr.head_sha}`;
      if (known !== undefined) queue.forget(`${serialKey}@${cr.head_sha}`);
      queue.enqueue({
        serialKey,
        deliveryId: context.id,
        run: async () => {
          let number: number | undefined = known;
          if (number === undefined) {
            // fork pull requests leave pull_requests[] empty: ask which pull requests hold the commit
            const prs = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: cr.head_sha });
            number = prs.data.find((x) => x.state === "open")?.number;
          }
          if (number === undefined) {
            log.info({ sha: cr.head_sha }, "re-run requested for a commit without an open pull request: nothing to review");
            return "skipped";
          }
          const pr = await octokit.rest.pulls.get({ owner, repo, pull_number: number });
          if (pr.data.head.sha !== cr.head_sha) {
            log.info({ pr: `${owner}/${repo}#${number}`, sha: cr.head_sha }, "re-run requested for an older head: the current head is reviewed by its own run");
            return "skipped";
          }
          return runReviewJob(octokit, jobFromPull(pr.data as unknown as PullLike, owner, repo, context.id, "rerequested"), depsFor(context.id), configOf(context));
        },
      });
      deliveries.add(context.id);
    });

    /** An ignore command is handled in order with the PR's reviews (same serial key). */
    const enqueueIgnore = (octokit: Octokit, req: IgnoreRequest, deliveryId: string) => {
      queue.enqueue({
        serialKey: `${req.owner}/${req.repo}#${req.number}`,
        deliveryId,
        run: async () => {
          await handleIgnore(octokit, req, { log: forDelivery(deliveryId), perms, botLogin: await botLogin() });
          return "done";
        },
      });
      deliveries.add(deliveryId);
    };

    app.on("pull_request_review_comment.created", async (context) => {
      if (seen(context.id)) return;
      const p = context.payload;
      const c = p.comment;
      if (c.in_reply_to_id === undefined || !/\/reclaim-review\s+ignore\b/i.test(c.body)) return;
      const octokit = octokitOf(context);
      const req = {
        kind: "review-comment" as const,
        owner: p.repository.owner.login,
        repo: p.repository.name,
        number: p.pull_request.number,
        commentId: c.id,
        inReplyTo: c.in_reply_to_id ?? null,
        body: c.body,
        user: c.user as { login: string; type?: string } | null,
        association: c.author_association,
        prAuthor: (p.pull_request.user as UserLike | null)?.login ?? null,
      };
      enqueueIgnore(octokit, req, context.id);
    });

    app.on("issue_comment.created", async (context) => {
      if (seen(context.id)) return;
      const p = context.payload;
      if (!p.issue.pull_request || !/\/reclaim-review\s+ignore\b/i.test(p.comment.body)) return;
      const octokit = octokitOf(context);
      const req = {
        kind: "issue-comment" as const,
        owner: p.repository.owner.login,
        repo: p.repository.name,
        number: p.issue.number,
        commentId: p.comment.id,
        inReplyTo: null,
        body: p.comment.body,
        user: p.comment.user as { login: string; type?: string } | null,
        association: p.comment.author_association,
        prAuthor: (p.issue.user as UserLike | null)?.login ?? null,
      };
      enqueueIgnore(octokit, req, context.id);
    });
  };

  return { appFn, queue, pool, loaded: () => loaded };
}

// End to end: the real `reclaim-review github` process, real signed HTTP
// webhooks, and a GitHub API double on loopback.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain JS test helper
import { GitHubDouble } from "./github-double.mjs";
// @ts-expect-error plain JS test helper
import { ROOT, checkRunPayload, fileRow, fixture, githubPatch, issueCommentPayload, prPayload, reviewCommentPayload, sendWebhook, startApp, until, logged } from "./harness.mjs";

const SECRET = "It's a Secret to Everybody";
const REPO = "demo/linux";
const PATH = "fs/demofs/inode.c";
const BASE = "b".repeat(40);
const sha = (c: string) => c.repeat(40);

interface Double {
  [k: string]: any;
}
interface App {
  url: string;
  logs: { msg: string; [k: string]: unknown }[];
  stop(): Promise<void>;
}

let api: Double;
let app: App;

async function boot(env: Record<string, string> = {}) {
  api = new GitHubDouble();
  const port = await api.start();
  app = await startApp({ apiPort: port, secret: SECRET, env });
}

async function shutdown() {
  await app?.stop();
  await api?.stop();
}

/** Declares PR `n` with head `head` whose inode.c is `after` (base: inode-base.c). */
function pull(n: number, head: string, after: string, extra: { files?: unknown[]; contents?: Record<string, string> } = {}) {
  const before = fixture("inode-base.c");
  api.setPull(REPO, n, {
    headSha: head,
    baseSha: BASE,
    files: [fileRow(PATH, before, after), ...(extra.files ?? [])],
    contents: { [`${head}:${PATH}`]: after, [`${BASE}:${PATH}`]: before, ...(extra.contents ?? {}) },
  });
}

/** A commit's diff as GitHub gives it with the diff media type. */
function gitDiff(path: string, before: string, after: string): string {
  return `diff --git a/${path} b/${path}\nindex 1111111..2222222 100644\n--- a/${path}\n+++ b/${path}\n${githubPatch(before, after, path)}\n`;
}

/** A commit message carrying a flush-dependency warning and its trace (written for these tests). */
const FLUSH_COMMIT = [
  "demofs: set WQ_MEM_RECLAIM on the sync queue",
  "",
  "Near ENOSPC the writeback flusher hits this:",
  "",
  "  workqueue: WQ_MEM_RECLAIM writeback:wb_workfn is flushing !WQ_MEM_RECLAIM demofs-sync/vdb:demofs_flush_worker",
  "  WARNING: CPU: 1 PID: 812 at kernel/workqueue.c:3706 check_flush_dependency+0x1d4/0x2a0",
  "  Workqueue: writeback wb_workfn (flush-253:16)",
  "  Call trace:",
  "   check_flush_dependency+0x1d4/0x2a0",
  "   __flush_work+0x1a8/0x2c0",
  "   demofs_flush_inodes+0x30/0x48",
  "   wb_workfn+0x2b4/0x4a0",
  "",
  "Give the sync queue a rescuer so the flush can make progress.",
  "",
  "Signed-off-by: Octo Cat <octocat@example.org>",
].join("\n");

function reviewsDone(pr: string, count = 1) {
  return until(() => logged(app, "reviewed", pr, count), 20_000, `${count} review(s) of ${pr}`);
}

describe("reclaim-review github (end to end)", () => {
  describe("a first review", () => {
    beforeAll(() => boot());
    afterAll(shutdown);

    it("posts one check run and one review with the comment on the added line, with a marker", async () => {
      const head = sha("1");
      pull(1, head, fixture("inode-nofs.c"));
      const res = await sendWebhook(app.url, "pull_request", prPayload({ number: 1, head, base: BASE }), { secret: SECRET });
      expect(res.status).toBe(200);
      await reviewsDone("demo/linux#1");

      const reviews = api.repo(REPO).reviews;
      expect(reviews).toHaveLength(1);
      expect(reviews[0].commit_id).toBe(head);
      const comments = api.botComments(REPO, 1);
      expect(comments).toHaveLength(1);
      const c = comments[0];
      expect(c.path).toBe(PATH);
      // the added mapping_set_gfp_mask() line of inode-nofs.c
      const lineNo = fixture("inode-nofs.c").split("\n").findIndex((l: string) => l.includes("mapping_set_gfp_mask")) + 1;
      expect(c.line).toBe(lineNo);
      expect(c.side).toBe("RIGHT");
      expect(c.body).toContain("mapping-gfp-mask");
      expect(c.body).toMatch(/<!-- reclaim-review:v1 fp=[0-9a-f]{16} -->\s*$/);

      const runs = api.checkRunsFor(REPO, head);
      expect(runs).toHaveLength(1);
      expect(runs[0].name).toBe("reclaim-review");
      expect(runs[0].status).toBe("completed");
      expect(runs[0].conclusion).toBe("neutral");
      expect(runs[0].output.summary).toContain("1 finding");
      expect(runs[0].annotations).toHaveLength(1);
      expect(runs[0].annotations[0]).toMatchObject({ path: PATH, start_line: lineNo, annotation_level: "warning" });
    });

    it("cites the file's own reclaim history from the commits API in the comment", async () => {
      const head = sha("4");
      const fixSha = "9".repeat(40);
      api.addCommit(REPO, { sha: fixSha, message: "demofs: use memalloc_nofs_save() around the inode lookup\n\nThe GFP_KERNEL allocation recursed into reclaim.", date: "2025-03-04T10:00:00Z", paths: [PATH] });
      api.addCommit(REPO, { sha: "8".repeat(40), message: "demofs: fix a typo", date: "2025-03-05T10:00:00Z", paths: [PATH] });
      api.addCommit(REPO, { sha: "7".repeat(40), message: "otherfs: GFP_NOFS deadlock fix", date: "2025-03-06T10:00:00Z", paths: ["fs/otherfs/a.c"] });
      pull(4, head, fixture("inode-nofs.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ number: 4, head, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#4");
      const listed = api.calls("GET", /^\/repos\/[^/]+\/[^/]+\/commits$/);
      expect(listed.length).toBeGreaterThan(0);
      expect(listed[0].query).toMatchObject({ path: PATH, sha: BASE });
      const body = api.botComments(REPO, 4)[0].body;
      expect(body).toContain("This file's own history:");
      expect(body).toContain(`[\`${fixSha.slice(0, 12)}\`](https://github.com/${REPO}/commit/${fixSha}) demofs: use memalloc\\_nofs\\_save() around the inode lookup`);
      expect(body).not.toContain("fix a typo");
      expect(body).not.toContain("otherfs");
    });

    it("refuses a forged signature with a 4xx and does nothing", async () => {
      const before = api.requests.length;
      const head = sha("2");
      pull(2, head, fixture("inode-nofs.c"));
      const res = await sendWebhook(app.url, "pull_request", prPayload({ number: 2, head, base: BASE }), { secret: SECRET, signature: "sha256=" + "0".repeat(64) });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const wrongKey = await sendWebhook(app.url, "pull_request", prPayload({ number: 2, head, base: BASE }), { secret: "not the secret" });
      expect(wrongKey.status).toBeGreaterThanOrEqual(400);
      expect(wrongKey.status).toBeLessThan(500);
      await new Promise((r) => setTimeout(r, 500));
      expect(api.requests.length).toBe(before);
      expect(api.checkRunsFor(REPO, head)).toHaveLength(0);
    });

    it("a redelivery (same X-GitHub-Delivery) repeats nothing", async () => {
      const head = sha("3");
      pull(3, head, fixture("inode-nofs.c"));
      const payload = prPayload({ number: 3, head, base: BASE });
      const first = await sendWebhook(app.url, "pull_request", payload, { secret: SECRET });
      await reviewsDone("demo/linux#3");
      const writes = api.requests.filter((r: { method: string }) => r.method !== "GET").length;
      const again = await sendWebhook(app.url, "pull_request", payload, { secret: SECRET, id: first.id });
      expect(again.status).toBe(200);
      // and a different delivery for the same head (reopened) is deduplicated too
      await sendWebhook(app.url, "pull_request", prPayload({ action: "reopened", number: 3, head, base: BASE }), { secret: SECRET });
      await new Promise((r) => setTimeout(r, 700));
      expect(api.requests.filter((r: { method: string }) => r.method !== "GET").length).toBe(writes);
      expect(api.botComments(REPO, 3)).toHaveLength(1);
      expect(api.checkRunsFor(REPO, head)).toHaveLength(1);
    });
  });

  describe("pushes, fixes and feedback", () => {
    beforeAll(() => boot());
    afterAll(shutdown);

    it("a synchronize that keeps the finding repeats nothing; a fix shows it as resolved", async () => {
      const h1 = sha("a");
      pull(10, h1, fixture("inode-nofs.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ number: 10, head: h1, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#10");
      expect(api.botComments(REPO, 10)).toHaveLength(1);
      const fp = /fp=([0-9a-f]+)/.exec(api.botComments(REPO, 10)[0].body)![1];

      const h2 = sha("c");
      pull(10, h2, fixture("inode-nofs-touched.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ action: "synchronize", number: 10, head: h2, base: BASE, before: h1 }), { secret: SECRET });
      await reviewsDone("demo/linux#10", 2);
      expect(api.repo(REPO).reviews.filter((r: { pull_number: number }) => r.pull_number === 10)).toHaveLength(1);
      expect(api.botComments(REPO, 10)).toHaveLength(1);
      const run2 = api.checkRunsFor(REPO, h2);
      expect(run2).toHaveLength(1);
      expect(run2[0].output.summary).toContain(fp);
      expect(run2[0].output.summary).not.toContain("### Resolved");

      const h3 = sha("d");
      pull(10, h3, fixture("inode-fixed.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ action: "synchronize", number: 10, head: h3, base: BASE, before: h2 }), { secret: SECRET });
      await reviewsDone("demo/linux#10", 3);
      const run3 = api.checkRunsFor(REPO, h3)[0];
      expect(run3.conclusion).toBe("success");
      expect(run3.output.summary).toContain("### Resolved");
      expect(run3.output.summary).toContain(fp);
      expect(run3.output.summary).toMatch(/1 resolved/);
      expect(api.botComments(REPO, 10)).toHaveLength(1);
    });

    it("a '/reclaim-review ignore' reply suppresses the finding on later pushes", async () => {
      const h1 = sha("e");
      pull(11, h1, fixture("inode-nofs.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ number: 11, head: h1, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#11");
      const bot = api.botComments(REPO, 11)[0];
      const fp = /fp=([0-9a-f]+)/.exec(bot.body)![1];

      // the PR author replies on the thread
      const reply = api.addReviewComment(REPO, 11, {
        body: "/reclaim-review ignore the backing file really is only written under our own lock",
        in_reply_to_id: bot.id,
        path: PATH,
        line: bot.line,
        user: { login: "octocat", type: "User" },
        author_association: "CONTRIBUTOR",
      });
      const res = await sendWebhook(app.url, "pull_request_review_comment", reviewCommentPayload({ number: 11, comment: reply }), { secret: SECRET });
      expect(res.status).toBe(200);
      await until(() => api.repo(REPO).reactions.some((r: { commentId: number }) => r.commentId === reply.id), 10_000, "acknowledgement");
      expect(api.repo(REPO).reactions.find((r: { commentId: number }) => r.commentId === reply.id).content).toBe("+1");

      // the same mistake moves to another file in the next push: still suppressed? no, different
      // fingerprint; the suppressed one must not be reported, the other one is
      const h2 = sha("f");
      const bmapBefore = fixture("bmap-base.c");
      const bmapAfter = fixture("bmap-nofs.c");
      pull(11, h2, fixture("inode-nofs-touched.c"), {
        files: [fileRow("fs/demofs/bmap.c", bmapBefore, bmapAfter)],
        contents: { [`${h2}:fs/demofs/bmap.c`]: bmapAfter },
      });
      await sendWebhook(app.url, "pull_request", prPayload({ action: "synchronize", number: 11, head: h2, base: BASE, before: h1 }), { secret: SECRET });
      await reviewsDone("demo/linux#11", 2);
      const run = api.checkRunsFor(REPO, h2)[0];
      expect(run.output.summary).toContain("### Suppressed on this pull request");
      expect(run.output.summary).toContain("@octocat");
      const findingLines = run.output.summary.split("### Suppressed")[0];
      expect(findingLines).not.toContain(fp);
      expect(run.annotations.map((a: { path: string }) => a.path)).toEqual(["fs/demofs/bmap.c"]);
      // the new finding is posted, the suppressed one is not
      const comments = api.botComments(REPO, 11);
      expect(comments).toHaveLength(2);
      expect(comments[1].path).toBe("fs/demofs/bmap.c");
    });

    it("an ignore from someone who is neither the author nor a collaborator is not honoured", async () => {
      const h1 = sha("5");
      pull(12, h1, fixture("inode-nofs.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ number: 12, head: h1, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#12");
      const bot = api.botComments(REPO, 12)[0];
      const reply = api.addReviewComment(REPO, 12, {
        body: "/reclaim-review ignore",
        in_reply_to_id: bot.id,
        path: PATH,
        line: bot.line,
        user: { login: "drive-by", type: "User" },
        author_association: "NONE",
      });
      await sendWebhook(app.url, "pull_request_review_comment", reviewCommentPayload({ number: 12, comment: reply }), { secret: SECRET });
      await until(() => app.logs.some((l) => /not honoured/.test(l.msg)), 10_000, "refusal");
      expect(api.repo(REPO).reactions.some((r: { commentId: number }) => r.commentId === reply.id)).toBe(false);
      const h2 = sha("6");
      pull(12, h2, fixture("inode-nofs-touched.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ action: "synchronize", number: 12, head: h2, base: BASE, before: h1 }), { secret: SECRET });
      await reviewsDone("demo/linux#12", 2);
      expect(api.checkRunsFor(REPO, h2)[0].output.summary).not.toContain("### Suppressed");
    });

    it("a thumbs-down from someone with write access suppresses it at the next review", async () => {
      const h1 = sha("7");
      pull(13, h1, fixture("inode-nofs.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ number: 13, head: h1, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#13");
      api.setPermission(REPO, "maint13", "write");
      api.addReaction(REPO, api.botComments(REPO, 13)[0].id, "maint13", "-1");
      const h2 = sha("8");
      pull(13, h2, fixture("inode-nofs-touched.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ action: "synchronize", number: 13, head: h2, base: BASE, before: h1 }), { secret: SECRET });
      await reviewsDone("demo/linux#13", 2);
      const run = api.checkRunsFor(REPO, h2)[0];
      expect(run.output.summary).toContain("thumbs-down");
      expect(run.conclusion).toBe("success");
      expect(run.annotations).toHaveLength(0);
    });
  });

  describe("configuration, limits and refusals", () => {
    beforeAll(() => boot());
    afterAll(shutdown);

    it("an invalid config gives a failing check run naming the key, and no review", async () => {
      api.setConfig(REPO, "github:\n  maxInlineComments: lots\n");
      const head = sha("9");
      pull(20, head, fixture("inode-nofs.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ number: 20, head, base: BASE }), { secret: SECRET });
      await until(() => api.checkRunsFor(REPO, head)[0]?.status === "completed", 10_000, "check run");
      const run = api.checkRunsFor(REPO, head)[0];
      expect(run.conclusion).toBe("failure");
      expect(run.output.title).toContain("github.maxInlineComments");
      expect(run.output.summary).toContain("`github.maxInlineComments`");
      expect(api.botComments(REPO, 20)).toHaveLength(0);

      api.setConfig(REPO, "rules:\n  no-such-rule: off\n");
      const h2 = sha("0");
      pull(20, h2, fixture("inode-nofs.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ action: "synchronize", number: 20, head: h2, base: BASE, before: head }), { secret: SECRET });
      await until(() => api.checkRunsFor(REPO, h2)[0]?.status === "completed", 10_000, "check run");
      expect(api.checkRunsFor(REPO, h2)[0].output.summary).toContain("`rules.no-such-rule`");
    });

    it("honours the config: rule off, checkOnly, maxInlineComments", async () => {
      api.setConfig(REPO, "github:\n  checkOnly: true\n");
      const h1 = sha("ab");
      pull(21, h1, fixture("inode-nofs.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ number: 21, head: h1, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#21");
      expect(api.repo(REPO).reviews.filter((r: { pull_number: number }) => r.pull_number === 21)).toHaveLength(0);
      expect(api.checkRunsFor(REPO, h1)[0].annotations).toHaveLength(1);

      api.setConfig(REPO, "rules:\n  mapping-gfp-mask: off\n");
      const h2 = sha("ac");
      pull(22, h2, fixture("inode-nofs.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ number: 22, head: h2, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#22");
      expect(api.checkRunsFor(REPO, h2)[0].conclusion).toBe("success");

      api.setConfig(REPO, "github:\n  maxInlineComments: 1\n");
      const h3 = sha("ad");
      const bmapBefore = fixture("bmap-base.c");
      const bmapAfter = fixture("bmap-nofs.c");
      pull(23, h3, fixture("inode-nofs.c"), { files: [fileRow("fs/demofs/bmap.c", bmapBefore, bmapAfter)], contents: { [`${h3}:fs/demofs/bmap.c`]: bmapAfter } });
      await sendWebhook(app.url, "pull_request", prPayload({ number: 23, head: h3, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#23");
      expect(api.botComments(REPO, 23)).toHaveLength(1);
      const review = api.repo(REPO).reviews.find((r: { pull_number: number }) => r.pull_number === 23);
      expect(review.body).toContain("1 more finding is listed in the `reclaim-review` check run");
      expect(api.checkRunsFor(REPO, h3)[0].output.summary).toContain("check run only");
      api.setConfig(REPO, null);
    });

    it("caps inline comments at 25 by default and sends annotations in batches of 50", async () => {
      const head = sha("c4");
      const before = fixture("inode-base.c");
      // 60 helpers (two rules, 30 each: a rule keeps at most 50 findings per patch): 30 inode
      // set-up helpers clearing __GFP_FS on their own mapping, 30 that restore a NOFS scope
      // with the cookie of a NOIO save
      const helpers =
        Array.from(
          { length: 30 },
          (_, i) => `\nstatic void demofs_init_mapping_${i}(struct inode *inode, gfp_t gfp)\n{\n\tmapping_set_gfp_mask(inode->i_mapping, gfp & ~__GFP_FS); /* variant ${i} */\n}\n`,
        ).join("") +
        Array.from(
          { length: 30 },
          (_, i) => `\nstatic void demofs_sync_meta_${i}(struct inode *inode)\n{\n\tunsigned int noio = memalloc_noio_save();\n\n\tdemofs_write_meta(inode);\n\tmemalloc_nofs_restore(noio); /* variant ${i} */\n}\n`,
        ).join("");
      const after = before + helpers;
      pull(34, head, after);
      await sendWebhook(app.url, "pull_request", prPayload({ number: 34, head, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#34");
      expect(api.botComments(REPO, 34)).toHaveLength(25);
      const review = api.repo(REPO).reviews.find((r: { pull_number: number }) => r.pull_number === 34);
      expect(review.body).toContain("35 more findings are listed in the `reclaim-review` check run");
      const run = api.checkRunsFor(REPO, head)[0];
      // the 60 warnings and errors, and one notice (scope-conversion's info on the NOIO saves)
      expect(run.annotations).toHaveLength(61);
      const patches = api.calls("PATCH", new RegExp(`/check-runs/${run.id}$`));
      expect(patches.map((p: { body: { output: { annotations?: unknown[] } } }) => p.body.output.annotations?.length)).toEqual([50, 11]);
      expect(run.output.summary.match(/check run only/g)).toHaveLength(36); // 35 warnings and errors past the cap, and the notice
    });

    it("skips drafts and bot authors unless configured", async () => {
      const h1 = sha("ae");
      pull(24, h1, fixture("inode-nofs.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ number: 24, head: h1, base: BASE, draft: true }), { secret: SECRET });
      await until(() => app.logs.some((l) => /draft pull request skipped/.test(l.msg)), 10_000, "draft skip");
      expect(api.checkRunsFor(REPO, h1)).toHaveLength(0);
      // ready for review: the same head is reviewed now
      await sendWebhook(app.url, "pull_request", prPayload({ action: "ready_for_review", number: 24, head: h1, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#24");
      expect(api.botComments(REPO, 24)).toHaveLength(1);

      const h2 = sha("af");
      pull(25, h2, fixture("inode-nofs.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ number: 25, head: h2, base: BASE, author: "dependabot[bot]", authorType: "Bot" }), { secret: SECRET });
      await until(() => app.logs.some((l) => /from a bot skipped/.test(l.msg)), 10_000, "bot skip");
      expect(api.checkRunsFor(REPO, h2)).toHaveLength(0);
    });

    it("a file GitHub gives no patch for is diffed from its versions and reported outside the diff, never inline", async () => {
      const head = sha("ba");
      const before = fixture("inode-base.c");
      const after = fixture("inode-nofs.c");
      api.setPull(REPO, 26, {
        headSha: head,
        baseSha: BASE,
        files: [fileRow(PATH, before, after, { withPatch: false })],
        contents: { [`${head}:${PATH}`]: after, [`${BASE}:${PATH}`]: before },
      });
      await sendWebhook(app.url, "pull_request", prPayload({ number: 26, head, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#26");
      expect(api.calls("POST", /\/pulls\/26\/reviews$/).filter((r: { status: number }) => r.status === 422)).toHaveLength(0);
      expect(api.botComments(REPO, 26)).toHaveLength(0);
      const run = api.checkRunsFor(REPO, head)[0];
      expect(run.output.summary).toContain("### Outside the diff");
      expect(run.annotations).toHaveLength(1);
    });

    it("waits out a secondary rate limit with retry-after, then posts once", async () => {
      const head = sha("bb");
      pull(27, head, fixture("inode-nofs.c"));
      api.failOnce("POST", /\/pulls\/27\/reviews$/, 403, { "retry-after": "1" }, { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." });
      await sendWebhook(app.url, "pull_request", prPayload({ number: 27, head, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#27");
      const posts = api.calls("POST", /\/pulls\/27\/reviews$/);
      expect(posts.map((p: { status: number }) => p.status)).toEqual([403, 200]);
      expect(posts[1].at - posts[0].at).toBeGreaterThanOrEqual(950);
      expect(api.botComments(REPO, 27)).toHaveLength(1);
      expect(api.checkRunsFor(REPO, head)[0].conclusion).toBe("neutral");
    });

    it("waits for x-ratelimit-reset when the primary quota is used up", async () => {
      const head = sha("bc");
      pull(28, head, fixture("inode-nofs.c"));
      const reset = String(Math.ceil(Date.now() / 1000) + 1);
      api.failOnce("GET", /\/pulls\/28\/files$/, 403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset }, { message: "API rate limit exceeded for installation ID 4242." });
      await sendWebhook(app.url, "pull_request", prPayload({ number: 28, head, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#28");
      const gets = api.calls("GET", /\/pulls\/28\/files$/);
      expect(gets.map((p: { status: number }) => p.status)).toEqual([403, 200]);
      expect(gets[1].at).toBeGreaterThanOrEqual(Number(reset) * 1000);
      expect(api.botComments(REPO, 28)).toHaveLength(1);
    });

    it("reports a write that keeps failing in the check run instead of dropping it", async () => {
      const head = sha("bd");
      pull(29, head, fixture("inode-nofs.c"));
      api.failOnce("POST", /\/pulls\/29\/reviews$/, 502, {}, { message: "Bad Gateway" }, 10);
      await sendWebhook(app.url, "pull_request", prPayload({ number: 29, head, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#29");
      expect(api.calls("POST", /\/pulls\/29\/reviews$/)).toHaveLength(4); // 1 + 3 retries
      const run = api.checkRunsFor(REPO, head)[0];
      expect(run.output.summary).toContain("### Problems");
      expect(run.output.summary).toMatch(/review could not be posted \(502\)/);
    });

    it("a failure before anything is known is still reported in a check run, and a redelivery retries it", async () => {
      const head = sha("c3");
      pull(33, head, fixture("inode-nofs.c"));
      api.failOnce("GET", /\/pulls\/33\/files$/, 500, {}, { message: "Server Error" }, 4);
      const first = await sendWebhook(app.url, "pull_request", prPayload({ number: 33, head, base: BASE }), { secret: SECRET });
      await until(() => api.checkRunsFor(REPO, head)[0]?.status === "completed", 10_000, "check run");
      const run = api.checkRunsFor(REPO, head)[0];
      expect(run.conclusion).toBe("neutral");
      expect(run.output.title).toBe("Review did not finish");
      expect(run.output.summary).toContain("GitHub answered 500");
      // the delivery is marked unhandled when the failed job returns, a moment after its check run: resend until taken
      await until(
        async () => {
          await sendWebhook(app.url, "pull_request", prPayload({ number: 33, head, base: BASE }), { secret: SECRET, id: first.id });
          await new Promise((r) => setTimeout(r, 100));
          return app.logs.filter((l) => l.delivery === first.id && l.msg === "review queued").length >= 2;
        },
        10_000,
        "the redelivery to be taken",
      );
      await reviewsDone("demo/linux#33");
      expect(api.checkRunsFor(REPO, head)).toHaveLength(1);
      expect(api.checkRunsFor(REPO, head)[0].conclusion).toBe("neutral");
      expect(api.checkRunsFor(REPO, head)[0].output.title).toContain("1 finding");
      expect(api.botComments(REPO, 33)).toHaveLength(1);
    });

    it("falls back to the review body when GitHub refuses the inline comments (422)", async () => {
      const head = sha("be");
      pull(30, head, fixture("inode-nofs.c"));
      api.failOnce("POST", /\/pulls\/30\/reviews$/, 422, {}, { message: "Unprocessable Entity", errors: ["Pull request review thread line must be part of the diff"] });
      await sendWebhook(app.url, "pull_request", prPayload({ number: 30, head, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#30");
      const reviews = api.repo(REPO).reviews.filter((r: { pull_number: number }) => r.pull_number === 30);
      expect(reviews).toHaveLength(1);
      expect(reviews[0].body).toMatch(/reclaim-review:v1 fp=/);
      // a later push does not post it again inline: the body marker counts as posted
      const h2 = sha("bf");
      pull(30, h2, fixture("inode-nofs-touched.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ action: "synchronize", number: 30, head: h2, base: BASE, before: head }), { secret: SECRET });
      await reviewsDone("demo/linux#30", 2);
      expect(api.botComments(REPO, 30)).toHaveLength(0);
      expect(api.repo(REPO).reviews.filter((r: { pull_number: number }) => r.pull_number === 30)).toHaveLength(1);
    });

    it("a refused review (403, not a rate limit) leaves the findings in the check run and says so", async () => {
      const head = sha("c2");
      pull(32, head, fixture("inode-nofs.c"));
      api.failOnce("POST", /\/pulls\/32\/reviews$/, 403, {}, { message: "Resource not accessible by integration" });
      await sendWebhook(app.url, "pull_request", prPayload({ number: 32, head, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#32");
      expect(api.calls("POST", /\/pulls\/32\/reviews$/)).toHaveLength(1); // not retried
      const run = api.checkRunsFor(REPO, head)[0];
      expect(run.annotations).toHaveLength(1);
      expect(run.output.summary).toContain("may not post reviews here");
    });

    it("a read-only installation (checks refused) still gets its findings into the review", async () => {
      const head = sha("c1");
      pull(31, head, fixture("inode-nofs.c"));
      api.failOnce("POST", /\/check-runs$/, 403, {}, { message: "Resource not accessible by integration" });
      await sendWebhook(app.url, "pull_request", prPayload({ number: 31, head, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#31");
      expect(api.checkRunsFor(REPO, head)).toHaveLength(0);
      expect(api.botComments(REPO, 31)).toHaveLength(1);
    });
  });

  describe("re-runs, conversation commands, pagination", () => {
    beforeAll(() => boot());
    afterAll(shutdown);

    it("'Re-run' on the check run finishes what failed, in the same run, without repeating anything", async () => {
      const head = sha("d1");
      pull(40, head, fixture("inode-nofs.c"));
      api.failOnce("POST", /\/pulls\/40\/reviews$/, 503, {}, { message: "Service Unavailable" }, 4);
      await sendWebhook(app.url, "pull_request", prPayload({ number: 40, head, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#40");
      expect(api.botComments(REPO, 40)).toHaveLength(0);
      const run = api.checkRunsFor(REPO, head)[0];
      expect(run.output.summary).toContain("review could not be posted");

      await sendWebhook(app.url, "check_run", checkRunPayload({ checkRunId: run.id, head, number: 40 }), { secret: SECRET });
      await reviewsDone("demo/linux#40", 2);
      expect(api.botComments(REPO, 40)).toHaveLength(1);
      const runs = api.checkRunsFor(REPO, head);
      expect(runs).toHaveLength(1);
      expect(runs[0].annotations).toHaveLength(1); // not appended twice
      expect(runs[0].output.summary).not.toContain("### Problems");

      // a fork PR's run has no pull_requests[]: found through the commit
      await sendWebhook(app.url, "check_run", checkRunPayload({ checkRunId: run.id, head }), { secret: SECRET });
      await reviewsDone("demo/linux#40", 3);
      expect(api.botComments(REPO, 40)).toHaveLength(1);
      expect(api.checkRunsFor(REPO, head)).toHaveLength(1);
    });

    it("'/reclaim-review ignore <fingerprint>' in the conversation suppresses it", async () => {
      const h1 = sha("d2");
      pull(41, h1, fixture("inode-nofs.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ number: 41, head: h1, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#41");
      const fp = /fp=([0-9a-f]+)/.exec(api.botComments(REPO, 41)[0].body)![1];
      api.setPermission(REPO, "maintainer", "maintain");
      const c = api.addIssueComment(REPO, 41, { body: `/reclaim-review ignore ${fp} intended: the mapping is private to the daemon`, user: { login: "maintainer", type: "User" }, author_association: "MEMBER" });
      await sendWebhook(app.url, "issue_comment", issueCommentPayload({ number: 41, comment: c }), { secret: SECRET });
      await until(() => api.repo(REPO).reactions.some((r: { commentId: number }) => r.commentId === c.id), 10_000, "acknowledgement");
      const h2 = sha("d3");
      pull(41, h2, fixture("inode-nofs-touched.c"));
      await sendWebhook(app.url, "pull_request", prPayload({ action: "synchronize", number: 41, head: h2, base: BASE, before: h1 }), { secret: SECRET });
      await reviewsDone("demo/linux#41", 2);
      const run = api.checkRunsFor(REPO, h2)[0];
      expect(run.conclusion).toBe("success");
      expect(run.output.summary).toContain("@maintainer");
    });

    it("fetches the touched directory's other C files, so source-aware rules see the workqueue flags", async () => {
      const head = sha("d5");
      const before = fixture("io-base.c");
      const after = fixture("io-flush.c");
      api.setPull(REPO, 43, {
        headSha: head,
        baseSha: BASE,
        files: [fileRow("fs/demofs/io.c", before, after)],
        contents: { [`${head}:fs/demofs/io.c`]: after, [`${head}:fs/demofs/super.c`]: fixture("super.c") },
      });
      await sendWebhook(app.url, "pull_request", prPayload({ number: 43, head, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#43");
      expect(api.calls("GET", /\/contents\/fs%2Fdemofs$|\/contents\/fs\/demofs$/).filter((r: { query: { ref?: string } }) => r.query.ref === head)).toHaveLength(1);
      const comments = api.botComments(REPO, 43);
      expect(comments).toHaveLength(1);
      expect(comments[0].body).toContain("wq-flush-dependency");
      expect(comments[0].body).toContain("cleanup_wq");
      expect(comments[0].line).toBe(after.split("\n").findIndex((l: string) => l.includes("flush_workqueue")) + 1);
    });

    it("reads the commits: an empty description, a flush warning in the commit message -> the inline warning, and an info finding as a notice annotation", async () => {
      const head = sha("f1");
      const SUPER = "fs/demofs/super.c";
      const before = fixture("sync-base.c");
      const after = fixture("sync-reclaim.c");
      api.setPull(REPO, 60, {
        headSha: head,
        baseSha: BASE,
        files: [fileRow(SUPER, before, after)],
        contents: { [`${head}:${SUPER}`]: after, [`${BASE}:${SUPER}`]: before },
        commits: [{ sha: head, message: FLUSH_COMMIT, diff: gitDiff(SUPER, before, after) }],
      });
      await sendWebhook(app.url, "pull_request", prPayload({ number: 60, head, base: BASE, title: "demofs: set WQ_MEM_RECLAIM on the sync queue", body: "" }), { secret: SECRET });
      await reviewsDone("demo/linux#60");
      expect(api.calls("GET", /\/pulls\/60\/commits$/)).toHaveLength(1);
      const comments = api.botComments(REPO, 60);
      expect(comments).toHaveLength(1);
      expect(comments[0].body).toMatch(/^\*\*warning\*\* · `wq-mem-reclaim-added`/);
      expect(comments[0].line).toBe(after.split("\n").findIndex((l: string) => l.includes("WQ_FREEZABLE | WQ_MEM_RECLAIM")) + 1);
      const run = api.checkRunsFor(REPO, head)[0];
      // the commit-message finding is info: not hidden, a notice on the first changed line
      const notices = run.annotations.filter((a: { annotation_level: string }) => a.annotation_level === "notice");
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatchObject({ path: SUPER });
      expect(notices[0].title).toMatch(/^flush-warning-quoted \(commit message\)$/);
      expect(run.output.summary).toContain("### Notes below warning");
      expect(run.output.summary).not.toContain("not shown");
      expect(run.annotations.filter((a: { annotation_level: string }) => a.annotation_level === "warning")).toHaveLength(1);
    });

    it("reviews a pull request of several commits as a series: each commit's own diff and message, the lines mapped to the head", async () => {
      const head = sha("f3");
      const first = "f2".repeat(20);
      const SUPER = "fs/demofs/super.c";
      const sBefore = fixture("sync-base.c");
      const sAfter = fixture("sync-reclaim.c");
      const iBefore = fixture("inode-base.c");
      const iAfter = fixture("inode-nofs.c");
      api.setPull(REPO, 61, {
        headSha: head,
        baseSha: BASE,
        files: [fileRow(SUPER, sBefore, sAfter), fileRow(PATH, iBefore, iAfter)],
        contents: { [`${head}:${SUPER}`]: sAfter, [`${head}:${PATH}`]: iAfter, [`${BASE}:${SUPER}`]: sBefore, [`${BASE}:${PATH}`]: iBefore },
        commits: [
          { sha: first, message: "demofs: keep page cache allocations out of the filesystem\n\nSigned-off-by: Octo Cat <octocat@example.org>", diff: gitDiff(PATH, iBefore, iAfter) },
          { sha: head, message: FLUSH_COMMIT, diff: gitDiff(SUPER, sBefore, sAfter) },
        ],
      });
      await sendWebhook(app.url, "pull_request", prPayload({ number: 61, head, base: BASE, title: "demofs: two fixes", body: "" }), { secret: SECRET });
      await reviewsDone("demo/linux#61");
      // each commit's diff came from the API
      expect(api.calls("GET", new RegExp(`/commits/${first}$`))).toHaveLength(1);
      expect(api.calls("GET", new RegExp(`/commits/${head}$`))).toHaveLength(1);
      const comments = api.botComments(REPO, 61);
      expect(comments.map((c: { path: string }) => c.path).sort()).toEqual([PATH, SUPER].sort());
      expect(comments.find((c: { path: string }) => c.path === SUPER).body).toContain("wq-mem-reclaim-added");
      const run = api.checkRunsFor(REPO, head)[0];
      // the second commit's message was read: its flush warning is a note, said to come from that commit
      const notice = run.annotations.find((a: { annotation_level: string }) => a.annotation_level === "notice");
      expect(notice.title).toBe(`flush-warning-quoted (commit message of commit ${head.slice(0, 12)})`);
      expect(run.output.summary).toContain(`in commit ${first.slice(0, 12)}`);
    });

    it("in a series, a finding on a line a later commit moved is commented on its line in the head", async () => {
      const head = sha("f5");
      const first = "f4".repeat(20);
      const iBefore = fixture("inode-base.c");
      const iMid = fixture("inode-nofs.c");
      const lines = iMid.split("\n");
      const iHead = [lines[0], "/* demofs keeps its page cache out of reclaim recursion */", "", ...lines.slice(1)].join("\n");
      api.setPull(REPO, 62, {
        headSha: head,
        baseSha: BASE,
        files: [fileRow(PATH, iBefore, iHead)],
        contents: { [`${head}:${PATH}`]: iHead, [`${BASE}:${PATH}`]: iBefore },
        commits: [
          { sha: first, message: "demofs: clear __GFP_FS in the inode mapping", diff: gitDiff(PATH, iBefore, iMid) },
          { sha: head, message: "demofs: say why at the top of the file", diff: gitDiff(PATH, iMid, iHead) },
        ],
      });
      await sendWebhook(app.url, "pull_request", prPayload({ number: 62, head, base: BASE, title: "demofs: inode mapping", body: "" }), { secret: SECRET });
      await reviewsDone("demo/linux#62");
      const comments = api.botComments(REPO, 62);
      expect(comments).toHaveLength(1);
      expect(comments[0].body).toContain("mapping-gfp-mask");
      expect(comments[0].line).toBe(iHead.split("\n").findIndex((l: string) => l.includes("mapping_set_gfp_mask")) + 1);
      expect(comments[0].line).not.toBe(iMid.split("\n").findIndex((l: string) => l.includes("mapping_set_gfp_mask")) + 1);
    });

    it("lists the base commit once for every pull request on it, and fetches what the patch calls from there", async () => {
      const before = fixture("io-base.c");
      const after = before.replace(/\n}\n*$/, "\n\tdemofs_journal_force(NULL);\n}\n");
      const journal = "void demofs_journal_force(void *log)\n{\n}\n";
      const BASE2 = "5c".repeat(20);
      const blobs0 = api.calls("GET", /\/git\/blobs\//).length;
      for (const [n, head] of [[44, "5a".repeat(20)], [45, "5b".repeat(20)]] as const) {
        api.setPull(REPO, n, {
          headSha: head,
          baseSha: BASE2,
          files: [fileRow("fs/demofs/io.c", before, after)],
          contents: { [`${head}:fs/demofs/io.c`]: after, [`${BASE2}:fs/demofs/io.c`]: before, [`${BASE2}:fs/journal/demofs_journal.c`]: journal },
        });
        await sendWebhook(app.url, "pull_request", prPayload({ number: n, head: head, base: BASE2 }), { secret: SECRET });
        await reviewsDone(`demo/linux#${n}`);
      }
      expect(api.calls("GET", new RegExp(`/git/trees/${BASE2}$`))).toHaveLength(1);
      // the file named like the called function, in another directory, read by blob id (once)
      expect(api.calls("GET", /\/git\/blobs\//).length - blobs0).toBe(1);
    });

    it("reads every page of a large pull request's files", async () => {
      const head = sha("d4");
      const filler = Array.from({ length: 130 }, (_, i) => ({ filename: `Documentation/demo/${i}.txt`, status: "modified", additions: 1, deletions: 1, changes: 2, patch: "@@ -1 +1 @@\n-old\n+new" }));
      const before = fixture("inode-base.c");
      const after = fixture("inode-nofs.c");
      api.setPull(REPO, 42, { headSha: head, baseSha: BASE, files: [...filler, fileRow(PATH, before, after)], contents: { [`${head}:${PATH}`]: after } });
      await sendWebhook(app.url, "pull_request", prPayload({ number: 42, head, base: BASE }), { secret: SECRET });
      await reviewsDone("demo/linux#42");
      expect(api.calls("GET", /\/pulls\/42\/files$/).length).toBe(2);
      expect(api.botComments(REPO, 42)).toHaveLength(1);
      expect(api.botComments(REPO, 42)[0].path).toBe(PATH);
    });
  });

  describe("a full queue", () => {
    beforeAll(() => boot({ RECLAIM_CONCURRENCY: "1", RECLAIM_MAX_QUEUED: "1" }));
    afterAll(shutdown);

    it("answers 503 past the bound, so the delivery can be redelivered, and loses nothing", async () => {
      api.delayMs = 150;
      const heads = [sha("e1"), sha("e2"), sha("e3")];
      heads.forEach((h, i) => pull(50 + i, h, fixture("inode-nofs.c")));
      const first = await sendWebhook(app.url, "pull_request", prPayload({ number: 50, head: heads[0], base: BASE }), { secret: SECRET });
      await until(() => app.logs.some((l) => l.msg === "review queued" && l.pr === "demo/linux#50"), 5000, "first queued");
      const second = await sendWebhook(app.url, "pull_request", prPayload({ number: 51, head: heads[1], base: BASE }), { secret: SECRET });
      const third = await sendWebhook(app.url, "pull_request", prPayload({ number: 52, head: heads[2], base: BASE }), { secret: SECRET });
      expect([first.status, second.status, third.status]).toEqual([200, 200, 503]);
      expect(third.text).toContain("queue is full");
      await reviewsDone("demo/linux#51");
      api.delayMs = 0;
      const again = await sendWebhook(app.url, "pull_request", prPayload({ number: 52, head: heads[2], base: BASE }), { secret: SECRET, id: third.id });
      expect(again.status).toBe(200);
      await reviewsDone("demo/linux#52");
      for (const [i, h] of heads.entries()) {
        expect(api.checkRunsFor(REPO, h)).toHaveLength(1);
        expect(api.botComments(REPO, 50 + i)).toHaveLength(1);
      }
    });
  });

  it("refuses to start without WEBHOOK_SECRET", async () => {
    const { spawnSync: run } = await import("node:child_process");
    const r = run(process.execPath, ["bin/reclaim-review.js", "github"], { cwd: ROOT, env: { PATH: process.env.PATH, APP_ID: "1", PRIVATE_KEY: "x" }, encoding: "utf8", timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("WEBHOOK_SECRET");
  });
});

// The GitHub App attacked as a security reviewer would, with real processes:
// the real `reclaim-review github`, real signed (and forged) HTTP webhooks,
// the GitHub API double on loopback.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain JS test helper
import { GitHubDouble } from "../app/github-double.mjs";
// @ts-expect-error plain JS test helper
import { ROOT, fileRow, fixture, prPayload, reviewCommentPayload, sendWebhook, sign, startApp, until, logged } from "../app/harness.mjs";

const SECRET = "hostile-secret";
const REPO = "demo/linux";
const PATH = "fs/demofs/inode.c";
const BASE = "b".repeat(40);
const sha = (c: string) => c.repeat(40).slice(0, 40);

interface App {
  url: string;
  pid: number;
  logs: { msg: string; [k: string]: unknown }[];
  stop(): Promise<void>;
}

/** Peak resident memory of a process (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** POSTs `total` bytes of JSON-looking body in 1 MB chunks; with `chunked`, without a Content-Length. Resolves with the status. */
/**
 * Streams a huge body. The app answers 413 and closes the connection; when the close reaches the client while it is
 * still writing, the write fails (EPIPE, ECONNRESET) before the response is read: `closedEarly` says so, with how much
 * had been sent (less than the body: the app stopped reading).
 */
function postHuge(url: string, total: number, chunked: boolean): Promise<{ status: number; sent: number; closedEarly?: boolean }> {
  return new Promise((resolve, reject) => {
    const u = new URL(`${url}/api/github/webhooks`);
    const headers: Record<string, string | number> = {
      "content-type": "application/json",
      "x-github-event": "pull_request",
      "x-github-delivery": "11111111-2222-4333-8444-555555555555",
      "x-hub-signature-256": "sha256=" + "0".repeat(64),
    };
    if (!chunked) headers["content-length"] = total;
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers });
    let sent = 0;
    let status = 0;
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    req.on("response", (res) => {
      status = res.statusCode ?? 0;
      res.resume();
      res.on("end", () => resolve({ status, sent }));
    });
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (status) resolve({ status, sent });
      else if (e.code === "EPIPE" || e.code === "ECONNRESET") resolve({ status: 0, sent, closedEarly: true });
      else reject(e);
    });
    const pump = () => {
      while (sent < total && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      req.end();
    };
    req.write("{");
    pump();
  });
}


describe("hostile webhooks against the real app", () => {
  let api: any;
  let app: App;
  beforeAll(async () => {
    api = new GitHubDouble();
    const port = await api.start();
    app = await startApp({ apiPort: port, secret: SECRET, env: { RECLAIM_REVIEW_DEADLINE_MS: "20000" } });
    await until(async () => (await fetch(`${app.url}/readyz`)).status === 200, 20_000, "readiness");
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await api?.stop();
  });

  it("refuses a 120 MB body with a wrong signature (by Content-Length and streamed) without buffering it", async () => {
    const before = peakRssMb(app.pid);
    // refused: a 413, or the connection closed by the app before the body was all sent (the write raced the close)
    const refused = (r: { status: number; sent: number; closedEarly?: boolean }) => r.status === 413 || (r.closedEarly === true && r.sent < 120 * 1024 * 1024);
    const declared = await postHuge(app.url, 120 * 1024 * 1024, false);
    expect(refused(declared), JSON.stringify(declared)).toBe(true);
    const streamed = await postHuge(app.url, 120 * 1024 * 1024, true);
    expect(refused(streamed), JSON.stringify(streamed)).toBe(true);
    const peak = peakRssMb(app.pid);
    console.log(`peak RSS of the app: ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB after two 120 MB bodies`);
    expect(peak).toBeLessThan(300);
    // the app still answers, and a body under the limit still reaches probot's signature check
    expect((await fetch(`${app.url}/ping`)).status).toBe(200);
    const forged = await sendWebhook(app.url, "pull_request", { action: "opened" }, { secret: SECRET, signature: "sha256=" + "1".repeat(64) });
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect(forged.status).toBeLessThan(500);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/reclaim_webhook_bodies_refused_total\{reason="content-length"\} 1/);
    expect(metrics).toMatch(/reclaim_webhook_bodies_refused_total\{reason="streamed"\} 1/);
  }, 120_000);

  it("answers /ping and reviews another repository's pull request while a long review runs", async () => {
    // a shrinker hunk with one 200 KB identifier line: slow for the rules as they stand
    const before = "static unsigned long demo_shrink_scan(struct shrinker *s, struct shrink_control *sc)\n{\n\treturn 0;\n}\n";
    const after = `static unsigned long demo_shrink_scan(struct shrinker *s, struct shrink_control *sc)\n{\n\t${"a".repeat(200_000)}(sc->gfp_mask & __GFP_FS);\n\treturn 0;\n}\n`;
    const slowHead = sha("51");
    api.setPull("demo/slow", 1, { headSha: slowHead, baseSha: BASE, files: [fileRow("mm/demo_shrink.c", before, after)], contents: {} });
    const fastHead = sha("52");
    const fastBefore = fixture("inode-base.c");
    api.setPull("demo/other", 2, { headSha: fastHead, baseSha: BASE, files: [fileRow(PATH, fastBefore, fixture("inode-nofs.c"))], contents: { [`${fastHead}:${PATH}`]: fixture("inode-nofs.c"), [`${BASE}:${PATH}`]: fastBefore } });

    const t0 = Date.now();
    const slow = await sendWebhook(app.url, "pull_request", prPayload({ repo: "slow", number: 1, head: slowHead, base: BASE }), { secret: SECRET });
    expect(slow.status).toBe(200);
    // wait until the slow review is in a worker
    await until(() => app.logs.some((l) => l.msg === "review queued" && l.pr === "demo/slow#1"), 10_000, "slow review queued");
    await new Promise((r) => setTimeout(r, 300));
    const pings: number[] = [];
    for (let i = 0; i < 10; i++) {
      const p0 = performance.now();
      const r = await fetch(`${app.url}/ping`);
      expect(await r.text()).toBe("PONG");
      pings.push(performance.now() - p0);
    }
    const fast = await sendWebhook(app.url, "pull_request", prPayload({ repo: "other", number: 2, head: fastHead, base: BASE }), { secret: SECRET });
    expect(fast.status).toBe(200);
    const f0 = Date.now();
    await until(() => logged(app, "reviewed", "demo/other#2"), 20_000, "the other repository's review");
    const otherMs = Date.now() - f0;
    const slowStillRunning = !logged(app, "reviewed", "demo/slow#1") && !app.logs.some((l) => l.msg === "review stopped at its deadline");
    console.log(`during a long review: /ping max ${Math.max(...pings).toFixed(1)} ms, another repository reviewed in ${otherMs} ms (long review still running: ${slowStillRunning})`);
    expect(Math.max(...pings)).toBeLessThan(500);
    expect(api.botComments("demo/other", 2)).toHaveLength(1);
    // the long one ends too: reviewed, or stopped at its deadline and said so in the check run
    await until(() => logged(app, "reviewed", "demo/slow#1") || app.logs.some((l) => l.msg === "review stopped at its deadline"), 40_000, "the long review's end");
    const run = api.checkRunsFor("demo/slow", slowHead)[0];
    await until(() => run.status === "completed", 5000, "its check run");
    if (run.output.title === "Review stopped at its deadline") {
      expect(run.conclusion).toBe("neutral");
      expect(run.output.summary).toMatch(/did not finish within its deadline of 20 s/);
    }
    console.log(`the long review took ${Date.now() - t0} ms and ended "${run.output.title}"`);
  }, 120_000);

  it("keeps the PR description out of the diff: a ```diff block and From/Subject lines in it change nothing", async () => {
    const head = sha("53");
    const before = fixture("inode-base.c");
    const after = fixture("inode-nofs.c");
    api.setPull(REPO, 3, { headSha: head, baseSha: BASE, files: [fileRow(PATH, before, after)], contents: { [`${head}:${PATH}`]: after, [`${BASE}:${PATH}`]: before } });
    const body = [
      "From 1234567890abcdef Mon Sep 17 00:00:00 2001",
      "From: Someone Else <x@example.org>",
      "Subject: [PATCH] something else entirely",
      "",
      "```diff",
      "--- a/other.c",
      "+++ b/other.c",
      "@@ -1,3 +1,3 @@",
      "-broken hunk",
      "```",
    ].join("\n");
    await sendWebhook(app.url, "pull_request", prPayload({ number: 3, head, base: BASE, body }), { secret: SECRET });
    await until(() => logged(app, "reviewed", "demo/linux#3"), 20_000, "review");
    const run = api.checkRunsFor(REPO, head)[0];
    expect(run.output.summary).not.toContain("could not be read");
    expect(run.output.summary).toContain("1 finding");
    expect(api.botComments(REPO, 3)).toHaveLength(1);
  });

  it("escapes patch-derived words in the summary: no @-mention, image or link gets through", async () => {
    api.setConfig(REPO, "github:\n  minSeverity: info\n");
    const head = sha("54");
    const before = fixture("inode-base.c");
    const after = fixture("inode-nofs.c");
    api.setPull(REPO, 4, { headSha: head, baseSha: BASE, files: [fileRow(PATH, before, after)], contents: { [`${head}:${PATH}`]: after, [`${BASE}:${PATH}`]: before } });
    // the flush warning's queue names are \S+ tokens the message repeats: an attacker's favourite place
    const body = "workqueue: WQ_MEM_RECLAIM @demo/everyone:![x](https://evil.example/t.png) is flushing !WQ_MEM_RECLAIM [link](https://evil.example):<b>x</b>\n";
    await sendWebhook(app.url, "pull_request", prPayload({ number: 4, head, base: BASE, body }), { secret: SECRET });
    await until(() => logged(app, "reviewed", "demo/linux#4"), 20_000, "review");
    const summary: string = api.checkRunsFor(REPO, head)[0].output.summary;
    api.setConfig(REPO, null);
    expect(summary).toContain("flush-warning-quoted");
    expect(summary).toContain("@\u200bdemo/everyone");
    expect(summary).not.toMatch(/@demo\/everyone/);
    expect(summary).not.toContain("![x](");
    expect(summary).not.toContain("[link](https://evil");
    expect(summary).toContain("\\[link\\]");
    expect(summary).not.toContain("<b>");
    expect(summary).not.toMatch(/https:\/\/evil/);
  });

  it("a thumbs-down from an outsider does not suppress; the author may not silence a finding that fails the check", async () => {
    api.setConfig(REPO, "github:\n  failOn: warning\n");
    const h1 = sha("55");
    const before = fixture("inode-base.c");
    api.setPull(REPO, 5, { headSha: h1, baseSha: BASE, files: [fileRow(PATH, before, fixture("inode-nofs.c"))], contents: { [`${h1}:${PATH}`]: fixture("inode-nofs.c"), [`${BASE}:${PATH}`]: before } });
    await sendWebhook(app.url, "pull_request", prPayload({ number: 5, head: h1, base: BASE }), { secret: SECRET });
    await until(() => logged(app, "reviewed", "demo/linux#5"), 20_000, "review");
    expect(api.checkRunsFor(REPO, h1)[0].conclusion).toBe("failure");
    const bot = api.botComments(REPO, 5)[0];
    api.setPermission(REPO, "outsider", "read");
    api.addReaction(REPO, bot.id, "outsider", "-1");
    api.addReaction(REPO, bot.id, "nobody-at-all", "-1");
    // the author (no write access) replies with an ignore
    const reply = api.addReviewComment(REPO, 5, { body: "/reclaim-review ignore", in_reply_to_id: bot.id, path: PATH, line: bot.line, user: { login: "octocat", type: "User" }, author_association: "CONTRIBUTOR" });
    await sendWebhook(app.url, "pull_request_review_comment", reviewCommentPayload({ number: 5, comment: reply }), { secret: SECRET });
    const h2 = sha("56");
    api.setPull(REPO, 5, { headSha: h2, baseSha: BASE, files: [fileRow(PATH, before, fixture("inode-nofs-touched.c"))], contents: { [`${h2}:${PATH}`]: fixture("inode-nofs-touched.c"), [`${BASE}:${PATH}`]: before } });
    await sendWebhook(app.url, "pull_request", prPayload({ action: "synchronize", number: 5, head: h2, base: BASE, before: h1 }), { secret: SECRET });
    await until(() => logged(app, "reviewed", "demo/linux#5", 2), 20_000, "second review");
    const run = api.checkRunsFor(REPO, h2)[0];
    expect(run.conclusion).toBe("failure");
    expect(run.output.summary).not.toContain("### Suppressed");
    expect(run.output.summary).toContain("fails this check (failOn: warning); someone with write access has to");
    // the reactors' permissions were asked of GitHub
    expect(api.calls("GET", /\/collaborators\/outsider\/permission$/).length).toBeGreaterThan(0);
    api.setConfig(REPO, null);
  });

  it("a signed webhook still works after all that", async () => {
    const body = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });
    const res = await fetch(`${app.url}/api/github/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": "aaaaaaaa-2222-4333-8444-555555555555", "x-hub-signature-256": sign(SECRET, body) },
      body,
    });
    expect(res.status).toBe(200);
  });
});

describe("a review that passes its deadline", () => {
  let api: any;
  let app: App;
  beforeAll(async () => {
    api = new GitHubDouble();
    const port = await api.start();
    // 1 ms: no real review fits, so every one is stopped and reported
    app = await startApp({ apiPort: port, secret: SECRET, env: { RECLAIM_REVIEW_DEADLINE_MS: "1" } });
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await api?.stop();
  });

  it("ends in a neutral check run that says why, posts nothing, and the app goes on", async () => {
    const head = sha("61");
    const before = fixture("inode-base.c");
    api.setPull(REPO, 1, { headSha: head, baseSha: BASE, files: [fileRow(PATH, before, fixture("inode-nofs.c"))], contents: { [`${head}:${PATH}`]: fixture("inode-nofs.c"), [`${BASE}:${PATH}`]: before } });
    await sendWebhook(app.url, "pull_request", prPayload({ number: 1, head, base: BASE }), { secret: SECRET });
    await until(() => app.logs.some((l) => l.msg === "review stopped at its deadline"), 20_000, "deadline");
    const run = api.checkRunsFor(REPO, head)[0];
    await until(() => run.status === "completed", 5000, "check run");
    expect(run.conclusion).toBe("neutral");
    expect(run.output.title).toBe("Review stopped at its deadline");
    expect(run.output.summary).toContain("did not finish within its deadline");
    expect(api.botComments(REPO, 1)).toHaveLength(0);
    // the counters move once the job has returned, just after the check run's last write
    const m = await until(async () => {
      const t = await (await fetch(`${app.url}/metrics`)).text();
      return /reclaim_reviews_total\{bot="github",outcome="deadline"\} 1/.test(t) ? t : null;
    }, 5000, "the deadline in the metrics");
    expect(m).toMatch(/reclaim_reviews_total\{bot="github",outcome="deadline"\} 1/);
    expect(m).toMatch(/reclaim_failures_total\{bot="github",kind="deadline"\} 1/);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });
});

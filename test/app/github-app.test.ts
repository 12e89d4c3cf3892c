// End to end: the real `reclaim-review github` process, real signed HTTP
// webhooks, and a GitHub API double on loopback.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain JS test helper
import { GitHubDouble } from "./github-double.mjs";
// @ts-expect-error plain JS test helper
import { ROOT, fileRow, fixture, prPayload, reviewCommentPayload, sendWebhook, startApp, until, logged } from "./harness.mjs";

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

beforeAll(async () => {
  // Build dist/ the way `npm test` does; type errors elsewhere in the tree do not stop the emit.
  spawnSync("npx", ["tsc", "-p", "."], { cwd: ROOT, stdio: "ignore" });
}, 120_000);

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
});

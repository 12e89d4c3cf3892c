// The real probot app in this process (webhooks handed to probot.receive,
// the GitHub API double on loopback), for what the end-to-end test cannot
// set from outside: a rule set with a rule that throws. Also the config read
// through context.config(): a YAML syntax error, the owner's .github
// repository as the fallback.
import { Probot } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_POLICY, appOctokit } from "../../src/app/api.js";
import { createReclaimApp, type ReclaimApp } from "../../src/app/index.js";
import { ALL_RULES } from "../../src/rules/index.js";
import { THROWS_MESSAGE, throwingRule } from "../helpers/throwing-rule.js";
// @ts-expect-error plain JS test helper
import { GitHubDouble } from "./github-double.mjs";
// @ts-expect-error plain JS test helper
import { fileRow, fixture, generateKey, prPayload } from "./harness.mjs";

const REPO = "demo/linux";
const PATH = "fs/demofs/inode.c";
const BASE = "b".repeat(40);

describe("the app in process", () => {
  let api: { [k: string]: any };
  let probot: Probot;
  let app: ReclaimApp;
  let delivery = 0;

  beforeAll(async () => {
    api = new GitHubDouble();
    const port = await api.start();
    const policy = { ...DEFAULT_POLICY, writeIntervalMs: 0, serverErrorBackoffMs: 20, secondaryBackoffMs: 100 };
    app = createReclaimApp({ appId: 1, rules: [...ALL_RULES, throwingRule], concurrency: 1 });
    probot = new Probot({ appId: 1, privateKey: generateKey(), baseUrl: `http://127.0.0.1:${port}/api/v3`, Octokit: appOctokit(policy), logLevel: "fatal" });
    await probot.load(app.appFn);
  });
  afterAll(() => api?.stop());

  async function review(number: number, head: string, after: string) {
    api.setPull(REPO, number, {
      headSha: head,
      baseSha: BASE,
      files: [fileRow(PATH, fixture("inode-base.c"), after)],
      contents: { [`${head}:${PATH}`]: after, [`${BASE}:${PATH}`]: fixture("inode-base.c") },
    });
    await probot.receive({ id: `d-${++delivery}`, name: "pull_request", payload: prPayload({ number, head, base: BASE }) } as never);
    await app.queue.idle();
    return api.checkRunsFor(REPO, head)[0];
  }

  it("reports a rule that throws in a neutral check run, naming it, with the other findings", async () => {
    const clean = await review(1, "1".repeat(40), fixture("inode-fixed.c"));
    expect(clean.status).toBe("completed");
    expect(clean.conclusion).toBe("neutral"); // without the broken rule this head is "success" (github-app.test.ts)
    expect(clean.output.title).toBe("No findings; see problems");
    expect(clean.output.summary).toContain(`rule always-throws failed, its verdict is unknown: ${THROWS_MESSAGE}`);

    const hit = await review(2, "2".repeat(40), fixture("inode-nofs.c"));
    expect(hit.output.summary).toContain("rule always-throws failed");
    expect(hit.annotations.map((a: { title: string }) => a.title).join(" ")).toContain("mapping-gfp-mask");
  });

  it("reads the config with context.config(): a syntax error names its line, the owner's .github repository is the fallback", async () => {
    api.setConfig(REPO, "rules:\n  mapping-gfp-mask: [off\n");
    const bad = await review(3, "3".repeat(40), fixture("inode-nofs.c"));
    expect(bad.conclusion).toBe("failure");
    expect(bad.output.title).toMatch(/^Invalid configuration: \(syntax, line \d\)$/);
    expect(api.botComments(REPO, 3)).toHaveLength(0);

    api.setConfig(REPO, null);
    api.setConfig("demo/.github", "rules:\n  mapping-gfp-mask: off\n  always-throws: off\n");
    const org = await review(4, "4".repeat(40), fixture("inode-nofs.c"));
    expect(org.conclusion).toBe("success");
    expect(org.output.summary).toContain("config: .github/reclaim-review.yml of demo/linux or demo/.github");
    expect(api.botComments(REPO, 4)).toHaveLength(0);
  });
});

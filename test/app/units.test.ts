// The app's parts: config validation, markers and suppressions, the GitHub
// API policy (probot's plugins against the API double), the queue, and the
// pull request diff builder.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { DEFAULT_POLICY, appOctokit, type ApiPolicy } from "../../src/app/api.js";
import { parseAppConfig } from "../../src/app/config.js";
// @ts-expect-error plain JS test helper
import { GitHubDouble } from "./github-double.mjs";
import { authorOnly, finalMarker, marker, markedFingerprints, parseIgnoreCommand, readPullRequestState, type Trust } from "../../src/app/markers.js";
import { contentText, diffFromFiles, sourcesFrom } from "../../src/app/pr-input.js";
import { revertFile } from "../../src/diff/apply.js";
import { QueueFullError, WorkQueue, type JobOutcome } from "../../src/app/queue.js";
import { parsePatchText } from "../../src/ingest/index.js";
import { ConfigError } from "../../src/errors.js";

const RULES = ["mapping-gfp-mask", "wq-mem-reclaim-added"];
const parseAppConfigText = (text: string, rules: readonly string[], origin: string) => parseAppConfig(parseYaml(text), rules, origin);

describe("repository config", () => {
  it("accepts the documented keys and fills defaults", () => {
    const c = parseAppConfigText(
      "rules:\n  mapping-gfp-mask: error\npaths:\n  exclude: ['drivers/staging/**']\ngithub:\n  maxInlineComments: 5\n  checkOnly: true\n",
      RULES,
      "o/r:.github/reclaim-review.yml",
    );
    expect(c.review.rules["mapping-gfp-mask"]).toEqual({ enabled: true, severity: "error", options: {} });
    expect(c.review.paths.exclude).toEqual(["drivers/staging/**"]);
    expect(c.github).toMatchObject({ maxInlineComments: 5, checkOnly: true, reviewDrafts: false, reviewBots: false, minSeverity: "warning", failOn: "error" });
  });

  it("an empty file is the defaults", () => {
    expect(parseAppConfigText("", RULES, "x").github.maxInlineComments).toBe(25);
  });

  const keyOf = (text: string) => {
    try {
      parseAppConfigText(text, RULES, "x");
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).key;
    }
    throw new Error("no error");
  };

  it("names the wrong key", () => {
    expect(keyOf("github:\n  maxInlineComments: lots\n")).toBe("github.maxInlineComments");
    expect(keyOf("github:\n  reviewDraft: true\n")).toBe("github");
    expect(keyOf("github:\n  minSeverity: loud\n")).toBe("github.minSeverity");
    expect(keyOf("rules:\n  no-such-rule: off\n")).toBe("rules.no-such-rule");
    expect(keyOf("paths:\n  include: fs/**\n")).toBe("paths.include");
    expect(keyOf("colour: blue\n")).toBe("(top level)");
    expect(keyOf("- a list\n")).toBe("(top level)");
    expect(keyOf("rules:\n  mapping-gfp-mask:\n    options: { strict: true }\n")).toBe("rules.mapping-gfp-mask.options");
  });
});

describe("markers and suppressions", () => {
  const bot = { login: "reclaim-review[bot]", type: "Bot" };
  const fp1 = "0123456789abcdef";
  const fp2 = "fedcba9876543210";

  it("round-trips the hidden marker", () => {
    expect(marker(fp1)).toBe(`<!-- reclaim-review:v1 fp=${fp1} -->`);
    expect(markedFingerprints(`text\n${marker(fp1)}\n- x ${marker(fp2)}`)).toEqual([fp1, fp2]);
    expect(markedFingerprints("<!-- reclaim-review:v2 fp=0123456789abcdef -->")).toEqual([]);
  });

  it("parses ignore commands with optional fingerprints and a reason", () => {
    expect(parseIgnoreCommand("/reclaim-review ignore")).toEqual({ fingerprints: [], reason: "" });
    expect(parseIgnoreCommand(`thanks\n/reclaim-review ignore ${fp1} ${fp2} we hold the lock`)).toEqual({ fingerprints: [fp1, fp2], reason: "we hold the lock" });
    expect(parseIgnoreCommand("please /reclaim-review ignore")).toBeNull();
    expect(parseIgnoreCommand("/reclaim-review ignored")).toBeNull();
  });

  it("reads posted fingerprints and honours only trusted suppressions", () => {
    const comments = [
      { id: 1, body: `a\n${marker(fp1)}`, path: "fs/a.c", line: 10, user: bot },
      { id: 2, body: `b\n${marker(fp2)}`, path: "fs/b.c", line: 20, user: bot, reactions: { "-1": 1 } },
      // a human quoting a marker does not make it ours
      { id: 3, body: `quoted ${marker("aaaaaaaaaaaaaaaa")}`, path: "fs/c.c", line: 1, user: { login: "x", type: "User" } },
      { id: 4, body: "/reclaim-review ignore", path: "fs/a.c", line: 10, in_reply_to_id: 1, user: { login: "stranger", type: "User" }, author_association: "NONE" },
    ];
    const trust = (over: Partial<Trust> = {}): Trust => ({ ...authorOnly("author"), botLogin: bot.login, ...over });
    // a thumbs-down count alone is nobody's word: only a listed reactor with write access counts
    let s = readPullRequestState(comments, [], [], trust());
    expect([...s.posted.keys()]).toEqual([fp1, fp2]);
    expect(s.posted.get(fp1)!.title).toContain("fs/a.c:10");
    expect([...s.suppressed.keys()]).toEqual([]);
    s = readPullRequestState(comments, [], [], trust({ thumbsDown: new Map([[2, "maint"]]) }));
    expect(s.suppressed.get(fp2)).toBe("a thumbs-down by @maint");

    // the author's word goes apart (it may not silence what gates the check); a writer's counts fully
    comments.push({ id: 5, body: "/reclaim-review ignore", path: "fs/a.c", line: 10, in_reply_to_id: 1, user: { login: "author", type: "User" }, author_association: "CONTRIBUTOR" });
    const issue = [{ id: 9, body: `/reclaim-review ignore cccccccccccccccc`, user: { login: "m", type: "User" }, author_association: "MEMBER" }];
    s = readPullRequestState(comments, [], issue, trust());
    expect(s.suppressed.size).toBe(0);
    expect(s.byAuthor.get(fp1)).toBe("@author (the author)");
    // an org MEMBER without write access is nobody here
    expect(s.byAuthor.has("cccccccccccccccc")).toBe(false);
    s = readPullRequestState(comments, [], issue, trust({ writers: new Set(["m", "stranger"]) }));
    expect(s.suppressed.get("cccccccccccccccc")).toBe("@m");
    expect(s.suppressed.get(fp1)).toBe("@stranger");
    expect(s.byAuthor.has(fp1)).toBe(false);

    const r = readPullRequestState([], [{ id: 7, body: `- finding ${marker("dddddddddddddddd")}`, user: bot }], [], trust());
    expect(r.posted.has("dddddddddddddddd")).toBe(true);
  });

  it("counts only our own bot account's comments, and only the marker that ends them", () => {
    const other = { login: "other-app[bot]", type: "Bot" };
    const forged = `**warning** a finding quoting ${marker("eeeeeeeeeeeeeeee")} from the patch\n\nmore text`;
    const comments = [
      { id: 1, body: `x\n${marker(fp1)}`, path: "a.c", line: 1, user: other },
      { id: 2, body: forged, path: "a.c", line: 2, user: bot },
      { id: 3, body: `${marker("ffffffffffffffff")} then text\n${marker(fp2)}\n`, path: "a.c", line: 3, user: bot },
    ];
    const s = readPullRequestState(comments, [], [], { ...authorOnly(null), botLogin: bot.login });
    expect([...s.posted.keys()]).toEqual([fp2]);
    expect(finalMarker(forged)).toBeNull();
    expect(finalMarker(`a ${marker(fp1)}  \n`)).toBe(fp1);
  });
});

describe("GitHub API policy (probot's throttling and retry plugins, configured)", () => {
  const REPO_ = "demo/linux";
  let api: { [k: string]: any };
  let baseUrl: string;
  beforeAll(async () => {
    api = new GitHubDouble();
    baseUrl = `http://127.0.0.1:${await api.start()}/api/v3`;
    api.setPull(REPO_, 1, { headSha: "a".repeat(40), baseSha: "b".repeat(40), files: [] });
  });
  afterAll(() => api.stop());

  const policy: ApiPolicy = { ...DEFAULT_POLICY, writeIntervalMs: 600, secondaryBackoffMs: 100, serverErrorBackoffMs: 20, maxWaitMs: 5_000 };
  const warnings: string[] = [];
  const log = { warn: (_o: unknown, m?: string) => void warnings.push(m ?? ""), info: () => {}, error: () => {}, debug: () => {}, child: () => log } as never;
  // as probot builds an installation's octokit: its throttle id is the installation id
  const client = (installation: string) => new (appOctokit(policy))({ baseUrl, auth: { token: `ghs_double_${installation}` }, log, throttle: { id: installation } });
  const files = (o: InstanceType<ReturnType<typeof appOctokit>>) => o.rest.pulls.listFiles({ owner: "demo", repo: "linux", pull_number: 1 });
  const createRun = (o: InstanceType<ReturnType<typeof appOctokit>>, sha: string) => o.rest.checks.create({ owner: "demo", repo: "linux", name: "t", head_sha: sha });
  const calls = (re: RegExp, method = "GET") => api.calls(method, re) as { status: number; at: number }[];

  it("waits what retry-after says on a secondary rate limit (403 or 429), then succeeds", async () => {
    api.failOnce("GET", /\/pulls\/1\/files$/, 403, { "retry-after": "1" }, { message: "You have exceeded a secondary rate limit." });
    const t0 = Date.now();
    await files(client("1"));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    api.failOnce("GET", /\/pulls\/1\/files$/, 429, { "retry-after": "0" }, { message: "You have exceeded a secondary rate limit." });
    const before = calls(/\/pulls\/1\/files$/).length;
    await files(client("1"));
    expect(calls(/\/pulls\/1\/files$/).slice(before).map((c) => c.status)).toEqual([429, 200]);
  });

  it("doubles the wait after repeated secondary limits without retry-after, and gives up after maxRetries", async () => {
    api.failOnce("GET", /\/pulls\/1\/files$/, 403, {}, { message: "You have exceeded a secondary rate limit." }, 2);
    const before = calls(/\/pulls\/1\/files$/).length;
    await files(client("2"));
    const got = calls(/\/pulls\/1\/files$/).slice(before);
    expect(got.map((c) => c.status)).toEqual([403, 403, 200]);
    expect(got[1]!.at - got[0]!.at).toBeGreaterThanOrEqual(95);
    expect(got[2]!.at - got[1]!.at).toBeGreaterThanOrEqual(195);
    api.failOnce("GET", /\/pulls\/1\/files$/, 403, {}, { message: "You have exceeded a secondary rate limit." }, 10);
    const b2 = calls(/\/pulls\/1\/files$/).length;
    await expect(files(client("2"))).rejects.toMatchObject({ status: 403 });
    expect(calls(/\/pulls\/1\/files$/).length - b2).toBe(1 + policy.maxRetries);
    api.faults.length = 0;
  });

  it("waits for x-ratelimit-reset when the quota is used up, but not past maxWaitMs", async () => {
    const reset = String(Math.ceil(Date.now() / 1000) + 1);
    api.failOnce("GET", /\/pulls\/1\/files$/, 403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset }, { message: "API rate limit exceeded" });
    await files(client("3"));
    expect(calls(/\/pulls\/1\/files$/).at(-1)!.at).toBeGreaterThanOrEqual(Number(reset) * 1000);
    api.failOnce("GET", /\/pulls\/1\/files$/, 403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + 3600) }, { message: "API rate limit exceeded" });
    const t0 = Date.now();
    await expect(files(client("3"))).rejects.toMatchObject({ status: 403 });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(warnings.some((w) => /not retried \(the wait is too long\)/.test(w))).toBe(true);
  });

  it("retries 5xx answers maxRetries times, and never a refusal", async () => {
    api.failOnce("GET", /\/pulls\/1\/files$/, 502, {}, { message: "Bad Gateway" }, 10);
    const before = calls(/\/pulls\/1\/files$/).length;
    await expect(files(client("4"))).rejects.toMatchObject({ status: 502 });
    expect(calls(/\/pulls\/1\/files$/).length - before).toBe(1 + policy.maxRetries);
    api.faults.length = 0;
    for (const status of [403, 404, 422]) {
      api.failOnce("GET", /\/pulls\/1\/files$/, status, {}, { message: "Resource not accessible by integration" });
      const b = calls(/\/pulls\/1\/files$/).length;
      await expect(files(client("4"))).rejects.toMatchObject({ status });
      expect(calls(/\/pulls\/1\/files$/).length - b, String(status)).toBe(1);
    }
  });

  it("spaces the writes of one installation by writeIntervalMs, not those of two", async () => {
    // when each request leaves (after the plugin's gates), by head sha
    const left: Record<string, number> = {};
    const fetch = (url: string, init: { body?: string }) => {
      left[JSON.parse(init.body ?? "{}").head_sha?.[0] ?? "?"] = Date.now();
      return globalThis.fetch(url, init as RequestInit);
    };
    const timed = (installation: string) => new (appOctokit(policy))({ baseUrl, auth: { token: `ghs_double_${installation}` }, log, throttle: { id: installation }, request: { fetch } });
    const [a, b] = [timed("5"), timed("6")];
    await Promise.all([createRun(a, "1".repeat(40)), createRun(a, "2".repeat(40)), createRun(b, "3".repeat(40))]);
    // the plugin spaces the starts of the writes; each request then leaves a few ms later, by load
    expect(Math.abs(left["2"]! - left["1"]!)).toBeGreaterThanOrEqual(policy.writeIntervalMs * 0.75);
    expect(Math.min(Math.abs(left["3"]! - left["1"]!), Math.abs(left["3"]! - left["2"]!))).toBeLessThan(policy.writeIntervalMs / 2);
  });

});

describe("work queue", () => {
  const deferred = () => {
    let resolve!: (o: JobOutcome) => void;
    const p = new Promise<JobOutcome>((r) => (resolve = r));
    return { p, resolve };
  };

  it("dedupes, serialises one key, bounds the backlog and forgets failures", async () => {
    const q = new WorkQueue({ concurrency: 2, maxQueued: 2 });
    const order: string[] = [];
    const d1 = deferred();
    const d2 = deferred();
    expect(q.enqueue({ serialKey: "pr1", dedupeKey: "pr1@a", deliveryId: "1", run: () => (order.push("1a"), d1.p) })).toBe(true);
    expect(q.enqueue({ serialKey: "pr1", dedupeKey: "pr1@a", deliveryId: "2", run: async () => "done" })).toBe(false);
    expect(q.enqueue({ serialKey: "pr1", dedupeKey: "pr1@b", deliveryId: "3", run: () => (order.push("1b"), d2.p) })).toBe(true);
    expect(q.enqueue({ serialKey: "pr2", deliveryId: "4", run: async () => (order.push("2"), "done") })).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    // pr1@b waits for pr1@a even though a worker is free; pr2 ran
    expect(order).toEqual(["1a", "2"]);
    // both workers busy (pr1@a, pr3): pr1@b and pr4 wait, and the backlog of 2 is full
    const d3 = deferred();
    q.enqueue({ serialKey: "pr3", deliveryId: "5", run: () => d3.p });
    q.enqueue({ serialKey: "pr4", deliveryId: "6", run: async () => "done" });
    expect(q.size).toBe(4);
    expect(() => q.enqueue({ serialKey: "pr5", deliveryId: "7", run: async () => "done" })).toThrow(QueueFullError);
    d3.resolve("skipped");
    await new Promise((r) => setTimeout(r, 10));
    d1.resolve("done");
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(["1a", "2", "1b"]);
    d2.resolve("failed");
    await q.idle();
    expect(q.knows("pr1@a")).toBe(true);
    expect(q.knows("pr1@b")).toBe(false); // failed: may be tried again
    expect(q.stats).toMatchObject({ done: 3, failed: 1, skipped: 1, duplicates: 1, rejected: 1 });
  });
});

describe("pull request input", () => {
  const patch = "@@ -1,3 +1,4 @@ static int f(void)\n a\n-b\n+B\n+C\n c";

  it("builds a git diff the core parser reads, with added, removed and renamed files", () => {
    const text = diffFromFiles([
      { filename: "fs/x.c", status: "modified", patch },
      { filename: "fs/new.c", status: "added", patch: "@@ -0,0 +1,2 @@\n+int x;\n+int y;" },
      { filename: "fs/old.c", status: "removed", patch: "@@ -1 +0,0 @@\n-int z;" },
      { filename: "fs/to.c", previous_filename: "fs/from.c", status: "renamed" },
      { filename: "big.bin", status: "modified" },
    ]);
    const { patches } = parsePatchText(`Subject: t\n\n---\n${text}`, "pr");
    const files = patches[0]!.files;
    expect(files.map((f) => [f.path, f.status])).toEqual([
      ["fs/x.c", "modified"],
      ["fs/new.c", "added"],
      ["fs/old.c", "deleted"],
      ["fs/to.c", "renamed"],
    ]);
    expect(files[0]!.hunks[0]!.section).toBe("static int f(void)");
    expect(files[0]!.hunks[0]!.lines.filter((l) => l.kind === "add").map((l) => l.newLine)).toEqual([2, 3]);
  });

  it("decodes every form a contents answer comes in", () => {
    expect(contentText("int x;\n")).toBe("int x;\n");
    expect(contentText(new TextEncoder().encode("int y;").buffer)).toBe("int y;");
    expect(contentText({ type: "file", encoding: "base64", content: Buffer.from("int z;").toString("base64") })).toBe("int z;");
    expect(contentText([{ type: "file", path: "a.c" }])).toBeNull();
    expect(contentText({ type: "submodule" })).toBeNull();
  });

  it("rebuilds the pre-image from the head text and the hunks", () => {
    const { patches } = parsePatchText(`Subject: t\n\n---\n${diffFromFiles([{ filename: "fs/x.c", status: "modified", patch }])}`, "pr");
    const file = patches[0]!.files[0]!;
    expect(revertFile("a\nB\nC\nc\nd", file)?.text).toBe("a\nb\nc\nd");
    expect(revertFile("a\nX\nC\nc", file)).toBeNull();
    const ctx = sourcesFrom({ head: new Map([["fs/x.c", "a\nB\nC\nc\nd"]]), base: new Map() }).contextFor(patches[0]!);
    expect(ctx?.postImage("fs/x.c")).toBe("a\nB\nC\nc\nd");
    expect(ctx?.preImage("fs/x.c")).toBe("a\nb\nc\nd");
  });
});

describe("docs/github-app.md", () => {
  it("its configuration example is valid against the real rule list", async () => {
    const { readFileSync } = await import("node:fs");
    const { ALL_RULES } = await import("../../src/rules/index.js");
    const doc = readFileSync(new URL("../../docs/github-app.md", import.meta.url), "utf8");
    const yaml = /## Configuration file reference[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const c = parseAppConfigText(yaml, ALL_RULES.map((r) => r.meta.id), "docs");
    expect(c.review.rules["new-nofs-noio-mask"]!.enabled).toBe(false);
    expect(c.github.maxInlineComments).toBe(25);
    expect(c.review.ignore).toHaveLength(1);
  });
});

describe("check run summary", async () => {
  const { renderSummary, SUMMARY_LIMIT, annotationOf } = await import("../../src/app/render.js");
  const finding = (i: number, extra: Record<string, unknown> = {}) => ({
    rule: "mapping-gfp-mask",
    class: "gfp-context" as const,
    severity: "warning" as const,
    file: `fs/demofs/f${i}.c`,
    line: 10 + i,
    message: `mapping_set_gfp_mask() clears __GFP_FS (case ${i})`,
    fingerprint: i.toString(16).padStart(16, "0"),
    citations: [{ id: "k", title: "ext4 mapping", url: "https://example.org/k", commit: "0123456789ab" }],
    messageId: "clearsFs",
    why: "why",
    fix: "use the scope API",
    quote: null,
    function: null,
    ...extra,
  });
  const base = {
    headSha: "f".repeat(40),
    commented: new Set<string>(),
    outside: [],
    preExisting: [],
    resolved: [],
    suppressed: [],
    below: [],
    minSeverity: "warning" as const,
    notes: [],
    problems: [],
    configOrigin: "defaults",
  };

  it("has a section per kind, a marker per finding and the citations", () => {
    const text = renderSummary({
      ...base,
      current: [finding(1)],
      commented: new Set([finding(1).fingerprint]),
      outside: [finding(2, { file: null, line: null })],
      preExisting: [finding(3, { preExisting: true })],
      resolved: [{ fingerprint: "abcdefabcdefabcd", title: "fs/x.c:3: old finding" }],
      suppressed: [{ fingerprint: "1111111111111111", title: "mapping-gfp-mask fs/y.c:4", by: "@octocat" }],
      below: [finding(4, { severity: "info" }), finding(5, { severity: "info" })],
    });
    expect(text).toMatch(/^\*\*2 findings\*\* in `ffffffffffff` \(0 error, 2 warning, 0 info\); 1 pre-existing, 1 resolved, 1 suppressed, 2 below warning as notes\./);
    for (const h of ["### Findings in this pull request", "### Outside the diff", "### Notes below warning", "### Pre-existing", "### Resolved", "### Suppressed on this pull request", "### History cited"]) expect(text).toContain(h);
    expect(markedFingerprints(text)).toEqual([finding(1).fingerprint, finding(2).fingerprint, finding(4).fingerprint, finding(5).fingerprint, finding(3).fingerprint]);
    expect(text).toContain("(whole patch)");
    expect(text).toContain("(review comment)");
    expect(text).toContain("[`0123456789ab`](https://example.org/k) ext4 mapping");
  });

  it("stays under GitHub's limit by shortening the lists", () => {
    const many = Array.from({ length: 3000 }, (_, i) => finding(i));
    const text = renderSummary({ ...base, current: many });
    expect(text.length).toBeLessThanOrEqual(SUMMARY_LIMIT);
    expect(text).toMatch(/\d+ more not listed/);
    expect(text).toContain("**3000 findings**");
  });

  it("maps severities to annotation levels and keeps the fingerprint in the details", () => {
    const a = annotationOf(finding(1, { severity: "error" }))!;
    expect(a).toMatchObject({ path: "fs/demofs/f1.c", start_line: 11, end_line: 11, annotation_level: "failure", title: "mapping-gfp-mask" });
    expect(a.raw_details).toContain(finding(1).fingerprint);
    expect(annotationOf(finding(2, { file: null, line: null }))).toBeNull();
    // a commit-message finding goes on the anchor (the first changed line), a note below the threshold is a notice
    const anchored = annotationOf(finding(2, { file: null, line: null, severity: "info" }), { anchor: { path: "fs/demofs/a.c", line: 3 }, commit: "commit 0123456789ab", level: "notice" })!;
    expect(anchored).toMatchObject({ path: "fs/demofs/a.c", start_line: 3, annotation_level: "notice", title: "mapping-gfp-mask (commit message of commit 0123456789ab)" });
  });
});

// Starts the real app (`node bin/reclaim-review.js github`) against the API
// double, signs and sends webhooks, and builds pull request payloads from
// @octokit/webhooks-examples. Shared by the tests and bench/github.mjs.
import { spawn } from "node:child_process";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTwoFilesPatch } from "diff";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const FIXTURES = join(ROOT, "test", "fixtures", "github");
const require = createRequire(import.meta.url);

export function fixture(name) {
  return readFileSync(join(FIXTURES, name), "utf8");
}

export function generateKey() {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  return privateKey;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** `patch` as pulls.listFiles gives it: hunks only, no headers. */
export function githubPatch(before, after, path = "f.c") {
  const p = createTwoFilesPatch(path, path, before, after, "", "", { context: 3 });
  const lines = p.split("\n");
  const first = lines.findIndex((l) => l.startsWith("@@ "));
  return lines.slice(first).join("\n").replace(/\n$/, "");
}

/** A pulls.listFiles row for a modified file. */
export function fileRow(path, before, after, { withPatch = true } = {}) {
  const patch = githubPatch(before, after, path);
  const additions = patch.split("\n").filter((l) => l.startsWith("+")).length;
  const deletions = patch.split("\n").filter((l) => l.startsWith("-")).length;
  const row = { sha: "0".repeat(40), filename: path, status: "modified", additions, deletions, changes: additions + deletions };
  if (withPatch) row.patch = patch;
  return row;
}

const examples = require("@octokit/webhooks-examples/api.github.com/index.json");

export function example(name, action) {
  const ev = examples.find((e) => e.name === name);
  const ex = ev.examples.find((x) => x.action === action) ?? ev.examples[0];
  return structuredClone(ex);
}

/** A pull_request payload from the examples, adjusted to our repository, numbers and SHAs. */
export function prPayload({ action = "opened", owner = "demo", repo = "linux", number, head, base, before, installation = 4242, draft = false, author = "octocat", authorType = "User", senderType = "User", title = "demofs: set up the inode mapping", body = "" }) {
  const p = example("pull_request", action);
  p.action = action;
  p.number = number;
  p.pull_request.number = number;
  p.pull_request.head.sha = head;
  p.pull_request.base.sha = base;
  p.pull_request.draft = draft;
  p.pull_request.title = title;
  p.pull_request.body = body;
  p.pull_request.user = { ...p.pull_request.user, login: author, type: authorType };
  p.repository.name = repo;
  p.repository.full_name = `${owner}/${repo}`;
  p.repository.owner = { ...p.repository.owner, login: owner };
  p.sender = { ...p.sender, type: senderType };
  p.installation = { id: installation, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" };
  if (action === "synchronize") {
    p.before = before;
    p.after = head;
  }
  return p;
}

export function reviewCommentPayload({ owner = "demo", repo = "linux", number, comment, prAuthor = "octocat", installation = 4242 }) {
  const p = example("pull_request_review_comment", "created");
  p.action = "created";
  p.comment = { ...p.comment, ...comment };
  p.pull_request.number = number;
  p.pull_request.user = { ...p.pull_request.user, login: prAuthor, type: "User" };
  p.repository.name = repo;
  p.repository.full_name = `${owner}/${repo}`;
  p.repository.owner = { ...p.repository.owner, login: owner };
  p.installation = { id: installation, node_id: "x" };
  return p;
}

export function checkRunPayload({ owner = "demo", repo = "linux", checkRunId, head, number, installation = 4242, appId = 1 }) {
  const p = example("check_run", "rerequested");
  p.action = "rerequested";
  p.check_run = { ...p.check_run, id: checkRunId, name: "reclaim-review", head_sha: head, app: { ...p.check_run.app, id: appId }, pull_requests: number === undefined ? [] : [{ number, head: { sha: head }, base: { sha: "b".repeat(40) } }] };
  p.repository.name = repo;
  p.repository.full_name = `${owner}/${repo}`;
  p.repository.owner = { ...p.repository.owner, login: owner };
  p.installation = { id: installation, node_id: "x" };
  return p;
}

export function issueCommentPayload({ owner = "demo", repo = "linux", number, comment, prAuthor = "octocat", installation = 4242 }) {
  const p = example("issue_comment", "created");
  p.action = "created";
  p.comment = { ...p.comment, ...comment };
  p.issue = { ...p.issue, number, user: { ...p.issue.user, login: prAuthor, type: "User" }, pull_request: { url: `https://api.github.com/repos/${owner}/${repo}/pulls/${number}` } };
  p.repository.name = repo;
  p.repository.full_name = `${owner}/${repo}`;
  p.repository.owner = { ...p.repository.owner, login: owner };
  p.installation = { id: installation, node_id: "x" };
  return p;
}

export function sign(secret, body) {
  return "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
}

let deliveryCounter = 0;
export function newDeliveryId() {
  deliveryCounter++;
  return `00000000-0000-4000-8000-${String(Date.now() % 1e6).padStart(6, "0")}${String(deliveryCounter).padStart(6, "0")}`;
}

/** POSTs a webhook like GitHub does. Returns { status, text, id }. */
export async function sendWebhook(appUrl, name, payload, { secret, id = newDeliveryId(), signature } = {}) {
  const body = JSON.stringify(payload);
  const res = await fetch(`${appUrl}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": name,
      "x-github-delivery": id,
      "x-hub-signature-256": signature ?? sign(secret, body),
      "user-agent": "GitHub-Hookshot/test",
    },
    body,
  });
  return { status: res.status, text: await res.text(), id };
}

/** Starts `reclaim-review github` as a child process; resolves once it answers /ping. */
export async function startApp({ apiPort, secret, env = {}, nodeArgs = [] }) {
  const port = await freePort();
  const key = generateKey();
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, "bin", "reclaim-review.js"), "github"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      APP_ID: "1",
      PRIVATE_KEY: key,
      WEBHOOK_SECRET: secret,
      PORT: String(port),
      HOST: "127.0.0.1",
      GHE_HOST: `127.0.0.1:${apiPort}`,
      GHE_PROTOCOL: "http",
      LOG_LEVEL: "info",
      LOG_FORMAT: "json",
      RECLAIM_WRITE_INTERVAL_MS: "0",
      RECLAIM_SERVER_ERROR_BACKOFF_MS: "50",
      RECLAIM_SECONDARY_BACKOFF_MS: "200",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs = [];
  let buf = "";
  const onData = (d) => {
    buf += d.toString("utf8");
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ msg: line });
      }
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`app exited with ${child.exitCode}: ${logs.map((l) => l.msg).join("\n")}`);
    try {
      const r = await fetch(`${url}/ping`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`app did not start: ${logs.map((l) => l.msg).join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid,
    logs,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await new Promise((r) => {
        const t = setTimeout(() => {
          child.kill("SIGKILL");
          r();
        }, 5000);
        child.once("exit", () => {
          clearTimeout(t);
          r();
        });
      });
    },
  };
}

/** Polls until fn() is truthy (or throws after timeoutMs). */
export async function until(fn, timeoutMs = 15_000, what = "condition") {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Resolves after the app logged `msg` for the PR at least `count` times. */
export function logged(app, msg, pr, count = 1) {
  return app.logs.filter((l) => l.msg === msg && (!pr || l.pr === pr)).length >= count;
}

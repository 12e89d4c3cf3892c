// A GitHub REST API double on loopback, for the app's end-to-end tests and
// the load test: installation tokens, pull request files and commits
// (paginated), a commit's diff, contents, git trees and blobs, compare, review comments, reviews,
// issue comments, reactions, check runs and their annotations. It records every request, answers 422 to
// a review comment that is not on a line of the diff (as GitHub does), and
// can be told to fail a request once (rate limits, server errors).
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { parsePatch } from "diff";

const BOT = { login: "reclaim-review[bot]", type: "Bot", id: 900001 };

/** New-side lines inside the hunks of a GitHub file patch. */
export function hunkLines(patch) {
  const out = new Set();
  if (!patch) return out;
  const [p] = parsePatch(`--- a/x\n+++ b/x\n${patch.endsWith("\n") ? patch : patch + "\n"}`);
  for (const h of p?.hunks ?? []) {
    let n = h.newStart;
    for (const l of h.lines) {
      if (l[0] === "+" || l[0] === " ") out.add(n++);
    }
  }
  return out;
}

/** git hash-object of a text (the ids the git trees and blobs API give). */
export function gitBlobId(text) {
  const data = Buffer.from(text, "utf8");
  return createHash("sha1").update(`blob ${data.length}\0`).update(data).digest("hex");
}

function json(res, status, body, headers = {}) {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(text);
}

export class GitHubDouble {
  constructor() {
    /** "owner/repo" -> repo state */
    this.repos = new Map();
    /** Every request: { method, path, query, body, at, ms, pr } */
    this.requests = [];
    /** Faults to inject: { method, test(path), status, headers, body, times } */
    this.faults = [];
    this.nextId = 1000;
    this.shaToPr = new Map();
    this.checkToPr = new Map();
    this.tokens = 0;
    /** Milliseconds every answer waits (a slow GitHub). */
    this.delayMs = 0;
  }

  repo(full, defaultBranch = "main") {
    let r = this.repos.get(full);
    if (!r) {
      r = { full, defaultBranch, config: null, contents: new Map(), pulls: new Map(), reviewComments: [], reviews: [], issueComments: [], checkRuns: [], reactions: [], commits: [], commitDiffs: new Map(), permissions: new Map() };
      this.repos.set(full, r);
    }
    return r;
  }

  /**
   * Declares a pull request: files as pulls.listFiles rows, plus file texts
   * at refs. `commits` ({ sha, message, diff, author?, parents? }, oldest
   * first) are what pulls.listCommits and a commit's diff give; without
   * them the pull request has one commit, the head, whose message is the
   * title and whose diff is the files' patches.
   */
  setPull(full, number, { headSha, baseSha, files, contents = {}, author = "octocat", commits, title }) {
    const r = this.repo(full);
    const own =
      commits ??
      [{ sha: headSha, message: title ?? "demofs change", diff: files.map((f) => `diff --git a/${f.filename} b/${f.filename}\n--- a/${f.filename}\n+++ b/${f.filename}\n${f.patch ?? ""}\n`).join("") }];
    r.pulls.set(number, { number, headSha, baseSha, files, author, title, commits: own });
    for (const c of own) r.commitDiffs.set(c.sha, c.diff);
    this.shaToPr.set(headSha, `${full}#${number}`);
    for (const [key, text] of Object.entries(contents)) r.contents.set(key, text); // key: "sha:path"
  }

  /** A commit of the repository's history: { sha, message, date, paths } (newest first when listed). */
  addCommit(full, commit) {
    this.repo(full).commits.unshift(commit);
  }

  setConfig(full, text) {
    this.repo(full).config = text;
  }

  /** Adds a comment by a person (a reply to a bot comment, say). */
  addReviewComment(full, number, comment) {
    const r = this.repo(full);
    const c = { id: this.nextId++, pull_number: number, reactions: { "-1": 0, "+1": 0 }, author_association: "CONTRIBUTOR", ...comment };
    r.reviewComments.push(c);
    return c;
  }

  addIssueComment(full, number, comment) {
    const r = this.repo(full);
    const c = { id: this.nextId++, issue_number: number, author_association: "CONTRIBUTOR", ...comment };
    r.issueComments.push(c);
    return c;
  }

  /** A collaborator's permission ("admin", "write", "read"); people not set are not collaborators (404). */
  setPermission(full, login, permission) {
    this.repo(full).permissions.set(login, permission);
  }

  /** A person's reaction on a review comment (listed by GET .../reactions, counted in the comment). */
  addReaction(full, commentId, login, content = "-1") {
    const r = this.repo(full);
    const c = r.reviewComments.find((x) => x.id === commentId);
    r.reactions.push({ kind: "review-comment", commentId, content, user: { login, type: "User" } });
    if (c) c.reactions = { ...c.reactions, [content]: (c.reactions?.[content] ?? 0) + 1 };
  }

  failOnce(method, pattern, status, headers = {}, body = { message: "injected" }, times = 1) {
    this.faults.push({ method, pattern, status, headers, body, times });
  }

  /** Requests matching method and path pattern. */
  calls(method, pattern) {
    return this.requests.filter((r) => r.method === method && pattern.test(r.path));
  }

  start(port = 0) {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 1000;
    return new Promise((resolve) => this.server.listen(port, "127.0.0.1", () => resolve(this.server.address().port)));
  }

  stop() {
    return new Promise((resolve) => {
      this.server.closeAllConnections?.();
      this.server.close(() => resolve());
    });
  }

  async handle(req, res) {
    const t0 = process.hrtime.bigint();
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url, "http://x");
    const path = url.pathname.replace(/^\/api\/v3/, "");
    const rec = { method: req.method, path, query: Object.fromEntries(url.searchParams), body: raw ? JSON.parse(raw) : undefined, at: Date.now(), ms: 0, pr: null, status: 0 };
    this.requests.push(rec);
    const done = (status, body, headers) => {
      rec.status = status;
      json(res, status, body, headers);
      rec.ms = Number(process.hrtime.bigint() - t0) / 1e6;
    };
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    try {
      const fault = this.faults.find((f) => f.method === req.method && f.pattern.test(path) && f.times > 0);
      if (fault) {
        fault.times--;
        rec.fault = fault.status;
        return done(fault.status, fault.body, fault.headers);
      }
      const out = this.route(req, path, url, rec, req.headers);
      if (out.raw !== undefined) {
        rec.status = 200;
        res.writeHead(200, { "content-type": `${out.rawType ?? "application/vnd.github.raw"}; charset=utf-8` });
        res.end(out.raw);
        rec.ms = Number(process.hrtime.bigint() - t0) / 1e6;
        return;
      }
      return done(out.status, out.body, out.headers);
    } catch (err) {
      return done(500, { message: String(err && err.stack ? err.stack : err) });
    }
  }

  page(list, url, path) {
    const per = Number(url.searchParams.get("per_page") ?? 30);
    const page = Number(url.searchParams.get("page") ?? 1);
    const slice = list.slice((page - 1) * per, page * per);
    const headers = {};
    if (page * per < list.length) {
      const next = new URL(`http://${this.host}/api/v3${path}`);
      next.searchParams.set("per_page", String(per));
      next.searchParams.set("page", String(page + 1));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    return { status: 200, body: slice, headers };
  }

  route(req, path, url, rec, headers) {
    this.host = headers.host;
    const m = (re) => re.exec(path);
    let g;
    const method = req.method;
    if (method === "POST" && (g = m(/^\/app\/installations\/(\d+)\/access_tokens$/))) {
      if (!/^bearer [\w-]+\.[\w-]+\.[\w-]+$/i.test(headers.authorization ?? "")) return { status: 401, body: { message: "A JSON web token could not be decoded" } };
      this.tokens++;
      return {
        status: 201,
        body: {
          token: `ghs_double_${g[1]}`,
          expires_at: new Date(Date.now() + 3600_000).toISOString(),
          permissions: { pull_requests: "write", checks: "write", contents: "read", metadata: "read" },
          repository_selection: "all",
        },
      };
    }
    if (method === "GET" && path === "/app") {
      if (!/^bearer [\w-]+\.[\w-]+\.[\w-]+$/i.test(headers.authorization ?? "")) return { status: 401, body: { message: "A JSON web token could not be decoded" } };
      return { status: 200, body: { id: 1, slug: "reclaim-review", name: "reclaim-review", owner: { login: "demo" } } };
    }
    if (!/^token ghs_double_/.test(headers.authorization ?? "")) return { status: 401, body: { message: "Bad credentials" } };
    if (!(g = m(/^\/repos\/([^/]+)\/([^/]+)(\/.*)$/))) return { status: 404, body: { message: "Not Found" } };
    const full = `${g[1]}/${g[2]}`;
    const rest = g[3];
    const r = this.repos.get(full);
    if (!r) return { status: 404, body: { message: "Not Found" } };
    const raw = /raw/.test(headers.accept ?? "");
    let h;

    if (method === "GET" && (h = /^\/contents\/(.+)$/.exec(rest))) {
      const p = decodeURIComponent(h[1]);
      const ref = url.searchParams.get("ref");
      let text;
      if (ref === null && p === ".github/reclaim-review.yml") text = r.config ?? undefined;
      else if (ref !== null) {
        text = r.contents.get(`${ref}:${p}`);
        rec.pr = this.shaToPr.get(ref) ?? null;
      }
      if (text === undefined && ref !== null) {
        // a directory: its direct children at that ref
        const prefix = `${ref}:${p}/`;
        const entries = [...r.contents.keys()]
          .filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes("/"))
          .map((k) => ({ type: "file", name: k.slice(prefix.length), path: k.slice(ref.length + 1), size: Buffer.byteLength(r.contents.get(k)) }));
        if (entries.length > 0) return { status: 200, body: entries };
      }
      if (text === undefined) return { status: 404, body: { message: "Not Found" } };
      if (raw) return { raw: text };
      return { status: 200, body: { type: "file", path: p, encoding: "base64", size: Buffer.byteLength(text), content: Buffer.from(text).toString("base64") } };
    }
    if (method === "GET" && (h = /^\/git\/trees\/([0-9a-f]+)$/.exec(rest))) {
      // the files declared at that commit (recursive listing; a non-recursive one is not needed by the app)
      const sha = h[1];
      const tree = [...r.contents.keys()]
        .filter((k) => k.startsWith(`${sha}:`))
        .map((k) => {
          const text = r.contents.get(k);
          return { path: k.slice(sha.length + 1), mode: "100644", type: "blob", sha: gitBlobId(text), size: Buffer.byteLength(text) };
        });
      if (tree.length === 0) return { status: 404, body: { message: "Not Found" } };
      return { status: 200, body: { sha, truncated: false, tree } };
    }
    if (method === "GET" && (h = /^\/git\/blobs\/([0-9a-f]+)$/.exec(rest))) {
      const text = [...r.contents.values()].find((t) => gitBlobId(t) === h[1]);
      if (text === undefined) return { status: 404, body: { message: "Not Found" } };
      return { status: 200, body: { sha: h[1], size: Buffer.byteLength(text), encoding: "base64", content: Buffer.from(text).toString("base64") } };
    }
    if (method === "GET" && (h = /^\/compare\/([0-9a-f]+)\.\.\.([0-9a-f]+)$/.exec(rest))) {
      return { status: 200, body: { merge_base_commit: { sha: h[1] }, files: [] } };
    }
    if ((h = /^\/pulls\/(\d+)(\/.*)?$/.exec(rest))) {
      const n = Number(h[1]);
      const pr = r.pulls.get(n);
      rec.pr = `${full}#${n}`;
      if (!pr) return { status: 404, body: { message: "Not Found" } };
      const sub = h[2] ?? "";
      if (method === "GET" && sub === "") {
        return { status: 200, body: { number: n, state: "open", draft: false, title: pr.title ?? "demofs change", body: "", user: { login: pr.author, type: "User" }, head: { sha: pr.headSha }, base: { sha: pr.baseSha } } };
      }
      if (method === "GET" && sub === "/files") return this.page(pr.files, url, path);
      if (method === "GET" && sub === "/commits") {
        // GitHub's list-commits of a pull request: oldest first, at most 250
        const rows = pr.commits.slice(0, 250).map((c) => ({
          sha: c.sha,
          commit: { message: c.message, author: { name: c.author ?? "Octo Cat", email: "octocat@example.org", date: "2026-11-20T10:00:00Z" } },
          parents: Array.from({ length: c.parents ?? 1 }, (_, i) => ({ sha: `${"p".repeat(39)}${i}` })),
        }));
        return this.page(rows, url, path);
      }
      if (method === "GET" && sub === "/comments") return this.page(r.reviewComments.filter((c) => c.pull_number === n), url, path);
      if (method === "GET" && sub === "/reviews") return this.page(r.reviews.filter((x) => x.pull_number === n), url, path);
      if (method === "POST" && sub === "/reviews") return this.createReview(r, pr, rec.body);
    }
    if ((h = /^\/collaborators\/([^/]+)\/permission$/.exec(rest)) && method === "GET") {
      const login = decodeURIComponent(h[1]);
      const perm = r.permissions.get(login);
      if (perm === undefined) return { status: 404, body: { message: `${login} is not a user` } };
      return { status: 200, body: { permission: perm, role_name: perm, user: { login, type: "User" } } };
    }
    if ((h = /^\/pulls\/comments\/(\d+)(\/reactions)?$/.exec(rest))) {
      const c = r.reviewComments.find((x) => x.id === Number(h[1]));
      if (!c) return { status: 404, body: { message: "Not Found" } };
      rec.pr = `${full}#${c.pull_number}`;
      if (method === "GET" && !h[2]) return { status: 200, body: c };
      if (method === "GET" && h[2]) {
        const content = url.searchParams.get("content");
        const list = r.reactions
          .filter((x) => x.kind === "review-comment" && x.commentId === c.id && (!content || x.content === content))
          .map((x, i) => ({ id: 50_000 + i, content: x.content, user: x.user ?? BOT }));
        return this.page(list, url, path);
      }
      if (method === "POST" && h[2]) {
        r.reactions.push({ kind: "review-comment", commentId: c.id, content: rec.body.content, user: BOT });
        return { status: 201, body: { id: this.nextId++, content: rec.body.content, user: BOT } };
      }
    }
    if ((h = /^\/issues\/(\d+)\/comments$/.exec(rest)) && method === "GET") {
      rec.pr = `${full}#${h[1]}`;
      return this.page(r.issueComments.filter((c) => c.issue_number === Number(h[1])), url, path);
    }
    if ((h = /^\/issues\/comments\/(\d+)\/reactions$/.exec(rest)) && method === "POST") {
      const c = r.issueComments.find((x) => x.id === Number(h[1]));
      if (!c) return { status: 404, body: { message: "Not Found" } };
      rec.pr = `${full}#${c.issue_number}`;
      r.reactions.push({ kind: "issue-comment", commentId: c.id, content: rec.body.content, user: BOT });
      return { status: 201, body: { id: this.nextId++, content: rec.body.content, user: BOT } };
    }
    if (rest === "/commits" && method === "GET") {
      // GitHub's list-commits: ?sha= (start point), ?path= (only commits touching it)
      const p = url.searchParams.get("path");
      const rows = r.commits
        .filter((c) => !p || c.paths.includes(p))
        .map((c) => ({ sha: c.sha, html_url: `https://github.com/${full}/commit/${c.sha}`, commit: { message: c.message, committer: { date: c.date } } }));
      return this.page(rows, url, path);
    }
    if ((h = /^\/commits\/([0-9a-f]{7,})$/.exec(rest)) && method === "GET") {
      // a commit; with the diff media type, its diff as text (what repos.getCommit asks for)
      const diff = r.commitDiffs.get(h[1]);
      rec.pr = this.shaToPr.get(h[1]) ?? null;
      if (diff === undefined) return { status: 404, body: { message: "Not Found" } };
      if (!/diff/.test(headers.accept ?? "")) return { status: 415, body: { message: "the double serves commits as diffs only" } };
      return { raw: diff, rawType: "application/vnd.github.v3.diff" };
    }
    if ((h = /^\/commits\/([^/]+)\/pulls$/.exec(rest)) && method === "GET") {
      const prs = [...r.pulls.values()].filter((p) => p.headSha === h[1]).map((p) => ({ number: p.number, state: "open" }));
      return { status: 200, body: prs };
    }
    if ((h = /^\/commits\/([^/]+)\/check-runs$/.exec(rest)) && method === "GET") {
      rec.pr = this.shaToPr.get(h[1]) ?? null;
      const name = url.searchParams.get("check_name");
      const runs = r.checkRuns.filter((c) => c.head_sha === h[1] && (!name || c.name === name)).reverse();
      return { status: 200, body: { total_count: runs.length, check_runs: runs.map((c) => this.checkView(c)) } };
    }
    if (rest === "/check-runs" && method === "POST") {
      const b = rec.body;
      const anns = b.output?.annotations ?? [];
      if (anns.length > 50) return { status: 422, body: { message: "Only 50 annotations are allowed per request" } };
      const run = { id: this.nextId++, name: b.name, head_sha: b.head_sha, status: b.status ?? "queued", conclusion: b.conclusion ?? null, output: { title: b.output?.title ?? null, summary: b.output?.summary ?? null }, annotations: [...anns], updates: 0, app: { id: 1 } };
      r.checkRuns.push(run);
      rec.pr = this.shaToPr.get(b.head_sha) ?? null;
      this.checkToPr.set(run.id, rec.pr);
      return { status: 201, body: this.checkView(run) };
    }
    if ((h = /^\/check-runs\/(\d+)(\/annotations)?$/.exec(rest))) {
      const run = r.checkRuns.find((c) => c.id === Number(h[1]));
      if (!run) return { status: 404, body: { message: "Not Found" } };
      rec.pr = this.checkToPr.get(run.id) ?? null;
      if (method === "GET" && h[2]) return this.page(run.annotations, url, path);
      if (method === "PATCH" && !h[2]) {
        const b = rec.body;
        const anns = b.output?.annotations ?? [];
        if (anns.length > 50) return { status: 422, body: { message: "Only 50 annotations are allowed per request" } };
        if (b.status) run.status = b.status;
        if (b.conclusion) {
          run.conclusion = b.conclusion;
          run.status = "completed";
        }
        if (b.output) run.output = { title: b.output.title, summary: b.output.summary };
        run.annotations.push(...anns);
        run.updates++;
        return { status: 200, body: this.checkView(run) };
      }
    }
    return { status: 404, body: { message: `Not Found (double: ${method} ${path})` } };
  }

  checkView(c) {
    return { id: c.id, name: c.name, head_sha: c.head_sha, status: c.status, conclusion: c.conclusion, app: c.app, output: { ...c.output, annotations_count: c.annotations.length }, pull_requests: [] };
  }

  createReview(r, pr, body) {
    const comments = body.comments ?? [];
    for (const c of comments) {
      const f = pr.files.find((x) => x.filename === c.path);
      const ok = f && f.patch && c.side !== "LEFT" && hunkLines(f.patch).has(c.line);
      if (!ok) {
        return {
          status: 422,
          body: { message: "Unprocessable Entity", errors: ["Pull request review thread line must be part of the diff"], documentation_url: "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request" },
        };
      }
    }
    if (body.commit_id && body.commit_id !== pr.headSha) {
      // GitHub accepts reviews on older commits of the PR; the double only checks it is a string
    }
    const review = { id: this.nextId++, pull_number: pr.number, body: body.body ?? "", event: body.event, commit_id: body.commit_id, user: BOT, state: "COMMENTED", comments: comments.length };
    r.reviews.push(review);
    for (const c of comments) {
      r.reviewComments.push({ id: this.nextId++, pull_number: pr.number, review_id: review.id, path: c.path, line: c.line, side: c.side, original_line: c.line, body: c.body, commit_id: body.commit_id, user: BOT, author_association: "NONE", reactions: { "-1": 0, "+1": 0 } });
    }
    return { status: 200, body: review };
  }

  /** Bot comments (inline) of a pull request. */
  botComments(full, number) {
    return this.repo(full).reviewComments.filter((c) => c.pull_number === number && c.user?.type === "Bot");
  }

  checkRunsFor(full, sha) {
    return this.repo(full).checkRuns.filter((c) => c.head_sha === sha);
  }
}

// Load test for the GitHub App (not a timed test): the real
// `reclaim-review github` process against the loopback API double, 200
// signed webhooks for 50 pull requests sent in bursts (each PR: opened, two
// redeliveries of it, and ready_for_review for the same head). Checks that
// every PR is reviewed exactly once and nothing is lost; reports throughput,
// p95 webhook-to-review latency with the API double's own time taken out
// (and, to separate queueing from work, the p95 of one review's own time),
// and the app's peak RSS. Needs dist/ (npx tsc -p .).
//
//   node bench/github.mjs            prints the result as JSON
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GitHubDouble } from "../test/app/github-double.mjs";
import { ROOT, fileRow, fixture, prPayload, sendWebhook, startApp, until, newDeliveryId } from "../test/app/harness.mjs";

const SECRET = "bench-secret";
const REPO = "demo/linux";
const BASE = "b".repeat(40);

function peakRssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

function shuffle(xs, seed = 7) {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

/**
 * @param {{ prs?: number, perPr?: number, burst?: number, gapMs?: number, concurrency?: number }} opts
 */
export async function benchGitHub(opts = {}) {
  const prs = opts.prs ?? 50;
  const burst = opts.burst ?? 50;
  const gapMs = opts.gapMs ?? 100;
  if (!existsSync(join(ROOT, "dist", "app", "server.js"))) throw new Error("dist/ is missing: run `npx tsc -p .` first");

  const api = new GitHubDouble();
  const apiPort = await api.start();
  // The 1 s gap between writes GitHub asks for would make this a measurement of sleep(); it is
  // switched off here and the app's own work is measured.
  const app = await startApp({ apiPort, secret: SECRET, nodeArgs: opts.nodeArgs ?? [], env: { LOG_LEVEL: "info", RECLAIM_WRITE_INTERVAL_MS: "0", RECLAIM_CONCURRENCY: String(opts.concurrency ?? 4), ...(opts.env ?? {}) } });
  try {
    const inodeBase = fixture("inode-base.c");
    const inodeAfter = fixture("inode-nofs.c");
    const bmapBase = fixture("bmap-base.c");
    const bmapAfter = fixture("bmap-nofs.c");
    const webhooks = [];
    for (let n = 1; n <= prs; n++) {
      const head = n.toString(16).padStart(40, "a");
      api.setPull(REPO, n, {
        headSha: head,
        baseSha: BASE,
        files: [fileRow("fs/demofs/inode.c", inodeBase, inodeAfter), fileRow("fs/demofs/bmap.c", bmapBase, bmapAfter)],
        contents: { [`${head}:fs/demofs/inode.c`]: inodeAfter, [`${head}:fs/demofs/bmap.c`]: bmapAfter },
      });
      const opened = prPayload({ number: n, head, base: BASE });
      const id = newDeliveryId();
      webhooks.push({ n, payload: opened, id }, { n, payload: opened, id }, { n, payload: opened, id });
      webhooks.push({ n, payload: prPayload({ action: "ready_for_review", number: n, head, base: BASE }), id: newDeliveryId() });
    }
    shuffle(webhooks);

    const firstSent = new Map();
    const statuses = [];
    let peakSampled = 0;
    const sampler = setInterval(() => {
      const r = rssMb(app.pid);
      if (r !== null && r > peakSampled) peakSampled = r;
    }, 50);
    const t0 = Date.now();
    for (let i = 0; i < webhooks.length; i += burst) {
      const slice = webhooks.slice(i, i + burst);
      const results = await Promise.all(
        slice.map((w) => {
          if (!firstSent.has(w.n)) firstSent.set(w.n, Date.now());
          return sendWebhook(app.url, "pull_request", w.payload, { secret: SECRET, id: w.id });
        }),
      );
      statuses.push(...results.map((r) => r.status));
      await new Promise((r) => setTimeout(r, gapMs));
    }
    await until(() => app.logs.filter((l) => l.msg === "reviewed").length >= prs, 120_000, "all reviews");
    await new Promise((r) => setTimeout(r, 300)); // anything extra would show up now
    const seconds = (Date.now() - t0) / 1000;
    clearInterval(sampler);

    // Exactly once, nothing lost.
    const repo = api.repo(REPO);
    const problems = [];
    const latencies = [];
    const services = [];
    for (let n = 1; n <= prs; n++) {
      const head = n.toString(16).padStart(40, "a");
      const runs = repo.checkRuns.filter((c) => c.head_sha === head);
      const reviews = repo.reviews.filter((r) => r.pull_number === n);
      const comments = repo.reviewComments.filter((c) => c.pull_number === n);
      if (runs.length !== 1 || runs[0].status !== "completed") problems.push(`#${n}: ${runs.length} check runs`);
      if (reviews.length !== 1) problems.push(`#${n}: ${reviews.length} reviews`);
      if (comments.length !== 2) problems.push(`#${n}: ${comments.length} comments`);
      const pr = `${REPO}#${n}`;
      const done = api.requests.filter((r) => r.method === "PATCH" && r.pr === pr && r.body?.conclusion).at(-1);
      if (!done) continue;
      const start = firstSent.get(n);
      const apiTime = api.requests.filter((r) => r.pr === pr && r.at >= start && r.at <= done.at).reduce((s, r) => s + r.ms, 0);
      latencies.push(done.at - start - apiTime);
      // service time: from the review's first request about this PR to its check run completing
      const mine = api.requests.filter((r) => r.pr === pr && r.at >= start && r.at <= done.at);
      if (mine.length > 0) services.push(done.at - mine[0].at - apiTime);
    }
    const non2xx = statuses.filter((s) => s < 200 || s >= 300).length;
    if (non2xx) problems.push(`${non2xx} webhooks not answered 2xx`);
    const reviewed = app.logs.filter((l) => l.msg === "reviewed").length;
    if (reviewed !== prs) problems.push(`${reviewed} reviews for ${prs} pull requests`);

    return {
      webhooks: webhooks.length,
      prs,
      reviews: reviewed,
      seconds: Math.round(seconds * 100) / 100,
      throughputPerSec: Math.round((prs / seconds) * 10) / 10,
      webhooksPerSec: Math.round((webhooks.length / seconds) * 10) / 10,
      p95LatencyMs: Math.round(percentile(latencies, 95)),
      p50LatencyMs: Math.round(percentile(latencies, 50)),
      p95ServiceMs: Math.round(percentile(services, 95)),
      peakRssMb: peakRssMb(app.pid) ?? Math.round(peakSampled * 10) / 10,
      apiRequests: api.requests.length,
      ok: problems.length === 0,
      problems,
    };
  } finally {
    await app.stop();
    await api.stop();
  }
}

export default benchGitHub;

if (import.meta.url === `file://${process.argv[1]}`) {
  benchGitHub().then(
    (r) => {
      process.stdout.write(JSON.stringify(r, null, 2) + "\n");
      process.exitCode = r.ok ? 0 : 1;
    },
    (err) => {
      process.stderr.write(`bench/github: ${err.stack ?? err}\n`);
      process.exitCode = 1;
    },
  );
}

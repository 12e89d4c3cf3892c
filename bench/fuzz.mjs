#!/usr/bin/env node
// npm run fuzz [-- --count N --seed S --jobs J --limit-ms MS]
//
// Generated hostile inputs through the CLI: long lines, many hunks and files,
// deep MIME nesting, control characters and bidi overrides, broken headers,
// truncations and byte flips of real-shaped patches. Each input goes through
// the CLI's entry point (`review -` with the input on stdin, in one of J
// runner processes; every 100th through the real `bin/reclaim-review.js` as
// its own process), with every output format in turn. Counted:
//   crash    an exit status other than 0/1/2, an "internal error" line, or a
//            runner process that died;
//   slow     an input not answered within --limit-ms (default 5000): its
//            runner is killed and a new one takes the next input;
//   leak     a control character (other than TAB/LF) or a bidi override in
//            the text, email or markdown output.
// Prints one JSON line; exits 1 when anything was counted. The default test
// run (test/hostile/fuzz.test.ts) runs a sample of 300.
import { fork, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { prng, genPatch } from "./gen-mbox.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const FORMATS = ["text", "json", "email", "markdown", "sarif", "b4"];
const LEAK = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

// ------------------------------------------------------------------ inputs

const int = (r, n) => Math.floor(r() * n);
const pick = (r, xs) => xs[int(r, xs.length)];
const CONTROLS = ["\x1b[2J", "\x1b]0;pwned\x07", "\r", "\x1b[1A\x1b[2K", "\u202e", "\u2066", "\x9b31m", "\x00", "\x08\x08\x08", "\x7f"];

function hunkFile(path, lines, section = "static int frob_queue_rq(struct blk_mq_hw_ctx *hctx)") {
  return `diff --git a/${path} b/${path}\n--- a/${path}\n+++ b/${path}\n@@ -1,2 +1,${2 + lines.length} @@ ${section}\n {\n${lines.map((l) => "+" + l).join("\n")}\n }\n`;
}

const KINDS = {
  longLine(r) {
    const n = 1000 + int(r, 30_000);
    const body = pick(r, [() => "a".repeat(n), () => "x_".repeat(n / 2), () => "(".repeat(n), () => ` GFP_KERNEL ${"foo(".repeat(n / 4)}`, () => "\t".repeat(n)])();
    return hunkFile("mm/frob.c", [`p = kmalloc(${body}, GFP_KERNEL);`], pick(r, ["static unsigned long frob_shrink_scan(struct shrinker *s, struct shrink_control *sc)", "static blk_status_t frob_queue_rq(struct blk_mq_hw_ctx *h)"]));
  },
  manyHunks(r) {
    const n = 100 + int(r, 3000);
    const parts = ["diff --git a/fs/frob.c b/fs/frob.c\n--- a/fs/frob.c\n+++ b/fs/frob.c\n"];
    for (let i = 0; i < n; i++) parts.push(`@@ -${i * 10 + 1},1 +${i * 10 + 1},2 @@ static void f${i}(void)\n ctx${i}\n+\tp = kzalloc(${i}, GFP_KERNEL);\n`);
    if (r() < 0.3) parts.push("@@ -99999,3 +99999,4 @@\n ctx\n"); // a truncated last hunk
    return parts.join("");
  },
  manyFiles(r) {
    const n = 50 + int(r, 1000);
    let s = "";
    for (let i = 0; i < n; i++) s += hunkFile(`drivers/x/f${i}.c`, [`q${i} = alloc_workqueue("q${i}", WQ_UNBOUND, 0);`]);
    return s;
  },
  manyLines(r) {
    const n = 500 + int(r, 4000);
    return hunkFile("drivers/block/frob.c", Array.from({ length: n }, (_, i) => `\tp${i} = kmalloc(sizeof(*p${i}), GFP_KERNEL);`));
  },
  deepMime(r) {
    const depth = 5 + int(r, 200);
    const patch = genPatch(r, 1, 1).split("\n").slice(5).join("\n");
    let body = `Content-Type: text/x-patch; charset=utf-8\n\n${patch}`;
    for (let d = depth; d > 0; d--) body = `Content-Type: multipart/mixed; boundary="b${d}"\n\n--b${d}\n${body}\n--b${d}--\n`;
    return `From: A <a@example.org>\nSubject: [PATCH] frob: deep\nMessage-ID: <deep${depth}@example.org>\nMIME-Version: 1.0\n${body}`;
  },
  controls(r) {
    const c = () => pick(r, CONTROLS);
    const lines = [`p = kmalloc(n, GFP_KERNEL); /* ${c()}looks harmless${c()} */`, `${c()}\tq = alloc_workqueue("x${c()}", 0, 0);`];
    return `From: Evil ${c()} <e@example.org>\nSubject: [PATCH] ${c()}frob${c()}: fix\n\nmessage ${c()} body\n---\n${hunkFile(`fs/fr${c()}ob.c`.replace(/[\x00\r]/g, ""), lines)}`;
  },
  headers(r) {
    const subj = "x ".repeat(int(r, 20_000));
    const refs = Array.from({ length: int(r, 5000) }, (_, i) => `<r${i}@x>`).join(" ");
    return `From: "a@b.c" <a@example.org>, ${"x,".repeat(int(r, 2000))}\nSubject: [PATCH] ${subj}\nReferences: ${refs}\nMessage-ID: ${pick(r, ["", "<>", "<a b@c>", "no-brackets"])}\n\nbody\n---\n${hunkFile("fs/a.c", ["p = kmalloc(1, GFP_KERNEL);"])}`;
  },
  mutated(r) {
    let s = genPatch(r, int(r, 1000), 5);
    const ops = 1 + int(r, 5);
    for (let k = 0; k < ops; k++) {
      const at = int(r, s.length);
      switch (int(r, 5)) {
        case 0:
          s = s.slice(0, at); // truncated
          break;
        case 1:
          s = s.slice(0, at) + String.fromCharCode(int(r, 256)) + s.slice(at + 1); // byte flip
          break;
        case 2:
          s = s.slice(0, at) + "\n@@ -1,99999 +1,1 @@\n" + s.slice(at); // a lying hunk header
          break;
        case 3:
          s = s.slice(0, at) + pick(r, CONTROLS) + s.slice(at);
          break;
        default:
          s = s.slice(0, at) + s.slice(at, at + int(r, 2000)).repeat(1 + int(r, 20)) + s.slice(at); // repeated span
      }
    }
    return s;
  },
  binaryish(r) {
    return Buffer.from(Array.from({ length: 100 + int(r, 50_000) }, () => int(r, 256))).toString("latin1");
  },
};

export function hostileInputs(count, seed) {
  const r = prng(seed);
  const kinds = Object.keys(KINDS);
  const out = [];
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % kinds.length];
    out.push({ i, kind, format: FORMATS[Math.floor(i / kinds.length) % FORMATS.length], data: KINDS[kind](r) });
  }
  return out;
}

// ------------------------------------------------------------------ runner

if (process.argv[2] === "--runner") {
  const { main } = await import(join(root, "dist", "cli", "main.js"));
  process.on("message", async (m) => {
    const out = [];
    const err = [];
    const io = {
      stdout: (s) => void out.push(s),
      stderr: (s) => void err.push(s),
      readStdin: async () => Buffer.from(m.data, "latin1"),
      stdinIsTTY: false,
      stdoutIsTTY: false,
    };
    const t0 = performance.now();
    let code;
    try {
      code = await main(["review", "--format", m.format, "-"], io);
    } catch (e) {
      code = -1;
      err.push(String(e));
    }
    const text = out.join("");
    process.send({ i: m.i, code, ms: performance.now() - t0, internal: /internal error/.test(err.join("")), leak: ["text", "email", "markdown"].includes(m.format) && LEAK.test(text) ? JSON.stringify(text.match(LEAK)[0]) : null, err: err.join("").slice(0, 300) });
  });
  process.send({ ready: true });
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const count = arg("count", 10_000);
  const seed = arg("seed", 0xf022);
  const jobs = arg("jobs", 2);
  const limitMs = arg("limit-ms", 5000);
  const result = await fuzz({ count, seed, jobs, limitMs });
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exitCode = result.crashes + result.slow + result.leaks > 0 ? 1 : 0;
}

/** Runs the inputs; resolves with counts, the slowest input and the first failures. */
export async function fuzz({ count, seed, jobs = 2, limitMs = 5000, onProgress }) {
  const inputs = hostileInputs(count, seed);
  const res = { inputs: count, seed, limitMs, answered: 0, exit: { 0: 0, 1: 0, 2: 0 }, crashes: 0, slow: 0, leaks: 0, processRuns: 0, maxMs: 0, maxKind: null, failures: [] };
  const note = (what, inp, extra) => {
    if (res.failures.length < 20) res.failures.push({ what, i: inp.i, kind: inp.kind, format: inp.format, ...extra });
  };
  let next = 0;
  const take = () => (next < inputs.length ? inputs[next++] : null);
  const t0 = performance.now();

  async function lane() {
    let child = null;
    const start = () =>
      new Promise((resolve) => {
        const c = fork(fileURLToPath(import.meta.url), ["--runner"], { stdio: ["ignore", "ignore", "ignore", "ipc"] });
        c.once("message", () => resolve(c));
      });
    for (let inp = take(); inp; inp = take()) {
      // every 100th input: the real executable, as its own process
      if (inp.i % 100 === 0) {
        const p0 = performance.now();
        const r = spawnSync(process.execPath, [join(root, "bin", "reclaim-review.js"), "review", "--format", inp.format, "-"], { input: Buffer.from(inp.data, "latin1"), timeout: limitMs + 2000, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
        const ms = performance.now() - p0;
        res.processRuns++;
        if (r.signal) {
          res.slow++;
          note("slow", inp, { ms: Math.round(ms), via: "process" });
        } else if (![0, 1, 2].includes(r.status) || /internal error/.test(r.stderr)) {
          res.crashes++;
          note("crash", inp, { code: r.status, err: r.stderr.slice(0, 300), via: "process" });
        } else {
          res.answered++;
          res.exit[r.status]++;
        }
        continue;
      }
      child ??= await start();
      const c = child;
      const answer = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve({ timeout: true }), limitMs);
        const onExit = (code) => resolve({ died: code });
        c.once("exit", onExit);
        c.once("message", (m) => {
          clearTimeout(timer);
          c.off("exit", onExit);
          resolve(m);
        });
        c.send({ i: inp.i, format: inp.format, data: inp.data });
      });
      if (answer.timeout || answer.died !== undefined) {
        c.kill("SIGKILL");
        child = null;
        if (answer.timeout) {
          res.slow++;
          note("slow", inp, { ms: limitMs });
        } else {
          res.crashes++;
          note("crash", inp, { died: answer.died });
        }
        continue;
      }
      if (answer.ms > res.maxMs) {
        res.maxMs = Math.round(answer.ms);
        res.maxKind = inp.kind;
      }
      if (![0, 1, 2].includes(answer.code) || answer.internal) {
        res.crashes++;
        note("crash", inp, { code: answer.code, err: answer.err });
      } else {
        res.answered++;
        res.exit[answer.code]++;
      }
      if (answer.leak) {
        res.leaks++;
        note("leak", inp, { char: answer.leak });
      }
      onProgress?.(res);
    }
    child?.kill();
  }
  await Promise.all(Array.from({ length: jobs }, lane));
  res.wallSeconds = Math.round((performance.now() - t0) / 100) / 10;
  return res;
}

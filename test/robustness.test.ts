// Robustness of the input edge: thousands of damaged inputs, generated
// deterministically from the fixtures, must either parse (and then go
// through the whole review without throwing) or be refused with an
// InputError of one line. A handful also go through the built CLI, which
// must exit 0, 1 or 2 without a stack trace.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../src/config.js";
import { InputError } from "../src/errors.js";
import { parseInput } from "../src/ingest/index.js";
import { loadKnowledge } from "../src/knowledge/load.js";
import type { KnowledgeBase } from "../src/knowledge/base.js";
import { review } from "../src/pipeline.js";
import { FIXTURES, fixture } from "./ingest/helpers.js";
// @ts-expect-error plain JS module shared with the benchmark (mulberry32, seeded)
import { prng as seededPrng } from "../bench/gen-mbox.mjs";

const prng = seededPrng as (seed: number) => () => number;

const ROOT = fileURLToPath(new URL("../", import.meta.url));


type Mutation = (input: Buffer, rnd: () => number) => Buffer;
const int = (rnd: () => number, n: number) => Math.floor(rnd() * n);

function lines(b: Buffer): string[] {
  return b.toString("latin1").split("\n");
}
function fromLines(l: string[]): Buffer {
  return Buffer.from(l.join("\n"), "latin1");
}

const CHARSETS = ["utf-8", "iso-8859-1", "windows-1252", "koi8-r", "shift_jis", "utf-16le", "x-unknown", "klingon", "", "us-ascii", "gb18030", "\"utf-8", "iso-2022-jp"];

const MUTATIONS: Record<string, Mutation> = {
  truncate: (b, r) => b.subarray(0, int(r, b.length + 1)),
  byteFlips: (b, r) => {
    const c = Buffer.from(b);
    for (let k = 1 + int(r, 8); k > 0 && c.length > 0; k--) c[int(r, c.length)] ^= 1 + int(r, 255);
    return c;
  },
  garbage: (_b, r) => {
    const c = Buffer.alloc(1 + int(r, 3000));
    for (let i = 0; i < c.length; i++) c[i] = int(r, 256);
    return c;
  },
  garbageSpliced: (b, r) => {
    const g = Buffer.alloc(1 + int(r, 200));
    for (let i = 0; i < g.length; i++) g[i] = int(r, 256);
    const at = int(r, b.length + 1);
    return Buffer.concat([b.subarray(0, at), g, b.subarray(at)]);
  },
  nuls: (b, r) => {
    const at = int(r, b.length + 1);
    return Buffer.concat([b.subarray(0, at), Buffer.alloc(1 + int(r, 4)), b.subarray(at)]);
  },
  wrongCharset: (b, r) => {
    const cs = CHARSETS[int(r, CHARSETS.length)]!;
    const t = b.toString("latin1");
    if (/charset=/i.test(t)) return Buffer.from(t.replace(/charset="?[^;\s"]*"?/gi, `charset=${cs}`), "latin1");
    const l = t.split("\n");
    const at = Math.max(0, l.findIndex((x) => x === ""));
    l.splice(at, 0, "MIME-Version: 1.0", `Content-Type: text/plain; charset=${cs}`, "Content-Transfer-Encoding: 8bit");
    return Buffer.from(l.join("\n"), "latin1");
  },
  wrongTransferEncoding: (b, r) => {
    const enc = ["base64", "quoted-printable", "x-uuencode", "7bit", "binary"][int(r, 5)]!;
    const l = lines(b);
    const at = Math.max(0, l.findIndex((x) => x === ""));
    l.splice(at, 0, "MIME-Version: 1.0", `Content-Transfer-Encoding: ${enc}`);
    return fromLines(l);
  },
  shuffleLines: (b, r) => {
    const l = lines(b);
    const start = int(r, l.length);
    const len = Math.min(l.length - start, 2 + int(r, 12));
    const win = l.slice(start, start + len);
    for (let i = win.length - 1; i > 0; i--) {
      const j = int(r, i + 1);
      [win[i], win[j]] = [win[j]!, win[i]!];
    }
    l.splice(start, len, ...win);
    return fromLines(l);
  },
  crlfMix: (b, r) => {
    const p = r();
    return fromLines(lines(b).map((x) => (r() < p ? x + "\r" : x)));
  },
  loneCR: (b, r) => fromLines(lines(b).map((x) => (r() < 0.1 ? x.replace(/ /, "\r") : x))),
  removeHeaders: (b, r) => {
    const l = lines(b);
    const end = l.findIndex((x) => x === "");
    const n = end < 0 ? l.length : end;
    return fromLines(l.filter((_x, i) => i >= n || r() > 0.5));
  },
  removeLines: (b, r) => {
    const p = r() * 0.2;
    return fromLines(lines(b).filter(() => r() > p));
  },
  duplicateLines: (b, r) => {
    const l = lines(b);
    const at = int(r, l.length);
    l.splice(at, 0, ...l.slice(at, at + 1 + int(r, 5)));
    return fromLines(l);
  },
  hunkHeaders: (b, r) =>
    Buffer.from(
      b.toString("latin1").replace(/^@@ -(\d+),(\d+) \+(\d+),(\d+) @@/gm, (_m, a, bb, c, d) =>
        r() < 0.5 ? `@@ -${a},${Number(bb) + int(r, 3) - 1} +${c},${Number(d) + int(r, 3) - 1} @@` : `@@ -${a} +${c} @@`,
      ),
      "latin1",
    ),
  mimeNesting: (b, r) => {
    // the input as the innermost part of several multipart levels
    let body = b.toString("latin1");
    for (let depth = 1 + int(r, 70); depth > 0; depth--) {
      const bd = `b${depth}x${int(r, 1000)}`;
      body = `Content-Type: multipart/mixed; boundary="${bd}"\n\n--${bd}\n${body}\n--${bd}--\n`;
    }
    return Buffer.from("From: Nest <n@example.org>\nSubject: [PATCH] nested\nMIME-Version: 1.0\n" + body, "latin1");
  },
  boundaryDamage: (b, r) => {
    const t = b.toString("latin1");
    const m = /boundary="?([^";\s]+)"?/i.exec(t);
    if (!m) return b;
    const bd = m[1]!;
    const cut = bd.slice(0, int(r, bd.length));
    return Buffer.from(r() < 0.5 ? t.split("--" + bd).join("--" + cut) : t.replace(new RegExp(`^--${bd.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}--$`, "m"), ""), "latin1");
  },
  quoteAsReply: (b, r) => fromLines(lines(b).map((x) => (r() < 0.5 ? "> " + x : x))),
  concatenate: (b, r) => Buffer.concat([b, Buffer.from("\n"), b.subarray(int(r, b.length))]),
  hugeLine: (b, r) => {
    const l = lines(b);
    const at = int(r, l.length);
    const prefix = ["+", " ", "-", "", "Subject: ", "X-Long: "][int(r, 6)]!;
    l.splice(at, 0, prefix + "x".repeat(1024 * 1024));
    return fromLines(l);
  },
};

const SOURCES = readdirSync(FIXTURES).sort();
const N = 1500;

function mutants(): { name: string; data: Buffer }[] {
  const r = prng(0x5eed1e55);
  const kinds = Object.keys(MUTATIONS).sort();
  const out: { name: string; data: Buffer }[] = [];
  for (let i = 0; i < N; i++) {
    const src = SOURCES[i % SOURCES.length]!;
    // huge lines are slow to build and to read: every 40th input only
    let kind = kinds[int(r, kinds.length)]!;
    if (kind === "hugeLine" && i % 40 !== 0) kind = "byteFlips";
    let data = MUTATIONS[kind]!(fixture(src), r);
    // a second mutation on a third of them
    if (r() < 0.33) {
      const k2 = kinds[int(r, kinds.length)]!;
      if (k2 !== "hugeLine") data = MUTATIONS[k2]!(data, r);
    }
    out.push({ name: `${src}~${kind}#${i}`, data });
  }
  return out;
}

describe("robustness of the input edge", () => {
  let kb: KnowledgeBase;
  beforeAll(() => {
    kb = loadKnowledge();
  });

  it(`parses or refuses ${N} damaged inputs with a one-line InputError, and reviews what parses`, async () => {
    const stats = { parsed: 0, refused: 0, patches: 0, problems: 0, recounted: 0 };
    const inputs = mutants();
    expect(inputs.length).toBeGreaterThanOrEqual(1000);
    for (const { name, data } of inputs) {
      let parsed;
      try {
        parsed = await parseInput(data, name);
      } catch (err) {
        if (!(err instanceof InputError)) throw new Error(`${name}: ${String(err)} escaped as ${(err as Error)?.name}`);
        expect(err.message.includes("\n"), `${name}: ${err.message}`).toBe(false);
        expect(err.message.startsWith(name + ": "), name).toBe(true);
        stats.refused++;
        continue;
      }
      stats.parsed++;
      stats.patches += parsed.patches.length;
      stats.problems += parsed.problems.length;
      for (const p of parsed.problems) expect(p.message.includes("\n"), `${name}: ${p.message}`).toBe(false);
      expect(parsed.patches.length, name).toBeGreaterThan(0);
      const result = review(parsed, null, DEFAULT_CONFIG, kb);
      expect(result.reviews).toHaveLength(parsed.patches.length);
      // a rule that throws is caught by the engine; here it is a failure, not a pass
      for (const r of result.reviews) expect(r.errors, `${name}: ${JSON.stringify(r.errors)}`).toEqual([]);
      stats.recounted += result.reviews.filter((r) => r.patch.notes.some((n) => n.includes(" recounted: "))).length;
      // the whole result must be plain data
      expect(() => JSON.stringify(result)).not.toThrow();
    }
    // the mutations are not all harmless, nor all fatal
    expect(stats.parsed).toBeGreaterThan(100);
    expect(stats.refused).toBeGreaterThan(100);
    console.log(`robustness: ${inputs.length} inputs, ${stats.parsed} parsed (${stats.patches} patches, ${stats.recounted} with a recounted hunk, ${stats.problems} problems), ${stats.refused} refused, 0 crashes`);
  });
});

describe("robustness through the built CLI", () => {
  let dir: string;
  beforeAll(() => {
    // dist/ is current: test/global-setup.ts built it (or stopped the run)
    dir = mkdtempSync(join(tmpdir(), "rr-robust-"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("exits 0, 1 or 2 with a one-line reason and no stack trace", () => {
    expect(existsSync(join(ROOT, "dist/cli/main.js"))).toBe(true);
    const picks = mutants().filter((_m, i) => i % 150 === 7);
    const files = [
      ...picks.map((m, i) => {
        const f = join(dir, `m${i}.in`);
        writeFileSync(f, m.data);
        return f;
      }),
      join(FIXTURES, "series.mbox"),
      join(FIXTURES, "truncated.patch"),
      join(FIXTURES, "bad-charset.eml"),
      join(FIXTURES, "attachment-latin1.eml"),
    ];
    const codes = new Set<number>();
    for (const f of files) {
      const res = spawnSync(process.execPath, [join(ROOT, "bin/reclaim-review.js"), "review", f], { encoding: "utf8", timeout: 60_000 });
      expect([0, 1, 2], `${f}: ${res.stderr}`).toContain(res.status);
      codes.add(res.status!);
      expect(res.stderr).not.toMatch(/^\s+at /m);
      expect(res.stderr).not.toContain("internal error");
      for (const line of res.stderr.split("\n").filter((l) => l !== "")) expect(line.startsWith("reclaim-review: "), line).toBe(true);
      if (res.status === 2) expect(res.stderr.trim().split("\n").length).toBeGreaterThanOrEqual(1);
    }
    const trunc = spawnSync(process.execPath, [join(ROOT, "bin/reclaim-review.js"), "review", join(FIXTURES, "truncated.patch")], { encoding: "utf8" });
    expect(trunc.status).toBe(2);
    expect(trunc.stderr.trim().split("\n")).toHaveLength(1);
    expect(codes.has(2)).toBe(true);
  });
});

// The lexical gates of the workqueue analysis (src/context/event-gates.ts)
// must never turn down a fragment the analysis would find something in:
// 1. every event of every fragment walked (both sides of the fixture patches,
//    the examples, a generated mbox, and the C fixtures added, rewritten and
//    reverted as patches: WQ_MEM_RECLAIM and queueings on the system queue) passes the gate of its kind, and the names it carries are
//    mentioned by its fragment's text;
// 2. the same patches reviewed with the gates open (every fragment walked)
//    and closed give the same findings.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error plain JS generator shared with the benchmark
import { genMbox } from "../../bench/gen-mbox.mjs";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { regionFlow, regionsOf } from "../../src/context/diff-model.js";
import { GATES, GATE_SWITCH, GATE_WORDS, mayHold, mentions, wordsRe } from "../../src/context/event-gates.js";
import { keyOf } from "../../src/context/extract.js";
import { paramTypes, paramsOfSignature } from "../../src/context/reclaim.js";
import { parseInput } from "../../src/ingest/index.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { review } from "../../src/pipeline.js";
import type { Patch } from "../../src/types.js";
import { formatPatch } from "../helpers/patch.js";
import { COMPLETION_SIGNALS, QUEUE_CALLS, SYSTEM_QUEUES, WORK_INITS } from "../../src/vocab/kernel-api.js";

const kb = loadKnowledge();

/** The old side of a rewrite: the flag taken off queues, queueings moved to the system queue. */
const older = (t: string) => t.replace(/\bWQ_MEM_RECLAIM\b/g, "WQ_UNBOUND").replace(/\bqueue_work\(\s*[^,()]+,\s*/g, "schedule_work(");

function fixturePatches(): { name: string; text: string }[] {
  const root = "test/fixtures/c";
  const out: { name: string; text: string }[] = [];
  const dirs = (readdirSync(root, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[]).filter((d) => d.isDirectory()).map((d) => join(d.parentPath, d.name));
  for (const dir of [root, ...dirs]) {
    const files = readdirSync(dir).filter((f) => /\.[ch]$/.test(f)).sort();
    if (files.length === 0) continue;
    const texts = files.map((f) => ({ path: join("drivers/fixture", dir.slice(root.length), f).replace(/\\/g, "/"), text: readFileSync(join(dir, f), "utf8") }));
    out.push({ name: `${dir} added`, text: formatPatch({ subject: `${dir}: added`, files: texts.map((t) => ({ path: t.path, before: null, after: t.text })) }) });
    out.push({ name: `${dir} rewritten`, text: formatPatch({ subject: `${dir}: rewritten`, files: texts.map((t) => ({ path: t.path, before: older(t.text), after: t.text })) }) });
    out.push({ name: `${dir} reverted`, text: formatPatch({ subject: `${dir}: reverted`, files: texts.map((t) => ({ path: t.path, before: t.text, after: older(t.text) })) }) });
  }
  return out;
}

function filePatches(): { name: string; text: string }[] {
  const names = [
    ...readdirSync("examples").filter((f) => f.endsWith(".patch")).map((f) => join("examples", f)),
    ...(readdirSync("test/fixtures", { recursive: true }) as string[]).filter((f) => /\.(patch|mbox|eml)$/.test(f)).map((f) => join("test/fixtures", f)),
  ].sort();
  return names.map((n) => ({ name: n, text: readFileSync(n, "utf8") }));
}

/** The parsed input, or null for the fixtures that are bad input on purpose. */
async function parsed(input: { name: string; text: string }) {
  try {
    return await parseInput(input.text, input.name);
  } catch {
    return null;
  }
}

const generated = () => [{ name: "generated mbox", text: (genMbox as (n: number, seed: number) => string)(150, 11) }];

afterEach(() => {
  GATE_SWITCH.open = false;
});

describe("event gates", () => {
  it("are the vocabulary's words, and match whole words only", () => {
    expect(GATE_WORDS.queue).toEqual(Object.keys(QUEUE_CALLS));
    expect(GATE_WORDS["work-init"]).toEqual(Object.keys(WORK_INITS));
    expect(GATE_WORDS["completion-signal"]).toEqual(Object.keys(COMPLETION_SIGNALS));
    for (const q of Object.keys(SYSTEM_QUEUES)) expect(GATES["system-queue"].test(`x = ${q};`)).toBe(true);
    expect(GATES.queue.test("\tqueue_work(dev->wq, &dev->work);")).toBe(true);
    expect(GATES.queue.test("\tmy_queue_work_helper(dev);")).toBe(false);
    expect(GATES.flush.test("\tret = frob_flush(dev);")).toBe(false);
    expect(() => wordsRe(["a|b"])).toThrow();
    expect(mentions("\tqueue_work(dev->io_wq, w);", "io_wq")).toBe(true);
    expect(mentions("\tqueue_work(dev->io_wq, w);", "wq")).toBe(false);
    // arguments are read with whitespace collapsed or removed
    expect(mentions("\tINIT_WORK(&d->w,\n\t\t  foo_fn);", "&d->w")).toBe(true);
  });

  it("pass every fragment that holds an event of their kind, and its names", async () => {
    const inputs = [...fixturePatches(), ...filePatches(), ...generated()];
    const counts = { fragments: 0, events: 0, gated: 0 };
    for (const input of inputs) {
      for (const patch of ((await parsed(input))?.patches ?? []) as Patch[])
        for (const side of ["new", "old"] as const)
          for (const r of regionsOf(patch, side)) {
            const params = paramsOfSignature(r.signature);
            const flow = regionFlow(r, { params, types: paramTypes(params.join(", ")) });
            if (!flow) continue;
            counts.fragments++;
            const text = `${r.signature}\n${r.lines.map((l) => l.text).join("\n")}`;
            const changedText = r.lines.filter((l) => l.changed).map((l) => l.text).join("\n");
            const changed = new Set(r.lines.filter((l) => l.changed).map((l) => l.line));
            const where = `${input.name} ${r.file.path}:${r.name} line ${flow.start}`;
            for (const ev of flow.events) {
              counts.events++;
              const info = ev.info;
              const kind = info.kind === "wq-alloc" || info.kind === "queue" || info.kind === "flush" || info.kind === "work-init" ? info.kind : null;
              if (kind) {
                counts.gated++;
                expect(mayHold(text, [kind]), `${where}: ${ev.callee} (${kind})`).toBe(true);
              }
              if (info.kind === "wait" && info.wait === "completion") {
                expect(mayHold(text, ["completion-wait"]), `${where}: ${ev.callee}`).toBe(true);
                if (changed.has(ev.line)) expect(mayHold(changedText, ["completion-wait"]), `${where}: ${ev.callee} on a changed line`).toBe(true);
              }
              if (COMPLETION_SIGNALS[ev.callee] !== undefined) expect(mayHold(text, ["completion-signal"]), `${where}: ${ev.callee}`).toBe(true);
              if (info.kind === "queue") {
                const queue = keyOf(info.queue);
                if (SYSTEM_QUEUES[queue]) expect(mayHold(text, ["system-queue"]), `${where}: ${ev.callee} on ${queue}`).toBe(true);
                if (QUEUE_CALLS[ev.callee]!.queueArg >= 0) expect(mentions(text, queue), `${where}: queue ${queue}`).toBe(true);
                expect(mentions(text, keyOf(info.work)), `${where}: work ${info.work}`).toBe(true);
              }
              if (info.kind === "work-init") {
                expect(mentions(text, keyOf(info.work)), `${where}: work ${info.work}`).toBe(true);
                expect(mentions(text, info.fn), `${where}: function ${info.fn}`).toBe(true);
              }
              if (info.kind === "wq-alloc" && ev.assignedTo) expect(mentions(text, keyOf(ev.assignedTo)), `${where}: queue ${ev.assignedTo}`).toBe(true);
              if (ev.callee === "container_of" && flow.params.some((p) => /\bwork_struct\b/.test(p))) {
                expect(text.includes("container_of") && text.includes("work_struct"), where).toBe(true);
                expect(mentions(text, keyOf(ev.args[ev.args.length - 1] ?? "")), `${where}: member`).toBe(true);
              }
              // a call of a function names it
              if (/^[A-Za-z_]\w*$/.test(ev.callee)) expect(mentions(text, ev.callee), `${where}: ${ev.callee}`).toBe(true);
            }
          }
    }
    // the inputs hold what the gates are for
    expect(counts.fragments).toBeGreaterThan(500);
    expect(counts.gated).toBeGreaterThan(100);
  });

  it("change no finding: the same reviews with the gates open and closed", async () => {
    const inputs = [...fixturePatches(), ...filePatches(), ...generated()];
    const run = async () => {
      const out: string[] = [];
      for (const input of inputs) {
        // parsed afresh: the analyses are memoised per patch object
        const p = await parsed(input);
        if (!p) continue;
        const r = review(p, null, DEFAULT_CONFIG, kb);
        out.push(JSON.stringify({ name: input.name, reviews: r.reviews.map((x) => ({ findings: x.findings, errors: x.errors })) }));
      }
      return out;
    };
    GATE_SWITCH.open = true;
    const open = await run();
    GATE_SWITCH.open = false;
    const closed = await run();
    expect(closed).toEqual(open);
    // workqueue findings are among them (the gates had something to keep)
    const rules = new Set(closed.flatMap((l) => (JSON.parse(l) as { reviews: { findings: { rule: string }[] }[] }).reviews.flatMap((r) => r.findings.map((f) => f.rule))));
    expect([...rules].filter((r) => r.startsWith("wq-") || r === "alloc-in-reclaim-work").length).toBeGreaterThan(1);
  });
});

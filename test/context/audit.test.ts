// reclaim-review audit --tree DIR [PATH...]: the DESIGN.md JSON contract, text
// output, the prefilter, and paths limiting the audit.
import { cpSync, mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/commands/audit.js";
import type { Io } from "../../src/cli/main.js";
import { candidateRules, dirHints, wholeFilePatch } from "../../src/context/audit.js";
import { FIXTURES } from "./fixture-tree.js";

function io(): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    readStdin: async () => Buffer.alloc(0),
    stdinIsTTY: false,
    stdoutIsTTY: false,
  };
}

function fixtureTreeOnDisk(): string {
  const dir = mkdtempSync(join(tmpdir(), "rr-audit-"));
  mkdirSync(join(dir, "drivers", "frob"), { recursive: true });
  cpSync(join(FIXTURES, "wq-flush-dependency"), join(dir, "drivers", "frob"), { recursive: true });
  mkdirSync(join(dir, "drivers", "plain"), { recursive: true });
  writeFileSync(join(dir, "drivers", "plain", "plain.c"), "int plain(void)\n{\n\treturn 0;\n}\n");
  return dir;
}

describe("audit", () => {
  it("writes the JSON contract: tool, version, files with findings", async () => {
    const dir = fixtureTreeOnDisk();
    const o = io();
    const code = await run(["--tree", dir, "--format", "json", "--jobs", "1"], o);
    expect(code).toBe(0);
    const doc = JSON.parse(o.out.join(""));
    expect(doc.tool).toBe("reclaim-review");
    expect(typeof doc.version).toBe("string");
    expect(doc.files.map((f: { path: string }) => f.path)).toEqual(["drivers/frob/frob_main.c", "drivers/frob/frob_shrink.c"]);
    const first = doc.files[0].findings[0];
    expect(Object.keys(first).sort()).toEqual(["citations", "class", "file", "fingerprint", "line", "message", "rule", "severity"]);
    expect(first.rule).toBe("wq-flush-dependency");
    expect(first.file).toBe("drivers/frob/frob_main.c");
    expect(doc.files[0].findings.map((f: { line: number }) => f.line)).toEqual([21, 29, 35, 64, 66]);
  });

  it("limits the audit to the given paths and fails on findings when asked", async () => {
    const dir = fixtureTreeOnDisk();
    const o = io();
    const code = await run(["--tree", dir, "--jobs", "1", "--fail-on", "warning", "drivers/frob/frob_shrink.c"], o);
    expect(code).toBe(1);
    const text = o.out.join("");
    expect(text).toMatch(/WARNING:wq-flush-dependency: flush_workqueue\(frob_plain_wq\) in frob_cache_scan\(\)/);
    expect(text).not.toMatch(/frob_main\.c:\d/);
    expect(text).toMatch(/audit: \d+ findings? in 1 file\(s\)/);
    const clean = io();
    expect(await run(["--tree", dir, "--jobs", "1", "--fail-on", "warning", "drivers/plain"], clean)).toBe(0);
    expect(clean.out.join("")).toMatch(/audit: 0 findings/);
  });

  it("rejects a missing --tree, a tree that is not a directory and a path outside it", async () => {
    await expect(run([], io())).rejects.toThrow(/--tree/);
    await expect(run(["--tree", join(tmpdir(), "rr-no-such-dir")], io())).rejects.toThrow(/not a directory/);
    await expect(run(["--tree", fixtureTreeOnDisk(), "no/such/path"], io())).rejects.toThrow(/not found/);
  });

  it("prefilters files by the identifiers each rule needs", () => {
    const none = { reclaimContext: false, fenceCode: false };
    expect(candidateRules("static int x;", { ...none, reclaimContext: true })).toEqual([]);
    expect(candidateRules("flush_workqueue(q); INIT_WORK(&w->work, f);", { ...none, reclaimContext: true })).toEqual(["wq-flush-dependency"]);
    expect(candidateRules("flush_workqueue(q); INIT_WORK(&w->work, f);", none)).toEqual([]);
    expect(candidateRules("x = kmalloc(1, GFP_KERNEL); .queue_rq = f,", none)).toEqual(["gfp-kernel-in-io-path"]);
    // code a fence needs: any allocation of a directory that registers run_job/timedout_job or opens a section
    expect(candidateRules("f = kzalloc(sizeof(*f), GFP_NOFS);", { ...none, fenceCode: true })).toEqual(["alloc-in-fence-signalling"]);
    expect(candidateRules("f = kzalloc(sizeof(*f), GFP_NOFS);", none)).toEqual([]);
    // a restricted mask or-ed with something on one line: the mask is evaluated by the rule
    expect(candidateRules("f = kzalloc(n, GFP_KERNEL | GFP_NOFS);", none)).toEqual(["mask-restriction-lost"]);
    expect(candidateRules("f = kzalloc(n, GFP_NOIO);\ng = x | y;", none)).toEqual([]);
    expect(dirHints(["int a;", "alloc_workqueue(\"x\", WQ_MEM_RECLAIM, 0);"])).toEqual({ reclaimContext: true, fenceCode: false, freezes: false });
    expect(dirHints(["static const struct drm_sched_backend_ops o = {\n\t.run_job = r,\n};"])).toEqual({ reclaimContext: false, fenceCode: true, freezes: false });
    expect(dirHints(["\tcookie = dma_fence_begin_signalling();"])).toEqual({ reclaimContext: false, fenceCode: true, freezes: false });
    // a directory that freezes a queue: any file with an allocation may sit under a caller's freeze
    expect(dirHints(["int a;", "\tblk_mq_freeze_queue(q);"])).toEqual({ reclaimContext: false, fenceCode: false, freezes: true });
    // a network device's queues are not a request queue
    expect(dirHints(["\tnetif_freeze_queues(dev);"]).freezes).toBe(false);
    expect(candidateRules("p = kzalloc(n, GFP_KERNEL);", none)).toEqual([]);
    expect(candidateRules("p = kzalloc(n, GFP_KERNEL);", { ...none, freezes: true })).toEqual(["alloc-while-holding"]);
  });

  it("reviews a file as entirely added, numbered as in the file", () => {
    const p = wholeFilePatch("a/b.c", "one\ntwo\n");
    expect(p.files[0]!.status).toBe("added");
    expect(p.files[0]!.hunks[0]!.lines.map((l) => [l.kind, l.newLine, l.text])).toEqual([
      ["add", 1, "one"],
      ["add", 2, "two"],
    ]);
  });
});

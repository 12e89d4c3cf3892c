// `knowledge`, `rules` and `explain` through main(), with a fake Io.
import { describe, expect, it } from "vitest";
import { main, type Io } from "../../src/cli/main.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { ALL_RULES } from "../../src/rules/index.js";

function fakeIo(): Io & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    stdout: (s: string) => {
      io.out += s;
    },
    stderr: (s: string) => {
      io.err += s;
    },
    readStdin: async () => Buffer.alloc(0),
    stdinIsTTY: true,
    stdoutIsTTY: false,
  };
  return io;
}

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

const kb = loadKnowledge();

describe("reclaim-review knowledge", () => {
  it("lists every entry, one line each, with id, commit, date and status", async () => {
    const r = await run("knowledge");
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split("\n");
    expect(lines).toHaveLength(kb.entries.length);
    const line = lines.find((l) => l.startsWith("loop-noio-2019 "))!;
    expect(line).toContain("d0a255e795ab");
    expect(line).toContain("2019-08-08");
    expect(line).toContain("verified");
  });

  it("--format json gives the full entries", async () => {
    const r = await run("knowledge", "--format", "json");
    expect(r.code).toBe(0);
    const data = JSON.parse(r.out) as Array<Record<string, unknown>>;
    expect(data.map((e) => e.id)).toEqual(kb.entries.map((e) => e.id));
    const e = data.find((x) => x.id === "dm-bufio-workqueue-2020")!;
    expect(e.story).toMatch(/What happened/);
    expect(e.verified).toMatchObject({ status: "verified" });
    expect(e.subsystems).toContain("drivers/md/");
  });

  it("rejects an unknown format with exit 2", async () => {
    const r = await run("knowledge", "--format", "yaml");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--format takes text or json/);
  });
});

describe("reclaim-review rules --format json", () => {
  it("lists every rule's metadata", async () => {
    const r = await run("rules", "--format", "json");
    expect(r.code).toBe(0);
    const data = JSON.parse(r.out) as Array<{ id: string; class: string; severity: string; knowledge: string[]; docs: { why: string } }>;
    expect(data.map((d) => d.id)).toEqual(ALL_RULES.map((x) => x.meta.id));
    for (const d of data) {
      expect(d.docs.why.length).toBeGreaterThan(0);
      expect(Array.isArray(d.knowledge)).toBe(true);
    }
  });

  it("text form has one line per rule", async () => {
    const r = await run("rules");
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split("\n")).toHaveLength(ALL_RULES.length);
  });
});

describe("reclaim-review explain <knowledge id>", () => {
  it.each(kb.entries.map((e) => e.id))("%s", async (id) => {
    const e = kb.get(id)!;
    const r = await run("explain", id);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out.startsWith(e.title)).toBe(true);
    expect(r.out).toContain(`id: ${id}`);
    for (const c of e.commits) expect(r.out).toContain(`commit ${c.sha}`);
    expect(r.out).toContain(e.story.split("\n")[0]!);
    expect(r.out).toMatch(/\nLesson:\n {2}\S/);
    expect(r.out).toMatch(/\nAdvice:\n {2}\S/);
    for (const l of e.links) expect(r.out).toContain(`  ${l}`);
    expect(r.out).toContain(`Verified (${e.verified.status}, ${e.verified.checked}):`);
    // prose is wrapped for a terminal
    const prose = r.out.split("\nLinks:")[0]!.split("\nLesson:")[1]!;
    for (const line of prose.split("\n")) expect(line.length).toBeLessThanOrEqual(100);
  });
});

describe("reclaim-review explain <rule id>", () => {
  it.each(ALL_RULES.map((x) => x.meta.id))("%s", async (id) => {
    const rule = ALL_RULES.find((x) => x.meta.id === id)!;
    const r = await run("explain", id);
    expect(r.code).toBe(0);
    expect(r.out.startsWith(`${id} (${rule.meta.class}, default ${rule.meta.severity})`)).toBe(true);
    expect(r.out).toContain(rule.meta.description);
    expect(r.out).toContain("Why it matters:");
    expect(r.out).toContain("What to do instead:");
    expect(r.out).toContain("History:");
    // citations resolved: title, commit and first link of each cited entry
    for (const k of rule.meta.knowledge) {
      const e = kb.get(k);
      expect(e, `rule ${id} cites unknown entry ${k}`).toBeDefined();
      expect(r.out).toContain(`${e!.id}: ${e!.title}`);
      expect(r.out).toContain(e!.links[0]!);
      if (e!.commits[0]) expect(r.out).toContain(e!.commits[0].sha.slice(0, 12));
    }
  });
});

describe("reclaim-review explain errors", () => {
  it("an unknown id exits 2 with a one-line hint", async () => {
    const r = await run("explain", "no-such-thing-1999");
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/no rule or knowledge entry "no-such-thing-1999"/);
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  });

  it("no id exits 2", async () => {
    const r = await run("explain");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/explain needs a rule id or a knowledge entry id/);
  });
});

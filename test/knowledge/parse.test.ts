// parseEntry rejects malformed entries with a message that names the problem.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { parseEntry } from "../../src/knowledge/load.js";

const STORY = "**What happened.** A worker allocated with GFP_KERNEL in the IO path and reclaim waited on it.\n";

function entry(front: Record<string, string | null>, body = STORY): string {
  const base: Record<string, string | null> = {
    id: "fooblk-noio-2021",
    title: '"fooblk: run the worker under NOIO"',
    kind: "commit",
    commits: '\n  - sha: 0123456789ab\n    subject: "fooblk: run the worker under NOIO"',
    date: "2021-03-04",
    links: "\n  - https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=0123456789ab",
    classes: "[stacked-io]",
    subsystems: "[drivers/block/fooblk.c]",
    triggers: "[fooblk_worker, memalloc_noio_save, PF_MEMALLOC_NOIO]",
    lesson: "The fooblk worker serves a block device, so its allocations must not start IO.",
    advice: "Run the worker under memalloc_noio_save().",
    verified: "\n  status: verified\n  how: read the commit page on a mainline mirror\n  checked: 2026-11-22",
    ...front,
  };
  const yaml = Object.entries(base)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n");
  return `---\n${yaml}\n---\n${body}`;
}

function rejects(text: string, file: string, pattern: RegExp): void {
  let err: unknown;
  try {
    parseEntry(text, file);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as Error).message).toMatch(pattern);
  expect((err as Error).message).toContain(file);
}

describe("parseEntry", () => {
  it("accepts a well-formed entry and keeps the body as the story", () => {
    const e = parseEntry(entry({}), "knowledge/fooblk-noio-2021.md");
    expect(e.id).toBe("fooblk-noio-2021");
    expect(e.commits[0]!.sha).toBe("0123456789ab");
    expect(e.story).toMatch(/^\*\*What happened\.\*\*/);
    expect(e.verified.status).toBe("verified");
  });

  it("accepts CRLF line endings", () => {
    const e = parseEntry(entry({}).replace(/\n/g, "\r\n"), "fooblk-noio-2021.md");
    expect(e.triggers).toContain("memalloc_noio_save");
  });

  it("rejects an entry without links", () => rejects(entry({ links: "[]" }), "fooblk-noio-2021.md", /links.*at least one link/));
  it("rejects an entry with the links key missing", () => rejects(entry({ links: null }), "fooblk-noio-2021.md", /links/));
  it("rejects a link that is not a URL", () => rejects(entry({ links: "[lore thread]" }), "fooblk-noio-2021.md", /links\.0/));
  it("rejects an entry without verification", () => rejects(entry({ verified: null }), "fooblk-noio-2021.md", /verified/));
  it("rejects an unknown verification status", () =>
    rejects(entry({ verified: "\n  status: unverified\n  how: nothing was checked\n  checked: 2026-11-22" }), "fooblk-noio-2021.md", /verified\.status/));
  it("rejects a verification note that says nothing", () =>
    rejects(entry({ verified: "\n  status: partial\n  how: seen\n  checked: 2026-11-22" }), "fooblk-noio-2021.md", /verified\.how/));
  it("rejects a malformed date", () => rejects(entry({ date: "2021/03/04" }), "fooblk-noio-2021.md", /date: YYYY, YYYY-MM or YYYY-MM-DD/));
  it("rejects a date given as a bare YAML number", () => rejects(entry({ date: "2021" }), "fooblk-noio-2021.md", /date/));
  it("rejects a malformed checked date", () =>
    rejects(entry({ verified: "\n  status: partial\n  how: read it on a mirror page\n  checked: Nov 2026" }), "fooblk-noio-2021.md", /verified\.checked/));
  it("rejects an id that does not match the file name", () =>
    rejects(entry({}), "knowledge/fooblk-noio-2022.md", /id "fooblk-noio-2021" does not match the file name/));
  it("rejects an id that is not kebab-case", () => rejects(entry({ id: "Fooblk_NOIO" }), "Fooblk_NOIO.md", /id: kebab-case/));
  it("rejects a short or upper-case commit id", () => {
    rejects(entry({ commits: '\n  - sha: 0123abc\n    subject: "too short"' }), "fooblk-noio-2021.md", /commits\.0\.sha/);
    rejects(entry({ commits: '\n  - sha: 0123456789AB\n    subject: "upper case"' }), "fooblk-noio-2021.md", /commits\.0\.sha/);
  });
  it("rejects a commit entry without commits", () => rejects(entry({ commits: "[]" }), "fooblk-noio-2021.md", /commits: a commit entry needs/));
  it("rejects the same commit listed twice", () =>
    rejects(
      entry({ commits: '\n  - sha: 0123456789ab\n    subject: "one"\n  - sha: 0123456789abcdef\n    subject: "same, longer"' }),
      "fooblk-noio-2021.md",
      /listed twice/,
    ));
  it("rejects an unknown hazard class", () => rejects(entry({ classes: "[dirty-throttle]" }), "fooblk-noio-2021.md", /classes\.0/));
  it("rejects unknown keys (typos do not pass silently)", () => rejects(entry({ subsytems: "[fs/]" }), "fooblk-noio-2021.md", /subsytems|unrecognized/i));
  it("rejects a file without front matter", () => rejects(STORY, "fooblk-noio-2021.md", /no YAML front matter/));
  it("rejects front matter that is not YAML", () => rejects("---\nid: [unclosed\n---\n" + STORY, "fooblk-noio-2021.md", /not YAML/));
  it("rejects an entry without a story", () => rejects(entry({}, "\n"), "fooblk-noio-2021.md", /must tell the story/));
});

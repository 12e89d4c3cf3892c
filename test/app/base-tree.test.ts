// The GitHub App's base-tree context: the base commit listed once per SHA
// (git trees API), headers and files found by name fetched by blob id
// (git blobs API), bounded, and handed to the facts as neighbours and a
// directory listing. Against the API double on loopback, with probot's own
// Octokit.
import { ProbotOctokit } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BaseTreeCache, filesNamedFor, identifiersOf, includedPaths, readBaseTree, withBaseTree, type Listing } from "../../src/app/base-tree.js";
import { sourcesFrom } from "../../src/app/pr-input.js";
import { getFacts } from "../../src/context/facts.js";
import { parsePatchText } from "../../src/ingest/index.js";
import type { Octokit } from "../../src/app/api.js";
import { formatPatch } from "../helpers/patch.js";
// @ts-expect-error plain JS test helper
import { GitHubDouble } from "./github-double.mjs";

const REPO = "demo/linux";
const BASE = "b".repeat(40);
const ref = { owner: "demo", repo: "linux", number: 7, headSha: "1".repeat(40), baseSha: BASE };

const IO_BEFORE = `#include <linux/demo_cache.h>
#include "demo_int.h"

static void demo_evict(struct demo *d)
{
	demo_cache_drop(d->cache);
}
`;
const IO_AFTER = IO_BEFORE.replace("\tdemo_cache_drop(d->cache);\n", "\tdemo_cache_drop(d->cache);\n\tdemo_journal_force(d->log);\n");
const FILES: Record<string, string> = {
  "fs/demofs/io.c": IO_BEFORE,
  "fs/demofs/demo_int.h": "struct demo;\n",
  "include/linux/demo_cache.h": "void demo_cache_drop(struct demo_cache *c);\n",
  "fs/demofs/demo_journal.c": "void demo_journal_force(struct demo_log *l)\n{\n\twait_for_completion(&l->done);\n}\n",
  "fs/other/demo.c": "int demo_unrelated;\n",
  "drivers/x/big.c": "int big;\n",
};

describe("base tree of a pull request", () => {
  let api: any;
  let octokit: Octokit;
  beforeAll(async () => {
    api = new GitHubDouble();
    const port = await api.start();
    api.setPull(REPO, 7, { headSha: ref.headSha, baseSha: BASE, files: [], contents: Object.fromEntries(Object.entries(FILES).map(([p, t]) => [`${BASE}:${p}`, t])) });
    octokit = new ProbotOctokit({ auth: { token: "ghs_double_1" }, baseUrl: `http://127.0.0.1:${port}/api/v3`, throttle: { enabled: false }, retry: { enabled: false } }) as unknown as Octokit;
  });
  afterAll(() => api?.stop());

  const patches = parsePatchText(formatPatch({ files: [{ path: "fs/demofs/io.c", before: IO_BEFORE, after: IO_AFTER }] }), "pr").patches;

  it("names what the patch calls and includes", () => {
    expect(identifiersOf(patches[0]!.files, 10)).toEqual(["demo_journal_force"]);
    expect(includedPaths("fs/demofs/io.c", IO_AFTER)).toEqual(["include/linux/demo_cache.h", "fs/demofs/demo_int.h"]);
    const listing: Listing = { files: new Map(Object.keys(FILES).map((p) => [p, { sha: "0", size: 1 }])), truncated: false };
    // the file named like the start of the function, same top directory first; "demo" alone does not name demo_evict's file in fs/other
    expect(filesNamedFor("demo_journal_force", listing, "fs/demofs/io.c", 2)).toEqual(["fs/demofs/demo_journal.c", "fs/other/demo.c"]);
  });

  it("fetches headers and files found by name at the base, lists the tree once per base SHA, and caches blobs", async () => {
    const cache = new BaseTreeCache();
    const head = new Map([["fs/demofs/io.c", IO_AFTER]]);
    const got = await readBaseTree(octokit, ref, patches, head, new Set(["fs/demofs/io.c"]), undefined, cache);
    expect([...got.files.keys()].sort()).toEqual(["fs/demofs/demo_int.h", "fs/demofs/demo_journal.c", "fs/other/demo.c", "include/linux/demo_cache.h"]);
    expect(got.files.get("fs/demofs/demo_journal.c")).toBe(FILES["fs/demofs/demo_journal.c"]);
    expect(got.notes).toEqual([]);
    const trees = api.calls("GET", /\/git\/trees\//).length;
    const blobs = api.calls("GET", /\/git\/blobs\//).length;
    expect(trees).toBe(1);
    expect(blobs).toBe(4);
    // another pull request on the same base: no new listing, no blob fetched twice
    await readBaseTree(octokit, { ...ref, number: 8 }, patches, head, new Set(["fs/demofs/io.c"]), undefined, cache);
    expect(api.calls("GET", /\/git\/trees\//).length).toBe(trees);
    expect(api.calls("GET", /\/git\/blobs\//).length).toBe(blobs);
    // bounded
    const few = await readBaseTree(octokit, ref, patches, head, new Set(["fs/demofs/io.c"]), { maxFiles: 1, perIdentifier: 2, maxIdentifiers: 20, maxFileBytes: 1 << 20, fetchConcurrency: 2 }, new BaseTreeCache());
    expect(few.files.size).toBe(1);
    expect(few.notes).toEqual(["base context limited to 1 of 4 files found by name"]);
  });

  it("says so when the base cannot be listed, and the review goes on", async () => {
    const got = await readBaseTree(octokit, { ...ref, baseSha: "c".repeat(40) }, patches, new Map(), new Set(), undefined, new BaseTreeCache());
    expect(got.files.size).toBe(0);
    expect(got.notes[0]).toMatch(/could not be listed/);
  });

  it("hands the files and the listing to the facts", async () => {
    const input = { head: new Map([["fs/demofs/io.c", IO_AFTER]]), base: new Map<string, string>(), neighbours: new Map<string, string>(), notes: [] as string[] };
    const withBase = await withBaseTree(octokit, ref, input, patches, undefined, new BaseTreeCache());
    const sources = sourcesFrom(withBase);
    await sources.prepare?.(patches);
    const facts = getFacts(sources.contextFor(patches[0]!))!;
    expect(facts.text("fs/demofs/demo_journal.c")).toBe(FILES["fs/demofs/demo_journal.c"]);
    expect(facts.text("include/linux/demo_cache.h")).toBe(FILES["include/linux/demo_cache.h"]);
    // the directory's other files at the base are neighbours of the touched file
    expect(facts.neighbours("fs/demofs/io.c").sort()).toEqual(["fs/demofs/demo_int.h", "fs/demofs/demo_journal.c"]);
    expect(withBase.list!("fs").sort()).toEqual(["demofs", "other"]);
  });
});

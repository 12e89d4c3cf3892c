// The validated-entries cache must never let an unvalidated change through.
import { cpSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadKnowledgeCached } from "../../src/knowledge/load.js";

describe("knowledge cache", () => {
  const dir = mkdtempSync(join(tmpdir(), "rr-kb-"));
  const kdir = join(dir, "knowledge");
  cpSync(join(process.cwd(), "knowledge"), kdir, { recursive: true });
  const cache = join(dir, "cache.json");
  const count = readdirSync(kdir).filter((f) => f.endsWith(".md") && f !== "README.md").length;

  it("writes the cache on first load and serves the same entries from it", () => {
    const first = loadKnowledgeCached(kdir, cache);
    expect(first.entries).toHaveLength(count);
    const stored = JSON.parse(readFileSync(cache, "utf8"));
    expect(stored.entries).toHaveLength(count);
    // poison the cached copy: if it is served, the poisoned title shows
    stored.entries[0].title = "served from cache";
    writeFileSync(cache, JSON.stringify(stored));
    expect(loadKnowledgeCached(kdir, cache).entries[0]!.title).toBe("served from cache");
  });

  it("re-validates when an entry changes, and rejects an invalid one despite the cache", () => {
    const f = join(kdir, "ext4-mapping-gfp-2019.md");
    const good = readFileSync(f, "utf8");
    writeFileSync(f, good.replace(/^links:\n(\s+- .*\n)+/m, "links: []\n"));
    utimesSync(f, new Date(), new Date(Date.now() + 5000));
    expect(() => loadKnowledgeCached(kdir, cache)).toThrow(/link/);
    writeFileSync(f, good);
    utimesSync(f, new Date(), new Date(Date.now() + 10000));
    const kb = loadKnowledgeCached(kdir, cache);
    expect(kb.entries[0]!.title).not.toBe("served from cache");
    expect(kb.get("ext4-mapping-gfp-2019")!.links.length).toBeGreaterThan(0);
  });
});

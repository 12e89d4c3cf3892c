// --tree containment, with the real CLI process: a patch path with "../" or
// through a symlinked directory, and audit over a file symlink that leaves
// the tree, read nothing outside the tree.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { insideTree, plainRelative } from "../../src/context/contain.js";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "bin", "reclaim-review.js");
const FIX = join(ROOT, "test", "fixtures", "c", "shrinker-blocking");

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}


describe("insideTree", () => {
  it("refuses absolute and climbing paths, and symlinks that resolve outside", () => {
    const d = mkdtempSync(join(tmpdir(), "rr-contain-"));
    mkdirSync(join(d, "tree", "a"), { recursive: true });
    mkdirSync(join(d, "out"));
    writeFileSync(join(d, "tree", "a", "x.c"), "x");
    writeFileSync(join(d, "out", "secret.c"), "s");
    symlinkSync(join(d, "out", "secret.c"), join(d, "tree", "a", "leak.c"));
    symlinkSync(join(d, "out"), join(d, "tree", "a", "outdir"));
    symlinkSync(join(d, "tree", "a", "x.c"), join(d, "tree", "a", "alias.c"));
    const t = join(d, "tree");
    expect(insideTree(t, "a/x.c")).toBe(join(d, "tree", "a", "x.c"));
    expect(insideTree(t, "a/alias.c")).toBe(join(d, "tree", "a", "x.c"));
    expect(insideTree(t, "a/leak.c")).toBeNull();
    expect(insideTree(t, "a/outdir/secret.c")).toBeNull();
    expect(insideTree(t, "../out/secret.c")).toBeNull();
    expect(insideTree(t, "a/../../out/secret.c")).toBeNull();
    expect(insideTree(t, join(d, "out", "secret.c"))).toBeNull();
    expect(insideTree(t, "a/missing.c")).toBeNull();
    expect(plainRelative("fs/x.c")).toBe(true);
    expect(plainRelative("/etc/passwd")).toBe(false);
    expect(plainRelative("fs/../../x")).toBe(false);
  });
});

describe("review --tree and audit stay inside the tree", () => {
  it("a '../' patch path and a symlinked directory are not read; the patch is reviewed from the diff alone", () => {
    const d = mkdtempSync(join(tmpdir(), "rr-tree-"));
    const tree = join(d, "tree");
    mkdirSync(join(tree, "drivers"), { recursive: true });
    mkdirSync(join(d, "outside", "frob"), { recursive: true });
    for (const f of ["frob.h", "frob_io.c", "frob_shrink.c"]) copyFileSync(join(FIX, f), join(d, "outside", "frob", f));
    // a directory of the tree that is a symlink to somewhere else
    symlinkSync(join(d, "outside", "frob"), join(tree, "drivers", "frob"));
    const line = readFileSync(join(FIX, "frob_shrink.c"), "utf8").split("\n")[0]!;
    const patch = (path: string) =>
      [`diff --git a/${path} b/${path}`, `--- a/${path}`, `+++ b/${path}`, "@@ -1,1 +1,2 @@", ` ${line}`, "+/* a comment */", ""].join("\n");
    for (const path of ["drivers/frob/frob_shrink.c", "../outside/frob/frob_shrink.c"]) {
      const r = cli(["review", "--tree", tree, "--format", "json", "-"], patch(path));
      expect(r.code, r.err).not.toBe(2);
      const doc = JSON.parse(r.out);
      const notes: string[] = doc.patches[0].notes;
      expect(notes.join("\n")).toMatch(/not in the tree|absolute path or one with "\.\."/);
    }
  });

  it("audit skips a file symlink that leaves the tree and prints none of its lines", () => {
    const d = mkdtempSync(join(tmpdir(), "rr-audit-"));
    const tree = join(d, "tree", "drivers", "frob");
    mkdirSync(tree, { recursive: true });
    mkdirSync(join(d, "outside"));
    copyFileSync(join(FIX, "frob_shrink.c"), join(d, "outside", "frob_shrink.c"));
    copyFileSync(join(FIX, "frob.h"), join(tree, "frob.h"));
    copyFileSync(join(FIX, "frob_io.c"), join(tree, "frob_io.c"));
    symlinkSync(join(d, "outside", "frob_shrink.c"), join(tree, "frob_shrink.c"));
    const text = cli(["audit", "--tree", join(d, "tree"), "--min-severity", "info"]);
    expect(text.out).not.toContain("frob_shrink.c");
    const json = JSON.parse(cli(["audit", "--tree", join(d, "tree"), "--format", "json", "--min-severity", "info"]).out);
    expect(json.files.map((f: { path: string }) => f.path)).not.toContain("drivers/frob/frob_shrink.c");
    // the same file inside the tree is audited (the check above is not vacuous)
    copyFileSync(join(FIX, "frob_shrink.c"), join(d, "real.c"));
    const inside = join(d, "tree2", "drivers", "frob");
    mkdirSync(inside, { recursive: true });
    for (const f of ["frob.h", "frob_io.c", "frob_shrink.c"]) copyFileSync(join(FIX, f), join(inside, f));
    const ok = JSON.parse(cli(["audit", "--tree", join(d, "tree2"), "--format", "json", "--min-severity", "info"]).out);
    expect(ok.files.map((f: { path: string }) => f.path)).toContain("drivers/frob/frob_shrink.c");
  });
});

import { describe, expect, it } from "vitest";
import { firstName } from "../../src/render/common.js";
import { renderEmailBody } from "../../src/render/email.js";
import { render } from "../../src/render/index.js";
import type { PatchReview } from "../../src/types.js";
import { cleanPatch, file, findings, hunk, mainPatch, patch, result } from "./fixture.js";

const main: PatchReview = result.reviews[0]!;
const URL_LINE = /^\s+https?:\/\/\S+$/;

/** Lines of the body that are ours (not quotes, not the signature). */
function prose(body: string): string[] {
  return body.slice(0, body.indexOf("\n-- \n")).split("\n").filter((l) => !l.startsWith(">"));
}

describe("email body", () => {
  const body = renderEmailBody(main);

  it("matches the reviewed golden file", async () => {
    await expect(body).toMatchFileSnapshot("../fixtures/render/email.txt");
  });

  it("keeps our prose within 72 columns (a bare URL line excepted)", () => {
    for (const l of prose(body)) if (!URL_LINE.test(l)) expect(l.length, l).toBeLessThanOrEqual(72);
    for (const l of body.split("\n").slice(body.split("\n").indexOf("-- ") + 1)) if (!URL_LINE.test(l) && !/Docs: /.test(l)) expect(l.length).toBeLessThanOrEqual(72);
  });

  it("quotes with '> ' and never re-wraps quoted code", () => {
    const quoted = body.split("\n").filter((l) => l.startsWith(">"));
    expect(quoted.length).toBeGreaterThan(10);
    for (const l of quoted) expect(l.startsWith("> ")).toBe(true);
    // a long code line is quoted whole, past 72 columns
    const long = "> +\t\t\twait_on_bit_io(&b->state, FOOBLK_BUF_WRITING, TASK_UNINTERRUPTIBLE);";
    expect(body.split("\n")).toContain(long);
  });

  it("quotes each file header once, the @@ line, trimmed context with [...], and the continued statement", () => {
    const lines = body.split("\n");
    expect(lines.filter((l) => l === "> diff --git a/drivers/block/fooblk/cache.c b/drivers/block/fooblk/cache.c")).toHaveLength(1);
    expect(lines).toContain("> +++ b/fs/foofs/inode.c");
    const at = lines.indexOf("> @@ -570,5 +570,10 @@ static int fooblk_cache_init(struct fooblk_cache *c)");
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe("> [...]");
    expect(lines[at + 2]).toBe(">  \tINIT_LIST_HEAD(&c->lru);");
    // alloc_workqueue( ... goes on to the next line: both quoted, nothing after
    const call = lines.indexOf('> +\tc->evict_wq = alloc_workqueue("fooblk_evict",');
    expect(lines[call + 1]).toBe("> +\t\t\t\t       WQ_MEM_RECLAIM | WQ_UNBOUND, 0);");
    expect(lines[call + 2]).toBe("");
    // the prose comes right below the quote it is about
    expect(lines[call + 3]).toMatch(/^alloc_workqueue\(\) with WQ_MEM_RECLAIM/);
  });

  it("quotes the commit-message lines a patch-level finding is about", () => {
    const lines = body.split("\n");
    const i = lines.indexOf("> This also silences a lockdep report about fs_reclaim that we saw while");
    expect(i).toBeGreaterThan(0);
    expect(lines[i - 1]).toBe("> [...]");
    expect(lines[i + 1]).toBe("> testing on a loop device.");
    expect(lines[i + 3]).toMatch(/^The commit message describes/);
    // it comes before the hunks, as the commit message does in the mail
    expect(i).toBeLessThan(lines.findIndex((l) => l.startsWith("> diff --git")));
  });

  it("greets the author by first name and says what it is", () => {
    expect(body.startsWith("Hi Jane,\n\nThis is reclaim-review, a bot")).toBe(true);
    expect(firstName("Damien Le Moal <damien.lemoal@wdc.com>")).toBe("Damien");
    expect(firstName('"Le Moal, Damien" <damien.lemoal@wdc.com>')).toBe("Damien");
    expect(firstName("<someone@example.org>")).toBeNull();
    expect(firstName("someone@example.org")).toBeNull();
    expect(renderEmailBody({ ...main, patch: { ...mainPatch, author: null } }).startsWith("Hello,\n")).toBe(true);
  });

  it("cites commit id, subject and link, and names each finding's fingerprint", () => {
    expect(body).toContain('See commit 70704c33db84 ("dm bufio: do buffer cleanup from a workqueue")\n  https://git.kernel.org/');
    expect(body).toContain('and "Re: [PATCH] dm bufio: fix deadlock with loop device"\n  https://lore.kernel.org/linux-fsdevel/');
    for (const f of findings) expect(body).toContain(`fingerprint ${f.fingerprint}]`);
    expect(body).toContain("Call chain: fooblk_shrink_scan -> fooblk_write_buf -> wait_on_bit_io");
    expect(body).toContain("This was already the case before the patch");
  });

  it("ends with a '-- ' signature: a bot, how to silence, a link", () => {
    const sig = body.slice(body.lastIndexOf("\n-- \n") + 1);
    expect(sig.startsWith("-- \n")).toBe(true);
    expect(sig).toContain("bot");
    expect(sig).toContain('"reclaim-review: ignore <fingerprint>"');
    expect(sig).toMatch(/https:\/\/\S+\n$/);
    const custom = renderEmailBody(main, { signatureUrl: "https://example.org/rr", botName: "rr-bot" });
    expect(custom).toContain("-- \nrr-bot is a bot");
    expect(custom).toContain("Docs: https://example.org/rr\n");
    expect(custom).toContain("This is rr-bot, a bot");
  });

  it("leaves out findings below minSeverity", () => {
    const warn = renderEmailBody(main, { minSeverity: "warning" });
    expect(warn).not.toContain(findings[0]!.fingerprint);
    expect(warn).not.toContain("> This also silences");
    expect(warn.replace(/\s+/g, " ")).toContain("It has 3 comments on this patch (1 error, 2 warnings)");
    const err = renderEmailBody(main, { minSeverity: "error" });
    expect(err.replace(/\s+/g, " ")).toContain("It has one comment on this patch (1 error)");
    expect(err).not.toContain(findings[1]!.fingerprint);
    // the file header still comes with the first quote of that file
    expect(err).toContain("> +++ b/drivers/block/fooblk/cache.c\n> @@ -812,10 +817,12 @@");
  });

  it("says so when there is nothing to report", () => {
    const clean = renderEmailBody({ patch: cleanPatch, findings: [], errors: [] });
    expect(clean).toContain("It found nothing to comment on");
    expect(clean.split("\n").some((l) => l.startsWith(">"))).toBe(false);
  });

  it("quotes a second finding in the same hunk without repeating the @@ line", () => {
    const p = patch({
      subject: "bazfs: two allocations",
      files: [
        file("fs/bazfs/super.c", [
          hunk(100, 100, "static int bazfs_fill(struct super_block *sb)", [
            " \tint err;",
            "+\tbuf = kmalloc(64, GFP_KERNEL);",
            " \tx = 1;",
            " \ty = 2;",
            " \tz = 3;",
            " \tw = 4;",
            "+\tmore = kzalloc(128, GFP_KERNEL);",
          ]),
        ]),
      ],
    });
    const mk = (line: number, fp: string, quote: string) => ({ ...findings[1]!, line, fingerprint: fp, file: "fs/bazfs/super.c", quote, citations: [] });
    const out = renderEmailBody({ patch: p, findings: [mk(101, "f1", "\tbuf = kmalloc(64, GFP_KERNEL);"), mk(106, "f2", "\tmore = kzalloc(128, GFP_KERNEL);")], errors: [] });
    const lines = out.split("\n");
    expect(lines.filter((l) => l.startsWith("> @@"))).toHaveLength(1);
    const second = lines.indexOf("> +\tmore = kzalloc(128, GFP_KERNEL);");
    expect(lines.slice(second - 4, second)).toEqual(["> [...]", ">  \ty = 2;", ">  \tz = 3;", ">  \tw = 4;"]);
  });

  it("quotes a line once when two findings sit on it, and says when a line is not in the patch", () => {
    const second = { ...findings[2]!, rule: "shrinker-gfp-kernel", fingerprint: "0000111122223333", message: "another finding on the same line" };
    const out = renderEmailBody({ patch: mainPatch, findings: [findings[2]!, second], errors: [] });
    const lines = out.split("\n");
    expect(lines.filter((l) => l.startsWith("> +\t\t\twait_on_bit_io"))).toHaveLength(1);
    expect(out).toContain("[shrinker-waits-on-io, error, fingerprint 9a8b7c6d5e4f3021]\n\nAnother finding on the same line.\n");
    expect(out).not.toContain("which this patch does not change");
    const outside = renderEmailBody({ patch: mainPatch, findings: [{ ...findings[3]!, line: 7 }], errors: [] });
    expect(outside).toContain("In fs/foofs/inode.c:7, which this patch does not change:\nmapping_set_gfp_mask() clears");
    expect(outside.split("\n").some((l) => l.startsWith(">"))).toBe(false);
  });

  it("wraps a long citation under its 'See' and keeps its URL whole", () => {
    const long = { id: "x", title: "mm: a rather long commit subject that cannot fit on one line of a mail", url: "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=0123456789abcdef0123456789abcdef01234567", commit: "0123456789ab" };
    const out = renderEmailBody({ patch: mainPatch, findings: [{ ...findings[1]!, citations: [long] }], errors: [] });
    expect(out).toContain('See commit 0123456789ab ("mm: a rather long commit subject that cannot\n    fit on one line of a mail")\n  https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=0123456789abcdef0123456789abcdef01234567\n');
  });

  it("--format email renders one body per patch", () => {
    const out = render(result, "email");
    expect(out.split("\n-- \n")).toHaveLength(3);
    expect(out).toContain("=".repeat(72));
  });
});

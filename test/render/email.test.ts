import { describe, expect, it } from "vitest";
import { COMMIT_REF, firstName } from "../../src/render/common.js";
import { PROSE_BUDGET, proseLines, renderEmailBody } from "../../src/render/email.js";
import { render } from "../../src/render/index.js";
import type { Finding, PatchReview } from "../../src/types.js";
import { cleanPatch, file, findings, hunk, mainPatch, patch, result } from "./fixture.js";
import { checkReply } from "./reply-properties.js";

const main: PatchReview = result.reviews[0]!;

describe("email body", () => {
  const body = renderEmailBody(main);

  it("matches the reviewed golden file", async () => {
    await expect(body).toMatchFileSnapshot("../fixtures/render/email.txt");
  });

  it("has the properties of a reply a maintainer reads (72 columns, one-line commit references, each link once, tags only in the footer)", () => {
    checkReply(body, main.findings);
  });

  it("quotes with '> ' and never re-wraps quoted code", () => {
    const quoted = body.split("\n").filter((l) => l.startsWith(">"));
    expect(quoted.length).toBeGreaterThan(10);
    for (const l of quoted) expect(l.startsWith("> ") || l === ">").toBe(true);
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
    // the paragraph comes right below the quote it is about
    expect(lines[call + 3]).toMatch(/^alloc_workqueue\(\) with WQ_MEM_RECLAIM/);
  });

  it("quotes the commit-message lines a patch-level finding is about, before the hunks", () => {
    const lines = body.split("\n");
    const i = lines.indexOf("> This also silences a lockdep report about fs_reclaim that we saw while");
    expect(i).toBeGreaterThan(0);
    expect(lines[i - 1]).toBe("> [...]");
    expect(lines[i + 1]).toBe("> testing on a loop device.");
    expect(lines[i + 3]).toMatch(/^The commit message describes/);
    expect(i).toBeLessThan(lines.findIndex((l) => l.startsWith("> diff --git")));
  });

  it("says per finding, in one paragraph: what this code does, what to do, the chain, what was not established", () => {
    const one = renderEmailBody({ patch: mainPatch, findings: [{ ...findings[2]!, unknowns: ["whether fooblk_write_buf() can be called with the cache lock held"] }], errors: [] });
    const para = one.slice(one.indexOf("\nfooblk_shrink_scan() waits") + 1, one.indexOf("\n\n", one.indexOf("\nfooblk_shrink_scan() waits") + 1)).replace(/\n/g, " ");
    expect(para).toBe(
      "fooblk_shrink_scan() waits for IO (wait_on_bit_io) from a shrinker callback. Free only clean buffers in the scan callback and hand dirty ones to a WQ_MEM_RECLAIM worker that writes them back outside reclaim. Call chain: fooblk_shrink_scan -> fooblk_write_buf -> wait_on_bit_io. Not established here: whether fooblk_write_buf() can be called with the cache lock held.",
    );
    // the chain is not repeated when the message already walks it
    const walked = renderEmailBody({ patch: mainPatch, findings: [{ ...findings[2]!, message: "fooblk_shrink_scan() -> fooblk_write_buf() -> wait_on_bit_io(): the shrinker waits for its own writeback" }], errors: [] });
    expect(walked).not.toContain("Call chain:");
  });

  it("gives a rule's general explanation once per reply while the reply is short, else points to `explain`", () => {
    const two = (rule: string, fp: string, line: number, quote: string): Finding => ({ ...findings[1]!, rule, fingerprint: fp, line, quote, citations: [] });
    const short = renderEmailBody({ patch: mainPatch, findings: [two("wq-mem-reclaim-added", "aaaaaaaaaaaaaaaa", 574, findings[1]!.quote!)], errors: [] });
    expect(short.replace(/\n(?!\n)/g, " ").match(/Background \(wq-mem-reclaim-added\): A WQ_MEM_RECLAIM workqueue gets a rescuer thread/g)).toHaveLength(1);
    expect(short).not.toContain("reclaim-review explain");
    expect(proseLines(short)).toBeLessThanOrEqual(PROSE_BUDGET);
    // the fixture's four comments leave no room: each rule is one `explain` away, and no why is repeated
    expect(body).not.toContain("Background (");
    expect(body).toContain("Background on a rule: reclaim-review explain <rule>");
    for (const f of findings) expect(body).not.toContain(f.why.slice(0, 40));
  });

  it("says the findings of one rule on several lines once, listing the lines", () => {
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
            "+\tthird = kzalloc(256, GFP_KERNEL);",
          ]),
        ]),
      ],
    });
    const mk = (line: number, fp: string, quote: string, message: string): Finding => ({
      ...findings[1]!,
      rule: "gfp-kernel-in-io-path",
      message,
      fix: "Allocate with GFP_NOIO here, or take a memalloc_noio_save() scope in the worker.",
      line,
      fingerprint: fp,
      file: "fs/bazfs/super.c",
      quote,
      citations: [findings[1]!.citations[0]!],
    });
    const same = "bazfs_fill() runs in the IO worker: this GFP_KERNEL allocation may recurse into the device it serves";
    const out = renderEmailBody(
      {
        patch: p,
        findings: [
          mk(101, "f100000000000001", "\tbuf = kmalloc(64, GFP_KERNEL);", same),
          mk(106, "f100000000000002", "\tmore = kzalloc(128, GFP_KERNEL);", same),
          mk(107, "f100000000000003", "\tthird = kzalloc(256, GFP_KERNEL);", "the third allocation is made with the queue lock held"),
        ],
        errors: [],
      },
      {},
    );
    const lines = out.split("\n");
    expect(lines.filter((l) => l.startsWith("> @@"))).toHaveLength(1);
    const second = lines.indexOf("> +\tmore = kzalloc(128, GFP_KERNEL);");
    expect(lines.slice(second - 4, second)).toEqual(["> [...]", ">  \ty = 2;", ">  \tz = 3;", ">  \tw = 4;"]);
    const flat = out.replace(/\n(?!\n)/g, " ");
    // one comment: the shared message once with its lines, the other line's own words, the fix once, one citation
    expect(flat).toContain(`Lines 101 and 106: ${same}.`);
    expect(flat).toContain("Line 107: The third allocation is made with the queue lock held.");
    expect(flat.match(/Allocate with GFP_NOIO here/g)).toHaveLength(1);
    expect(out.match(/^See commit 70704c33db84/gm)).toHaveLength(1);
    expect(out.match(/^ {2}f10000000000000\d gfp-kernel-in-io-path, fs\/bazfs\/super\.c:10[167]$/gm)).toHaveLength(3);
    checkReply(out, []);
  });

  it("greets the author by first name and says it is a bot", () => {
    expect(body.startsWith("Hi Jane,\n\nreclaim-review (a bot) has 4 comments below")).toBe(true);
    expect(firstName("Damien Le Moal <damien.lemoal@wdc.com>")).toBe("Damien");
    expect(firstName('"Le Moal, Damien" <damien.lemoal@wdc.com>')).toBe("Damien");
    expect(firstName("<someone@example.org>")).toBeNull();
    expect(firstName("someone@example.org")).toBeNull();
    expect(renderEmailBody({ ...main, patch: { ...mainPatch, author: null } }).startsWith("Hello,\n")).toBe(true);
  });

  it("cites each link once per reply, a commit as `commit <12 hex> (\"subject\")` on one line, a thread with its link", () => {
    expect(body).toContain('See commit 70704c33db84 ("dm bufio: do buffer cleanup from a workqueue")\n');
    expect(body).toContain('See "Re: [PATCH] dm bufio: fix deadlock with loop device"\n  https://lore.kernel.org/linux-fsdevel/');
    // the ext4 thread is cited by the first and the last finding: given once
    expect(body.match(/20190725093358\.30679-1-damien\.lemoal@wdc\.com/g)).toHaveLength(1);
    expect(body.match(/70704c33db84/g)).toHaveLength(1);
  });

  it("marks a citation whose id is not confirmed", () => {
    const partial = { id: "p", title: "dm bufio: change __GFP_IO to __GFP_FS in shrinker callbacks", url: "https://git.kernel.org/x", commit: "9d28eb12447e", partial: true };
    const out = renderEmailBody({ patch: mainPatch, findings: [{ ...findings[2]!, citations: [partial] }], errors: [] });
    expect(out).toContain('See commit 9d28eb12447e ("dm bufio: change __GFP_IO to __GFP_FS in shrinker callbacks") (id not confirmed)\n');
  });

  it("ends with one footer after '-- ': the bot, what it checks, the configured URL or none, how to silence, every fingerprint", () => {
    const sig = body.slice(body.lastIndexOf("\n-- \n") + 1);
    expect(sig.startsWith("-- \nreclaim-review is a bot that checks kernel patches for memory-reclaim\nrecursion hazards")).toBe(true);
    expect(sig).toContain('To silence a comment, reply with "reclaim-review: ignore <fingerprint>":\n');
    for (const f of findings) expect(sig).toContain(`  ${f.fingerprint} ${f.rule}, `);
    // no made-up address: without configuration there is none
    expect(body).not.toMatch(/https?:\/\/github\.com\/reclaim-review/);
    expect(sig).not.toMatch(/https?:\/\//);
    const custom = renderEmailBody(main, { signatureUrl: "https://example.org/rr", botName: "rr-bot" });
    expect(custom).toContain("-- \nrr-bot is a bot that checks");
    expect(custom).toContain("\nhttps://example.org/rr\n");
    expect(custom).toContain("rr-bot (a bot) has 4 comments");
    // the ignore command is the one the bot reads, whatever its name
    expect(custom).toContain('"reclaim-review: ignore <fingerprint>"');
    expect(renderEmailBody(main, { signatureUrl: null })).not.toMatch(/^https?:/m);
  });

  it("leaves out findings below minSeverity", () => {
    const warn = renderEmailBody(main, { minSeverity: "warning" });
    expect(warn).not.toContain(findings[0]!.fingerprint);
    expect(warn).not.toContain("> This also silences");
    expect(warn.replace(/\s+/g, " ")).toContain("has 3 comments below (1 error, 2 warnings)");
    const err = renderEmailBody(main, { minSeverity: "error" });
    expect(err.replace(/\s+/g, " ")).toContain("has one comment below (1 error)");
    expect(err).not.toContain(findings[1]!.fingerprint);
    // the file header still comes with the first quote of that file
    expect(err).toContain("> +++ b/drivers/block/fooblk/cache.c\n> @@ -812,10 +817,12 @@");
  });

  it("says so when there is nothing to report", () => {
    const clean = renderEmailBody({ patch: cleanPatch, findings: [], errors: [] });
    expect(clean).toContain("found nothing to comment on");
    expect(clean.split("\n").some((l) => l.startsWith(">"))).toBe(false);
    expect(clean).not.toContain("To silence");
  });

  it("quotes a line once when two findings sit on it, and says when a line is not in the patch", () => {
    const second = { ...findings[2]!, rule: "shrinker-gfp-kernel", fingerprint: "0000111122223333", message: "another finding on the same line" };
    const out = renderEmailBody({ patch: mainPatch, findings: [findings[2]!, second], errors: [] });
    const lines = out.split("\n");
    expect(lines.filter((l) => l.startsWith("> +\t\t\twait_on_bit_io"))).toHaveLength(1);
    expect(out).toContain("\n\nAnother finding on the same line.");
    expect(out).not.toContain("which this patch does not change");
    const outside = renderEmailBody({ patch: mainPatch, findings: [{ ...findings[3]!, line: 7 }], errors: [] });
    expect(outside).toContain("In fs/foofs/inode.c:7, which this patch does not change:\nmapping_set_gfp_mask() clears");
    expect(outside.split("\n").some((l) => l.startsWith(">"))).toBe(false);
  });

  it("keeps a long commit reference on one line, past 72 columns, rather than break it", () => {
    const long = { id: "x", title: "mm: a rather long commit subject that cannot fit on one line of a mail", url: "https://git.kernel.org/x", commit: "0123456789ab" };
    const out = renderEmailBody({ patch: mainPatch, findings: [{ ...findings[1]!, citations: [long], message: `${findings[1]!.message}; compare commit 0123456789ab ("${long.title}") which did the opposite` }], errors: [] });
    expect(out).toContain('See commit 0123456789ab ("mm: a rather long commit subject that cannot fit on one line of a mail")\n');
    const refs = [...out.matchAll(COMMIT_REF)].map((m) => m[0]);
    expect(refs).toHaveLength(2);
    for (const r of refs) expect(r).not.toContain("\n");
  });

  it("--format email renders one body per patch", () => {
    const out = render(result, "email");
    expect(out.split("\n-- \n")).toHaveLength(3);
    expect(out).toContain("=".repeat(72));
  });
});

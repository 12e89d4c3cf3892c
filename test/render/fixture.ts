// A hand-written ReviewResult for the renderer tests: two patches of an
// invented "fooblk" driver and "foofs" filesystem (modelled on the shape of
// kernel code, not copied), findings written by hand so the renderers are
// tested without the rules.
import type { DiffLine, FileDiff, Finding, Hunk, Patch, ReviewResult, RuleMeta } from "../../src/types.js";

/** A hunk from lines prefixed with "+", "-" or " "; line numbers are computed. */
export function hunk(oldStart: number, newStart: number, section: string, lines: string[]): Hunk {
  let o = oldStart;
  let n = newStart;
  const out: DiffLine[] = lines.map((raw) => {
    const kind = raw[0] === "+" ? "add" : raw[0] === "-" ? "del" : "ctx";
    const text = raw.slice(1);
    if (kind === "add") return { kind, text, oldLine: null, newLine: n++ };
    if (kind === "del") return { kind, text, oldLine: o++, newLine: null };
    return { kind, text, oldLine: o++, newLine: n++ };
  });
  return {
    oldStart,
    oldLines: out.filter((l) => l.kind !== "add").length,
    newStart,
    newLines: out.filter((l) => l.kind !== "del").length,
    section,
    lines: out,
  };
}

export function file(path: string, hunks: Hunk[]): FileDiff {
  return { oldPath: path, newPath: path, path, status: "modified", binary: false, hunks };
}

export function patch(p: Partial<Patch> & Pick<Patch, "subject" | "files">): Patch {
  return {
    source: "fooblk.mbox#1",
    rawSubject: `[PATCH] ${p.subject}`,
    messageId: "<20261102100000.1-fooblk@example.org>",
    inReplyTo: null,
    references: [],
    author: "Jane Q. Hacker <jane@example.org>",
    date: "Mon, 2 Nov 2026 10:00:00 +0000",
    message: "",
    series: null,
    notes: [],
    ...p,
  };
}

const DM_BUFIO = {
  id: "dm-bufio-workqueue-2020",
  title: "dm bufio: do buffer cleanup from a workqueue",
  url: "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=70704c33db841d847b16d8ae7e29ae3b8a479e75",
  commit: "70704c33db84",
};
const CHINNER_2019 = {
  id: "shrinker-blocking-2019",
  title: "Re: [PATCH] dm bufio: fix deadlock with loop device",
  url: "https://lore.kernel.org/linux-fsdevel/20190809215733.GZ7777@dread.disaster.area/",
};
const EXT4_2019 = {
  id: "ext4-mapping-gfp-2019",
  title: "[PATCH] ext4: Fix deadlock on page reclaim",
  url: "https://lore.kernel.org/all/20190725093358.30679-1-damien.lemoal@wdc.com/",
};

export const cacheC = file("drivers/block/fooblk/cache.c", [
  hunk(570, 570, "static int fooblk_cache_init(struct fooblk_cache *c)", [
    " \tspin_lock_init(&c->lock);",
    " \tINIT_LIST_HEAD(&c->lru);",
    " \tc->nr_cached = 0;",
    "+",
    "+\tc->evict_wq = alloc_workqueue(\"fooblk_evict\",",
    "+\t\t\t\t       WQ_MEM_RECLAIM | WQ_UNBOUND, 0);",
    "+\tif (!c->evict_wq)",
    "+\t\treturn -ENOMEM;",
    " \treturn 0;",
    " }",
  ]),
  hunk(812, 817, "static unsigned long fooblk_shrink_scan(struct shrinker *s,", [
    " \tunsigned long freed = 0;",
    " \tstruct fooblk_buf *b, *tmp;",
    " ",
    " \tspin_lock(&c->lock);",
    " \tlist_for_each_entry_safe(b, tmp, &c->lru, lru) {",
    "-\t\tif (b->dirty)",
    "-\t\t\tcontinue;",
    "+\t\tif (b->dirty) {",
    "+\t\t\tfooblk_write_buf(b);",
    "+\t\t\twait_on_bit_io(&b->state, FOOBLK_BUF_WRITING, TASK_UNINTERRUPTIBLE);",
    "+\t\t}",
    " \t\tfooblk_free_buf(b);",
    " \t\tif (++freed >= sc->nr_to_scan)",
    " \t\t\tbreak;",
  ]),
]);

export const inodeC = file("fs/foofs/inode.c", [
  hunk(38, 38, "static void foofs_set_aops(struct inode *inode)", [
    " \tinode->i_mapping->a_ops = &foofs_aops;",
    "-\tmapping_set_gfp_mask(inode->i_mapping, GFP_NOFS);",
    "+\t/* foofs cannot recurse into itself from reclaim */",
    "+\tmapping_set_gfp_mask(inode->i_mapping, GFP_NOFS);",
    " }",
  ]),
]);

function finding(f: Partial<Finding> & Pick<Finding, "rule" | "class" | "severity" | "file" | "line" | "message" | "fingerprint">): Finding {
  return {
    citations: [],
    messageId: "m",
    why: "",
    fix: "",
    quote: null,
    function: null,
    ...f,
  };
}

export const findings: Finding[] = [
  finding({
    rule: "lockdep-splat-in-message",
    class: "gfp-context",
    severity: "info",
    file: null,
    line: null,
    message: 'the commit message describes a "fs_reclaim" lockdep report; the fix should make the allocation context explicit',
    fingerprint: "0f1e2d3c4b5a6978",
    why: "A lockdep report naming fs_reclaim means an allocation that may enter filesystem reclaim was made while a lock that reclaim also takes was held.",
    fix: "Prefer a memalloc_nofs_save()/memalloc_nofs_restore() scope around the region over sprinkling GFP_NOFS on single calls.",
    citations: [EXT4_2019],
  }),
  finding({
    rule: "wq-mem-reclaim-added",
    class: "workqueue-reclaim",
    severity: "warning",
    file: "drivers/block/fooblk/cache.c",
    line: 574,
    message: "alloc_workqueue() with WQ_MEM_RECLAIM: check that every work item queued on fooblk_evict can make progress without allocating memory",
    fingerprint: "a1b2c3d4e5f60718",
    why: "A WQ_MEM_RECLAIM workqueue gets a rescuer thread so that reclaim can count on it to make forward progress; work that allocates with GFP_KERNEL or waits on other work can still stall.",
    fix: "Keep the work items on this queue allocation-free (or GFP_NOIO with a mempool) and never flush a non-reclaim workqueue from them.",
    quote: '\tc->evict_wq = alloc_workqueue("fooblk_evict",',
    function: "fooblk_cache_init",
    citations: [DM_BUFIO],
  }),
  finding({
    rule: "shrinker-waits-on-io",
    class: "shrinker-io",
    severity: "error",
    file: "drivers/block/fooblk/cache.c",
    line: 824,
    message: "fooblk_shrink_scan() waits for IO (wait_on_bit_io) from a shrinker callback",
    fingerprint: "9a8b7c6d5e4f3021",
    why: "Shrinkers run in direct reclaim and in kswapd. Waiting there for IO that itself may need memory stalls every allocator behind kswapd and can deadlock when the IO path allocates.",
    fix: "Free only clean buffers in the scan callback and hand dirty ones to a WQ_MEM_RECLAIM worker that writes them back outside reclaim.",
    quote: "\t\t\twait_on_bit_io(&b->state, FOOBLK_BUF_WRITING, TASK_UNINTERRUPTIBLE);",
    function: "fooblk_shrink_scan",
    chain: ["fooblk_shrink_scan", "fooblk_write_buf", "wait_on_bit_io"],
    citations: [DM_BUFIO, CHINNER_2019],
  }),
  finding({
    rule: "mapping-gfp-mask",
    class: "gfp-context",
    severity: "warning",
    file: "fs/foofs/inode.c",
    line: 40,
    message: "mapping_set_gfp_mask() clears __GFP_FS for the whole mapping: every page-cache allocation of this file becomes NOFS, not just the caller that needs it",
    fingerprint: "5566778899aabbcc",
    why: "Clearing __GFP_FS in an inode's mapping gfp mask makes every page-cache allocation of that file NOFS, for every user.",
    fix: "Put memalloc_nofs_save()/memalloc_nofs_restore() around the region of the caller that needs it.",
    quote: "\tmapping_set_gfp_mask(inode->i_mapping, GFP_NOFS);",
    function: "foofs_set_aops",
    citations: [EXT4_2019],
    preExisting: true,
  }),
];

export const mainPatch = patch({
  subject: "fooblk: write back dirty buffers from the shrinker",
  message: [
    "The cache shrinker skipped dirty buffers, so under memory pressure the",
    "cache kept growing until the OOM killer ran. Write them back and wait",
    "for the IO so that they can be freed in the same pass.",
    "",
    "This also silences a lockdep report about fs_reclaim that we saw while",
    "testing on a loop device.",
    "",
    "Signed-off-by: Jane Q. Hacker <jane@example.org>",
  ].join("\n"),
  files: [cacheC, inodeC, { oldPath: "firmware/fooblk.bin", newPath: "firmware/fooblk.bin", path: "firmware/fooblk.bin", status: "modified", binary: true, hunks: [] }],
  notes: ["binary file firmware/fooblk.bin skipped"],
});

export const cleanPatch = patch({
  source: "fooblk.mbox#2",
  subject: "fooblk: document the cache knobs",
  messageId: "<20261102100000.2-fooblk@example.org>",
  message: "Say what each module parameter does.\n\nSigned-off-by: Jane Q. Hacker <jane@example.org>",
  files: [file("drivers/block/fooblk/Kconfig", [hunk(10, 10, "config FOOBLK", ["  \thelp", "+\t  Say Y here to build fooblk."])])],
});

export const result: ReviewResult = {
  tool: "reclaim-review",
  version: "0.1.0",
  reviews: [
    { patch: mainPatch, findings, errors: [{ rule: "stacked-io-loop", message: "TypeError: cannot read properties of undefined (reading 'hunks')" }] },
    { patch: cleanPatch, findings: [], errors: [] },
  ],
  covers: [patch({ source: "fooblk.mbox#0", subject: "fooblk: cache fixes", files: [] })],
  problems: [{ source: "fooblk.mbox#3", message: "no diff in this message" }],
};

/** Metadata for the rules the fixture uses, so SARIF descriptors do not depend on the registry. */
export const metas: RuleMeta[] = [
  { id: "lockdep-splat-in-message", class: "gfp-context", severity: "info", description: "Commit message quotes a lockdep report involving fs_reclaim", docs: { why: "Such a report names the allocation that recursed.", fix: "Use a memalloc scope." }, messages: {}, knowledge: [], scope: "patch" },
  { id: "wq-mem-reclaim-added", class: "workqueue-reclaim", severity: "warning", description: "A workqueue created with WQ_MEM_RECLAIM", docs: { why: "Its work must make progress under memory pressure.", fix: "Keep its work allocation-free.", quiet: "Workqueues without WQ_MEM_RECLAIM." }, messages: {}, knowledge: [], scope: "line" },
  { id: "shrinker-waits-on-io", class: "shrinker-io", severity: "error", description: "A shrinker callback that waits on IO", docs: { why: "Shrinkers run in reclaim.", fix: "Defer writeback to a WQ_MEM_RECLAIM worker." }, messages: {}, knowledge: [], scope: "line" },
  { id: "mapping-gfp-mask", class: "gfp-context", severity: "warning", description: "mapping_set_gfp_mask() that clears __GFP_FS/__GFP_IO for a whole inode mapping", docs: { why: "Every page-cache allocation of the file becomes NOFS.", fix: "Scope the caller instead." }, messages: {}, knowledge: [], scope: "line" },
];

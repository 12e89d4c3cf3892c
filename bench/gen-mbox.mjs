// Generates an mbox of kernel-shaped patches for benchmarks: each message a
// git format-patch mail with 1-30 files and 10-2,000 changed lines of C that
// looks like driver and file-system code (allocations, locks, workqueues,
// the occasional GFP_NOFS or WQ_MEM_RECLAIM), from a seeded PRNG.

export function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DIRS = ["drivers/md", "drivers/block", "fs/xfs", "fs/ext4", "fs/btrfs", "fs/nfs", "net/sunrpc", "drivers/scsi", "drivers/nvme/host", "mm", "drivers/gpu/drm/i915"];
const WORDS = ["buf", "req", "ctx", "dev", "queue", "entry", "node", "page", "folio", "inode", "bio", "cmd", "work", "state", "lock"];
// Statement kinds with weights. Reclaim vocabulary is weighted from counts
// in Debian's linux-source-6.12 drivers/ and fs/ (18.4M lines of C: one
// GFP_KERNEL per ~535 lines, GFP_NOFS per ~18k, WQ_MEM_RECLAIM per ~64k,
// flush_workqueue per ~55k, memalloc_nofs_save per ~250k, mutex_lock per
// ~875, wait_for_completion per ~8k) and then made ten times as frequent,
// so the rules are exercised harder than by real patches.
const STMTS = [
  [1200, (r, w) => `\t${w()}->${w()} = ${Math.floor(r() * 4096)};`],
  [1000, (r, w) => `\tret = ${w()}_${w()}(${w()}, ${w()});`],
  [700, (r, w) => `\tif (ret)\n\t\tgoto out_${w()};`],
  [500, (r, w) => `\t/* ${w()} the ${w()} before the ${w()} */`],
  [400, (r, w) => `\tlist_add_tail(&${w()}->list, &${w()}->head);`],
  [400, (r, w) => `\tspin_lock(&${w()}->lock);`],
  [400, (r, w) => `\tspin_unlock(&${w()}->lock);`],
  [300, (r, w) => `\tfor (i = 0; i < ${w()}->nr_${w()}s; i++)\n\t\t${w()}_${w()}(&${w()}[i]);`],
  [190, (r, w) => `\t${w()} = kzalloc(sizeof(*${w()}), GFP_KERNEL);`],
  [190, (r, w) => `\tif (!${w()})\n\t\treturn -ENOMEM;`],
  [115, (r, w) => `\tmutex_lock(&${w()}->mutex);`],
  [115, (r, w) => `\tmutex_unlock(&${w()}->mutex);`],
  [45, (r, w) => `\tqueue_work(${w()}_wq, &${w()}->work);`],
  [12, (r, w) => `\twait_for_completion(&${w()}->done);`],
  [6, (r, w) => `\t${w()} = kmalloc(len, ${pick(r, ["GFP_NOFS", "GFP_NOIO", "GFP_ATOMIC"])});`],
  [2, (r, w) => `\tflush_workqueue(${w()}_wq);`],
  [2, (r, w) => `\twq = alloc_workqueue("${w()}", WQ_UNBOUND${r() < 0.3 ? " | WQ_MEM_RECLAIM" : ""}, 0);`],
  [1, (r, w) => `\tnofs_flag = memalloc_nofs_save();`],
  [1, (r, w) => `\tmemalloc_nofs_restore(nofs_flag);`],
];
const TOTAL_WEIGHT = STMTS.reduce((a, [w]) => a + w, 0);

function stmt(r, w) {
  let x = r() * TOTAL_WEIGHT;
  for (const [weight, f] of STMTS) {
    x -= weight;
    if (x < 0) return f(r, w);
  }
  return STMTS[0][1](r, w);
}

function pick(r, arr) {
  return arr[Math.floor(r() * arr.length)];
}

function genFunction(r, name, lines) {
  const w = () => pick(r, WORDS);
  const out = [`static int ${name}(struct ${w()} *${w()})`, "{", "\tint ret = 0;", ""];
  while (out.length < lines) out.push(...stmt(r, w).split("\n"));
  out.push("\treturn ret;", "}", "");
  return out;
}

function genFileDiff(r, path, changed) {
  const w = () => pick(r, WORDS);
  const out = [`diff --git a/${path} b/${path}`, `index ${hex(r, 12)}..${hex(r, 12)} 100644`, `--- a/${path}`, `+++ b/${path}`];
  let remaining = changed;
  let oldLine = 10 + Math.floor(r() * 200);
  let newLine = oldLine;
  while (remaining > 0) {
    const adds = Math.min(remaining, 1 + Math.floor(r() * 60));
    const dels = Math.min(Math.floor(r() * adds), remaining - adds > 0 ? remaining - adds : 0);
    remaining -= adds + dels;
    // most functions of a patch are ordinary ones; IO-path roles (queue_rq,
    // end_io, work_fn, shrinker scan) are a small share, as in real drivers
    const role = r() < 0.04 ? pick(r, ["submit", "complete", "scan", "work_fn", "end_io", "queue_rq"]) : pick(r, ["init", "probe", "alloc", "show", "store", "get", "set", "update", "handle", "parse", "setup", "release", "ioctl", "open"]);
    const fn = `${w()}_${w()}_${role}`;
    const body = genFunction(r, fn, adds + 6);
    const ctxBefore = ["\tstruct device *dev = ctx->dev;", "\tint err;", ""];
    const ctxAfter = ["", "\treturn err;"];
    const hunk = [];
    for (const c of ctxBefore) hunk.push(" " + c);
    for (let i = 0; i < dels; i++) hunk.push("-" + stmt(r, w).split("\n")[0]);
    for (const l of body.slice(0, adds)) hunk.push("+" + l);
    for (const c of ctxAfter) hunk.push(" " + c);
    const oldCount = ctxBefore.length + dels + ctxAfter.length;
    const newCount = ctxBefore.length + adds + ctxAfter.length;
    out.push(`@@ -${oldLine},${oldCount} +${newLine},${newCount} @@ static int ${w()}_${w()}(struct ${w()} *${w()})`);
    out.push(...hunk);
    oldLine += oldCount + 20 + Math.floor(r() * 50);
    newLine += newCount + 20 + Math.floor(r() * 50) + (newCount - oldCount) * 0;
    newLine = oldLine + (newLine - oldLine);
  }
  return out.join("\n");
}

function hex(r, n) {
  let s = "";
  for (let i = 0; i < n; i++) s += "0123456789abcdef"[Math.floor(r() * 16)];
  return s;
}

/** One format-patch mail. */
export function genPatch(r, i, total) {
  const nFiles = 1 + Math.floor(Math.pow(r(), 2) * 30);
  const changedTotal = 10 + Math.floor(Math.pow(r(), 3) * 1990);
  const per = Math.max(1, Math.floor(changedTotal / nFiles));
  const dir = pick(r, DIRS);
  const files = [];
  for (let f = 0; f < nFiles; f++) files.push(genFileDiff(r, `${dir}/${pick(r, WORDS)}_${f}.c`, per));
  const subsys = dir.split("/").pop();
  return [
    `From ${hex(r, 40)} Mon Sep 17 00:00:00 2001`,
    `From: Bench Author ${i % 97} <bench${i % 97}@example.org>`,
    `Date: Mon, 2 Nov 2026 10:${String(i % 60).padStart(2, "0")}:00 +0000`,
    `Subject: [PATCH v${1 + (i % 3)} ${(i % total) + 1}/${total}] ${subsys}: rework ${pick(r, WORDS)} handling`,
    `Message-ID: <2026110210${String(i).padStart(6, "0")}.bench-${i}@example.org>`,
    "",
    `Rework the ${pick(r, WORDS)} handling so that ${pick(r, WORDS)} completion no longer`,
    `needs the ${pick(r, WORDS)} lock.`,
    "",
    `Signed-off-by: Bench Author ${i % 97} <bench${i % 97}@example.org>`,
    "---",
    files.join("\n"),
    "-- ",
    "2.47.1",
    "",
  ].join("\n");
}

export function genMbox(count, seed = 42) {
  const r = prng(seed);
  const parts = [];
  for (let i = 0; i < count; i++) parts.push(genPatch(r, i, 12));
  return parts.join("\n");
}

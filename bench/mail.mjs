// Mail bot benchmark: a 2,000-message mbox backfill (dry run to an outbox),
// measured in a child process so that its peak RSS is the bot's own.
//   import { benchMail } from "./mail.mjs"; await benchMail()
//   node bench/mail.mjs            prints the result as JSON
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..");

function hazard(i) {
  return [
    `diff --git a/fs/frob${i}/inode.c b/fs/frob${i}/inode.c`,
    `--- a/fs/frob${i}/inode.c`,
    `+++ b/fs/frob${i}/inode.c`,
    `@@ -4,4 +4,7 @@ static void frob${i}_setup_inode(struct inode *inode)`,
    ` {`,
    ` \tinode->i_op = &frob${i}_inode_ops;`,
    `+\tgfp_t gfp = mapping_gfp_mask(inode->i_mapping);`,
    `+`,
    `+\tmapping_set_gfp_mask(inode->i_mapping, gfp & ~__GFP_FS);`,
    ` \tinode->i_fop = &frob${i}_file_ops;`,
    ` }`,
  ].join("\n");
}

function clean(i) {
  return [
    `diff --git a/fs/frob${i}/file.c b/fs/frob${i}/file.c`,
    `--- a/fs/frob${i}/file.c`,
    `+++ b/fs/frob${i}/file.c`,
    `@@ -4,4 +4,5 @@ static void frob${i}_setup_file(struct inode *inode)`,
    ` {`,
    ` \tinode->i_op = &frob${i}_inode_ops;`,
    `+\tinode->i_flags |= S_NOATIME;`,
    ` \tinode->i_fop = &frob${i}_file_ops;`,
    ` }`,
  ].join("\n");
}

const RECENT = new Date(Date.now() - 3_600_000).toUTCString().replace("GMT", "+0000");

/** 2,000 messages: 50% patches with a hazard, 30% clean patches, 20% replies. */
export function makeMbox(n = 2000) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 10 < 5 ? "hazard" : i % 10 < 8 ? "clean" : "reply";
    const head = [
      `From mboxrd@z Thu Jan  1 00:00:00 1970`,
      `From: Dev ${i % 37} <dev${i % 37}@example.org>`,
      `To: linux-fsdevel@vger.kernel.org`,
      `Subject: ${kind === "reply" ? `Re: [PATCH] frob${i - 1}: setup` : `[PATCH] frob${i}: setup`}`,
      // an hour old: within the bot's age limit (max-age), so every hazard is answered
      `Date: ${RECENT}`,
      `Message-ID: <bench${i}@example.org>`,
      ...(kind === "reply" ? [`In-Reply-To: <bench${i - 1}@example.org>`, `References: <bench${i - 1}@example.org>`] : []),
      `List-Id: <linux-fsdevel.vger.kernel.org>`,
      `MIME-Version: 1.0`,
      `Content-Type: text/plain; charset=utf-8`,
      ``,
    ];
    const body =
      kind === "reply"
        ? `On Mon, Dev wrote:\n> +\tinode->i_flags |= S_NOATIME;\n\nLooks fine to me.\n`
        : `Set up frob${i} inodes.\n\nSigned-off-by: Dev <dev@example.org>\n---\n${kind === "hazard" ? hazard(i) : clean(i)}\n-- \n2.47.0\n`;
    out.push(head.join("\n") + "\n" + body.replace(/^(>*From )/gm, ">$1") + "\n");
  }
  return out.join("");
}

async function child(mbox, dir) {
  const { runMail } = await import(pathToFileURL(join(ROOT, "dist/mailbot/index.js")).href);
  const t0 = process.hrtime.bigint();
  const sum = await runMail({
    config: { "from-mbox": [mbox], outbox: join(dir, "outbox"), state: join(dir, "state"), from: "Bench Bot <bot@bench.example>", once: true },
    log: () => undefined,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(JSON.stringify({ ingested: sum.ingested, replies: sum.sent, seconds, maxRssKb: process.resourceUsage().maxRSS }) + "\n");
}

/** Runs the backfill and returns {messages, seconds, messagesPerSec, peakRssMb} (plus replies written). */
export async function benchMail({ messages = 2000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "rr-bench-mail-"));
  try {
    const mbox = join(dir, "backlog.mbox");
    writeFileSync(mbox, makeMbox(messages));
    const out = await new Promise((res, rej) => {
      const c = spawn(process.execPath, [fileURLToPath(import.meta.url), "--child", mbox, dir], { stdio: ["ignore", "pipe", "inherit"] });
      let s = "";
      c.stdout.on("data", (d) => (s += d));
      c.on("error", rej);
      c.on("exit", (code) => (code === 0 ? res(s) : rej(new Error(`bench child exited ${code}`))));
    });
    const r = JSON.parse(out.trim().split("\n").pop());
    return {
      messages: r.ingested,
      seconds: Math.round(r.seconds * 1000) / 1000,
      messagesPerSec: Math.round(r.ingested / r.seconds),
      peakRssMb: Math.round(r.maxRssKb / 1024),
      replies: r.replies,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === "--child") await child(process.argv[3], process.argv[4]);
  else console.log(JSON.stringify(await benchMail()));
}

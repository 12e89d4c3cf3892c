// The email replies to the patches in examples/ (ours, modelled on the seed
// cases) have the properties a maintainer expects, whatever the rules'
// words: short, commit references on one line, each link once, tags only in
// the footer, and never the patch itself (or another version of it) cited
// back to its author.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { parseInput } from "../../src/ingest/index.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { review } from "../../src/pipeline.js";
import { PROSE_BUDGET, renderEmailBody } from "../../src/render/email.js";
import type { ReviewResult } from "../../src/types.js";
import { checkReply } from "./reply-properties.js";

const kb = loadKnowledge();
const examples = readdirSync("examples").filter((f) => f.endsWith(".patch")).sort();

async function reviewText(text: string, source: string): Promise<ReviewResult> {
  return review(await parseInput(Buffer.from(text), source), null, DEFAULT_CONFIG, kb);
}

/** The lines of the xfs example's diff (ours), under other headers. */
const XFS = readFileSync(join("examples", "xfs-sync-wq-mem-reclaim.patch"), "utf8");
const xfsDiff = XFS.slice(XFS.indexOf("\ndiff --git") + 1);
const xfsTrace = XFS.slice(XFS.indexOf("\n\n") + 2, XFS.indexOf("\nSigned-off-by"));

function mail(headers: string[], message: string): string {
  return `${headers.join("\n")}\n\n${message}\n---\n${xfsDiff}`;
}

describe("email replies to the examples", () => {
  it.each(examples)("%s: a reply a maintainer reads", async (name) => {
    const result = await reviewText(readFileSync(join("examples", name), "utf8"), name);
    const r = result.reviews[0]!;
    expect(r.findings.length).toBeGreaterThan(0);
    const body = renderEmailBody(r);
    const facts = checkReply(body, r.findings);
    // a reply with one finding needs at most 25 lines of our own prose (the mail bot's default: warnings and up)
    const mailed = renderEmailBody(r, { minSeverity: "warning" });
    if (r.findings.filter((f) => f.severity !== "info").length === 1) expect(checkReply(mailed, r.findings.filter((f) => f.severity !== "info")).prose).toBeLessThanOrEqual(PROSE_BUDGET);
    if (r.findings.length === 1) expect(facts.prose).toBeLessThanOrEqual(PROSE_BUDGET);
    // the rule's general words are said at most once
    for (const f of r.findings) if (f.why.length > 60) expect(body.replace(/\s+/g, " ").split(f.why.slice(0, 60).replace(/\s+/g, " ")).length).toBeLessThanOrEqual(2);
  });

  it("never cites the patch under review: same Message-ID", async () => {
    const r = (await reviewText(mail(["From: Mike Example <mike@example.org>", "Subject: [PATCH] xfs: give the sync queue a rescuer", "Message-ID: <ZoGJRSe98wZFDK36@kernel.org>"], xfsTrace), "self.eml")).reviews[0]!;
    const ids = r.findings.flatMap((f) => f.citations.map((c) => c.id));
    expect(ids).not.toContain("xfs-sync-wq-2024");
    expect(renderEmailBody(r)).not.toContain("ZoGJRSe98wZFDK36");
  });

  it("never cites another version of the patch under review: same subject, another version, another Message-ID", async () => {
    for (const subject of ["[PATCH v3] xfs: enable WQ_MEM_RECLAIM on m_sync_workqueue", "Re: [PATCH RESEND v2] xfs: enable WQ_MEM_RECLAIM on m_sync_workqueue"]) {
      const r = (await reviewText(mail(["From: Mike Example <mike@example.org>", `Subject: ${subject}`, "Message-ID: <20261201.1@example.org>"], xfsTrace), "v3.eml")).reviews[0]!;
      expect(r.findings.length).toBeGreaterThan(0);
      expect(r.findings.flatMap((f) => f.citations.map((c) => c.id))).not.toContain("xfs-sync-wq-2024");
    }
    // an unrelated patch with the same trace still gets that history
    const other = (await reviewText(mail(["From: Dana Example <dana@example.org>", "Subject: [PATCH] xfs: set WQ_MEM_RECLAIM on the sync workqueue", "Message-ID: <20261201.2@example.org>"], xfsTrace), "other.eml")).reviews[0]!;
    expect(other.findings.flatMap((f) => f.citations.map((c) => c.id))).toContain("xfs-sync-wq-2024");
  });

  it("cites first what the patch names itself (a Fixes: tag), when the knowledge base knows it", async () => {
    const message = `${xfsTrace}\n\nFixes: fca839c00a12 ("workqueue: warn if memory reclaim tries to flush !WQ_MEM_RECLAIM workqueue")`;
    const r = (await reviewText(mail(["From: Dana Example <dana@example.org>", "Subject: [PATCH] xfs: set WQ_MEM_RECLAIM on the sync workqueue", "Message-ID: <20261201.3@example.org>"], message), "fixes.eml")).reviews[0]!;
    for (const f of r.findings) expect(f.citations[0]!.id).toBe("wq-flush-dependency-2015");
    // and once per reply: the second comment does not repeat it
    const body = renderEmailBody(r);
    expect(body.match(/commit fca839c00a12 \("workqueue: warn if memory reclaim tries to flush !WQ_MEM_RECLAIM workqueue"\)/g)!.length).toBeLessThanOrEqual(2);
    expect(body.match(/^(?:See|and) commit fca839c00a12/gm)).toHaveLength(1);
  });
});

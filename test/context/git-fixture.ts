// Git repositories and git-shaped patches for the --tree tests: commits made
// with git itself (fast-import), patches carrying the "index <old>..<new>"
// line git writes, with blob ids computed as git does.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { diffFor, type FileChange } from "../helpers/patch.js";
import { makeRepo, type FakeCommit } from "../history/fixture-repo.js";

export { makeRepo, type FakeCommit };

/** git hash-object of a text. */
export function blobId(text: string): string {
  const data = Buffer.from(text, "utf8");
  return createHash("sha1").update(`blob ${data.length}\0`).update(data).digest("hex");
}

/** The commits of a repository's branch, oldest first. */
export function commitsOf(dir: string, ref = "HEAD"): string[] {
  return execFileSync("git", ["-C", dir, "rev-list", "--reverse", ref], { encoding: "utf8" }).trim().split("\n");
}

/** A file's diff as git writes it, with an index line (abbreviated ids, as format-patch does). */
export function gitDiff(change: FileChange & { oldBlob?: string }, abbrev = 12): string {
  const d = diffFor(change);
  const old = change.before == null ? "0".repeat(abbrev) : (change.oldBlob ?? blobId(change.before)).slice(0, abbrev);
  const neu = change.after === null ? "0".repeat(abbrev) : blobId(change.after).slice(0, abbrev);
  const mode = change.before != null && change.after !== null ? " 100644" : "";
  const lines = d.split("\n");
  const at = lines.findIndex((l) => l.startsWith("--- ") || l.startsWith("new file mode") || l.startsWith("deleted file mode"));
  const insertAt = lines[at]!.startsWith("---") ? at : at + 1;
  lines.splice(insertAt, 0, `index ${old}..${neu}${mode}`);
  return lines.join("\n");
}

export interface MailPatch {
  subject: string;
  messageId: string;
  inReplyTo?: string;
  files: (FileChange & { oldBlob?: string })[];
  message?: string;
  /** Written as b4 and git format-patch --base do, after the diff. */
  baseCommit?: string;
  /** Leave the index lines out (a plain diff). */
  plain?: boolean;
}

/** One format-patch mail (mbox "From " line included). */
export function patchMail(p: MailPatch): string {
  const diffs = p.files.map((f) => (p.plain ? diffFor(f) : gitDiff(f))).join("");
  return [
    "From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001",
    "From: Test Author <author@example.org>",
    "Date: Mon, 2 Nov 2026 10:00:00 +0000",
    `Subject: ${p.subject}`,
    `Message-ID: ${p.messageId}`,
    ...(p.inReplyTo ? [`In-Reply-To: ${p.inReplyTo}`, `References: ${p.inReplyTo}`] : []),
    "",
    p.message ?? "A change made for a test.",
    "",
    "Signed-off-by: Test Author <author@example.org>",
    "---",
    diffs + (p.baseCommit ? `\nbase-commit: ${p.baseCommit}\n` : "") + "-- ",
    "2.47.0",
    "",
  ].join("\n");
}

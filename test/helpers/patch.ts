// Builds patches for tests the way git would: a commit message, then a
// unified diff whose "@@ ... @@" sections carry the enclosing function
// (git's default rule: the nearest earlier line starting with a letter, _ or $).
import { structuredPatch } from "diff";

export interface FileChange {
  path: string;
  /** Old text; omit (or null) for a new file. */
  before?: string | null;
  /** New text; null for a deleted file. */
  after: string | null;
}

export interface PatchSpec {
  subject?: string;
  message?: string;
  files: FileChange[];
  /** Lines of context (default 3, like git). */
  context?: number;
}

function sectionFor(oldLines: string[], oldStart: number): string {
  for (let i = Math.min(oldStart - 2, oldLines.length - 1); i >= 0; i--) {
    const l = oldLines[i]!;
    if (/^[A-Za-z_$]/.test(l)) return l.length > 80 ? l.slice(0, 80) : l;
  }
  return "";
}

export function diffFor(change: FileChange, context = 3): string {
  const before = change.before ?? "";
  const after = change.after ?? "";
  const sp = structuredPatch(change.path, change.path, before, after, "", "", { context });
  const oldLines = before.split("\n");
  const out: string[] = [`diff --git a/${change.path} b/${change.path}`];
  if (change.before == null) out.push("new file mode 100644");
  if (change.after === null) out.push("deleted file mode 100644");
  out.push(change.before == null ? "--- /dev/null" : `--- a/${change.path}`);
  out.push(change.after === null ? "+++ /dev/null" : `+++ b/${change.path}`);
  for (const h of sp.hunks) {
    const oldStart = h.oldLines === 0 ? h.oldStart - 1 : h.oldStart;
    const newStart = h.newLines === 0 ? h.newStart - 1 : h.newStart;
    const sec = change.before == null ? "" : sectionFor(oldLines, h.oldStart);
    out.push(`@@ -${oldStart},${h.oldLines} +${newStart},${h.newLines} @@${sec ? " " + sec : ""}`);
    for (const l of h.lines) out.push(l);
  }
  return out.join("\n") + "\n";
}

/** A `git format-patch`-shaped mail for the spec. */
export function formatPatch(spec: PatchSpec): string {
  const subject = spec.subject ?? "test: a change";
  const body = spec.message ?? "A change made for a test.";
  const diffs = spec.files.map((f) => diffFor(f, spec.context)).join("");
  return [
    "From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001",
    "From: Test Author <author@example.org>",
    "Date: Mon, 2 Nov 2026 10:00:00 +0000",
    `Subject: [PATCH] ${subject}`,
    "Message-ID: <20261102100000.1-test@example.org>",
    "",
    body,
    "",
    "Signed-off-by: Test Author <author@example.org>",
    "---",
    diffs + "-- ",
    "2.47.0",
    "",
  ].join("\n");
}

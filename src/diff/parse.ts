// Unified diff text -> FileDiff[]: jsdiff (diff@9) parses the hunks and git's
// extended headers; we add what it leaves out (the "@@ ... @@ section" text
// git fills with the enclosing function, and "GIT binary patch" blocks), give
// every line its old/new line number, and turn its exceptions into
// InputErrors that say where the diff is broken.
import { parsePatch } from "diff";
import { InputError } from "../errors.js";
import type { DiffLine, FileDiff, FileStatus, Hunk } from "../types.js";

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;
const GIT_HEADER = /^diff --git (?:"?a\/)?(.+?)"? (?:"?b\/)?(.+?)"?$/;

export interface ParsedDiff {
  files: FileDiff[];
  notes: string[];
}

function stripPrefix(name: string | undefined, prefix: "a/" | "b/"): string | null {
  if (name === undefined) return null;
  let n = name.trim();
  // jsdiff keeps a trailing tab + timestamp from non-git diffs in the header, not the name
  if (n.startsWith('"') && n.endsWith('"')) n = n.slice(1, -1);
  if (n === "/dev/null") return null;
  if (n.startsWith(prefix)) return n.slice(prefix.length);
  return n;
}

interface RawScan {
  sections: string[];
  hunkHeaderLines: number[];
  binaryPaths: Set<string>;
}

/** One pass over the raw lines for what jsdiff does not keep. */
function scanRaw(lines: string[]): RawScan {
  const sections: string[] = [];
  const hunkHeaderLines: number[] = [];
  const binaryPaths = new Set<string>();
  let current: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith("diff --git ")) {
      const m = GIT_HEADER.exec(l);
      current = m ? m[2]! : null;
    } else if (l.startsWith("@@ -")) {
      const m = HUNK_HEADER.exec(l);
      if (m) {
        sections.push(m[5] ?? "");
        hunkHeaderLines.push(i + 1);
      }
    } else if (current !== null && (l === "GIT binary patch" || /^Binary files .* differ$/.test(l))) {
      binaryPaths.add(current);
    }
  }
  return { sections, hunkHeaderLines, binaryPaths };
}

/**
 * Parses a unified diff (git or plain). `text` must already use LF line ends.
 * Throws InputError for a hunk that is truncated or whose line counts do not
 * match its header.
 */
export function parseDiff(text: string, source?: string): ParsedDiff {
  const lines = text.split("\n");
  const scan = scanRaw(lines);
  let structured;
  try {
    structured = parsePatch(text);
  } catch (err) {
    throw new InputError(describeJsdiffError(err, lines, scan), source);
  }

  const files: FileDiff[] = [];
  const notes: string[] = [];
  let hunkIndex = 0;
  for (const sp of structured) {
    const oldPath = stripPrefix(sp.oldFileName, "a/");
    const newPath = stripPrefix(sp.newFileName, "b/");
    if (oldPath === null && newPath === null) {
      // a diff block without any file name (e.g. only "Index:" garbage) is not a file
      if (sp.hunks.length === 0) continue;
      throw new InputError("diff hunk without file names (no ---/+++ lines)", source);
    }
    const path = (newPath ?? oldPath)!;
    let status: FileStatus = "modified";
    if (sp.isRename) status = "renamed";
    else if (sp.isCopy) status = "copied";
    else if (sp.isCreate || oldPath === null) status = "added";
    else if (sp.isDelete || newPath === null) status = "deleted";
    const binary = Boolean(sp.isBinary) || scan.binaryPaths.has(path) || (oldPath !== null && scan.binaryPaths.has(oldPath));

    const hunks: Hunk[] = [];
    for (const h of sp.hunks) {
      const section = scan.sections[hunkIndex] ?? "";
      hunkIndex++;
      hunks.push(buildHunk(h.oldStart, h.oldLines, h.newStart, h.newLines, section, h.lines, source));
    }
    const file: FileDiff = {
      oldPath: status === "added" ? null : oldPath,
      newPath: status === "deleted" ? null : newPath,
      path,
      status,
      binary,
      hunks,
    };
    if (sp.oldMode) file.oldMode = sp.oldMode;
    if (sp.newMode) file.newMode = sp.newMode;
    if (binary) notes.push(`binary change to ${path} skipped`);
    files.push(file);
  }
  return { files, notes };
}

function buildHunk(
  oldStart: number,
  oldLines: number,
  newStart: number,
  newLines: number,
  section: string,
  raw: string[],
  source?: string,
): Hunk {
  const lines: DiffLine[] = [];
  // jsdiff reports a zero-length side's start as the line before it; keep git's numbers
  let o = oldLines === 0 ? oldStart + 1 : oldStart;
  let n = newLines === 0 ? newStart + 1 : newStart;
  let seenOld = 0;
  let seenNew = 0;
  for (const r of raw) {
    const tag = r[0];
    const text = r.slice(1);
    if (tag === "+") {
      lines.push({ kind: "add", text, oldLine: null, newLine: n++ });
      seenNew++;
    } else if (tag === "-") {
      lines.push({ kind: "del", text, oldLine: o++, newLine: null });
      seenOld++;
    } else if (tag === " " || r === "") {
      lines.push({ kind: "ctx", text, oldLine: o++, newLine: n++ });
      seenOld++;
      seenNew++;
    } else if (tag === "\\") {
      const prev = lines[lines.length - 1];
      if (prev) prev.noNewline = true;
    }
  }
  if (seenOld !== oldLines || seenNew !== newLines) {
    throw new InputError(
      `hunk @@ -${oldStart},${oldLines} +${newStart},${newLines} @@ has ${seenOld} old and ${seenNew} new lines: truncated or miscounted`,
      source,
    );
  }
  return { oldStart: oldLines === 0 ? oldStart + 1 : oldStart, oldLines, newStart: newLines === 0 ? newStart + 1 : newStart, newLines, section, lines };
}

function describeJsdiffError(err: unknown, lines: string[], scan: RawScan): string {
  const msg = err instanceof Error ? err.message : String(err);
  const m = /line (\d+)/.exec(msg);
  if (m) {
    const at = Number(m[1]);
    // find the hunk header this line belongs to
    let header = 0;
    for (const h of scan.hunkHeaderLines) if (h <= at) header = h;
    const hdr = header ? lines[header - 1] : undefined;
    const bad = lines[at - 1];
    if (at > lines.length || bad === undefined || bad === "") {
      return `diff ends inside a hunk${hdr ? ` (${hdr.split(" @@")[0]} @@ at line ${header})` : ""}: truncated or miscounted`;
    }
    return `malformed hunk${hdr ? ` ${hdr.split(" @@")[0]} @@ (line ${header})` : ""}: unexpected line ${at}: ${JSON.stringify(bad.slice(0, 60))} (truncated or miscounted hunk)`;
  }
  return `malformed diff: ${msg}`;
}

// Unified diff text -> FileDiff[]. jsdiff (diff@9) parses the hunks and git's
// extended headers (renames, copies, modes, new/deleted files, quoted paths);
// one pass of our own over the raw lines adds what it leaves out: the hunk
// headers exactly as git wrote them (numbers and the "@@ ... @@ section" text
// with the enclosing function), "GIT binary patch" blocks, and the file each
// hunk belongs to, so that a broken hunk is reported by name.
// the one module of jsdiff we use, imported alone: the package index loads all of jsdiff (start-up time)
import { lowerBound, newlineOffsets } from "../sorted.js";
import { parsePatch } from "diff/lib/patch/parse.js";
import { InputError } from "../errors.js";
import type { DiffLine, FileDiff, FileStatus, Hunk } from "../types.js";

/** The hunk header grammar (counts may be omitted: "@@ -1 +1 @@"). */
export const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(?: ?(.*))?$/;

export interface ParsedDiff {
  files: FileDiff[];
  notes: string[];
}

interface HunkInfo {
  /** Offset of the header line in the diff text. */
  offset: number;
  header: string;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  section: string;
  file: string;
  /** 1-based number of the hunk within its file. */
  nth: number;
  /** 0-based line of the header in the diff text (counted as the scan goes: linear). */
  line: number;
}

interface RawScan {
  hunks: HunkInfo[];
  /** Per "diff --git" block, in order: does it carry a binary change? */
  gitBinary: boolean[];
  /** Per "diff --git" block: the blob ids of its "index <old>..<new>" line, when it has one. */
  gitIndex: ({ old: string; new: string } | null)[];
}

/** Where a diff's lines are, for messages only (error paths). */
class Where {
  constructor(
    readonly text: string,
    readonly lineBase: number | undefined,
  ) {}

  private newlines: number[] | null = null;

  /** 0-based index of the line at `offset` (a table of newline offsets, built once, then binary search). */
  index(offset: number): number {
    this.newlines ??= newlineOffsets(this.text);
    return lowerBound(this.newlines, offset);
  }

  /** "line 42" of the input, or "diff line 3" when the diff's place in the input is unknown. */
  name(index: number): string {
    return this.lineBase === undefined ? `diff line ${index + 1}` : `line ${this.lineBase + index + 1}`;
  }
}

function quickPath(line: string): string {
  // the name for messages only: "+++ b/fs/x.c\t..." or "diff --git a/x b/x"
  if (line.startsWith("diff --git ")) {
    const rest = line.slice(11);
    const mid = rest.lastIndexOf(" b/");
    return (mid >= 0 ? rest.slice(mid + 3) : rest).replace(/^"|"$/g, "");
  }
  const name = line.slice(4).split("\t")[0]!.trim().replace(/^"|"$/g, "");
  return name.replace(/^[ab]\//, "");
}

function oneLine(s: string, max = 60): string {
  return JSON.stringify(s.length > max ? s.slice(0, max) + "..." : s);
}

/** The lines jsdiff does not keep everything of; one regex pass visits only these. */
const INTERESTING = /^(?:diff --git [^\n]*|\+\+\+ [^\n]*|@@[^\S\n][^\n]*|GIT binary patch$|Binary files [^\n]* differ$|index [0-9a-f]{4,64}\.\.[0-9a-f]{4,64}(?: [0-7]{6})?$)/gm;

function lineBefore(text: string, offset: number): string {
  if (offset === 0) return "";
  const start = text.lastIndexOf("\n", offset - 2) + 1;
  return text.slice(start, offset - 1);
}

/** One pass over the raw text for what jsdiff does not keep. */
function scanRaw(text: string, where: Where, source?: string): RawScan {
  const hunks: HunkInfo[] = [];
  const gitBinary: boolean[] = [];
  const gitIndex: ({ old: string; new: string } | null)[] = [];
  let file = "";
  let nth = 0;
  let counted = 0;
  let line = 0;
  INTERESTING.lastIndex = 0;
  for (let m = INTERESTING.exec(text); m; m = INTERESTING.exec(text)) {
    const l = m[0];
    const c = l.charCodeAt(0);
    if (c === 100 /* d */) {
      file = quickPath(l);
      nth = 0;
      gitBinary.push(false);
      gitIndex.push(null);
    } else if (c === 105 /* i */) {
      if (gitIndex.length > 0 && gitIndex[gitIndex.length - 1] === null) {
        const [o, n] = l.slice(6).split(" ")[0]!.split("..");
        gitIndex[gitIndex.length - 1] = { old: o!, new: n! };
      }
    } else if (c === 43 /* + */) {
      const prev = lineBefore(text, m.index);
      if (m.index !== 0 && !prev.startsWith("--- ")) continue;
      const p = quickPath(l);
      if (p !== "/dev/null") file = p;
      else if (prev) file = quickPath(prev);
      nth = 0;
    } else if (c === 64 /* @ */) {
      const h = HUNK_HEADER.exec(l);
      if (!h) throw new InputError(`malformed hunk header at ${where.name(where.index(m.index))}: ${oneLine(l)}`, source);
      nth++;
      for (let i = text.indexOf("\n", counted); i >= 0 && i < m.index; i = text.indexOf("\n", i + 1)) line++;
      counted = m.index;
      hunks.push({
        line,
        offset: m.index,
        header: l.slice(0, l.indexOf(" @@") + 3),
        oldStart: Number(h[1]),
        oldLines: h[2] === undefined ? 1 : Number(h[2]),
        newStart: Number(h[3]),
        newLines: h[4] === undefined ? 1 : Number(h[4]),
        section: (h[5] ?? "").trim(),
        file,
        nth,
      });
    } else if (gitBinary.length > 0) {
      gitBinary[gitBinary.length - 1] = true;
    }
  }
  return { hunks, gitBinary, gitIndex };
}

function strip(name: string | undefined): string | null {
  if (name === undefined) return null;
  const n = name.trim();
  if (n === "/dev/null" || n === "") return null;
  return n;
}

/** a/x, b/x -> x; for non-git diffs of two trees ("linux.orig/x", "linux/x") drop the differing top directory like patch -p1. */
function normalisePaths(oldName: string | null, newName: string | null, isGit: boolean): [string | null, string | null] {
  let o = oldName;
  let n = newName;
  if (!isGit && o !== null && n !== null && !o.startsWith("a/")) {
    const ot = o.indexOf("/");
    const nt = n.indexOf("/");
    if (ot > 0 && nt > 0 && o.slice(0, ot) !== n.slice(0, nt)) return [o.slice(ot + 1), n.slice(nt + 1)];
  }
  if (o !== null && o.startsWith("a/")) o = o.slice(2);
  if (n !== null && n.startsWith("b/")) n = n.slice(2);
  return [o, n];
}

/**
 * Parses a unified diff (git or plain). `text` must already use LF line ends.
 * Throws InputError for a hunk that is truncated or whose line counts do not
 * match its header, naming the hunk and its file.
 */
export function parseDiff(text: string, source?: string, lineBase?: number): ParsedDiff {
  let where = new Where(text, lineBase);
  let scan = scanRaw(text, where, source);
  const notes: string[] = [];
  let structured: ReturnType<typeof parsePatch>;
  try {
    structured = parsePatch(text);
  } catch (err) {
    // a mail client that dropped the space before a tab: context lines given it back, then parsed again (the
    // same lines, so line numbers stay; character offsets move, so the text is scanned again)
    const respaced = respace(text, scan, where);
    if (respaced !== null) {
      text = respaced.text;
      where = new Where(text, lineBase);
      scan = scanRaw(text, where, source);
      notes.push(...respaced.notes);
    }
    try {
      if (respaced === null) throw err;
      structured = parsePatch(text);
    } catch (err1) {
      // what git am --recount and patch(1) forgive: trailing context lost on the way, counts that are off
      const recounted = recount(text, scan, where);
      if (recounted === null) throw new InputError(describeJsdiffError(respaced === null ? err : err1, where, scan), source);
      try {
        structured = parsePatch(recounted.text);
      } catch (err2) {
        throw new InputError(describeJsdiffError(err2, where, scan), source);
      }
      notes.push(...recounted.notes);
    }
  }

  const files: FileDiff[] = [];
  let hunkIndex = 0;
  let gitOrdinal = -1;
  for (const sp of structured) {
    if (sp.isGit) gitOrdinal++;
    const hunkInfos = scan.hunks.slice(hunkIndex, hunkIndex + sp.hunks.length);
    hunkIndex += sp.hunks.length;
    const [oldPath, newPath] = normalisePaths(strip(sp.oldFileName), strip(sp.newFileName), Boolean(sp.isGit));
    if (oldPath === null && newPath === null) {
      // a block without any file name (e.g. only "Index:" garbage) is not a file
      if (sp.hunks.length === 0) continue;
      const h = hunkInfos[0];
      throw new InputError(`diff hunk without file names (no ---/+++ lines)${h ? ` at ${where.name(where.index(h.offset))}: ${h.header}` : ""}`, source);
    }
    const path = (newPath ?? oldPath)!;
    let status: FileStatus = "modified";
    if (sp.isRename) status = "renamed";
    else if (sp.isCopy) status = "copied";
    else if (sp.isCreate || oldPath === null) status = "added";
    else if (sp.isDelete || newPath === null) status = "deleted";
    const binary = Boolean(sp.isBinary) || (sp.isGit === true && scan.gitBinary[gitOrdinal] === true);

    const hunks: Hunk[] = [];
    if (!binary) {
      for (let k = 0; k < sp.hunks.length; k++) {
        const info = hunkInfos[k];
        if (!info) throw new InputError(`diff hunk ${k + 1} of ${path} has no readable header`, source);
        hunks.push(buildHunk(info, sp.hunks[k]!.lines, where, source));
      }
    }
    const file: FileDiff = {
      oldPath: status === "added" ? null : oldPath,
      newPath: status === "deleted" ? null : newPath,
      path,
      status,
      binary,
      hunks,
    };
    const idx = sp.isGit ? scan.gitIndex[gitOrdinal] : null;
    if (idx) {
      if (!/^0+$/.test(idx.old)) file.oldBlob = idx.old;
      if (!/^0+$/.test(idx.new)) file.newBlob = idx.new;
    }
    if (sp.oldMode) file.oldMode = sp.oldMode;
    if (sp.newMode) file.newMode = sp.newMode;
    if (binary) notes.push(`binary change to ${path} skipped`);
    files.push(file);
  }
  return { files, notes };
}

function hunkName(h: HunkInfo, where: Where): string {
  return `hunk ${h.nth} of ${h.file || "the diff"} (${h.header} at ${where.name(where.index(h.offset))})`;
}

function buildHunk(info: HunkInfo, raw: string[], where: Where, source?: string): Hunk {
  const lines: DiffLine[] = [];
  let o = info.oldStart;
  let n = info.newStart;
  let seenOld = 0;
  let seenNew = 0;
  for (const r of raw) {
    const tag = r.charCodeAt(0);
    if (tag === 43 /* + */) {
      lines.push({ kind: "add", text: r.slice(1), oldLine: null, newLine: n++ });
      seenNew++;
    } else if (tag === 45 /* - */) {
      lines.push({ kind: "del", text: r.slice(1), oldLine: o++, newLine: null });
      seenOld++;
    } else if (tag === 32 /* space */ || r === "") {
      lines.push({ kind: "ctx", text: r.slice(1), oldLine: o++, newLine: n++ });
      seenOld++;
      seenNew++;
    } else if (tag === 92 /* \ */) {
      const prev = lines[lines.length - 1];
      if (prev) prev.noNewline = true;
    }
  }
  if (seenOld !== info.oldLines || seenNew !== info.newLines) {
    throw new InputError(
      `${hunkName(info, where)} has ${seenOld} old and ${seenNew} new lines, its header says ${info.oldLines} and ${info.newLines}: truncated or miscounted`,
      source,
    );
  }
  return {
    oldStart: info.oldStart,
    oldLines: info.oldLines,
    newStart: info.newStart,
    newLines: info.newLines,
    section: info.section,
    lines,
    inputLine: (where.lineBase ?? 0) + info.line + 1,
  };
}

// ------------------------------------------------------------ recounting

/** "--- x" with "+++ y" and a hunk header right after it: the next file of a diff without "diff --git" lines. */
function fileHeaderAt(lines: readonly string[], i: number): boolean {
  return lines[i]!.startsWith("--- ") && (lines[i + 1] ?? "").startsWith("+++ ") && (lines[i + 2] ?? "").startsWith("@@ -");
}

/** A line that starts the next hunk, file or diff: a hunk that stops here ended, it was not interrupted. */
function boundaryAt(lines: readonly string[], i: number): boolean {
  const l = lines[i]!;
  return l.startsWith("@@ -") || l.startsWith("diff ") || l.startsWith("Index: ") || fileHeaderAt(lines, i);
}

interface Walk {
  old: number;
  neu: number;
  /** Context lines before the first changed line, and after the last one. */
  lead: number;
  trail: number;
  changes: number;
  /** The hunk stopped at a non-diff line with hunk lines right after it (garbage inside the hunk). */
  interrupted: boolean;
  /** The index of the line the walk stopped at. */
  stop: number;
}

/** Each hunk with the index of its header line in the text's lines. */
function* hunkHeaders(text: string, scan: RawScan): Generator<{ h: HunkInfo; lineNo: number }> {
  let at = 0;
  let lineNo = 0;
  for (const h of scan.hunks) {
    for (; at < h.offset; at++) if (text.charCodeAt(at) === 10) lineNo++;
    yield { h, lineNo };
  }
}

/**
 * Reads a hunk's body the way jsdiff does (an empty line is blank context,
 * "\ No newline" lines count for nothing), but past its header's counts
 * while diff lines follow, and only until the next hunk, file or non-diff line.
 * With `tabbed`, a line starting with a tab within the counts is read as
 * context whose space was lost, and its index is put there.
 */
function walkHunk(lines: readonly string[], header: number, h: HunkInfo, tabbed?: number[]): Walk {
  const w: Walk = { old: 0, neu: 0, lead: 0, trail: 0, changes: 0, interrupted: false, stop: header + 1 };
  // the text's final "" (after its last newline) is its end, not a blank line
  const end = lines.length - (lines[lines.length - 1] === "" ? 1 : 0);
  let i = header + 1;
  for (; i < end; i++) {
    const l = lines[i]!;
    const c = l === "" ? " " : l[0];
    if (c === "\\") continue;
    const full = w.old >= h.oldLines && w.neu >= h.newLines;
    // past the header's counts only diff lines that jsdiff would also refuse to leave out
    if (full && (l === "" || (c !== "+" && c !== "-" && c !== " ") || fileHeaderAt(lines, i))) break;
    if (c === "+" || (c === "-" && !fileHeaderAt(lines, i))) {
      if (c === "+") w.neu++;
      else w.old++;
      w.changes++;
      w.trail = 0;
    } else if (c === " " || (tabbed && c === "\t")) {
      if (c === "\t") tabbed!.push(i);
      w.old++;
      w.neu++;
      if (w.changes === 0) w.lead++;
      else w.trail++;
    } else break;
  }
  if (i < end && !boundaryAt(lines, i) && /^[-+ ]/.test(lines[i + 1] ?? "")) w.interrupted = true;
  w.stop = i;
  return w;
}

/**
 * Hunks whose counts do not match their body, repaired where the damage is
 * only what travel does to a patch: trailing context lines lost (a web page
 * or a mail client trimmed a blank line at the end of the message, of a
 * file's diff, before the next "diff --git"), or counts that are off while
 * the body is whole (git am --recount). Each repaired header is rewritten to
 * the lines present, with a note naming the hunk. Returns null when nothing
 * can be repaired: a hunk short of a + or - line, or longer context loss
 * than its own leading context allows, stays an input error.
 */
function recount(text: string, scan: RawScan, where: Where): { text: string; notes: string[] } | null {
  const lines = text.split("\n");
  const notes: string[] = [];
  let changed = false;
  for (const { h, lineNo } of hunkHeaders(text, scan)) {
    const w = walkHunk(lines, lineNo, h);
    if (w.interrupted || w.changes === 0) continue;
    const shortOld = h.oldLines - w.old;
    const shortNew = h.newLines - w.neu;
    if (shortOld === 0 && shortNew === 0) continue;
    // git ends a hunk with as much context as it starts it with (-U, 3 by default), so lost lines
    // beyond that width would have held a change; hand-made hunks start with less, so 3 at least
    const width = Math.max(w.lead, 3);
    let note: string;
    if (shortOld <= 0 && shortNew <= 0) {
      note = `recounted: ${w.old} old lines present, ${w.neu} new; the header says ${h.oldLines} and ${h.newLines}`;
    } else if (shortOld === shortNew && w.trail + shortOld <= width) {
      note = `recounted: ${w.old} of ${h.oldLines} old lines present, ${w.neu} of ${h.newLines} new (${shortOld} trailing context line${shortOld === 1 ? "" : "s"} missing)`;
    } else continue;
    notes.push(`${hunkName(h, where)} ${note}`);
    const hl = lines[lineNo]!;
    lines[lineNo] = `@@ -${h.oldStart},${w.old} +${h.newStart},${w.neu} @@` + hl.slice(h.header.length);
    h.oldLines = w.old;
    h.newLines = w.neu;
    changed = true;
  }
  return changed ? { text: lines.join("\n"), notes } : null;
}

/**
 * Hunks whose context lines that start with a tab lost their leading space
 * on the way (a mail client or list software that strips the space before a
 * tab: the diff's " \tfoo" arrives as "\tfoo"). No diff line starts with a
 * tab, so inside a hunk whose counts are not yet reached such a line can
 * only be context; the space is given back when the hunk then ends exactly
 * at its counts (at the next hunk, file, non-diff line or the end), and a
 * note says how many lines of which hunk were read so. Returns null when no
 * hunk was mended.
 */
function respace(text: string, scan: RawScan, where: Where): { text: string; notes: string[] } | null {
  const lines = text.split("\n");
  const notes: string[] = [];
  for (const { h, lineNo } of hunkHeaders(text, scan)) {
    const tabbed: number[] = [];
    const w = walkHunk(lines, lineNo, h, tabbed);
    // (past its counts the walk counts any further diff line and stops at the next hunk or file: the hunk ends
    // exactly at its counts when they match and no tab line follows)
    if (tabbed.length === 0 || w.old !== h.oldLines || w.neu !== h.newLines || (lines[w.stop] ?? "").startsWith("\t")) continue;
    for (const k of tabbed) lines[k] = " " + lines[k]!;
    notes.push(`${hunkName(h, where)}: ${tabbed.length} context line${tabbed.length === 1 ? "" : "s"} starting with a tab had lost ${tabbed.length === 1 ? "its" : "their"} leading space on the way (whitespace-damaged mail); read as context`);
  }
  return notes.length > 0 ? { text: lines.join("\n"), notes } : null;
}

/** Walks a hunk the way jsdiff does, to say where it broke. */
function diagnose(h: HunkInfo, where: Where): string {
  const lines = where.text.split("\n");
  const name = hunkName(h, where);
  let old = 0;
  let neu = 0;
  let i = where.index(h.offset) + 1; // the first body line
  for (; i < lines.length && (old < h.oldLines || neu < h.newLines); i++) {
    const l = lines[i]!;
    if (l === "" && i === lines.length - 1) break; // the end of the text
    const c = l === "" ? " " : l[0];
    if (c === "+") neu++;
    else if (c === "-") old++;
    else if (c === " ") {
      old++;
      neu++;
    } else if (c === "\\") continue;
    else
      return `${name} is truncated or miscounted: ${where.name(i)} is not a diff line: ${oneLine(l)} (after ${old} of ${h.oldLines} old and ${neu} of ${h.newLines} new lines)`;
  }
  if (old < h.oldLines || neu < h.newLines)
    return `${name} is truncated: the diff ends after ${old} of ${h.oldLines} old and ${neu} of ${h.newLines} new lines`;
  return `${name} is miscounted: it has more lines than its header says (${h.oldLines} old, ${h.newLines} new)`;
}

function describeJsdiffError(err: unknown, where: Where, scan: RawScan): string {
  const msg = err instanceof Error ? err.message : String(err);
  const m = /hunk at line (\d+)/i.exec(msg);
  if (m) {
    const at = Number(m[1]);
    const h = scan.hunks.find((x) => where.index(x.offset) + 1 === at);
    if (h) return diagnose(h, where);
    return `malformed hunk at ${where.name(at - 1)}: truncated or miscounted`;
  }
  const missing = /^Missing "(\+\+\+|---) \.\.\." file header for (.*)$/.exec(msg);
  if (missing) return `file header for ${oneLine(missing[2]!)} has no matching "${missing[1]}" line`;
  return `malformed diff: ${oneLine(msg.split("\n")[0]!, 120)}`;
}

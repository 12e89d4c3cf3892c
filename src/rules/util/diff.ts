// Walking a Patch's added lines with the diff-only context rules need.
import type { DiffLine, FileDiff, Hunk, Patch } from "../../types.js";
import { functionDefinedAfter, functionFromSection, stripLine } from "./code.js";
import { perPatch } from "./patch-cache.js";

export interface LineView {
  file: FileDiff;
  hunk: Hunk;
  /** Index of the line in hunk.lines. */
  index: number;
  line: DiffLine;
  /** The line without comments and string contents. */
  code: string;
  /** Enclosing function as far as the diff shows (a definition above in the hunk, else the hunk header). */
  fn: string | null;
  /** The function this line starts the definition of (functionDefinedOn; on its own side), or null. */
  defines: string | null;
}

const C_LIKE = /\.(c|h|cc|cpp|cxx|hh|hpp|rs|go)$/;

export function isSourceFile(path: string): boolean {
  return C_LIKE.test(path);
}

/** Reviewable files: not binary, not deleted. */
export function reviewableFiles(patch: Patch): FileDiff[] {
  return patch.files.filter((f) => !f.binary && f.newPath !== null);
}

// Every rule walks the same lines: the views are computed once per patch and
// shared (rules must not mutate them; test inputs are frozen).
const newSideViews = perPatch(computeNewSide);
const deletedViews = perPatch(computeDeleted);

interface NewSide {
  all: LineView[];
  /** The views of source files (the default filter), and their added lines. */
  source: LineView[];
  sourceAdded: LineView[];
}

function computeNewSide(patch: Patch): NewSide {
  const out: LineView[] = [];
  const source: LineView[] = [];
  const sourceAdded: LineView[] = [];
  for (const file of reviewableFiles(patch)) {
    const isSource = isSourceFile(file.path);
    // a hunk that replaces the definition line of X with one of Y and leaves Y's body open: the next hunks'
    // headers (git takes them from the old file) still say X, but their new lines are Y's
    const renamed = new Map<string, string>();
    for (const hunk of file.hunks) {
      const section = functionFromSection(hunk.section);
      let fn = section !== null ? renamed.get(section) ?? section : null;
      const state = { inComment: false };
      let above: string | null = null;
      let opened: { name: string; closed: boolean } | null = null;
      for (let index = 0; index < hunk.lines.length; index++) {
        const line = hunk.lines[index]!;
        if (line.kind === "del") continue;
        const defined = state.inComment ? null : functionDefinedAfter(above, line.text);
        above = line.text;
        if (defined) {
          fn = defined;
          opened = line.kind === "add" ? { name: defined, closed: false } : null;
        } else if (opened && /^\}/.test(line.text)) opened.closed = true;
        const code = stripLine(line.text, state);
        const view: LineView = { file, hunk, index, line, code, fn, defines: defined };
        out.push(view);
        if (isSource) {
          source.push(view);
          if (line.kind === "add") sourceAdded.push(view);
        }
      }
      if (opened && !opened.closed) {
        const gone = lastDeletedDefinition(hunk);
        if (gone !== null && gone !== opened.name) renamed.set(gone, opened.name);
      }
    }
  }
  return { all: out, source, sourceAdded };
}

/** The name of the last function definition a hunk deletes (read on its old side), or null. */
function lastDeletedDefinition(hunk: Hunk): string | null {
  let above: string | null = null;
  let last: string | null = null;
  for (const l of hunk.lines) {
    if (l.kind === "add") continue;
    const d = functionDefinedAfter(above, l.text);
    above = l.text;
    if (d && l.kind === "del") last = d;
  }
  return last;
}

/** New-side lines (added and context) of source files, as one shared array (do not mutate). */
export function sourceNewSide(patch: Patch): readonly LineView[] {
  return newSideViews(patch).source;
}

/** Added lines of source files, as one shared array (do not mutate). */
export function sourceAdded(patch: Patch): readonly LineView[] {
  return newSideViews(patch).sourceAdded;
}

function computeDeleted(patch: Patch): { all: LineView[]; source: LineView[] } {
  const out: LineView[] = [];
  const source: LineView[] = [];
  for (const file of patch.files) {
    if (file.binary) continue;
    const isSource = isSourceFile(file.path);
    for (const hunk of file.hunks) {
      if (!hunk.lines.some((l) => l.kind === "del")) continue;
      let fn = functionFromSection(hunk.section);
      const state = { inComment: false };
      let above: string | null = null;
      for (let index = 0; index < hunk.lines.length; index++) {
        const line = hunk.lines[index]!;
        const defined = line.kind !== "add" ? functionDefinedAfter(above, line.text) : null;
        if (line.kind !== "add") above = line.text;
        if (defined) fn = defined;
        if (line.kind !== "del") continue;
        const view: LineView = { file, hunk, index, line, code: stripLine(line.text, state), fn, defines: defined };
        out.push(view);
        if (isSource) source.push(view);
      }
    }
  }
  return { all: out, source };
}

/** The views of files `filter` keeps, in order (one array; the default filter's is shared). */
function filterByFile(views: readonly LineView[], filter: (path: string) => boolean): LineView[] {
  const out: LineView[] = [];
  let lastFile: FileDiff | null = null;
  let keep = false;
  for (const v of views) {
    if (v.file !== lastFile) {
      lastFile = v.file;
      keep = filter(v.file.path);
    }
    if (keep) out.push(v);
  }
  return out;
}

/**
 * Every line of the new side (added and context) of each hunk, with the
 * enclosing function as the diff shows it. Comment state is tracked per hunk.
 * Arrays, not generators: rules walk them many times per patch (do not mutate).
 */
export function newSideLines(patch: Patch, filter: (path: string) => boolean = isSourceFile): readonly LineView[] {
  const side = newSideViews(patch);
  return filter === isSourceFile ? side.source : filterByFile(side.all, filter);
}

/** Only the added lines. */
export function addedLines(patch: Patch, filter: (path: string) => boolean = isSourceFile): readonly LineView[] {
  if (filter === isSourceFile) return newSideViews(patch).sourceAdded;
  return newSideLines(patch, filter).filter((v) => v.line.kind === "add");
}

/** Deleted lines, with the function as the hunk shows it. */
export function deletedLines(patch: Patch, filter: (path: string) => boolean = isSourceFile): readonly LineView[] {
  const del = deletedViews(patch);
  return filter === isSourceFile ? del.source : filterByFile(del.all, filter);
}

/** The new-side line where an old-side line was (the first new-side line after it in its hunk, else the last before it). */
export function newSideLineAt(hunks: readonly Hunk[], oldLine: number): number | null {
  for (const h of hunks) {
    const i = h.lines.findIndex((l) => l.oldLine === oldLine);
    if (i < 0) continue;
    for (let k = i; k < h.lines.length; k++) if (h.lines[k]!.newLine !== null) return h.lines[k]!.newLine;
    for (let k = i - 1; k >= 0; k--) if (h.lines[k]!.newLine !== null) return h.lines[k]!.newLine;
    return null;
  }
  return null;
}

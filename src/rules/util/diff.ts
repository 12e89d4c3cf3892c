// Walking a Patch's added lines with the diff-only context rules need.
import type { DiffLine, FileDiff, Hunk, Patch } from "../../types.js";
import { functionDefinedOn, functionFromSection, stripLine } from "./code.js";

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
}

const C_LIKE = /\.(c|h|cc|cpp|cxx|hh|hpp|rs|go)$/;

export function isCLike(path: string): boolean {
  return /\.(c|h)$/.test(path);
}

export function isSourceFile(path: string): boolean {
  return C_LIKE.test(path);
}

/** Reviewable files: not binary, not deleted. */
export function reviewableFiles(patch: Patch): FileDiff[] {
  return patch.files.filter((f) => !f.binary && f.newPath !== null);
}

/**
 * Every line of the new side (added and context) of each hunk, with the
 * enclosing function as the diff shows it. Comment state is tracked per hunk.
 */
export function* newSideLines(patch: Patch, filter: (path: string) => boolean = isSourceFile): Generator<LineView> {
  for (const file of reviewableFiles(patch)) {
    if (!filter(file.path)) continue;
    for (const hunk of file.hunks) {
      let fn = functionFromSection(hunk.section);
      const state = { inComment: false };
      for (let index = 0; index < hunk.lines.length; index++) {
        const line = hunk.lines[index]!;
        if (line.kind === "del") continue;
        const defined = functionDefinedOn(line.text);
        if (defined) fn = defined;
        const code = stripLine(line.text, state);
        yield { file, hunk, index, line, code, fn };
      }
    }
  }
}

/** Only the added lines. */
export function* addedLines(patch: Patch, filter?: (path: string) => boolean): Generator<LineView> {
  for (const v of newSideLines(patch, filter)) if (v.line.kind === "add") yield v;
}

/** Deleted lines, with the function as the hunk shows it. */
export function* deletedLines(patch: Patch, filter: (path: string) => boolean = isSourceFile): Generator<LineView> {
  for (const file of patch.files) {
    if (file.binary || !filter(file.path)) continue;
    for (const hunk of file.hunks) {
      let fn = functionFromSection(hunk.section);
      const state = { inComment: false };
      for (let index = 0; index < hunk.lines.length; index++) {
        const line = hunk.lines[index]!;
        const defined = line.kind !== "add" ? functionDefinedOn(line.text) : null;
        if (defined) fn = defined;
        if (line.kind !== "del") continue;
        yield { file, hunk, index, line, code: stripLine(line.text, state), fn };
      }
    }
  }
}

/** All text of the patch's new side joined per file (for whole-change questions). */
export function addedText(patch: Patch): string {
  const out: string[] = [];
  for (const v of addedLines(patch, () => true)) out.push(v.line.text);
  return out.join("\n");
}

// A file's hunks applied to its text in memory, by jsdiff's applyPatch: at
// the stated lines, else at the nearest place where the context matches
// (later hunks shifted by the offset of earlier ones, like patch(1) without
// fuzz); as a last resort ignoring whitespace differences. Reversed (post-image
// to pre-image) with jsdiff's reversePatch. What jsdiff does not report we
// observe through its compareLine callback: how far from its stated line each
// hunk applied, so the caller can say so.
// the modules of jsdiff we use, imported alone: the package index loads all of jsdiff (start-up time)
import { applyPatch } from "diff/lib/patch/apply.js";
import { reversePatch } from "diff/lib/patch/reverse.js";
import type { StructuredPatch } from "diff/lib/types.js";
import type { FileDiff } from "../types.js";

export interface Applied {
  text: string;
  /** Per hunk: how many lines away from its stated position it applied (0: where the header says). */
  offsets: number[];
}

/** Our FileDiff as jsdiff's structured patch (jsdiff counts an empty side's start one higher, as its parser does). */
export function toStructuredPatch(file: FileDiff): StructuredPatch {
  return {
    oldFileName: file.oldPath ?? "/dev/null",
    newFileName: file.newPath ?? "/dev/null",
    oldHeader: undefined,
    newHeader: undefined,
    hunks: file.hunks.map((h) => ({
      oldStart: h.oldLines === 0 ? h.oldStart + 1 : h.oldStart,
      oldLines: h.oldLines,
      newStart: h.newLines === 0 ? h.newStart + 1 : h.newStart,
      newLines: h.newLines,
      lines: h.lines.flatMap((l) => [(l.kind === "add" ? "+" : l.kind === "del" ? "-" : " ") + l.text, ...(l.noNewline ? ["\\ No newline at end of file"] : [])]),
    })),
  };
}

const exact = (a: string | undefined, b: string) => a === b;
const loose = (a: string | undefined, b: string) => a !== undefined && (a === b || a.trim() === b.trim());

/**
 * Applies a structured patch with jsdiff, recording where each hunk landed.
 * jsdiff (fuzzFactor 0) tries a hunk at one position after another and, at
 * each, compares the hunk's old lines in order until one differs; the
 * position whose comparisons all succeed is where the hunk applied.
 */
function applyObserved(text: string, patch: StructuredPatch, same: (a: string | undefined, b: string) => boolean): Applied | null {
  const oldCounts = patch.hunks.map((h) => h.lines.filter((l) => l[0] === " " || l[0] === "-").length);
  const offsets: number[] = [];
  let hunk = 0;
  let k = 0;
  let start = 0;
  const settle = () => {
    // hunks without old lines are applied without a comparison, at the offset carried from the last one
    while (hunk < oldCounts.length && oldCounts[hunk] === 0) offsets[hunk++] = offsets[offsets.length - 1] ?? 0;
  };
  settle();
  const result = applyPatch(text, patch, {
    compareLine: (lineNumber, line, _op, content) => {
      if (k === 0) start = lineNumber;
      if (!same(line, content)) {
        k = 0;
        return false;
      }
      if (++k === oldCounts[hunk]) {
        offsets[hunk] = start - patch.hunks[hunk]!.oldStart;
        hunk++;
        k = 0;
        settle();
      }
      return true;
    },
  });
  if (result === false) return null;
  return { text: result, offsets };
}

/**
 * The post-image of a file from its pre-image and the patch's hunks; null
 * when a hunk's context is found nowhere in the text.
 */
export function applyFile(pre: string, file: FileDiff): Applied | null {
  const patch = toStructuredPatch(file);
  return applyObserved(pre, patch, exact) ?? applyObserved(pre, patch, loose);
}

/** The pre-image of a file from its post-image and the patch's hunks (the patch reversed); null when they do not fit. */
export function revertFile(post: string, file: FileDiff): Applied | null {
  const patch = reversePatch(toStructuredPatch(file)) as StructuredPatch;
  return applyObserved(post, patch, exact);
}

// Binary search over sorted numbers, and the newline table built on it (line of an offset): one copy for the diff
// parser, the C extraction and the reclaim analysis.

/** The first index of a sorted array whose value is >= x (the array's length when none is). */
export function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The offsets of every newline of a text, in order. */
export function newlineOffsets(text: string): number[] {
  const nl: number[] = [];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) nl.push(i);
  return nl;
}

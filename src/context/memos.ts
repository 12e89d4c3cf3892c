// The analyses' module-level memos (texts, scans, walked functions, directory
// indexes), kept for the next patch or file that asks about the same text.
// They are registered here so that a run that moves on and never asks again
// (an audit, directory by directory) can let them go: each is a pure memo,
// so forgetting changes what is computed again, never what is found.
const memos: { name: string; clear: () => void }[] = [];

/** Registers a memo (a Map, or a clear function for one with bookkeeping of its own). */
export function registerMemo(name: string, memo: { clear(): void } | (() => void)): void {
  memos.push({ name, clear: typeof memo === "function" ? memo : () => memo.clear() });
}

/** Empties every registered memo. */
export function forgetMemos(): void {
  for (const m of memos) m.clear();
}

/** The names of the registered memos (for tests). */
export function memoNames(): string[] {
  return memos.map((m) => m.name);
}

// The rule registry: every rule, explicitly, grouped by folder. A parity test
// checks that each rule's id equals its file name and that it has tests and docs.
import type { Rule } from "../types.js";
import { rules as commitMessage } from "./commit-message/index.js";
import { rules as gfpContext } from "./gfp-context/index.js";
import { rules as ioFlusher } from "./io-flusher/index.js";
import { rules as shrinkerIo } from "./shrinker-io/index.js";
import { rules as sourceAware } from "./source/index.js";
import { rules as stackedIo } from "./stacked-io/index.js";
import { rules as workqueueReclaim } from "./workqueue-reclaim/index.js";

export const ALL_RULES: readonly Rule[] = [
  ...gfpContext,
  ...workqueueReclaim,
  ...shrinkerIo,
  ...ioFlusher,
  ...stackedIo,
  ...commitMessage,
  ...sourceAware,
  // rule ids are lowercase words joined by "-", whose code-unit order is their collation order: sorted without
  // localeCompare, whose first call loads ICU's collator (6-14 ms of every start-up)
].sort((a, b) => (a.meta.id < b.meta.id ? -1 : a.meta.id > b.meta.id ? 1 : 0));

export function findRule(id: string): Rule | undefined {
  return ALL_RULES.find((r) => r.meta.id === id);
}

// The unseen sets of eval/unseen/ and how `npm run eval:unseen -- --set X`
// picks them: one set by name, `batch3` ... `batch8` for the third, fourth,
// fifth, sixth, seventh or eighth batch alone, `all` (the default) for every set.
// Pure data and selection; no I/O.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const labels = (file: string) => join(repo, "eval", "unseen", file);

export interface UnseenSet {
  /** Labels file in the repository. */
  labels: string;
  /** Folder under DATA_ROOT holding `<id>.patch` for every case. */
  sub: string;
  /** Dev sets are printed case by case; holdouts only in aggregate. */
  perCase: boolean;
}

export const SETS = {
  dev: { labels: labels("labels-dev.json"), sub: "unseen-dev", perCase: true },
  holdout: { labels: labels("labels-holdout.json"), sub: "holdout", perCase: false },
  dev2: { labels: labels("labels-dev2.json"), sub: "unseen-dev2", perCase: true },
  holdout2: { labels: labels("labels-holdout2.json"), sub: "holdout2", perCase: false },
  dev3: { labels: labels("labels-dev3.json"), sub: "unseen-dev3", perCase: true },
  holdout3: { labels: labels("labels-holdout3.json"), sub: "holdout3", perCase: false },
  dev4: { labels: labels("labels-dev4.json"), sub: "unseen-dev4", perCase: true },
  holdout4: { labels: labels("labels-holdout4.json"), sub: "holdout4", perCase: false },
  dev5: { labels: labels("labels-dev5.json"), sub: "unseen-dev5", perCase: true },
  holdout5: { labels: labels("labels-holdout5.json"), sub: "holdout5", perCase: false },
  dev6: { labels: labels("labels-dev6.json"), sub: "unseen-dev6", perCase: true },
  holdout6: { labels: labels("labels-holdout6.json"), sub: "holdout6", perCase: false },
  dev7: { labels: labels("labels-dev7.json"), sub: "unseen-dev7", perCase: true },
  holdout7: { labels: labels("labels-holdout7.json"), sub: "holdout7", perCase: false },
  dev8: { labels: labels("labels-dev8.json"), sub: "unseen-dev8", perCase: true },
  holdout8: { labels: labels("labels-holdout8.json"), sub: "holdout8", perCase: false },
} as const satisfies Record<string, UnseenSet>;
export type SetName = keyof typeof SETS;

/** Names `--set` accepts besides a single set. */
export const GROUPS: Readonly<Record<string, readonly SetName[]>> = {
  all: Object.keys(SETS) as SetName[],
  batch3: ["dev3", "holdout3"],
  batch4: ["dev4", "holdout4"],
  batch5: ["dev5", "holdout5"],
  batch6: ["dev6", "holdout6"],
  batch7: ["dev7", "holdout7"],
  batch8: ["dev8", "holdout8"],
};

/** Combined figures (aggregates only), printed when every set they join was run. */
export const COMBINED: readonly { name: string; sets: readonly SetName[] }[] = [
  { name: "dev+dev2", sets: ["dev", "dev2"] },
  { name: "holdout+holdout2", sets: ["holdout", "holdout2"] },
  { name: "dev+dev2+dev3", sets: ["dev", "dev2", "dev3"] },
  { name: "holdout+holdout2+holdout3", sets: ["holdout", "holdout2", "holdout3"] },
  { name: "dev+dev2+dev3+dev4", sets: ["dev", "dev2", "dev3", "dev4"] },
  { name: "holdout+holdout2+holdout3+holdout4", sets: ["holdout", "holdout2", "holdout3", "holdout4"] },
  { name: "dev1-5", sets: ["dev", "dev2", "dev3", "dev4", "dev5"] },
  { name: "holdout1-5", sets: ["holdout", "holdout2", "holdout3", "holdout4", "holdout5"] },
  { name: "dev1-6", sets: ["dev", "dev2", "dev3", "dev4", "dev5", "dev6"] },
  { name: "holdout1-6", sets: ["holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6"] },
  { name: "dev1-7", sets: ["dev", "dev2", "dev3", "dev4", "dev5", "dev6", "dev7"] },
  { name: "holdout1-7", sets: ["holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6", "holdout7"] },
  { name: "dev1-8", sets: ["dev", "dev2", "dev3", "dev4", "dev5", "dev6", "dev7", "dev8"] },
  { name: "holdout1-8", sets: ["holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6", "holdout7", "holdout8"] },
];

/** The sets `--set which` names, in report order; a clear error for anything else. */
export function selectSets(which = "all"): SetName[] {
  if (Object.hasOwn(GROUPS, which)) return [...GROUPS[which]];
  if (Object.hasOwn(SETS, which)) return [which as SetName];
  throw new Error(`--set takes ${[...Object.keys(SETS), ...Object.keys(GROUPS)].join(", ")}; got ${JSON.stringify(which)}`);
}

/** The combined figures whose sets were all run. */
export function completeCombined(ran: readonly SetName[]): { name: string; sets: readonly SetName[] }[] {
  return COMBINED.filter((c) => c.sets.every((s) => ran.includes(s)));
}

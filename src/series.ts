// Which patches of an input form one series, in the order they apply: the
// n/m index decides, and patches without one stand alone. Pure.
import type { Patch } from "./types.js";

/** The file part of a patch's source ("x.mbox#3" -> "x.mbox"). */
function inputOf(p: Patch): string {
  const i = p.source.lastIndexOf("#");
  return i > 0 ? p.source.slice(0, i) : p.source;
}

/**
 * The key that patches of one series share, or null for a patch that is
 * not part of a numbered series: the thread root (the cover letter, or
 * patch 1 when there is none; patches of one thread may have different
 * authors), else the input file and the author; plus the version and the
 * series size.
 */
export function seriesKey(p: Patch): string | null {
  const s = p.series;
  if (!s || s.index === null || s.index < 1 || s.total === null || s.total < 2) return null;
  const root = p.references[0] ?? p.inReplyTo ?? (s.index === 1 ? p.messageId : null);
  const where = root ? `thread:${root}` : `input:${inputOf(p)}\n${(p.author ?? "").toLowerCase()}`;
  return `${where}\nv${s.version}\n${s.total}`;
}

/**
 * Groups patches into series: each series in n order (input order among
 * equal n), every other patch alone; groups in the order of their first
 * patch in the input.
 */
export function groupSeries(patches: readonly Patch[]): Patch[][] {
  const groups: Patch[][] = [];
  const byKey = new Map<string, Patch[]>();
  for (const p of patches) {
    const key = seriesKey(p);
    if (key === null) {
      groups.push([p]);
      continue;
    }
    let g = byKey.get(key);
    if (!g) {
      g = [];
      byKey.set(key, g);
      groups.push(g);
    }
    g.push(p);
  }
  for (const g of byKey.values()) {
    const order = new Map(g.map((p, i) => [p, i]));
    g.sort((a, b) => a.series!.index! - b.series!.index! || order.get(a)! - order.get(b)!);
  }
  return groups;
}

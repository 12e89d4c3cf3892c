// Whether a ->writepage registration is flusher writeback at all (vocabulary
// UNTAGGED_DIRTY): the same address_space_operations table marks folios dirty
// with a dirty_folio that never tags the mapping, and has no ->writepages.
// Flusher and sync writeback then never find its folios; page reclaim writes
// them itself (pageout(), under PF_MEMALLOC). Pure over a scan.
import { UNTAGGED_DIRTY } from "../vocab/kernel-api.js";
import type { ScanFile, ScanOps } from "./c-scan.js";

/** The table's untagging dirty_folio when `o` is a ->writepage that no flusher writeback runs; null otherwise. */
export function writepageWithoutFlusher(scan: ScanFile | undefined, o: Pick<ScanOps, "struct" | "field" | "holder">): string | null {
  if (!scan || o.struct !== "address_space_operations" || o.field !== "writepage") return null;
  const table = scan.ops.filter((x) => x.holder === o.holder && x.struct === o.struct);
  if (table.some((x) => x.field === "writepages")) return null;
  const dirty = table.find((x) => x.field === "dirty_folio");
  return dirty && UNTAGGED_DIRTY[dirty.fn] ? dirty.fn : null;
}

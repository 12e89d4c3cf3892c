// mapping-gfp-mask: a whole inode mapping made NOFS/NOIO with mapping_set_gfp_mask().
import type { Report, Rule } from "../../types.js";
import { addedSourceLines, deletedSourceLines } from "../util/scope-regions.js";
import { HISTORY } from "../../vocab/history.js";

const CLEARS_FS_IO = /~\s*\(?\s*(?:__GFP_FS|__GFP_IO)|\bGFP_NOFS\b|\bGFP_NOIO\b/;

export const rule: Rule = {
  meta: {
    id: "mapping-gfp-mask",
    class: "gfp-context",
    severity: "warning",
    description: "mapping_set_gfp_mask() that clears __GFP_FS/__GFP_IO for a whole inode mapping",
    docs: {
      why:
        "Clearing __GFP_FS (or __GFP_IO) in an inode's mapping gfp mask makes every page-cache " +
        "allocation of that file NOFS, for every user, even when the filesystem is not stacked " +
        "under anything. Reclaim then works with one hand tied for all of them, while the " +
        "deadlock it aims at usually belongs to one caller (a stacked back end writing through the filesystem, a userspace " +
        "IO daemon) that should declare its own context.",
      fix:
        "Put memalloc_nofs_save()/memalloc_nofs_restore() (or memalloc_noio_*) around the " +
        "region of the caller that needs it; a userspace IO daemon should call " +
        "prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0). If the mapping really must always be NOFS, say " +
        "why in a comment beside the call.",
      quiet: "mapping_set_gfp_mask() calls that keep __GFP_FS/__GFP_IO (e.g. only adding __GFP_NOWARN or changing zones).",
    },
    messages: {
      clearsFs:
        "mapping_set_gfp_mask() clears {{bits}} for the whole mapping: every page-cache allocation of this file becomes {{ctx}}, not just the caller that needs it{{moved}}",
    },
    knowledge: [HISTORY.mappingMaskDeadlock, "pr-set-io-flusher-2019", "gfp-fs-io-doc", HISTORY.writepagesReclaimRecursion, "pagecache-gfp-mask-2014"],
    scope: "line",
    needles: ["mapping_set_gfp_mask"],
  },
  check({ patch }) {
    const reports: Report[] = [];
    // the same call deleted elsewhere in the file: the patch moves it (the mapping was so before too)
    const gone = new Map<string, number>();
    for (const v of deletedSourceLines(patch))
      if (v.line.oldLine !== null && v.line.text.includes("mapping_set_gfp_mask")) gone.set(`${v.file.path}\0${v.line.text.replace(/\s+/g, "")}`, v.line.oldLine);
    for (const v of addedSourceLines(patch)) {
      if (!v.line.text.includes("mapping_set_gfp_mask") || !/\bmapping_set_gfp_mask\s*\(/.test(v.code)) continue;
      // the call may continue on the next new-side lines
      const rest = v.hunk.lines
        .slice(v.index, v.index + 4)
        .filter((l) => l.kind !== "del")
        .map((l) => l.text)
        .join(" ");
      const call = rest.slice(rest.indexOf("mapping_set_gfp_mask"));
      const end = call.indexOf(";");
      const args = end >= 0 ? call.slice(0, end) : call;
      if (!CLEARS_FS_IO.test(args)) continue;
      const io = /__GFP_IO|GFP_NOIO/.test(args);
      const fs = /__GFP_FS|GFP_NOFS/.test(args);
      const from = gone.get(`${v.file.path}\0${v.line.text.replace(/\s+/g, "")}`);
      reports.push({
        messageId: "clearsFs",
        data: { bits: io && fs ? "__GFP_FS and __GFP_IO" : io ? "__GFP_IO" : "__GFP_FS", ctx: io ? "NOIO" : "NOFS", moved: from !== undefined ? ` (the patch moves this call from line ${from} of the old file; the mapping was so before too)` : "" },
        ...(from !== undefined ? { preExisting: true } : {}),
        file: v.file.path,
        line: v.line.newLine,
        identifiers: ["mapping_set_gfp_mask", ...(v.fn ? [v.fn] : [])],
      });
    }
    return reports;
  },
};

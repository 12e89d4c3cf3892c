// gfp-kernel-in-io-path: a new GFP_KERNEL allocation in a function the block or
// writeback path waits on.
import { factsOf, functionNameAt, ioPathOf, isAudit, scopeHeldAt } from "../../context/rule-support.js";
import type { Hunk, Report, Rule } from "../../types.js";
import { callsOn, stripLine } from "../util/code.js";
import { coveringNeedles, hasGfpKernel, listNeedles, lists } from "../util/gfp-lists.js";
import { functionRegions, scopeStates } from "../util/scope-regions.js";

/** Block-layer driver directories (for GFP_NOIO relaxations outside a known role). */
const BLOCK_DIRS = /^(?:block|drivers\/(?:block|md|scsi|nvme|target|mmc|mtd|s390\/block))\//;

/** What a matched function-name pattern means, for the message. */
const ROLES: Array<[RegExp, string]> = [
  [/queue_rq/, "a blk-mq queue_rq handler"],
  [/submit_bio|make_request/, "a submit_bio handler"],
  [/end_io|endio/, "an IO completion handler"],
  [/writepage/, "a writeback (writepage) path"],
  [/worker_fn|work_fn|process_work|queue_work/, "a block-device worker"],
  [/handle_cmd/, "a command handler of a block back end"],
  [/swap/, "the swap IO path"],
  [/xprt_transmit/, "the SUNRPC transmit path"],
  [/^raid/, "an md/raid daemon thread"],
  [/_map$|clone_and_map/, "a device-mapper target map function"],
  [/complete_rq/, "a request completion handler"],
  [/_eh_/, "a SCSI error handler (recovery runs while IO waits)"],
  [/rw_page|zram_|lo_rw|lo_write|filebacked/, "the block device's IO path"],
];

/** Role of `fn` in the IO path, from its name (and path for dm targets), or null. */
export function ioRoleOf(fn: string, path: string): string | null {
  if (lists.ioPathExempt().has(fn)) return null;
  let pattern = lists.ioPathFunctions().match(fn);
  if (!pattern && /^drivers\/md\/dm[-\w]*\.c$/.test(path) && /_map$/.test(fn)) pattern = "*_map";
  if (!pattern && /^net\/sunrpc\//.test(path) && /(?:send_request|transmit)/.test(fn)) pattern = "xprt_transmit";
  if (!pattern) return null;
  for (const [re, role] of ROLES) if (re.test(pattern) || re.test(fn)) return role;
  return "an IO path function";
}

let hintsMemo: string[] | null = null;
/** Substrings every implicit GFP_KERNEL allocator's name contains (a cheap line prefilter). */
function implicitHints(): string[] {
  return (hintsMemo ??= coveringNeedles(listNeedles(lists.implicitGfpKernel())));
}

// several regions share a hunk: its deleted lines are stripped once
let lastHunk: Hunk | null = null;
let lastDeleted: string[] = [];
function deletedCodeOf(hunk: Hunk): string[] {
  if (hunk !== lastHunk) {
    lastHunk = hunk;
    lastDeleted = hunk.lines.filter((l) => l.kind === "del").map((l) => stripLine(l.text));
  }
  return lastDeleted;
}

export const rule: Rule = {
  meta: {
    id: "gfp-kernel-in-io-path",
    class: "gfp-context",
    severity: "warning",
    description: "A new GFP_KERNEL allocation in a function that the block or writeback path waits on",
    docs: {
      why:
        "GFP_KERNEL reclaim may write back dirty pages or swap, i.e. submit IO, and wait for it. In " +
        "a queue_rq/submit_bio handler, a dm map function, an IO completion, a writepage path or a " +
        "block back-end worker that IO may be queued behind the very request being served: the " +
        "allocation then waits for itself. The loop driver hit this and was fixed by running its " +
        "worker under PF_MEMALLOC_NOIO (d0a255e795ab); teaching the dm-bufio shrinker to guess the " +
        "caller's context from __GFP_FS (9d28eb12447e) was the wrong layer.",
      fix:
        "Allocate with GFP_NOIO here, or better mark the worker or the submission boundary with " +
        "memalloc_noio_save()/memalloc_noio_restore() so every nested allocation is NOIO; preallocate " +
        "(mempool, per-request data in the tag set) where a failure cannot be handled.",
      quiet:
        "Allocations inside a memalloc_noio/nofs scope or after PF_MEMALLOC_NOIO is set in the lines " +
        "shown, GFP_ATOMIC/GFP_NOWAIT/GFP_NOIO, probe/init/ioctl/setup functions, and lines that only " +
        "move an existing GFP_KERNEL allocation.",
    },
    messages: {
      kernelInIoPath:
        "GFP_KERNEL allocation{{call}} in {{fn}}, {{role}}: reclaim may issue IO and wait on the path this function serves; use {{safe}} at the boundary",
      noioRelaxed:
        "GFP_NOIO relaxed to GFP_KERNEL{{call}} in {{fn}} of a block driver: if this runs while IO to the device is pending (request, recovery or suspend paths), reclaim can wait on that IO; keep GFP_NOIO or say in the changelog why this path is outside the IO path",
      kernelInWorker:
        "GFP_KERNEL allocation{{call}} in {{fn}}, {{role}}: fine only if the worker runs under PF_MEMALLOC_NOIO or a memalloc_noio_save() scope set above the lines shown; otherwise use GFP_NOIO",
      implicitKernel:
        "{{call}}() in {{fn}}, {{role}}: it always allocates as GFP_KERNEL; wrap it in memalloc_noio_save()/restore() or preallocate",
    },
    knowledge: ["loop-noio-2019", "dm-bufio-gfp-fs-2014", "memalloc-noio-2013", "gfp-fs-io-doc", "dm-bufio-loop-revert-2019"],
    scope: "line",
    needles: ["GFP_KERNEL", ...coveringNeedles(listNeedles(lists.implicitGfpKernel()))],
  },
  check({ patch, source }) {
    const reports: Report[] = [];
    const facts = factsOf(source) !== null;
    const hints = implicitHints();
    for (const region of functionRegions(patch)) {
      // only regions adding a GFP_KERNEL or an implicit GFP_KERNEL allocator can report
      if (!region.lines.some((v) => v.line.kind === "add" && (v.code.includes("GFP_KERNEL") || hints.some((h) => v.code.includes(h))))) continue;
      const path = region.file.path;
      // with sources: the function by the C parse, its role by the ops tables and callers
      const fn = facts ? functionNameAt(source, path, region.lines[0]?.line.newLine ?? null, region.name) : region.name;
      if (!fn) continue;
      if (lists.ioPathExempt().has(fn)) continue;
      const hit = facts ? ioPathOf(source, path, fn) : null;
      // an audit of existing code trusts roles from the ops tables only, not function names
      const role = hit ? (hit.chain.length > 1 ? `reached from ${hit.chain[0]}(), ${hit.label}` : hit.label) : isAudit(source) ? null : ioRoleOf(fn, path);
      const deleted = deletedCodeOf(region.hunk);
      // without a role: only a GFP_NOIO -> GFP_KERNEL change in a block driver is worth a word
      const relaxed = !role && BLOCK_DIRS.test(path) && deleted.some((d) => /\bGFP_NOIO\b/.test(d));
      if (!role && !relaxed) continue;
      // filesystem writeback only has to keep out of the filesystem: NOFS is enough there
      const fsWriteback = /^fs\//.test(path) && !!role && /writepage|writeback/.test(role);
      // fs/ GFP_NOFS -> GFP_KERNEL conversions belong to nofs-to-kernel
      if (/^fs\//.test(path) && deleted.some((d) => /\bGFP_NOFS\b/.test(d))) continue;
      const states = scopeStates(region);
      region.lines.forEach((v, i) => {
        if (v.line.kind !== "add") return;
        if (states[i]!.noio || (fsWriteback && states[i]!.nofs)) return;
        const held = facts ? scopeHeldAt(source, path, v.line.newLine) : null;
        if (held === "noio" || (fsWriteback && held === "nofs")) return; // a caller holds the scope
        const calls = callsOn(v.code);
        const implicit = calls.find((c) => lists.implicitGfpKernel().has(c));
        if (!hasGfpKernel(v.code) && !implicit) return;
        if (/\b(?:GFP_ATOMIC|GFP_NOWAIT|GFP_NOIO)\b/.test(v.code)) return;
        if (/^\s*#\s*define\b/.test(v.code)) return;
        const alloc = calls.find((c) => lists.allocators().has(c)) ?? implicit ?? null;
        // an existing allocation that only moved or changed other arguments
        if (alloc && deleted.some((d) => new RegExp(`\\b${alloc}\\s*\\(`).test(d) && (/\bGFP_KERNEL\b/.test(d) || !!implicit))) return;
        if (!alloc && deleted.some((d) => /\bGFP_KERNEL\b/.test(d))) return;
        if (relaxed) {
          if (!alloc || !deleted.some((d) => /\bGFP_NOIO\b/.test(d) && d.includes(alloc))) return;
          reports.push({ file: path, line: v.line.newLine, messageId: "noioRelaxed", data: { call: ` (${alloc})`, fn: `${fn}()` }, identifiers: [alloc, "GFP_NOIO", "GFP_KERNEL", fn], cite: ["memalloc-noio-2013", "loop-noio-2019"] });
          return;
        }
        if (!role) return;
        const safe = fsWriteback ? "GFP_NOFS or a memalloc_nofs_save() scope" : "GFP_NOIO or a memalloc_noio_save() scope";
        const base = { file: path, line: v.line.newLine, identifiers: [...(alloc ? [alloc] : []), "GFP_KERNEL", fn], cite: ["loop-noio-2019", "dm-bufio-gfp-fs-2014"], ...(hit && hit.chain.length > 1 ? { chain: hit.chain } : {}) };
        // a worker may set PF_MEMALLOC_NOIO above the lines shown: say less when its start is not visible
        // (a noio scope that visibly ended above means the worker manages its scope itself)
        const endedAbove = region.lines.slice(0, i).some((l) => /\bmemalloc_noio_restore\s*\(|\bcurrent_restore_flags\s*\([^)]*PF_MEMALLOC_NOIO/.test(l.code));
        const unsure = !facts && !region.hasDefinition && !endedAbove && /worker|daemon|command handler/.test(role);
        if (unsure) base.identifiers.push("PF_MEMALLOC_NOIO");
        const sev = unsure ? { severity: "info" as const } : {};
        if (implicit && !hasGfpKernel(v.code)) reports.push({ ...base, ...sev, messageId: "implicitKernel", data: { call: implicit, fn: `${fn}()`, role } });
        else reports.push({ ...base, ...sev, messageId: unsure ? "kernelInWorker" : "kernelInIoPath", data: { call: alloc ? ` (${alloc})` : "", fn: `${fn}()`, role, safe } });
      });
    }
    return reports;
  },
};

// reclaim-call-trace: the commit message quotes a call trace in which an
// allocation entered reclaim that waits on IO or a filesystem.
import type { Patch, Report, Rule } from "../../types.js";
import { stripLine } from "../util/code.js";
import { TRACE_ALLOC_FRAMES, TRACE_RECLAIM_FRAMES, isWaitFrame } from "../../vocab/kernel-api.js";
import { findReclaimChain, parseTraces, type Frame, type ReclaimChain } from "../util/trace-frames.js";
import { HISTORY } from "../../vocab/history.js";

/**
 * Every reclaim frame of TRACE_RECLAIM_FRAMES (src/vocab), and the
 * lockdep pseudo-lock fs_reclaim, contains one of these (a test keeps the
 * list covered). Few and short: each is one scan of the patch text.
 */
export const RECLAIM_NEEDLES = ["reclaim", "shrink", "kswapd", "balance_pgdat", "try_to_free", "super_cache_scan", "prune_"];

function isWait(n: string): boolean {
  return isWaitFrame(n);
}

/** Does the diff change the allocation context (gfp masks, scopes, PF_ flags, io flusher)? */
function touchesContext(patch: Patch): boolean {
  for (const f of patch.files)
    for (const h of f.hunks)
      for (const l of h.lines) {
        if (l.kind === "ctx") continue;
        const code = stripLine(l.text);
        if (/\bGFP_(?:NOFS|NOIO|KERNEL|NOWAIT|ATOMIC)\b|__GFP_(?:FS|IO)\b|\bmemalloc_\w+_(?:save|restore)\b|\bPF_MEMALLOC\w*|\bPF_LOCAL_THROTTLE\b|\bPR_SET_IO_FLUSHER\b|\bmapping_set_gfp_mask\b/.test(code)) return true;
      }
  return false;
}

/** Another layer the patch changes instead (workqueue flags, the shrinker), or null. */
function otherLayer(patch: Patch): string | null {
  let wq = false;
  let shrinker = false;
  for (const f of patch.files)
    for (const h of f.hunks)
      for (const l of h.lines) {
        if (l.kind === "ctx") continue;
        const code = stripLine(l.text);
        if (/\bWQ_MEM_RECLAIM\b/.test(code)) wq = true;
        if (/\bSHRINK_STOP\b|\bscan_objects\b|\bcount_objects\b|_shrink_scan\b|_shrink_count\b|\bsc->gfp_mask\b|\bmutex_trylock\s*\(/.test(code)) shrinker = true;
      }
  return wq ? "workqueue flags (WQ_MEM_RECLAIM)" : shrinker ? "the shrinker" : null;
}

function frameText(f: Frame): string {
  return f.name;
}

export const rule: Rule = {
  meta: {
    id: "reclaim-call-trace",
    class: "gfp-context",
    severity: "info",
    description: "The commit message quotes a call trace: allocation -> reclaim -> IO/filesystem wait (reclaim recursion)",
    docs: {
      why:
        "A trace in which an allocation enters direct reclaim (or kswapd/shrinkers) and ends up " +
        "waiting on IO or on a filesystem is the signature of reclaim recursion: the allocating " +
        "context should not have been allowed to recurse into that IO. The fix belongs to the layer " +
        "that allocates (a NOFS/NOIO scope, PF_MEMALLOC_NOIO for a back-end worker, " +
        "PR_SET_IO_FLUSHER for a userspace daemon) or to the shrinker that waits; making another " +
        "layer guess the context (a device-mapper cache did, in 2014) was the wrong fix.",
      fix:
        "Check that the patch changes the allocation context of the frame that allocated (or makes " +
        "the waiting shrinker non-blocking), and that the same pattern does not remain on sibling " +
        "paths (worker tasks, error paths).",
      quiet: "Traces without an allocation frame outside the reclaim frame, or without a wait inside it.",
    },
    messages: {
      chainFix:
        "the quoted trace shows reclaim recursion: {{chain}}; the patch changes the allocation context, so check it covers {{caller}} and any worker it waits for",
      chainLayer:
        "the quoted trace shows reclaim recursion: {{chain}}; the patch changes {{layer}} rather than the allocation context: right if the wait itself is the bug, but check whether {{caller}} should run under a NOFS/NOIO scope too",
      lockdepReclaim:
        "the quoted lockdep report ties {{locks}} to fs_reclaim: memory is allocated with reclaim allowed while holding a lock that reclaim itself may need; {{how}}",
      chainOther:
        "the quoted trace shows reclaim recursion: {{chain}}; the patch does not change any allocation context (gfp mask, memalloc scope, PF_MEMALLOC_NOIO, PR_SET_IO_FLUSHER): make sure the layer that allocates in {{caller}} is the one fixed",
    },
    knowledge: ["gfp-fs-io-doc", HISTORY.nonBlockingInodeReclaim, "pr-set-io-flusher-2019", HISTORY.shrinkerWorkOffload],
    scope: "patch",
    needles: RECLAIM_NEEDLES,
  },
  check({ patch }) {
    const found = traceChain(patch);
    if (found) return [found];
    const lockdep = lockdepReclaim(patch);
    return lockdep ? [lockdep] : [];
  },
};

/** A lockdep report whose dependency chain goes through the fs_reclaim pseudo-lock. */
function lockdepReclaim(patch: Patch): Report | null {
  const msg = patch.message;
  if (!/\bfs_reclaim\b/.test(msg) || !/circular locking dependency|inconsistent lock state|lock ordering|lockdep|fs_reclaim_acquire/i.test(msg)) return null;
  const locks: string[] = [];
  for (const m of msg.matchAll(/\((&?[A-Za-z_][\w>.&-]*)\)\{[.+\-?]{2,4}\}/g)) {
    const name = m[1]!;
    if (name !== "fs_reclaim" && !locks.includes(name)) locks.push(name);
  }
  const fixes = touchesContext(patch);
  return {
    messageId: "lockdepReclaim",
    severity: "info",
    data: { locks: locks.length > 0 ? locks.slice(0, 3).join(", ") : "a lock", how: fixes ? "the patch changes the allocation context; check it covers every allocation made while the lock is held" : "the patch does not change an allocation context: make sure the allocation under the lock cannot recurse into reclaim (NOFS/NOIO scope) or the lock is not taken by reclaim" },
    file: null,
    line: null,
    cite: ["gfp-fs-io-doc", "memalloc-nofs-api-2017", "memalloc-noio-2013"],
    identifiers: ["fs_reclaim", ...locks],
  };
}

function traceChain(patch: Patch): Report | null {
  const alloc = TRACE_ALLOC_FRAMES;
  const reclaim = TRACE_RECLAIM_FRAMES;
  for (const trace of parseTraces(patch.message)) {
    const chain = findReclaimChain(trace, (n) => alloc.has(n), (n) => reclaim.has(n), isWait);
    if (!chain) continue;
    const caller = chain.caller && !reclaim.has(chain.caller.name) ? frameText(chain.caller) : frameText(chain.alloc);
    const text = `${caller !== frameText(chain.alloc) ? `${caller} -> ` : ""}${frameText(chain.alloc)} -> ${frameText(chain.reclaim)} -> ${frameText(chain.wait)}`;
    const fixes = touchesContext(patch);
    const layer = fixes ? null : otherLayer(patch);
    const report: Report = {
      messageId: fixes ? "chainFix" : layer ? "chainLayer" : "chainOther",
      severity: "info",
      data: { chain: text, caller, layer: layer ?? "" },
      file: null,
      line: null,
      chain: [caller, chain.alloc.name, chain.reclaim.name, chain.wait.name].filter((x, i, a) => a.indexOf(x) === i),
      // the knowledge base ranks entries by these frames (its triggers), not by names listed here
      identifiers: chain.trace.map((f) => f.name),
    };
    return report;
  }
  return null;
}

// shrinker-in-trace: the commit message quotes a trace (a hang, a lockdep
// report) in which reclaim runs a shrinker, and the patch changes a function
// that the trace shows running inside that shrinker. The frames are facts of
// the message (which function the shrinker reached, which call it made
// there); the diff says whether that call is gone. Recognition at info: the
// rules that judge blocking in a shrinker (shrinker-blocking) need the
// shrinker's registration, which a patch to a helper deep in the scan path
// does not show.
import { regionsOf, type Region } from "../../context/diff-model.js";
import type { Patch, Report, Rule } from "../../types.js";
import { TRACE_SHRINKER_FRAMES, isWaitFrame } from "../../vocab/kernel-api.js";
import { withCode } from "../util/code.js";
import { chainText } from "../util/phrases.js";
import { parseTraces, type Frame } from "../util/trace-frames.js";
import { HISTORY } from "../../vocab/history.js";

export const rule: Rule = {
  meta: {
    id: "shrinker-in-trace",
    class: "shrinker-io",
    severity: "info",
    description: "The commit message quotes a trace of reclaim running a shrinker into a function the patch changes",
    docs: {
      why:
        "Shrinkers run inside memory reclaim, from kswapd and from any task that allocates. A trace in which " +
        "do_shrink_slab() or the superblock shrinker (super_cache_scan(), prune_icache_sb()) reaches a function " +
        "that waits (on IO, on a final inode put that starts eviction and writeback, on a lock held across " +
        "allocations, on a transaction) shows reclaim waiting for something that may itself wait for memory. A " +
        "patch that changes that function is a shrinker fix whatever its changelog calls it: what matters is " +
        "whether the call the trace shows is gone from the scan path, and what replaces it.",
      fix:
        "Make the scan path non-blocking: drop the reference through a deferred put, trylock and skip or return " +
        "SHRINK_STOP, and hand writeback or commits to a worker (on a WQ_MEM_RECLAIM queue if reclaim may wait " +
        "for it) instead of waiting in the shrinker.",
      quiet: "Traces without a shrinker frame, and traces whose shrinker part names no function the patch changes.",
    },
    messages: {
      callRemoved:
        "the quoted trace shows a shrinker reaching {{fn}}() ({{chain}}); the patch removes that call to {{callee}}() from {{fn}}(){{replacement}}, so this scan path no longer enters {{callee}}() from reclaim; what replaces it must not wait for what {{callee}}() waited for",
      stillCalls:
        "the quoted trace shows a shrinker reaching {{fn}}() ({{chain}}); the patch changes {{fn}}(), but the call to {{callee}}() that the trace shows it making inside reclaim is still there: check that the change keeps the shrinker from waiting in it",
      changed:
        "the quoted trace shows a shrinker reaching {{fn}}() ({{chain}}), and the patch changes {{fn}}(): a shrinker must not wait for IO, a final inode put, a transaction or a lock held across allocations",
    },
    knowledge: [HISTORY.nonBlockingInodeReclaim, HISTORY.shrinkerWorkOffload],
    scope: "patch",
    needles: ["shrink", "super_cache_scan", "prune_"],
  },
  check({ patch }) {
    const traces = parseTraces(patch.message);
    if (traces.length === 0) return [];
    // the patch's changed functions, read once for every trace
    const changed = changedFunctions(patch);
    if (changed.size === 0) return [];
    for (const trace of traces) {
      const r = judgeTrace(trace, changed);
      if (r) return [r];
    }
    return [];
  },
};

/** Names of the functions whose lines the patch changes, with their regions on each side. */
function changedFunctions(patch: Patch): Map<string, { post: Region[]; pre: Region[] }> {
  const out = new Map<string, { post: Region[]; pre: Region[] }>();
  for (const [side, key] of [["new", "post"], ["old", "pre"]] as const)
    for (const r of regionsOf(patch, side)) {
      if (!r.name || !r.lines.some((l) => l.changed)) continue;
      let e = out.get(r.name);
      if (!e) out.set(r.name, (e = { post: [], pre: [] }));
      e[key].push(r);
    }
  return out;
}

function judgeTrace(trace: Frame[], changed: Map<string, { post: Region[]; pre: Region[] }>): Report | null {
  // innermost first: the frames printed above the innermost shrinker frame ran inside the shrinker
  const s = trace.findIndex((f) => TRACE_SHRINKER_FRAMES.has(f.name));
  if (s <= 0) return null;
  // the changed function nearest the shrinker's entry (the scan path as the shrinker walks it)
  let i = -1;
  for (let k = s - 1; k >= 0; k--)
    if (changed.has(trace[k]!.name)) {
      i = k;
      break;
    }
  if (i < 0) return null;
  const fn = trace[i]!.name;
  const regions = changed.get(fn)!;
  // the call the trace shows fn making: the next frame in, past fn's own repeated frames (`foo.part.0` printed below `foo`)
  let c = i - 1;
  while (c >= 0 && trace[c]!.name === fn) c--;
  const callee = c >= 0 ? trace[c]!.name : null;
  // between the shrinker frame and fn, outermost first, without repeats
  const path: string[] = [];
  for (let k = s; k >= i; k--) if (path[path.length - 1] !== trace[k]!.name) path.push(trace[k]!.name);
  if (path.length > 4) path.splice(1, path.length - 3, "...");
  if (callee) path.push(callee);
  // the wait the trace ends in below that call, if one is shown
  const wait = callee ? trace.slice(0, c).find((f) => isWaitFrame(f.name) && f.name !== callee) : undefined;
  if (wait) path.push("...", wait.name);
  const chain = chainText(path);
  const firstChanged = regions.post.flatMap((r) => r.lines.filter((l) => l.changed))[0];
  const base = { file: (regions.post[0] ?? regions.pre[0])!.file.path, chain: path, identifiers: [fn, ...(callee ? [callee] : []), trace[s]!.name] };
  if (!callee) {
    return { ...base, messageId: "changed", data: { fn, chain }, line: firstChanged?.line ?? null };
  }
  const calls = new RegExp(`\\b${callee.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*\\(`);
  const removedAt = deletedCall(regions.pre, calls);
  const addedCall = regions.post.some((r) => withCode(r.lines).some((l) => l.changed && calls.test(l.code)));
  if (removedAt && !addedCall) {
    const repl = replacementOf(removedAt.region, removedAt.index);
    return {
      ...base,
      messageId: "callRemoved",
      data: { fn, chain, callee, replacement: repl ? ` (replaced by ${repl.call}())` : "" },
      line: repl?.line ?? firstChanged?.line ?? null,
      identifiers: [...base.identifiers, ...(repl ? [repl.call] : [])],
    };
  }
  const still = regions.post.flatMap((r) => withCode(r.lines)).find((l) => calls.test(l.code));
  if (still) return { ...base, messageId: "stillCalls", data: { fn, chain, callee }, line: still.line };
  return { ...base, messageId: "changed", data: { fn, chain }, line: firstChanged?.line ?? null };
}

/** A deleted line of `fn`'s old side that calls the callee: its region and the index of that line in the hunk. */
function deletedCall(pre: Region[], calls: RegExp): { region: Region; index: number } | null {
  for (const r of pre) {
    const code = withCode(r.hunk.lines);
    const index = code.findIndex((l) => l.kind === "del" && l.oldLine !== null && r.lines.some((x) => x.changed && x.line === l.oldLine) && calls.test(l.code));
    if (index >= 0) return { region: r, index };
  }
  return null;
}

const NOT_CALLS = new Set(["if", "while", "for", "switch", "return", "sizeof", "defined"]);

/** The first call on the added lines of the change block a deleted line belongs to (what the patch put in its place). */
function replacementOf(r: Region, index: number): { call: string; line: number } | null {
  const lines = withCode(r.hunk.lines);
  let k = index;
  while (k < lines.length && lines[k]!.kind === "del") k++;
  for (; k < lines.length && lines[k]!.kind === "add"; k++) {
    const l = lines[k]!;
    if (l.newLine === null) continue;
    for (const m of l.code.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) if (!NOT_CALLS.has(m[1]!)) return { call: m[1]!, line: l.newLine };
  }
  return null;
}

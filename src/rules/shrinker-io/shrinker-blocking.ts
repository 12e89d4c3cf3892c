// shrinker-blocking: a shrinker callback (or a function it reaches) that
// waits on IO, does IO synchronously, or takes a sleeping lock
// unconditionally; count_objects that blocks at all. The shrinker role comes
// from the ops table (.scan_objects/.count_objects, ->scan_objects = f after
// shrinker_alloc) or the callback's signature; helpers are followed through
// the patch's functions, and with sources through the directory. Blocking
// calls come from the kernel API vocabulary. A sleeping lock is worse when
// the same lock is seen held across an allocation or IO: said when seen.
import { dirname } from "node:path";
import { BLOCK_WEIGHT, blockerOf, lockHeldAcross, type Blocker, type HeldAcross } from "../../context/blocking.js";
import { definitionVisible, opsImplementations, reachBelow, rootLabel, type RootPath } from "../../context/call-chains.js";
import { lockKeyOf } from "../../context/events.js";
import { reclaimAnalysis, type FnView, type ReclaimAnalysis } from "../../context/reclaim.js";
import { blockingWork, completionWaitBlocks } from "../../context/work-waits.js";
import { workqueueAnalysis } from "../../context/workqueues.js";
import type { Report, Rule, Severity } from "../../types.js";
import { LOCK_CALLS, SYSTEM_QUEUES } from "../../vocab/kernel-api.js";
import { callList, chainText, shownName } from "../util/phrases.js";
import { isCountRole, shrinkerPaths, viewLines } from "../util/shrinker-scope.js";
import { HISTORY } from "../../vocab/history.js";

const MESSAGE: Record<Blocker["kind"], string> = {
  "io-wait": "waitsOnIo",
  "sync-io": "syncIo",
  transaction: "startsTransaction",
  "sleeping-lock": "sleepingLock",
  "final-put": "finalPut",
  wait: "mayWait",
};

export const rule: Rule = {
  meta: {
    id: "shrinker-blocking",
    class: "shrinker-io",
    severity: "warning",
    description: "A shrinker callback (or a function it reaches) that waits on IO, does IO synchronously or takes a sleeping lock unconditionally",
    docs: {
      why:
        "Shrinkers run inside memory reclaim, most often from kswapd. A shrinker that waits on IO stalls kswapd " +
        "and every allocation waiting behind it, and deadlocks when that IO needs memory or sits behind the " +
        "allocation that entered reclaim (a stacked or file-backed device, writeback). A sleeping lock taken " +
        "unconditionally makes reclaim wait for whoever holds it; when the holder allocates memory or does IO " +
        "under that lock, reclaim waits for itself. count_objects is called for every shrinker on every pass and " +
        "must only read counters (include/linux/shrinker.h). Making the lock a trylock does not help when the " +
        "wait on IO follows it.",
      fix:
        "Free only what is clean and unlocked: trylock and return SHRINK_STOP when the lock is busy, skip dirty " +
        "or in-flight objects, and hand writeback to a worker on a WQ_MEM_RECLAIM queue instead of waiting for it " +
        "in the shrinker. Keep count_objects to reading counters.",
      quiet:
        "Try-locks (with SHRINK_STOP or skipping the object), spinlocks, calls whose definition shows no blocking, " +
        "the same calls in functions no shrinker reaches, and calls the patch only moved. Waits whose waker is not " +
        "visible (completions, events, flushes of work) are info: what they wait for decides (a flush of work, or a " +
        "wait for a completion work signals, whose work is seen to wait on IO or a transaction is " +
        "reclaim-waits-on-work's warning instead). An audit of existing " +
        "code follows helpers two calls deep (not three) and reports sleeping locks only when the same lock is " +
        "seen held across an allocation or IO; a patch reviewed with a tree gets an info for a sleeping lock no function of the directory is seen holding so. A shrinker function the patch changes without any of that (and " +
        "without an allocation on its changed lines, which the allocation rules judge) gets one info note saying " +
        "what was checked: the calls on the changed lines, the helpers followed, and the helpers not followed " +
        "because their definitions are not in view (upper-case macros are not listed).",
    },
    messages: {
      waitsOnIo:
        "{{chain}}: {{call}}() {{what}} inside memory reclaim: kswapd and every task reclaiming behind it wait for that IO, and nothing makes progress if the IO needs memory or sits behind the allocation that entered reclaim",
      syncIo:
        "{{chain}}: {{call}}() {{what}} inside memory reclaim: reclaim waits for IO it started itself, which deadlocks when that IO needs memory",
      sleepingLock:
        "{{chain}}: {{call}}({{lock}}) takes a sleeping lock unconditionally inside memory reclaim: reclaim waits for whoever holds the lock",
      lockHeldAcross:
        "{{chain}}: {{call}}({{lock}}) takes a sleeping lock unconditionally inside memory reclaim, and {{holder}}() holds the same lock across {{what}} ({{where}}): {{consequence}}",
      startsTransaction:
        "{{chain}}: {{call}}() {{what}} inside memory reclaim: the commit it may wait for does IO and allocates, and reclaim waits for it",
      finalPut:
        "{{chain}}: {{call}}() {{what}}, inside memory reclaim: reclaim waits for that writeback and for whatever the filesystem's eviction waits on",
      countBlocks:
        "{{chain}}: {{call}}() {{what}} in a count callback ({{role}}): count_objects runs for every shrinker on every reclaim pass and must only read counters",
      mayWait:
        "{{chain}}: {{call}}() {{what}} inside memory reclaim; whether that can wait on IO or memory depends on what completes it, which is not visible here",
      trylockDropped:
        "{{fn}}() no longer returns SHRINK_STOP when {{try}}() fails and calls {{call}}() unconditionally instead; {{call}}() is not defined in what was reviewed, so whether it sleeps (making reclaim wait for the lock holder) cannot be told",
      queuesWork:
        "{{chain}}: this shrinker path now hands its work to a work item ({{call}}): the work runs outside reclaim, so what it waits on no longer stalls reclaim{{queueNote}}",
      stopsBlocking:
        "{{fn}}() ({{role}}) no longer calls {{calls}}: recognised shrinker fix (shrinkers must not block; count_objects only reads counters)",
      changedChecked:
        "{{chain}}: this patch changes {{fn}}(), which runs inside memory reclaim{{count}}. Checked: the calls on its changed lines{{followed}} include none that waits on IO or for a completion, does IO synchronously, starts a transaction, takes a sleeping lock unconditionally or drops what may be the last reference{{unfollowed}}",
    },
    knowledge: [HISTORY.shrinkerWorkOffload, HISTORY.nonBlockingInodeReclaim, HISTORY.shrinkerTrylockRevert, "shrinker-alloc-api-2023"],
    scope: "line",
    needles: ["shrink", "scan_objects", "count_objects", "SHRINK_"],
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    const found: Found[] = [];
    for (const v of a.post()) {
      const events = v.flow.events.filter((e) => a.mode === "audit" || v.changed.has(e.line));
      if (events.length === 0) continue;
      const paths = shrinkerPaths(a, v);
      const path = paths[0];
      if (!path) continue;
      let moved: Set<string> | null = null;
      for (const e of events) {
        // a lock wrapper of the directory (lock-wrappers.ts) is followed into like any helper: the chain names it
        const helper = e.info.kind === "call" || (e.info.kind === "lock" && e.info.via !== undefined);
        if (!helper && blockerOf(e.callee, e.args) === null) continue;
        // the pre-image is read only for calls that may matter
        moved ??= movedCalls(a, v);
        if (moved.has(`${e.callee}\0${e.args.join(",")}`)) continue;
        if (e.info.kind === "lock" && e.info.op !== "acquire") continue;
        const b = blockerOf(e.callee, e.args);
        // a flush of work (or a wait for a completion work signals) whose function blocks: reclaim-waits-on-work says what the work waits on
        if (b?.kind === "wait" && a.mode !== "audit" && (blockingWork(a, workqueueAnalysis(ctx), v, e) || completionWaitBlocks(a, workqueueAnalysis(ctx), v.path, e.line))) continue;
        if (b) {
          found.push(throughEviction(a, { v, path, line: e.line, chain: [...path.chain, e.callee], blocker: b, site: { file: v.path, line: e.line }, via: null }));
          continue;
        }
        if (!helper || e.callee.startsWith("->")) continue;
        // a call into a helper: what it reaches
        // an audit keeps to short chains: deeper ones more often pass a branch a constant argument rules out
        const hits = reachBelow(a, v.path, e.callee, blockerOf, { maxDepth: a.mode === "audit" ? 2 : 3 }).filter(
          (h) => a.mode === "audit" || !a.post().some((o) => o.path === h.file && o.changed.has(h.line)),
        );
        const best = hits.sort((x, y) => BLOCK_WEIGHT[y.hit.kind] - BLOCK_WEIGHT[x.hit.kind] || x.chain.length - y.chain.length)[0];
        if (best) found.push(throughEviction(a, { v, path, line: e.line, chain: [...path.chain, ...best.chain], blocker: best.hit, site: { file: best.file, line: best.line }, via: e.callee }));
      }
    }
    const reports = onePerHazard(found)
      .map((f) => report(a, f))
      .filter((r): r is Report => r !== null);
    if (a.mode !== "audit") {
      reports.push(...droppedTrylocks(a), ...recognisedFixes(a), ...queuedWork(a));
      reports.push(...checkedChanges(a, reports));
    }
    return reports;
  },
};

interface Found {
  v: FnView;
  path: RootPath;
  line: number;
  /** Root first, down to the blocking call. */
  chain: string[];
  blocker: Blocker;
  site: { file: string; line: number };
  /** The helper this function calls on the way (null: the blocking call is its own). */
  via: string | null;
}

/**
 * One finding per hazard: in a callback, per line the most serious blocking
 * call (each is its own line to change); in a function a callback reaches,
 * the most serious of its own blocking calls (one hazard: the callback calls
 * it); per function -> helper call, the most serious call below it.
 */
function onePerHazard(found: Found[]): Found[] {
  const best = new Map<string, Found>();
  for (const f of found) {
    const k = f.via !== null ? `${f.v.path}:${f.v.name}:${f.via}` : f.path.edges.length > 0 ? `${f.v.path}:${f.v.name}` : `${f.v.path}:${f.line}`;
    const cur = best.get(k);
    if (!cur || BLOCK_WEIGHT[f.blocker.kind] > BLOCK_WEIGHT[cur.blocker.kind]) best.set(k, f);
  }
  // a line reported for its own call does not also carry a helper's
  const own = new Set([...best.values()].filter((f) => f.via === null).map((f) => `${f.v.path}:${f.line}`));
  return [...best.values()]
    .filter((f) => f.via === null || !own.has(`${f.v.path}:${f.line}`))
    .sort((x, y) => (x.v.path < y.v.path ? -1 : x.v.path > y.v.path ? 1 : x.line - y.line));
}

/**
 * A final put runs the filesystem's ops method in this context: with
 * sources, what that method (registered in the directory) blocks on,
 * appended to the chain; without, the put stays as found (the unknown).
 */
function throughEviction(a: ReclaimAnalysis, f: Found): Found {
  const runs = f.blocker.runs;
  if (f.blocker.kind !== "final-put" || !runs) return f;
  const deeper = (callee: string, args: string[]): Blocker | null => {
    const b = blockerOf(callee, args);
    return b && b.kind !== "final-put" && b.kind !== "wait" ? b : null;
  };
  let best: { chain: string[]; blocker: Blocker; site: { file: string; line: number } } | null = null;
  for (const impl of opsImplementations(a, f.site.file, runs.struct, runs.field)) {
    for (const h of reachBelow(a, impl.file, impl.name, deeper, { maxDepth: 3 })) {
      if (best && BLOCK_WEIGHT[best.blocker.kind] >= BLOCK_WEIGHT[h.hit.kind]) continue;
      best = { chain: [`${impl.name} (${runs.struct}.${runs.field})`, ...h.chain.slice(1)], blocker: h.hit, site: { file: h.file, line: h.line } };
    }
  }
  return best ? { ...f, chain: [...f.chain, ...best.chain], blocker: best.blocker, site: best.site } : f;
}

/** Calls of the function that the patch deleted and added unchanged (moved or re-indented): not new blocking. */
function movedCalls(a: ReclaimAnalysis, v: FnView): Set<string> {
  const out = new Set<string>();
  if (a.mode === "audit") return out;
  const pre = a.pre().find((p) => p.name === v.name && p.path === v.path) ?? a.pre().find((p) => p.name === v.name);
  if (!pre) return out;
  for (const e of pre.flow.events) if (pre.changed.has(e.line)) out.add(`${e.callee}\0${e.args.join(",")}`);
  return out;
}

/** The try variant of a sleeping lock call, from the vocabulary ("mutex_lock" -> "mutex_trylock"). */
function tryVariant(b: Blocker): string | null {
  const own = LOCK_CALLS[b.call];
  for (const [name, l] of Object.entries(LOCK_CALLS))
    if (l.op === "try" && l.kind === b.lockKind && (l.shared ?? false) === (own?.shared ?? false)) return name;
  return null;
}

function report(a: ReclaimAnalysis, f: Found): Report | null {
  const count = isCountRole(f.path.role);
  const chain = [rootLabel(f.path), ...f.chain.slice(1)];
  const role = f.path.role.label;
  const fn = f.v.name;
  const base = {
    file: f.v.path,
    line: f.line,
    chain,
    identifiers: [f.blocker.call, ...f.chain],
  };
  const data = { chain: chainText(chain), call: f.blocker.call, what: f.blocker.what, role };
  if (count) {
    return {
      ...base,
      messageId: "countBlocks",
      data,
      severity: "error",
      fix: `Make ${f.path.role.root}() return a counter read without locks or IO (READ_ONCE, atomic_long_read, list_lru_shrink_count) and leave any work to the scan callback.`,
    };
  }
  if (f.blocker.kind === "sleeping-lock") {
    const expr = f.blocker.lockExpr ?? "";
    const held = expr ? lockHeldAcross(a, lockKeyOf(expr, (x) => f.v.flow.types.get(x) ?? null), f.site.file) : null;
    if (a.mode === "audit" && !held) return null;
    const t = tryVariant(f.blocker);
    const fix = `${t ? `Use ${t}(${expr}) ` : "Try the lock "}in ${fn}() and return SHRINK_STOP (or skip the object) when it is busy${held ? `, or stop ${held.fn}() from ${held.kind === "alloc" ? "allocating" : "doing IO"} under it` : ""}.`;
    if (held) {
      return {
        ...base,
        messageId: "lockHeldAcross",
        data: { ...data, lock: expr, holder: held.fn, what: held.what, where: `${held.file}:${held.line}`, consequence: consequence(held) },
        fix,
        cite: [HISTORY.shrinkerTrylockRevert, HISTORY.shrinkerWorkOffload],
      };
    }
    // (with a tree, no function of the directory was seen holding the lock across an allocation or IO: whoever
    // holds it may be brief, so how long reclaim waits is the fact missing)
    const unseen = a.mode === "tree" ? { severity: "info" as Severity, unknowns: [`whether anything holds ${expr || "the lock"} across an allocation or IO: no function of ${dirname(f.site.file)}/ was seen doing so`] } : {};
    return { ...base, ...unseen, messageId: "sleepingLock", data: { ...data, lock: expr }, fix, cite: [HISTORY.shrinkerTrylockRevert, HISTORY.shrinkerWorkOffload] };
  }
  if (f.blocker.kind === "final-put") {
    return {
      ...base,
      messageId: "finalPut",
      data,
      fix: `Do not drop what may be the last reference in reclaim: defer the put to a worker (or a delayed put the filesystem provides), or skip objects whose release needs it.`,
    };
  }
  if (f.blocker.kind === "wait") {
    if (a.mode === "audit") return null;
    return {
      ...base,
      messageId: "mayWait",
      data,
      severity: "info" as Severity,
      fix: `Do not wait in ${fn}(): skip what is busy and let the work finish on its own, or return SHRINK_STOP.`,
      unknowns: [`what completes the wait in ${f.blocker.call}() at ${f.site.file}:${f.site.line}, and whether that needs IO or memory`],
    };
  }
  return {
    ...base,
    messageId: MESSAGE[f.blocker.kind],
    data,
    fix:
      f.blocker.kind === "transaction"
        ? `Do not start or join a transaction on the way from ${f.path.role.root}(): skip objects that need one, or defer their release to a worker (a delayed put).`
        : `Skip objects that are dirty or under IO in ${fn}() (or return SHRINK_STOP), and hand their writeback to a worker on a WQ_MEM_RECLAIM queue instead of ${f.blocker.kind === "io-wait" ? "waiting for it" : "doing it"} in reclaim.`,
    cite: [HISTORY.shrinkerWorkOffload, HISTORY.nonBlockingInodeReclaim],
  };
}

function consequence(h: HeldAcross): string {
  return h.kind === "alloc"
    ? "that allocation can enter reclaim, run this shrinker and wait for the lock its own task holds"
    : "reclaim waits behind that IO, and deadlocks when the IO needs memory";
}

// ------------------------------------------------------------ the diff's shapes

/** Shrinker functions the patch changes on both sides: the post view, its path from the shrinker, and its pre view. */
function changedShrinkers(a: ReclaimAnalysis): { v: FnView; path: RootPath; pre: FnView }[] {
  const out: { v: FnView; path: RootPath; pre: FnView }[] = [];
  for (const v of a.post()) {
    if (v.changed.size === 0) continue;
    const path = shrinkerPaths(a, v)[0];
    if (!path) continue;
    const pre = a.pre().find((p) => p.name === v.name && p.path === v.path);
    if (pre && pre.changed.size > 0) out.push({ v, path, pre });
  }
  return out;
}

/**
 * A shrinker function whose deleted lines stopped with SHRINK_STOP when a
 * call failed (`if (!x(c)) return SHRINK_STOP;`), and whose added lines call
 * another function on the same arguments unconditionally, whose definition
 * is not visible: whether the new call sleeps is the missing fact.
 */
function droppedTrylocks(a: ReclaimAnalysis): Report[] {
  const out: Report[] = [];
  for (const { v, path, pre } of changedShrinkers(a)) {
    const old = viewLines(a, pre);
    const gates: { callee: string; args: string }[] = [];
    old.forEach((l, i) => {
      if (!l.changed) return;
      const m = /\bif\s*\(\s*!\s*([A-Za-z_]\w*)\s*\(([^()]*)\)\s*\)/.exec(l.code);
      if (!m) return;
      const rest = [l.code, old[i + 1]?.changed ? old[i + 1]!.code : ""].join(" ");
      if (/\breturn\s+SHRINK_STOP\b/.test(rest)) gates.push({ callee: m[1]!, args: m[2]!.replace(/\s+/g, "") });
    });
    if (gates.length === 0) continue;
    for (const e of v.flow.events) {
      if (!v.changed.has(e.line) || e.conditional || e.info.kind !== "call" || e.callee.startsWith("->")) continue;
      const g = gates.find((x) => x.args === e.args.join(",").replace(/\s+/g, "") && x.callee !== e.callee);
      if (!g || definitionVisible(a, v.path, e.callee) || v.flow.events.some((x) => x.callee === g.callee)) continue;
      out.push({
        file: v.path,
        line: e.line,
        messageId: "trylockDropped",
        data: { fn: v.name, try: g.callee, call: e.callee },
        severity: "info",
        chain: [rootLabel(path), ...path.chain.slice(1), e.callee],
        fix: `Keep the bail-out: if ${e.callee}() can sleep, call ${g.callee}() and return SHRINK_STOP when it fails.`,
        unknowns: [`whether ${e.callee}() sleeps: its definition is not in ${a.mode === "diff" ? "the patch (review with --tree to follow it)" : "the directory"}`],
        identifiers: [e.callee, g.callee, v.name],
        cite: [HISTORY.shrinkerTrylockRevert],
      });
    }
  }
  return out;
}

/** Blocking calls deleted from a shrinker function, none added: the fix is recognised (info). */
function recognisedFixes(a: ReclaimAnalysis): Report[] {
  const out: Report[] = [];
  for (const { v, path, pre } of changedShrinkers(a)) {
    const removed = pre.flow.events.filter((e) => pre.changed.has(e.line) && blockerOf(e.callee, e.args) !== null && !(e.info.kind === "lock" && e.info.op === "try"));
    if (removed.length === 0) continue;
    const gone = [...new Set(removed.map((e) => e.callee))].filter((c) => !v.flow.events.some((e) => e.callee === c));
    if (gone.length === 0) continue;
    if (v.flow.events.some((e) => v.changed.has(e.line) && blockerOf(e.callee, e.args) !== null && !(e.info.kind === "lock" && e.info.op === "try"))) continue;
    const at = viewLines(a, v).find((l) => l.changed && l.text.trim() !== "");
    if (!at) continue;
    out.push({
      file: v.path,
      line: at.line,
      messageId: "stopsBlocking",
      data: { fn: v.name, role: path.role.label, calls: gone.map((c) => `${c}()`).join(", ") },
      severity: "info",
      chain: [rootLabel(path), ...path.chain.slice(1)],
      identifiers: [v.name, ...gone],
    });
  }
  return out;
}

/**
 * A shrinker function the patch changes where nothing above spoke: what was
 * checked, said at info (the topic is recognised, and the check is stated
 * with its limits). Only when no call on its changed lines blocks, no helper
 * they call reaches a blocking call in what was reviewed, and no changed line
 * allocates (the allocation rules judge those): helpers whose definitions
 * are not in view are named as not followed.
 */
function checkedChanges(a: ReclaimAnalysis, said: readonly Report[]): Report[] {
  const out: { v: FnView; followed: string[]; report: Report }[] = [];
  for (const v of a.post()) {
    if (v.changed.size === 0) continue;
    const path = shrinkerPaths(a, v)[0];
    if (!path) continue;
    const first = Math.min(...v.changed);
    const last = Math.max(...v.changed);
    const start = Math.min(first, v.flow.start);
    if (said.some((r) => r.file === v.path && r.line !== null && r.line >= start && r.line <= Math.max(last, v.flow.end))) continue;
    const events = v.flow.events.filter((e) => v.changed.has(e.line));
    if (events.some((e) => e.info.kind === "alloc" || blockerOf(e.callee, e.args) !== null)) continue;
    if (onlyMoved(a, v)) continue;
    const followed: string[] = [];
    const unfollowed: string[] = [];
    let blocks = false;
    for (const e of events) {
      // upper-case names are macros by kernel convention (IS_ENABLED, WARN_ON): not helpers to follow
      if (e.info.kind !== "call" || /^[A-Z][A-Z0-9_]*$/.test(e.callee) || followed.includes(e.callee) || unfollowed.includes(e.callee)) continue;
      if (e.callee.startsWith("->") || !definitionVisible(a, v.path, e.callee)) {
        unfollowed.push(e.callee);
        continue;
      }
      if (reachBelow(a, v.path, e.callee, blockerOf, { maxDepth: 3, maxHits: 1 }).length > 0) {
        blocks = true;
        break;
      }
      followed.push(e.callee);
    }
    if (blocks) continue;
    const at = viewLines(a, v).find((l) => l.changed && l.code.trim() !== "");
    if (!at) continue;
    const chain = [rootLabel(path), ...path.chain.slice(1)];
    const where = a.mode === "diff" ? "the patch (review with --tree to follow them)" : "the directory";
    out.push({ v, followed, report: {
      file: v.path,
      line: at.line,
      messageId: "changedChecked",
      data: {
        chain: chainText(chain),
        fn: v.name,
        count: isCountRole(path.role) ? " on every reclaim pass (a count callback: it must only read counters)" : "",
        followed: followed.length > 0 ? ` and the functions they call in what was reviewed (${callList(followed)})` : "",
        unfollowed: unfollowed.length > 0 ? `; not followed, as their definitions are not in ${where}: ${callList(unfollowed)}` : "",
      },
      severity: "info",
      chain,
      identifiers: [v.name],
      ...(unfollowed.length > 0 ? { unknowns: unfollowed.map((c) => `what ${shownName(c)}${c.startsWith("->") ? "" : "()"} does when called here`) } : {}),
    } });
  }
  // a changed function another note already followed (a helper the patch adds and a callback calls) is said there
  return out.filter((o) => !out.some((x) => x !== o && x.v.path === o.v.path && x.followed.includes(o.v.name))).map((o) => o.report);
}

/** Every changed code line of the function is one the patch deleted from it (moved or re-indented): nothing new to check. */
function onlyMoved(a: ReclaimAnalysis, v: FnView): boolean {
  const pre = a.pre().find((p) => p.name === v.name && p.path === v.path);
  if (!pre) return false;
  const gone = new Map<string, number>();
  for (const l of viewLines(a, pre)) {
    const t = l.code.trim();
    if (l.changed && t !== "") gone.set(t, (gone.get(t) ?? 0) + 1);
  }
  for (const l of viewLines(a, v)) {
    const t = l.code.trim();
    if (!l.changed || t === "") continue;
    const n = gone.get(t) ?? 0;
    if (n === 0) return false;
    gone.set(t, n - 1);
  }
  return true;
}

/** A shrinker path that now queues a work item instead of doing the work in reclaim: recognised (info). */
function queuedWork(a: ReclaimAnalysis): Report[] {
  const out: Report[] = [];
  for (const v of a.post()) {
    const q = v.flow.events.find((e) => v.changed.has(e.line) && e.info.kind === "queue");
    if (!q || q.info.kind !== "queue") continue;
    const path = shrinkerPaths(a, v)[0];
    if (!path) continue;
    const queue = q.info.queue;
    const system = SYSTEM_QUEUES[queue] !== undefined;
    const chain = [rootLabel(path), ...path.chain.slice(1), q.callee];
    out.push({
      file: v.path,
      line: q.line,
      messageId: "queuesWork",
      data: {
        chain: chainText(chain),
        call: `${q.callee}(${q.args.join(", ")})`,
        queueNote: system
          ? `; ${queue} has no WQ_MEM_RECLAIM, so under memory pressure the work may wait for a worker thread to be created: fine for a cache that can be freed later, not for memory reclaim depends on`
          : "",
      },
      severity: "info",
      chain,
      identifiers: [q.callee, queue, v.name],
    });
  }
  return out;
}

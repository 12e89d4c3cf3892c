// shrinker-blocking: a shrinker callback (or a helper it calls) that waits on
// IO, submits IO synchronously or takes a sleeping lock unconditionally.
import { getFacts, type ContextFacts } from "../../context/facts.js";
import { shrinkerOf } from "../../context/rule-support.js";
import type { Patch, Report, Rule, Severity, SourceContext } from "../../types.js";
import { callsOn } from "../util/code.js";
import { addedLines, deletedLines, isCLike } from "../util/diff.js";
import {
  blockersOn,
  callbackRole,
  deletedTexts,
  fileMentionsShrinkers,
  functionsOf,
  isMovedLine,
  mentionsShrinkers,
  isLockCall,
  registeredCallbacks,
  shrinkerFunctions,
  trylockNames,
  type Blocker,
  type ShrinkerFn,
} from "../util/shrinker-scope.js";

/** The commit message says the shrinker work no longer runs in reclaim context. */
export function saysOffReclaim(message: string): boolean {
  return /no longer (?:runs? )?(?:in|from) (?:kswapd|(?:direct |memory )?reclaim)|(?:runs?|called|done|happens) (?:now )?(?:in|from) (?:a|the)(?: \w+){0,3} (?:workqueue|worker|kthread)|not (?:called )?(?:in|from) (?:kswapd|reclaim) context/i.test(
    message,
  );
}

const MESSAGE_OF: Record<Blocker["kind"], string> = {
  wait: "waitsOnIo",
  submit: "submitsIo",
  lock: "sleepingLock",
  soft: "mayBlock",
};

function roleName(s: ShrinkerFn): string {
  if (s.evidence === "weak") return "shrinker";
  return s.role === "count" ? "count_objects" : "scan_objects";
}

export const rule: Rule = {
  meta: {
    id: "shrinker-blocking",
    class: "shrinker-io",
    severity: "warning",
    description: "shrinker callback (or a helper it calls) that waits on IO, submits IO synchronously or takes a sleeping lock",
    docs: {
      why:
        "Shrinkers run inside memory reclaim, most often from kswapd. A shrinker that waits on IO " +
        "stalls kswapd and every allocation that waits on kswapd, and deadlocks when that IO itself " +
        "needs memory or sits behind the allocation (a loop or stacked device, writeback). A sleeping " +
        "lock held elsewhere across IO or allocation has the same effect. count_objects must never " +
        "block at all. dm-bufio (2020) and XFS inode reclaim (v5.9) were both reworked to stop " +
        "waiting on IO in their shrinkers; turning mutex_lock into mutex_trylock alone did not help " +
        "dm-bufio in 2019 because the hang was the IO wait after the lock.",
      fix:
        "Free only what is clean and unlocked: trylock and return SHRINK_STOP when the lock is busy, " +
        "skip dirty or in-flight objects, and kick writeback to a WQ_MEM_RECLAIM workqueue from the " +
        "shrinker instead of doing and waiting for it there. Keep count_objects to reading counters.",
      quiet:
        "count_objects that only reads a counter; mutex_trylock()/down_read_trylock() with return " +
        "SHRINK_STOP; the same calls outside shrinker callbacks; slab cache trimming (kmem_cache_shrink).",
    },
    messages: {
      waitsOnIo:
        "{{chain}}: this {{role}} path waits on IO ({{call}}()) inside memory reclaim: kswapd and every reclaimer behind it stall, and it deadlocks if the IO needs memory; kick a WQ_MEM_RECLAIM worker instead of waiting",
      submitsIo:
        "{{chain}}: this {{role}} path writes back synchronously ({{call}}()) inside memory reclaim; a shrinker should skip dirty objects and leave writeback to a WQ_MEM_RECLAIM worker it kicks",
      sleepingLock:
        "{{chain}}: this {{role}} path takes the sleeping lock {{call}}() inside memory reclaim; shrinkers trylock and return SHRINK_STOP when the lock is busy, and any IO waited on after the lock still stalls kswapd",
      mayBlock:
        "{{chain}}: {{call}}() in a {{role}} path may sleep or start IO; fine only if this really runs outside kswapd/direct reclaim, as the change assumes",
      stopsBlocking:
        "{{fn}}() no longer calls {{calls}} in its {{role}} callback: recognised shrinker fix (callbacks must not block; count_objects only reads counters)",
    },
    knowledge: ["dm-bufio-workqueue-2020", "xfs-reclaim-nonblocking-2020", "dm-bufio-loop-revert-2019", "shrinker-alloc-api-2023"],
    scope: "line",
    needles: ["shrink", "scan_objects", "count_objects"],
  },
  check({ patch, source }) {
    const reports: Report[] = [];
    const facts = getFacts(source);
    if (!mentionsShrinkers(patch)) {
      if (facts) reports.push(...helperChanges(patch, source, facts, trylockNames(patch), new Set()));
      return reports;
    }
    const trylocks = trylockNames(patch);
    const offReclaim = saysOffReclaim(`${patch.subject}\n${patch.message}`);
    const done = new Set<string>();
    const blockingFns = new Set<string>();
    let deleted: Set<string> | null = null;
    for (const s of shrinkerFunctions(patch)) {
      for (const l of s.fn.lines) {
        if (l.line.kind !== "add" || l.line.newLine === null) continue;
        if (!/\w\s*\(/.test(l.code)) continue;
        deleted ??= deletedTexts(patch);
        if (isMovedLine(l.code, deleted)) continue;
        for (const b of blockersOn(l.code, trylocks)) {
          const key = `${l.file.path}:${l.line.newLine}:${b.call}`;
          if (done.has(key)) continue;
          done.add(key);
          blockingFns.add(s.chain[0]!);
          const strong = b.kind !== "soft" && s.evidence === "callback" && !offReclaim;
          const severity = !strong ? "info" : s.role === "count" ? "error" : "warning";
          reports.push({
            messageId: MESSAGE_OF[b.kind],
            data: { chain: [...s.chain, b.call].join(" -> "), role: roleName(s), call: b.call },
            file: l.file.path,
            line: l.line.newLine,
            severity,
            chain: [...s.chain, b.call],
            cite: b.kind === "lock" ? ["dm-bufio-loop-revert-2019", "dm-bufio-workqueue-2020"] : undefined,
            identifiers: [b.call, ...s.chain],
          });
        }
      }
    }

    // Recognised fix: blocking calls deleted from a callback, none added.
    const registered = registeredCallbacks(patch);
    const newFns = new Map(functionsOf(patch, "new", fileMentionsShrinkers).map((f) => [`${f.path}\0${f.name}`, f]));
    const removed = new Map<string, { path: string; calls: Set<string>; role: "count" | "scan" }>();
    const oldFns = new Map(functionsOf(patch, "old", fileMentionsShrinkers).map((f) => [`${f.path}\0${f.name}`, f]));
    const shrinkerFiles = new Set(patch.files.filter(fileMentionsShrinkers).map((f) => f.path));
    for (const v of deletedLines(patch, (path) => shrinkerFiles.has(path))) {
      if (!v.fn) continue;
      const fn = oldFns.get(`${v.file.path}\0${v.fn}`);
      const role = fn ? callbackRole(fn, registered) : null;
      if (!role) continue;
      for (const c of callsOn(v.code)) {
        const blocks = blockersOn(v.code, trylocks).some((b) => b.call === c && b.kind !== "soft");
        if (!blocks && !(role === "count" && isLockCall(c))) continue;
        const e = removed.get(v.fn) ?? { path: v.file.path, calls: new Set<string>(), role };
        e.calls.add(c);
        removed.set(v.fn, e);
      }
    }
    for (const [fnName, e] of removed) {
      if (blockingFns.has(fnName)) continue;
      const fn = newFns.get(`${e.path}\0${fnName}`);
      const still = fn?.lines.some((l) => blockersOn(l.code, trylocks).some((b) => e.calls.has(b.call)));
      if (!fn || still) continue;
      const at = fn.lines.find((l) => l.line.kind === "add" && l.line.newLine !== null && l.line.text.trim() !== "");
      if (!at) continue;
      reports.push({
        messageId: "stopsBlocking",
        data: { fn: fnName, calls: [...e.calls].map((c) => `${c}()`).join(", "), role: e.role === "count" ? "count_objects" : "scan_objects" },
        file: e.path,
        line: at.line.newLine,
        severity: "info",
        identifiers: [fnName, ...e.calls],
      });
    }
    if (facts) {
      const at = new Set(reports.map((r) => `${r.file}:${r.line}`));
      for (const r of [...callbackChains(patch, facts, trylocks, offReclaim, at), ...helperChanges(patch, source, facts, trylocks, at)]) {
        at.add(`${r.file}:${r.line}`);
        reports.push(r);
      }
    }
    // an audit of existing code keeps to IO waits and synchronous writeback: sleeping locks in
    // shrinkers are common upstream and only a hazard when held across IO, which a lock name cannot show
    const kept = facts?.audit ? reports.filter((r) => r.messageId !== "sleepingLock" && r.messageId !== "mayBlock") : reports;
    return onePerHelper(kept);
  },
};

// ------------------------------------------------------------ with source context

/** Added new-file lines per path. */
function addedByPath(patch: Patch): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const v of addedLines(patch, isCLike)) {
    if (v.line.newLine === null) continue;
    let s = out.get(v.file.path);
    if (!s) out.set(v.file.path, (s = new Set()));
    s.add(v.line.newLine);
  }
  return out;
}

/** The shrinker role of fn in path as the source context knows it. */
function roleIn(facts: ContextFacts, path: string, fn: string): "count" | "scan" | null {
  const ff = facts.fileFacts(path);
  if (ff?.countObjects.has(fn)) return "count";
  if (facts.rolesOf(path, fn).has("shrinker")) return /count/.test(fn) ? "count" : "scan";
  return null;
}

function blocksHard(callee: string, trylocks: Set<string>): Blocker | null {
  return blockersOn(`${callee}()`, trylocks).find((b) => b.kind !== "soft") ?? null;
}

function chainReport(file: string, line: number, chain: string[], blocker: Blocker, role: "count" | "scan", offReclaim: boolean): Report {
  const severity: Severity = offReclaim ? "info" : role === "count" ? "error" : "warning";
  return {
    messageId: MESSAGE_OF[blocker.kind],
    data: { chain: chain.join(" -> "), role: role === "count" ? "count_objects" : "scan_objects", call: blocker.call },
    file,
    line,
    severity,
    chain,
    cite: blocker.kind === "lock" ? ["dm-bufio-loop-revert-2019", "dm-bufio-workqueue-2020"] : undefined,
    identifiers: [blocker.call, ...chain],
  };
}

/**
 * Shrinker callbacks of the patched files: a call they make (on an added
 * line) into a helper of the file or its directory that, through at most
 * three levels, waits on IO, writes back or takes a sleeping lock. Reported at
 * the callback's call, naming the chain. Also when the blocking call deep in
 * the helper is what the patch adds.
 */
function callbackChains(patch: Patch, facts: ContextFacts, trylocks: Set<string>, offReclaim: boolean, at: Set<string>): Report[] {
  const out: Report[] = [];
  const added = addedByPath(patch);
  const pred = (site: { callee: string }) => blocksHard(site.callee, trylocks) !== null;
  for (const [path, lines] of added) {
    const ff = facts.fileFacts(path);
    if (!ff) continue;
    for (const f of ff.functions) {
      const role = roleIn(facts, path, f.name);
      if (!role) continue;
      const done = new Set<string>();
      for (const site of f.calls) {
        if (site.callee === f.name || done.has(site.callee) || blocksHard(site.callee, trylocks) || blockersOn(`${site.callee}()`).length > 0) continue;
        done.add(site.callee);
        const hit = facts.chainTo(path, site.callee, pred, { maxDepth: 3, budgetMs: 50 });
        if (!hit) continue;
        const blocker = blocksHard(hit.site.callee, trylocks)!;
        const deepAdded = added.get(hit.file)?.has(hit.site.line) ?? false;
        const where = lines.has(site.line) ? { file: path, line: site.line } : deepAdded ? { file: hit.file, line: hit.site.line } : null;
        if (!where || at.has(`${where.file}:${where.line}`)) continue;
        out.push(chainReport(where.file, where.line, [f.name, ...hit.chain], blocker, role, offReclaim));
      }
    }
  }
  return out;
}

/**
 * Blocking calls the patch adds anywhere a shrinker callback reaches (the
 * callback itself registered elsewhere, or a helper up to three calls down),
 * by the source context's ops tables and call graph.
 */
function helperChanges(patch: Patch, source: SourceContext | undefined, facts: ContextFacts, trylocks: Set<string>, at: Set<string>): Report[] {
  const out: Report[] = [];
  // an audit reviews every file: the hazard is reported once, at the callback's call
  if (facts.audit) return out;
  const offReclaim = saysOffReclaim(`${patch.subject}\n${patch.message}`);
  for (const v of addedLines(patch, isCLike)) {
    if (v.line.newLine === null || at.has(`${v.file.path}:${v.line.newLine}`)) continue;
    const blocker = blockersOn(v.code, trylocks).find((b) => b.kind !== "soft");
    if (!blocker) continue;
    const fn = facts.functionAt(v.file.path, v.line.newLine);
    if (!fn) continue;
    const hit = shrinkerOf(source, v.file.path, fn.name, 3);
    if (!hit) continue;
    out.push(chainReport(v.file.path, v.line.newLine, [...hit.chain, blocker.call], blocker, hit.kind, offReclaim));
  }
  return out;
}

const WEIGHT: Record<string, number> = { waitsOnIo: 4, submitsIo: 3, sleepingLock: 2, mayBlock: 1 };
const RANK: Record<string, number> = { error: 3, warning: 2, info: 1 };

/**
 * One hazard, one finding: a helper reached from a shrinker callback that
 * blocks in several ways (writes back, then waits) was reported at each
 * blocking call and at the call site. Keep one report per callback -> helper
 * pair: the most serious kind (a wait over a submission over a lock), at the
 * highest severity any of them had. Blocking calls in the callback itself
 * (chains of two) stay one report each: each is its own line to change.
 */
export function onePerHelper(reports: Report[]): Report[] {
  const best = new Map<string, Report>();
  const order: (Report | string)[] = [];
  for (const r of reports) {
    const chain = r.chain;
    if (!chain || chain.length < 3 || WEIGHT[r.messageId] === undefined) {
      order.push(r);
      continue;
    }
    const key = `${chain[0]}\0${chain[1]}`;
    const prev = best.get(key);
    if (!prev) {
      best.set(key, r);
      order.push(key);
      continue;
    }
    const top = WEIGHT[r.messageId]! > WEIGHT[prev.messageId]! ? r : prev;
    const sev = [prev.severity, r.severity].sort((a, b) => (RANK[b ?? "warning"] ?? 2) - (RANK[a ?? "warning"] ?? 2))[0];
    best.set(key, { ...top, severity: sev });
  }
  return order.map((o) => (typeof o === "string" ? best.get(o)! : o));
}

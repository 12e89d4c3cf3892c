// nofs-to-kernel: a mask relaxed (GFP_NOFS or GFP_NOIO turned into a mask
// that lets reclaim enter the filesystem or IO again), or a memalloc scope
// removed from around allocations. A relaxation is safe only when nothing
// reclaim needs is held and the function has no role reclaim waits on: when
// the analysis finds such a thing, gfp-kernel-in-io-path or
// alloc-while-holding warn on the line; this rule says what was checked and
// what is still unknown. A changelog's "only called from ioctl" is a claim:
// the callers are checked, not believed.
import { lockLabel, reclaimAnalysis, type AllocSite, type ReclaimAnalysis } from "../../context/reclaim.js";
import { workqueueAnalysis } from "../../context/workqueues.js";
import type { Report, Rule } from "../../types.js";
import { newSideLineAt } from "../util/diff.js";
import { allocText, atomicText, chainText, freezeState, heldWhere, roleText, roleWhy, takerText } from "../util/phrases.js";
import { HISTORY } from "../../vocab/history.js";
import { LOCK_CALLS, SCOPE_CALLS } from "../../vocab/kernel-api.js";

/** Calls that open a scope (a save, or a queue freeze that hands back saved task flags): what a deleted save names. */
const SAVE_CALLS = new RegExp(
  `\\b(?:${[...Object.entries(SCOPE_CALLS).filter(([, c]) => c.op === "save").map(([n]) => n), ...Object.entries(LOCK_CALLS).filter(([, l]) => l.kind === "freeze" && l.op === "acquire").map(([n]) => n)].join("|")})\\b`,
);

export const rule: Rule = {
  meta: {
    id: "nofs-to-kernel",
    class: "gfp-context",
    severity: "info",
    description: "GFP_NOFS/GFP_NOIO relaxed to a mask that lets reclaim recurse, or a memalloc scope removed: what was checked, what is unknown",
    docs: {
      why:
        "GFP_NOFS and NOIO scopes exist because something reclaim needs is held, or because the code serves IO " +
        "that reclaim waits on. Relaxing them is right when that is no longer true — and a deadlock when it still " +
        "is, often through a caller: the lock is taken, or the transaction started, a few functions up.",
      fix:
        "Check every caller for held locks and transaction handles, or keep the constraint as a " +
        "memalloc_nofs_save() scope where the reason for it begins, with a comment naming the reason.",
      quiet:
        "Relaxations where a warning from gfp-kernel-in-io-path or alloc-while-holding already names the hazard on the same line. " +
        "A written-out mask replaced by a scope in force, or by a gfp_t variable of the function whose every value in view keeps the " +
        "bit clear, is said as the check made (info), not as a relaxation.",
    },
    messages: {
      relaxedUnknown:
        "{{was}} -> {{now}} for {{alloc}} in {{fn}}(): safe only if no caller holds a transaction handle or a lock that reclaim (shrinkers, inode eviction, writeback) takes, and {{fn}}() serves no IO reclaim waits on; not checked {{whyNot}}",
      relaxedLock:
        "{{was}} -> {{now}} for {{alloc}} in {{fn}}() while {{lock}} is held ({{where}}): a deadlock if any reclaim path (a shrinker, inode eviction, writeback) takes {{lock}}; {{checked}}",
      relaxedInReclaimWork:
        "{{was}} -> {{now}} for {{alloc}} in {{fn}}(), which runs as work of {{queue}}, a WQ_MEM_RECLAIM queue ({{chain}}): the flag says reclaim or IO may wait on this work, and an allocation that may now {{what}} from reclaim can wait for itself",
      relaxedChecked:
        "{{was}} -> {{now}} for {{alloc}} in {{fn}}(): checked {{callers}}; none holds a lock a reclaim-side function of {{dir}} takes or a transaction handle without a NOFS scope, and {{fn}}() has no IO role",
      scopeFunctionRemoved:
        "{{fn}}() is removed with its {{kind}} scope, which covered {{covered}}: whatever replaces that work must not allocate where the scope was needed (or must keep the scope); otherwise it may {{what}} from reclaim",
      scopeRemovedNothingLeft:
        "{{kind}} scope removed from {{fn}}(), and {{none}}: it covered {{covered}}; if any of them (or a helper they call) still allocates, it now may {{what}} from reclaim",
      relaxedCovered:
        "{{was}} -> {{now}} for {{alloc}} in {{fn}}(): {{where}} covers it, so it still runs {{kind}} ({{checked}})",
      keptByVariable:
        "{{was}} -> {{now}} for {{alloc}} in {{fn}}(): every value the lines show {{now}} taking clears {{bit}} (the least strict is {{value}}, line {{line}}), so it still runs {{kind}}; an assignment outside these lines, or a value given by a call, would change that",
      scopeRemoved:
        "{{kind}} scope removed in {{fn}}(): {{alloc}} now runs as {{now}}; {{verdict}}",
      scopeRemovedHazard:
        "{{kind}} scope removed in {{fn}}(): {{alloc}} now runs as {{now}}, and {{why}}",
    },
    knowledge: ["memalloc-nofs-api-2017", "gfp-fs-io-doc", HISTORY.transactionNofs],
    scope: "patch",
    needles: ["GFP_NOFS", "GFP_NOIO", "memalloc_", "PF_MEMALLOC"],
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    const reports: Report[] = [];
    const seenFn = new Set<string>();
    for (const site of a.allocations()) {
      const was = a.relaxedFrom(site);
      if (!was) {
        // relaxed at the call, but a scope in force keeps it as strict as before: say which scope covers it
        const covered = site.added ? coveredByScope(a, site) : null;
        if (covered) reports.push(covered);
        continue;
      }
      const before = a.maskBefore(site);
      const bm = before?.mask ?? was;
      const maskChanged = (bm.fs === false && site.mask.fs !== false) || (bm.io === false && site.mask.io !== false);
      if (maskChanged && !site.added) continue;
      const lost = maskChanged ? null : lostScope(was);
      if (lost && scopeMovedToCaller(a, site, lost)) continue;
      // one note per function: the first relaxed site speaks for the others
      const fnKey = `${site.fn.path}:${site.fn.name}`;
      if (seenFn.has(fnKey)) continue;
      // a hazard the line rules warn about: they say it, on an allocation line the patch changed; an allocation the
      // patch left alone whose scope it removed has no changed line for them, so it is said here
      const hazard = site.hazards.find((h) => h.kind === "role" || h.kind === "frozen" || h.kind === "fence" || h.kind === "held-handle" || (h.kind === "held-lock" && h.taker));
      if (hazard && (site.added || !lost)) continue;
      seenFn.add(fnKey);
      if (hazard && lost) {
        reports.push({
          file: site.fn.path,
          line: site.at,
          ...(site.atomic ? { also: atomicText(site) } : {}),
          severity: "warning",
          messageId: "scopeRemovedHazard",
          identifiers: [site.ev.callee, lost, site.fn.name],
          data: { kind: lost, fn: site.fn.name, alloc: allocText(site), now: site.mask.name ?? site.mask.text, why: hazardText(site, hazard) },
          fix: `Keep the ${lost} scope around ${site.ev.callee}() (or give it a mask without the bits the scope cleared).`,
          chain: hazard.kind === "role" ? [roleText(hazard.role), ...hazard.role.chain.slice(1), allocText(site)] : [allocText(site)],
        });
        continue;
      }
      // a variable on both sides: its value before and now (maskBefore() says `gfp = GFP_NOFS`)
      const now = site.maskLocal && !site.mask.name && bm.text.startsWith(`${site.mask.text} = `) ? `${site.mask.text} = ${site.maskLocal.value}` : site.mask.name ?? site.mask.text;
      const r = { was: before?.passedBy ? `${bm.name ?? bm.text} (passed by ${before.passedBy}())` : bm.name ?? bm.text, now };
      // work of a WQ_MEM_RECLAIM queue: its own flag says reclaim or IO waits on it, and the relaxed mask lets it wait for reclaim
      const work = workqueueAnalysis(ctx).runsAs(site.fn).ctx;
      if (work?.kind === "wq" && work.queue && ((was.io === false && site.effective.io !== false) || (was.fs === false && site.effective.fs !== false))) {
        reports.push({
          file: site.fn.path,
          line: site.at,
          ...(site.atomic ? { also: atomicText(site) } : {}),
          severity: "warning",
          messageId: "relaxedInReclaimWork",
          data: { ...r, alloc: allocText(site), fn: site.fn.name, queue: work.queue.label, chain: chainText(work.chain), what: was.io === false && site.effective.io !== false ? "start IO" : "call into the filesystem" },
          fix: `Keep ${r.was} here (or open memalloc_${was.io === false ? "noio" : "nofs"}_save() around the work) — or say why this work never waits on what it serves.`,
          chain: [`${work.queue.label} (WQ_MEM_RECLAIM)`, ...work.chain.map((f) => `${f}()`), allocText(site)],
          identifiers: [site.ev.callee, "WQ_MEM_RECLAIM", r.was],
        });
        continue;
      }
      // a work function: called by no function, it starts with nothing held (asked only when no caller is found)
      const workOf = () => {
        if (work?.kind === "wq" && work.queue) return `work of ${work.queue.label} (${chainText(work.chain)})`;
        const bound = workqueueAnalysis(ctx).bindings(site.fn.path, "post", { fn: site.fn.name })[0];
        return bound ? `the function of the work item ${bound.work}` : null;
      };
      reports.push(verdict(a, site, maskChanged ? r : null, lost, workOf));
    }
    // a scope removed from a function in which no allocation is left to judge: what it covered is now called without it
    // (only a patch that deletes a line naming a scope save can have removed one: the old side is walked only then)
    const deletesSave = ctx.patch.files.some((f) => f.hunks.some((h) => h.lines.some((l) => l.kind === "del" && SAVE_CALLS.test(l.text))));
    for (const pv of deletesSave ? a.pre() : []) {
      const removed = pv.flow.events.find((e) => e.info.kind === "scope" && e.info.op === "save" && e.info.how === "save" && pv.changed.has(e.line));
      if (!removed || removed.info.kind !== "scope") continue;
      const kind = removed.info.scope[0];
      if (kind !== "noio" && kind !== "nofs") continue;
      const fnKey = `${pv.path}:${pv.name}`;
      if (seenFn.has(fnKey)) continue;
      const post = a.post().filter((v) => v.path === pv.path && v.name === pv.name);
      // the calls the scope covered in the old version (between the save and its restore)
      const restore = pv.flow.events.find((e) => e.line > removed.line && e.info.kind === "scope" && e.info.op === "restore");
      const covered = [...new Set(pv.flow.events.filter((e) => e.line > removed.line && (!restore || e.line < restore.line) && (e.info.kind === "call" || e.info.kind === "alloc") && /^[A-Za-z_]\w*$/.test(e.callee)).map((e) => e.callee))];
      // the scope is still opened in the function around what it covered (another save of the same kind elsewhere in
      // a whole function covers nothing of it), or moved into a caller the patch shows
      const saves = post.some((v) => v.flow.events.some((e) => e.info.kind === "scope" && e.info.op === "save" && e.info.scope.includes(kind)));
      const stillUnder = (c: string) => post.some((v) => v.flow.events.some((e) => e.callee === c && (e.state.mustScopes as string[]).includes(kind)));
      if (saves && (!post.some((v) => v.whole) || covered.length === 0 || covered.some(stillUnder))) continue;
      if (a.post().some((v) => v.flow.events.some((e) => e.callee === pv.name && (e.state.mustScopes as string[]).includes(kind)))) continue;
      // an allocation of the function itself ran under the scope and is still there: judged above, as a site whose scope is gone
      const ranUnder = pv.flow.events.some((e) => e.line > removed.line && (!restore || e.line < restore.line) && e.info.kind === "alloc");
      if (ranUnder && post.length > 0 && a.allocations().some((x) => x.fn.path === pv.path && x.fn.name === pv.name)) continue;
      seenFn.add(fnKey);
      const scope = `memalloc_${kind}_save()`;
      // the whole function is deleted (every line of it, definition to closing brace)
      let gone = pv.flow.entryVisible && pv.flow.endVisible;
      for (let l = pv.flow.start; gone && l <= pv.flow.end; l++) if (!pv.changed.has(l)) gone = false;
      // the finding goes on the new side: where the deleted save was (the next line the new side has there)
      const file = ctx.patch.files.find((f) => (f.oldPath ?? f.path) === pv.path);
      const at = file ? newSideLineAt(file.hunks, removed.line) : null;
      reports.push({
        file: file?.path ?? pv.path,
        line: at,
        identifiers: [removed.callee, pv.name],
        messageId: gone ? "scopeFunctionRemoved" : "scopeRemovedNothingLeft",
        data: { kind: scope, what: kind === "noio" ? "start IO" : "call into the filesystem", fn: pv.name, none: pv.whole ? "no allocation of the function itself ran under it" : "no allocation is left in the lines the patch shows", covered: covered.length > 0 ? covered.slice(0, 6).map((c) => `${c}()`).join(", ") : "nothing the lines show" },
        unknowns: covered.length > 0 ? [`whether ${covered.slice(0, 6).map((c) => `${c}()`).join(", ")} still allocate${a.mode === "diff" ? " (their bodies are not in the diff)" : ""}`] : [],
      });
    }
    return reports;
  },
};

/** What makes an allocation a hazard, in the words the line rules use for it. */
function hazardText(site: AllocSite, h: AllocSite["hazards"][number]): string {
  switch (h.kind) {
    case "role":
      return `${site.fn.name}() ${h.role.chain.length > 1 ? `is reached from ${roleText(h.role)} (${chainText(h.role.chain)})` : `is ${roleText(h.role)}`}: ${roleWhy(h.role)}`;
    case "held-lock":
      return `${lockLabel(h.held)} is held there (${heldWhere(h.held, h.via)}), and ${h.taker ? takerText(h.taker) : "reclaim may take it"}`;
    case "frozen": {
      const st = freezeState(h.held);
      return `${lockLabel(h.held)} is ${st.is} there (${heldWhere(h.held, h.via, st.is)}): reclaim may write back to (or wait on IO of) that device, and that IO waits until it is ${st.until}`;
    }
    case "held-handle":
      return `a ${h.api} transaction handle is held there, and reclaim may start or join a transaction of this filesystem, which waits for the commit that waits for this handle`;
    case "fence":
      return `a dma-fence signalling section is open there (${heldWhere(h.held, h.via, "opened")}): shrinkers and mmu notifiers may wait for the fence this code signals`;
  }
}

/** A mask relaxed at the call (GFP_NOFS -> GFP_KERNEL) that a scope in force still covers: the check, said. */
function coveredByScope(a: ReclaimAnalysis, site: AllocSite): Report | null {
  const before = a.maskBefore(site);
  if (!before || before.passedBy) return null;
  const bm = before.mask;
  const fs = bm.fs === false && site.mask.fs !== false && site.effective.fs === false;
  const io = bm.io === false && site.mask.io !== false && site.effective.io === false;
  if (!fs && !io) return null;
  const kind = io ? "noio" : "nofs";
  const own = site.ev.state.scopes.find((s) => s.must && (s.entry.kinds as string[]).some((k) => k === kind || k === "noio" || k === "noreclaim"));
  // a scope the patch opens itself: a conversion, which scope-conversion recognises
  if (own && a.changedIn(site.fn).has(own.entry.line)) return null;
  // (a transaction handle whose start saves a NOFS scope into it covers NOFS, not NOIO)
  const handle = kind === "nofs" ? site.handleNofs : undefined;
  const where = own
    ? `the ${scopeName(own.entry.kinds as string[])} scope opened at line ${own.entry.line}`
    : site.callerScopes.length > 0
      ? `the ${scopeName(site.callerScopes)} scope every caller holds`
      : handle
        ? `the NOFS scope of the ${handle.api} transaction handle ${handle.param ? `passed in (${handle.param})` : "held here"} (${handle.scope.how === "tree" ? "found in the tree" : "in linux-6.12"}: ${handle.scope.where})`
        : null;
  if (!where) {
    // the mask is now a variable of the function whose every visible value keeps the bit clear
    const local = site.maskLocal;
    if (!local) return null;
    if ((io && local.mask.io !== false) || (!io && local.mask.fs !== false)) return null;
    return {
      file: site.fn.path,
      line: site.at,
      identifiers: [site.ev.callee, bm.name ?? bm.text, site.mask.text],
      messageId: "keptByVariable",
      data: { was: bm.name ?? bm.text, now: site.mask.text, alloc: allocText(site), fn: site.fn.name, bit: io ? "__GFP_IO" : "__GFP_FS", value: local.value, line: local.line, kind: kind.toUpperCase() },
      fix: `Nothing to change while every assignment to ${site.mask.text} keeps ${io ? "__GFP_IO" : "__GFP_FS"} clear; a new one that sets ${bm.name ?? bm.text}'s cleared bits again brings the recursion back.`,
    };
  }
  return {
    file: site.fn.path,
    line: site.at,
    identifiers: [site.ev.callee, bm.name ?? bm.text, site.mask.name ?? site.mask.text],
    messageId: "relaxedCovered",
    data: { was: bm.name ?? bm.text, now: site.mask.name ?? site.mask.text, alloc: allocText(site), fn: site.fn.name, where, kind: kind.toUpperCase(), checked: own || (!site.callerScopes.length && handle) ? "checked in the lines shown" : "checked at every caller the tree shows" },
    fix: `Nothing to change if ${where} stays where it is; if the scope is ever narrowed, this allocation must get its ${bm.name ?? bm.text} back.`,
  };
}

function scopeName(kinds: readonly string[]): string {
  return kinds.includes("noio") ? "memalloc_noio_save()" : kinds.includes("noreclaim") ? "memalloc_noreclaim_save()" : "memalloc_nofs_save()";
}

/** The scope that made the old mask stricter: "memalloc_nofs_save()". */
function lostScope(was: { fs: boolean | null; io: boolean | null }): string {
  return was.io === false ? "memalloc_noio_save()" : "memalloc_nofs_save()";
}

/** The patch opens the same kind of scope around a call of this function elsewhere (the scope moved up, not away). */
function scopeMovedToCaller(a: ReclaimAnalysis, site: AllocSite, lost: string): boolean {
  const kind = lost.includes("noio") ? "noio" : "nofs";
  return a.post().some((v) => v.flow.events.some((e) => e.callee === site.fn.name && (e.state.mustScopes as string[]).includes(kind)));
}

function verdict(a: ReclaimAnalysis, site: AllocSite, relaxed: { was: string; now: string } | null, lost: string | null, workOf: () => string | null): Report {
  const fn = site.fn.name;
  const base = { file: site.fn.path, line: site.at, identifiers: [site.ev.callee, "GFP_NOFS", "GFP_KERNEL"] };
  const lock = site.hazards.find((h) => h.kind === "held-lock");
  const callers = a.callers(site.fn);
  const checkedCallers = callers.searched ? `${callers.paths.length} caller path${callers.paths.length === 1 ? "" : "s"}${callers.complete ? "" : " (not every caller is known: the function is exported or its address is taken)"}` : "";
  const dir = site.fn.path.replace(/\/[^/]*$/, "/");
  if (lost) {
    const v = lock && lock.kind === "held-lock"
      ? `${lockLabel(lock.held)} is held there; a deadlock if a reclaim path takes it`
      : a.mode === "diff"
        ? "safe only if nothing reclaim needs is held there; not checked without the source tree"
        : callers.paths.length === 0
          ? `no caller of ${fn}() was found in ${dir}${callers.complete ? "" : " (it is exported or its address is taken: its callers are elsewhere)"}, so what they hold is not known`
          : `checked ${checkedCallers}: no lock a reclaim-side function of ${dir} takes and no transaction handle without a NOFS scope is held`;
    return { ...base, messageId: "scopeRemoved", data: { kind: lost, fn, alloc: allocText(site), now: site.mask.name ?? site.mask.text, verdict: v }, unknowns: a.mode === "diff" ? ["the callers of " + fn + "() and what they hold"] : [] };
  }
  const r = relaxed!;
  if (lock && lock.kind === "held-lock") {
    const checked = a.mode === "diff" ? "not checked without the source tree" : `no reclaim-side function of ${dir} was found taking it within four calls`;
    return {
      ...base,
      messageId: "relaxedLock",
      data: { ...r, alloc: allocText(site), fn, lock: lockLabel(lock.held), where: lock.via ? `by ${chainText(lock.via)}` : `taken at line ${lock.held.line}`, checked },
      unknowns: [`whether a shrinker, eviction or writeback path takes ${lockLabel(lock.held)}`],
    };
  }
  if (a.mode === "diff" || (!site.fn.whole && !a.readInTree(site.fn))) {
    const whyNot = a.mode === "diff" ? "without the source tree" : `(the patch does not apply to the tree, so ${fn}() is read from the diff alone)`;
    return { ...base, messageId: "relaxedUnknown", data: { ...r, alloc: allocText(site), fn, whyNot }, unknowns: [`what the callers of ${fn}() hold`, `the role of ${fn}() in the IO path`] };
  }
  // a patch the tree does not apply to: the callers checked are those of the tree's version of the function
  const where = site.fn.whole ? "" : " in the source tree's version of the code (the patch does not apply to it)";
  // no caller: work of a queue starts with nothing held; otherwise nothing was checked, say what is unknown
  const work = callers.paths.length === 0 ? workOf() : null;
  if (work) return { ...base, messageId: "relaxedChecked", data: { ...r, alloc: allocText(site), fn, callers: `no caller: ${fn}() runs as ${work}, which starts with nothing held${where}`, dir } };
  if (callers.paths.length === 0) {
    const whyNot = `(no caller of ${fn}() was found in ${dir}${where}${callers.complete ? "" : "; it is exported or its address is taken, so its callers are elsewhere"})`;
    return { ...base, messageId: "relaxedUnknown", data: { ...r, alloc: allocText(site), fn, whyNot }, unknowns: [`what the callers of ${fn}() hold`] };
  }
  return { ...base, messageId: "relaxedChecked", data: { ...r, alloc: allocText(site), fn, callers: `${checkedCallers || "no callers"}${where}`, dir } };
}

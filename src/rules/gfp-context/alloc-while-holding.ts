// alloc-while-holding: an allocation that may enter filesystem or IO reclaim
// while holding something reclaim needs: a lock that a shrinker, inode
// eviction, folio release or writeback path of the same code takes (the
// static version of lockdep's fs_reclaim cycle), a transaction or journal
// handle that carries no NOFS scope (reclaim's eviction starts or joins a
// handle of the same filesystem and waits for the commit that waits for this
// one), or a frozen request queue (reclaim's IO to it waits for the unfreeze).
// What is held comes from the function's own paths and from its callers.
// A call through a pointer under something held is judged by its targets
// when the tree shows them (the analysis resolves `recv->F()` by the code's
// own initialisers); a queue frozen across one whose targets are not known
// is said at info: what the targets do is the missing fact.
import { ioPathTaker, lockLabel, reclaimAnalysis, touchesLines, type AllocSite, type Hazard } from "../../context/reclaim.js";
import type { Report, Rule } from "../../types.js";
import { LOCK_CALLS, allocationNeedles } from "../../vocab/kernel-api.js";
import { allocText, alreadyText, freezeState, handleText, handleWhere, heldWhere, takerText } from "../util/phrases.js";
import { heldTakenByPatch } from "../util/sites.js";
import { HISTORY } from "../../vocab/history.js";

type Held = Exclude<Hazard, { kind: "role" } | { kind: "fence" }>;

export const rule: Rule = {
  meta: {
    id: "alloc-while-holding",
    class: "gfp-context",
    severity: "warning",
    description:
      "An allocation that may enter FS/IO reclaim while holding a lock reclaim takes, a transaction handle without a NOFS scope, or a frozen queue",
    docs: {
      why:
        "Reclaim runs shrinkers, evicts inodes, releases folios and writes back. If an allocation may enter that " +
        "reclaim (GFP_KERNEL, or any mask with __GFP_FS) while its caller holds a lock one of those paths takes, " +
        "the two wait for each other: lockdep reports it as a fs_reclaim dependency. A transaction handle is the " +
        "same: eviction starts or joins a transaction, which waits for the running one to commit, which waits for " +
        "the handle held here. Some handles carry a NOFS scope for their lifetime (their start saves one into the handle: read from the tree); others do not. A frozen " +
        "queue holds back all IO to the device, including the writeback reclaim may wait for.",
      fix:
        "Use GFP_NOFS (GFP_NOIO under a frozen queue) for this allocation, or better open memalloc_nofs_save() " +
        "(memalloc_noio_save()) where the lock is taken or the handle started, so everything under it is covered; " +
        "or allocate before taking the lock.",
      quiet:
        "Locks no reclaim-side path of the code takes (with a source tree; without one the missing fact is said " +
        "at info only when the patch relaxed a mask), handles that carry a NOFS scope, spinlocks (an allocation " +
        "under a spinlock must not sleep at all: a different bug), masks without __GFP_FS, and allocations the " +
        "patch only moved. A lock a caller holds around an allocation made only while its field is empty " +
        "(`if (!x->buf)`) is said at info: that caller's call may not be the first use.",
    },
    messages: {
      lockTaken:
        "{{alloc}} in {{fn}}() while {{lock}} is held ({{where}}): reclaim may call into code that takes the same lock, {{taker}}",
      lockUnderFreeze:
        "{{alloc}} in {{fn}}() while {{lock}} is held ({{where}}): {{taker}}",
      lockOnIoPath:
        "{{alloc}} in {{fn}}() while {{lock}} is held ({{where}}): {{taker}}, so an allocation that may start IO from reclaim under it can wait for itself",
      handle:
        "{{alloc}} in {{fn}}() while {{handle}} is held ({{where}}), and that handle sets no NOFS scope ({{scopeWhere}}): reclaim may evict an inode of this filesystem, which starts or joins a transaction and waits for the commit that waits for this handle",
      frozenIndirect:
        "{{queue}} is {{state}} ({{where}}) across ->{{call}}() in {{fn}}(), a call through a pointer whose targets are not visible here: any of them that allocates with IO allowed, loads a module or waits for IO to this queue deadlocks, since that IO waits for the {{undo}}",
      frozenIndirectChecked:
        "{{queue}} is {{state}} ({{where}}) across {{call}}() in {{fn}}(): {{targets}} registered as {{struct}}.{{field}} in this directory were followed three calls down, and none allocates with IO allowed where the calls could be followed; not checked: whether any of them loads a module or waits for IO to this queue, which would deadlock on the {{undo}}",
      frozen:
        "{{alloc}} in {{fn}}() while {{queue}} is {{state}} ({{where}}): reclaim may write back to (or wait on IO of) this device, and that IO waits until it is {{until}}",
      stillAllowed:
        "{{was}} -> {{now}} for {{alloc}} in {{fn}}() is not enough: {{state}} here ({{where}}) and {{now}} still lets reclaim {{what}}; {{why}}",
    },
    knowledge: ["memalloc-nofs-api-2017", "gfp-fs-io-doc", HISTORY.transactionNofs],
    scope: "line",
    // allocations, and queue freezes (a freeze across a call through a pointer is said without one in view)
    needles: [...allocationNeedles(), ...Object.entries(LOCK_CALLS).filter(([, l]) => l.kind === "freeze" && l.op === "acquire").map(([n]) => n)],
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    const reports: Report[] = [];
    const seen = new Set<string>();
    for (const site of a.allocations()) {
      // the patch adds the allocation, or takes the lock / starts the handle / freezes the queue around an existing one
      const heldAdded = (h: Held) => heldTakenByPatch(a.changedIn(site.fn), h);
      const held = site.hazards.filter((h): h is Held => h.kind !== "role" && h.kind !== "fence" && (h.kind !== "held-lock" || h.taker !== null));
      const fresh = site.added && !a.unchanged(site);
      // the patch changed this allocation's mask (stricter, so "unchanged" above) and what is held still needs a stricter one
      const was = site.added && !fresh ? a.before(site) : null;
      // (a mask written otherwise that clears no more, `GFP_KERNEL` -> `GFP_KERNEL | __GFP_ZERO`, is no retuning: the
      // allocation's context is what it was)
      const retuned =
        was !== null &&
        was.info.kind === "alloc" &&
        norm(was.info.gfpText) !== norm(site.ev.info.kind === "alloc" ? site.ev.info.gfpText : null) &&
        clearsMore(site.mask, was.info.mask);
      const first = fresh || retuned ? held[0] : held.find(heldAdded);
      if (!first) continue;
      const r =
        retuned && was.info.kind === "alloc"
          ? stillAllowed(site, first, was.info.mask.name ?? was.info.mask.text)
          : report(site, first, fresh ? site.at : (first as { held: { line: number } }).held.line);
      if (!r) continue;
      // held by a caller, around an allocation made only while its field is empty: first use (set-up) may be the
      // only path that allocates, and whether that caller's call is first use is not known
      const once = fresh && !retuned && first.via !== null ? a.fieldGuard(site) : null;
      if (once) {
        r.severity = "info";
        r.unknowns = [...(r.unknowns ?? []), `whether ${once.field} is empty when ${first.via![0]}() gets here: ${once.why}`];
      }
      // a site the patch adds to a hazard the function had: an allocation before it on every path, under the same
      // things held, already allocates so
      const already = fresh && !retuned ? a.alreadyAllocating(site) : null;
      if (already) {
        r.preExisting = true;
        r.preExistingWhy = alreadyText(site, already);
      }
      const k = `${r.file}:${r.line}`;
      if (seen.has(k)) continue;
      seen.add(k);
      reports.push(r);
    }
    // a queue frozen across a call through a pointer whose targets are not known (or none allocates where the
    // analysis could follow it): said at info, once per freeze
    for (const v of a.post()) {
      const changed = a.changedIn(v);
      for (const e of v.flow.events) {
        if (e.info.kind !== "call" || !e.callee.startsWith("->")) continue;
        const fz = e.state.held.find((h) => h.must && h.entry.what === "lock" && h.entry.lock === "freeze");
        if (!fz || e.state.mustScopes.includes("noio")) continue;
        if (!changed.has(fz.entry.line) && !touchesLines(changed, e.line, e.endLine ?? e.line)) continue;
        const line = changed.has(fz.entry.line) ? fz.entry.line : e.line;
        const k = `${v.path}:${line}`;
        if (seen.has(k)) continue;
        seen.add(k);
        const queue = lockLabel(fz.entry);
        const st = freezeState(fz.entry);
        const targets = a.pointerTargets(v, e);
        if (targets.fns.length > 0) {
          const field = e.callee.slice(2);
          const call = `${e.receiver ?? ""}${e.callee}`;
          const names = targets.fns.length <= 3 ? targets.fns.map((t) => `${t}()`).join(", ") : `${targets.fns.slice(0, 3).map((t) => `${t}()`).join(", ")} and ${targets.fns.length - 3} more`;
          reports.push({
            file: v.path,
            line,
            severity: "info",
            identifiers: [field, "blk_mq_freeze_queue"],
            messageId: "frozenIndirectChecked",
            data: { queue, state: st.is, undo: st.undo, where: heldWhere(fz.entry, null), call, fn: v.name, targets: `the ${targets.fns.length === 1 ? "function" : `${targets.fns.length} functions`} ${names}`, struct: targets.struct, field },
            fix: `Nothing to change for allocations; if a target loads a module or waits for IO to ${queue}, do that before ${fz.entry.api ?? "the freeze"}() (or open memalloc_noio_save() there and restore it after the ${st.undo}).`,
            chain: [`${v.name}()`, `${queue} ${st.is}`, `${call}()`],
            unknowns: [`whether a target of ${call}() loads a module or waits for IO to ${queue}`],
            cite: ["memalloc-noio-2013"],
          });
          continue;
        }
        reports.push({
          file: v.path,
          line,
          severity: "info",
          identifiers: [e.callee.slice(2), "blk_mq_freeze_queue"],
          messageId: "frozenIndirect",
          data: { queue, state: st.is, undo: st.undo, where: heldWhere(fz.entry, null), call: `${e.callee.slice(2)}`, fn: v.name },
          fix: `Open memalloc_noio_save() where ${queue} is ${st.is} and restore it after the ${st.undo}, so every target of ->${e.callee.slice(2)} is covered; or ${st.is === "frozen" ? "freeze" : `call ${fz.entry.api ?? "it"}()`} only in the targets that need it.`,
          chain: [`${v.name}()`, `${queue} ${st.is}`, `${e.callee}()`],
          unknowns: [`which functions ${e.callee} can be, and whether any of them allocates with IO allowed, loads a module or waits for IO to ${queue}`],
          cite: ["memalloc-noio-2013"],
        });
      }
    }
    return reports;
  },
};



const norm = (s: string | null | undefined) => (s ?? "").replace(/\s+/g, "");

/** The patch retuned the mask, and the new one still allows the recursion what is held makes a deadlock. */
function stillAllowed(site: AllocSite, h: Held, was: string): Report | null {
  const frozen = h.kind === "frozen";
  // a lock that is taken inside a queue freeze elsewhere, or on the IO path: IO reclaim is what waits on it
  const viaFreeze = h.kind === "held-lock" && h.taker !== null && (h.taker.underFreeze !== undefined || ioPathTaker(h.taker));
  const bit = frozen || viaFreeze ? site.effective.io : site.effective.fs;
  if (bit !== true) return null;
  const now = site.mask.name ?? site.mask.text;
  const heldText = h.kind === "held-handle" ? handleText(h) : lockLabel(h.held!);
  const where = h.kind === "held-handle" ? handleWhere(h) : heldWhere(h.held!, h.via);
  const st = frozen ? freezeState(h.held!) : null;
  const why = st
    ? `reclaim's writeback to this device waits until it is ${st.until}, so the mask must also drop __GFP_IO (GFP_NOIO)`
    : viaFreeze
      ? `${takerText(h.taker!)}, so the mask must also drop __GFP_IO (GFP_NOIO)`
      : h.kind === "held-lock"
      ? `reclaim may call into code that takes the same lock, ${takerText(h.taker!)}`
      : "eviction starts or joins a transaction that waits for this handle";
  const fix = st
    ? `Use GFP_NOIO here, or open memalloc_noio_save() where ${lockLabel(h.held!)} is ${st.is} and restore it after the ${st.undo}.`
    : viaFreeze
    ? `Use GFP_NOIO here, or open memalloc_noio_save() where ${heldText} is taken.`
    : `Use GFP_NOFS here, or open memalloc_nofs_save() where ${heldText} is taken.`;
  return {
    file: site.fn.path,
    line: site.at,
    identifiers: [site.ev.callee, now, frozen ? "GFP_NOIO" : "GFP_NOFS"],
    messageId: "stillAllowed",
    data: { was, now, alloc: allocText(site), fn: site.fn.name, state: st ? `${heldText} is ${st.is}` : `${heldText} is held`, where, what: frozen || viaFreeze ? "start IO" : "call into the filesystem", why },
    fix,
    chain: [...(("via" in h && h.via) || [site.fn.name]).map((f) => `${f}()`), st ? `${lockLabel(h.held!)} ${st.is}` : heldText, allocText(site)],
    ...(frozen ? { cite: ["memalloc-noio-2013"] } : {}),
  };
}

function report(site: AllocSite, h: Held, at: number): Report {
  const fn = site.fn.name;
  const bit = h.kind === "frozen" ? site.effective.io : site.effective.fs;
  // a mask that is not known to allow the recursion (a parameter no caller resolved): say what is missing, at info
  const unsure = bit !== true ? { severity: "info" as const } : {};
  const base = { file: site.fn.path, line: at, identifiers: [site.ev.callee, site.mask.name ?? "GFP_KERNEL"], ...unsure };
  const unknowns = site.entryUnknown ? [`whether a memalloc_nofs_save() scope is open above the lines shown (the start of ${fn}() is not in the patch)`] : [];
  if (bit !== true) unknowns.push(`the mask ${site.mask.text}: what the callers of ${fn}() pass`);
  const chain = [...(("via" in h && h.via) || [fn]).map((f) => `${f}()`), allocText(site)];
  if (h.kind === "held-lock" && (h.taker!.underFreeze || ioPathTaker(h.taker!))) {
    const t = h.taker!;
    const io = site.effective.io;
    // taken only in a branch calls below the IO-path entry: whether the IO reclaim waits for gets there is not known
    const deepConditional = !t.underFreeze && (t.conds?.length ?? 0) > 0 && t.chain.length > 2;
    if (deepConditional) unknowns.push(`whether ${t.conds!.join(" && ")} can hold on the IO path through ${t.role!.root}() (${t.chain[t.chain.length - 2]}() takes the lock only then)`);
    return {
      ...base,
      // the IO bit decides here (GFP_NOFS still starts IO), whatever the FS bit made of the base
      severity: io !== true || deepConditional ? ("info" as const) : ("warning" as const),
      messageId: t.underFreeze ? "lockUnderFreeze" : "lockOnIoPath",
      data: { alloc: allocAt(site, at), fn, lock: lockLabel(h.held), where: heldWhere(h.held, h.via), taker: takerText(t) },
      fix: `Allocate before taking ${lockLabel(h.held)}, use GFP_NOIO here, or open memalloc_noio_save() where ${lockLabel(h.held)} is taken so everything under it is covered.`,
      chain: [...chain, "reclaim", t.underFreeze ? `IO to ${t.underFreeze.frozen.key?.expr ?? "the queue"} (${freezeState(t.underFreeze.frozen).is})` : "IO", ...t.chain],
      cite: ["memalloc-noio-2013"],
      ...(unknowns.length || io !== true ? { unknowns: [...unknowns.filter((u) => !u.startsWith("the mask")).map((u) => u.replace("nofs", "noio")), ...(io !== true ? [`the mask ${site.mask.text}: what the callers of ${fn}() pass`] : [])] } : {}),
    };
  }
  if (h.kind === "held-lock") {
    // a lock the reclaim side takes only under a condition, calls below the entry reclaim runs: whether reclaim gets
    // there is not established (an error branch, a mode), so the finding says so at info
    const t = h.taker!;
    const deepConditional = (t.conds?.length ?? 0) > 0 && t.chain.length > 2;
    if (deepConditional) unknowns.push(`whether ${t.conds!.join(" && ")} can hold when reclaim runs ${t.role!.root}() (${t.chain[t.chain.length - 2]}() takes the lock only then)`);
    return {
      ...base,
      ...(deepConditional ? { severity: "info" as const } : {}),
      messageId: "lockTaken",
      data: { alloc: allocAt(site, at), fn, lock: lockLabel(h.held), where: heldWhere(h.held, h.via), taker: takerText(h.taker!) },
      fix: `Allocate before taking ${lockLabel(h.held)}, use GFP_NOFS here, or open memalloc_nofs_save() where ${lockLabel(h.held)} is taken so everything under it is covered.`,
      chain: [...chain, "reclaim", ...h.taker!.chain],
      ...(unknowns.length ? { unknowns } : {}),
    };
  }
  if (h.kind === "held-handle") {
    const handle = handleText(h);
    const where = handleWhere(h);
    return {
      ...base,
      messageId: "handle",
      data: { alloc: allocAt(site, at), fn, handle, where, scopeWhere: `${h.scope.how === "tree" ? "found in the tree" : "in linux-6.12"}: ${h.scope.where}` },
      fix: "Use GFP_NOFS here, or open memalloc_nofs_save() for the lifetime of the handle (where the transaction starts) so every allocation under it is NOFS.",
      chain,
      cite: [HISTORY.transactionNofs, "memalloc-nofs-api-2017"],
      ...(unknowns.length ? { unknowns } : {}),
    };
  }
  // (a quiesce stops dispatch rather than entry, a suspended md array holds its IO: the words follow the call that did it)
  const st = freezeState(h.held);
  return {
    ...base,
    messageId: "frozen",
    data: { alloc: allocAt(site, at), fn, queue: lockLabel(h.held), where: heldWhere(h.held, h.via), state: st.is, until: st.until },
    fix: `Use GFP_NOIO here, or open memalloc_noio_save() where ${lockLabel(h.held)} is ${st.is} and restore it after the ${st.undo}.`,
    chain: [...chain.slice(0, -1), `${lockLabel(h.held)} ${st.is}`, chain[chain.length - 1]!],
    cite: ["memalloc-noio-2013"],
    ...(unknowns.length ? { unknowns: unknowns.map((u) => u.replace("nofs", "noio")) } : {}),
  };
}


/** The allocation, with its line when the finding sits on the line that takes what is held. */
function allocAt(site: AllocSite, at: number): string {
  return at === site.at ? allocText(site) : `${allocText(site)} at line ${site.ev.line}`;
}

/** `now` clears a reclaim bit `was` did not: direct reclaim, IO or the filesystem. */
function clearsMore(now: { reclaim: boolean | null; io: boolean | null; fs: boolean | null }, was: { reclaim: boolean | null; io: boolean | null; fs: boolean | null }): boolean {
  return (was.reclaim !== false && now.reclaim === false) || (was.io !== false && now.io === false) || (was.fs !== false && now.fs === false);
}

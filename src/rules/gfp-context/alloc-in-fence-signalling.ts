// alloc-in-fence-signalling: an allocation that may reclaim directly inside a
// dma-fence signalling section (between dma_fence_begin_signalling() and
// dma_fence_end_signalling(), in the function or in a caller), or in code a
// fence needs to be signalled by its role (a GPU scheduler's run_job or
// timeout handler, from the ops table or the signature, and what they call
// a few calls down). Drivers may
// wait for fences from their shrinkers and mmu notifiers, so code a fence
// needs to be signalled must not wait for reclaim: GFP_KERNEL reaches the
// shrinkers, and with mmu notifiers GFP_NOFS and GFP_NOIO reach them too
// (fs_reclaim_acquire() takes the mmu notifier map for any mask that may
// reclaim). The section is the fact: no driver or function name decides.
import { reclaimAnalysis, type AllocSite, type FnView, type Hazard } from "../../context/reclaim.js";
import type { Report, Rule } from "../../types.js";
import { FENCE_FORBIDDEN_LOCKS, LOCK_CALLS, RECLAIM_WAITS_FOR_FENCES, allocationNeedles, type Role } from "../../vocab/kernel-api.js";
import type { FlowEvent } from "../../context/flow.js";
import { allocText, chainText, heldWhere } from "../util/phrases.js";
import { HISTORY } from "../../vocab/history.js";

type Fence = Extract<Hazard, { kind: "fence" }>;
type FenceRole = Extract<Hazard, { kind: "role" }>;

const FENCE_ROLES: ReadonlySet<Role> = new Set(["fence-signal"]);
const SECTION_CALLS = Object.entries(LOCK_CALLS).filter(([, l]) => l.kind === "fence").map(([n]) => n);

export const rule: Rule = {
  meta: {
    id: "alloc-in-fence-signalling",
    class: "gfp-context",
    severity: "warning",
    description:
      "An allocation that may reclaim, or a reservation lock taken, in code a dma-fence needs: a signalling section (dma_fence_begin_signalling() ... dma_fence_end_signalling()) or a GPU scheduler's run_job/timedout_job and what they call",
    docs: {
      why:
        "Code between dma_fence_begin_signalling() and dma_fence_end_signalling() is what a fence needs to be signalled. " +
        "Drivers may wait for fences from their shrinkers and mmu notifiers (the cross-driver contract of " +
        "drivers/dma-buf/dma-fence.c), so an allocation there that enters direct reclaim may wait for the fence it is " +
        "on the way to signal. lockdep knows: dma_resv_lockdep() primes reclaim waiting for fences at boot, and " +
        "fs_reclaim_acquire() takes the mmu notifier map for every allocation that may reclaim, so GFP_NOFS and " +
        `GFP_NOIO are reported as well as GFP_KERNEL (${RECLAIM_WAITS_FOR_FENCES.src}). A scheduler's run_job is ` +
        "code its job's fence needs (the fence is published before it runs), and so is the timeout handler that " +
        "recovers a hung job. Drivers may also wait for fences while holding a buffer's reservation lock, so that " +
        "code must not take one either.",
      fix:
        "Allocate before the section, before the fence is visible to others (at job submission), or use GFP_NOWAIT " +
        "(GFP_ATOMIC) and handle the failure.",
      quiet:
        "Masks that cannot reclaim directly (GFP_NOWAIT, GFP_ATOMIC), allocations under a PF_MEMALLOC scope, " +
        "allocations the patch did not add inside a section it did not open, reservation locks taken with " +
        "dma_resv_trylock() or moved rather than added, and an allocation under a spinlock inside the section " +
        "(sleeping in atomic context is a different bug). In an audit, chains more than two calls below the " +
        "handler are info. A section the patch opens with nothing found inside it is said at info (what lockdep will check from now on).",
    },
    messages: {
      fsReclaim:
        "{{alloc}} in {{fn}}() inside a dma-fence signalling section ({{where}}): reclaim may run shrinkers that wait for fences (dma_fence_wait()), and this code is what the fence needs to be signalled",
      directReclaim:
        "{{alloc}} in {{fn}}() inside a dma-fence signalling section ({{where}}): {{mask}} keeps direct reclaim, and mmu notifiers may wait for fences there (lockdep reports any allocation that may reclaim in this section)",
      resvInFence:
        "{{call}}({{lock}}) in {{fn}}(), {{how}}: drivers may wait for fences while holding a reservation lock, so code a fence needs must not take one (it can wait for the fence it is on the way to signal)",
      resvLeftFence:
        "{{fn}}() ({{how}}) no longer calls {{call}}(): code a fence needs stays free of reservation locks, as the dma-fence contract asks",
      sectionOpened:
        "{{fn}}() now opens a dma-fence signalling section ({{call}}() at line {{line}}{{until}}): the code in it is what a fence needs to be signalled, so from now on lockdep reports any allocation in it that may reclaim and any reservation lock it takes",
      role:
        "{{alloc}} in {{fn}}(), which {{how}}: the fence of the job depends on this code, and drivers' shrinkers and mmu notifiers may wait for fences, so an allocation that may reclaim here can wait for the fence it is on the way to signal",
    },
    knowledge: ["dma-fence-signalling-2020", "gfp-fs-io-doc"],
    scope: "line",
    needles: [...allocationNeedles(), ...SECTION_CALLS, ...Object.keys(FENCE_FORBIDDEN_LOCKS), "run_job", "timedout_job", "drm_sched_job"],
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    const reports: Report[] = [];
    const seen = new Set<string>();
    for (const site of a.allocations()) {
      const r = site.hazards.find((x): x is FenceRole => x.kind === "role" && FENCE_ROLES.has(x.role.role));
      if (r && site.added && !a.unchanged(site)) {
        const k = `${site.fn.path}:${site.at}`;
        if (!seen.has(k)) {
          seen.add(k);
          reports.push(roleReport(site, r, a.mode === "audit"));
        }
        continue;
      }
      const h = site.hazards.find((x): x is Fence => x.kind === "fence");
      if (!h) continue;
      // the patch adds the allocation, or opens the section around an existing one
      const opened = h.via === null && a.changedIn(site.fn).has(h.held.line);
      const fresh = site.added && !a.unchanged(site);
      if (!fresh && !opened) continue;
      const at = fresh ? site.at : h.held.line;
      const k = `${site.fn.path}:${at}`;
      if (seen.has(k)) continue;
      seen.add(k);
      reports.push(report(site, h, at));
    }
    // a reservation lock taken (or no longer taken) in code a fence needs
    const forbidden = (e: FlowEvent) => e.info.kind === "lock" && e.info.op === "acquire" && (FENCE_FORBIDDEN_LOCKS[e.callee] !== undefined || (e.info.base !== undefined && FENCE_FORBIDDEN_LOCKS[e.info.base] !== undefined));
    const fenceCode = (v: FnView, e: FlowEvent | null): { how: string; chain: string[] } | null => {
      const section = e?.state.held.find((h) => h.must && h.entry.what === "lock" && h.entry.lock === "fence");
      if (section) return { how: `inside the dma-fence signalling section opened at line ${section.entry.line}`, chain: [`${v.name}()`] };
      const role = a.roleOf(v);
      if (role && FENCE_ROLES.has(role.role)) return { how: role.chain.length > 1 ? `which ${role.root}() (${role.label}) reaches: ${chainText(role.chain)}` : `${role.label}`, chain: role.chain.map((f) => `${f}()`) };
      return null;
    };
    const norm = (x: string) => x.replace(/\s+/g, "");
    for (const v of a.post()) {
      const changed = a.changedIn(v);
      if (changed.size === 0) continue;
      // (the old side of this function only: the pre-image of the whole patch is not walked for this)
      let before: FlowEvent[] | null = null;
      for (const e of v.flow.events) {
        if (!changed.has(e.line) || !forbidden(e)) continue;
        before ??= a.preViewsOf(v.path, v.name).flatMap((p) => p.flow.events.filter(forbidden));
        // the same call on the old side: moved, not added
        if (before.some((b) => b.callee === e.callee && norm(b.args.join(",")) === norm(e.args.join(",")))) continue;
        const where = fenceCode(v, e);
        if (!where) continue;
        const k = `${v.path}:${e.line}`;
        if (seen.has(k)) continue;
        seen.add(k);
        reports.push({
          file: v.path,
          line: e.line,
          identifiers: [e.callee, ...(e.info.kind === "lock" && e.info.base ? [e.info.base] : [])],
          messageId: "resvInFence",
          data: { call: e.callee, lock: e.info.kind === "lock" ? e.info.key.expr : "", fn: v.name, how: where.how },
          fix: "Take the reservation locks when the job is prepared (before its fence is published) and keep what the fence needs free of them; or use dma_resv_trylock() and handle failure without waiting.",
          chain: [...where.chain, `${e.callee}(${e.info.kind === "lock" ? e.info.key.expr : ""})`],
          cite: ["dma-fence-signalling-2020"],
        });
      }
    }
    // the patch opens a section (topic recognition: an annotation that makes lockdep check what runs inside it)
    if (a.mode !== "audit")
      for (const v of a.post()) {
        const changed = a.changedIn(v);
        const open = v.flow.events.find((e) => changed.has(e.line) && e.info.kind === "lock" && e.info.lock === "fence" && e.info.op === "acquire");
        if (!open) continue;
        const close = v.flow.events.find((e) => e.line > open.line && e.info.kind === "lock" && e.info.lock === "fence" && e.info.op === "release");
        // findings inside the section already say what it means
        if (reports.some((r) => r.file === v.path && r.line !== null && r.line >= open.line && (!close || r.line <= close.line))) continue;
        reports.push({
          file: v.path,
          line: open.line,
          identifiers: [open.callee],
          messageId: "sectionOpened",
          severity: "info",
          data: {
            fn: v.name,
            call: open.callee,
            line: open.line,
            until: close ? `, closed at line ${close.line}` : "",
          },
          fix: "Keep allocations that may reclaim and reservation locks out of the section: allocate and lock when the job is prepared, before its fence is published.",
          chain: [`${v.name}()`, `${open.callee}()`],
          cite: ["dma-fence-signalling-2020"],
        });
      }
    const askedLeft = new Set<string>();
    // only a patch that deletes a call of a reservation lock (or of a wrapper ending in one) can take one out
    const deletes = ctx.patch.files.some((f) => {
      const deleted = f.hunks.flatMap((h) => h.lines.filter((l) => l.kind === "del").map((l) => l.text));
      if (deleted.length === 0) return false;
      const names = [...Object.keys(FENCE_FORBIDDEN_LOCKS), ...[...(a.wrappersOf(f.path) ?? [])].filter(([, w]) => FENCE_FORBIDDEN_LOCKS[w.base] !== undefined).map(([n]) => n)];
      return deleted.some((t) => names.some((n) => t.includes(n)));
    });
    for (const v of deletes ? a.post() : []) {
      const key = `${v.path}:${v.name}`;
      if (askedLeft.has(key) || a.changedIn(v).size === 0 || v.name === "?") continue;
      askedLeft.add(key);
      const post = a.post().filter((x) => x.path === v.path && x.name === v.name);
      if (post.some((x) => x.flow.events.some(forbidden))) continue;
      const where = fenceCode(v, null);
      if (!where) continue;
      const pv = a.preViewsOf(v.path, v.name).find((x) => x.flow.events.some((e) => x.changed.has(e.line) && forbidden(e)));
      const gone = pv?.flow.events.find((e) => pv.changed.has(e.line) && forbidden(e));
      if (!pv || !gone) continue;
      reports.push({
        file: post[0]!.path,
        line: [...a.changedIn(post[0]!)].sort((x, y) => x - y)[0] ?? post[0]!.flow.start,
        severity: "info",
        identifiers: [gone.callee, pv.name],
        messageId: "resvLeftFence",
        data: { call: gone.callee, fn: pv.name, how: where.how },
        chain: [...where.chain],
        cite: ["dma-fence-signalling-2020"],
      });
    }
    return reports;
  },
};

function report(site: AllocSite, h: Fence, at: number): Report {
  const fn = site.fn.name;
  const alloc = at === site.at ? allocText(site) : `${allocText(site)} at line ${site.ev.line}`;
  const mask = site.mask.name ?? site.mask.text;
  // the reclaim bit is known here (the analysis records no hazard when it is clear); FS reclaim may not be
  const fs = h.fs && site.effective.fs === true;
  const unknowns = site.entryUnknown ? [`whether a PF_MEMALLOC or GFP_NOWAIT context is in force above the lines shown (the start of ${fn}() is not in the patch)`] : [];
  return {
    file: site.fn.path,
    line: at,
    identifiers: [site.ev.callee, mask, "dma_fence_begin_signalling"],
    messageId: fs ? "fsReclaim" : "directReclaim",
    data: { alloc, fn, where: heldWhere(h.held, h.via, "opened"), mask },
    fix: "Allocate before dma_fence_begin_signalling() (before the fence is published, e.g. when the job is submitted), or use GFP_NOWAIT and handle the failure.",
    chain: [...(h.via ?? [fn]).map((f) => `${f}()`), "dma_fence_begin_signalling()", allocText(site), "reclaim", "dma_fence_wait()"],
    cite: ["dma-fence-signalling-2020"],
    ...(unknowns.length ? { unknowns } : {}),
  };
}

/** An allocation in code a fence needs (by the role of the function or of a caller a few calls up). */
function roleReport(site: AllocSite, h: FenceRole, audit: boolean): Report {
  const fn = site.fn.name;
  // an audit keeps warnings to two calls below the handler: deeper chains more often pass a branch (a mode, a
  // multi-device setup) the handler's path does not take, which is said instead
  const deep = audit && h.role.chain.length > 3;
  const mask = site.mask.name ?? site.mask.text;
  const direct = h.role.chain.length <= 1;
  const how = direct ? `is ${h.role.label}` : `${h.role.root}() (${h.role.label}) reaches: ${chainText(h.role.chain)}`;
  const unknowns: string[] = [];
  if (!h.maskKnown) unknowns.push(`the mask ${site.mask.text}: what the callers of ${fn}() pass`);
  if (deep) unknowns.push(`whether ${h.role.root}() reaches ${fn}() on its usual path (${h.role.chain.length - 1} calls below it)`);
  if (site.entryUnknown) unknowns.push(`whether a PF_MEMALLOC or GFP_NOWAIT context is in force above the lines shown (the start of ${fn}() is not in the patch)`);
  return {
    file: site.fn.path,
    line: site.at,
    identifiers: [site.ev.callee, mask, h.role.root],
    messageId: "role",
    data: { alloc: allocText(site, h.maskFrom ?? site.maskFrom), fn, how },
    fix: `Allocate when the job is created or submitted, before its fence is published (and keep the result in the job), or use GFP_NOWAIT here and handle the failure.`,
    chain: [...h.role.chain.map((f) => `${f}()`), allocText(site, h.maskFrom ?? site.maskFrom), "reclaim", "dma_fence_wait()"],
    cite: ["dma-fence-signalling-2020", HISTORY.schedulerQueueReclaim],
    ...(h.maskKnown && !deep ? {} : { severity: "info" as const }),
    ...(unknowns.length ? { unknowns } : {}),
  };
}

// How findings name what the analysis found: an allocation with its mask, a
// role with where it was registered, a held lock or handle and who took it,
// a call chain. Shared wording, so every rule says these the same way.
import type { AllocSite, ReclaimTaker, RoleFact } from "../../context/reclaim.js";
import { ioPathTaker, lockLabel } from "../../context/reclaim.js";
import type { HeldEntry } from "../../context/flow.js";
import { FROZEN_STATE, LOCK_CALLS, ROLE_NEEDS } from "../../vocab/kernel-api.js";

/** "kzalloc(GFP_KERNEL)", "vmalloc() (always GFP_KERNEL)", "kmalloc(gfp)". */
export function allocText(site: AllocSite, maskFrom: string | null = site.maskFrom): string {
  const ev = site.ev;
  if (site.pointer && site.through)
    return `${site.pointer.call}(), whose target ${site.pointer.target}() (registered as ${site.pointer.struct}.${site.pointer.field} in this directory) allocates with ${site.mask.text} (${site.through.join(" -> ")})`;
  if (site.through) return `${ev.callee}(), which allocates with ${site.mask.text} (${site.through.join(" -> ")})`;
  if (ev.info.implicit) return `${ev.callee}() (always GFP_KERNEL)`;
  if (ev.info.family === "passed") return `${ev.callee}(..., ${site.mask.text}, ...)${maskFrom ? ` (${maskFrom})` : ""}`;
  return `${ev.callee}(${site.mask.text})${maskFrom ? ` (${maskFrom})` : ""}`;
}

/** "virtscsi_device_reset() (scsi_host_template.eh_device_reset_handler)". */
export function roleText(role: RoleFact): string {
  return `${role.root}() (${role.label})`;
}

/** "virtscsi_device_reset -> virtscsi_tmf". */
export function chainText(chain: readonly string[]): string {
  return chain.join(" -> ");
}

export function roleWhy(role: RoleFact): string {
  return ROLE_NEEDS[role.role].why;
}

/** Where a held thing comes from: "at line 412" or "by the caller foo_setattr() (foo_ioctl -> ... )". */
export function heldWhere(h: { line: number; fromTree?: boolean; takenIn?: string; takenInFile?: string }, via: string[] | null, verb = "taken"): string {
  if (h.fromTree && via && via.length >= 2)
    return `${verb} by the caller ${h.takenIn ?? via[via.length - 2]}() at line ${h.line} of the source tree's version of the code, which the patch does not apply to (${chainText(via)})`;
  if (h.fromTree) return `${verb} at line ${h.line} of the source tree's version of this function, which the patch does not apply to`;
  if (!via || via.length < 2) return `${verb} at line ${h.line}`;
  return `${verb} by the caller ${h.takenIn ?? via[via.length - 2]}() at ${h.takenInFile ? `${h.takenInFile}:` : "line "}${h.line} (${chainText(via)})`;
}

/** How findings name the state a freeze left (frozen, quiesced, suspended), from the vocabulary entry of the call that did it. */
export function freezeState(held: HeldEntry): { is: string; until: string; undo: string } {
  return (held.api !== undefined ? LOCK_CALLS[held.api]?.state : undefined) ?? FROZEN_STATE;
}

/** "foo_evict_inode() (super_operations.evict_inode) takes it: foo_evict_inode -> ... -> mutex_lock". */
export function takerText(t: ReclaimTaker): string {
  if (t.primed) return `${t.primed.fn}() tells lockdep it is taken in reclaim (${t.chain[t.chain.length - 1]}() between fs_reclaim_acquire() and fs_reclaim_release(), ${t.file}:${t.line})`;
  if (t.underFreeze) {
    const st = freezeState(t.underFreeze.frozen);
    return `${t.underFreeze.fn}() takes it with ${t.underFreeze.frozen.key?.expr ?? "the request queue"} ${st.is} (${t.file}:${t.line}, ${st.is} at line ${t.underFreeze.frozen.line}): IO that reclaim issues there waits for the ${st.undo}, which waits for this lock`;
  }
  if (ioPathTaker(t))
    return `${t.role!.root}() (${t.role!.label}) takes it on the IO path: ${chainText(t.chain)} (${t.file}:${t.line}); reclaim may wait for IO that waits for this lock`;
  return `${t.role!.root}() (${t.role!.label}) takes it in reclaim: ${chainText(t.chain)} (${t.file}:${t.line})`;
}

/** An identifier as a message names it: one longer than 64 characters (generated or hostile input) is cut, with the length said. */
export function shownName(name: string): string {
  return name.length <= 64 ? name : `${name.slice(0, 48)}... (${name.length} characters)`;
}

/** Functions as a message lists them: "a(), b(), c(), d(), 2 more" (long names cut by shownName). */
export function callList(names: readonly string[], max = 4): string {
  const shown = names.slice(0, max).map((n) => `${shownName(n)}()`);
  return (names.length > max ? [...shown, `${names.length - max} more`] : shown).join(", ");
}

/** A transaction handle a site runs under: one held in the code shown, or one passed in (to the function, or to a caller). */
export function handleText(h: { held: HeldEntry | null; param?: string; paramOf?: string }): string {
  if (h.param && h.paramOf) return `the transaction handle "${h.param}" given to ${h.paramOf}()`;
  if (h.param) return `the transaction handle passed in as "${h.param}"`;
  return lockLabel(h.held!);
}

/** Where that handle comes from: "its callers hold it while they call", "the callers of foo() hold it (foo -> bar)", "taken at line N". */
export function handleWhere(h: { held: HeldEntry | null; via: string[] | null; param?: string; paramOf?: string }): string {
  if (h.param && h.paramOf) return `the callers of ${h.paramOf}() hold it while it runs: ${chainText(h.via ?? [])}`;
  if (h.param) return "its callers hold it while they call";
  return heldWhere(h.held!, h.via);
}

/** Why an added allocation is a pre-existing hazard (ReclaimAnalysis.alreadyAllocating()): the function's earlier one. */
export function alreadyText(site: AllocSite, already: { line: number; callee: string; inTree: boolean; from?: string; down?: true }): string {
  if (already.down)
    return `${already.from}(), which now calls ${site.fn.name}(), allocated so before the patch (${already.callee}() at line ${already.line} of the old version, which the patch deletes): the patch moves that allocation down into ${site.fn.name}(), not the hazard in`;
  if (already.from === site.fn.name)
    return `${site.fn.name}() allocated so before the patch (${already.callee}() at line ${already.line} of the old version, which the patch deletes): the patch restructures that allocation, not the context it runs in`;
  if (already.from)
    return `${site.fn.name}() allocated so before the patch, in ${already.from}() it calls (${already.callee}() at line ${already.line} of the old version, which the patch deletes): the patch moves that allocation up, not the hazard in`;
  return `${site.fn.name}() already allocates so at line ${already.line}${already.inTree ? " of the source tree's version" : ""} (${already.callee}()) on every path here: the patch adds a site to that hazard, not the hazard`;
}

/** Why an added allocation is a pre-existing hazard (ReclaimAnalysis.chainAllocating()): a link of its chain allocates so first. */
export function chainAlreadyText(above: { fn: string; line: number; callee: string; next: string; through?: string[] }): string {
  const what = above.through
    ? `calls ${above.callee}() at line ${above.line}, which allocates so (${above.through.join(" -> ")}),`
    : `already allocates so at line ${above.line} (${above.callee}())`;
  return `${above.fn}() ${what} before it calls ${above.next}() on this path: the patch adds a site to that hazard, not the hazard`;
}

/** What the sleeping allocation's atomic context is (AllocSite.atomic), for Report.also. */
export function atomicText(site: AllocSite): string | undefined {
  return site.atomic ? `${site.atomic.lock} is held here (taken at line ${site.atomic.line}): a sleeping allocation in atomic context is a bug of its own` : undefined;
}

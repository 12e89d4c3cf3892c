// scope-conversion: a patch that fixes a reclaim-recursion hazard with the
// memalloc scope API; recognise it, check the obvious and cite the history.
// A device's runtime-PM NOIO flag (the scope its runtime PM callbacks run
// under) set or cleared is recognised on its own.
import type { Report, Rule } from "../../types.js";
import { DEVICE_NOIO_FLAG, SCOPE_API_FILES } from "../../vocab/kernel-api.js";
import { reclaimAnalysis } from "../../context/reclaim.js";

const API_FILES = SCOPE_API_FILES.re;

export const rule: Rule = {
  meta: {
    id: "scope-conversion",
    class: "gfp-context",
    severity: "info",
    description: "A patch that adds memalloc_nofs/noio scopes (a reclaim-recursion fix): topic recognised, balance checked; a memalloc_noreclaim_save() scope, and a device's runtime-PM NOIO flag set or cleared, said on their own",
    docs: {
      why:
        "Marking the region that holds a transaction, a lock or an IO dependency with " +
        "memalloc_nofs_save()/memalloc_noio_save() is the documented way to stop reclaim recursion " +
        "(Documentation/core-api/gfp_mask-from-fs-io.rst). Such fixes go wrong in small ways: a " +
        "restore missed on an error path, a different variable restored, a worker the region waits " +
        "for left outside the scope. A device's runtime-PM NOIO flag (pm_runtime_set_memalloc_noio()) is the same " +
        "promise for its runtime suspend and resume callbacks (rpm_callback() opens the scope), and goes wrong the " +
        "same way: set where the device starts serving IO, not cleared on an error path or at removal.",
      fix:
        "Restore the saved value on every exit of the function, and make sure the scope " +
        "covers the worker tasks the protected region waits for, and add a comment naming the " +
        "reclaim context the scope protects against.",
      quiet:
        "Patches that add no scope, and the scope API's own files. When unbalanced-scope reports the " +
        "missing restore, the balance note points at that finding instead of repeating it.",
    },
    messages: {
      noreclaimAdded:
        "memalloc_noreclaim_save() in {{fn}}(): allocations below it do not enter reclaim at all and may take the emergency reserves (PF_MEMALLOC), which is for code that frees memory or that reclaim waits on; what runs under it must be bounded",
      deviceNoio:
        "{{fn}}() {{does}} the runtime-PM NOIO flag of {{dev}} ({{call}}(..., {{value}})): while it is set, the device's (and its parents') runtime suspend and resume callbacks run under memalloc_noio_save(), so their allocations cannot start IO that waits for this device; it belongs where the device starts serving IO and is cleared on every path that undoes that (error unwinding, removal)",
      scopeAdded:
        "reclaim-recursion fix with {{count}} memalloc_{{kinds}}_save() scope{{plural}}{{converted}}: {{balance}}; also check the scope covers any worker the protected region waits for",
    },
    knowledge: ["memalloc-nofs-api-2017", "memalloc-noio-2013", "gfp-fs-io-doc"],
    scope: "line",
    needles: ["memalloc_", ...Object.keys(DEVICE_NOIO_FLAG)],
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    const noreclaim: { path: string; line: number; fn: string }[] = [];
    const saves: { path: string; line: number; kind: string; fn: string; whole: boolean; problems: string[]; into: string | null; returned: boolean }[] = [];
    for (const v of a.post()) {
      if (API_FILES.test(v.path)) continue;
      for (const e of v.flow.events) {
        if (e.info.kind !== "scope" || e.info.op !== "save" || e.info.how !== "save" || !v.changed.has(e.line)) continue;
        const kind = e.info.scope.find((k) => k === "nofs" || k === "noio");
        if (!kind) {
          // no reclaim at all below it (PF_MEMALLOC): a different promise, said on its own
          if (e.info.scope.includes("noreclaim") && !noreclaim.some((n) => n.fn === v.name)) noreclaim.push({ path: v.path, line: e.line, fn: v.name });
          continue;
        }
        // what the path walk found about this save: exits that leave it open, restores that do not match
        const problems = v.flow.problems.filter((p) => p.save?.line === e.line || (p.kind !== "leak" && p.line > e.line)).map((p) => `line ${p.line}`);
        saves.push({ path: v.path, line: e.line, kind, fn: v.name, whole: v.flow.entryVisible && v.flow.endVisible, problems, into: e.info.into === "field" ? e.info.variable : null, returned: v.flow.returnsScope.includes(kind) });
      }
    }
    const out: Report[] = noreclaim.map((n) => ({
      file: n.path,
      line: n.line,
      severity: "info" as const,
      messageId: "noreclaimAdded",
      data: { fn: n.fn },
      identifiers: ["memalloc_noreclaim_save", n.fn],
      fix: `Keep what runs under the scope in ${n.fn}() short and bounded, and say in the changelog why it must make progress without reclaim (it frees memory, or reclaim waits on it).`,
    }));
    // a device's runtime-PM NOIO flag set or cleared (the scope its runtime PM callbacks run under)
    for (const v of a.post()) {
      if (API_FILES.test(v.path)) continue;
      for (const e of v.flow.events) {
        const d = DEVICE_NOIO_FLAG[e.callee];
        if (!d || !v.changed.has(e.line)) continue;
        const value = (e.args[d.arg] ?? "").trim();
        const does = value === "true" || value === "1" ? "sets" : value === "false" || value === "0" ? "clears" : "sets or clears";
        out.push({
          file: v.path,
          line: e.line,
          severity: "info",
          messageId: "deviceNoio",
          data: { fn: v.name, does, dev: (e.args[0] ?? "the device").trim(), call: e.callee, value: value || "?" },
          identifiers: [e.callee, v.name],
          fix: `Check that ${e.callee}() is set once the device serves IO and cleared on every path that undoes that, in the same order as the device's own setup and teardown.`,
        });
      }
    }
    if (saves.length === 0) return out;
    // per-call masks the patch turns into GFP_KERNEL under the new scope
    let converted = 0;
    for (const site of a.allocations()) if (site.added && a.before(site) && a.relaxedFrom(site) === null && !site.mask.name?.startsWith("GFP_NO") && (a.before(site)!.info as { mask?: { fs: boolean | null } }).mask?.fs === false) converted++;
    const kinds = new Set(saves.map((s) => s.kind));
    const first = saves[0]!;
    const handed = saves.filter((s) => s.into !== null);
    const returned = saves.filter((s) => s.returned && s.problems.length === 0);
    // functions of the patch that restore a saved value they are handed (the other half of a returned scope)
    const restorers = [...new Set(a.post().filter((v) => v.flow.restoresParam).map((v) => `${v.name}()`))];
    const bad = saves.filter((s) => s.problems.length > 0);
    const unchecked = saves.filter((s) => s.problems.length === 0 && !s.whole);
    const balance =
      handed.length > 0
        ? `the scope saved into ${handed.map((h) => h.into).join(", ")} is handed over: the code that ends that object must restore it (not checked here)`
        : returned.length > 0 && bad.length === 0
        ? `${[...new Set(returned.map((r) => `${r.fn}()`))].join(", ")} return${returned.length === 1 ? "s" : ""} the saved value to ${returned.length === 1 ? "its" : "their"} callers, which must restore it on every path${restorers.length > 0 ? ` (${restorers.join(", ")} restore${restorers.length === 1 ? "s" : ""} a value handed in)` : ""}; the callers were not checked here`
        : bad.length > 0
        ? `a path leaves a scope open or restores the wrong value (see the unbalanced-scope finding${bad[0]!.problems.length > 1 ? "s" : ""} at ${bad.flatMap((b) => b.problems).join(", ")})`
        : unchecked.length > 0
          ? `every path shown restores what was saved; the exits of ${[...new Set(unchecked.map((u) => `${u.fn}()`))].join(", ")} outside the lines shown were not checked`
          : `every path out of ${[...new Set(saves.map((u) => `${u.fn}()`))].join(", ")} restores what was saved`;
    const report: Report = {
      messageId: "scopeAdded",
      severity: "info",
      data: {
        count: saves.length,
        plural: saves.length === 1 ? "" : "s",
        kinds: [...kinds].join("/"),
        converted: converted > 0 ? ` replacing ${converted} per-call GFP_NOFS/GFP_NOIO mask${converted === 1 ? "" : "s"}` : "",
        balance,
      },
      file: first.path,
      line: first.line,
      identifiers: [...saves.map((s) => `memalloc_${s.kind}_save`), ...saves.map((s) => s.fn)],
    };
    return [...out, report];
  },
};

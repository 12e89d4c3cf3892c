// unbalanced-scope: a memalloc scope that a path leaves open, a restore with
// nothing open, of another variable or kind, twice, or of a constant. Read off
// the path walk of flow.ts (every return, goto and branch of the function the
// patch touches, or of the lines a diff shows), only where the patch changed
// the save, the restore or the exit.
import { reclaimAnalysis } from "../../context/reclaim.js";
import { holdsFor } from "../../vocab/release.js";
import { FLAGS_SCOPE_CALLS } from "../../vocab/kernel-api.js";
import type { Report, Rule } from "../../types.js";
import { newSideLineAt } from "../util/diff.js";
import { HISTORY } from "../../vocab/history.js";

export const rule: Rule = {
  meta: {
    id: "unbalanced-scope",
    class: "gfp-context",
    severity: "error",
    description: "A memalloc_*_save() scope left open on a path, or a restore that does not match an open save",
    docs: {
      why:
        "The scope API changes the task, not the call: a save without its restore on some path leaves the task " +
        "NOIO/NOFS after the function returns (every later allocation, in unrelated code, loses reclaim), and a " +
        "restore with the wrong value ends someone else's scope or none. Both are silent until memory is tight.",
      fix:
        "Restore the value the save returned, of the same kind, on every path out of the function (a common " +
        "exit label is the usual shape), or hand the scope over explicitly in an object whose owner restores it.",
      quiet:
        "Scopes saved into a structure field (handed over to the code that ends the object), values returned to " +
        "the caller, restores of a parameter (the caller's scope), task-flag edits (memalloc-flags-direct judges " +
        "those), and restores whose save may sit above the lines a diff shows.",
    },
    messages: {
      restoreConstant:
        "{{call}}({{value}}) restores a constant: {{effect}}; pass the value the matching save returned",
      wrongKind: "{{detail}}: that scope is not ended, and the restore does not match anything open",
      wrongVariable: "{{detail}}: the open scope is not ended by this restore",
      missingRestore: "{{detail}} in {{fn}}(): the task stays {{ctx}} after it returns, for every allocation in its callers",
      neverRestored: "the {{kind}} scope saved at line {{save}} in {{fn}}() is never restored in the function: the task stays {{ctx}} after it returns",
      restoreWithoutSave: "{{detail}}: was memalloc_{{kind}}_save() meant here?",
      doubleRestore: "{{detail}}: a second restore puts back a stale value",
      saveRemovedRestoreLeft:
        "{{save}} is removed from {{fn}}(), but {{restores}} {{still}} {{variable}}, which no save sets now: a restore without its save ends no scope and changes the task's flags by whatever bits {{variable}} holds; remove {{them}} too, or keep the save",
    },
    knowledge: ["memalloc-flags-2024", "memalloc-nofs-api-2017", HISTORY.suspendNoioScope, "memalloc-noio-2013", "gfp-fs-io-doc"],
    // reports sit on added lines (the path walk's problems at lines the patch changed), except a deleted save's
    // restores left behind: that finding goes where the save was, which may be a context line
    scope: "patch",
    needles: ["memalloc_"],
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    const reports: Report[] = [];
    const audit = a.mode === "audit";
    for (const v of a.post()) {
      const touched = (line: number) => audit || v.changed.has(line);
      const seen = new Set<string>();
      const push = (r: Report) => {
        const k = `${r.line}:${r.messageId}`;
        if (seen.has(k)) return;
        seen.add(k);
        reports.push(r);
      };
      // a kernel thread's body: the task ends when it returns, a thread-wide scope ends with it
      let thread: boolean | undefined;
      for (const p of v.flow.problems) {
        if (p.kind === "leak" && (thread ??= a.runsAsThread(v))) continue;
        const at = touched(p.line) ? p.line : p.save && touched(p.save.line) ? p.save.line : null;
        if (at === null) continue;
        const base = { file: v.path, line: at };
        const kind = p.save?.kinds[0] ?? "noio";
        const ctxName = kind === "noio" ? "NOIO" : kind === "nofs" ? "NOFS" : "PF_MEMALLOC";
        switch (p.kind) {
          case "leak": {
            const restored = v.flow.events.some((e) => e.info.kind === "scope" && e.info.op === "restore" && e.info.variable !== null && e.info.variable.replace(/\s+/g, "") === (p.save?.variable ?? "").replace(/\s+/g, ""));
            if (!restored && v.flow.entryVisible && v.flow.endVisible) push({ ...base, messageId: "neverRestored", data: { kind, save: p.save?.line ?? 0, fn: v.name, ctx: ctxName } });
            else push({ ...base, messageId: "missingRestore", data: { detail: p.detail, fn: v.name, ctx: ctxName } });
            break;
          }
          case "wrong-kind":
            push({ ...base, messageId: "wrongKind", data: { detail: p.detail } });
            break;
          case "wrong-variable":
            push({ ...base, messageId: "wrongVariable", data: { detail: p.detail } });
            break;
          case "double-restore":
            push({ ...base, messageId: "doubleRestore", data: { detail: p.detail } });
            break;
          case "restore-without-save": {
            const call = /^(memalloc_(\w+)_restore)/.exec(p.detail);
            push({ ...base, messageId: "restoreWithoutSave", data: { detail: p.detail, kind: call?.[2] ?? "noio" } });
            break;
          }
        }
      }
      // restores the patch leaves in place after deleting their save: unchanged lines, so the walk's problems there
      // are not the patch's unless the deleted save (old side, same variable) is what they restored
      const left = new Map<string, number[]>();
      for (const p of v.flow.problems) {
        if (p.kind !== "restore-without-save" || touched(p.line)) continue;
        const e = v.flow.events.find((x) => x.line === p.line && x.info.kind === "scope" && x.info.op === "restore");
        const variable = e && e.info.kind === "scope" ? e.info.variable?.replace(/\s+/g, "") : undefined;
        if (variable) left.set(variable, [...(left.get(variable) ?? []), p.line]);
      }
      if (left.size > 0 && !audit) {
        const file = ctx.patch.files.find((f) => f.path === v.path);
        const oldPath = file?.oldPath ?? v.path;
        for (const pv of a.preViewsOf(oldPath, v.name)) {
          for (const e of pv.flow.events) {
            if (e.info.kind !== "scope" || e.info.op !== "save" || e.info.how !== "save" || !pv.changed.has(e.line)) continue;
            const variable = e.info.variable?.replace(/\s+/g, "");
            const lines = variable ? left.get(variable) : undefined;
            const at = file ? newSideLineAt(file.hunks, e.line) : null;
            if (!variable || !lines || at === null) continue;
            left.delete(variable);
            const restore = v.flow.events.find((x) => x.line === lines[0])?.callee ?? "the restore";
            const many = lines.length > 1;
            push({
              file: v.path,
              line: at,
              identifiers: [e.callee, restore, v.name],
              messageId: "saveRemovedRestoreLeft",
              data: { save: `${e.callee}() into ${variable}`, fn: v.name, restores: `${restore}() at line${many ? "s" : ""} ${lines.join(", ")}`, still: many ? "still restore" : "still restores", variable, them: many ? "them" : "it" },
            });
          }
        }
      }
      // restore of a constant
      for (const e of v.flow.events) {
        if (e.info.kind !== "scope" || e.info.op !== "restore" || e.info.how !== "save" || !touched(e.line)) continue;
        const value = (e.args[0] ?? "").trim();
        if (!/^(?:0x)?\d+[uUlL]*$/.test(value)) continue;
        const flagsBased = holdsFor(FLAGS_SCOPE_CALLS.memalloc_flags_restore, a.kernel);
        const effect = flagsBased
          ? "since memalloc_flags_restore() (3f6d5e6a468d) a restore only clears the bits its save set, so this ends nothing"
          : "before memalloc_flags_restore() (3f6d5e6a468d) it clears the flag outright, ending every enclosing scope too; after it, it ends nothing";
        push({ file: v.path, line: e.line, messageId: "restoreConstant", data: { call: e.callee, value, effect } });
      }
    }
    return reports;
  },
};

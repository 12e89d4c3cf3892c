// unbalanced-scope: memalloc_*_save() without the matching restore on every
// exit, restore of another variable or kind, or restore with a constant.
import type { Patch, Report, Rule, SourceContext } from "../../types.js";
import { fnLabel, functionRegions, scopeCallOn, type FnRegion, type ScopeKind } from "../util/scope-regions.js";
import { factsOf } from "../../context/rule-support.js";

/**
 * With sources, exits come from the C parse of the whole function (every
 * return path, conditional saves, scopes re-saved in loops or handed over in a
 * structure field): the diff-level exit reports are replaced by those.
 */
function withSourceExits(patch: Patch, reports: Report[], source: SourceContext | undefined): Report[] {
  const facts = factsOf(source);
  if (!facts) return reports;
  const EXIT_IDS = new Set(["missingRestore", "neverRestored", "wrongVariable"]);
  const parsedFn = (file: string, line: number | null) => {
    const f = line === null ? null : facts.functionAt(file, line);
    return f && f.parsed ? f : null;
  };
  const out = reports.filter((r) => !(r.file && EXIT_IDS.has(r.messageId) && parsedFn(r.file, r.line)));
  const ctxOf = (k: string) => (k === "noio" ? "NOIO" : k === "nofs" ? "NOFS" : "PF_MEMALLOC");
  for (const file of patch.files) {
    const added = new Set(file.hunks.flatMap((h) => h.lines.filter((l) => l.kind === "add" && l.newLine !== null).map((l) => l.newLine!)));
    if (added.size === 0) continue;
    for (const f of facts.fileFacts(file.path)?.functions ?? []) {
      if (!f.parsed) continue;
      const seen = new Set<number>();
      for (const leak of f.leaks) {
        const at = added.has(leak.exit) ? leak.exit : added.has(leak.save) ? leak.save : null;
        if (at === null || seen.has(leak.save)) continue;
        seen.add(leak.save);
        const scope = f.scopes.find((x) => x.start === leak.save);
        const variable = scope?.saveVar ?? "flags";
        if (leak.wrongVar) out.push({ file: file.path, line: at, messageId: "wrongVariable", data: { kind: leak.kind, restored: leak.wrongVar, saved: variable, fn: fnLabel(f.name) } });
        else if (scope && !scope.restored) out.push({ file: file.path, line: at, messageId: "neverRestored", data: { kind: leak.kind, fn: fnLabel(f.name), ctx: ctxOf(leak.kind) } });
        else out.push({ file: file.path, line: at, messageId: "missingRestore", data: { variable, kind: leak.kind, fn: fnLabel(f.name), exit: "return", ctx: ctxOf(leak.kind) } });
      }
    }
  }
  return out;
}

interface OpenScope {
  kind: ScopeKind;
  variable: string;
  depth: number;
  /** Index in region.lines of the save. */
  at: number;
  /** Depth of a block that restored it early (an error path); active again when that block closes. */
  restoredIn: number | null;
}

const NAMED_KINDS = new Set<ScopeKind>(["noio", "nofs", "noreclaim", "pin"]);
const PLAIN_VAR = /^[A-Za-z_]\w*$/;

function braceDelta(code: string): number {
  let d = 0;
  for (const c of code) if (c === "{") d++;
  else if (c === "}") d--;
  return d;
}

/** Does the code after label `name:` (in the region) restore `variable` before the function ends? */
function labelRestores(region: FnRegion, name: string, variable: string, from: number): boolean | null {
  const idx = region.lines.findIndex((l, i) => i > from && new RegExp(`^\\s*${name}\\s*:`).test(l.code));
  if (idx < 0) {
    const before = region.lines.findIndex((l, i) => i <= from && new RegExp(`^\\s*${name}\\s*:`).test(l.code));
    return before >= 0 ? true : null; // a label above jumps back inside the scope; unseen: unknown
  }
  for (let i = idx; i < region.lines.length; i++) {
    const c = scopeCallOn(region.lines[i]!.code);
    if (c?.op === "restore" && c.variable === variable) return true;
    if (/\breturn\b/.test(region.lines[i]!.code)) return false;
  }
  return false;
}

/** Does the region save `variable` with `kind` anywhere (conditional saves on other branches)? */
function regionSavesKind(region: FnRegion, variable: string, kind: ScopeKind): boolean {
  return region.lines.some((l) => {
    const c = scopeCallOn(l.code);
    return c?.op === "save" && c.variable === variable && c.kind === kind;
  });
}

export const rule: Rule = {
  meta: {
    id: "unbalanced-scope",
    class: "gfp-context",
    severity: "error",
    description: "memalloc_*_save() without a matching restore on every exit, restored from another variable or kind, or with a constant",
    docs: {
      why:
        "memalloc_{noio,nofs,noreclaim,pin,flags}_save() sets a flag on the task and returns the " +
        "previous state; the matching restore with that value ends the scope. An exit path that " +
        "skips the restore leaves the task NOIO/NOFS (or PF_MEMALLOC) for everything it runs " +
        "afterwards; restoring another variable or the other kind's helper ends the wrong scope. " +
        "Since memalloc_flags_save()/restore() (3f6d5e6a468d), restore only clears the bits that " +
        "save reported as newly set, so memalloc_nofs_restore(0) is a no-op, not a way to clear the flag.",
      fix:
        "Keep the value returned by save in a local, restore it with the same kind of helper on every " +
        "return and goto path (a single exit label is simplest), and never pass a constant.",
      quiet:
        "Functions not fully visible in the diff (save in one hunk, restore in another), saves kept " +
        "in a structure for a later call (suspend/resume pairs), and restores in an error block " +
        "followed by the normal restore.",
    },
    messages: {
      restoreConstant:
        "memalloc_{{kind}}_restore({{value}}) restores a constant: since memalloc_flags_save()/restore() this does not end the scope; pass the value returned by memalloc_{{kind}}_save()",
      wrongKind:
        "{{variable}} comes from memalloc_{{saved}}_save() but is restored with memalloc_{{restored}}_restore(): the {{saved}} scope is not ended",
      wrongVariable:
        "memalloc_{{kind}}_restore({{restored}}) but the value saved in {{fn}} is {{saved}}",
      missingRestore:
        "{{variable}} = memalloc_{{kind}}_save() in {{fn}} is not restored on this {{exit}} path: the task stays {{ctx}} after it returns",
      neverRestored:
        "memalloc_{{kind}}_save() in {{fn}} has no matching restore in the function: the task stays {{ctx}} after it returns",
    },
    knowledge: ["memalloc-flags-2024", "memalloc-nofs-api-2017", "md-suspend-scope-2020", "memalloc-noio-2013", "gfp-fs-io-doc"],
    scope: "line",
    needles: ["memalloc_"],
  },
  check({ patch, source }) {
    const reports: Report[] = [];
    const ctxOf = (k: ScopeKind) => (k === "noio" ? "NOIO" : k === "nofs" ? "NOFS" : k === "noreclaim" ? "PF_MEMALLOC" : k === "pin" ? "PF_MEMALLOC_PIN" : "restricted");
    for (const region of functionRegions(patch)) {
      if (!region.lines.some((v) => v.line.text.includes("memalloc_"))) continue;
      const fn = fnLabel(region.name);
      const saves = new Map<string, { kind: ScopeKind; at: number }>();
      const mixed = new Set<string>();
      let depth = 0;
      const open: OpenScope[] = [];
      let reportedMissing = false;
      for (let i = 0; i < region.lines.length; i++) {
        const v = region.lines[i]!;
        const code = v.code;
        const added = v.line.kind === "add";
        const call = scopeCallOn(code);
        const at = { file: v.file.path, line: v.line.newLine };
        if (call?.op === "restore") {
          const value = call.variable ?? "";
          if (/^\(?\s*(?:0x0+|0+|0U|0UL|false)\s*\)?$/.test(value)) {
            if (added) reports.push({ ...at, messageId: "restoreConstant", data: { kind: call.kind, value } });
          } else if (PLAIN_VAR.test(value)) {
            const s = saves.get(value);
            if (s && s.kind !== call.kind && !mixed.has(value) && !regionSavesKind(region, value, call.kind) && NAMED_KINDS.has(s.kind) && NAMED_KINDS.has(call.kind)) {
              if (added || region.lines[s.at]!.line.kind === "add")
                reports.push({ ...at, messageId: "wrongKind", data: { variable: value, saved: s.kind, restored: call.kind } });
            } else if (!s && region.complete && added) {
              const same = [...saves.entries()].filter(([, x]) => x.kind === call.kind || call.kind === "flags" || x.kind === "flags");
              if (same.length === 1) {
                reports.push({ ...at, messageId: "wrongVariable", data: { kind: call.kind, restored: value, saved: same[0]![0], fn } });
                reportedMissing = true; // one finding for this scope is enough
              }
            }
            // close the scope (or mark it restored inside this block)
            for (let k = open.length - 1; k >= 0; k--) {
              const o = open[k]!;
              if (o.variable !== value) continue;
              if (depth <= o.depth) open.splice(k, 1);
              else if (o.restoredIn === null) o.restoredIn = depth;
              break;
            }
          }
        }
        // exits while a scope is open
        if (region.complete && !reportedMissing) {
          const ret = /\breturn\b/.test(code);
          const gotoM = /\bgoto\s+([A-Za-z_]\w*)/.exec(code);
          if (ret || gotoM) {
            for (const o of open) {
              if (o.restoredIn !== null && depth >= o.restoredIn) continue;
              if (gotoM) {
                const ok = labelRestores(region, gotoM[1]!, o.variable, i);
                if (ok !== false) continue;
              }
              const saveLine = region.lines[o.at]!;
              const target = added ? v : saveLine.line.kind === "add" ? saveLine : null;
              if (!target) continue;
              reports.push({
                file: target.file.path,
                line: target.line.newLine,
                messageId: "missingRestore",
                data: { variable: o.variable, kind: o.kind, fn, exit: gotoM ? `goto ${gotoM[1]}` : "return", ctx: ctxOf(o.kind) },
              });
              reportedMissing = true;
              break;
            }
          }
        }
        if (call?.op === "save" && call.variable && PLAIN_VAR.test(call.variable)) {
          const prev = saves.get(call.variable);
          // one variable saved by different kinds on different branches: kinds cannot be checked
          if (prev && prev.kind !== call.kind) mixed.add(call.variable);
          saves.set(call.variable, { kind: call.kind, at: i });
          const again = open.find((o) => o.variable === call.variable);
          if (again) {
            // saved again after an early restore (a loop that drops the scope around a sleep): still one scope
            again.restoredIn = null;
            again.kind = call.kind;
          } else open.push({ kind: call.kind, variable: call.variable, depth, at: i, restoredIn: null });
        }
        depth += braceDelta(code);
        for (const o of open) if (o.restoredIn !== null && depth < o.restoredIn) o.restoredIn = null;
      }
      // the function ends with a scope still open
      if (region.complete && !reportedMissing) {
        const o = open.find((x) => x.restoredIn === null || true);
        if (o) {
          const saveLine = region.lines[o.at]!;
          const restoredSomewhere = region.lines.some((l) => {
            const c = scopeCallOn(l.code);
            return c?.op === "restore" && c.variable === o.variable;
          });
          if (saveLine.line.kind === "add" && !restoredSomewhere)
            reports.push({ file: saveLine.file.path, line: saveLine.line.newLine, messageId: "neverRestored", data: { kind: o.kind, fn, ctx: ctxOf(o.kind) } });
        }
      }
    }
    return withSourceExits(patch, reports, source);
  },
};

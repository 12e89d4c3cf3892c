// wq-alloc-args: a workqueue constructor called with its arguments in the
// wrong slots. alloc_workqueue(fmt, flags, max_active, ...) with a WQ_ flag
// in the max_active slot builds a queue without that flag (no rescuer when
// the flag is WQ_MEM_RECLAIM) and with a max_active of the flag's value; a
// flag passed among the name's format arguments is lost the same way; the
// ordered form takes no max_active at all. Argument positions come from the
// vocabulary (WQ_CONSTRUCTORS, WQ_CONSTRUCTOR_FORMAT); the C parse gives the
// arguments.
import type { FlowEvent } from "../../context/flow.js";
import type { FnView } from "../../context/reclaim.js";
import { formatArgCount, workqueueAnalysis } from "../../context/workqueues.js";
import type { Patch, Report, Rule } from "../../types.js";
import { WQ_CONSTRUCTORS, WQ_CONSTRUCTOR_FORMAT, WQ_FLAG_BITS, WQ_MAX_ACTIVE_NAMES } from "../../vocab/kernel-api.js";

type AllocEvent = FlowEvent & { info: Extract<FlowEvent["info"], { kind: "wq-alloc" }> };

const ids = (s: string) => s.match(/[A-Za-z_]\w*/g) ?? [];
/** WQ_ flag names in an argument (max_active counts such as WQ_MAX_ACTIVE are not flags). */
const flagsIn = (s: string) => ids(s).filter((id) => WQ_FLAG_BITS[id] !== undefined);
const countsIn = (s: string) => ids(s).filter((id) => WQ_MAX_ACTIVE_NAMES[id] !== undefined);
/** Only flag names, |, parentheses: the value is known. */
const onlyFlags = (s: string) => /^[\sA-Za-z_0-9|()]*$/.test(s) && ids(s).every((id) => WQ_FLAG_BITS[id] !== undefined);
const isCountLike = (s: string) => /^\s*\d+[uUlL]*\s*$/.test(s) || (ids(s).length > 0 && ids(s).every((id) => WQ_MAX_ACTIVE_NAMES[id] !== undefined));
const isZero = (s: string) => /^\s*0[uUlL]*\s*$/.test(s);
const unquoted = (s: string | undefined) => (s && /^"(?:[^"\\]|\\.)*"$/.test(s.trim()) ? s.trim().slice(1, -1) : null);

function flagValue(s: string): number {
  let v = 0;
  for (const id of ids(s)) v |= 1 << WQ_FLAG_BITS[id]!.bit;
  return v;
}

function mergeFlags(flagsArg: string, add: string[]): string {
  return isZero(flagsArg) || isCountLike(flagsArg) ? add.join(" | ") : `${flagsArg} | ${add.join(" | ")}`;
}

function callText(call: string, args: string[]): string {
  return `${call}(${args.join(", ")})`;
}

/** Added line texts of a file, by new line number. */
function addedTexts(patch: Patch, path: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const f of patch.files) {
    if (f.path !== path) continue;
    for (const h of f.hunks) for (const l of h.lines) if (l.kind === "add" && l.newLine !== null) out.set(l.newLine, l.text);
  }
  return out;
}

/** The added line of the call that shows `token` (the call may span lines), or the call's own line when added; null when the patch did not touch the call. */
function lineFor(view: FnView, ev: AllocEvent, token: string, added: Map<number, string>, audit: boolean): number | null {
  if (audit) return ev.line;
  const re = new RegExp(`\\b${token.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`);
  for (let n = ev.line; n <= Math.min(view.flow.end, ev.line + 8); n++) {
    const t = added.get(n);
    if (t !== undefined && re.test(t)) return n;
  }
  return view.changed.has(ev.line) ? ev.line : null;
}

export const rule: Rule = {
  meta: {
    id: "wq-alloc-args",
    class: "workqueue-reclaim",
    severity: "warning",
    description: "alloc_workqueue()/alloc_ordered_workqueue() arguments in the wrong slots: a WQ_ flag as max_active or as a name argument (no rescuer), max_active given to an ordered queue",
    docs: {
      why:
        "alloc_workqueue(fmt, flags, max_active, ...) takes the WQ_ flags second and max_active third; " +
        "both are plain integers, so the compiler accepts them swapped. A WQ_ flag in the max_active slot " +
        "is not a flag: WQ_MEM_RECLAIM there (the value 8) gives a queue with no rescuer thread and a " +
        "max_active of 8, and the queue silently loses the forward-progress guarantee reclaim relies on. " +
        "alloc_ordered_workqueue(fmt, flags, args...) has no max_active: a third argument is an argument " +
        "for the name's format, so a flag put there is lost too.",
      fix:
        "Put the WQ_ flags in the flags slot and a count (0 for the default, WQ_MAX_ACTIVE, a number) in " +
        "the max_active slot; for an ordered queue drop the max_active argument.",
      quiet:
        "0, numbers, WQ_MAX_ACTIVE, WQ_UNBOUND_MAX_ACTIVE, WQ_DFL_ACTIVE or an expression in the max_active " +
        "slot; format arguments that the name's format uses; a format that is not a literal (its " +
        "arguments cannot be counted); legacy create_*workqueue() calls; calls the patch did not touch.",
    },
    messages: {
      flagInMaxActive:
        "{{call}}() takes (fmt, flags, max_active, ...), but {{flag}} is in the max_active slot{{flagsNote}}: the queue is created without {{flag}}{{rescuer}} and with max_active {{value}}",
      countInFlags:
        "{{call}}() takes (fmt, flags, max_active, ...), but the max_active count {{count}} is in the flags slot: its value ({{value}}) is read as flag bits",
      flagAsFormatArg:
        "{{flag}} is passed to {{call}}() as an argument for the name format \"{{fmt}}\", which has no conversion for it: the flag is never applied{{rescuer}}",
      orderedMaxActive:
        "{{call}}() takes no max_active (an ordered queue runs one work item at a time): {{extra}} is an argument for the name format \"{{fmt}}\", which has no conversion for it",
      missingMaxActive:
        "the name format \"{{fmt}}\" of {{call}}() needs {{need}} argument(s) after max_active, but {{have}} follow: {{maxActive}} in the max_active slot looks like the name's argument, and the format reads past the arguments given",
    },
    knowledge: ["workqueue-doc", "wq-flush-dependency-2015"],
    scope: "line",
    needles: ["_workqueue"],
  },
  check(ctx) {
    const a = workqueueAnalysis(ctx);
    const audit = a.ra.mode === "audit";
    const reports: Report[] = [];
    const texts = new Map<string, Map<number, string>>();
    for (const view of a.touchedViews("post", ["wq-alloc"])) {
      for (const e of view.flow.events) {
        if (e.info.kind !== "wq-alloc") continue;
        const ev = e as AllocEvent;
        const call = ev.callee;
        const ctor = WQ_CONSTRUCTORS[call]!;
        const fmtSpec = WQ_CONSTRUCTOR_FORMAT[call];
        if (ctor.legacy || ctor.flagsArg === null || !fmtSpec) continue;
        if (!texts.has(view.path)) texts.set(view.path, addedTexts(a.patch, view.path));
        const added = texts.get(view.path)!;
        const args = ev.args;
        const flagsArg = args[ctor.flagsArg] ?? "";
        const base = (line: number) => ({ file: view.path, line, identifiers: [call, "WQ_MEM_RECLAIM"] });
        // 1. a flag in the max_active slot
        if (ctor.maxActiveArg !== null && args[ctor.maxActiveArg] !== undefined) {
          const ma = args[ctor.maxActiveArg]!;
          const flags = flagsIn(ma);
          if (flags.length > 0) {
            const line = lineFor(view, ev, flags[0]!, added, audit);
            if (line === null) continue;
            const fixed = [...args];
            fixed[ctor.flagsArg] = mergeFlags(flagsArg, flags);
            fixed[ctor.maxActiveArg] = isCountLike(flagsArg) && !isZero(flagsArg) ? flagsArg : "0";
            const value = onlyFlags(ma) ? String(Math.min(flagValue(ma), WQ_MAX_ACTIVE_NAMES.WQ_MAX_ACTIVE!.value)) : `(${ma})`;
            reports.push({
              ...base(line),
              messageId: "flagInMaxActive",
              data: {
                call,
                flag: flags.join(" | "),
                flagsNote: isZero(flagsArg) ? " and the flags are 0" : isCountLike(flagsArg) ? ` and the count ${flagsArg} is in the flags slot` : "",
                rescuer: flags.includes("WQ_MEM_RECLAIM") ? " (so it has no rescuer thread)" : "",
                value,
              },
              fix: `Swap the arguments: ${callText(call, fixed)}.`,
              chain: [callText(call, args), `max_active = ${value}`, `flags lack ${flags.join(" | ")}`],
            });
            continue;
          }
          // 2. a count in the flags slot (and no flag in max_active)
          const counts = countsIn(flagsArg);
          if (counts.length > 0) {
            const line = lineFor(view, ev, counts[0]!, added, audit);
            if (line === null) continue;
            const fixed = [...args];
            fixed[ctor.flagsArg] = isZero(ma) || isCountLike(ma) ? "0" : ma;
            fixed[ctor.maxActiveArg] = flagsArg;
            reports.push({
              ...base(line),
              messageId: "countInFlags",
              data: { call, count: counts.join(", "), value: String(WQ_MAX_ACTIVE_NAMES[counts[0]!]!.value) },
              fix: `Swap the arguments: ${callText(call, fixed)}.`,
              chain: [callText(call, args)],
            });
            continue;
          }
        }
        // 3. the name's format arguments
        const fmt = unquoted(args[fmtSpec.fmtArg]);
        if (fmt === null || args.length < fmtSpec.varargsFrom) continue;
        const need = formatArgCount(fmt);
        const have = args.length - fmtSpec.varargsFrom;
        if (have > need) {
          const extra = args.slice(fmtSpec.varargsFrom + need);
          const flags = extra.flatMap(flagsIn);
          if (flags.length > 0) {
            const line = lineFor(view, ev, flags[0]!, added, audit);
            if (line === null) continue;
            const fixed = args.slice(0, fmtSpec.varargsFrom + need);
            fixed[ctor.flagsArg] = mergeFlags(flagsArg, flags);
            reports.push({
              ...base(line),
              messageId: "flagAsFormatArg",
              data: { call, flag: flags.join(" | "), fmt, rescuer: flags.includes("WQ_MEM_RECLAIM") ? ": the queue has no rescuer thread" : "" },
              fix: `Pass the flag in the flags slot: ${callText(call, fixed)}.`,
              chain: [callText(call, args), `flags lack ${flags.join(" | ")}`],
            });
            continue;
          }
          if (ctor.maxActiveArg === null && extra.every(isCountLike)) {
            const line = lineFor(view, ev, extra[0]!.trim(), added, audit);
            if (line === null) continue;
            reports.push({
              ...base(line),
              messageId: "orderedMaxActive",
              severity: "info",
              data: { call, extra: extra.join(", "), fmt },
              fix: `Drop the argument: ${callText(call, args.slice(0, fmtSpec.varargsFrom + need))}.`,
              chain: [callText(call, args)],
            });
          }
          continue;
        }
        if (have < need && ctor.maxActiveArg !== null && args[ctor.maxActiveArg] !== undefined && !isCountLike(args[ctor.maxActiveArg]!)) {
          const ma = args[ctor.maxActiveArg]!;
          const line = lineFor(view, ev, ids(ma)[0] ?? call, added, audit);
          if (line === null) continue;
          const fixed = [...args.slice(0, ctor.maxActiveArg), "0", ...args.slice(ctor.maxActiveArg)];
          reports.push({
            ...base(line),
            messageId: "missingMaxActive",
            data: { call, fmt, need, have, maxActive: ma },
            fix: `Give max_active before the name's arguments: ${callText(call, fixed)}.`,
            chain: [callText(call, args)],
          });
        }
      }
    }
    return reports;
  },
};

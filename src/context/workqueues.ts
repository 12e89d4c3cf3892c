// The workqueue facts of a patch, computed once and read by the workqueue
// rules: which queues exist and with which flags (constructor arguments,
// macros expanded, a flags variable's value), which work items run on which
// queue and which functions they run, what those functions do (flush or
// cancel other work, complete IO, write back, allocate), who queues them (and
// that function's role in a path reclaim waits on), and where WQ_MEM_RECLAIM
// is set or cleared by the patch.
//
// Diff-only review reads the functions the hunks show (fragments, as
// reclaim.ts walks them); with a source tree, whole functions of the touched
// files and of the other C files of their directories that name what is
// asked about. The same vocabulary either way; what cannot be seen is said
// (`unknown`), never assumed.
import { dirname } from "node:path";
import type { KernelVersion, Patch, SourceContext } from "../types.js";
import {
  CANCEL_NOT_CHECKED,
  COMPLETION_SIGNALS,
  FIELD_ROLES,
  FLUSH_CALLS,
  FLUSH_WARNINGS,
  IO_COMPLETION_CALLS,
  QUEUE_CALLS,
  ROLE_FLUSH_CONTEXT,
  SYSTEM_QUEUES,
  SYSTEM_QUEUE_NAMES,
  THREAD_SPAWNERS,
  WORK_INITS,
  WQ_CONSTRUCTORS,
  WQ_CONSTRUCTOR_FORMAT,
  WQ_FLAGS,
  WQ_FLAG_BITS,
  WRITEBACK_CALLS,
  type Role,
} from "../vocab/kernel-api.js";
import { holdsFor } from "../vocab/release.js";
import { callArguments, stripLine } from "./c-lines.js";
import { expandMacros, keyOf, type MacroFact } from "./extract.js";
import { getFacts, type ContextFacts, type FactsView } from "./facts.js";
import type { ScanFile } from "./c-scan.js";
import { classifyCall } from "./events.js";
import { analyseFunction, functionName, type FlowEvent, type FunctionFlow } from "./flow.js";
import { applyScopes, maskName, type Mask } from "./gfp.js";
import { parseC } from "./parser.js";
import { regionFlow, regionsOf, type Region } from "./diff-model.js";
import { CONTAINER_OF_WORK, mayHold, mentions, type GateKind } from "./event-gates.js";
import { paramTypes, paramsOfSignature, perPatchAndSource, reclaimAnalysis, sharedScan, type FnView, type ReclaimAnalysis, type RoleFact } from "./reclaim.js";
import { addedLineOf, flagSitePairs, lineOfStatement, type FlagSite, type SitePair } from "./wq-flag-sites.js";
import { registerMemo } from "./memos.js";
import { chainRuledOut, isConstant } from "./feasible.js";
import { paramName } from "./c-scan.js";

export type Image = "post" | "pre";

/** A region this analysis reads beyond the reclaim analysis's walks (diff-only), walked when first asked for. */
interface OwnFragment {
  region: Region;
  path: string;
  name: string;
  image: Image;
  /** The signature and the lines, what the lexical gates read. */
  text: string;
  /** The changed lines (a call on a changed line has its callee there). */
  changedText: string;
  /** undefined: not walked yet; null: the parse gave no function. */
  view: FnView | null | undefined;
}

/** The views of one side of the patch: the reclaim analysis's walks and this analysis's own fragments. */
interface PatchViews {
  walked: FnView[];
  own: OwnFragment[];
  /** Every view, once all were asked for. */
  all: FnView[] | null;
  /** The fragment of each own view walked so far. */
  ownViews: Map<FnView, OwnFragment>;
}

// ---------------------------------------------------------------- facts

export interface FlagsFact {
  /** true/false when known; null when not. */
  memReclaim: boolean | null;
  /** create_*workqueue() or __WQ_LEGACY: check_flush_dependency() skips the queue's workers. */
  legacy: boolean;
  /** The flags as written (or the constructor, for the legacy ones). */
  text: string;
  /** How they were read. */
  how: "literal" | "constructor" | "macro" | "variable" | "system" | "unknown";
  /** When memReclaim is null: the fact that would decide it. */
  unknown?: string;
}

export interface QueueFact {
  /** Last identifier of where the queue is stored ("notifier_wq"), or the system queue ("system_wq"). */
  key: string;
  /** How a reviewer names it: the name literal ('"zap_evt"') or the expression. */
  label: string;
  /** The name (format) literal, when the allocation shows it. */
  name: string | null;
  system: boolean;
  flags: FlagsFact;
  at: { file: string; line: number } | null;
}

export interface QueueSite {
  view: FnView;
  ev: FlowEvent & { info: Extract<FlowEvent["info"], { kind: "wq-alloc" }> };
  key: string | null;
  expr: string | null;
  name: string | null;
}

export interface WorkBinding {
  /** The work item's key ("fd_flush_work"). */
  work: string;
  fn: string;
  file: string;
  line: number;
  how: "init" | "container_of";
  /** The struct the work item is a member of, when the binding shows it (`INIT_WORK(&io->work, f)` with io's type, container_of's type). */
  type?: string;
}

export interface Queueing {
  view: FnView;
  ev: FlowEvent;
  call: string;
  queueExpr: string;
  queue: string;
  workExpr: string;
  /** The work item as a reviewer names it ("io->done_work"). */
  workName: string;
  work: string;
}

/**
 * A queueing goes with a binding of the same work key unless they show different structs the work item is a member
 * of (`&io->work` of two device-mapper targets' io structs), or the queueing is through a pointer variable
 * (`queue_work_on(cpu, wq, work)`) that the queueing function itself binds (`INIT_WORK(work, fn)` there): then
 * only that binding (not another file's `&obj->work`).
 */
function bindingMatches(q: Queueing, b: WorkBinding): boolean {
  // a member of another struct than the one the binding names (`&io->work` of two targets' io structs)
  const qType = memberOwnerType(q.workExpr, q.view.flow.types);
  if (qType && b.type && qType !== b.type) return false;
  if (!/^[A-Za-z_]\w*$/.test(q.workExpr.trim())) return true;
  const own = q.view.flow.events.filter((e) => e.info.kind === "work-init" && keyOf(e.info.work) === q.work);
  if (own.length === 0) return true;
  return own.some((e) => e.info.kind === "work-init" && e.info.fn === b.fn);
}

/** The declared struct type of the object a work expression is a member of (`&io->work`: io's type), when known. */
function memberOwnerType(expr: string, types: ReadonlyMap<string, string>): string | undefined {
  const base = /^[&(\s]*([A-Za-z_]\w*)\s*(?:->|\.)/.exec(expr)?.[1];
  return base ? types.get(base) : undefined;
}

/** A function that runs where check_flush_dependency() looks: as work of a WQ_MEM_RECLAIM queue, or with a role reclaim runs. */
export interface RunsAs {
  kind: "wq" | "role";
  /** The work function or the role function. */
  root: string;
  /** From the root down to the function asked about. */
  chain: string[];
  queue?: QueueFact;
  work?: string;
  role?: RoleFact;
  /** How the role reaches the check (PF_MEMALLOC, or the writeback queue). */
  roleHow?: string;
}

export interface FlushTarget {
  /** The flush or cancel call. */
  call: string;
  expr: string;
  kind: "queue" | "work" | "system";
  queues: QueueFact[];
  /** What is missing to know which queue the flush waits for. */
  unknown: string | null;
}

export interface FlushSite {
  view: FnView;
  ev: FlowEvent & { info: Extract<FlowEvent["info"], { kind: "flush" }> };
  target: FlushTarget;
  added: boolean;
}

/** Why reclaim (or IO that reclaim waits on) waits on a queue's work. */
export interface WaitLink {
  kind: "completes-io" | "writeback" | "queued-from-role" | "flushed-from-role" | "runs-role";
  /** The queue, then the functions, then the call that makes it so. */
  chain: string[];
  /** Every fact of the link was seen. */
  complete: boolean;
  role?: RoleFact;
  /** The IO-completion or writeback call, or the flush. */
  call?: string;
  /** What is missing when not complete. */
  unknown?: string;
  at: { file: string; line: number };
}

/** A wait_for_completion() on a changed line whose completion work functions signal (completionWaits()). */
export interface CompletionWait {
  view: FnView;
  ev: FlowEvent;
  expr: string;
  /** The signalling functions (and their files), the work they run as, where it is queued and on which queue. */
  signals: { fn: string; file: string; work: string; queueing: Queueing; queue: QueueFact }[];
}

export interface WorkBehaviour {
  fn: string;
  view: FnView | null;
  /** Flushes (or cancels, where checked) of queues known to lack WQ_MEM_RECLAIM, from the function or its callees. */
  flushes: { site: FlushSite; chain: string[] }[];
  /** Flushes whose target's flags are not known. */
  unknownFlushes: { site: FlushSite; chain: string[] }[];
  /** Allocations that may wait in direct reclaim and have no mempool behind them. */
  stalls: { ev: FlowEvent; fn: string; mask: Mask }[];
  /** The function opens a NOIO scope (a worker that chose its allocation context). */
  noio: boolean;
}

export interface FlagChange {
  change: "added" | "removed";
  pair: SitePair;
  /** The new-side site (its line is where a finding goes). */
  site: FlagSite;
  line: number | null;
  path: string;
  /** The queues whose flags this site decides (post image). */
  queues: QueueFact[];
  /** Why the queues could not be named. */
  unknownQueue: string | null;
}

export interface QuotedFlushWarning {
  form: "worker" | "task";
  /** The flushing worker's queue name and function (worker form), or the task (task form). */
  flusherQueue: string | null;
  flusherFn: string | null;
  task: string | null;
  flushedQueue: string;
  /** The flushed work function, or null when printed as an address. */
  flushedFn: string | null;
}

/** Roles whose queued work IO waits on outright (the request or the recovery is handed to it). */
const IO_HANDOFF_ROLES: ReadonlySet<Role> = new Set(["io-submit", "io-error", "swap-io"]);
/** Roles whose queued work IO waits on when that work completes IO (else it may only clean up). */
const IO_COMPLETE_ROLES: ReadonlySet<Role> = new Set(["io-complete", "writeback"]);
/**
 * Roles of kernel callbacks that IO or reclaim waits on: work that calls one through its ops field
 * (`sched->ops->run_job(job)`, `q->mq_ops->queue_rq(...)`) runs that code itself, so what waits on the callback
 * waits on the work.
 */
const WAITED_CALLBACK_ROLES: ReadonlySet<Role> = new Set(["io-submit", "io-complete", "io-error", "writeback", "swap-io", "fence-signal"]);
/** The role a call through a pointer runs, by its field when the field names one kernel callback unambiguously. */
function calledRole(callee: string): { role: Role; label: string } | null {
  if (!callee.startsWith("->")) return null;
  const r = FIELD_ROLES[callee.slice(2)];
  return r && WAITED_CALLBACK_ROLES.has(r.role) ? r : null;
}
/** Roles that run inside reclaim or writeback: what they flush, reclaim waits on. */
const RECLAIM_ROLES: ReadonlySet<Role> = new Set(["shrinker", "reclaim-evict", "reclaim-release", "writeback", "io-submit", "io-complete", "io-error", "swap-io"]);

const MAX_TEXT = 2 * 1024 * 1024;
const MAX_DEPTH = 3;
/** How many callers up runsAs() looks for the work a function runs in (the reclaim analysis' caller search also goes four up). */
const RUNS_AS_DEPTH = 4;
/**
 * How many functions runsAs() reads on the way up. A function called from many places uses the first links up
 * (a filesystem's shutdown, called through a macro from some eighty places, one of them the metadata write
 * completion its buffer work runs), so this is far more than the links of one chain.
 */
const RUNS_AS_FUNCTIONS = 512;

// ---------------------------------------------------------------- helpers

const parseCache = new Map<string, { text: string; flows: FunctionFlow[] }>();
registerMemo("workqueue flows", parseCache);

function flowsOf(cacheKey: string, text: string): FunctionFlow[] {
  const c = parseCache.get(cacheKey);
  if (c && c.text === text) return c.flows;
  const flows: FunctionFlow[] = [];
  const tree = parseC(text);
  try {
    const seen = new Set<string>();
    for (const n of tree.rootNode.descendantsOfType("function_definition")) {
      if (!n) continue;
      const name = functionName(n);
      if (!name || seen.has(name)) continue;
      seen.add(name);
      flows.push(analyseFunction(n));
    }
  } finally {
    tree.delete();
  }
  if (parseCache.size > 200) parseCache.delete(parseCache.keys().next().value!);
  parseCache.set(cacheKey, { text, flows });
  return flows;
}

/** Files scanned (linear, no parse), by image and path: the reclaim analysis's cache, shared. */
function scanOf(cacheKey: string, text: string): ScanFile {
  return sharedScan(cacheKey, text);
}

/** Flows built from the scan (no path state). */
const scanned = new WeakSet<FunctionFlow>();
const NO_STATE: FlowEvent["state"] = { mustScopes: [], mayScopes: [], held: [], scopes: [] };

/** The arguments of the first call of `callee` on `line`, read from the text (strings kept, lines joined). */
function argsFromText(text: string, lines: string[], line: number, callee: string): string[] | null {
  let off = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) off += lines[i]!.length + 1;
  const m = new RegExp(`\\b${callee}\\s*\\(`).exec(text.slice(off, off + 4096));
  if (!m) return null;
  const args = callArguments(text, off + m.index + m[0].length - 1);
  return args ? args.map((a) => a.replace(/\s+/g, " ").trim()) : null;
}

/** The lvalue a call on `line` is assigned to ("dev->wq =\n\talloc_workqueue(" included). */
function lhsBefore(lines: string[], line: number, callee: string): string | null {
  const at = lines[line - 1] ?? "";
  const i = at.indexOf(callee);
  let head = i >= 0 ? at.slice(0, i) : at;
  if (!/=\s*(?:\([^()]*\)\s*)?$/.test(head) && line >= 2) head = `${lines[line - 2] ?? ""} ${head}`;
  const m = /([A-Za-z_][\w.>\-[\]]*)\s*=\s*(?:\([^()]*\)\s*)?$/.exec(stripLine(head).trimEnd());
  return m ? m[1]!.replace(/-$/, "") : null;
}

const unquote = (s: string | undefined): string | null => {
  const m = s ? /^"((?:[^"\\]|\\.)*)"$/.exec(s.trim()) : null;
  return m ? m[1]! : null;
};

const WQ_FLAG_NAMES: ReadonlySet<string> = new Set([...Object.keys(WQ_FLAG_BITS), ...WQ_FLAGS]);

/** Flags made only of WQ_ flag names, numbers, | and parentheses: whether WQ_MEM_RECLAIM is set (and not cleared). */
export function literalFlags(text: string): { memReclaim: boolean; legacy: boolean } | null {
  const t = text.trim();
  if (!/^[\sA-Za-z_0-9|()~xX]*$/.test(t)) return null;
  const ids = t.match(/[A-Za-z_]\w*/g) ?? [];
  if (!ids.every((id) => WQ_FLAG_NAMES.has(id) || /^0[xX][0-9a-fA-F]+$/.test(id) || /^[xX]$/.test(id))) return null;
  const cleared = /~\s*\(?[\w\s|]*\bWQ_MEM_RECLAIM\b/.test(t);
  return { memReclaim: /\bWQ_MEM_RECLAIM\b/.test(t) && !cleared, legacy: /\b__WQ_LEGACY\b/.test(t) };
}

/**
 * A queue whose work runs in softirq (a BH queue: WQ_BH, system_bh_wq): no worker is created for its work, so it
 * needs no rescuer, and WQ_MEM_RECLAIM is refused with WQ_BH (include/linux/workqueue.h, __WQ_BH_ALLOWS).
 */
export function runsInSoftirq(flags: FlagsFact): boolean {
  return flags.how === "system" ? softirqSystemQueue(flags.text) : /\bWQ_BH\b/.test(flags.text) && !/~\s*\(?[\w\s|]*\bWQ_BH\b/.test(flags.text);
}

/** A system queue that runs its work in softirq (system_bh_wq): see runsInSoftirq(). */
export function softirqSystemQueue(name: string): boolean {
  return SYSTEM_QUEUES[name]?.bh === true;
}

/** Words that put a region in the workqueue analysis's view: queues, work items, flushes, waits for completions. */
const WQ_TOKENS = new RegExp(
  // (kernel threads too: a queue's work moved into a thread of its own is judged where the thread is started)
  `\\b(?:${[...Object.keys(WQ_CONSTRUCTORS), ...Object.keys(QUEUE_CALLS), ...Object.keys(FLUSH_CALLS), ...Object.keys(WORK_INITS), ...Object.keys(THREAD_SPAWNERS), "work_struct", "delayed_work", "wait_for_completion\\w*", "WQ_\\w+"].join("|")})\\b`,
);

/** The queues a queue call without a queue argument uses (named by no argument of the call). */
const IMPLIED_QUEUES: ReadonlySet<string> = new Set(Object.values(QUEUE_CALLS).filter((q) => q.queueArg < 0).map((q) => q.system ?? "system_wq"));

const QUEUE_CALL_WORDS = new RegExp(`\\b(?:${Object.keys(QUEUE_CALLS).join("|")})\\s*\\(`);
const wqChangedMemo = new WeakMap<Patch, boolean>();

/**
 * Whether a patch changes anything a workqueue judgement starts from
 * (diff-only): a changed line naming a queue constructor, a WQ_ flag, a flush
 * or cancel, a work initialiser or a completion wait, or queueing calls both
 * removed and added (work moved between queues). A queue_work() the patch
 * only adds links work to a queue; it starts no judgement by itself.
 */
function wqChanged(patch: Patch): boolean {
  const memo = wqChangedMemo.get(patch);
  if (memo !== undefined) return memo;
  let added = false;
  let removed = false;
  let out = false;
  for (const f of patch.files) {
    for (const h of f.hunks) {
      for (const l of h.lines) {
        if (l.kind === "ctx") continue;
        if (QUEUE_CALL_WORDS.test(l.text)) {
          if (l.kind === "add") added = true;
          else removed = true;
          if (!WQ_TOKENS.test(l.text.replace(QUEUE_CALL_WORDS, ""))) continue;
        }
        if (WQ_TOKENS.test(l.text)) out = true;
      }
      if (out) break;
    }
    if (out) break;
  }
  out ||= added && removed;
  wqChangedMemo.set(patch, out);
  return out;
}

/**
 * The diff regions (diff-only review) the workqueue analysis reads: those that
 * name a queue, a work item, a flush or a completion wait, and the functions
 * they name (work functions bound, helpers called), a few links deep. A region
 * outside this set holds nothing a workqueue judgement starts from or reaches.
 */
function wqRelevant<R extends { name: string | null; signature: string; lines: { text: string }[] }>(regions: R[]): R[] {
  const picked = new Set<R>();
  let names = new Set<string>();
  const take = (r: R) => {
    picked.add(r);
    for (const l of r.lines) for (const m of l.text.matchAll(/[A-Za-z_]\w*/g)) names.add(m[0]);
  };
  for (const r of regions) if (WQ_TOKENS.test(r.signature) || r.lines.some((l) => WQ_TOKENS.test(l.text))) take(r);
  for (let depth = 0; depth <= MAX_DEPTH && names.size > 0; depth++) {
    const found = names;
    names = new Set();
    for (const r of regions) if (!picked.has(r) && r.name && found.has(r.name)) take(r);
  }
  return regions.filter((r) => picked.has(r));
}

/** "zap_io_%d" matches "zap_io_0"; a printed name cut short by the name buffer matches a longer format. */
export function formatMatches(format: string, printed: string): boolean {
  const parts = format.split(/%[-+ #0]*\d*(?:\.\d+)?(?:hh|h|ll|l|z|j|t)?[diouxXcsp]/);
  const re = new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  if (re.test(printed)) return true;
  // cut short (23 or 31 characters printed): the printed name is a prefix of some expansion
  if (printed.length === 23 || printed.length === 31) {
    const lit = parts[0]!;
    return lit.length >= printed.length ? lit.startsWith(printed) : printed.startsWith(lit) && parts.length > 1;
  }
  return false;
}

/** The system queues a printed name stands for (names cut short included). */
export function systemQueuesNamed(printed: string): string[] {
  const exact = SYSTEM_QUEUE_NAMES[printed];
  if (exact) return exact.queues;
  if (printed.length >= 15) for (const [n, v] of Object.entries(SYSTEM_QUEUE_NAMES)) if (n.startsWith(printed)) return v.queues;
  return [];
}

/**
 * The check_flush_dependency() warnings a commit message quotes (the format
 * is kernel/workqueue.c's, see FLUSH_WARNINGS); mail quoting and printk
 * timestamps are removed and wrapped lines joined first.
 */
export function quotedFlushWarnings(message: string): QuotedFlushWarning[] {
  const text = message
    .split(/\r?\n/)
    .map((l) => l.replace(/^(?:\s*>)+/, "").replace(/^\s*\[\s*[\d.]+\]\s*/, ""))
    .join("\n")
    .replace(/\s+/g, " ");
  const out: QuotedFlushWarning[] = [];
  const fnOf = (s: string) => (/^0x[0-9a-fA-F]+$/.test(s) || s === "(null)" ? null : s.replace(/\+0x.*$/, ""));
  for (const m of text.matchAll(WARNING_RE.worker)) out.push({ form: "worker", flusherQueue: m[1]!, flusherFn: fnOf(m[2]!), task: null, flushedQueue: m[3]!, flushedFn: fnOf(m[4]!) });
  for (const m of text.matchAll(WARNING_RE.task)) out.push({ form: "task", flusherQueue: null, flusherFn: null, task: m[2]!, flushedQueue: m[3]!, flushedFn: fnOf(m[4]!) });
  return out;
}

/**
 * A printk format as a pattern over the printed text: %s and %ps capture a
 * word (a %ps symbol may be followed by its module, " [mod]"), "(%s)" captures
 * up to the ")", %d captures digits; the "workqueue: " prefix may be cut.
 */
function printedPattern(format: string): RegExp {
  const body = format.replace(/^workqueue: /, "");
  let re = "";
  for (const part of body.split(/(\(%s\)|%ps|%s|%d)/)) {
    if (part === "(%s)") re += String.raw`\(([^)]*)\)`;
    else if (part === "%ps") re += String.raw`(\S+?)(?: \[[\w-]+\])?`;
    else if (part === "%s") re += String.raw`(\S+?)`;
    else if (part === "%d") re += String.raw`(\d+)`;
    else re += part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`${re}(?=\\s|$)`, "g");
}

/** The two forms of check_flush_dependency()'s warning, from the vocabulary's formats. */
const WARNING_RE = { worker: printedPattern(FLUSH_WARNINGS.worker.format), task: printedPattern(FLUSH_WARNINGS.task.format) };

/** printf conversions in a format literal (each `*` width or precision takes an argument too). */
export function formatArgCount(format: string): number {
  let n = 0;
  for (const m of format.matchAll(/%(%|[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?(?:hh|h|ll|l|L|z|j|t)?([diouxXcspfeEgGan]))/g)) {
    if (m[1] === "%") continue;
    n++;
    if (m[2] === "*") n++;
    if (m[3] === "*") n++;
  }
  return n;
}

// ---------------------------------------------------------------- the analysis

/** A queue named by a variable alone (not a field, a call or an expression): a file-static one is its file's own. */
const BARE_VARIABLE = /^\s*[A-Za-z_]\w*\s*$/;

export class WorkqueueAnalysis {
  readonly kernel: KernelVersion;
  readonly tree: boolean;
  private readonly facts: ContextFacts | null;
  private readonly changedLines: Record<Image, Map<string, Set<number>>>;
  private viewMemo = new Map<string, FnView[]>();
  private queueMemo = new Map<string, QueueFact>();
  /** Helper calls that name no queue of their own (no returns of a workqueue_struct pointer found). */
  private notReturned = new Set<string>();
  private changesMemo: FlagChange[] | null = null;
  private behaviourMemo = new Map<string, WorkBehaviour>();
  private macroMemo: Partial<Record<Image, Map<string, MacroFact>>> = {};
  private definerMemo = new Map<string, Map<string, string[]>>();
  private patchViewMemo: Partial<Record<Image, PatchViews>> = {};

  constructor(
    readonly ra: ReclaimAnalysis,
    readonly patch: Patch,
    readonly source: SourceContext | undefined,
  ) {
    this.kernel = ra.kernel;
    this.facts = getFacts(source);
    this.tree = this.facts !== null;
    this.changedLines = { post: new Map(), pre: new Map() };
    for (const f of patch.files) {
      const add = new Set<number>();
      const del = new Set<number>();
      for (const h of f.hunks)
        for (const l of h.lines) {
          if (l.kind === "add" && l.newLine !== null) add.add(l.newLine);
          if (l.kind === "del" && l.oldLine !== null) del.add(l.oldLine);
        }
      this.changedLines.post.set(f.path, add);
      this.changedLines.pre.set(f.oldPath ?? f.path, del);
    }
  }

  /** Does check_flush_dependency() skip cancel paths in the kernel under review (de35994ecd2d)? */
  cancelExempt(): boolean {
    return holdsFor(CANCEL_NOT_CHECKED, this.kernel);
  }

  private factsOf(image: Image): FactsView | null {
    if (!this.facts) return null;
    return image === "post" ? this.facts : this.facts.pre;
  }

  /** The tree's version of a file the patch changes but does not apply to (none in an audit or without a tree). */
  private standInText(path: string): string | undefined {
    if (!this.facts || !this.source || this.ra.mode === "audit") return undefined;
    return this.source.preImage(path) ?? this.facts.pre?.text(path);
  }

  private textOf(path: string, image: Image): string | undefined {
    if (!this.facts || !this.source) return undefined;
    if (image === "post") return this.source.postImage(path) ?? this.facts.text(path);
    return this.source.preImage(path) ?? this.facts.pre?.text(path);
  }

  // ------------------------------------------------------------ views

  /**
   * The functions the patch shows on one side (fragments diff-only, whole
   * functions with a tree): the reclaim analysis's walks, and fragments of
   * its own for regions that analysis leaves out because nothing it tracks is
   * in them (a work function that only ends bios or signals a completion).
   */
  patchViews(image: Image): FnView[] {
    const m = this.patchSet(image);
    return (m.all ??= [...m.walked, ...m.own.map((f) => this.walkFragment(f)).filter((v): v is FnView => v !== null)]);
  }

  /**
   * The views of patchViews() that may hold what `keep` looks for, in the same
   * order: the reclaim analysis's walks (already made) and this analysis's own
   * fragments that pass `keep`, walked only now. A fragment `keep` turns down
   * must be one whose view (if the parse gives one) the caller would pass over.
   */
  private patchViewsWhere(image: Image, keep: (f: OwnFragment) => boolean): FnView[] {
    const m = this.patchSet(image);
    if (m.all) return m.all.filter((v) => !m.ownViews.has(v) || keep(m.ownViews.get(v)!));
    const out = [...m.walked];
    for (const f of m.own) {
      if (!keep(f)) continue;
      const v = this.walkFragment(f);
      if (v) out.push(v);
    }
    return out;
  }

  /** patchViews() of the fragments whose text may hold an event of one of `kinds` (event-gates.ts). */
  private patchViewsHolding(image: Image, kinds: readonly GateKind[]): FnView[] {
    return this.patchViewsWhere(image, (f) => mayHold(f.text, kinds));
  }

  /** Which views the diff shows on one side, this analysis's own fragments not yet walked (decided once, on the first call, as before). */
  private patchSet(image: Image): PatchViews {
    const memo = this.patchViewMemo[image];
    if (memo) return memo;
    // diff-only, the pre image: this analysis's own fragments, whether or not a rule had the reclaim analysis walk
    // the old side (the answers must not depend on the order the rules ran in)
    const walked = image === "post" ? this.ra.post() : this.tree ? this.ra.pre() : [];
    const own: OwnFragment[] = [];
    if (!this.tree && wqChanged(this.patch)) {
      const regions = regionsOf(this.patch, image === "post" ? "new" : "old").filter((r) => r.lines.some((l) => l.changed) || r.hunk.lines.some((l) => l.kind !== "ctx"));
      for (const r of wqRelevant(regions)) {
        const path = image === "post" ? r.file.path : r.file.oldPath ?? r.file.path;
        const first = r.lines[0]!.line;
        const last = r.lines[r.lines.length - 1]!.line;
        if (walked.some((v) => v.path === path && v.name === (r.name ?? "?") && first >= v.flow.start && last <= v.flow.end)) continue;
        own.push({ region: r, path, name: r.name ?? "?", image, text: `${r.signature}\n${r.lines.map((l) => l.text).join("\n")}`, changedText: r.lines.filter((l) => l.changed).map((l) => l.text).join("\n"), view: undefined });
      }
    }
    return (this.patchViewMemo[image] = { walked, own, all: null, ownViews: new Map() });
  }

  /** One of this analysis's own fragments parsed and walked (once). */
  private walkFragment(f: OwnFragment): FnView | null {
    if (f.view !== undefined) return f.view;
    const r = f.region;
    const params = paramsOfSignature(r.signature);
    const flow = regionFlow(r, { params, types: paramTypes(params.join(", ")) });
    f.view = flow ? { path: f.path, name: f.name, flow, image: f.image, whole: false, changed: new Set(r.lines.filter((l) => l.changed).map((l) => l.line)), signature: r.signature } : null;
    if (f.view) this.patchViewMemo[f.image]!.ownViews.set(f.view, f);
    return f.view;
  }

  /** Every function of the files the patch touches on one side (the hunks' functions diff-only; whole files with a tree). */
  touchedViews(image: Image, kinds?: readonly GateKind[]): FnView[] {
    // diff-only: with `kinds`, only the fragments that may hold an event of one of them (the others hold none)
    if (!this.tree) return kinds ? this.patchViewsHolding(image, kinds) : this.patchViews(image);
    return [...new Set(this.patch.files.map((f) => (image === "post" ? f.path : f.oldPath ?? f.path)))].flatMap((p) => this.fileViews(p, image));
  }

  private staticMemo = new Map<string, boolean>();

  /** `name` is a variable the file declares static at file scope (`static struct workqueue_struct *name;`). */
  private fileStatic(path: string, name: string, image: Image): boolean {
    const k = `${image}:${path}:${name}`;
    let hit = this.staticMemo.get(k);
    if (hit === undefined) {
      const t = this.textOf(path, image) ?? (image === "post" ? this.standInText(path) : undefined) ?? this.patchText(path, image);
      hit = t !== undefined && t.includes(name) && new RegExp(`^static\\s[^;(=]*\\b${name}\\s*(?:=[^=]|;|\\[)`, "m").test(t);
      this.staticMemo.set(k, hit);
    }
    return hit;
  }

  /** The patch's own lines of a file on one side (diff only, or a file the tree does not have). */
  private patchText(path: string, image: Image): string | undefined {
    const f = this.patch.files.find((x) => (image === "post" ? x.path : x.oldPath ?? x.path) === path);
    if (!f) return undefined;
    return f.hunks.flatMap((h) => h.lines.filter((l) => l.kind !== (image === "post" ? "del" : "add")).map((l) => l.text)).join("\n");
  }

  /** A file the patch changes (named by its old path) whose post-image the sources could not make: the patch does not apply to it. */
  private unappliedOld(oldPath: string): boolean {
    const f = this.patch.files.find((x) => (x.oldPath ?? x.path) === oldPath);
    return f !== undefined && f.newPath !== null && this.source !== undefined && this.source.postImage(f.path) === undefined;
  }

  /**
   * Views of every function of one file of the tree, from the linear scan:
   * their calls, classified by the same vocabulary, without the state along
   * paths (enough to find queues, work items, queueings and flushes;
   * `fullView()` walks one when its paths matter). Lines the text places in
   * no function (a tree that moved, a file not in it) get the hunks' fragments.
   */
  private fileViews(path: string, image: Image): FnView[] {
    const key = `${image}:${path}`;
    const memo = this.viewMemo.get(key);
    if (memo) return memo;
    let text = this.textOf(path, image);
    const out: FnView[] = [];
    const changed = this.changedLines[image].get(path) ?? new Set<number>();
    // the old side of a file the patch does not apply to: the tree's text is another version, not the patch's
    // pre-image, so the patch's old line numbers do not name its lines; the hunks' fragments say what was there
    const otherVersion = image === "pre" && text !== undefined && changed.size > 0 && this.unappliedOld(path);
    const fragments = (text === undefined || otherVersion) && changed.size > 0 ? this.fragmentViewsOf(path, image, changed) : [];
    out.push(...fragments);
    // a file the patch does not apply to: the tree's version of its other functions stands in (callers, work bindings)
    const standIn = text === undefined && image === "post" ? this.standInText(path) : otherVersion ? text : undefined;
    text ??= standIn;
    if (text !== undefined && text.length <= MAX_TEXT && /\.[ch]$/.test(path)) {
      const audit = this.ra.mode === "audit";
      const scan = scanOf(key, text);
      let lines: string[] | null = null;
      for (const fn of scan.functions) {
        const covered = standIn !== undefined && fragments.some((f) => f.name === fn.name);
        // (the tree's version of a function a fragment covers stands in only for a queue's allocation outside the hunks)
        if (covered && !fn.calls.some((c) => WQ_CONSTRUCTORS[c.callee] !== undefined)) continue;
        const params = paramsOfSignature(`${fn.name}(${fn.params})`);
        const types = paramTypes(fn.params);
        const events: FlowEvent[] = fn.calls.map((c) => {
          // a constructor's name literal (the scan blanks strings) and the lvalue it is stored in, from the text
          const ctor = WQ_CONSTRUCTORS[c.callee] !== undefined;
          const args = ctor ? argsFromText(text, (lines ??= text.split("\n")), c.line, c.callee) ?? c.args : c.args;
          const assignedTo = ctor ? lhsBefore(lines!, c.line, c.callee) : null;
          return { callee: c.callee, args, line: c.line, assignedTo, info: classifyCall(c.callee, args, assignedTo, (v) => types.get(v) ?? null), state: NO_STATE, conditional: false };
        });
        // calls through a pointer to a kernel callback IO or reclaim waits on (what the work runs, for waitLink)
        for (const pc of fn.pointerCalls ?? [])
          if (calledRole(`->${pc.field}`)) events.push({ callee: `->${pc.field}`, receiver: pc.receiver, args: [], line: pc.line, assignedTo: null, info: { kind: "call" }, state: NO_STATE, conditional: false });
        events.sort((x, y) => x.line - y.line);
        const flow: FunctionFlow = { name: fn.name, start: fn.start, end: fn.end, entryVisible: true, endVisible: true, isStatic: fn.isStatic, params, returnType: "", events, exits: [], problems: [], types, handedOver: [], returnsScope: [], restoresParam: false };
        scanned.add(flow);
        const own = audit ? new Set(events.map((e) => e.line)) : standIn !== undefined ? new Set<number>() : new Set([...changed].filter((l) => l >= fn.start && l <= fn.end));
        const view: FnView = { path, name: fn.name, flow, image, whole: true, changed: own, signature: `${fn.name}(${fn.params})` };
        if (covered) {
          // only its queue allocations the fragments do not show (a constructor call whose text no fragment holds)
          const shown = fragments.filter((f) => f.name === fn.name).flatMap((f) => f.flow.events.filter((e) => e.info.kind === "wq-alloc").map((e) => e.assignedTo ?? ""));
          const allocs = events.filter((e) => e.info.kind === "wq-alloc" && !shown.includes(e.assignedTo ?? ""));
          if (allocs.length > 0) {
            const partial = { ...flow, events: allocs };
            scanned.add(partial);
            out.push({ ...view, flow: partial });
          }
          continue;
        }
        out.push(view);
      }
      // changed lines no function of the text holds (the tree moved under the patch): the hunks' fragments
      const loose = standIn !== undefined ? [] : [...changed].filter((l) => !out.some((v) => l >= v.flow.start && l <= v.flow.end));
      if (loose.length > 0 && !audit) out.push(...this.fragmentViewsOf(path, image, new Set(loose)));
    }
    this.viewMemo.set(key, out);
    return out;
  }

  /** The view with its paths walked (scopes and locks along them), for a view that came from the scan. */
  fullView(view: FnView): FnView {
    if (!scanned.has(view.flow)) return view;
    const text = this.textOf(view.path, view.image) ?? (view.image === "post" ? this.standInText(view.path) : undefined);
    if (text === undefined) return view;
    const flow = flowsOf(`${view.image}:${view.path}`, text).find((f) => f.name === view.name);
    return flow ? { ...view, flow, signature: `${flow.returnType} ${flow.name}(${flow.params.join(", ")})`.trim() } : view;
  }

  /** Fragment views (as the diff shows them) of the regions of one file holding some of `lines`. */
  private fragmentViewsOf(path: string, image: Image, lines: ReadonlySet<number>): FnView[] {
    const out: FnView[] = [];
    for (const r of regionsOf(this.patch, image === "post" ? "new" : "old")) {
      if ((image === "post" ? r.file.path : r.file.oldPath ?? r.file.path) !== path) continue;
      if (!r.lines.some((l) => l.changed && lines.has(l.line))) continue;
      const params = paramsOfSignature(r.signature);
      const flow = regionFlow(r, { params, types: paramTypes(params.join(", ")) });
      if (!flow) continue;
      out.push({ path, name: r.name ?? "?", flow, image, whole: false, changed: new Set(r.lines.filter((l) => l.changed).map((l) => l.line)), signature: r.signature });
    }
    return out;
  }

  /** The files near a path: itself and the other C files of its directory (tree), or the patch's files. */
  private filesNear(path: string, image: Image): string[] {
    const fv = this.factsOf(image);
    if (!fv) return [];
    const own = [path, ...fv.neighbours(path).filter((p) => p !== path)];
    return own.filter((p) => /\.[ch]$/.test(p));
  }

  /**
   * The functions near a path that may hold what is asked about: diff-only,
   * every function the patch shows on that side; with a tree, the functions
   * of the directory's files whose text names `needle`.
   */
  viewsNear(path: string, image: Image, needle: string, keep?: (text: string) => boolean): FnView[] {
    // diff-only: every function the patch shows that may hold what is asked about (`keep`, on its text)
    if (!this.tree) return keep ? this.patchViewsWhere(image, (f) => keep(f.text)) : this.patchViews(image);
    const out: FnView[] = [];
    for (const f of this.filesNear(path, image)) {
      const t = this.textOf(f, image);
      if (t !== undefined) {
        if (t.includes(needle)) out.push(...this.fileViews(f, image));
        continue;
      }
      // a file the patch does not apply to: the hunks' fragments (what the patch adds, e.g. a field the tree does not
      // have yet) and the tree's version of its other functions
      const standIn = image === "post" ? this.standInText(f) : undefined;
      if ((this.changedLines[image].get(f)?.size ?? 0) > 0 || standIn?.includes(needle)) out.push(...this.fileViews(f, image));
    }
    return out;
  }

  /** The view of a function by name near a path (the same file first, then a non-static definition of the directory). */
  viewOf(path: string, name: string, image: Image): FnView | null {
    if (!this.tree) {
      const near = this.patchViewsWhere(image, (f) => f.name === name);
      return near.find((v) => v.path === path && v.name === name) ?? near.find((v) => v.name === name) ?? null;
    }
    const own = this.fileViews(path, image).find((v) => v.name === name);
    if (own) return own;
    for (const f of this.definers(path, image).get(name) ?? []) {
      const v = this.fileViews(f, image).find((x) => x.name === name && !x.flow.isStatic);
      if (v) return v;
    }
    return null;
  }

  /** Which files of a path's directory define which functions (from the scans). */
  private definers(path: string, image: Image): Map<string, string[]> {
    const key = `${image}:${dirname(path)}`;
    let m = this.definerMemo.get(key);
    if (m) return m;
    m = new Map();
    for (const f of this.filesNear(path, image)) {
      const t = this.textOf(f, image);
      if (t === undefined || t.length > MAX_TEXT) continue;
      for (const fn of scanOf(`${image}:${f}`, t).functions) m.set(fn.name, [...(m.get(fn.name) ?? []), f]);
    }
    this.definerMemo.set(key, m);
    return m;
  }

  /** Every fragment of the same function the patch shows (diff-only: one per hunk); the view itself with a tree. */
  fragmentsOf(view: FnView): FnView[] {
    if (this.tree || view.whole) return [view];
    const same = this.patchViewsWhere(view.image, (f) => f.name === view.name && f.path === view.path).filter((v) => v.path === view.path && v.name === view.name);
    return same.length > 0 ? same : [view];
  }

  /** The view holding a line (a flush, a queueing) on one side. */
  viewAt(path: string, line: number, image: Image): FnView | null {
    const vs = this.tree ? this.fileViews(path, image) : this.patchViewsWhere(image, (f) => f.path === path).filter((v) => v.path === path);
    return vs.find((v) => line >= v.flow.start && line <= v.flow.end) ?? null;
  }

  // ------------------------------------------------------------ queues

  /** Constructor calls near a path whose result is stored under `key` (or every one, without a key). */
  allocSites(path: string, image: Image, key: string | null): QueueSite[] {
    const out: QueueSite[] = [];
    // (the key is the last identifier of the lvalue, so a fragment holding such a call names it)
    for (const view of this.viewsNear(path, image, key ?? "workqueue", (t) => mayHold(t, ["wq-alloc"]) && (key === null || mentions(t, key)))) {
      for (const ev of view.flow.events) {
        if (ev.info.kind !== "wq-alloc") continue;
        const expr = ev.assignedTo;
        const k = expr ? keyOf(expr) : null;
        if (key !== null && k !== key) continue;
        const fmt = WQ_CONSTRUCTOR_FORMAT[ev.callee]?.fmtArg ?? 0;
        out.push({ view, ev: ev as QueueSite["ev"], key: k, expr, name: unquote(ev.args[fmt]) });
      }
    }
    return out;
  }

  /** The flags of one constructor call: literal, implied by the constructor, a macro expanded, a variable's value. */
  flagsOf(site: QueueSite): FlagsFact {
    const info = site.ev.info;
    const ctor = WQ_CONSTRUCTORS[info.constructor]!;
    if (ctor.legacy) return { memReclaim: true, legacy: true, text: `${info.constructor}()`, how: "constructor" };
    const text = info.flags ?? "";
    if (text === "") return { memReclaim: null, legacy: false, text, how: "unknown", unknown: `the flags argument of ${info.constructor}() at ${site.view.path}:${site.ev.line}` };
    const lit = literalFlags(text);
    if (lit) return { ...lit, text, how: "literal" };
    // a macro: the tree's index expands macros of the directory and its headers; diff-only, the patch's own #defines
    // (a file the patch does not apply to is read in the tree's version, standInText(): its index is the pre-image's)
    const unapplied = site.view.image === "post" && this.tree && this.textOf(site.view.path, "post") === undefined;
    const fv = this.factsOf(unapplied ? "pre" : site.view.image);
    if (fv && site.expr) {
      const q = fv.queueFlags(site.view.path, site.expr);
      if (q && q.memReclaim !== null) return { memReclaim: q.memReclaim, legacy: q.legacy, text, how: "macro" };
    }
    const macros = this.patchMacros(site.view.image);
    if (macros.size > 0) {
      const lx = literalFlags(expandMacros(text, macros));
      if (lx) return { ...lx, text, how: "macro" };
    }
    return this.variableFlags(site, text);
  }

  /** #define lines of the patch on one side (diff-only macro expansion). */
  private patchMacros(image: Image): Map<string, MacroFact> {
    const cached = this.macroMemo[image];
    if (cached) return cached;
    const out = new Map<string, MacroFact>();
    for (const f of this.patch.files)
      for (const h of f.hunks) {
        const lines = h.lines.filter((l) => l.kind !== (image === "post" ? "del" : "add")).map((l) => l.text);
        for (let i = 0; i < lines.length; i++) {
          let t = lines[i]!;
          while (/\\\s*$/.test(t) && i + 1 < lines.length) t = t.replace(/\\\s*$/, " ") + lines[++i]!;
          const m = /^\s*#\s*define\s+([A-Za-z_]\w*)(\(([^)]*)\))?\s*(.*)$/.exec(stripLine(t));
          if (!m) continue;
          out.set(m[1]!, { params: m[2] ? m[3]!.split(",").map((p) => p.trim()).filter(Boolean) : null, body: m[4]!.trim() });
        }
      }
    this.macroMemo[image] = out;
    return out;
  }

  /** The lines of a view's function as far as they are visible (the file, or the hunks' side). */
  private visibleLines(view: FnView): Map<number, string> {
    const out = new Map<number, string>();
    // (a whole function of a file the patch does not apply to is the tree's version: its lines are the stand-in's)
    const text = this.tree ? this.textOf(view.path, view.image) ?? (view.whole && view.image === "post" ? this.standInText(view.path) : undefined) : undefined;
    if (text !== undefined) {
      const ls = text.split("\n");
      for (let n = view.flow.start; n <= Math.min(view.flow.end, ls.length); n++) out.set(n, ls[n - 1]!);
      return out;
    }
    for (const f of this.patch.files) {
      if ((view.image === "post" ? f.path : f.oldPath ?? f.path) !== view.path) continue;
      for (const h of f.hunks)
        for (const l of h.lines) {
          const n = view.image === "post" ? (l.kind === "del" ? null : l.newLine) : l.kind === "add" ? null : l.oldLine;
          if (n !== null && n >= view.flow.start && n <= view.flow.end) out.set(n, l.text);
        }
    }
    return out;
  }

  /** Flags held in a variable: its assignments before the call, in the lines visible. */
  private variableFlags(site: QueueSite, text: string): FlagsFact {
    const ids = (text.match(/[A-Za-z_]\w*/g) ?? []).filter((id) => !WQ_FLAG_NAMES.has(id));
    const base: FlagsFact = { memReclaim: null, legacy: false, text, how: "variable" };
    if (ids.length !== 1 || !/^[\sA-Za-z_0-9|()]*$/.test(text)) return { ...base, how: "unknown", unknown: `what ${text} expands to (not visible here)` };
    const v = ids[0]!;
    const view = site.view;
    if (view.flow.params.some((p) => new RegExp(`\\b${v}\\s*$`).test(p))) return { ...base, unknown: `the flags the callers of ${view.name}() pass as ${v}` };
    const lines = [...this.visibleLines(view).entries()].filter(([n]) => n < site.ev.line).sort((a, b) => a[0] - b[0]);
    let value: string | null = null;
    let orMr: { line: number; cond: boolean } | null = null;
    let clears = false;
    let depth = 0;
    const state = { inComment: false };
    const assigns: { line: number; op: string; rhs: string; depth: number; cond: boolean }[] = [];
    let prev = "";
    for (const [n, raw] of lines) {
      const code = stripLine(raw, state);
      const m = new RegExp(`(?:^|[^\\w.>])${v}\\s*(\\|=|&=|=)(?!=)\\s*([^;]*);`).exec(code);
      if (m) assigns.push({ line: n, op: m[1]!, rhs: m[2]!.trim(), depth, cond: /^\s*(?:if|else)\b/.test(code) || /^\s*(?:\}\s*)?(?:if\s*\(.*\)|else)\s*$/.test(prev) });
      for (const c of code) {
        if (c === "{") depth++;
        else if (c === "}") depth--;
      }
      if (code.trim() !== "") prev = code;
    }
    if (assigns.length === 0) return { ...base, unknown: `the value of ${v} (set outside the lines shown)` };
    const top = Math.min(...assigns.map((a) => a.depth));
    for (const a of assigns) {
      const lit = literalFlags(a.rhs);
      if (a.op === "=") {
        if (!lit) return { ...base, unknown: `the value of ${v} (assigned ${a.rhs} at line ${a.line})` };
        if (a.depth === top && !a.cond) {
          value = a.rhs;
          orMr = null;
          clears = false;
        } else if (lit.memReclaim) orMr = { line: a.line, cond: true };
      } else if (a.op === "|=") {
        if (!lit) return { ...base, unknown: `the value of ${v} (or-ed with ${a.rhs} at line ${a.line})` };
        if (lit.memReclaim) orMr = { line: a.line, cond: a.cond || a.depth > top };
      } else if (a.op === "&=" && /~\s*\(?[\w\s|]*\bWQ_MEM_RECLAIM\b/.test(a.rhs)) clears = true;
    }
    if (value === null) return { ...base, unknown: `the value of ${v} before line ${assigns[0]!.line}` };
    const baseLit = literalFlags(value)!;
    if (clears) return { ...base, unknown: `whether WQ_MEM_RECLAIM is cleared from ${v} on the path to the call` };
    if (orMr && orMr.cond && !baseLit.memReclaim) return { ...base, unknown: `whether the condition under which ${v} gets WQ_MEM_RECLAIM (line ${orMr.line}) holds` };
    return { memReclaim: baseLit.memReclaim || orMr !== null, legacy: baseLit.legacy, text, how: "variable" };
  }

  /** The queue an expression names ("mp->m_sync_wq", "system_wq"), with its flags as far as known. */
  queueFact(path: string, expr: string, image: Image): QueueFact {
    // a queue a helper returns is keyed by the helper (its last argument is not the queue)
    const call = /^\s*([A-Za-z_]\w*)\s*\(/.exec(expr);
    if (call) {
      const ck = `${image}:${this.tree ? dirname(path) : ""}:${call[1]}()`;
      if (!this.queueMemo.has(ck) && !this.notReturned.has(ck)) {
        const r = this.returnedQueue(path, expr, image);
        if (r) this.queueMemo.set(ck, r);
        else this.notReturned.add(ck);
      }
      const hit = this.queueMemo.get(ck);
      if (hit) return hit;
    }
    const key = keyOf(expr);
    // a queue variable declared static in this file is this file's own: its facts are not the directory's
    const own = BARE_VARIABLE.test(expr) && this.fileStatic(path, key, image);
    const mk = `${image}:${this.tree ? (own ? path : dirname(path)) : ""}:${key}`;
    const memo = this.queueMemo.get(mk);
    if (memo) return memo;
    const out = this.queueFactUncached(path, expr, key, image);
    this.queueMemo.set(mk, out);
    return out;
  }

  private resolving = new Set<string>();

  /**
   * A queue named by a call to a helper near the path (`foo_end_io_wq(fs_info, bio)`): the queues its return
   * statements give, combined: WQ_MEM_RECLAIM when every one has it, not when one lacks it, unknown otherwise.
   */
  private returnedQueue(path: string, expr: string, image: Image): QueueFact | null {
    const call = /^\s*([A-Za-z_]\w*)\s*\(/.exec(expr);
    if (!call || !this.tree) return null;
    const name = call[1]!;
    const v = this.viewOf(path, name, image);
    if (!v || this.resolving.has(`${v.path}:${name}`)) return null;
    const text = this.textOf(v.path, image) ?? (image === "post" ? this.standInText(v.path) : undefined);
    if (text === undefined) return null;
    const body = text.split("\n").slice(v.flow.start - 1, v.flow.end).join("\n");
    if (!/\bstruct\s+workqueue_struct\s*\*/.test(body.slice(0, body.indexOf("{") + 1 || body.length))) return null;
    const rets = [...body.matchAll(/\breturn\s+([^;]+);/g)].map((m) => m[1]!.trim()).filter((r) => r !== "NULL" && r !== "0");
    if (rets.length === 0) return null;
    this.resolving.add(`${v.path}:${name}`);
    try {
      const qs = rets.map((r) => this.queueFact(v.path, r, image));
      const vals = new Set(qs.map((q) => q.flags.memReclaim));
      const memReclaim = vals.has(false) ? false : vals.size === 1 && vals.has(true) ? true : null;
      const label = `${name}() (${qs.map((q) => q.label).join(" or ")})`;
      const unknown = memReclaim === null ? qs.find((q) => q.flags.memReclaim === null)?.flags.unknown ?? `the flags of what ${name}() returns` : undefined;
      return {
        key: `${name}()`,
        label,
        name: null,
        system: qs.every((q) => q.system),
        flags: { memReclaim, legacy: qs.every((q) => q.flags.legacy), text: qs.map((q) => q.flags.text).join(" / "), how: memReclaim === null ? "unknown" : qs[0]!.flags.how, ...(unknown ? { unknown } : {}) },
        at: qs.find((q) => q.at)?.at ?? null,
      };
    } finally {
      this.resolving.delete(`${v.path}:${name}`);
    }
  }

  private queueFactUncached(path: string, expr: string, key: string, image: Image): QueueFact {
    const sys = SYSTEM_QUEUES[key];
    if (sys) return { key, label: key, name: null, system: true, flags: { memReclaim: false, legacy: false, text: key, how: "system" }, at: null };
    // a bare variable: allocations of a variable another file declares static are another queue; a variable this file
    // declares static is allocated here only
    const bare = BARE_VARIABLE.test(expr);
    const all = this.allocSites(path, image, key);
    const sites = !bare
      ? all
      : this.fileStatic(path, key, image)
        ? all.filter((x) => x.view.path === path)
        : all.filter((x) => x.view.path === path || !this.fileStatic(x.view.path, key, image));
    if (sites.length > 0) {
      const flags = sites.map((s) => this.flagsOf(s));
      const first = sites[0]!;
      const vals = new Set(flags.map((f) => f.memReclaim));
      const label = queueLabel(first.name, first.expr ?? expr);
      const at = { file: first.view.path, line: first.ev.line };
      if (vals.size === 1) return { key, label, name: first.name, system: false, flags: { ...flags[0]!, legacy: flags.every((f) => f.legacy) }, at };
      return { key, label, name: first.name, system: false, flags: { memReclaim: null, legacy: false, text: flags.map((f) => f.text).join(" / "), how: "unknown", unknown: `which of the ${sites.length} allocations of ${expr} this is (their flags differ)` }, at };
    }
    const fv = this.factsOf(image);
    if (fv) {
      const q = fv.queueFlags(path, expr);
      if (q) {
        return {
          key,
          label: expr,
          name: null,
          system: false,
          flags: q.memReclaim === null ? { memReclaim: null, legacy: q.legacy, text: expr, how: "unknown", unknown: `the flags ${expr} is allocated with` } : { memReclaim: q.memReclaim, legacy: q.legacy, text: expr, how: "macro" },
          at: q.at ?? null,
        };
      }
    }
    const where = this.tree ? `in ${dirname(path)}/` : "in the lines shown";
    return { key, label: expr, name: null, system: false, flags: { memReclaim: null, legacy: false, text: expr, how: "unknown", unknown: `the flags of ${expr} (its allocation is not ${where})` }, at: null };
  }

  // ------------------------------------------------------------ work items

  /**
   * A queueing and a binding of the same work key go together (bindingMatches()), and a binding in another file only
   * when the queueing's own file binds no work item of that key (a key as common as `work` names a member of each
   * file's own io struct, in two targets of one directory).
   */
  private boundTogether(q: Queueing, b: WorkBinding, image: Image): boolean {
    if (!bindingMatches(q, b)) return false;
    if (b.file === q.view.path) return true;
    const k = `${image}\0${q.view.path}\0${q.work}`;
    let local = this.localBindingMemo.get(k);
    if (local === undefined) {
      local = this.bindings(q.view.path, image, { work: q.work }).some((x) => x.file === q.view.path);
      this.localBindingMemo.set(k, local);
    }
    return !local;
  }

  private localBindingMemo = new Map<string, boolean>();

  /** Work items bound to functions near a path (INIT_WORK & co., container_of in a work function, DECLARE_WORK at file scope). */
  bindings(path: string, image: Image, q: { work?: string; fn?: string }): WorkBinding[] {
    const out: WorkBinding[] = [];
    const needle = q.fn ?? q.work ?? "work";
    // (the work key, the function and the member are names of the call's text; a container_of binding's function is the
    // fragment's own, named in its signature)
    const names = (t: string) => (q.work === undefined || mentions(t, q.work)) && (q.fn === undefined || mentions(t, q.fn));
    for (const view of this.viewsNear(path, image, needle, (t) => (mayHold(t, ["work-init"]) || CONTAINER_OF_WORK(t)) && names(t))) {
      const workParams = view.flow.params.map((p) => /\bstruct\s+work_struct\s*\*\s*([A-Za-z_]\w*)/.exec(p)?.[1]).filter((x): x is string => !!x);
      for (const ev of view.flow.events) {
        if (ev.info.kind === "work-init") {
          const type = memberOwnerType(ev.info.work, view.flow.types);
          const b = { work: keyOf(ev.info.work), fn: ev.info.fn, file: view.path, line: ev.line, how: "init" as const, ...(type ? { type } : {}) };
          if ((q.work === undefined || b.work === q.work) && (q.fn === undefined || b.fn === q.fn)) out.push(b);
          continue;
        }
        if (ev.callee === "container_of" && ev.args.length >= 3 && workParams.length > 0) {
          const from = ev.args[0]!.replace(/\s+/g, "");
          const p = workParams.find((w) => from === w || new RegExp(`^\\w+\\(${w}\\)$`).test(from));
          if (!p) continue;
          // the member is the last argument (the parse may split `struct foo` in two)
          const type = /^(?:struct\s+)?([A-Za-z_]\w*)$/.exec(ev.args.length === 3 ? ev.args[1]!.trim() : "")?.[1];
          const b = { work: keyOf(ev.args[ev.args.length - 1]!), fn: view.name, file: view.path, line: ev.line, how: "container_of" as const, ...(type ? { type } : {}) };
          if ((q.work === undefined || b.work === q.work) && (q.fn === undefined || b.fn === q.fn)) out.push(b);
        }
      }
    }
    if (this.tree) out.push(...this.fileScopeBindings(path, image, q));
    return out;
  }

  /** DECLARE_WORK(name, fn) and friends outside functions (whole files only; the tree's version of a file the patch does not apply to). */
  private fileScopeBindings(path: string, image: Image, q: { work?: string; fn?: string }): WorkBinding[] {
    const out: WorkBinding[] = [];
    const declares = Object.keys(WORK_INITS).filter((n) => n.startsWith("DECLARE_"));
    const re = new RegExp(`^(?:static\\s+)?(${declares.join("|")})\\s*\\(`, "gm");
    for (const f of this.filesNear(path, image)) {
      // a file the patch does not apply to has no post image: the tree's version of it
      const t = this.textOf(f, image) ?? (image === "post" ? this.standInText(f) : undefined);
      if (t === undefined || !t.includes("DECLARE_") || !t.includes(q.fn ?? q.work ?? "")) continue;
      for (const m of t.matchAll(re)) {
        const spec = WORK_INITS[m[1]!]!;
        const args = callArguments(t, m.index! + m[0].length - 1);
        if (!args) continue;
        const b = { work: keyOf(args[spec.workArg] ?? ""), fn: (args[spec.fnArg] ?? "").replace(/^&\s*/, ""), file: f, line: t.slice(0, m.index!).split("\n").length, how: "init" as const };
        if ((q.work === undefined || b.work === q.work) && (q.fn === undefined || b.fn === q.fn)) out.push(b);
      }
    }
    return out;
  }

  /** queue_work() & co. near a path, by queue or by work. */
  queueings(path: string, image: Image, q: { queue?: string; work?: string }): Queueing[] {
    const out: Queueing[] = [];
    // (the work's key and the queue's are names of the call's text, except the system queue of a call without a queue argument)
    const named = (t: string) => (q.work === undefined || mentions(t, q.work)) && (q.queue === undefined || IMPLIED_QUEUES.has(q.queue) || mentions(t, q.queue));
    for (const view of this.viewsNear(path, image, q.work ?? q.queue ?? "work", (t) => mayHold(t, ["queue"]) && named(t))) {
      for (const ev of view.flow.events) {
        if (ev.info.kind !== "queue") continue;
        const queue = keyOf(ev.info.queue);
        const work = keyOf(ev.info.work);
        if (q.queue !== undefined && queue !== q.queue) continue;
        if (q.work !== undefined && work !== q.work) continue;
        out.push({ view, ev, call: ev.callee, queueExpr: ev.info.queue, queue, workExpr: ev.info.work, workName: ev.info.work.replace(/^&\s*/, ""), work });
      }
    }
    return out;
  }

  /** The system queue a QUEUE_CALLS entry without a queue argument uses. */
  static systemQueueOf(call: string): string | null {
    const q = QUEUE_CALLS[call];
    return q && q.queueArg < 0 ? q.system ?? null : null;
  }

  // ------------------------------------------------------------ what runs where

  /** What a flush or cancel call waits for: the queue(s), their flags. */
  flushTarget(view: FnView, ev: FlushSite["ev"]): FlushTarget {
    const info = ev.info;
    const image = view.image;
    if (info.target === "system") {
      const sys = Object.values(QUEUE_CALLS).find((q) => q.queueArg < 0)?.system ?? "system_wq";
      return { call: ev.callee, expr: sys, kind: "system", queues: [this.queueFact(view.path, sys, image)], unknown: null };
    }
    if (info.target === "queue") {
      const q = this.queueFact(view.path, info.expr, image);
      return { call: ev.callee, expr: info.expr, kind: "queue", queues: [q], unknown: q.flags.memReclaim === null ? q.flags.unknown ?? null : null };
    }
    const work = keyOf(info.expr);
    const qs = new Map<string, QueueFact>();
    for (const q of this.queueings(view.path, image, { work })) if (!qs.has(q.queue)) qs.set(q.queue, this.queueFact(q.view.path, q.queueExpr, image));
    if (qs.size === 0) return { call: ev.callee, expr: info.expr, kind: "work", queues: [], unknown: `which queue ${info.expr} is queued on (no queue_work() of it ${this.tree ? `in ${dirname(view.path)}/` : "in the lines shown"})` };
    const queues = [...qs.values()];
    const unk = queues.find((q) => q.flags.memReclaim === null);
    return { call: ev.callee, expr: info.expr, kind: "work", queues, unknown: unk ? unk.flags.unknown ?? null : null };
  }

  /** Every flush and cancel of the functions the patch shows (post image), with targets. */
  flushSites(): FlushSite[] {
    const out: FlushSite[] = [];
    const views = this.touchedViews("post", ["flush"]);
    for (const view of views)
      for (const ev of view.flow.events) {
        if (ev.info.kind !== "flush") continue;
        const e = ev as FlushSite["ev"];
        out.push({ view, ev: e, target: this.flushTarget(view, e), added: view.changed.has(ev.line) });
      }
    return out;
  }

  /**
   * Waits for a completion that work signals (a flush in disguise): each
   * wait_for_completion*() on a changed line of the post image, with the
   * work functions near it that complete() the same completion and the
   * queues their work items are queued on.
   */
  completionWaits(): CompletionWait[] {
    return (this.completionMemo ??= this.completionWaitsUncached());
  }

  private completionMemo: CompletionWait[] | null = null;

  private completionWaitsUncached(): CompletionWait[] {
    const out: CompletionWait[] = [];
    // diff-only, the functions near a wait are the patch's, whatever the wait: without a complete() in any of them
    // no wait has a signal, and the waits need not be walked
    if (!this.tree && !this.viewsNear("", "post", "", (t) => mayHold(t, ["completion-signal"])).some((v) => v.flow.events.some((e) => COMPLETION_SIGNALS[e.callee] !== undefined && e.args[0] !== undefined))) return out;
    // (a wait on a changed line names its callee there: only fragments whose changed lines name one)
    const views = this.tree ? this.touchedViews("post") : this.patchViewsWhere("post", (f) => mayHold(f.changedText, ["completion-wait"]));
    for (const view of views)
      for (const ev of view.flow.events) {
        if (ev.info.kind !== "wait" || ev.info.wait !== "completion" || !view.changed.has(ev.line) || !ev.args[0]) continue;
        const key = keyOf(ev.args[0]);
        const signals: CompletionWait["signals"] = [];
        for (const sv of this.viewsNear(view.path, "post", key, (t) => mayHold(t, ["completion-signal"]))) {
          if (!sv.flow.events.some((e) => COMPLETION_SIGNALS[e.callee] !== undefined && e.args[0] !== undefined && keyOf(e.args[0]) === key)) continue;
          for (const b of this.bindings(sv.path, "post", { fn: sv.name }))
            for (const q of this.queueings(b.file, "post", { work: b.work })) {
              if (!this.boundTogether(q, b, "post")) continue;
              // the same queueing seen twice (a fragment and the tree's version of a file the patch does not apply to)
              if (signals.some((x) => x.fn === sv.name && x.queueing.view.path === q.view.path && x.queueing.ev.line === q.ev.line)) continue;
              signals.push({ fn: sv.name, file: sv.path, work: b.work, queueing: q, queue: this.queueFact(q.view.path, q.queueExpr, "post") });
            }
        }
        if (signals.length > 0) out.push({ view, ev, expr: ev.args[0], signals });
      }
    return out;
  }

  /**
   * Whether a function runs where check_flush_dependency() looks: with a role
   * reclaim runs (PF_MEMALLOC) or writeback, or as the work (or a callee of
   * the work, a few calls up) of a queue with WQ_MEM_RECLAIM. `partial`: the
   * work of a queue whose flags are not known.
   */
  runsAs(view: FnView): { ctx: RunsAs | null; partial: RunsAs | null } {
    const role = this.ra.roleOf(view);
    if (role) {
      const how = ROLE_FLUSH_CONTEXT[role.role];
      if (how) return { ctx: { kind: "role", root: role.root, chain: role.chain, role, roleHow: how.what }, partial: null };
    }
    let partial: RunsAs | null = null;
    let frontier: { view: FnView; chain: string[]; views: FnView[] }[] = [{ view, chain: [view.name], views: [view] }];
    const seen = new Set([`${view.path}:${view.name}`]);
    for (let depth = 0; depth <= RUNS_AS_DEPTH && frontier.length > 0; depth++) {
      const next: typeof frontier = [];
      for (const s of frontier) {
        // a work function whose calls down to the function pass constants that rule the path out is not its context
        if (s.views.length > 2 && this.pathRuledOut(s.views)) continue;
        for (const b of this.bindings(s.view.path, view.image, { fn: s.view.name })) {
          for (const q of this.queueings(b.file, view.image, { work: b.work })) {
            if (!this.boundTogether(q, b, view.image)) continue;
            const qf = this.queueFact(q.view.path, q.queueExpr, view.image);
            const ctx: RunsAs = { kind: "wq", root: s.view.name, chain: s.chain, queue: qf, work: b.work };
            if (qf.flags.memReclaim === true && !qf.flags.legacy) return { ctx, partial: null };
            if (qf.flags.memReclaim === null && !partial) partial = ctx;
          }
        }
        if (depth === RUNS_AS_DEPTH) continue;
        for (const c of this.callerViews(s.view)) {
          const k = `${c.path}:${c.name}`;
          if (seen.has(k) || seen.size > RUNS_AS_FUNCTIONS) continue;
          seen.add(k);
          next.push({ view: c, chain: [c.name, ...s.chain], views: [c, ...s.views] });
        }
      }
      frontier = next;
    }
    return { ctx: null, partial };
  }

  /**
   * Whether the constants the links of a chain of whole functions (root first) pass each other make some link's
   * every call to the next impossible (feasible.ts chainRuledOut()). Fragments say nothing: a parameter may be
   * assigned outside the lines shown.
   */
  private pathRuledOut(views: readonly FnView[]): boolean {
    // the callers must be whole functions (the last link's own calls are not read); no constant passed: nothing to carry
    const callers = views.slice(0, -1);
    if (!callers.every((v) => v.whole)) return false;
    if (!callers.some((v, i) => v.flow.events.some((e) => e.callee === views[i + 1]!.name && e.args.some((a) => isConstant(a.replace(/\s+/g, "")))))) return false;
    // the conditions calls sit under: the walked flow of a function the scan read
    const links = views.map((v, i) => {
      const w = i < callers.length ? this.fullView(v) : v;
      return { name: v.name, params: w.flow.params.map(paramName), text: this.ra.viewText(w), calls: w.flow.events };
    });
    return chainRuledOut(links) !== null;
  }

  /** Functions that call a view's function (the directory with a tree; the patch's functions without). */
  private callerViews(view: FnView): FnView[] {
    if (this.tree) {
      const out: FnView[] = [];
      for (const c of this.ra.callersOf(view.path, view.name)) {
        const v = this.fileViews(c.file, view.image).find((x) => x.name === c.fn.name);
        if (v) out.push(v);
      }
      // a function only the patch defines, in a file it does not apply to: the patch's lines that call it
      if (out.length === 0 && view.image === "post") out.push(...this.ra.patchOnlyCallers(view.path, view.name));
      return out;
    }
    // a fragment whose text does not name the function does not call it
    return this.patchViewsWhere(view.image, (f) => mentions(f.text, view.name)).filter((v) => v !== view && v.flow.events.some((e) => e.callee === view.name));
  }

  /** Functions a view calls whose bodies are visible near it. */
  private calleeViews(view: FnView): FnView[] {
    const out: FnView[] = [];
    const names = new Set(view.flow.events.filter((e) => e.info.kind === "call" && /^[A-Za-z_]\w*$/.test(e.callee)).map((e) => e.callee));
    for (const n of names) {
      if (n === view.name) continue;
      if (this.tree) {
        const v = this.viewOf(view.path, n, view.image);
        if (v) out.push(v);
      } else out.push(...this.patchViewsWhere(view.image, (f) => f.name === n).filter((x) => x.name === n));
    }
    return out;
  }

  /** A call matching `pred` in a function or its visible callees (breadth first, a few calls deep). */
  reach(view: FnView, pred: (ev: FlowEvent) => boolean, depth = MAX_DEPTH): { chain: string[]; ev: FlowEvent; view: FnView } | null {
    let frontier = this.fragmentsOf(view).map((v) => ({ view: v, chain: [view.name] }));
    const seen = new Set(frontier.map((f) => `${f.view.path}:${f.view.name}:${f.view.flow.start}`));
    for (let d = 0; d <= depth && frontier.length > 0; d++) {
      const next: typeof frontier = [];
      for (const s of frontier) {
        const hit = s.view.flow.events.find(pred);
        if (hit) return { chain: [...s.chain, hit.callee], ev: hit, view: s.view };
        if (d === depth) continue;
        for (const c of this.calleeViews(s.view)) {
          const k = `${c.path}:${c.name}:${c.flow.start}`;
          if (seen.has(k) || seen.size > 64) continue;
          seen.add(k);
          next.push({ view: c, chain: [...s.chain, c.name] });
        }
      }
      frontier = next;
    }
    return null;
  }

  /** What a work function does, as far as visible. */
  behaviour(path: string, fn: string, image: Image): WorkBehaviour {
    const mk = `${image}:${path}:${fn}`;
    const memo = this.behaviourMemo.get(mk);
    if (memo) return memo;
    const view = this.viewOf(path, fn, image);
    const out: WorkBehaviour = { fn, view, flushes: [], unknownFlushes: [], stalls: [], noio: false };
    this.behaviourMemo.set(mk, out);
    if (!view) return out;
    const exempt = this.cancelExempt();
    // the work function's own paths walked (its allocations' scopes matter); callees as the scan sees them
    let frontier = this.fragmentsOf(this.fullView(view)).map((v) => ({ view: v, chain: [fn] }));
    const seen = new Set(frontier.map((f) => `${f.view.path}:${f.view.name}:${f.view.flow.start}`));
    for (let d = 0; d <= 2 && frontier.length > 0; d++) {
      const next: typeof frontier = [];
      for (const s of frontier) {
        for (const ev of s.view.flow.events) {
          if (ev.info.kind === "flush") {
            if (ev.info.cancel && exempt) continue;
            const e = ev as FlushSite["ev"];
            const target = this.flushTarget(s.view, e);
            const site: FlushSite = { view: s.view, ev: e, target, added: s.view.changed.has(ev.line) };
            const chain = [...s.chain, `${ev.callee}(${target.expr})`];
            if (target.queues.length > 0 && target.queues.every((q) => q.flags.memReclaim === false)) out.flushes.push({ site, chain });
            else if (target.queues.every((q) => q.flags.memReclaim !== true)) out.unknownFlushes.push({ site, chain });
          } else if (ev.info.kind === "alloc" && d === 0) {
            const eff = applyScopes(ev.info.mask, ev.state.mustScopes);
            if (eff.reclaim !== false && ev.info.family !== "mempool") out.stalls.push({ ev, fn: s.view.name, mask: eff });
          } else if (ev.info.kind === "scope" && ev.info.op === "save" && ev.info.scope.includes("noio") && d === 0) out.noio = true;
        }
        if (d === 2) continue;
        for (const c of this.calleeViews(s.view)) {
          const k = `${c.path}:${c.name}:${c.flow.start}`;
          if (seen.has(k) || seen.size > 48) continue;
          seen.add(k);
          next.push({ view: c, chain: [...s.chain, c.name] });
        }
      }
      frontier = next;
    }
    return out;
  }

  /** The work functions of a queue: work items queued on it, and the functions bound to them. */
  workOf(path: string, queueKey: string, image: Image): { work: string; fn: string; file: string; queueing: Queueing }[] {
    const out: { work: string; fn: string; file: string; queueing: Queueing }[] = [];
    const seen = new Set<string>();
    for (const q of this.queueings(path, image, { queue: queueKey })) {
      for (const b of this.bindings(q.view.path, image, { work: q.work })) {
        if (!this.boundTogether(q, b, image)) continue;
        const k = `${b.work}:${b.fn}`;
        if (seen.has(k)) continue;
        seen.add(k);
        out.push({ work: b.work, fn: b.fn, file: b.file, queueing: q });
      }
    }
    return out;
  }

  /**
   * Why reclaim (or IO reclaim waits on) waits on a queue's work: its work
   * completes IO or writes back; it is queued from a function IO hands
   * requests or recovery to; a function reclaim or IO runs flushes it.
   * Complete links first; else the best partial link; null when nothing is seen.
   */
  waitLink(path: string, queue: QueueFact, image: Image): WaitLink | null {
    const partials: WaitLink[] = [];
    const qs = this.queueings(path, image, { queue: queue.key });
    for (const q of qs) {
      const l = this.queueingLink(q, image, shortLabel(queue));
      if (l?.complete) return l;
      if (l) partials.push(l);
    }
    // reclaim or IO flushes this queue (or its work)
    const workKeys = new Set(qs.map((q) => q.work));
    for (const view of this.viewsNear(path, image, queue.key, (t) => mayHold(t, ["flush"]))) {
      for (const ev of view.flow.events) {
        if (ev.info.kind !== "flush") continue;
        const hitsQueue = ev.info.target === "queue" ? keyOf(ev.info.expr) === queue.key : ev.info.target === "work" && workKeys.has(keyOf(ev.info.expr));
        if (!hitsQueue) continue;
        const role = this.ra.roleOf(view);
        if (role && RECLAIM_ROLES.has(role.role)) return { kind: "flushed-from-role", chain: [...role.chain.map((f) => `${f}()`), `${ev.callee}(${ev.info.expr})`, shortLabel(queue)], complete: true, role, call: ev.callee, at: { file: view.path, line: ev.line } };
      }
    }
    return partials[0] ?? null;
  }

  /**
   * Why IO (and so reclaim) waits on one queued work item: its function
   * completes IO or writes back (a few calls deep), or it is queued from a
   * function IO hands requests or recovery to. Partial when it is queued from
   * an IO completion or writeback but its function is not visible.
   */
  queueingLink(q: Queueing, image: Image, label: string = q.queueExpr): WaitLink | null {
    const fns = this.bindings(q.view.path, image, { work: q.work }).filter((b) => this.boundTogether(q, b, image));
    const views = fns.map((b) => this.viewOf(b.file, b.fn, image)).filter((v): v is FnView => v !== null);
    const role = this.ra.roleOf(q.view);
    const head = role ? role.chain.map((f) => `${f}()`) : [];
    const call = `${q.call}(${q.ev.info.kind === "queue" && QUEUE_CALLS[q.call]?.queueArg === -1 ? "" : `${q.queueExpr}, `}${q.workExpr})`;
    for (const view of views) {
      const hit = this.reach(view, (e) => IO_COMPLETION_CALLS[e.callee] !== undefined || WRITEBACK_CALLS[e.callee] !== undefined);
      if (hit) {
        const kind = IO_COMPLETION_CALLS[hit.ev.callee] ? "completes-io" : "writeback";
        return { kind, chain: [...(role ? [...head, call] : []), label, ...hit.chain.map((f) => `${f}()`)], complete: true, call: hit.ev.callee, ...(role ? { role } : {}), at: { file: hit.view.path, line: hit.ev.line } };
      }
    }
    // the work runs a kernel callback IO or reclaim waits on (through its ops field)
    for (const view of views) {
      const hit = this.reach(view, (e) => calledRole(e.callee) !== null);
      if (hit) {
        const r = calledRole(hit.ev.callee)!;
        const fns = hit.chain.slice(0, -1).map((f) => `${f}()`);
        return { kind: "runs-role", chain: [...(role ? [...head, call] : []), label, ...fns, `${hit.ev.receiver ?? ""}${hit.ev.callee}() (${r.label})`], complete: true, call: hit.ev.callee, ...(role ? { role } : {}), at: { file: hit.view.path, line: hit.ev.line } };
      }
    }
    if (!role) return null;
    const chain = [...head, call, label];
    // (a driver's submission handing a request to work is that request's path; the block layer's own submission,
    // a path every bio takes, queues work of its own beside it, which the bio does not wait on unless it completes IO)
    if (IO_HANDOFF_ROLES.has(role.role) && role.how !== "core") return { kind: "queued-from-role", chain, complete: true, role, at: { file: q.view.path, line: q.ev.line } };
    if (IO_COMPLETE_ROLES.has(role.role) && views.length === 0)
      return { kind: "queued-from-role", chain, complete: false, role, unknown: `what the work ${q.workName} does (its function is not ${this.tree ? `in ${dirname(q.view.path)}/` : "in the lines shown"}): IO waits on it if it completes the IO`, at: { file: q.view.path, line: q.ev.line } };
    return null;
  }

  /** What is missing to judge whether reclaim waits on a queue, when nothing was seen. */
  waitUnknown(path: string, queue: QueueFact, image: Image): string {
    const where = this.tree ? `in ${dirname(path)}/` : "in the lines shown";
    const qs = this.queueings(path, image, { queue: queue.key });
    if (qs.length === 0) return `which work runs on ${queue.label} (no queue_work() on it ${where})`;
    if (this.workOf(path, queue.key, image).length === 0) return `which functions the work queued on ${queue.label} runs (${qs.map((q) => q.workName).join(", ")}: no INIT_WORK() ${where})`;
    return `whether the work of ${queue.label} completes IO or is waited on by reclaim (its functions are ${this.tree ? "only partly visible" : "not all in the lines shown"})`;
  }

  // ------------------------------------------------------------ flag changes

  /** Where the patch sets or clears WQ_MEM_RECLAIM, with the queues each site decides. */
  flagChanges(): FlagChange[] {
    if (this.changesMemo) return this.changesMemo;
    const out: FlagChange[] = [];
    for (const pair of flagSitePairs(this.patch)) {
      const { now, before } = pair;
      if (!now || !now.stmt.touched) continue;
      let change: FlagChange["change"] | null = null;
      if (now.use === "set" && (!before || before.use !== "set")) change = "added";
      else if (before && before.use === "set" && now.use !== "set") change = "removed";
      if (!change) continue;
      const path = now.stmt.file.path;
      const line = change === "added" ? addedLineOf(now.stmt) : addedLineOf(now.stmt, /./);
      const { queues, unknown } = this.queuesOfSite(now, path);
      out.push({ change, pair, site: now, line, path, queues, unknownQueue: unknown });
    }
    return (this.changesMemo = out);
  }

  /** Constructor calls the patch adds (no counterpart on the old side), with the flags of that very call. */
  newQueues(): { site: QueueSite; queue: QueueFact; flags: FlagsFact; line: number }[] {
    const out: { site: QueueSite; queue: QueueFact; flags: FlagsFact; line: number }[] = [];
    for (const { now, before } of flagSitePairs(this.patch)) {
      if (!now || before || now.kind !== "alloc" || !now.lhs) continue;
      const path = now.stmt.file.path;
      const line = addedLineOf(now.stmt, new RegExp(`\\b${now.api}\\b`));
      if (line === null) continue;
      const key = keyOf(now.lhs);
      const site = this.allocSites(path, "post", key).find((s) => s.view.path === path && s.ev.line >= lineOfStatement(now.stmt) && s.ev.line <= line + 12);
      if (!site) continue;
      const q = this.queueFact(path, now.lhs, "post");
      const queue = site.name !== null ? { ...q, name: site.name, label: queueLabel(site.name, now.lhs) } : q;
      out.push({ site, queue, flags: this.flagsOf(site), line });
    }
    return out;
  }

  /** The queues a flag site decides: the call's own queue, the queues using a macro, or a flags variable. */
  private queuesOfSite(site: FlagSite, path: string): { queues: QueueFact[]; unknown: string | null } {
    if (site.kind === "alloc") {
      if (site.lhs) {
        const q = this.queueFact(path, site.lhs, "post");
        return { queues: [site.name !== null && q.name === null ? { ...q, name: site.name, label: queueLabel(site.name, site.lhs) } : q], unknown: null };
      }
      return { queues: [], unknown: `where the queue ${site.name !== null ? `"${site.name}"` : `of line ${lineOfStatement(site.stmt)}`} is stored` };
    }
    if (site.kind === "define" && site.macro) {
      const qs = this.allocSites(path, "post", null).filter((s) => s.key && new RegExp(`\\b${site.macro}\\b`).test(s.ev.info.flags ?? ""));
      if (qs.length === 0) return { queues: [], unknown: `which queues are allocated with ${site.macro} (none ${this.tree ? `in ${dirname(path)}/` : "in the lines shown"})` };
      return { queues: dedupe(qs.map((s) => this.queueFact(s.view.path, s.expr!, "post"))), unknown: null };
    }
    if (site.kind === "assign" && site.lhs && !site.lhs.startsWith(".")) {
      const line = lineOfStatement(site.stmt);
      const v = site.lhs;
      const qs = this.allocSites(path, "post", null).filter((s) => s.key && s.view.path === path && line >= s.view.flow.start && line <= s.view.flow.end && new RegExp(`\\b${v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`).test(s.ev.info.flags ?? ""));
      if (qs.length === 0) return { queues: [], unknown: `which queue is allocated with ${v}` };
      return { queues: dedupe(qs.map((s) => this.queueFact(s.view.path, s.expr!, "post"))), unknown: null };
    }
    return { queues: [], unknown: `which queue ${site.api ? `${site.api}() ` : ""}passes these flags to` };
  }

  /** Work that a queue of the pre image ran and that the post image queues on a system queue instead (same function, same work item). */
  movedToSystem(): { from: Queueing; fromQueue: QueueFact; to: Queueing }[] {
    const out: { from: Queueing; fromQueue: QueueFact; to: Queueing }[] = [];
    // diff-only, which pre views there are is decided here, as when they were walked here; they are walked only for a
    // queueing the post image moves to a system queue (a fragment naming no system queue and no call that implies one
    // has none). With a tree the views are the files' (patchSet is not asked: it would walk the reclaim analysis's pre)
    if (!this.tree) this.patchSet("pre");
    let pre: Queueing[] | null = null;
    for (const to of this.patchQueueings("post", ["system-queue"])) {
      // (a BH queue runs its work in softirq: nothing waits for a worker)
      if (!to.view.changed.has(to.ev.line) || !SYSTEM_QUEUES[to.queue] || softirqSystemQueue(to.queue)) continue;
      pre ??= this.patchQueueings("pre");
      const from = pre.find((p) => p.view.path === to.view.path && p.view.name === to.view.name && p.work === to.work);
      if (!from || SYSTEM_QUEUES[from.queue]) continue;
      out.push({ from, fromQueue: this.queueFact(from.view.path, from.queueExpr, "pre"), to });
    }
    return out;
  }

  /** queue_work() & co. in the functions the patch touches (changed or not). */
  patchQueueings(image: Image, kinds: readonly GateKind[] = ["queue"]): Queueing[] {
    const out: Queueing[] = [];
    const views = this.touchedViews(image, kinds);
    for (const view of views)
      for (const ev of view.flow.events) {
        if (ev.info.kind !== "queue") continue;
        out.push({ view, ev, call: ev.callee, queueExpr: ev.info.queue, queue: keyOf(ev.info.queue), workExpr: ev.info.work, workName: ev.info.work.replace(/^&\s*/, ""), work: keyOf(ev.info.work) });
      }
    return out;
  }

  /** Queue allocations of the patch's functions on one side (for naming queues a message quotes). */
  patchAllocSites(image: Image): QueueSite[] {
    const out: QueueSite[] = [];
    const views = this.touchedViews(image, ["wq-alloc"]);
    for (const view of views)
      for (const ev of view.flow.events) {
        if (ev.info.kind !== "wq-alloc") continue;
        const fmt = WQ_CONSTRUCTOR_FORMAT[ev.callee]?.fmtArg ?? 0;
        out.push({ view, ev: ev as QueueSite["ev"], key: ev.assignedTo ? keyOf(ev.assignedTo) : null, expr: ev.assignedTo, name: unquote(ev.args[fmt]) });
      }
    return out;
  }

  /**
   * The WQ_MEM_RECLAIM promise broken by a flag the patch adds: the newly
   * flagged queue's work (or a callee) flushes a queue known to lack the flag.
   */
  addedFlagHazards(change: FlagChange): { queue: QueueFact; work: string; fn: string; flush: { site: FlushSite; chain: string[] } }[] {
    const out: { queue: QueueFact; work: string; fn: string; flush: { site: FlushSite; chain: string[] } }[] = [];
    if (change.change !== "added") return out;
    for (const q of change.queues) {
      if (q.flags.legacy) continue;
      for (const w of this.workOf(change.path, q.key, "post")) {
        const b = this.behaviour(w.file, w.fn, "post");
        for (const f of b.flushes) {
          if (f.site.target.queues.some((t) => t.key === q.key)) continue;
          out.push({ queue: q, work: w.work, fn: w.fn, flush: f });
        }
      }
    }
    return out;
  }
}

/** How a queue is named in a chain: its name alone, or the expression. */
export function shortLabel(q: QueueFact): string {
  return q.name !== null ? `"${q.name}"` : q.label;
}

/** How a queue is named in findings: its name and where it is stored ('"zap_evt" (zd->evt_wq)'), or the expression. */
export function queueLabel(name: string | null, expr: string): string {
  return name !== null ? `"${name}" (${expr.replace(/\s+/g, "")})` : expr;
}

function dedupe(qs: QueueFact[]): QueueFact[] {
  const seen = new Set<string>();
  return qs.filter((q) => (seen.has(q.key) ? false : (seen.add(q.key), true)));
}

/** "WQ_MEM_RECLAIM" -> the name of the mask a stall note shows. */
export function stallText(s: { ev: FlowEvent; mask: Mask }): string {
  return `${s.ev.callee}(${s.ev.info.kind === "alloc" ? (s.ev.info.implicit ? "GFP_KERNEL, implicit" : s.ev.info.mask.text) : ""})${maskName(s.mask) && maskName(s.mask) !== (s.ev.info.kind === "alloc" ? s.ev.info.mask.name : null) ? ` (${maskName(s.mask)} in effect)` : ""}`;
}

// ---------------------------------------------------------------- access

/** The workqueue analysis of a rule context's patch (computed once per patch and source, shared by every rule). */
export const workqueueAnalysis: (ctx: { patch: Patch; source?: SourceContext }) => WorkqueueAnalysis = perPatchAndSource(
  (ctx) => new WorkqueueAnalysis(reclaimAnalysis(ctx), ctx.patch, ctx.source),
);

// backend-frontend-io: filesystem IO (vfs_iter_write, kernel_read, vfs_fsync,
// file->f_op->write_iter...) from a back-end IO context: a function with an
// io-submit or io-complete role (queue_rq, submit_bio, a device-mapper map,
// a bio completion), one reached from it, or the work item such a function
// queues. Both PF_MEMALLOC_NOIO (or a NOIO scope) and PF_LOCAL_THROTTLE must
// be in force on every path from that context: in the function itself, or
// set by every caller on the way down (a work item starts a new task
// context, so the chain is read from the work function down).
import { flowIn, flowsBelow, rootLabel, rootsOf, viewOf, type RootPath } from "../../context/call-chains.js";
import type { ScopeOrThrottle } from "../../context/events.js";
import type { FlowEvent } from "../../context/flow.js";
import { reclaimAnalysis, type FnView, type ReclaimAnalysis } from "../../context/reclaim.js";
import type { Report, Rule } from "../../types.js";
import { FILE_IO_OPS, FS_IO_CALLS, SIGNATURE_ROLES } from "../../vocab/kernel-api.js";

/**
 * A root known only by a signature that other functions share (void f(struct
 * bio *) is the shape of a completion and of a submit_bio, and of any helper
 * taking a bio): the role is a guess until a registration shows it.
 */
function weakRoot(p: RootPath): boolean {
  return p.role.how === "signature" && SIGNATURE_ROLES.some((r) => r.only === true && r.label === p.role.label);
}
import { chainText } from "../util/phrases.js";
import { HISTORY } from "../../vocab/history.js";

const BACKEND_ROLES = new Set(["io-submit", "io-complete"]);

/** The filesystem IO a call does, or null. */
function fsIo(e: FlowEvent): string | null {
  if (FS_IO_CALLS[e.callee]) return `${e.callee}()`;
  if (e.callee.startsWith("->") && FILE_IO_OPS[e.callee.slice(2)]) return `${e.callee}()`;
  return null;
}

export const rule: Rule = {
  meta: {
    id: "backend-frontend-io",
    class: "stacked-io",
    severity: "warning",
    description:
      "Filesystem IO (vfs_iter_write, ->write_iter, kernel_write, vfs_fsync...) from a back-end IO context without both PF_MEMALLOC_NOIO and PF_LOCAL_THROTTLE in force",
    docs: {
      why:
        "A block driver that serves its requests by doing IO on a file is the back end of one IO stack calling " +
        "the front end of another. The lower filesystem's allocations can enter reclaim that writes back through " +
        "the upper device, which waits for this very request: without PF_MEMALLOC_NOIO the stack waits for " +
        "itself. And the lower filesystem throttles dirtying tasks by the state of all devices, including the " +
        "one this context drains: without PF_LOCAL_THROTTLE it is throttled together with the writers waiting " +
        "for it. The kernel's file-backed back ends run their workers with both flags (what prctl(PR_SET_IO_FLUSHER) " +
        "gives a userspace server). Adding WQ_MEM_RECLAIM to the worker's queue does not fix either.",
      fix:
        "Set both flags around the filesystem IO in the worker: save current->flags, set PF_MEMALLOC_NOIO | " +
        "PF_LOCAL_THROTTLE, and restore the saved flags on every exit (or memalloc_flags_save(PF_MEMALLOC_NOIO | " +
        "PF_LOCAL_THROTTLE) / memalloc_flags_restore()).",
      quiet:
        "Functions with no back-end role found (ops tables, signatures, callers, the work items they queue), " +
        "calls made with both flags in force on every path from the back-end context, and control paths that " +
        "no IO-submitting function reaches (set-up, ioctl, status).",
    },
    messages: {
      missing:
        "{{call}} in {{fn}}() runs in a back-end IO context ({{chain}}) without {{missing}} in force: {{why}}",
      flagsLeave:
        "{{change}} in {{fn}}() leaves {{call}} in {{ioFn}}() ({{chain}}) without {{missing}} in force: {{why}}",
      entryUnknown:
        "{{call}} in {{fn}}() runs in a back-end IO context ({{chain}}); the start of {{fn}}() is not in the patch, so whether PF_MEMALLOC_NOIO and PF_LOCAL_THROTTLE are set above the lines shown cannot be told",
    },
    knowledge: [HISTORY.workerNoioFlag, "local-throttle-2020", HISTORY.flagAddedForFlushWarning, HISTORY.backendFileIo, HISTORY.backendIoQueues],
    scope: "line",
    needles: [...Object.keys(FS_IO_CALLS), ...Object.keys(FILE_IO_OPS)],
  },
  check(ctx) {
    const a = reclaimAnalysis(ctx);
    const reports: Report[] = [];
    for (const v of a.post()) {
      const calls = v.flow.events.filter((e) => (a.mode === "audit" || v.changed.has(e.line)) && fsIo(e) !== null);
      if (calls.length === 0) continue;
      const paths = rootsOf(a, v, (r) => BACKEND_ROLES.has(r), { key: "backend", work: true, maxDepth: 6 });
      if (paths.length === 0) continue;
      // one finding per function and verdict: the flags are missing for the function, not per call
      const said = new Set<string>();
      for (const e of calls) {
        const r = judge(a, v, e, paths);
        if (!r) continue;
        const k = `${r.messageId}:${r.data?.missing ?? ""}`;
        if (said.has(k)) continue;
        said.add(k);
        reports.push(r);
      }
    }
    if (a.mode !== "audit") reports.push(...flagChanges(a, reports));
    return reports;
  },
};

const FLAG_KINDS: ReadonlySet<ScopeOrThrottle> = new Set(["noio", "throttle"]);

/**
 * The patch changes the task flags or NOIO scope in a function (sets fewer,
 * restores earlier): the filesystem IO it reaches below, judged along the
 * paths through it, said at the changed line when a flag is now missing.
 */
function flagChanges(a: ReclaimAnalysis, already: Report[]): Report[] {
  const out: Report[] = [];
  const said = new Set(already.map((r) => `${r.file}:${r.line}`));
  for (const v of a.post()) {
    const touched = v.flow.events.find((e) => v.changed.has(e.line) && e.info.kind === "scope" && e.info.scope.some((k) => FLAG_KINDS.has(k)));
    if (!touched) continue;
    let done = false;
    for (const site of flowsBelow(a, v.path, v.name, 4)) {
      const sv = viewOf(a, site.file, site.flow);
      for (const e of site.flow.events) {
        if (!fsIo(e) || (sv.changed.has(e.line) && sv.path === site.file)) continue;
        const paths = rootsOf(a, sv, (r) => BACKEND_ROLES.has(r), { key: "backend", work: true, maxDepth: 6 }).filter((p) => p.chain.includes(v.name));
        const bad = paths.map((p) => stateAlong(a, sv, e, p)).find((st) => st.unknown === null && !weakRoot(st.path) && !(st.scopes.has("noio") && st.scopes.has("throttle")));
        if (!bad || said.has(`${v.path}:${touched.line}`)) continue;
        const chainList = [rootLabel(bad.path), ...bad.path.chain.slice(1), fsIo(e)!];
        const noio = bad.scopes.has("noio");
        out.push({
          file: v.path,
          line: touched.line,
          messageId: "flagsLeave",
          data: {
            change: touched.callee.startsWith("current->flags") ? `${touched.callee} ${touched.args[0] ?? ""}`.trim() : `${touched.callee}()`,
            fn: v.name,
            call: fsIo(e)!,
            ioFn: sv.name,
            chain: chainText(chainList),
            missing: !noio && !bad.scopes.has("throttle") ? "PF_MEMALLOC_NOIO or PF_LOCAL_THROTTLE" : !noio ? "PF_MEMALLOC_NOIO" : "PF_LOCAL_THROTTLE",
            why: !noio
              ? "the lower filesystem's allocations may enter reclaim that writes back through the device this context serves, and wait for the request being served"
              : "this context is throttled on the lower filesystem's dirty pages together with the writers waiting for it to drain them",
          },
          chain: chainList,
          fix: `Keep both PF_MEMALLOC_NOIO and PF_LOCAL_THROTTLE set in ${v.name}() around the IO it reaches, and restore the saved flags on every exit.`,
          identifiers: [e.callee.replace(/^->/, ""), v.name, "PF_MEMALLOC_NOIO", "PF_LOCAL_THROTTLE"],
          cite: [HISTORY.workerNoioFlag, "local-throttle-2020"],
        });
        said.add(`${v.path}:${touched.line}`);
        done = true;
        break;
      }
      if (done) break;
    }
  }
  return out;
}

interface PathState {
  path: RootPath;
  scopes: Set<ScopeOrThrottle>;
  /** A caller on the path whose state at the call is not visible. */
  unknown: string | null;
}

/** The scopes in force at the call, along one path: the function's own, and every caller's from the last work edge down. */
function stateAlong(a: ReclaimAnalysis, v: FnView, e: FlowEvent, p: RootPath): PathState {
  const scopes = new Set<ScopeOrThrottle>(e.state.mustScopes);
  let unknown: string | null = null;
  let from = 0;
  p.edges.forEach((x, i) => {
    if (x.kind === "work") from = i + 1;
  });
  for (const x of p.edges.slice(from)) {
    const flow = flowIn(a, x.file, x.caller);
    const ev = flow?.events.find((y) => y.callee === x.callee && y.line === x.line) ?? flow?.events.find((y) => y.callee === x.callee);
    if (!flow || !ev) {
      unknown ??= `the state of ${x.caller}() where it calls ${x.callee}()`;
      continue;
    }
    if (!flow.entryVisible) unknown ??= `what is set above the lines of ${x.caller}() the patch shows`;
    for (const s of ev.state.mustScopes) scopes.add(s);
  }
  return { path: p, scopes, unknown };
}

function judge(a: ReclaimAnalysis, v: FnView, e: FlowEvent, paths: RootPath[]): Report | null {
  const call = fsIo(e)!;
  const states = paths.map((p) => stateAlong(a, v, e, p));
  // a path known to lack a flag before one that only cannot be told
  const doubt = (s: PathState) => Number(s.unknown !== null) + Number(weakRoot(s.path));
  const bad = states.filter((s) => !(s.scopes.has("noio") && s.scopes.has("throttle"))).sort((x, y) => doubt(x) - doubt(y))[0];
  if (!bad) return null;
  const chainList = [rootLabel(bad.path), ...bad.path.chain.slice(1), call];
  const base = { file: v.path, line: e.line, chain: chainList, identifiers: [e.callee.replace(/^->/, ""), v.name, "PF_MEMALLOC_NOIO", "PF_LOCAL_THROTTLE"], cite: [HISTORY.workerNoioFlag, "local-throttle-2020"] };
  const chain = chainText(chainList);
  const top = bad.path.edges.find((x) => x.kind === "work")?.callee ?? bad.path.role.root;
  const worker = [...bad.path.edges].reverse().find((x) => x.kind === "work")?.callee ?? top;
  const fix = `Set PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE in ${worker === v.name ? `${v.name}()` : `${worker}() (or ${v.name}())`} before the IO and restore the saved flags on every exit (memalloc_flags_save()/memalloc_flags_restore()).`;
  if (!v.flow.entryVisible && bad.path.edges.length === 0 && !(e.state.mustScopes.includes("noio") && e.state.mustScopes.includes("throttle"))) {
    return {
      ...base,
      messageId: "entryUnknown",
      data: { call, fn: v.name, chain },
      severity: "info",
      fix,
      unknowns: [`whether PF_MEMALLOC_NOIO and PF_LOCAL_THROTTLE are set above the lines of ${v.name}() the patch shows`],
    };
  }
  const unknowns = [
    bad.unknown,
    v.flow.entryVisible ? null : `what is set above the lines of ${v.name}() the patch shows`,
    weakRoot(bad.path) ? `whether ${bad.path.role.root}() is a block IO path at all: only its signature (${bad.path.role.label}) says so, no registration was seen` : null,
  ].filter((u): u is string => u !== null);
  if (unknowns.length > 0 && a.mode === "audit") return null;
  const noio = bad.scopes.has("noio");
  const throttle = bad.scopes.has("throttle");
  const missing = !noio && !throttle ? "PF_MEMALLOC_NOIO or PF_LOCAL_THROTTLE" : !noio ? "PF_MEMALLOC_NOIO (or a memalloc_noio_save() scope)" : "PF_LOCAL_THROTTLE";
  const why = !noio
    ? "the lower filesystem's allocations may enter reclaim that writes back through the device this context serves, and wait for the request being served"
    : "this context is throttled on the lower filesystem's dirty pages together with the writers waiting for it to drain them";
  return {
    ...base,
    messageId: "missing",
    data: { call, fn: v.name, chain, missing, why },
    fix,
    ...(unknowns.length > 0 ? { severity: "info" as const, unknowns } : {}),
  };
}

// backend-frontend-io: filesystem IO submitted from a back-end IO context
// (block driver worker, NFS client writeback/localio) without NOIO + local throttle.
import { factsOf, functionNameAt, scopeHeldAt, workerOf } from "../../context/rule-support.js";
import type { Report, Rule } from "../../types.js";
import { callsOn } from "../util/code.js";
import { coveringNeedles, listNeedles, lists } from "../util/gfp-lists.js";
import { functionRegions, scopeCallOn, scopeStates, setsNoioFlag } from "../util/scope-regions.js";

const BACKEND_PATH = /^(?:drivers\/block\/|drivers\/md\/|drivers\/target\/|drivers\/nvme\/target\/|fs\/nfs\/(?!.*\/?nfsd)|drivers\/mtd\/)/;
const BACKEND_FN = /(?:_writepages?|_worker_fn|_work_fn|_process_work|_handle_cmd|_queue_rq|_submit_bio|_rw_work|_do_work|_workfn|^nfs_local_|_pgio|_write_work|_read_work|_io_work|_worker)$|^nfs_local_|^loop_/;
/** Control paths of back-end drivers (set-up, status): not IO. */
const CONTROL_FN = /_ioctl|_set_fd|_configure|_get_status|_set_status|_probe|_init|_setup|_release|_open|_change_fd|_show$|_store$/;
const ITER = /->\s*(write_iter|read_iter)\s*\(/;

export const rule: Rule = {
  meta: {
    id: "backend-frontend-io",
    class: "stacked-io",
    severity: "warning",
    description: "Filesystem IO (vfs_iter_write, ->write_iter, kernel_write, vfs_fsync...) submitted from a back-end IO context without PF_MEMALLOC_NOIO + PF_LOCAL_THROTTLE",
    docs: {
      why:
        "A block-device worker or an NFS client writeback/localio path that writes into another " +
        "filesystem is the back end of one IO stack calling the front end of another. Allocations " +
        "made by the lower filesystem can enter reclaim that writes back through the upper device, " +
        "which waits on this very worker; and its dirty pages are throttled together with the " +
        "writers it is trying to drain. The loop driver (d0a255e795ab) and NFS localio run such " +
        "workers with PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE. Adding WQ_MEM_RECLAIM to a queue does not " +
        "fix this (xfs m_sync_workqueue discussion, 2024).",
      fix:
        "Do the lower-filesystem IO from a worker that saves current->flags, sets " +
        "PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO, and restores the old flags afterwards (the " +
        "loop_process_work() pattern), or at least a memalloc_noio_save() scope; prefer async direct " +
        "IO (IOCB_DIRECT with ki_complete) to avoid double caching.",
      quiet:
        "Calls inside a memalloc_noio scope or after PF_MEMALLOC_NOIO is set in the lines shown, and " +
        "control paths (ioctl, set_fd, status, probe) of back-end drivers.",
    },
    messages: {
      noNoio:
        "{{call}} from {{fn}}, a back-end IO context: filesystem IO here needs PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE (or a memalloc_noio_save() scope) around it, as loop_process_work() does",
      noThrottle:
        "{{call}} from {{fn}} runs under NOIO but without PF_LOCAL_THROTTLE: this back-end writer may be throttled with the very writers it drains",
      protectedWorker:
        "{{fn}} now does its filesystem IO ({{call}}) under {{how}}: the loop_process_work() pattern for back-end workers; check the old flags are restored on every exit{{throttle}}",
      notShown:
        "{{call}} from {{fn}}, a back-end IO context: make sure the worker sets PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE above the lines shown (loop_process_work() pattern)",
    },
    knowledge: ["xfs-sync-wq-2024", "loop-noio-2019", "local-throttle-2020", "nfs-localio-2024", "nfs-localio-workqueues-2024"],
    scope: "line",
    needles: coveringNeedles(["_iter", ...listNeedles(lists.fsIoSubmitters())]),
  },
  check({ patch, source }) {
    const reports: Report[] = [];
    const facts = factsOf(source);
    const submitters = lists.fsIoSubmitters();
    const regions = functionRegions(patch, (p) => /\.c$/.test(p));
    // a fix: a back-end worker that submits filesystem IO gains NOIO / local throttling
    const done = new Set<string>();
    for (const region of regions) {
      const fn = region.name;
      if (!fn || !BACKEND_PATH.test(region.file.path)) continue;
      if (!region.lines.some((v) => v.line.kind === "add" && /PF_|memalloc_noio|io_flusher/.test(v.line.text))) continue;
      const sameFn = regions.filter((r) => r.file === region.file && r.name === fn);
      if (done.has(`${region.file.path}\0${fn}`)) continue; // once per function
      done.add(`${region.file.path}\0${fn}`);
      const lines = sameFn.flatMap((r) => r.lines);
      const protect = lines.find((v) => v.line.kind === "add" && (setsNoioFlag(v.code) || /\bPF_LOCAL_THROTTLE\b/.test(v.code) && /\|=/.test(v.code) || (scopeCallOn(v.code)?.op === "save" && scopeCallOn(v.code)?.kind === "noio")));
      if (!protect) continue;
      const io = lines.filter((v) => v.line.kind === "ctx").map((v) => (ITER.exec(v.code)?.[0] ?? callsOn(v.code).find((c) => submitters.has(c)) ?? null)).find((c) => c !== null);
      if (!io) continue;
      const all = lines.map((v) => v.code).join("\n");
      const throttle = /\bPF_LOCAL_THROTTLE\b|\bset_current_io_flusher\b/.test(all);
      reports.push({
        messageId: "protectedWorker",
        severity: "info",
        data: {
          fn: `${fn}()`,
          call: io.startsWith("->") ? io.replace(/\s*\($/, "()") : `${io}()`,
          how: /memalloc_noio_save/.test(protect.code) ? "a memalloc_noio_save() scope" : throttle ? "PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE" : "PF_MEMALLOC_NOIO",
          throttle: throttle ? "" : ", and consider PF_LOCAL_THROTTLE so the worker is not throttled with the writers it drains",
        },
        file: region.file.path,
        line: protect.line.newLine,
        identifiers: ["PF_MEMALLOC_NOIO", "PF_LOCAL_THROTTLE", fn],
      });
    }
    for (const region of regions) {
      const path = region.file.path;
      const fn = facts ? functionNameAt(source, path, region.lines[0]?.line.newLine ?? null, region.name) : region.name;
      if (!fn || CONTROL_FN.test(fn)) continue;
      let worker: string[] | null = null;
      if (facts) {
        // with sources: a back-end context is a work function or IO callback (or called from one)
        const text = facts.text(path) ?? "";
        if (!BACKEND_PATH.test(path) && !/_writepages?$/.test(fn) && !/blk-mq\.h|\bblk_mq_|\bstruct bio\b|\bbi_end_io\b/.test(text)) continue;
        const w = workerOf(source, path, fn);
        if (!w) continue;
        worker = w.chain;
      } else {
        if (!BACKEND_PATH.test(path) && !/_writepages?$/.test(fn)) continue;
        if (!BACKEND_PATH.test(path) && !/^fs\//.test(path)) continue;
        if (!BACKEND_FN.test(fn) && !/^(?:drivers\/block\/loop\.c|fs\/nfs\/localio\.c)$/.test(path)) continue;
      }
      const states = scopeStates(region);
      region.lines.forEach((v, i) => {
        if (v.line.kind !== "add") return;
        const iter = ITER.exec(v.code);
        const call = iter ? `->${iter[1]}()` : callsOn(v.code).find((c) => submitters.has(c));
        if (!call) return;
        const st = states[i]!;
        if (facts && !st.noio && scopeHeldAt(source, path, v.line.newLine) === "noio") return; // every caller holds NOIO
        const name = iter ? call : `${call}()`;
        const base = { file: path, line: v.line.newLine, identifiers: [iter ? iter[1]! : call, fn], cite: ["xfs-sync-wq-2024", "loop-noio-2019"] };
        const writes = !/read/.test(name);
        if (st.noio && (st.localThrottle || !writes)) return;
        if (st.noio) reports.push({ ...base, messageId: "noThrottle", severity: "info", data: { call: name, fn: `${fn}()` } });
        else if (!region.hasDefinition && !facts) reports.push({ ...base, messageId: "notShown", severity: "info", data: { call: name, fn: `${fn}()` } });
        else reports.push({ ...base, messageId: "noNoio", data: { call: name, fn: `${fn}()` }, ...(worker && worker.length > 1 ? { chain: worker } : {}) });
      });
    }
    return reports;
  },
};

// io-flusher-prctl-arg: prctl(PR_SET_IO_FLUSHER, ...) with arguments that do not
// set the state (0 clears it), and recognition of a correct call.
import { flusherCallIn, isLiteralArg, isZeroArg } from "../../context/userspace.js";
import type { Report, Rule } from "../../types.js";
import { stripLine } from "../util/code.js";
import { isSourceFile } from "../util/diff.js";
import { HISTORY } from "../../vocab/history.js";

export const rule: Rule = {
  meta: {
    id: "io-flusher-prctl-arg",
    class: "io-flusher",
    severity: "error",
    description: "prctl(PR_SET_IO_FLUSHER, ...) whose arguments clear or fail instead of setting the state",
    docs: {
      why:
        "PR_SET_IO_FLUSHER takes arg2 = 1 to set the IO-flusher state (PF_MEMALLOC_NOIO | " +
        "PF_LOCAL_THROTTLE) and arg2 = 0 to clear it; any other value, or non-zero arg3..arg5, fails " +
        "with EINVAL. Passing 0 succeeds silently, so an error check never fires and the daemon runs " +
        "unprotected. The call needs CAP_SYS_RESOURCE and the " +
        "state is per thread.",
      fix:
        "prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0) in every IO thread, checking the result and logging " +
        "EPERM (missing CAP_SYS_RESOURCE) loudly. Rust: libc::prctl(libc::PR_SET_IO_FLUSHER, 1, 0, 0, 0); " +
        "Go: unix.Prctl(unix.PR_SET_IO_FLUSHER, 1, 0, 0, 0).",
      quiet: "Calls whose arg2 is a variable; PR_GET_IO_FLUSHER.",
    },
    messages: {
      clears:
        "prctl(PR_SET_IO_FLUSHER, {{arg}}, ...) clears the IO-flusher state instead of setting it (arg2 must be 1); the call succeeds, so the error path never runs",
      badArg:
        "prctl(PR_SET_IO_FLUSHER, {{args}}): {{problem}}, so the call fails with EINVAL and the thread stays unprotected",
      kernelSide:
        "kernel side of PR_SET_IO_FLUSHER changed: the prctl sets PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE for one thread (arg2 = 1 sets, 0 clears, CAP_SYS_RESOURCE required); check that set, clear and PR_GET_IO_FLUSHER stay consistent with what userspace daemons rely on",
      sets:
        "prctl(PR_SET_IO_FLUSHER, 1, ...) puts this thread in IO-flusher state (PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE): it needs CAP_SYS_RESOURCE, is per thread (every IO thread must call it), and a failure should be reported loudly",
    },
    knowledge: ["pr-set-io-flusher-2019", "local-throttle-2020", HISTORY.mappingMaskDeadlock],
    scope: "line",
    needles: ["IO_FLUSHER"],
  },
  check({ patch }) {
    const reports: Report[] = [];
    let kernelSide = false;
    for (const file of patch.files) {
      if (file.binary || file.newPath === null || !isSourceFile(file.path)) continue;
      for (const h of file.hunks) {
        const side = h.lines.filter((l) => l.kind !== "del");
        side.forEach((l, i) => {
          if (l.kind !== "add" || !/PR_(?:SET|GET)?_?IO_FLUSHER/.test(l.text)) return;
          const code = stripLine(l.text);
          // the prctl's implementation (its case label, the uapi definition, the flag set), not a caller
          if (/\bcase\s+PR_(?:SET|GET)_IO_FLUSHER\b|#\s*define\s+PR_(?:SET|GET)_IO_FLUSHER\b|\bPR_IO_FLUSHER\b/.test(code)) {
            if (kernelSide) return;
            kernelSide = true;
            reports.push({ file: file.path, line: l.newLine, messageId: "kernelSide", severity: "info", identifiers: ["PR_SET_IO_FLUSHER"] });
            return;
          }
          if (!/\bPR_SET_IO_FLUSHER\b/.test(code)) return;
          const joined = [code, ...side.slice(i + 1, i + 4).map((x) => stripLine(x.text))].join(" ");
          const call = flusherCallIn(joined);
          if (!call) return;
          const at = { file: file.path, line: l.newLine, identifiers: ["PR_SET_IO_FLUSHER"] };
          const rest = call.rest;
          const arg2 = rest[0];
          if (call.arg2 === "clear") {
            reports.push({ ...at, messageId: "clears", data: { arg: arg2! }, fix: "Pass 1 as arg2: prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0) sets the state; 0 clears it." });
          } else if (rest.length !== 4) {
            reports.push({ ...at, messageId: "badArg", data: { args: rest.join(", "), problem: `prctl takes five arguments here (got ${rest.length + 1}); arg3..arg5 must be 0` } });
          } else if (call.arg2 === "other") {
            reports.push({ ...at, messageId: "badArg", data: { args: rest.join(", "), problem: `arg2 must be 1 (set) or 0 (clear), not ${arg2}` } });
          } else if (rest.slice(1).some((a) => isLiteralArg(a) && !isZeroArg(a))) {
            reports.push({ ...at, messageId: "badArg", data: { args: rest.join(", "), problem: "arg3..arg5 must be 0" } });
          } else if (call.arg2 === "set") {
            reports.push({ ...at, messageId: "sets", severity: "info" });
          }
        });
      }
    }
    return reports;
  },
};

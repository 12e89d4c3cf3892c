// io-flusher-prctl-arg: prctl(PR_SET_IO_FLUSHER, ...) with arguments that do not
// set the state (0 clears it), and recognition of a correct call.
import type { Report, Rule } from "../../types.js";
import { callArguments, stripLine } from "../util/code.js";
import { isSourceFile } from "../util/diff.js";
import { isUserspaceFile } from "./io-flusher-missing.js";

const CALL = /\b(?:prctl|Prctl)\s*\(/g;
const ZERO = /^\(?\s*(?:0|0x0|0[uUlL]+|false)\s*\)?(?:\s+as\s+\w+)?$/;
const ONE = /^\(?\s*(?:1|0x1|1[uUlL]+|true)\s*\)?(?:\s+as\s+\w+)?$/;
const LITERAL = /^\(?\s*(?:\d+|0x[0-9a-fA-F]+)[uUlL]*\s*\)?(?:\s+as\s+\w+)?$/;

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
        "unprotected (ublksrv shipped this in 53c353ff9841). The call needs CAP_SYS_RESOURCE and the " +
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
    knowledge: ["pr-set-io-flusher-2019", "local-throttle-2020", "ext4-mapping-gfp-2019"],
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
          // the prctl's implementation (kernel/sys.c, uapi header, helpers), not a caller
          if (!kernelSide && !isUserspaceFile(file) && /\bcase\s+PR_(?:SET|GET)_IO_FLUSHER\b|#\s*define\s+PR_(?:SET|GET)_IO_FLUSHER\b|\bPR_IO_FLUSHER\b/.test(code)) {
            kernelSide = true;
            reports.push({ file: file.path, line: l.newLine, messageId: "kernelSide", severity: "info", identifiers: ["PR_SET_IO_FLUSHER"] });
            return;
          }
          if (!/\bPR_SET_IO_FLUSHER\b/.test(code)) return;
          const joined = [code, ...side.slice(i + 1, i + 4).map((x) => stripLine(x.text))].join(" ");
          CALL.lastIndex = 0;
          let m: RegExpExecArray | null;
          while ((m = CALL.exec(joined))) {
            const args = callArguments(joined, m.index + m[0].length - 1);
            if (!args || !/\bPR_SET_IO_FLUSHER$/.test(args[0]!)) continue;
            const at = { file: file.path, line: l.newLine, identifiers: ["PR_SET_IO_FLUSHER"] };
            const rest = args.slice(1);
            const arg2 = rest[0];
            if (arg2 !== undefined && ZERO.test(arg2)) {
              reports.push({ ...at, messageId: "clears", data: { arg: arg2 } });
            } else if (rest.length !== 4) {
              reports.push({ ...at, messageId: "badArg", data: { args: rest.join(", "), problem: `prctl takes five arguments here (got ${args.length}); arg3..arg5 must be 0` } });
            } else if (arg2 !== undefined && LITERAL.test(arg2) && !ONE.test(arg2)) {
              reports.push({ ...at, messageId: "badArg", data: { args: rest.join(", "), problem: `arg2 must be 1 (set) or 0 (clear), not ${arg2}` } });
            } else if (rest.slice(1).some((a) => LITERAL.test(a) && !ZERO.test(a))) {
              reports.push({ ...at, messageId: "badArg", data: { args: rest.join(", "), problem: "arg3..arg5 must be 0" } });
            } else if (arg2 !== undefined && ONE.test(arg2)) {
              reports.push({ ...at, messageId: "sets", severity: "info" });
            }
            break;
          }
        });
      }
    }
    return reports;
  },
};

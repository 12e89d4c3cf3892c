import { rule } from "../../src/rules/io-flusher/io-flusher-prctl-arg.js";
import { ruleTester } from "../helpers/rule-tester.js";

const daemon = `static void *queue_thread(void *arg)
{
	struct qctx *q = arg;

	return serve_queue(q);
}
`;
const add = (line: string) => daemon.replace("\tstruct qctx *q = arg;\n", `\tstruct qctx *q = arg;\n\n${line}\n`);

ruleTester(rule, {
  valid: [
    { name: "arg2 is a variable", patch: { files: [{ path: "src/queue.c", before: daemon, after: add("\tprctl(PR_SET_IO_FLUSHER, q->flusher, 0, 0, 0);") }] } },
    { name: "PR_GET_IO_FLUSHER", patch: { files: [{ path: "src/queue.c", before: daemon, after: add("\tint on = prctl(PR_GET_IO_FLUSHER, 0, 0, 0, 0);") }] } },
    { name: "the call only appears in a comment", patch: { files: [{ path: "src/queue.c", before: daemon, after: add("\t/* prctl(PR_SET_IO_FLUSHER, 0, 0, 0, 0) would clear it */") }] } },
    { name: "existing correct call untouched by the patch", patch: { files: [{ path: "src/queue.c", before: add("\tprctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0);"), after: add("\tprctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0);").replace("serve_queue(q)", "serve_queue(q, 0)") }] } },
  ],
  invalid: [
    {
      name: "arg2 = 0 clears the state (C)",
      patch: { files: [{ path: "src/queue.c", before: daemon, after: add("\tif (prctl(PR_SET_IO_FLUSHER, 0, 0, 0, 0) != 0)\n\t\tlog_warn(\"io flusher\");") }] },
      errors: [{ messageId: "clears", line: 5, severity: "error" }],
    },
    {
      name: "Go: unix.Prctl with 0",
      patch: {
        files: [
          {
            path: "cmd/nbdserve/main.go",
            before: "package main\n\nfunc serve() error {\n\treturn loop()\n}\n",
            after: "package main\n\nfunc serve() error {\n\tif err := unix.Prctl(unix.PR_SET_IO_FLUSHER, 0, 0, 0, 0); err != nil {\n\t\treturn err\n\t}\n\treturn loop()\n}\n",
          },
        ],
      },
      errors: [{ messageId: "clears", line: 4 }],
    },
    {
      name: "Rust: libc::prctl with 0",
      patch: {
        files: [
          {
            path: "src/queue.rs",
            before: "fn start() -> i32 {\n    0\n}\n",
            after: "fn start() -> i32 {\n    unsafe { libc::prctl(libc::PR_SET_IO_FLUSHER, 0, 0, 0, 0) }\n}\n",
          },
        ],
      },
      errors: [{ messageId: "clears", line: 2, severity: "error" }],
    },
    {
      name: "too few arguments",
      patch: { files: [{ path: "src/queue.c", before: daemon, after: add("\tprctl(PR_SET_IO_FLUSHER, 1);") }] },
      errors: [{ messageId: "badArg", line: 5, severity: "error" }],
    },
    {
      name: "arg2 = 2 fails with EINVAL",
      patch: { files: [{ path: "src/queue.rs", before: "fn run() {\n    serve();\n}\n", after: "fn run() {\n    unsafe { libc::prctl(libc::PR_SET_IO_FLUSHER, 2, 0, 0, 0) };\n    serve();\n}\n" }] },
      errors: [{ messageId: "badArg", line: 2 }],
    },
    {
      name: "kernel side of the prctl changed (info)",
      patch: {
        files: [
          {
            path: "kernel/sys.c",
            before: "static long prctl_x(int option, unsigned long arg2)\n{\n\tswitch (option) {\n\tdefault:\n\t\treturn -EINVAL;\n\t}\n}\n",
            after: "static long prctl_x(int option, unsigned long arg2)\n{\n\tswitch (option) {\n\tcase PR_SET_IO_FLUSHER:\n\t\treturn set_flusher(arg2);\n\tdefault:\n\t\treturn -EINVAL;\n\t}\n}\n",
          },
        ],
      },
      errors: [{ messageId: "kernelSide", line: 4, severity: "info" }],
    },
    {
      name: "correct call split over two lines is recognised (info)",
      patch: { files: [{ path: "src/queue.c", before: daemon, after: add("\tif (prctl(PR_SET_IO_FLUSHER,\n\t\t  1, 0, 0, 0))\n\t\tlog_warn(\"io flusher\");") }] },
      errors: [{ messageId: "sets", line: 5, severity: "info" }],
    },
  ],
});

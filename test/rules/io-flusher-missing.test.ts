import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { codeSide, servingEntryOn, threadCreateOn } from "../../src/context/userspace.js";
import { memoryTree, openSources } from "../../src/context/sources.js";
import { parsePatchText } from "../../src/ingest/index.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { review } from "../../src/pipeline.js";
import { rule } from "../../src/rules/io-flusher/io-flusher-missing.js";
import type { Finding } from "../../src/types.js";
import { formatPatch } from "../helpers/patch.js";
import { ruleTester, runRule } from "../helpers/rule-tester.js";

// Fixtures written for these tests: small userspace servers (nbd client, ublk server, FUSE server).
const nbdClient = `#include <sys/ioctl.h>
#include <linux/nbd.h>

int main(int argc, char **argv)
{
	int fd = open_device(argv[1]);

	return run(fd);
}
`;
const withDoIt = nbdClient.replace("\treturn run(fd);\n", "\tif (ioctl(fd, NBD_DO_IT) < 0)\n\t\treturn 1;\n\treturn run(fd);\n");

const ublkServer = (before: string, after: string) => `#include <pthread.h>
#include <sys/prctl.h>
#include "ublksrv.h"

static void *queue_thread(void *data)
{
	struct srv_queue *q = data;

	queue_submit_fetch(q, UBLK_U_IO_FETCH_REQ);
	return queue_loop(q);
}

int start_queues(struct srv_dev *dev)
{
	int i;

${before}	for (i = 0; i < dev->nr_queues; i++)
		pthread_create(&dev->q[i].thread, NULL, queue_thread, &dev->q[i]);
${after}	return 0;
}
`;
const setFlag = "\tif (prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0))\n\t\tperror(\"PR_SET_IO_FLUSHER\");\n";

ruleTester(rule, {
  valid: [
    {
      name: "nbd client that sets PR_SET_IO_FLUSHER in the same change",
      patch: { files: [{ path: "nbd-client.c", before: nbdClient, after: withDoIt.replace("\tif (ioctl", "\tprctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0);\n\tif (ioctl") }] },
    },
    {
      name: "kernel driver code handling the same command (a comparison)",
      patch: {
        files: [
          {
            path: "drivers/block/nbd.c",
            before: "static int nbd_ioctl_x(struct nbd_device *nbd, unsigned int cmd)\n{\n\treturn 0;\n}\n",
            after: "static int nbd_ioctl_x(struct nbd_device *nbd, unsigned int cmd)\n{\n\tif (cmd == NBD_DO_IT)\n\t\treturn nbd_start(nbd);\n\treturn 0;\n}\n",
          },
        ],
      },
    },
    {
      name: "kernel module code passing the command on (module macros visible)",
      patch: {
        files: [
          {
            path: "drivers/block/widget_ublk.c",
            before: null,
            after: "#include <linux/module.h>\n\nstatic int widget_fetch(struct widget *w)\n{\n\treturn widget_issue(w, UBLK_U_IO_FETCH_REQ);\n}\nMODULE_LICENSE(\"GPL\");\n",
          },
        ],
      },
    },
    {
      name: "edit of an existing request handler (op codes are not serving entries)",
      patch: {
        files: [
          {
            path: "src/handler.c",
            before: "#include <sys/uio.h>\n\nstatic int handle(struct io *io)\n{\n\treturn 0;\n}\n",
            after: "#include <sys/uio.h>\n\nstatic int handle(struct io *io)\n{\n\tif (io->op == UBLK_IO_OP_FLUSH)\n\t\treturn do_flush(io);\n\treturn 0;\n}\n",
          },
        ],
      },
    },
    {
      name: "header that names the fetch command",
      patch: { files: [{ path: "include/ublk_cmds.h", before: "#define A 1\n", after: "#define A 1\n#define FIRST_CMD UBLK_U_IO_FETCH_REQ\n" }] },
    },
    {
      name: "userspace program that serves no block device",
      patch: { files: [{ path: "tools/cat.c", before: nbdClient, after: nbdClient.replace("\treturn run(fd);\n", "\tif (ioctl(fd, FIONREAD, &n) < 0)\n\t\treturn 1;\n\treturn run(fd);\n") }] },
    },
    {
      name: "ublk server that sets the flag before creating its queue threads",
      patch: { files: [{ path: "srv/queues.c", before: ublkServer("", ""), after: ublkServer(setFlag, "") }] },
    },
  ],
  invalid: [
    {
      name: "nbd client enters NBD_DO_IT without PR_SET_IO_FLUSHER (diff only: info, the rest of the program is unseen)",
      patch: { files: [{ path: "nbd-client.c", before: nbdClient, after: withDoIt }] },
      errors: [{ messageId: "missingUnseen", line: 8, severity: "info" }],
    },
    {
      name: "new ublk server file fetching requests",
      patch: {
        files: [{ path: "src/ublk_queue.c", before: null, after: "#include <sys/mman.h>\n\nstatic int queue_start(struct q *q)\n{\n\treturn submit_cmd(q, UBLK_U_IO_FETCH_REQ);\n}\n" }],
      },
      errors: [{ messageId: "missingUnseen", line: 5, severity: "info" }],
    },
    {
      name: "FUSE server opening /dev/fuse (Rust)",
      patch: {
        files: [
          {
            path: "src/session.rs",
            before: "fn mount() -> Result<()> {\n    Ok(())\n}\n",
            after: "fn mount() -> Result<()> {\n    let dev = File::open(\"/dev/fuse\")?;\n    serve(dev)\n}\n",
          },
        ],
      },
      errors: [{ messageId: "missingUnseen", line: 2, severity: "info" }],
    },
    {
      name: "prctl added after the queue threads are created: they do not inherit it",
      patch: { context: 20, files: [{ path: "srv/queues.c", before: ublkServer("", ""), after: ublkServer("", setFlag) }] },
      errors: [{ messageId: "createdBefore", line: 19, severity: "warning" }],
    },
    {
      name: "a thread created before an existing prctl, start routine not in the patch (info)",
      patch: {
        files: [
          {
            path: "srv/main.c",
            before: "#include <pthread.h>\n\nint main(void)\n{\n\tprctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0);\n\treturn serve();\n}\n",
            after: "#include <pthread.h>\n\nint main(void)\n{\n\tpthread_create(&stats, NULL, stats_thread, NULL);\n\tprctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0);\n\treturn serve();\n}\n",
          },
        ],
      },
      errors: [{ messageId: "createdBefore", line: 5, severity: "info" }],
    },
  ],
});

describe("userspace judgements", () => {
  it("tells userspace from kernel code by what the text shows", () => {
    expect(codeSide("a.c", "#include <sys/ioctl.h>\nint main(void) {}")).toBe("userspace");
    expect(codeSide("drivers/x.c", "#include <linux/module.h>\n")).toBe("kernel");
    expect(codeSide("x.c", "\tp = kzalloc(n, GFP_KERNEL);")).toBe("kernel");
    expect(codeSide("x.c", "\treturn submit(q);")).toBeNull();
    expect(codeSide("srv.go", "x := 1")).toBe("userspace");
  });
  it("finds serving entries, not op codes, case labels or comparisons", () => {
    expect(servingEntryOn("\tcmd = UBLK_U_IO_COMMIT_AND_FETCH_REQ;")?.marker).toBe("UBLK_U_IO_COMMIT_AND_FETCH_REQ");
    expect(servingEntryOn('\tfd = open("/dev/fuse", O_RDWR);')?.marker).toBe("/dev/fuse");
    expect(servingEntryOn("\tfuse_session_loop_mt(se, cfg);")?.marker).toBe("fuse_session_loop_mt");
    expect(servingEntryOn("\tcase UBLK_IO_OP_READ:")).toBeNull();
    expect(servingEntryOn("\tcase NBD_DO_IT:")).toBeNull();
    expect(servingEntryOn("\tif (cmd == NBD_DO_IT)")).toBeNull();
    expect(servingEntryOn("\tioctl(fd, NBD_DO_IT);")?.marker).toBe("NBD_DO_IT");
  });
  it("finds thread creation and its start routine", () => {
    expect(threadCreateOn("\tpthread_create(&t, NULL, io_loop, q);")).toEqual({ call: "pthread_create", fn: "io_loop" });
    expect(threadCreateOn("\tclone(child_fn, stack, CLONE_VM, arg);")).toEqual({ call: "clone", fn: "child_fn" });
    expect(threadCreateOn("\tcreate_threads(q);")).toBeNull();
  });
  it("says which thread misses the flag and what to do", () => {
    const [f] = runRule(rule, { context: 20, files: [{ path: "srv/queues.c", before: ublkServer("", ""), after: ublkServer("", setFlag) }] });
    expect(f!.message).toContain("pthread_create() at line 18 creates a thread before prctl(PR_SET_IO_FLUSHER, 1, ...) at line 19 in start_queues()");
    expect(f!.message).toContain("queue_thread() runs without it");
    expect(f!.fix).toContain("before pthread_create()");
  });
});

// ------------------------------------------------------------ with a source tree

async function reviewWithTree(files: { path: string; before: string | null; after: string }[], tree: Map<string, string>): Promise<Finding[]> {
  const input = parsePatchText(formatPatch({ files }), "tree.patch");
  const sources = openSources(memoryTree(tree));
  await sources.prepare!(input.patches);
  return review(input, sources, DEFAULT_CONFIG, loadKnowledge(), [rule]).reviews[0]!.findings;
}

describe("io-flusher-missing with source context", () => {
  const setup = '#include <sys/prctl.h>\n\nint srv_setup_thread(void)\n{\n\treturn prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0);\n}\n';
  it("is quiet when another file of the directory sets the flag", async () => {
    const tree = new Map([["tools/srv/main.c", nbdClient], ["tools/srv/setup.c", setup]]);
    expect(await reviewWithTree([{ path: "tools/srv/main.c", before: nbdClient, after: withDoIt }], tree)).toEqual([]);
  });
  it("warns when the directory was searched and nothing sets it", async () => {
    const tree = new Map([["tools/srv/main.c", nbdClient], ["tools/srv/setup.c", setup.replace("PR_SET_IO_FLUSHER, 1", "PR_SET_IO_FLUSHER, 0")]]);
    const f = await reviewWithTree([{ path: "tools/srv/main.c", before: nbdClient, after: withDoIt }], tree);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[8, "warning", "missing"]]);
  });
});

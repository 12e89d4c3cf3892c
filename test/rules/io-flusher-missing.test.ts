import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/io-flusher/io-flusher-missing.js";
import { backendMarkerOn, servingEntryOn } from "../../src/rules/io-flusher/io-flusher-missing.js";
import { ruleTester } from "../helpers/rule-tester.js";

const nbdClient = `#include <sys/ioctl.h>
#include <linux/nbd.h>

int main(int argc, char **argv)
{
	int fd = open_device(argv[1]);

	return run(fd);
}
`;
const withDoIt = nbdClient.replace("\treturn run(fd);\n", "\tif (ioctl(fd, NBD_DO_IT) < 0)\n\t\treturn 1;\n\treturn run(fd);\n");

ruleTester(rule, {
  valid: [
    {
      name: "nbd client that sets PR_SET_IO_FLUSHER in the same change",
      patch: { files: [{ path: "nbd-client.c", before: nbdClient, after: withDoIt.replace("\tif (ioctl", "\tprctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0);\n\tif (ioctl") }] },
    },
    {
      name: "kernel driver code using the same identifiers",
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
      name: "edit of an existing request handler (no new serving loop)",
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
      name: "new target plugin that handles ublk op codes (the library sets the flag)",
      patch: {
        files: [
          {
            path: "targets/ublk.widget.cpp",
            before: null,
            after: "#include <sys/uio.h>\n\nstatic int widget_handle_io(struct ublk_io *io)\n{\n\tswitch (io->op) {\n\tcase UBLK_IO_OP_READ:\n\t\treturn widget_read(io);\n\t}\n\treturn -EINVAL;\n}\n",
          },
        ],
      },
    },
    {
      name: "header that names the fetch command",
      patch: { files: [{ path: "include/ublk_cmds.h", before: "#define A 1\n", after: "#define A 1\n#define FIRST_CMD UBLK_U_IO_FETCH_REQ\n" }] },
    },
    {
      name: "userspace program that serves no block backend",
      patch: { files: [{ path: "tools/cat.c", before: nbdClient, after: nbdClient.replace("\treturn run(fd);\n", "\tif (ioctl(fd, FIONREAD, &n) < 0)\n\t\treturn 1;\n\treturn run(fd);\n") }] },
    },
  ],
  invalid: [
    {
      name: "nbd client enters NBD_DO_IT without PR_SET_IO_FLUSHER",
      patch: { files: [{ path: "nbd-client.c", before: nbdClient, after: withDoIt }] },
      errors: [{ messageId: "missing", line: 8, severity: "warning" }],
    },
    {
      name: "new ublk server file fetching requests",
      patch: {
        files: [
          {
            path: "src/ublk_queue.c",
            before: null,
            after: "#include <sys/mman.h>\n\nstatic int queue_start(struct q *q)\n{\n\treturn submit_cmd(q, UBLK_U_IO_FETCH_REQ);\n}\n",
          },
        ],
      },
      errors: [{ messageId: "missing", line: 5 }],
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
      errors: [{ messageId: "missing", line: 2 }],
    },
  ],
});

describe("io-flusher-missing helpers", () => {
  it("recognises backend markers from the name list", () => {
    expect(backendMarkerOn("\tret = tcmulib_get_next_command(dev);")).toBe("tcmulib_get_next_command");
    expect(backendMarkerOn("\tcmd = UBLK_U_IO_COMMIT_AND_FETCH_REQ;")).toBe("UBLK_U_IO_COMMIT_AND_FETCH_REQ");
    expect(backendMarkerOn('\tfd = open("/dev/fuse", O_RDWR);')).toBe("/dev/fuse");
    expect(backendMarkerOn("\tret = nbd_connect(fd);")).toBeNull();
  });
  it("only serving entry points trigger, not request op codes", () => {
    expect(servingEntryOn("\tcase UBLK_IO_OP_READ:")).toBeNull();
    expect(servingEntryOn("\tioctl(fd, NBD_DO_IT);")).toBe("NBD_DO_IT");
    expect(servingEntryOn("\tfuse_session_loop_mt(se, cfg);")).toBe("fuse_session_loop_mt");
  });
});

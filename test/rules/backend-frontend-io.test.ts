import { rule } from "../../src/rules/stacked-io/backend-frontend-io.js";
import { ruleTester } from "../helpers/rule-tester.js";

const worker = `static void blorp_process_work(struct blorp_dev *bd, struct blorp_cmd *cmd)
{
	struct iov_iter iter;

	blorp_prepare(cmd, &iter);
	blorp_complete(cmd, 0);
}
`;
const callIn = (src: string, call: string) => src.replace("\tblorp_complete(cmd, 0);\n", `${call}\n\tblorp_complete(cmd, 0);\n`);
const protectedWorker = `static void blorp_process_work(struct blorp_dev *bd, struct blorp_cmd *cmd)
{
	unsigned int old = current->flags;
	struct iov_iter iter;

	current->flags |= PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO;
	blorp_prepare(cmd, &iter);
	blorp_complete(cmd, 0);
	current_restore_flags(old, PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO);
}
`;

ruleTester(rule, {
  valid: [
    {
      name: "worker that sets PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO",
      patch: { files: [{ path: "drivers/block/blorp.c", before: protectedWorker, after: callIn(protectedWorker, "\tvfs_iter_write(bd->backing, &iter, &cmd->pos, 0);") }] },
    },
    {
      name: "read under a noio scope",
      patch: {
        files: [
          {
            path: "drivers/block/blorp.c",
            before: worker,
            after: callIn(worker, "\tnoio = memalloc_noio_save();\n\tvfs_iter_read(bd->backing, &iter, &cmd->pos, 0);\n\tmemalloc_noio_restore(noio);"),
          },
        ],
      },
    },
    {
      name: "control path (set_fd) of a back-end driver",
      patch: {
        files: [
          {
            path: "drivers/block/blorp.c",
            before: "static int blorp_set_fd(struct blorp_dev *bd, struct file *f)\n{\n\treturn 0;\n}\n",
            after: "static int blorp_set_fd(struct blorp_dev *bd, struct file *f)\n{\n\tvfs_fsync(f, 0);\n\treturn 0;\n}\n",
          },
        ],
      },
    },
    {
      name: "ordinary filesystem code calling kernel_write",
      patch: {
        files: [{ path: "fs/blorpfs/journal.c", before: "static int blorpfs_log(struct file *f)\n{\n\treturn 0;\n}\n", after: "static int blorpfs_log(struct file *f)\n{\n\tkernel_write(f, buf, len, &pos);\n\treturn 0;\n}\n" }],
      },
    },
  ],
  invalid: [
    {
      name: "vfs_iter_write from an unprotected block worker",
      patch: { context: 10, files: [{ path: "drivers/block/blorp.c", before: worker, after: callIn(worker, "\tvfs_iter_write(bd->backing, &iter, &cmd->pos, 0);") }] },
      errors: [{ messageId: "noNoio", line: 6, severity: "warning" }],
    },
    {
      name: "kernel_read from an unprotected block worker (needle: kernel_read only)",
      patch: { context: 10, files: [{ path: "drivers/block/blorp.c", before: worker, after: callIn(worker, "\tkernel_read(bd->backing, buf, len, &cmd->pos);") }] },
      errors: [{ messageId: "noNoio", line: 6, severity: "warning" }],
    },
    {
      name: "->write_iter from an NFS writepages path",
      patch: {
        files: [
          {
            path: "fs/nfs/blorp.c",
            before: "static int nfs_blorp_writepages(struct address_space *m, struct writeback_control *wbc)\n{\n\treturn 0;\n}\n",
            after: "static int nfs_blorp_writepages(struct address_space *m, struct writeback_control *wbc)\n{\n\tret = f->f_op->write_iter(&kiocb, &iter);\n\treturn 0;\n}\n",
          },
        ],
      },
      errors: [{ messageId: "noNoio", line: 3 }],
    },
    {
      name: "NOIO scope without PF_LOCAL_THROTTLE around a write (info)",
      patch: {
        files: [
          {
            path: "drivers/block/blorp.c",
            before: worker,
            after: callIn(worker, "\tnoio = memalloc_noio_save();\n\tvfs_iter_write(bd->backing, &iter, &cmd->pos, 0);\n\tmemalloc_noio_restore(noio);"),
          },
        ],
      },
      errors: [{ messageId: "noThrottle", line: 7, severity: "info" }],
    },
    {
      name: "fix: flags added around an existing vfs_iter_write (info)",
      patch: {
        files: [
          {
            path: "drivers/block/blorp.c",
            before: callIn(worker, "\tvfs_iter_write(bd->backing, &iter, &cmd->pos, 0);"),
            after: callIn(protectedWorker, "\tvfs_iter_write(bd->backing, &iter, &cmd->pos, 0);"),
          },
        ],
      },
      errors: [{ messageId: "protectedWorker", line: 6, severity: "info" }],
    },
    {
      name: "localio-style write whose worker start is not shown (info)",
      patch: {
        context: 1,
        files: [
          {
            path: "fs/nfs/localio.c",
            before: "static void nfs_local_call_write(struct work_struct *work)\n{\n\tstruct nfs_local_kiocb *iocb = to_iocb(work);\n\n\tnfs_a(iocb);\n\tnfs_b(iocb);\n\tnfs_c(iocb);\n\tnfs_done(iocb);\n}\n",
            after: "static void nfs_local_call_write(struct work_struct *work)\n{\n\tstruct nfs_local_kiocb *iocb = to_iocb(work);\n\n\tnfs_a(iocb);\n\tnfs_b(iocb);\n\tnfs_c(iocb);\n\tstatus = filp->f_op->write_iter(&iocb->kiocb, &iter);\n\tnfs_done(iocb);\n}\n",
          },
        ],
      },
      errors: [{ messageId: "notShown", severity: "info" }],
    },
  ],
});

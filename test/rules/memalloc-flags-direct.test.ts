import { rule } from "../../src/rules/gfp-context/memalloc-flags-direct.js";
import { describe, expect, it } from "vitest";
import { ruleTester, runRule } from "../helpers/rule-tester.js";

const worker = `static void blip_process_work(struct blip_worker *w, struct list_head *cmds)
{
	struct blip_cmd *cmd;

	while (!list_empty(cmds)) {
		cmd = list_first_entry(cmds, struct blip_cmd, node);
		blip_handle_cmd(cmd);
	}
}
`;
const workerNoio = `static void blip_process_work(struct blip_worker *w, struct list_head *cmds)
{
	unsigned int old_flags = current->flags;
	struct blip_cmd *cmd;

	current->flags |= PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO;
	while (!list_empty(cmds)) {
		cmd = list_first_entry(cmds, struct blip_cmd, node);
		blip_handle_cmd(cmd);
	}
	current_restore_flags(old_flags, PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO);
}
`;

/** A function that sets the flag and loops (a thread body when `stops`: it polls kthread_should_stop()). */
const threadBody = (name: string, stops: boolean) => `static int ${name}(void *data)
{
	struct blip_dev *bd = data;

	current->flags |= PF_MEMALLOC_NOIO;
	while (${stops ? "!kthread_should_stop()" : "!bd->done"}) {
		blip_flush(bd);
		schedule_timeout_interruptible(HZ);
	}
	return 0;
}
`;

ruleTester(rule, {
  valid: [
    {
      name: "the scope API's own header",
      patch: {
        files: [
          {
            path: "include/linux/sched/mm.h",
            before: "static inline void blip(void)\n{\n}\n",
            after: "static inline void blip(void)\n{\n\tcurrent->flags |= PF_MEMALLOC_NOIO;\n}\n",
          },
        ],
      },
    },
    {
      name: "unrelated PF_ flag",
      patch: { files: [{ path: "drivers/block/blip.c", before: worker, after: worker.replace("\tstruct blip_cmd *cmd;\n", "\tstruct blip_cmd *cmd;\n\n\tcurrent->flags |= PF_NOFREEZE;\n") }] },
    },
    {
      name: "flag setting removed together with the whole function",
      patch: { files: [{ path: "drivers/block/blip.c", before: "int x;\n\n" + workerNoio, after: "int x;\n" }] },
    },
    {
      name: "PF_LESS_THROTTLE renamed to PF_LOCAL_THROTTLE on the same line",
      patch: {
        files: [
          {
            path: "fs/blipd/vfs.c",
            before: worker.replace("\tstruct blip_cmd *cmd;\n", "\tstruct blip_cmd *cmd;\n\n\tcurrent->flags |= PF_LESS_THROTTLE;\n"),
            after: worker.replace("\tstruct blip_cmd *cmd;\n", "\tstruct blip_cmd *cmd;\n\n\tcurrent->flags |= PF_LOCAL_THROTTLE;\n"),
          },
        ],
      },
    },
    {
      name: "flags only read, not set",
      patch: { files: [{ path: "drivers/block/blip.c", before: worker, after: worker.replace("\tstruct blip_cmd *cmd;\n", "\tstruct blip_cmd *cmd;\n\n\tWARN_ON(!(current->flags & PF_MEMALLOC_NOIO));\n") }] },
    },
  ],
  invalid: [
    {
      name: "a kernel thread's body sets the flag for its whole life: info",
      patch: { files: [{ path: "drivers/block/blip.c", before: null, after: threadBody("blip_flusher", true) }] },
      errors: [{ messageId: "threadWide", severity: "info" }],
    },
    {
      name: "a function the patch starts with kthread_run(): info, whatever its body shows",
      patch: { files: [{ path: "drivers/block/blip.c", before: null, after: `${threadBody("blip_flusher", false)}\nstatic int blip_start(struct blip_dev *bd)\n{\n\tbd->task = kthread_run(blip_flusher, bd, "blip");\n\treturn PTR_ERR_OR_ZERO(bd->task);\n}\n` }] },
      errors: [{ messageId: "threadWide", severity: "info" }],
    },
    {
      name: "PF_MEMALLOC set by hand, saved and restored: the no-reclaim context recognised at info",
      patch: {
        files: [
          {
            path: "drivers/block/blip.c",
            before: worker,
            after: worker
              .replace("\tstruct blip_cmd *cmd;\n", "\tunsigned int pflags = current->flags & PF_MEMALLOC;\n\tstruct blip_cmd *cmd;\n\n\tcurrent->flags |= PF_MEMALLOC;\n")
              .replace("\t}\n}\n", "\t}\n\tcurrent->flags = (current->flags & ~PF_MEMALLOC) | pflags;\n}\n"),
          },
        ],
      },
      errors: [{ messageId: "noreclaimByHand", severity: "info", line: 6 }],
    },
    {
      name: "a name that says thread is not a thread: never restored is a warning",
      patch: { files: [{ path: "drivers/block/blip.c", before: null, after: threadBody("blip_thread_prepare", false) }] },
      errors: [{ messageId: "notRestored", severity: "warning" }],
    },
    {
      name: "PF_MEMALLOC_NOIO set by hand and never restored",
      patch: { files: [{ path: "drivers/block/blip.c", before: worker, after: worker.replace("\tstruct blip_cmd *cmd;\n", "\tstruct blip_cmd *cmd;\n\n\tcurrent->flags |= PF_MEMALLOC_NOIO;\n") }] },
      errors: [{ messageId: "notRestored", line: 5, severity: "warning" }],
    },
    {
      name: "set and then cleared with &= ~ (caller's flag lost)",
      patch: {
        files: [
          {
            path: "drivers/block/blip.c",
            before: worker,
            after: worker
              .replace("\tstruct blip_cmd *cmd;\n", "\tstruct blip_cmd *cmd;\n\n\tcurrent->flags |= PF_MEMALLOC_NOIO;\n")
              .replace("\t}\n}\n", "\t}\n\tcurrent->flags &= ~PF_MEMALLOC_NOIO;\n}\n"),
          },
        ],
      },
      errors: [{ messageId: "notRestored", line: 5 }],
    },
    {
      name: "saved and restored by hand: recognised as info",
      patch: { files: [{ path: "drivers/block/blip.c", before: worker, after: workerNoio }] },
      errors: [{ messageId: "restoredByHand", line: 6, severity: "info" }],
    },
    {
      name: "NOIO and local throttle removed from a worker",
      patch: { files: [{ path: "drivers/block/blip.c", before: workerNoio, after: worker }] },
      errors: [{ messageId: "removedFromWorker", severity: "warning", file: "drivers/block/blip.c" }],
    },
    {
      name: "flags replaced by a helper: info",
      patch: {
        files: [
          {
            path: "drivers/block/blip.c",
            before: workerNoio,
            after: workerNoio.replace("\tcurrent->flags |= PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO;\n", "\tset_current_io_flusher();\n"),
          },
        ],
      },
      errors: [{ messageId: "replaced", severity: "info" }],
    },
  ],
});

describe("memalloc-flags-direct: a worker split in two", () => {
  // written for this test: the worker's body becomes a helper and a new function of the same name wraps it
  const filler = `
static int blip_queue_cmd(struct blip_worker *w, struct blip_cmd *cmd)
{
	spin_lock(&w->lock);
	list_add_tail(&cmd->node, &w->cmds);
	spin_unlock(&w->lock);
	return blip_kick(w);
}
`;
  const body = worker.replace("static void blip_process_work(struct blip_worker *w, struct list_head *cmds)", "static void do_blip_process_work(struct blip_worker *w, struct list_head *cmds)");
  const wrapper = (flags: boolean) => `
static void blip_process_work(struct blip_worker *w, struct list_head *cmds)
{
${flags ? "\tunsigned int old_flags = current->flags;\n\n\tcurrent->flags |= PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO;\n" : ""}\tdo_blip_process_work(w, cmds);
${flags ? "\tcurrent_restore_flags(old_flags, PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO);\n" : ""}}
`;
  const run = (flags: boolean) => runRule(rule, { files: [{ path: "drivers/block/blip.c", before: workerNoio + filler, after: body + filler + wrapper(flags) }] });
  it("the function of the same name sets the flags again in another hunk: no removal reported", () => {
    expect(run(true).map((x) => x.messageId)).toEqual(["restoredByHand"]);
  });
  it("the new function does not set them: the removal is reported", () => {
    expect(run(false).map((x) => x.messageId)).toEqual(["removedFromWorker"]);
  });
});

describe("memalloc-flags-direct: a helper merged back into the worker", () => {
  // written for this test: the worker's helper becomes the worker again, so the hunks after the new definition
  // line carry the old helper's name in their headers
  const loop = Array.from({ length: 9 }, (_, i) => `\t\tblip_step${i}(cmd);`).join("\n");
  const helper = `static int do_blip_process_work(struct blip_worker *w, struct list_head *cmds)
{
	struct blip_cmd *cmd;
	int done = 0;

	while (!list_empty(cmds)) {
		cmd = list_first_entry(cmds, struct blip_cmd, node);
${loop}
		done++;
	}
	return done;
}

static void blip_process_work(struct blip_worker *w, struct list_head *cmds)
{
	unsigned int old_flags = current->flags;

	current->flags |= PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO;
	do_blip_process_work(w, cmds);
	current->flags = old_flags;
}
`;
  const merged = `static void blip_process_work(struct blip_worker *w, struct list_head *cmds)
{
	unsigned int old_flags = current->flags;
	struct blip_cmd *cmd;
	int done = 0;

	current->flags |= PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO;
	while (!list_empty(cmds)) {
		cmd = list_first_entry(cmds, struct blip_cmd, node);
${loop}
		done++;
	}
	current->flags = old_flags;
}
`;
  it("the restore in a later hunk (its header names the old helper) is read as the worker's: saved and restored", () => {
    const f = runRule(rule, { files: [{ path: "drivers/block/blip.c", before: helper, after: merged }] });
    expect(f.map((x) => x.messageId)).toEqual(["restoredByHand"]);
  });
});

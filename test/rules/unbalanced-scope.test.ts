import { rule } from "../../src/rules/gfp-context/unbalanced-scope.js";
import { describe, expect, it } from "vitest";
import { ruleTester, runRule } from "../helpers/rule-tester.js";
import { reviewWithTree } from "../helpers/tree-review.js";

const base = `static int zork_commit(struct zork_fs *zf, struct zork_item *it)
{
	int ret;

	ret = zork_prepare(zf, it);
	if (ret)
		return ret;
	ret = zork_write(zf, it);
	return ret;
}
`;

const balanced = `static int zork_commit(struct zork_fs *zf, struct zork_item *it)
{
	unsigned int nofs;
	int ret;

	nofs = memalloc_nofs_save();
	ret = zork_prepare(zf, it);
	if (ret) {
		memalloc_nofs_restore(nofs);
		return ret;
	}
	ret = zork_write(zf, it);
	memalloc_nofs_restore(nofs);
	return ret;
}
`;

ruleTester(rule, {
  valid: [
    { name: "restore on the error path and on the normal path", patch: { files: [{ path: "fs/zork/commit.c", before: base, after: balanced }] } },
    {
      name: "goto to a label that restores",
      patch: {
        files: [
          {
            path: "fs/zork/commit.c",
            before: base,
            after: `static int zork_commit(struct zork_fs *zf, struct zork_item *it)
{
	unsigned int nofs;
	int ret;

	nofs = memalloc_nofs_save();
	ret = zork_prepare(zf, it);
	if (ret)
		goto out;
	ret = zork_write(zf, it);
out:
	memalloc_nofs_restore(nofs);
	return ret;
}
`,
          },
        ],
      },
    },
    {
      name: "save and restore in different hunks (function not fully visible)",
      patch: {
        context: 1,
        files: [
          {
            path: "fs/zork/commit.c",
            before: base.replace("\tret = zork_write(zf, it);\n", "\tzork_a(zf);\n\tzork_b(zf);\n\tzork_c(zf);\n\tzork_d(zf);\n\tzork_e(zf);\n\tret = zork_write(zf, it);\n"),
            after: base
              .replace("\tret = zork_prepare(zf, it);\n", "\tnofs = memalloc_nofs_save();\n\tret = zork_prepare(zf, it);\n")
              .replace("\tret = zork_write(zf, it);\n", "\tzork_a(zf);\n\tzork_b(zf);\n\tzork_c(zf);\n\tzork_d(zf);\n\tzork_e(zf);\n\tret = zork_write(zf, it);\n\tmemalloc_nofs_restore(nofs);\n"),
          },
        ],
      },
    },
    {
      name: "save kept in a structure for a later resume",
      patch: {
        files: [
          {
            path: "drivers/md/zork.c",
            before: "void zork_suspend(struct zork_dev *zd)\n{\n\tzork_quiesce(zd);\n}\n",
            after: "void zork_suspend(struct zork_dev *zd)\n{\n\tzork_quiesce(zd);\n\tzd->noio_flag = memalloc_noio_save();\n}\n",
          },
        ],
      },
    },
    {
      name: "loop that drops the scope around a sleep and saves it again",
      patch: {
        files: [
          {
            path: "fs/zork/daemon.c",
            before: null,
            after: `static void zork_daemon(struct zork_fs *zf)
{
	unsigned int nofs = memalloc_nofs_save();

	do {
		if (zork_idle(zf)) {
			memalloc_nofs_restore(nofs);
			zork_sleep(zf);
			nofs = memalloc_nofs_save();
			continue;
		}
		if (zork_done(zf)) {
			memalloc_nofs_restore(nofs);
			return;
		}
		zork_step(zf);
	} while (!zork_stopped(zf));
	memalloc_nofs_restore(nofs);
}
`,
          },
        ],
      },
    },
    {
      name: "one variable saved as nofs or noio on different branches, restored to match",
      patch: {
        files: [
          {
            path: "fs/zork/map.c",
            before: null,
            after: `static int zork_map(struct zork_fs *zf, bool io)
{
	unsigned int flags = 0;
	int ret;

	if (io)
		flags = memalloc_nofs_save();
	else
		flags = memalloc_noio_save();
	ret = zork_map_pages(zf);
	if (io)
		memalloc_nofs_restore(flags);
	else
		memalloc_noio_restore(flags);
	return ret;
}
`,
          },
        ],
      },
    },
    {
      name: "a helper that ends the scope its caller saved (restore of a parameter)",
      patch: {
        files: [
          {
            path: "drivers/block/quux.c",
            before: null,
            after: `static void quux_end_io_scope(struct quux_dev *qd, unsigned int saved)
{
	quux_log(qd);
	memalloc_noio_restore(saved);
}
`,
          },
        ],
      },
    },
    {
      name: "a scope saved under a condition that also sets a flag, restored under `if (flag)`",
      patch: {
        files: [
          {
            path: "drivers/md/quux.c",
            before: null,
            after: `static void quux_start(struct quux_dev *qd)
{
	unsigned int noio_flags;
	bool suspended = false;

	if (qd->reshape && quux_spares_change(qd)) {
		suspended = true;
		quux_suspend(qd);
		noio_flags = memalloc_noio_save();
	}
	quux_lock(qd);
	if (suspended) {
		memalloc_noio_restore(noio_flags);
		quux_resume(qd);
	}
}
`,
          },
        ],
      },
    },
    {
      name: "a loop that saves and restores on alternate passes",
      patch: {
        files: [
          {
            path: "net/quux/rx.c",
            before: null,
            after: `static void quux_rx_list(struct quux_list *head)
{
	unsigned long noreclaim_flag = 0;
	struct quux_item *it, *next;
	bool special = false;

	list_for_each_entry_safe(it, next, head, node) {
		if (quux_is_special(it) != special) {
			special = !special;
			if (special)
				noreclaim_flag = memalloc_noreclaim_save();
			else
				memalloc_noreclaim_restore(noreclaim_flag);
		}
	}
	if (special)
		memalloc_noreclaim_restore(noreclaim_flag);
}
`,
          },
        ],
      },
    },
    {
      name: "task flags saved by hand and put back with current_restore_flags() (memalloc-flags-direct judges it)",
      patch: {
        files: [
          {
            path: "net/quux/xprt.c",
            before: null,
            after: `static void quux_xprt_connect(struct quux_xprt *x)
{
	unsigned long pflags = current->flags;

	if (x->swapper)
		current->flags |= PF_MEMALLOC;
	quux_do_connect(x);
	current_restore_flags(pflags, PF_MEMALLOC);
}
`,
          },
        ],
      },
    },
    {
      name: "a kernel thread's body that runs NOFS for its whole life",
      patch: {
        files: [
          {
            path: "fs/quux/journal.c",
            before: null,
            after: `static int quux_journald(void *arg)
{
	struct quux_journal *j = arg;

	memalloc_nofs_save();
	while (!kthread_should_stop())
		quux_commit(j);
	return 0;
}

int quux_start_thread(struct quux_journal *j)
{
	j->task = kthread_run(quux_journald, j, "quux-journal");
	return PTR_ERR_OR_ZERO(j->task);
}
`,
          },
        ],
      },
    },
  ],
  invalid: [
    {
      name: "early return skips the restore",
      patch: {
        files: [
          {
            path: "fs/zork/commit.c",
            before: base,
            after: `static int zork_commit(struct zork_fs *zf, struct zork_item *it)
{
	unsigned int nofs;
	int ret;

	nofs = memalloc_nofs_save();
	ret = zork_prepare(zf, it);
	if (ret)
		return ret;
	ret = zork_write(zf, it);
	memalloc_nofs_restore(nofs);
	return ret;
}
`,
          },
        ],
      },
      errors: [{ messageId: "missingRestore", line: 6, severity: "error" }],
    },
    {
      name: "restore with a constant",
      patch: { files: [{ path: "fs/zork/commit.c", before: balanced, after: balanced.replace("\t\tmemalloc_nofs_restore(nofs);\n", "\t\tmemalloc_nofs_restore(0);\n") }] },
      errors: [{ messageId: "restoreConstant", line: 9 }],
    },
    {
      name: "nofs save restored with noio restore",
      patch: { files: [{ path: "fs/zork/commit.c", before: base, after: balanced.replace("\tmemalloc_nofs_restore(nofs);\n\treturn ret;\n}", "\tmemalloc_noio_restore(nofs);\n\treturn ret;\n}") }] },
      errors: [{ messageId: "wrongKind", line: 13 }],
    },
    {
      name: "restores a different variable",
      patch: {
        files: [
          {
            path: "fs/zork/commit.c",
            before: base,
            after: balanced.replace("\tunsigned int nofs;\n", "\tunsigned int nofs, flags = 0;\n").replace("\tmemalloc_nofs_restore(nofs);\n\treturn ret;\n}", "\tmemalloc_nofs_restore(flags);\n\treturn ret;\n}"),
          },
        ],
      },
      errors: [{ messageId: "wrongVariable", line: 13 }],
    },
    {
      name: "a new return added inside an existing scope",
      patch: {
        context: 20,
        files: [
          {
            path: "fs/zork/commit.c",
            before: balanced,
            after: balanced.replace("\tret = zork_write(zf, it);\n", "\tif (zork_dead(zf))\n\t\treturn -EIO;\n\tret = zork_write(zf, it);\n"),
          },
        ],
      },
      errors: [{ messageId: "missingRestore", line: 13 }],
    },
    {
      name: "save without any restore in a complete void function",
      patch: {
        files: [
          {
            path: "fs/zork/flush.c",
            before: "static void zork_flush(struct zork_fs *zf)\n{\n\tzork_sync(zf);\n}\n",
            after: "static void zork_flush(struct zork_fs *zf)\n{\n\tunsigned int nofs;\n\n\tnofs = memalloc_nofs_save();\n\tzork_sync(zf);\n}\n",
          },
        ],
      },
      errors: [{ messageId: "neverRestored", line: 5 }],
    },
    {
      name: "save without restore before the final return",
      patch: {
        files: [
          {
            path: "fs/zork/commit.c",
            before: base,
            after: base.replace("\tint ret;\n", "\tunsigned int nofs;\n\tint ret;\n").replace("\tret = zork_prepare(zf, it);\n", "\tnofs = memalloc_nofs_save();\n\tret = zork_prepare(zf, it);\n").replace("\tif (ret)\n\t\treturn ret;\n", ""),
          },
        ],
      },
      errors: [{ messageId: "neverRestored", line: 6 }],
    },
    {
      name: "restore where the save was meant: nothing is open",
      patch: {
        files: [
          {
            path: "drivers/block/quux.c",
            before: null,
            after: `static int quux_resize(struct quux_dev *qd)
{
	unsigned int noio_flag;
	int ret;

	memalloc_noio_restore(noio_flag);
	ret = quux_realloc_tables(qd);
	memalloc_noio_restore(noio_flag);
	return ret;
}
`,
          },
        ],
      },
      errors: [
        { messageId: "restoreWithoutSave", line: 6, severity: "error" },
        { messageId: "restoreWithoutSave", line: 8, severity: "error" },
      ],
    },
    {
      name: "the same saved value restored twice on one path",
      patch: {
        files: [
          {
            path: "drivers/block/quux.c",
            before: null,
            after: `static int quux_flush(struct quux_dev *qd)
{
	unsigned int noio;
	int ret;

	noio = memalloc_noio_save();
	ret = quux_write_tables(qd);
	memalloc_noio_restore(noio);
	quux_log(qd);
	memalloc_noio_restore(noio);
	return ret;
}
`,
          },
        ],
      },
      errors: [{ messageId: "doubleRestore", line: 10 }],
    },
  ],
});

// The return type on a line of its own above a helper that returns the scope it saved: the helper is read as its
// own function (not as the end of the function the hunk header names), so nothing is left open.
const QUIET_BEFORE = `static inline bool zork_can_poll(struct zork_queue *q)
{
	return q->poll > 0;
}
`;
const QUIET_AFTER = `${QUIET_BEFORE}
static inline unsigned int __must_check
zork_enter_quiet(struct zork_queue *q)
{
	unsigned int flags = memalloc_noio_save();

	zork_block_io(q);
	return flags;
}
`;

describe("unbalanced-scope: a helper whose return type is on the line above its name", () => {
  it("returns the saved value: no open scope reported (it was reported at the end of the hunk header's function)", () => {
    expect(runRule(rule, { files: [{ path: "drivers/zork/zork.h", before: QUIET_BEFORE, after: QUIET_AFTER }] })).toEqual([]);
  });
  it("the same helper without its return: the scope left open is reported in the helper", () => {
    const f = runRule(rule, { files: [{ path: "drivers/zork/zork.h", before: QUIET_BEFORE, after: QUIET_AFTER.replace("\treturn flags;\n", "") }] });
    expect(f.map((x) => [x.severity, x.messageId])).toEqual([["error", "neverRestored"]]);
    expect(f[0]!.message).toContain("zork_enter_quiet()");
  });
});

describe("unbalanced-scope with the tree: a save deleted, its restores left behind", () => {
  // written for this test: a sysfs registration helper that opens a NOFS scope and restores it on three paths
  const fn = (save: boolean, firstRestore: boolean, laterRestores: boolean) => `void zork_add_kobj(struct zork_group *g)
{
	struct zork_kobj *zk;
	unsigned int nofs_flag;

	/* kobject_add() allocates with GFP_KERNEL deep down; callers may hold a transaction */
${save ? "\tnofs_flag = memalloc_nofs_save();\n" : ""}
	zk = kzalloc(sizeof(*zk), GFP_NOFS);
	if (!zk) {
${firstRestore ? "\t\tmemalloc_nofs_restore(nofs_flag);\n" : ""}		zork_warn(g, "no memory for the kobject");
		return;
	}

	zk->flags = g->flags;
	kobject_init(&zk->kobj, &zork_ktype);

	spin_lock(&g->lock);
	if (g->kobj) {
		spin_unlock(&g->lock);
		kobject_put(&zk->kobj);
${laterRestores ? "\t\tmemalloc_nofs_restore(nofs_flag);\n" : ""}		return;
	}
	g->kobj = &zk->kobj;
	spin_unlock(&g->lock);

	if (kobject_add(&zk->kobj, &g->parent, "%s", g->name))
		zork_warn(g, "kobject_add failed");
${laterRestores ? "\tmemalloc_nofs_restore(nofs_flag);\n" : ""}}
`;
  const path = "fs/zork/sysfs.c";
  const review = (after: string) => reviewWithTree(new Map([[path, fn(true, true, true)]]), { files: [{ path, before: fn(true, true, true), after }] }, [rule]);

  it("is an error where the save was, naming the restores still there", async () => {
    const f = await review(fn(false, false, true));
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[7, "error", "saveRemovedRestoreLeft"]]);
    expect(f[0]!.message).toBe(
      "memalloc_nofs_save() into nofs_flag is removed from zork_add_kobj(), but memalloc_nofs_restore() at lines 21, 29 still restore nofs_flag, which no save sets now: a restore without its save ends no scope and changes the task's flags by whatever bits nofs_flag holds; remove them too, or keep the save",
    );
  });

  it("is quiet when every restore goes with the save", async () => {
    expect(await review(fn(false, false, false))).toEqual([]);
  });

  it("diff-only, with the other restores outside the lines shown: nothing is claimed", () => {
    const f = runRule(rule, { files: [{ path, before: fn(true, true, true), after: fn(false, false, true) }] });
    expect(f.filter((x) => x.messageId === "saveRemovedRestoreLeft")).toEqual([]);
  });
});

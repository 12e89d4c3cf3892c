import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/gfp-context/alloc-in-reclaim-work.js";
import { ruleTester } from "../helpers/rule-tester.js";
import { reviewWithTree } from "../helpers/tree-review.js";

// Fixtures written for these tests, modelled on a device-mapper target whose chunk work resets zones.
const file = (flags: string, body: string) => `// SPDX-License-Identifier: GPL-2.0
#include <linux/workqueue.h>

static struct workqueue_struct *zed_chunk_wq;
static struct work_struct zed_chunk_work;

static int zed_reset_zone(struct zed_dev *zd, struct zed_zone *z)
{
	struct zed_req *r;

${body}
	return zed_submit_reset(zd, z, r);
}

static void zed_chunk_fn(struct work_struct *work)
{
	struct zed_dev *zd = container_of(work, struct zed_dev, chunk_work);

	zed_reset_zone(zd, zd->next);
}

static int zed_init(struct zed_dev *zd)
{
	zed_chunk_wq = alloc_workqueue("zed_cwq", ${flags}, 0);
	INIT_WORK(&zed_chunk_work, zed_chunk_fn);
	queue_work(zed_chunk_wq, &zed_chunk_work);
	return 0;
}
`;
const alloc = (mask: string) => `\tr = kzalloc(sizeof(*r), ${mask});\n\tif (!r)\n\t\treturn -ENOMEM;\n`;
const before = file("WQ_MEM_RECLAIM", "\tr = NULL;\n");
// the work function runs its calls with PF_MEMALLOC_NOIO set by hand (as file-backed block drivers' workers do), or
// sets it only after the call
const noioWork = (text: string, after = false) =>
  text.replace(
    "\tzed_reset_zone(zd, zd->next);\n",
    after
      ? "\tunsigned int pflags = current->flags;\n\n\tzed_reset_zone(zd, zd->next);\n\tcurrent->flags |= PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO;\n\tzed_flush(zd);\n\tcurrent_restore_flags(pflags, PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO);\n"
      : "\tunsigned int pflags = current->flags;\n\n\tcurrent->flags |= PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO;\n\tzed_reset_zone(zd, zd->next);\n\tcurrent_restore_flags(pflags, PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO);\n",
  );

ruleTester(rule, {
  valid: [
    { name: "diff only, the work binding out of view: nothing said", patch: { files: [{ path: "drivers/md/zed.c", before, after: file("WQ_MEM_RECLAIM", alloc("GFP_KERNEL")) }] } },
    { name: "GFP_NOIO in the work", patch: { files: [{ path: "drivers/md/zed.c", before, after: file("WQ_MEM_RECLAIM", alloc("GFP_NOIO")) }] } },
    { name: "the queue has no WQ_MEM_RECLAIM", patch: { files: [{ path: "drivers/md/zed.c", before: file("WQ_UNBOUND", "\tr = NULL;\n"), after: file("WQ_UNBOUND", alloc("GFP_KERNEL")) }] } },
    { name: "a NOIO scope over the allocation", patch: { files: [{ path: "drivers/md/zed.c", before, after: file("WQ_MEM_RECLAIM", `\tunsigned int noio = memalloc_noio_save();\n\n${alloc("GFP_KERNEL").replace("\t\treturn -ENOMEM;\n", "\t\tr = ERR_PTR(-ENOMEM);\n")}\tmemalloc_noio_restore(noio);\n`) }] } },
    { name: "a new file whose work function sets PF_MEMALLOC_NOIO around the call down to the allocation", patch: { files: [{ path: "drivers/md/zed.c", before: null, after: noioWork(file("WQ_MEM_RECLAIM", alloc("GFP_KERNEL"))) }] } },
    { name: "the allocation was already there and the patch does not touch its line", patch: { files: [{ path: "drivers/md/zed.c", before: file("WQ_MEM_RECLAIM", alloc("GFP_KERNEL")), after: file("WQ_MEM_RECLAIM | WQ_UNBOUND", alloc("GFP_KERNEL")) }] } },
  ],
  invalid: [
    { name: "kzalloc(GFP_KERNEL) in a function the WQ_MEM_RECLAIM work calls (a new file: the binding and queueing in view)", patch: { files: [{ path: "drivers/md/zed.c", before: null, after: file("WQ_MEM_RECLAIM", alloc("GFP_KERNEL")) }] }, errors: [{ messageId: "inReclaimWork", line: 11, severity: "warning" }] },
    { name: "the work function sets PF_MEMALLOC_NOIO only after the call down to the allocation", patch: { files: [{ path: "drivers/md/zed.c", before: null, after: noioWork(file("WQ_MEM_RECLAIM", alloc("GFP_KERNEL")), true) }] }, errors: [{ messageId: "inReclaimWork", line: 11, severity: "warning" }] },
    { name: "GFP_NOFS still lets reclaim start IO", patch: { files: [{ path: "drivers/md/zed.c", before: null, after: file("WQ_MEM_RECLAIM", alloc("GFP_NOFS")) }] }, errors: [{ messageId: "inReclaimWork", line: 11 }] },
    { name: "a flags macro with WQ_MEM_RECLAIM", patch: { files: [{ path: "drivers/md/zed.c", before: null, after: file("ZED_WQ_FLAGS", alloc("GFP_KERNEL")).replace("static struct", "#define ZED_WQ_FLAGS (WQ_MEM_RECLAIM | WQ_UNBOUND)\n\nstatic struct") }] }, errors: [{ messageId: "inReclaimWork", line: 13 }] },
  ],
});

describe("alloc-in-reclaim-work findings", () => {
  it("a call the patch rewrites with the same mask is reported as pre-existing", async () => {
    const was = file("WQ_MEM_RECLAIM", alloc("GFP_KERNEL"));
    const f = await reviewWithTree(new Map([["drivers/md/zed.c", was]]), { files: [{ path: "drivers/md/zed.c", before: was, after: was.replace("kzalloc(sizeof(*r), GFP_KERNEL)", "kzalloc(sizeof(*r) + zd->extra, GFP_KERNEL)") }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity, x.preExisting])).toEqual([[11, "warning", true]]);
    expect(f[0]!.message).toContain("it allocated so before too");
  });

  it("with the tree: a work function that sets PF_MEMALLOC_NOIO around its call down covers the helper's allocation on the work's path (another caller, outside the work, has no scope)", async () => {
    const other = "\nstatic int zed_reset_all(struct zed_dev *zd)\n{\n\treturn zed_reset_zone(zd, zd->first);\n}\n";
    const noio = noioWork(before) + other;
    expect(await reviewWithTree(new Map([["drivers/md/zed.c", noio]]), { files: [{ path: "drivers/md/zed.c", before: noio, after: noioWork(file("WQ_MEM_RECLAIM", alloc("GFP_KERNEL"))) + other }] }, [rule])).toEqual([]);
  });

  it("names the queue and the chain from the work function", async () => {
    const f = await reviewWithTree(new Map([["drivers/md/zed.c", before]]), { files: [{ path: "drivers/md/zed.c", before, after: file("WQ_MEM_RECLAIM", alloc("GFP_KERNEL")) }] }, [rule]);
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('"zed_cwq"');
    expect(f[0]!.message).toContain("zed_chunk_fn -> zed_reset_zone");
  });
});

describe("alloc-in-reclaim-work: a queue variable declared static in two files is two queues", () => {
  // written for this test: a client and a server of one transport, each with its own static queue of the same name
  const client = (flags: string) => `// zlink client
#include "zlink.h"

static struct workqueue_struct *zl_wq;

static int zl_alloc_reqs(struct zl_path *p)
{
	p->reqs = kcalloc(p->queue_depth, sizeof(*p->reqs), GFP_KERNEL);
	return p->reqs ? 0 : -ENOMEM;
}

static void zl_reconnect_work(struct work_struct *work)
{
	struct zl_path *p = container_of(to_delayed_work(work), struct zl_path, reconnect_dwork);

	zl_alloc_reqs(p);
}

static void zl_error_recovery(struct zl_path *p)
{
	queue_delayed_work(zl_wq, &p->reconnect_dwork, HZ);
}

static void zl_init_path(struct zl_path *p)
{
	INIT_DELAYED_WORK(&p->reconnect_dwork, zl_reconnect_work);
}

static int __init zl_client_init(void)
{
	zl_wq = alloc_workqueue("zl_client_wq", ${flags}, 0);
	return zl_wq ? 0 : -ENOMEM;
}
`;
  const server = `// zlink server
#include "zlink.h"

static struct workqueue_struct *zl_wq;

static int __init zl_server_init(void)
{
	zl_wq = alloc_workqueue("zl_server_wq", 0, 0);
	return zl_wq ? 0 : -ENOMEM;
}
`;
  it("the client's allocation in its WQ_MEM_RECLAIM work is judged by the client's queue, not made unknown by the server's", async () => {
    const path = "drivers/zlink/zl-clt.c";
    const before = client("WQ_MEM_RECLAIM").replace("\tp->reqs = kcalloc(p->queue_depth, sizeof(*p->reqs), GFP_KERNEL);\n", "\tp->reqs = NULL;\n");
    const f = await reviewWithTree(new Map([[path, before], ["drivers/zlink/zl-srv.c", server]]), { files: [{ path, before, after: client("WQ_MEM_RECLAIM") }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[8, "warning"]]);
    expect(f[0]!.message).toContain('"zl_client_wq" (zl_wq), a WQ_MEM_RECLAIM queue');
  });
});

describe("alloc-in-reclaim-work: a path the work's constant arguments rule out", () => {
  // written for this test, modelled on a network filesystem client whose receive handler runs both in its
  // demultiplex thread and, for offloaded decryption, in WQ_MEM_RECLAIM work, and reconnects only in the thread
  const src = (arg: string, handler: string, reconnect: string) => `// SPDX-License-Identifier: GPL-2.0
#include <linux/workqueue.h>

static struct workqueue_struct *zed_decrypt_wq;

static int zed_reconnect(struct zed_srv *srv)
{
	struct zed_sock *sk;

${reconnect}
	return zed_connect(srv, sk);
}

static int zed_handle_data(struct zed_srv *srv, char *buf, bool offloaded)
{
${handler}
	return zed_copy(srv, buf);
}

static void zed_decrypt_fn(struct work_struct *work)
{
	struct zed_dwork *dw = container_of(work, struct zed_dwork, work);

	zed_handle_data(dw->srv, dw->buf, ${arg});
}

static int zed_offload(struct zed_srv *srv, struct zed_dwork *dw)
{
	INIT_WORK(&dw->work, zed_decrypt_fn);
	queue_work(zed_decrypt_wq, &dw->work);
	return 0;
}

static int zed_init(void)
{
	zed_decrypt_wq = alloc_workqueue("zeddecryptd", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	return zed_decrypt_wq ? 0 : -ENOMEM;
}
`;
  const guarded = "\tif (zed_expired(buf)) {\n\t\tif (!offloaded)\n\t\t\tzed_reconnect(srv);\n\t\treturn -1;\n\t}";
  const run = async (arg: string, handler: string) => {
    const before = src(arg, handler, "\tsk = NULL;");
    const after = src(arg, handler, "\tsk = kzalloc(sizeof(*sk), GFP_KERNEL);\n\tif (!sk)\n\t\treturn -ENOMEM;");
    return reviewWithTree(new Map([["fs/zed/connect.c", before]]), { files: [{ path: "fs/zed/connect.c", before, after }] }, [rule]);
  };
  it("the work passes true and the handler reconnects only `if (!offloaded)`: quiet", async () => {
    expect(await run("true", guarded)).toEqual([]);
  });
  it("the work passes false: a warning through the handler", async () => {
    const f = await run("false", guarded);
    expect(f.map((x) => [x.severity, x.messageId])).toEqual([["warning", "inReclaimWork"]]);
    expect(f[0]!.message).toContain("zed_decrypt_fn -> zed_handle_data -> zed_reconnect");
  });
  it("a handler that assigns the parameter before the test still warns", async () => {
    const f = await run("true", `\toffloaded = offloaded && srv->async;\n${guarded}`);
    expect(f.map((x) => x.messageId)).toEqual(["inReclaimWork"]);
  });
  it("a call outside the test still warns", async () => {
    const f = await run("true", `${guarded}\n\tif (srv->stale)\n\t\tzed_reconnect(srv);`);
    expect(f.map((x) => x.messageId)).toEqual(["inReclaimWork"]);
  });
});

describe("alloc-in-reclaim-work: an allocation the patch replaces with another allocator", () => {
  const withAlloc = (line: string) => file("WQ_MEM_RECLAIM", `${line}\n\tif (!r)\n\t\treturn -ENOMEM;\n`);
  const review = (before: string, after: string) => reviewWithTree(new Map([["drivers/md/zed.c", before]]), { files: [{ path: "drivers/md/zed.c", before, after }] }, [rule]);
  it("the same mask through a new allocator and lvalue in the same change block: pre-existing, naming the old call", async () => {
    const f = await review(withAlloc("\tr = kzalloc(sizeof(*r), GFP_KERNEL);"), withAlloc("\treq = zed_buf_alloc(0, sizeof(*req), GFP_KERNEL);").replace("if (!r)", "if (!req)"));
    expect(f.map((x) => [x.severity, x.preExisting])).toEqual([["warning", true]]);
    expect(f[0]!.message).toContain("the patch replaces kzalloc() here, which allocated so before too");
  });
  it("a block that adds a second allocation beside the replaced one: the new ones are not matched to it, but the function allocated so before", async () => {
    const f = await review(withAlloc("\tr = kzalloc(sizeof(*r), GFP_KERNEL);"), withAlloc("\treq = zed_buf_alloc(0, sizeof(*req), GFP_KERNEL);\n\tzd->map = kcalloc(8, sizeof(u32), GFP_KERNEL);").replace("if (!r)", "if (!req)"));
    expect(f.map((x) => [x.severity, Boolean(x.preExisting)])).toEqual([["warning", true], ["warning", true]]);
    expect(f[0]!.message).not.toContain("the patch replaces");
    expect(f[0]!.message).toContain("zed_reset_zone() allocated so before the patch (kzalloc() at line 11 of the old version, which the patch deletes)");
  });
  it("the deleted allocation sat under an if-condition: the new ones are new", async () => {
    const f = await review(withAlloc("\tif (zd->big)\n\t\tr = kzalloc(sizeof(*r), GFP_KERNEL);"), withAlloc("\treq = zed_buf_alloc(0, sizeof(*req), GFP_KERNEL);\n\tzd->map = kcalloc(8, sizeof(u32), GFP_KERNEL);").replace("if (!r)", "if (!req)"));
    expect(f.map((x) => [x.severity, Boolean(x.preExisting)])).toEqual([["warning", false], ["warning", false]]);
  });
  it("the function renamed around the replaced allocation (`f()` -> `__f()`, a new `f()` calling it): still pre-existing", async () => {
    const after = withAlloc("\treq = zed_buf_alloc(0, sizeof(*req), GFP_KERNEL);")
      .replace("if (!r)", "if (!req)")
      .replace("static int zed_reset_zone(struct zed_dev *zd, struct zed_zone *z)\n{", "static int __zed_reset_zone(struct zed_dev *zd, struct zed_zone *z)\n{")
      .replace("static void zed_chunk_fn", "static int zed_reset_zone(struct zed_dev *zd, struct zed_zone *z)\n{\n\treturn __zed_reset_zone(zd, z);\n}\n\nstatic void zed_chunk_fn");
    const f = await review(withAlloc("\tr = kzalloc(sizeof(*r), GFP_KERNEL);"), after);
    expect(f.map((x) => [x.severity, x.preExisting])).toEqual([["warning", true]]);
    expect(f[0]!.message).toContain("the patch replaces kzalloc() here, which allocated so before too");
  });
  it("GFP_NOIO before: a relaxed mask, which nofs-to-kernel reports (this rule stays quiet rather than call it pre-existing)", async () => {
    const f = await review(withAlloc("\tr = kzalloc(sizeof(*r), GFP_NOIO);"), withAlloc("\treq = zed_buf_alloc(0, sizeof(*req), GFP_KERNEL);").replace("if (!r)", "if (!req)"));
    expect(f).toEqual([]);
  });
});

describe("alloc-in-reclaim-work: a mask passed as a parameter is judged on the work's own chain", () => {
  // written for this test: a payload allocator whose callers pass GFP_NOIO on the submission path (what the
  // WQ_MEM_RECLAIM work runs) and GFP_KERNEL when mapping user memory
  const src = (prepMask: string, payload: string) => `// SPDX-License-Identifier: GPL-2.0
#include <linux/workqueue.h>

static struct workqueue_struct *zed_plug_wq;

static struct zed_payload *zed_payload_alloc(struct zed_bio *bio, gfp_t gfp, unsigned int nr)
{
	struct zed_payload *p;

${payload}
	return p;
}

int zed_map_user(struct zed_bio *bio, unsigned int nr)
{
	return zed_payload_alloc(bio, GFP_KERNEL, nr) ? 0 : -ENOMEM;
}

static int zed_prep(struct zed_bio *bio)
{
	return zed_payload_alloc(bio, ${prepMask}, 1) ? 0 : -ENOMEM;
}

static void zed_plug_work(struct work_struct *work)
{
	struct zed_plug *plug = container_of(work, struct zed_plug, work);

	zed_prep(plug->bio);
}

static int zed_plug_init(struct zed_plug *plug)
{
	zed_plug_wq = alloc_workqueue("zed_plugs", WQ_MEM_RECLAIM, 0);
	INIT_WORK(&plug->work, zed_plug_work);
	queue_work(zed_plug_wq, &plug->work);
	return 0;
}
`;
  const run = async (prepMask: string) => {
    const before = src(prepMask, "\tp = NULL;");
    const after = src(prepMask, "\tp = kmalloc(struct_size(p, vecs, nr), gfp);");
    return reviewWithTree(new Map([["block/zed-payload.c", before]]), { files: [{ path: "block/zed-payload.c", before, after }] }, [rule]);
  };
  it("the work's chain passes GFP_NOIO (another caller passes GFP_KERNEL): quiet", async () => {
    expect(await run("GFP_NOIO")).toEqual([]);
  });
  it("the work's chain passes GFP_KERNEL: a warning naming the link that passes it", async () => {
    const f = await run("GFP_KERNEL");
    expect(f.map((x) => x.messageId)).toEqual(["inReclaimWork"]);
    expect(f[0]!.message).toContain("zed_prep() passes GFP_KERNEL");
    expect(f[0]!.message).toContain("zed_plug_work -> zed_prep -> zed_payload_alloc");
  });
});

describe("alloc-in-reclaim-work: a call through a pointer is resolved only for the code's own ops type", () => {
  // written for this test: WQ_MEM_RECLAIM work that reads through a file's or a backend's ops pointer, in a
  // directory that registers its own implementation of that field
  const src = (call: string, own: boolean) => `// SPDX-License-Identifier: GPL-2.0
#include "zed.h"

static struct workqueue_struct *zed_io_wq;

static ssize_t zed_file_read(struct kiocb *iocb, struct iov_iter *to)
{
	struct zed_req *r = kzalloc(sizeof(*r), GFP_KERNEL);

	return r ? zed_read(r, to) : -ENOMEM;
}

${own ? "const struct zed_backend_ops zed_local_ops" : "const struct file_operations zed_file_ops"} = {
	.read_iter	= zed_file_read,
};

static void zed_io_work(struct work_struct *work)
{
	struct zed_io *io = container_of(work, struct zed_io, work);

${call}
}

static int zed_io_init(struct zed_io *io)
{
	zed_io_wq = alloc_workqueue("zed_io", WQ_MEM_RECLAIM, 0);
	INIT_WORK(&io->work, zed_io_work);
	queue_work(zed_io_wq, &io->work);
	return 0;
}
`;
  const header = (own: boolean) => `struct zed_io {\n\tstruct work_struct work;\n\tstruct file *filp;\n\tstruct kiocb kiocb;\n\tstruct iov_iter iter;\n};\n${own ? "\nstruct zed_backend_ops {\n\tssize_t (*read_iter)(struct kiocb *, struct iov_iter *);\n};\n" : ""}`;
  const run = async (call: string, own: boolean) => {
    const before = src("\tio->kiocb.ki_pos = 0;", own);
    const after = src(`\tio->kiocb.ki_pos = 0;\n${call}`, own);
    return reviewWithTree(new Map([["fs/zed/io.c", before], ["fs/zed/zed.h", header(own)]]), { files: [{ path: "fs/zed/io.c", before, after }] }, [rule]);
  };
  it("file->f_op->read_iter: the file may be any filesystem's, the directory's own read_iter is not assumed", async () => {
    expect(await run("\tio->filp->f_op->read_iter(&io->kiocb, &io->iter);", false)).toEqual([]);
  });
  it("the directory's own ops type (declared in its header): resolved to its registration", async () => {
    const f = await run("\tstruct zed_backend_ops *ops = io->ops;\n\n\tops->read_iter(&io->kiocb, &io->iter);", true);
    expect(f.map((x) => x.messageId)).toEqual(["inReclaimWork"]);
    expect(f[0]!.message).toContain("whose target zed_file_read()");
  });
});

describe("alloc-in-reclaim-work: a function the patch moves to another file", () => {
  // written for this test: zed_reset_zone() moves from zed.c to a new zed-zone.c, unchanged
  const was = file("WQ_MEM_RECLAIM", alloc("GFP_KERNEL"));
  const start = was.indexOf("static int zed_reset_zone");
  const end = was.indexOf("static void zed_chunk_fn");
  const moved = was.slice(start, end).replace("static int zed_reset_zone", "int zed_reset_zone");
  const rest = was.slice(0, start) + was.slice(end);
  it("the same allocation in the moved function: pre-existing, naming the file it came from", async () => {
    const f = await reviewWithTree(new Map([["drivers/md/zed.c", was]]), {
      files: [
        { path: "drivers/md/zed.c", before: was, after: rest },
        { path: "drivers/md/zed-zone.c", before: null, after: `// SPDX-License-Identifier: GPL-2.0\n#include "zed.h"\n\n${moved}` },
      ],
    }, [rule]);
    expect(f.map((x) => [x.file, x.preExisting])).toEqual([["drivers/md/zed-zone.c", true]]);
    expect(f[0]!.message).toContain("the patch moves this code from drivers/md/zed.c");
  });
  it("a mask the move relaxes (GFP_NOIO before): a relaxed mask, left to nofs-to-kernel", async () => {
    const noio = file("WQ_MEM_RECLAIM", alloc("GFP_NOIO"));
    const f = await reviewWithTree(new Map([["drivers/md/zed.c", noio]]), {
      files: [
        { path: "drivers/md/zed.c", before: noio, after: rest },
        { path: "drivers/md/zed-zone.c", before: null, after: `// SPDX-License-Identifier: GPL-2.0\n#include "zed.h"\n\n${moved}` },
      ],
    }, [rule]);
    expect(f).toEqual([]);
  });
});

describe("alloc-in-reclaim-work: an allocation the patch moves up from a function the work calls", () => {
  // written for this test: the work's helper allocated its buffer; the patch has the caller allocate it and pass it down
  const helper = (own: string) => `static int zed_fill(struct zed_dev *zd, struct zed_zone *z${own ? "" : ", u8 *buf"})
{
${own}	zed_read_wp(zd, z, buf);
	return 0;
}

`;
  const own = (cond: boolean) => (cond ? "\tu8 *buf = NULL;\n\n\tif (z->need_wp)\n\t\tbuf = kmalloc(64, GFP_KERNEL);\n" : "\tu8 *buf = kmalloc(64, GFP_KERNEL);\n\n");
  const withHelper = (h: string, body: string) => file("WQ_MEM_RECLAIM", body).replace("static int zed_reset_zone", h + "static int zed_reset_zone");
  const beforeText = (cond: boolean) => withHelper(helper(own(cond)), "\tzed_fill(zd, z);\n\tr = NULL;\n");
  const afterText = withHelper(helper(""), "\tu8 *buf = kmalloc(64, GFP_KERNEL);\n\n\tzed_fill(zd, z, buf);\n\tr = NULL;\n");
  const review = (cond: boolean) => reviewWithTree(new Map([["drivers/md/zed.c", beforeText(cond)]]), { files: [{ path: "drivers/md/zed.c", before: beforeText(cond), after: afterText }] }, [rule]);
  it("pre-existing, naming the helper's deleted allocation", async () => {
    const f = await review(false);
    expect(f.map((x) => [x.severity, x.preExisting])).toEqual([["warning", true]]);
    expect(f[0]!.message).toContain("zed_reset_zone() allocated so before the patch, in zed_fill() it calls (kmalloc() at line 9 of the old version, which the patch deletes)");
  });
  it("new when the helper allocated only under an if-condition", async () => {
    const f = await review(true);
    expect(f.map((x) => [x.severity, Boolean(x.preExisting)])).toEqual([["warning", false]]);
  });
});

describe("alloc-in-reclaim-work: a function the work calls through a function-pointer parameter", () => {
  // written for this test, modelled on a copy service whose work runs each list of jobs through a callback
  const file = (alloc: boolean, param = "int (*fn)(struct kite_job *)") => `static struct workqueue_struct *kite_wq;

static int kite_run_copy(struct kite_job *job)
{
${alloc ? "\tjob->buf = kmalloc(job->len, GFP_KERNEL);\n\tif (!job->buf)\n\t\treturn -ENOMEM;\n" : ""}	return kite_issue(job);
}

static int kite_process_jobs(struct list_head *jobs, ${param})
{
	struct kite_job *job;
	int r;

	while ((job = kite_pop(jobs))) {
		r = fn(job);
		if (r < 0)
			return r;
	}
	return 0;
}

static void kite_do_work(struct work_struct *work)
{
	struct kite_client *kc = container_of(work, struct kite_client, kite_work);

	kite_process_jobs(&kc->copy_jobs, kite_run_copy);
}

static void kite_wake(struct kite_client *kc)
{
	queue_work(kite_wq, &kc->kite_work);
}

static int kite_init(struct kite_client *kc)
{
	kite_wq = alloc_workqueue("kite", WQ_MEM_RECLAIM, 0);
	INIT_WORK(&kc->kite_work, kite_do_work);
	return 0;
}
`;
  const path = "drivers/md/kite-copy.c";
  const review = (param?: string) => reviewWithTree(new Map([[path, file(false, param)]]), { files: [{ path, before: file(false, param), after: file(true, param) }] }, [rule]);
  it("warns: the work runs it through the parameter", async () => {
    const f = await review();
    expect(f.map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
    expect(f[0]!.message).toContain("kite_do_work -> kite_process_jobs -> kite_run_copy");
  });
  it("is quiet when the parameter it is passed for is no function pointer the callee calls", async () => {
    expect(await review("void *fn")).toEqual([]);
  });
});

describe("alloc-in-reclaim-work: a call the patch rewrites in work that IO submission reaches too", () => {
  // written for this test: the work's zone reset is also called from the driver's queue_rq; the patch rewrites the
  // allocation's size, keeping its mask: the role rule says nothing of a rewrite, so this one says it was there
  const withQueue = (line: string) =>
    file("WQ_MEM_RECLAIM", `${line}\n\tif (!r)\n\t\treturn -ENOMEM;\n`) +
    `
static blk_status_t zed_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)
{
	struct zed_dev *zd = hctx->queue->queuedata;

	zed_reset_zone(zd, zd->next);
	return BLK_STS_OK;
}

static const struct blk_mq_ops zed_mq_ops = {
	.queue_rq = zed_queue_rq,
};
`;
  it("pre-existing, said by this rule", async () => {
    const before = withQueue("\tr = kzalloc(sizeof(*r), GFP_KERNEL);");
    const after = withQueue("\tr = kzalloc(sizeof(*r) + 8, GFP_KERNEL);");
    const f = await reviewWithTree(new Map([["drivers/md/zed.c", before]]), { files: [{ path: "drivers/md/zed.c", before, after }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity, x.preExisting])).toEqual([[11, "warning", true]]);
    expect(f[0]!.message).toContain("the patch rewrites this call; it allocated so before too");
  });
});

/** Written for these tests: a filesystem's buffer write completion, run as work of a queue with `flags`, calls shutdown on an error. */
const tarnBuf = (flags: string) => `static void tarn_buf_ioend(struct tarn_buf *bp)
{
	if (bp->error)
		tarn_do_shutdown(bp->mount, TARN_META_IO);
	tarn_buf_relse(bp);
}

static void tarn_buf_ioend_work(struct work_struct *work)
{
	struct tarn_buf *bp = container_of(work, struct tarn_buf, ioend_work);

	tarn_buf_ioend(bp);
}

static void tarn_buf_end_bio(struct bio *bio)
{
	struct tarn_buf *bp = bio->bi_private;

	INIT_WORK(&bp->ioend_work, tarn_buf_ioend_work);
	queue_work(bp->mount->buf_wq, &bp->ioend_work);
	bio_put(bio);
}

int tarn_init_wq(struct tarn_mount *mp)
{
	mp->buf_wq = alloc_workqueue("tarn-buf", ${flags}, 1);
	return mp->buf_wq ? 0 : -ENOMEM;
}
`;

describe("alloc-in-reclaim-work: a function called from many places, one of them the reclaim work's path", () => {
  // written for this test: a filesystem's shutdown is called from some eighty places; its metadata write completion,
  // which runs as work of a WQ_MEM_RECLAIM queue, is the last of them; the patch makes shutdown send a uevent
  const shutdown = (uevent: boolean) => `void tarn_do_shutdown(struct tarn_mount *mp, int why)
{
	if (test_and_set_bit(TARN_SHUT, &mp->flags))
		return;
	tarn_warn(mp, why);
${uevent ? "\tkobject_uevent(&mp->kobj, KOBJ_OFFLINE);\n" : ""}}
`;
  const others = Array.from({ length: 80 }, (_x, i) => `void tarn_op_${i}(struct tarn_mount *mp)\n{\n\tif (tarn_check_${i}(mp))\n\t\ttarn_do_shutdown(mp, ${i});\n}\n`).join("\n");
  const buf = tarnBuf("WQ_MEM_RECLAIM | WQ_FREEZABLE");
  it("finds the work past the first sixty-four callers", async () => {
    const path = "fs/tarn/tarn_fsops.c";
    const f = await reviewWithTree(new Map([[path, shutdown(false)], ["fs/tarn/tarn_ops.c", others], ["fs/tarn/tarn_zbuf.c", buf]]), { files: [{ path, before: shutdown(false), after: shutdown(true) }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[6, "warning"]]);
    expect(f[0]!.message).toContain("tarn_buf_ioend_work -> tarn_buf_ioend -> tarn_do_shutdown");
  });
});

describe("alloc-in-reclaim-work with a tree the patch does not apply to: a helper the patch adds", () => {
  // written for this test: a filesystem of a later release than the tree (a shutdown hook the tree lacks) gets a
  // helper that sends a uevent, called from shutdown, which its buffer write completion work reaches; the queue's
  // flags come through a function-like macro of the directory's header
  const header = `#define TARN_WQFLAGS(f)\t(WQ_SYSFS | (f))\n`;
  const fsops = (later: boolean, helper: boolean) => `#include "tarn.h"

${later ? "static void tarn_shutdown_hook(struct tarn_mount *mp)\n{\n\tblocking_notifier_call_chain(&mp->shutdown_hooks, 0, mp);\n}\n\n" : ""}${helper ? "static void tarn_send_uevent(struct tarn_mount *mp)\n{\n\tkobject_uevent(&mp->kobj, KOBJ_OFFLINE);\n}\n\n" : ""}void tarn_do_shutdown(struct tarn_mount *mp, int why)
{
	if (test_and_set_bit(TARN_SHUT, &mp->flags))
		return;
${later ? "\ttarn_shutdown_hook(mp);\n" : ""}	tarn_warn(mp, why);
${helper ? "\ttarn_send_uevent(mp);\n" : ""}}
`;
  const buf = (later: boolean, added: boolean) =>
    `#include "tarn.h"\n\n` +
    tarnBuf("TARN_WQFLAGS(WQ_MEM_RECLAIM | WQ_FREEZABLE)") +
    `
void tarn_buf_stats(struct tarn_mount *mp)
{
	tarn_count_bufs(mp);
${later ? "\ttarn_hook_stats(mp);\n" : ""}${added ? "\ttarn_stats_init(mp);\n" : ""}	tarn_count_done(mp);
}
`;
  const fsopsPath = "fs/tarn/tarn_fsops.c";
  const bufPath = "fs/tarn/tarn_buf.c";
  const review = (patchBuf: boolean) =>
    reviewWithTree(
      new Map([["fs/tarn/tarn.h", header], [fsopsPath, fsops(false, false)], [bufPath, buf(false, false)]]),
      {
        files: [
          { path: fsopsPath, before: fsops(true, false), after: fsops(true, true) },
          ...(patchBuf ? [{ path: bufPath, before: buf(true, false), after: buf(true, true) }] : []),
        ],
      },
      [rule],
    );

  it("follows the helper up through the patch's call of it in a function the tree has", async () => {
    const f = await review(false);
    expect(f.map((x) => [x.file, x.line, x.severity])).toEqual([[fsopsPath, 10, "warning"]]);
    expect(f[0]!.message).toContain("tarn_buf_ioend_work -> tarn_buf_ioend -> tarn_do_shutdown -> tarn_send_uevent");
  });

  it("reads the queue's flags in the tree's version of a file the patch does not apply to either", async () => {
    const f = await review(true);
    expect(f.map((x) => [x.file, x.line, x.severity])).toEqual([[fsopsPath, 10, "warning"]]);
    expect(f[0]!.message).toContain('"tarn-buf"');
  });
});

describe("alloc-in-reclaim-work: an allocation the patch moves down into a helper it adds", () => {
  // written for this test: the work's function allocated its request itself; the patch moves the allocation into a
  // new helper that it now calls (a refactor), or calls the new helper only under an if-condition
  const helper = "static struct zed_req *__zed_req_alloc(struct zed_dev *zd)\n{\n\treturn kzalloc(sizeof(struct zed_req), GFP_KERNEL);\n}\n\n";
  const withHelper = (body: string) => file("WQ_MEM_RECLAIM", body).replace("static int zed_reset_zone", helper + "static int zed_reset_zone");
  const beforeText = file("WQ_MEM_RECLAIM", alloc("GFP_KERNEL"));
  const review = (after: string) => reviewWithTree(new Map([["drivers/md/zed.c", beforeText]]), { files: [{ path: "drivers/md/zed.c", before: beforeText, after }] }, [rule]);
  it("pre-existing, naming the caller's deleted allocation", async () => {
    const f = await review(withHelper("\tr = __zed_req_alloc(zd);\n\tif (!r)\n\t\treturn -ENOMEM;\n"));
    expect(f.map((x) => [x.line, x.severity, x.preExisting])).toEqual([[9, "warning", true]]);
    expect(f[0]!.message).toContain("zed_reset_zone(), which now calls __zed_req_alloc(), allocated so before the patch (kzalloc() at line 11 of the old version, which the patch deletes)");
  });
  it("new when the caller calls the helper only under an if-condition", async () => {
    const f = await review(withHelper("\tr = NULL;\n\tif (z->need_req)\n\t\tr = __zed_req_alloc(zd);\n"));
    expect(f.map((x) => [x.line, x.severity, Boolean(x.preExisting)])).toEqual([[9, "warning", false]]);
  });
});

describe("alloc-in-reclaim-work: GFP_NOFS in a filesystem's work", () => {
  // written for this test: a network filesystem's WQ_MEM_RECLAIM queue runs its calls' completion; the directory
  // registers the filesystem's tables (and, in the last case, a block driver's too)
  const work = (mask: string | null) => `static struct workqueue_struct *nfsz_wq;

static void nfsz_call_work(struct work_struct *work)
{
	struct nfsz_call *call = container_of(work, struct nfsz_call, work);
	void *reply;

	reply = ${mask ? `kmalloc(call->reply_max, ${mask})` : "call->reply_buf"};
	nfsz_deliver(call, reply);
}

int nfsz_init_wq(struct nfsz_call *call)
{
	nfsz_wq = alloc_workqueue("nfsz", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	INIT_WORK(&call->work, nfsz_call_work);
	queue_work(nfsz_wq, &call->work);
	return 0;
}
`;
  const fsTables = `static const struct address_space_operations nfsz_aops = {\n\t.writepages = nfsz_writepages,\n\t.read_folio = nfsz_read_folio,\n};\n`;
  const blockTables = `static const struct block_device_operations nfsz_bdops = {\n\t.submit_bio = nfsz_submit_bio,\n};\n`;
  const review = (mask: string, extra: [string, string][]) => {
    const path = "fs/nfsz/call.c";
    const before = work(null);
    return reviewWithTree(new Map([[path, before], ...extra]), { files: [{ path, before, after: work(mask) }] }, [rule]);
  };
  it("is quiet: the filesystem's writeback is what waits on its work, and NOFS keeps reclaim out of it", async () => {
    expect(await review("GFP_NOFS", [["fs/nfsz/file.c", fsTables]])).toEqual([]);
  });
  it("warns with GFP_KERNEL there", async () => {
    const f = await review("GFP_KERNEL", [["fs/nfsz/file.c", fsTables]]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[8, "warning"]]);
  });
  it("warns with GFP_NOFS when the directory is a block driver's too, or no filesystem's", async () => {
    expect((await review("GFP_NOFS", [["fs/nfsz/file.c", fsTables], ["fs/nfsz/bdev.c", blockTables]])).map((x) => x.line)).toEqual([8]);
    expect((await review("GFP_NOFS", [])).map((x) => x.line)).toEqual([8]);
  });
});

describe("alloc-in-reclaim-work: a buffer the work allocates only while its field is empty", () => {
  const guarded = `\tif (!zd->reset_req)\n\t\tzd->reset_req = kzalloc(sizeof(*r), GFP_KERNEL);\n\tr = zd->reset_req;\n\tif (!r)\n\t\treturn -ENOMEM;\n`;
  it("is said at info, with the field as the unknown", async () => {
    const f = await reviewWithTree(new Map([["drivers/md/zed.c", before]]), { files: [{ path: "drivers/md/zed.c", before, after: file("WQ_MEM_RECLAIM", guarded) }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[12, "info"]]);
    expect((f[0]!.unknowns ?? []).join(" ")).toContain("whether zd->reset_req is empty when zed_chunk_fn() runs");
  });
});

describe("alloc-in-reclaim-work: a call to a function that allocates, rewritten by the patch", () => {
  // written for this test: the work's helper gets its request from a function of the file that allocates; the patch
  // changes only how the pool is passed
  const withGet = (call: string) =>
    file("WQ_MEM_RECLAIM", `${call}\n\tif (!r)\n\t\treturn -ENOMEM;\n`).replace(
      "static int zed_reset_zone",
      "static struct zed_req *zed_get_req(struct zed_pool *pool, struct zed_zone *z)\n{\n\treturn kzalloc(pool->req_size, GFP_KERNEL);\n}\n\nstatic int zed_reset_zone",
    );
  const review = (before: string, after: string) => reviewWithTree(new Map([["drivers/md/zed.c", before]]), { files: [{ path: "drivers/md/zed.c", before, after }] }, [rule]);
  it("the same callee into the same lvalue: pre-existing, said as a rewrite", async () => {
    const f = await review(withGet("\tr = zed_get_req(&zd->pool, z);"), withGet("\tr = zed_get_req(zd->pool, z);"));
    expect(f.map((x) => [x.severity, x.preExisting])).toEqual([["warning", true]]);
    expect(f[0]!.message).toContain("(the patch rewrites this call; it allocated so before too)");
  });
  it("a call the patch adds: new", async () => {
    const f = await review(withGet("\tr = NULL;"), withGet("\tr = zed_get_req(zd->pool, z);"));
    expect(f.map((x) => [x.severity, Boolean(x.preExisting)])).toEqual([["warning", false]]);
  });
});

describe("alloc-in-reclaim-work: a work whose chain already allocates so above the site", () => {
  // written for this test: the connect work creates the transport (which allocates with GFP_KERNEL) and then
  // registers it; the patch adds an allocation to the registration
  const file = (alloc: boolean, create: string) => `static struct workqueue_struct *zed_conn_wq;

static int zed_register_xprt(struct zed_xprt *x)
{
${alloc ? "\tx->kobj = kzalloc(sizeof(*x->kobj), GFP_KERNEL);\n\tif (!x->kobj)\n\t\treturn -ENOMEM;\n" : ""}	return zed_list_add(x);
}

static struct zed_xprt *zed_create_xprt(struct zed_args *args)
{
	struct zed_xprt *x = kzalloc(sizeof(*x), GFP_KERNEL);

	if (x)
		x->args = *args;
	return x;
}

static int zed_add_xprt(struct zed_args *args)
{
	struct zed_xprt *x;

${create}	return zed_register_xprt(x);
}

static void zed_connect_worker(struct work_struct *work)
{
	struct zed_conn *c = container_of(work, struct zed_conn, work);

	zed_add_xprt(&c->args);
}

static int zed_init(struct zed_conn *c)
{
	zed_conn_wq = alloc_workqueue("zed_conn", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	INIT_WORK(&c->work, zed_connect_worker);
	queue_work(zed_conn_wq, &c->work);
	return 0;
}
`;
  const review = (create: string) => {
    const before = file(false, create);
    return reviewWithTree(new Map([["net/zed/xprt.c", before]]), { files: [{ path: "net/zed/xprt.c", before, after: file(true, create) }] }, [rule]);
  };
  it("a link calls a function that allocates so before it calls on down: pre-existing, naming the call", async () => {
    const f = await review("\tx = zed_create_xprt(args);\n\tif (!x)\n\t\treturn -ENOMEM;\n");
    expect(f.map((x) => [x.line, x.severity, Boolean(x.preExisting)])).toEqual([[5, "warning", true]]);
    expect(f[0]!.message).toContain("zed_add_xprt() calls zed_create_xprt() at line 24, which allocates so (zed_create_xprt -> kzalloc(GFP_KERNEL)), before it calls zed_register_xprt() on this path");
  });
  it("the function the link calls allocates only under a condition of its own: new", async () => {
    const before = file(false, "\tx = zed_create_xprt(args);\n\tif (!x)\n\t\treturn -ENOMEM;\n");
    const guarded = (t: string) => t.replace("\tstruct zed_xprt *x = kzalloc(sizeof(*x), GFP_KERNEL);\n", "\tstruct zed_xprt *x = args->spare;\n\n\tif (!x)\n\t\tx = kzalloc(sizeof(*x), GFP_KERNEL);\n");
    const f = await reviewWithTree(new Map([["net/zed/xprt.c", guarded(before)]]), { files: [{ path: "net/zed/xprt.c", before: guarded(before), after: guarded(file(true, "\tx = zed_create_xprt(args);\n\tif (!x)\n\t\treturn -ENOMEM;\n")) }] }, [rule]);
    expect(f.map((x) => [x.line, x.severity, Boolean(x.preExisting)])).toEqual([[5, "warning", false]]);
  });
  it("the link creates the transport only under a condition: new", async () => {
    const f = await review("\tx = args->reuse;\n\tif (!x)\n\t\tx = zed_create_xprt(args);\n");
    expect(f.map((x) => [x.line, x.severity, Boolean(x.preExisting)])).toEqual([[5, "warning", false]]);
  });
});

describe("alloc-in-reclaim-work: a work item queued through a local pointer the queueing function binds itself", () => {
  // written for this test: one file drains per-CPU work on a WQ_MEM_RECLAIM queue through a local `work` pointer it
  // initialises there; another binds its own handler to a field also named `work` and queues it on system_wq
  const drain = `static struct workqueue_struct *zap_drain_wq;

static void zap_drain_one(struct work_struct *w)
{
	zap_flush_local();
}

static void zap_drain_all(void)
{
	int cpu;

	for_each_online_cpu(cpu) {
		struct work_struct *work = &per_cpu(zap_drain_work, cpu);

		INIT_WORK(work, zap_drain_one);
		queue_work_on(cpu, zap_drain_wq, work);
	}
}

static int __init zap_drain_init(void)
{
	zap_drain_wq = alloc_workqueue("zap_drain", WQ_MEM_RECLAIM, 0);
	return zap_drain_wq ? 0 : -ENOMEM;
}
`;
  const report = (alloc: boolean) => `static void zap_report_fn(struct work_struct *work)
{
	struct zap_report *r = container_of(work, struct zap_report, work);
${alloc ? "\tstruct zap_entry *e = kmalloc(sizeof(*e), GFP_KERNEL);\n\n\tzap_log(r, e);\n" : "\tzap_log(r, NULL);\n"}}

void zap_report_queue(struct zap_report *r)
{
	INIT_WORK(&r->work, zap_report_fn);
	schedule_work_on(smp_processor_id(), &r->work);
}
`;
  const review = (drainText: string) =>
    reviewWithTree(new Map([["mm/zap-drain.c", drainText], ["mm/zap-report.c", report(false)]]), { files: [{ path: "mm/zap-report.c", before: report(false), after: report(true) }] }, [rule]);

  it("the handler of the field is not the drain queue's work: quiet", async () => {
    expect(await review(drain)).toEqual([]);
  });
  it("a pointer the queueing function does not bind (a parameter): bound by its key, as any work item is", async () => {
    const viaParam = drain.replace("\t\tINIT_WORK(work, zap_drain_one);\n", "").replace("static void zap_drain_all(void)", "static void zap_drain_all(struct work_struct *work)").replace("\t\tstruct work_struct *work = &per_cpu(zap_drain_work, cpu);\n\n", "");
    const f = await review(viaParam);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[4, "warning"]]);
  });
});

describe("alloc-in-reclaim-work: a patch the tree does not apply to, calling a function it shows whole", () => {
  // written for this test, modelled on two device-mapper targets of one directory whose io structs both name their
  // work item `work`: the patch (written against an older version of zv.c) moves a root check into the read
  // completion's work, through a helper it rewrites whole
  const crypt = `static struct workqueue_struct *zc_unused;

static void zc_work(struct work_struct *w)
{
	struct zc_io *io = container_of(w, struct zc_io, work);

	zc_decrypt(io);
}

static void zc_queue_read(struct zc_io *io)
{
	struct zc_conf *cc = io->cc;

	INIT_WORK(&io->work, zc_work);
	queue_work(cc->io_queue, &io->work);
}

static int zc_ctr(struct zc_conf *cc)
{
	cc->io_queue = alloc_workqueue("zc_io", WQ_MEM_RECLAIM, 1);
	return cc->io_queue ? 0 : -ENOMEM;
}
`;
  const verity = (treeVersion: boolean, after: boolean) => `static int zv_check_root(struct zv *v)
{
${after ? "\tu8 *root = kzalloc(v->root_size, GFP_KERNEL);\n\n\tif (!root)\n\t\treturn -ENOMEM;\n\tzv_hash(v, root);\n\tkfree(root);\n" : "\tzv_hash(v, v->root);\n"}	return 0;
}

static int zv_verify_io(struct zv_io *io)
{
	struct zv *v = io->v;
	int r;

${treeVersion ? "\tzv_count(v);\n" : ""}	r = zv_hash_block(v, io);
${after ? "\tif (!r && !v->root_checked)\n\t\tr = zv_check_root(v);\n" : ""}	return r;
}

static void zv_work(struct work_struct *w)
{
	struct zv_io *io = container_of(w, struct zv_io, work);

	zv_finish(io, zv_verify_io(io));
}

static void zv_end_io(struct bio *bio)
{
	struct zv_io *io = bio->bi_private;

	INIT_WORK(&io->work, zv_work);
	queue_work(io->v->verify_wq, &io->work);
}

static int zv_ctr(struct zv *v, unsigned int argc)
{
	int r;

	v->verify_wq = alloc_workqueue("zv_verify", WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	if (!v->verify_wq)
		return -ENOMEM;
${treeVersion ? "\tv->stats = 1;\n" : ""}	r = zv_parse(v, argc);
${after ? "\tv->root_checked = false;\n" : "\tif (!r)\n\t\tr = zv_check_root(v);\n"}	return r;
}
`;
  const review = (strip = (t: string) => t) =>
    reviewWithTree(new Map([["drivers/md/zc.c", crypt], ["drivers/md/zv.c", strip(verity(true, false))]]), { files: [{ path: "drivers/md/zv.c", before: strip(verity(false, false)), after: strip(verity(false, true)) }] }, [rule]);

  it("the added call stands for what the patch's version of the helper allocates, on the work's own queue", async () => {
    const f = await review();
    const calls = f.filter((x) => x.message.startsWith("zv_check_root()"));
    expect(calls.map((x) => x.severity)).toEqual(["warning"]);
    expect(calls[0]!.message).toContain('runs as work of "zv_verify" (v->verify_wq), a WQ_MEM_RECLAIM queue (zv_work -> zv_verify_io)');
  });
  it("the helper allocates only when its buffer is missing (under an if-condition): the call does not stand for it", async () => {
    const once = (t: string) => t.replace("\tu8 *root = kzalloc(v->root_size, GFP_KERNEL);\n\n\tif (!root)\n\t\treturn -ENOMEM;\n\tzv_hash(v, root);\n\tkfree(root);\n", "\tif (!v->root_buf)\n\t\tv->root_buf = kzalloc(v->root_size, GFP_KERNEL);\n\tzv_hash(v, v->root_buf);\n");
    const f = await review(once);
    expect(f.filter((x) => x.message.startsWith("zv_check_root()"))).toEqual([]);
  });
  it("the helper only passes a mask on to a function outside the vocabulary: the call does not stand for an allocation", async () => {
    const passes = (t: string) => t.replace("\tu8 *root = kzalloc(v->root_size, GFP_KERNEL);\n\n\tif (!root)\n\t\treturn -ENOMEM;\n\tzv_hash(v, root);\n\tkfree(root);\n", "\tzv_log_printf(&v->log, GFP_KERNEL, \"root %s\", v->name);\n");
    const f = await review(passes);
    expect(f.filter((x) => x.message.startsWith("zv_check_root()"))).toEqual([]);
  });
  it("its queue allocated nowhere in view: not taken for the other target's queue of a work item with the same name", async () => {
    const noAlloc = (t: string) => t.replace('\tv->verify_wq = alloc_workqueue("zv_verify", WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);\n\tif (!v->verify_wq)\n\t\treturn -ENOMEM;\n', "");
    const f = await review(noAlloc);
    expect(f.filter((x) => x.severity !== "info")).toEqual([]);
    expect(f.some((x) => x.message.includes("zc_io"))).toBe(false);
  });
});

describe("alloc-in-reclaim-work: socket creation allocates (sockfs inode, GFP_KERNEL)", () => {
  // the work creates a socket before the allocation the patch adds: the path already allocated so
  const sock = (body: string) => file("WQ_MEM_RECLAIM", `\tstruct socket *sock;\n\n\tif (__sock_create(zd->net, AF_INET, SOCK_STREAM, 0, &sock, 1) < 0)\n\t\treturn -EIO;\n${body}`);
  it("an added GFP_KERNEL allocation after it: pre-existing, naming the socket's creation", async () => {
    const was = sock("\tr = NULL;\n");
    const f = await reviewWithTree(new Map([["drivers/md/zed.c", was]]), { files: [{ path: "drivers/md/zed.c", before: was, after: sock(alloc("GFP_KERNEL")) }] }, [rule]);
    expect(f.map((x) => [x.severity, Boolean(x.preExisting)])).toEqual([["warning", true]]);
    expect(f[0]!.message).toContain("(__sock_create())");
  });
});

// A transport whose IO work re-keys its session when the key expires: the patch (against another version of the file,
// so it does not apply) adds the re-key helper called from the work, and changes the end of the existing start
// function, which allocates above the lines it shows. The queue's flags are a variable of the module init.
const ZT = (probeLine: string, startTail: string, work: string, rekey: string) => `// zt transport
#include "zt.h"

static struct workqueue_struct *zt_wq;
static bool zt_unbound;

static int zt_start_tls(struct zt_queue *q)
{
	struct zt_req *r;
	int ret;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->queue = q;
	r->timeout = q->tls_timeout;
	r->peer = q->peer_id;
	ret = zt_send(q, r);
	if (ret)
		goto out_free;
${startTail}	return 0;
out_free:
	kfree(r);
	return ret;
}
${rekey}
static void zt_io_work(struct work_struct *w)
{
	struct zt_queue *q = container_of(w, struct zt_queue, io_work);
	int ret;

	ret = zt_try_recv(q);
${work}	zt_try_send(q);
}

static int zt_alloc_queue(struct zt_queue *q)
{
${probeLine}
	INIT_WORK(&q->io_work, zt_io_work);
	return 0;
}

void zt_kick(struct zt_queue *q)
{
	queue_work(zt_wq, &q->io_work);
}

static int __init zt_init(void)
{
	unsigned int wq_flags = WQ_MEM_RECLAIM | WQ_HIGHPRI;

	if (zt_unbound)
		wq_flags |= WQ_UNBOUND;
	zt_wq = alloc_workqueue("zt_wq", wq_flags, 0);
	return zt_wq ? 0 : -ENOMEM;
}
`;
const ZT_REKEY = `
static void zt_rekey(struct zt_queue *q)
{
	zt_stop_keys(q);
	if (zt_start_tls(q))
		zt_fail(q);
}
`;
describe("alloc-in-reclaim-work: a patch the tree does not apply to, calling a function it changes only in part", () => {
  const before = ZT("\tq->id = zt_next_id();", "", "", "");
  const after = ZT("\tq->id = zt_next_id();", "\tq->tls_gen++;\n", "\tif (ret == -EKEYEXPIRED)\n\t\tzt_rekey(q);\n", ZT_REKEY);
  // the tree's version receives differently: the patch's context there does not match
  const tree = new Map([["drivers/block/zt/zt.c", ZT("\tq->id = zt_next_id();", "", "", "").replace("ret = zt_try_recv(q);", "ret = zt_try_recv(q, 0);")]]);

  it("the tree's version of the changed function stands for its allocation, and the queue's variable flags are read there", async () => {
    const f = await reviewWithTree(tree, { files: [{ path: "drivers/block/zt/zt.c", before, after }] }, [rule]);
    const warned = f.filter((x) => x.severity === "warning" && !x.preExisting);
    expect(warned.map((x) => x.line)).toEqual([after.split("\n").findIndex((l) => l.includes("if (zt_start_tls(q))")) + 1]);
    expect(warned[0]!.message).toContain("zt_start_tls -> kzalloc(GFP_KERNEL)");
    expect(warned[0]!.message).toContain("a WQ_MEM_RECLAIM queue (zt_io_work -> zt_rekey)");
  });

  it("quiet when the patch shows the changed function whole and its version allocates nothing (the tree's older one does)", async () => {
    const start = after.indexOf("static int zt_start_tls(");
    const end = after.indexOf("\n}\n", start) + 3;
    const own = "static int zt_start_tls(struct zt_queue *q)\n{\n\tstruct zt_req *r = &q->tls_req;\n\n\tr->queue = q;\n\treturn zt_send(q, r);\n}\n";
    const rewritten = after.slice(0, start) + own + after.slice(end);
    const f = await reviewWithTree(tree, { files: [{ path: "drivers/block/zt/zt.c", before, after: rewritten }] }, [rule]);
    expect(f.filter((x) => x.severity === "warning")).toEqual([]);
  });

  it("quiet when the queue has no WQ_MEM_RECLAIM in the tree's version", async () => {
    const noReclaim = new Map([["drivers/block/zt/zt.c", tree.get("drivers/block/zt/zt.c")!.replace("WQ_MEM_RECLAIM | WQ_HIGHPRI", "WQ_HIGHPRI")]]);
    const f = await reviewWithTree(noReclaim, { files: [{ path: "drivers/block/zt/zt.c", before, after }] }, [rule]);
    expect(f.filter((x) => x.severity === "warning")).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/gfp-context/alloc-in-fence-signalling.js";
import { rule as allocWhileHolding } from "../../src/rules/gfp-context/alloc-while-holding.js";
import { ruleTester, runRule } from "../helpers/rule-tester.js";
import { renamed, reviewWithTree } from "../helpers/tree-review.js";

// Fixtures written for these tests, modelled on a GPU driver's job-timeout handler: it stops the scheduler,
// opens a fence signalling section, resets the hardware and signals the jobs it dropped.
const timeout = (inside: string, before = "") => `static enum drm_gpu_sched_stat quill_job_timedout(struct drm_sched_job *sched_job)
{
	struct quill_job *job = to_quill_job(sched_job);
	struct quill_device *qdev = job->qdev;
	struct quill_dump *dump;
	bool cookie;

	drm_sched_stop(&qdev->sched, sched_job);
${before}	cookie = dma_fence_begin_signalling();
	quill_hw_reset(qdev);
${inside}	quill_signal_dropped(qdev);
	dma_fence_end_signalling(cookie);
	drm_sched_start(&qdev->sched, 0);
	return DRM_GPU_SCHED_STAT_NOMINAL;
}
`;
const dumpAlloc = (mask: string) => `	dump = kzalloc(sizeof(*dump), ${mask});
	if (dump)
		quill_capture(qdev, dump);
`;
const file = "drivers/gpu/drm/quill/quill_job.c";
const p = (before: string, after: string) => ({ files: [{ path: file, before, after }] });

ruleTester(rule, {
  valid: [
    { name: "GFP_NOWAIT inside the section", patch: p(timeout(""), timeout(dumpAlloc("GFP_NOWAIT"))) },
    { name: "GFP_ATOMIC inside the section", patch: p(timeout(""), timeout(dumpAlloc("GFP_ATOMIC"))) },
    { name: "allocated before the section opens", patch: p(timeout(""), timeout("", dumpAlloc("GFP_KERNEL"))) },
    {
      name: "after the section is closed",
      patch: p(timeout(""), timeout("").replace("\tdrm_sched_start(&qdev->sched, 0);\n", `\tdrm_sched_start(&qdev->sched, 0);\n${dumpAlloc("GFP_KERNEL")}`)),
    },
    { name: "an allocation the patch did not touch, in a section it did not open", patch: p(timeout(dumpAlloc("GFP_KERNEL")), timeout(dumpAlloc("GFP_KERNEL")).replace("quill_hw_reset(qdev);", "quill_hw_reset(qdev, true);")) },
  ],
  invalid: [
    { name: "GFP_KERNEL inside the section", patch: p(timeout(""), timeout(dumpAlloc("GFP_KERNEL"))), errors: [{ messageId: "fsReclaim", line: 11, severity: "warning" }] },
    { name: "GFP_NOFS keeps direct reclaim: mmu notifiers wait for fences", patch: p(timeout(""), timeout(dumpAlloc("GFP_NOFS"))), errors: [{ messageId: "directReclaim", line: 11 }] },
    { name: "GFP_NOIO likewise", patch: p(timeout(""), timeout(dumpAlloc("GFP_NOIO"))), errors: [{ messageId: "directReclaim", line: 11 }] },
    {
      name: "the patch opens the section around an existing allocation",
      patch: p(timeout("").replace("\tcookie = dma_fence_begin_signalling();\n", "").replace("\tdma_fence_end_signalling(cookie);\n", "").replace("\tquill_signal_dropped", `${dumpAlloc("GFP_KERNEL")}\tquill_signal_dropped`), timeout(dumpAlloc("GFP_KERNEL"))),
      errors: [{ messageId: "fsReclaim", line: 9 }],
    },
    { name: "an implicit GFP_KERNEL allocator (vmalloc)", patch: p(timeout(""), timeout("\tdump = vmalloc(QUILL_DUMP_SIZE);\n")), errors: [{ messageId: "fsReclaim", line: 11 }] },
  ],
});

describe("alloc-in-fence-signalling", () => {
  it("names the section and the chain, and cites the annotation's history", async () => {
    const f = await reviewWithTree(new Map(), p(null as unknown as string, timeout(dumpAlloc("GFP_KERNEL"))), [rule]);
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain("kzalloc(GFP_KERNEL) in quill_job_timedout() inside a dma-fence signalling section (opened at line 9)");
    expect(f[0]!.chain).toEqual(["quill_job_timedout()", "dma_fence_begin_signalling()", "kzalloc(GFP_KERNEL)", "reclaim", "dma_fence_wait()"]);
    expect(f[0]!.fix).toContain("GFP_NOWAIT");
    expect(f[0]!.citations.map((c) => c.id)).toContain("dma-fence-signalling-2020");
  });

  it("with a tree: a helper the section's function calls allocates (the section is the caller's)", async () => {
    const helper = `static void quill_capture_state(struct quill_device *qdev)
{
	qdev->last_dump = kzalloc(sizeof(*qdev->last_dump), GFP_NOFS);
}

`;
    const before = `${helper.replace("kzalloc(sizeof(*qdev->last_dump), GFP_NOFS)", "NULL")}${timeout("\tquill_capture_state(qdev);\n")}`;
    const after = `${helper}${timeout("\tquill_capture_state(qdev);\n")}`;
    const f = await reviewWithTree(new Map([[file, before]]), p(before, after), [rule]);
    expect(f.map((x) => [x.line, x.messageId])).toEqual([[3, "directReclaim"]]);
    expect(f[0]!.message).toContain("opened by the caller quill_job_timedout() at line");
  });

  it("is the same judgement under other names (no driver or function name decides)", async () => {
    const names = new Map([["quill", "zorb"], ["drm_gpu_sched_stat", "zorb_stat"], ["drm_sched_job", "zorb_sched_job"]]);
    const after = renamed(timeout(dumpAlloc("GFP_KERNEL")), names);
    const f = await reviewWithTree(new Map(), { files: [{ path: "drivers/misc/zorb/zorb_main.c", before: null, after }] }, [rule]);
    expect(f.map((x) => [x.line, x.messageId])).toEqual([[11, "fsReclaim"]]);
  });

  it("leaves the section to this rule: alloc-while-holding says nothing of it", async () => {
    expect(await reviewWithTree(new Map(), p(null as unknown as string, timeout(dumpAlloc("GFP_KERNEL"))), [allocWhileHolding])).toEqual([]);
  });
});

// A scheduler back end modelled on a small GPU driver: run_job builds the hardware fence and writes the ring.
const runJob = (alloc: string) => `static struct dma_fence *quill_job_run(struct drm_sched_job *sched_job)
{
	struct quill_job *job = to_quill_job(sched_job);
	struct quill_hw_fence *hw;

	if (unlikely(job->base.s_fence->finished.error))
		return NULL;
${alloc}	hw = &job->hw_fence;
	quill_fence_init(job->qdev, hw);
	quill_ring_emit(job->qdev->ring, job);
	return dma_fence_get(&hw->base);
}
`;
const ops = `
static const struct drm_sched_backend_ops quill_sched_ops = {
	.run_job = quill_job_run,
	.timedout_job = quill_job_timedout,
	.free_job = quill_job_free,
};
`;
const bounce = (mask: string) => `	job->bounce = kmalloc(job->cmd_size, ${mask});
	if (!job->bounce)
		return ERR_PTR(-ENOMEM);
`;

describe("alloc-in-fence-signalling: code a fence needs by its role", () => {
  it("diff only: an allocation added to a run_job handler (known by its signature) is a warning", async () => {
    const f = await reviewWithTree(new Map(), p(runJob(""), runJob(bounce("GFP_KERNEL"))), [rule]);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[8, "warning", "role"]]);
    expect(f[0]!.message).toContain("kmalloc(GFP_KERNEL) in quill_job_run(), which is a drm_sched_backend_ops.run_job handler");
  });

  it("GFP_NOWAIT in run_job is quiet, and so is GFP_KERNEL in free_job (not needed for the fence)", async () => {
    expect(await reviewWithTree(new Map(), p(runJob(""), runJob(bounce("GFP_NOWAIT"))), [rule])).toEqual([]);
    const freeJob = (alloc: string) => `static void quill_job_free(struct drm_sched_job *sched_job)\n{\n\tstruct quill_job *job = to_quill_job(sched_job);\n\n${alloc}\tquill_job_put(job);\n}\n`;
    expect(await reviewWithTree(new Map(), p(freeJob(""), freeJob("\tquill_log_free(kasprintf(GFP_KERNEL, \"job %u\", job->seq));\n")), [rule])).toEqual([]);
  });

  it("with a tree: a helper two calls below the registered run_job allocates", async () => {
    const helper = (mask: string) => `static int quill_ring_reserve(struct quill_ring *ring, size_t n)
{
	if (ring->space >= n)
		return 0;
	ring->overflow = kvmalloc(n, ${mask});
	return ring->overflow ? 0 : -ENOMEM;
}

`;
    const run = runJob("").replace("\tquill_ring_emit(job->qdev->ring, job);\n", "\tquill_ring_reserve(job->qdev->ring, job->cmd_size);\n\tquill_ring_emit(job->qdev->ring, job);\n").replace("struct dma_fence *quill_job_run(struct drm_sched_job *sched_job)", "struct dma_fence *quill_job_run(struct drm_sched_job *sched_job)");
    const before = `${helper("GFP_NOWAIT")}${run}${ops}`;
    const after = `${helper("GFP_KERNEL")}${run}${ops}`;
    const f = await reviewWithTree(new Map([[file, before]]), p(before, after), [rule]);
    expect(f.map((x) => [x.line, x.severity])).toEqual([[5, "warning"]]);
    expect(f[0]!.chain?.slice(0, 2)).toEqual(["quill_job_run()", "quill_ring_reserve()"]);
  });
});

describe("alloc-in-fence-signalling: reservation locks in code a fence needs", () => {
  // a run_job that unpins the job's buffers, each under its reservation lock (through the driver's own wrapper)
  const lockHelpers = `static inline void quill_gem_lock(struct drm_gem_object *obj)
{
	dma_resv_lock(obj->resv, NULL);
}

static inline void quill_gem_unlock(struct drm_gem_object *obj)
{
	dma_resv_unlock(obj->resv);
}

`;
  const run = (body: string) => `${lockHelpers}static struct dma_fence *quill_run(struct drm_sched_job *sched_job)
{
	struct quill_submit *submit = to_quill_submit(sched_job);
	int i;

	for (i = 0; i < submit->nr_bos; i++) {
		struct drm_gem_object *obj = submit->bos[i].obj;

${body}	}
	return quill_ring_submit(submit);
}
`;
  const locked = "\t\tquill_gem_lock(obj);\n\t\tquill_gem_unpin_locked(obj);\n\t\tquill_gem_unlock(obj);\n";
  const unlocked = "\t\tquill_gem_unpin_active(obj);\n";

  it("with a tree: a wrapper of dma_resv_lock() added to run_job is a warning", async () => {
    const f = await reviewWithTree(new Map([[file, run(unlocked)]]), p(run(unlocked), run(locked)), [rule]);
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[19, "warning", "resvInFence"]]);
    expect(f[0]!.message).toContain("quill_gem_lock(obj->resv) in quill_run(), a drm_sched_backend_ops.run_job handler");
  });

  it("diff only: dma_resv_lock() itself added to run_job is a warning; a moved call is not", async () => {
    const direct = (b: string) => run(b).replace(lockHelpers, "");
    const f = await reviewWithTree(new Map(), p(direct(unlocked), direct("\t\tdma_resv_lock(obj->resv, NULL);\n\t\tquill_gem_unpin_locked(obj);\n\t\tdma_resv_unlock(obj->resv);\n")), [rule]);
    expect(f.map((x) => x.messageId)).toEqual(["resvInFence"]);
    const moved = direct("\t\tquill_gem_vma_unpin(obj);\n\t\tdma_resv_lock(obj->resv, NULL);\n\t\tquill_gem_unpin_locked(obj);\n\t\tdma_resv_unlock(obj->resv);\n");
    expect(await reviewWithTree(new Map(), p(direct("\t\tdma_resv_lock(obj->resv, NULL);\n\t\tquill_gem_vma_unpin(obj);\n\t\tquill_gem_unpin_locked(obj);\n\t\tdma_resv_unlock(obj->resv);\n"), moved), [rule])).toEqual([]);
  });

  it("a reservation lock that leaves run_job is recognised (info)", async () => {
    const f = await reviewWithTree(new Map([[file, run(locked)]]), p(run(locked), run(unlocked)), [rule]);
    expect(f.map((x) => [x.severity, x.messageId])).toEqual([["info", "resvLeftFence"]]);
  });

  it("dma_resv_trylock() in run_job is quiet", async () => {
    const f = await reviewWithTree(new Map([[file, run(unlocked)]]), p(run(unlocked), run("\t\tif (dma_resv_trylock(obj->resv)) {\n\t\t\tquill_gem_unpin_locked(obj);\n\t\t\tdma_resv_unlock(obj->resv);\n\t\t}\n")), [rule]);
    expect(f).toEqual([]);
  });
});

describe("alloc-in-fence-signalling: a section the patch opens", () => {
  // written for this test, modelled on a GPU scheduler's main loop that a patch annotates
  const loop = (annotated: boolean) => `static int vellum_sched_main(void *param)
{
	struct vellum_sched *vs = param;
${annotated ? "\tbool cookie;\n\n\tcookie = dma_fence_begin_signalling();\n" : ""}	while (!kthread_should_stop()) {
		struct vellum_job *job = vellum_next_job(vs);

		if (job)
			vellum_run(vs, job);
	}
${annotated ? "\tdma_fence_end_signalling(cookie);\n" : ""}	return 0;
}
`;
  it("diff only: says what lockdep checks from now on when nothing inside is found", () => {
    const f = runRule(rule, { context: 20, files: [{ path: "drivers/gpu/drm/vellum/vellum_sched.c", before: loop(false), after: loop(true) }] });
    expect(f.map((x) => [x.line, x.severity, x.messageId])).toEqual([[6, "info", "sectionOpened"]]);
    expect(f[0]!.message).toContain("vellum_sched_main() now opens a dma-fence signalling section (dma_fence_begin_signalling() at line 6, closed at line 13)");
  });
  it("is quiet when the section was there before", () => {
    const after = loop(true).replace("vellum_run(vs, job);", "vellum_run(vs, job);\n\t\tvellum_count(vs);");
    expect(runRule(rule, { context: 20, files: [{ path: "drivers/gpu/drm/vellum/vellum_sched.c", before: loop(true), after }] })).toEqual([]);
  });
});

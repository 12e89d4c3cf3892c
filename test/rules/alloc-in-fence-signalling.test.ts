import { describe, expect, it } from "vitest";
import { rule } from "../../src/rules/gfp-context/alloc-in-fence-signalling.js";
import { rule as allocWhileHolding } from "../../src/rules/gfp-context/alloc-while-holding.js";
import { ruleTester } from "../helpers/rule-tester.js";
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

// A fragment (a hunk that does not show its function's start) is entered from lines the walk does not see: code
// under a label or a `case` of a switch whose head is above the hunk runs even after a `return` or `break` just
// before it. Fixtures written for these tests, modelled on block drivers.
import { describe, expect, it } from "vitest";
import { rule as ioPath } from "../../src/rules/gfp-context/gfp-kernel-in-io-path.js";
import { rule as scopes } from "../../src/rules/gfp-context/unbalanced-scope.js";
import { runRule } from "../helpers/rule-tester.js";

const mail = (hunk: string) => `From: A Dev <dev@example.org>
Subject: [PATCH] zub: retry path

Allocate on the retry path.

Signed-off-by: A Dev <dev@example.org>
---
diff --git a/drivers/block/zub.c b/drivers/block/zub.c
--- a/drivers/block/zub.c
+++ b/drivers/block/zub.c
${hunk}`;

const afterLabel = (mask: string) => mail(`@@ -210,7 +210,8 @@ static blk_status_t zub_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)
 	zub_start(zd, rq);
 	return BLK_STS_OK;
 
 out_busy:
+	zd->spare = kzalloc(sizeof(*zd->spare), ${mask});
 	zub_requeue(zd, rq);
 	return BLK_STS_RESOURCE;
 }
`);

const afterCase = (mask: string) => mail(`@@ -240,6 +240,8 @@ static blk_status_t zub_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)
 	case REQ_OP_READ:
 		ret = zub_read(zd, rq);
 		break;
+	case REQ_OP_WRITE_ZEROES:
+		zd->zero_page = kzalloc(PAGE_SIZE, ${mask});
 	case REQ_OP_WRITE:
 		ret = zub_write(zd, rq);
 		break;
`);

describe("fragments entered from lines not shown", () => {
  it("an allocation under a label after a return (a goto from above the hunk lands there) is judged", () => {
    const f = runRule(ioPath, afterLabel("GFP_KERNEL"));
    expect(f.map((x) => [x.line, x.severity])).toEqual([[214, "warning"]]);
    expect(f[0]!.message).toContain("zub_queue_rq");
  });

  it("the same allocation with GFP_NOIO is quiet", () => {
    expect(runRule(ioPath, afterLabel("GFP_NOIO")).filter((x) => x.severity !== "info")).toEqual([]);
  });

  it("an allocation under a case after a break (the switch's head is above the hunk) is judged", () => {
    const f = runRule(ioPath, afterCase("GFP_KERNEL"));
    expect(f.map((x) => [x.line, x.severity])).toEqual([[244, "warning"]]);
  });

  it("a restore added under a label reached from lines not shown is not called a double restore", () => {
    const hunk = `@@ -300,9 +300,10 @@ static int zub_resize(struct zub_dev *zd, unsigned int n)
 	unsigned int noio;
 
 	noio = memalloc_noio_save();
 	ret = zub_grow(zd, n);
 	memalloc_noio_restore(noio);
 	return ret;
 
 err_free:
 	zub_free_maps(zd);
+	memalloc_noio_restore(noio);
 	return -ENOMEM;
`;
    expect(runRule(scopes, mail(hunk)).filter((x) => x.severity === "error")).toEqual([]);
  });
});

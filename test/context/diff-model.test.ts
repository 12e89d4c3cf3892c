import { beforeAll, describe, expect, it } from "vitest";
import { blankDeadConditionals, functionDefinedAfter, takeFirstBranches } from "../../src/context/c-lines.js";
import { commentTailBlanked, leadingContinuation, regionFlow, regionsOf, unseenBody } from "../../src/context/diff-model.js";
import { parserReady } from "../../src/context/parser.js";
import { parsePatchText } from "../../src/ingest/index.js";
import { formatPatch } from "../helpers/patch.js";

beforeAll(async () => {
  await parserReady();
});

describe("unseenBody: a fragment that starts inside the body of an unseen if", () => {
  it("finds a one-line body indented deeper than what follows", () => {
    expect(unseenBody(["\t\treturn -EINVAL;", "", "\tflags = widget_freeze(q);", "\tmutex_lock(&w->state_mutex);"])).toBe(2);
  });
  it("takes a statement spanning lines", () => {
    expect(unseenBody(["\t\treturn widget_fail(w,", "\t\t\t\t   -EINVAL);", "\tmutex_lock(&w->state_mutex);"])).toBe(2);
  });
  it("leaves the continuation of an expression alone (unbalanced parentheses)", () => {
    expect(unseenBody(["\t\t\t\t GFP_KERNEL);", "\tif (!p)", "\t\treturn -ENOMEM;"])).toBe(0);
  });
  it("leaves two statements alone (a braced block whose opening is not shown closes with a brace)", () => {
    expect(unseenBody(["\t\tw->count = 0;", "\t\treturn 0;", "\tmutex_lock(&w->state_mutex);"])).toBe(0);
  });
  it("leaves a fragment whose first lines are not deeper alone", () => {
    expect(unseenBody(["\treturn -EINVAL;", "\tmutex_lock(&w->state_mutex);"])).toBe(0);
  });
  it("leaves a label, a case and a comment alone", () => {
    expect(unseenBody(["\tcase 1:", "\tbreak;"])).toBe(0);
    expect(unseenBody(["\t\t/* nothing */;", "\tx = 1;"])).toBe(0);
  });
});

describe("regionFlow on such a fragment", () => {
  const before = `static int widget_store(struct widget *w, const char *page)
{
	unsigned int flags;
	int ret;

	if (!widget_valid(page))
		return -EINVAL;

	flags = widget_freeze(w->queue);
	mutex_lock(&w->old_mutex);

	ret = widget_apply(w, page);
	if (ret)
		goto out;
	widget_note(w);
	widget_note(w);
	widget_note(w);
	widget_note(w);
out:
	mutex_unlock(&w->old_mutex);
	widget_unfreeze(w->queue, flags);
	return ret;
}
`;
  const after = before.replace(/old_mutex/g, "state_mutex");

  it("reads the lines after the early return as live: the lock is taken", () => {
    const patch = parsePatchText(formatPatch({ files: [{ path: "drivers/widget/sysfs.c", before, after }] }), "t.patch").patches[0]!;
    const r = regionsOf(patch, "new").find((x) => x.lines.some((l) => l.text.includes("mutex_lock")))!;
    expect(r.lines[0]!.text).toBe("\t\treturn -EINVAL;");
    const flow = regionFlow(r)!;
    const lock = flow.events.find((e) => e.callee === "mutex_lock");
    expect(lock?.line).toBe(10);
    expect(flow.events.find((e) => e.callee === "widget_apply")?.state.held.map((h) => h.entry.key?.expr)).toEqual(["&w->state_mutex"]);
  });
});

describe("leadingContinuation: a fragment that starts in the middle of a statement", () => {
  it("finds the line that closes a condition begun above, and what follows it", () => {
    expect(leadingContinuation(["\t    w->queue->nr == nr)", "\t\tgoto unlock;", "", "\tflags = widget_save();"])).toEqual({ line: 0, rest: "" });
    expect(leadingContinuation(["\t    w->a &&", "\t    w->b) {", "\t\tw->c = 0;"])).toEqual({ line: 1, rest: "{" });
  });
  it("reads the tail of an expression statement as ending there", () => {
    expect(leadingContinuation(["\t\t\t\t GFP_KERNEL);", "\tif (!p)", "\t\treturn -ENOMEM;"])).toEqual({ line: 0, rest: ";" });
  });
  it("is null for a fragment that starts with a statement, a brace, a comment's parentheses or a directive", () => {
    expect(leadingContinuation(["\tw->count = 0;", "\tx = f(a);"])).toBeNull();
    expect(leadingContinuation(["\t}", "\tx = f(a));"])).toBeNull();
    expect(leadingContinuation(["\t/* see widget_fail()) */", "\tx = 1;"])).toBeNull();
    expect(leadingContinuation(["#endif", "\tb);"])).toBeNull();
  });

  it("lets regionFlow read a scope opened after such a line (the events used to be lost to a parse error)", () => {
    const before = `static int widget_revalidate(struct widget *w)
{
	unsigned int nr = w->nr;
	int ret = 0;

	if (w->zones_ready &&
	    w->queue->nr == nr)
		goto unlock;

	w->nr = nr;
	w->map = kvcalloc(nr, sizeof(u32), GFP_NOIO);
	if (!w->map) {
		ret = -ENOMEM;
		goto unlock;
	}
	ret = widget_report(w);
unlock:
	return ret;
}
`;
    const after = before
      .replace("\tw->nr = nr;\n", "\tflags = memalloc_noio_save();\n\tw->nr = nr;\n")
      .replace("GFP_NOIO", "GFP_KERNEL")
      .replace("\tret = widget_report(w);\n", "\tret = widget_report(w);\n\tmemalloc_noio_restore(flags);\n")
      .replace("\t\tret = -ENOMEM;\n", "\t\tret = -ENOMEM;\n\t\tmemalloc_noio_restore(flags);\n");
    const patch = parsePatchText(formatPatch({ files: [{ path: "drivers/widget/zones.c", before, after }] }), "t.patch").patches[0]!;
    const r = regionsOf(patch, "new").find((x) => x.lines.some((l) => l.text.includes("memalloc_noio_save")))!;
    expect(r.lines[0]!.text).toBe("	    w->queue->nr == nr)");
    const flow = regionFlow(r)!;
    expect(flow.events.map((e) => e.callee)).toEqual(["memalloc_noio_save", "kvcalloc", "memalloc_noio_restore", "widget_report", "memalloc_noio_restore"]);
    // the goto in the unseen if's body does not make the rest dead
    expect(flow.events.find((e) => e.callee === "kvcalloc")?.state.mustScopes).toEqual(["noio"]);
  });
});

describe("blankDeadConditionals: code the preprocessor never compiles", () => {
  const src = (cond: string) => `#define WIDGET_DUMP 0
#define WIDGET_FAST 1

static void widget_dump(struct widget *w)
{
#if ${cond}
	w->buf = kmalloc(64, GFP_KERNEL);
#else
	w->buf = NULL;
#endif
	widget_kick(w);
}
`;
  const line = (t: string, n: number) => t.split("\n")[n - 1]!;

  it("blanks #if 0 and #if NAME where the file defines NAME as 0, keeping lines and offsets", () => {
    for (const c of ["0", "WIDGET_DUMP"]) {
      const out = blankDeadConditionals(src(c));
      expect(out.length).toBe(src(c).length);
      expect(line(out, 7).trim()).toBe("");
      expect(line(out, 9)).toBe("\tw->buf = NULL;");
      expect(line(out, 11)).toBe("\twidget_kick(w);");
    }
  });

  it("blanks the #else of a condition known true", () => {
    const out = blankDeadConditionals(src("WIDGET_FAST"));
    expect(line(out, 7)).toBe("\tw->buf = kmalloc(64, GFP_KERNEL);");
    expect(line(out, 9).trim()).toBe("");
  });

  it("keeps conditions it cannot decide", () => {
    for (const c of ["CONFIG_WIDGET_DUMP", "defined(CONFIG_WIDGET_DUMP)", "IS_ENABLED(CONFIG_WIDGET_DUMP)"]) expect(blankDeadConditionals(src(c))).toBe(src(c));
  });

  it("an allocation under #if 0 is no event of the function's walk", async () => {
    const { cachedScan } = await import("../../src/context/reclaim.js");
    const calls = (c: string) => cachedScan(`dead-test-${c}.c`, src(c)).functions[0]!.calls.map((x) => x.callee);
    expect(calls("0")).not.toContain("kmalloc");
    expect(calls("CONFIG_WIDGET_DUMP")).toContain("kmalloc");
  });
});

describe("takeFirstBranches: conditional groups read with every option on", () => {
  // written for this test, modelled on a network-offload driver whose IPv6 branch is compiled conditionally
  const fn = `static int widget_open(struct widget_sock *ws)
{
	struct sk_buff *skb;

	if (ws->family == AF_INET)
		skb = widget_alloc_wr(ws->len, GFP_NOIO);
#if IS_ENABLED(CONFIG_IPV6)
	else
		skb = widget_alloc_wr(ws->len6, GFP_NOIO);
#endif
	if (!skb)
		return -ENOMEM;
#ifdef CONFIG_WIDGET_DEBUG
	widget_trace(ws);
#else
	widget_count(ws);
#endif
#if 0
	widget_dump(ws);
#else
	widget_kick(ws);
#endif
	return widget_send(ws, skb);
}
`;
  const line = (t: string, n: number) => t.split("\n")[n - 1]!;

  it("keeps the first branch whose condition is not known false, blanks the rest and the directives, keeping offsets", () => {
    const out = takeFirstBranches(fn);
    expect(out.length).toBe(fn.length);
    expect(line(out, 7).trim()).toBe("");
    expect(line(out, 9)).toBe("\t\tskb = widget_alloc_wr(ws->len6, GFP_NOIO);");
    expect(line(out, 14)).toBe("\twidget_trace(ws);");
    expect(line(out, 16).trim()).toBe("");
    expect(line(out, 19).trim()).toBe("");
    expect(line(out, 21)).toBe("\twidget_kick(ws);");
  });

  it("a group that splits an if/else no longer hides the rest of the function from the walk", () => {
    const r = regionsOf(parsePatchText(formatPatch({ files: [{ path: "drivers/widget/sock.c", before: null, after: fn }] }), "t.patch").patches[0]!, "new")[0]!;
    const flow = regionFlow(r)!;
    expect(flow.events.map((e) => `${e.line}:${e.callee}`)).toEqual(["6:widget_alloc_wr", "9:widget_alloc_wr", "14:widget_trace", "21:widget_kick", "23:widget_send"]);
  });
});

// A header the patch adds two helpers to, after an existing inline function; the return types sit on lines of
// their own above the names (kernel style), as the hunk shows them.
const HEADER_BEFORE = `static inline bool widget_can_poll(struct widget_queue *q)
{
	return q->poll_queues > 0;
}

#endif
`;
const HEADER_AFTER = `static inline bool widget_can_poll(struct widget_queue *q)
{
	return q->poll_queues > 0;
}

static inline unsigned int __must_check
widget_enter_quiet(struct widget_queue *q)
{
	unsigned int flags = memalloc_noio_save();

	widget_block_io(q);
	return flags;
}

static inline void
widget_exit_quiet(struct widget_queue *q, unsigned int flags)
{
	widget_unblock_io(q);
	memalloc_noio_restore(flags);
}

#endif
`;

describe("functionDefinedAfter: the return type on the line above the name", () => {
  it("finds the name at column 0 under a line holding only the type", () => {
    expect(functionDefinedAfter("static inline unsigned int __must_check", "widget_enter_quiet(struct widget_queue *q)")).toBe("widget_enter_quiet");
    expect(functionDefinedAfter("static struct widget *", "widget_get(int id)")).toBe("widget_get");
  });
  it("a call statement under a statement, a prototype, or a name under a non-type line is none", () => {
    expect(functionDefinedAfter("\tret = 0;", "widget_get(id);")).toBeNull();
    expect(functionDefinedAfter("static int", "widget_get(int id);")).toBeNull();
    expect(functionDefinedAfter("return", "widget_get(id)")).toBeNull();
    expect(functionDefinedAfter("}", "widget_get(int id)")).toBeNull();
  });
  it("a definition on one line is found without the line above", () => {
    expect(functionDefinedAfter(null, "static int widget_get(int id)")).toBe("widget_get");
  });
});

describe("regionsOf: definitions whose return type is on its own line", () => {
  const patch = parsePatchText(formatPatch({ files: [{ path: "drivers/widget/widget.h", before: HEADER_BEFORE, after: HEADER_AFTER }] }), "t.patch").patches[0]!;
  it("each added function is its own region, named by its definition, with the type line in it", () => {
    const rs = regionsOf(patch, "new").filter((r) => r.hasDefinition);
    expect(rs.map((r) => r.name)).toEqual(["widget_enter_quiet", "widget_exit_quiet"]);
    expect(rs[0]!.lines[0]!.text).toBe("static inline unsigned int __must_check");
    expect(rs[0]!.signature.startsWith("static inline unsigned int __must_check widget_enter_quiet(struct widget_queue *q)")).toBe(true);
  });
  it("the helper that returns the saved scope is walked as a whole function: it hands the scope over, no leak", () => {
    const r = regionsOf(patch, "new").find((x) => x.name === "widget_enter_quiet")!;
    const f = regionFlow(r)!;
    expect(f.returnsScope).toContain("noio");
    expect(f.problems).toEqual([]);
  });
});

describe("commentTailBlanked: a fragment that starts inside a block comment", () => {
  it("blanks the comment's continuation lines and its end, and keeps what follows on the closing line", () => {
    expect(commentTailBlanked(["\t\t * Testing the bit under the lock orders the reads.", "\t\t */", "\t\tif (!(widget_state(w) & W_BUSY))", "\t\t\tbreak;"])).toEqual(["", " ".repeat(5), "\t\tif (!(widget_state(w) & W_BUSY))", "\t\t\tbreak;"]);
    expect(commentTailBlanked(["\t * the end */ x = 1;", "\ty = 2;"])).toEqual([`${" ".repeat(14)} x = 1;`, "\ty = 2;"]);
  });
  it("keeps a fragment whose code, comment opener, line comment or string comes first", () => {
    const as = (t: string[]) => expect(commentTailBlanked(t)).toEqual(t);
    as(["\tx = 1;", "\t/* a */"]);
    as(["\t/* a", "\t * b */", "\tx = 1;"]);
    as(["\t// a */ b", "\tx = 1;"]);
    as(["\tputs(\"*/\");"]);
    as(["\tq = 2; /* c */", "\t*p = 1;"]);
  });
  it("lets regionFlow read the calls after it without a call of `if`", () => {
    const before = `static void widget_wait_idle(struct widget *w)
{
	struct wait_queue_head *wq = widget_waitqueue(w);

	for (;;) {
		prepare_to_wait(wq, &w->wait, TASK_UNINTERRUPTIBLE);
		/*
		 * Testing the busy bit under the widget's lock orders the
		 * reads against the waker.
		 */
		if (!(w->state & W_BUSY))
			break;
		spin_unlock(&w->lock);
		schedule();
		spin_lock(&w->lock);
	}
	finish_wait(wq, &w->wait);
}
`;
    const after = before.replace("\t\tif (!(w->state & W_BUSY))", "\t\tif (!(widget_state(w) & W_BUSY))");
    const patch = parsePatchText(formatPatch({ files: [{ path: "drivers/widget/wait.c", before, after }] }), "t.patch").patches[0]!;
    const r = regionsOf(patch, "new")[0]!;
    expect(r.lines[0]!.text).toContain("Testing the busy bit");
    const callees = regionFlow(r)!.events.map((e) => e.callee);
    expect(callees).toContain("widget_state");
    expect(callees).toContain("spin_unlock");
    expect(callees).toContain("schedule");
    expect(callees).not.toContain("if");
  });
});

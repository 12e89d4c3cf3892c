import { beforeAll, describe, expect, it } from "vitest";
import { regionFlow, regionsOf, unseenBody } from "../../src/context/diff-model.js";
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

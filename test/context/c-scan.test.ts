import { describe, expect, it } from "vitest";
import { scanFile } from "../../src/context/c-scan.js";

// Fixtures written for these tests, modelled on sysfs attribute tables that a macro builds with token pasting.
const TABLE = `struct gadget_entry {
	struct attribute attr;
	ssize_t (*show)(struct gadget *g, char *page);
	ssize_t (*store)(struct gadget *g, const char *page, size_t len);
};

#define GADGET_RW_ENTRY(_prefix, _name)			\\
static struct gadget_entry _prefix##_entry = {		\\
	.attr	= { .name = _name, .mode = 0644 },	\\
	.show	= _prefix##_show,			\\
	/* the setter */				\\
	.store	= _prefix##_store,			\\
}

#define GADGET_RO_ENTRY(_prefix, _name)			\\
static struct gadget_entry _prefix##_entry = {		\\
	.attr	= { .name = _name, .mode = 0444 },	\\
	.show	= _prefix##_show,			\\
}

#define GADGET_FIXED(_name)				\\
static struct gadget_entry _name##_fixed = {		\\
	.store	= gadget_store_fixed,			\\
}

#define gadget_attr(_g)	(&(_g)->entry.attr)

GADGET_RW_ENTRY(gadget_depth, "depth");
GADGET_RO_ENTRY(gadget_size, "size");
GADGET_FIXED(speed);

static int gadget_reset(struct gadget *g)
{
	GADGET_RW_ENTRY(gadget_inner, "inner");
	return gadget_attr(g) != NULL;
}
`;

describe("scanFile: initialisers a macro of the file builds", () => {
  const ops = scanFile(TABLE).ops.map((o) => [o.struct, o.field, o.fn, o.line]);

  it("a top-level use of the macro registers the pasted names under the macro's struct type, at the use's line", () => {
    expect(ops).toContainEqual(["gadget_entry", "store", "gadget_depth_store", 28]);
    expect(ops).toContainEqual(["gadget_entry", "show", "gadget_depth_show", 28]);
    expect(ops).toContainEqual(["gadget_entry", "show", "gadget_size_show", 29]);
  });

  it("a fixed value in the macro is registered as written", () => {
    expect(ops).toContainEqual(["gadget_entry", "store", "gadget_store_fixed", 30]);
  });

  it("only identifiers: a string argument or a nested initialiser names no function, and a use inside a body is not expanded", () => {
    expect(ops.filter((o) => o[1] === "attr" || o[1] === "name" || o[1] === "mode")).toEqual([]);
    expect(ops.some((o) => String(o[2]).startsWith("gadget_inner"))).toBe(false);
    expect(ops).toHaveLength(4);
  });

  it("the function after the uses is still found, with its calls", () => {
    const fn = scanFile(TABLE).functions.find((f) => f.name === "gadget_reset");
    expect(fn?.start).toBe(32);
  });
});

describe("scanFile: calls through a pointer", () => {
  const fn = scanFile(`static void gadget_work(struct work_struct *w)
{
	struct gadget *g = container_of(w, struct gadget, work);

	g->ops->run(g->job);
	gadget_done(g);
}
`).functions[0]!;
  it("are kept apart from direct calls, with the field and the object it is read from", () => {
    expect(fn.pointerCalls).toEqual([{ field: "run", receiver: "g->ops", line: 5 }]);
    expect(fn.calls.map((c) => c.callee)).toEqual(["container_of", "gadget_done"]);
  });
});

describe("scanFile: functions defined through a macro", () => {
  // written for this test: a closure callback and a system call, each defined through a macro that writes its head
  const text = `static CLOSURE_CALLBACK(frob_insert_start)
{
	closure_type(op, struct frob_op, cl);
	frob_split(op, GFP_NOIO);
}

SYSCALL_DEFINE2(frob_ctl, int, fd, unsigned long, arg)
{
	return frob_do_ctl(fd, arg);
}

static DEFINE_MUTEX(frob_mutex);

static int frob_after(int x)
{
	return frob_do_ctl(x, 0);
}
`;
  it("are named by the macro's first argument, with no parameters read and their calls kept; a macro use without a body is none", () => {
    const s = scanFile(text);
    expect(s.functions.map((f) => [f.name, f.start, f.end, f.params, f.definedBy ?? null, f.isStatic])).toEqual([
      ["frob_insert_start", 1, 5, "", "CLOSURE_CALLBACK", true],
      ["frob_ctl", 7, 10, "", "SYSCALL_DEFINE2", false],
      ["frob_after", 14, 17, "int x", null, true],
    ]);
    expect(s.functions[0]!.calls.map((c) => c.callee)).toEqual(["closure_type", "frob_split"]);
  });
});

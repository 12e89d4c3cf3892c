// Unit tests for the per-file facts and the facts index.
import { beforeAll, describe, expect, it } from "vitest";
import { expandMacros, extractFacts, keyOf, memReclaimOf, stripComments } from "../../src/context/extract.js";
import { FactsIndex, contextFacts, getFacts, withFacts } from "../../src/context/facts.js";
import { blankAnnotations, initParser, parseC } from "../../src/context/parser.js";
import { memoryTextProvider } from "../../src/context/memory.js";

beforeAll(async () => {
  await initParser();
});

const c = (...lines: string[]) => lines.join("\n") + "\n";

describe("blankAnnotations", () => {
  it("keeps length and line breaks and blanks kernel annotations", () => {
    const src = c("static int __init foo_init(void)", "{", "\treturn 0;", "}", "static void bar(struct x *x) __must_hold(&x->lock)", "{", "}");
    const out = blankAnnotations(src);
    expect(out.length).toBe(src.length);
    expect(out.split("\n").length).toBe(src.split("\n").length);
    expect(out).not.toMatch(/__init|__must_hold/);
    expect(out).toContain("foo_init(void)");
  });
  it("lets the parser see a function an annotation would hide", () => {
    const src = c(
      "static void __cold noinline frob_drop(struct frob *f) __releases(&f->lock)",
      "{",
      "\tspin_unlock(&f->lock);",
      "}",
    );
    const tree = parseC(src);
    try {
      expect(tree.rootNode.descendantsOfType("function_definition").length).toBe(1);
      expect(tree.rootNode.hasError).toBe(false);
    } finally {
      tree.delete();
    }
  });
});

describe("extractFacts", () => {
  it("finds functions, their spans and calls with line numbers", () => {
    const f = extractFacts(
      "a.c",
      c(
        "static int helper(int x)", // 1
        "{",
        "\treturn kmalloc(x, GFP_KERNEL) != NULL;", // 3
        "}",
        "",
        "int outer(void)", // 6
        "{",
        "\t/* helper(2) in a comment is no call */",
        "\treturn helper(1);", // 9
        "}",
      ),
    );
    expect(f.parsed).toBe(true);
    expect(f.functions.map((x) => [x.name, x.start, x.end, x.isStatic])).toEqual([
      ["helper", 1, 4, true],
      ["outer", 6, 10, false],
    ]);
    expect(f.functions[0]!.calls.map((x) => [x.callee, x.line])).toEqual([["kmalloc", 3]]);
    expect(f.functions[1]!.calls.map((x) => [x.callee, x.line, x.args])).toEqual([["helper", 9, "1"]]);
  });

  it("maps work items to functions and to the queues they go on", () => {
    const f = extractFacts(
      "wq.c",
      c(
        "static DECLARE_WORK(frob_static_work, frob_static_fn);",
        "static void frob_fn(struct work_struct *work)",
        "{",
        "\tstruct frob *fb = container_of(work, struct frob, other_work);",
        "}",
        "static void frob_init(struct frob *fb)",
        "{",
        "\tfb->wq = alloc_workqueue(\"frob\", WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);",
        "\tINIT_WORK(&fb->io_work, frob_fn);",
        "\tINIT_DELAYED_WORK(&fb->tick.work, frob_tick);",
        "\tqueue_work(fb->wq, &fb->io_work);",
        "\tqueue_delayed_work(system_long_wq, &fb->tick, HZ);",
        "\tschedule_work(&frob_static_work);",
        "}",
      ),
    );
    expect(f.works.map((w) => [w.key, w.fn, w.how])).toEqual([
      ["frob_static_work", "frob_static_fn", "declare"],
      ["io_work", "frob_fn", "init"],
      ["tick", "frob_tick", "init"],
      ["other_work", "frob_fn", "container_of"],
    ]);
    expect(f.queued.map((q) => [q.work, q.queue, q.in])).toEqual([
      ["io_work", "wq", "frob_init"],
      ["tick", "system_long_wq", "frob_init"],
      ["frob_static_work", "system_wq", "frob_init"],
    ]);
    expect(f.queues.map((q) => [q.key, q.flags, q.line])).toEqual([["wq", "WQ_MEM_RECLAIM | WQ_HIGHPRI", 8]]);
  });

  it("follows a queue made into a local and stored in a global afterwards, until the local is assigned again", () => {
    const f = extractFacts(
      "rpcq.c",
      c(
        "static int rpcq_start(void)",
        "{",
        "\tstruct workqueue_struct *wq;",
        "",
        "\twq = alloc_workqueue(\"rpcq\", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);",
        "\tif (!wq)",
        "\t\treturn 0;",
        "\trpcq_workqueue = wq;",
        "\twq = alloc_workqueue(\"rpcq-io\", WQ_UNBOUND, 0);",
        "\tif (!wq)",
        "\t\treturn 0;",
        "\trpcq_io_workqueue = wq;",
        "\treturn 1;",
        "}",
      ),
    );
    expect(f.queues.map((q) => [q.key, q.flags, q.line])).toEqual([
      ["wq", "WQ_MEM_RECLAIM | WQ_UNBOUND", 5],
      ["rpcq_workqueue", "WQ_MEM_RECLAIM | WQ_UNBOUND", 5],
      ["wq", "WQ_UNBOUND", 9],
      ["rpcq_io_workqueue", "WQ_UNBOUND", 9],
    ]);
  });

  it("finds memalloc scope regions, flag-set regions, and return paths that leak them", () => {
    const f = extractFacts(
      "s.c",
      c(
        "static int scoped(struct frob *fb)", // 1
        "{",
        "\tunsigned int flags = memalloc_noio_save();", // 3
        "\tif (!fb) {",
        "\t\tmemalloc_noio_restore(flags);",
        "\t\treturn -EINVAL;", // 6: fine
        "\t}",
        "\tif (fb->bad)",
        "\t\treturn -EIO;", // 9: leaks
        "\tfrob_do(fb);",
        "\tmemalloc_noio_restore(flags);", // 11
        "\treturn 0;", // 12: fine
        "}",
        "static void by_flags(void)", // 14
        "{",
        "\tunsigned int pflags = current->flags;",
        "\tcurrent->flags |= PF_MEMALLOC_NOIO;", // 17
        "\tfrob_io();",
        "\tcurrent->flags = pflags;", // 19
        "}",
        "static void wrong_var(void)", // 21
        "{",
        "\tunsigned int a = memalloc_nofs_save();",
        "\tunsigned int b = 0;",
        "\tmemalloc_nofs_restore(b);", // 25
        "}",
      ),
    );
    const [scoped, byFlags, wrong] = f.functions;
    expect(scoped!.scopes).toEqual([{ kind: "noio", start: 3, end: 11, saveVar: "flags", how: "save", restored: true }]);
    expect(scoped!.leaks).toEqual([{ save: 3, kind: "noio", exit: 9 }]);
    expect(byFlags!.scopes.map((s) => [s.kind, s.start, s.end, s.how])).toEqual([["noio", 17, 19, "flags"]]);
    expect(byFlags!.leaks).toEqual([]);
    expect(wrong!.leaks).toEqual([{ save: 23, kind: "nofs", exit: 25, wrongVar: "b" }]);
  });

  it("falls back to kernel-style lines for a function the parse cannot read", () => {
    // an unbalanced macro makes the parse lose the function; the column-0 braces still show it
    const f = extractFacts("m.c", c("#define OPEN {", "static void lost(void)", "{", "\tOPEN", "\tfrob_call(1);", "}"));
    const lost = f.functions.find((x) => x.name === "lost");
    expect(lost).toBeDefined();
    expect(lost!.calls.map((x) => x.callee)).toContain("frob_call");
  });
});

describe("helpers", () => {
  it("keyOf takes the last field, dropping a delayed work's .work", () => {
    expect(keyOf("&mp->m_log->l_work")).toBe("l_work");
    expect(keyOf("&fb->tick.work")).toBe("tick");
    expect(keyOf("mp->m_sync_workqueue")).toBe("m_sync_workqueue");
  });
  it("expands function-like macros in workqueue flags", () => {
    const macros = new Map([["FROB_WQFLAGS", { params: ["wqflags"], body: "(WQ_SYSFS | (wqflags))" }]]);
    const e = expandMacros("FROB_WQFLAGS(WQ_FREEZABLE)", macros);
    expect(e.replace(/\s+/g, "")).toBe("((WQ_SYSFS|(WQ_FREEZABLE)))");
    expect(memReclaimOf(e)).toBe(false);
    expect(memReclaimOf(expandMacros("FROB_WQFLAGS(WQ_FREEZABLE | WQ_MEM_RECLAIM)", macros))).toBe(true);
    expect(memReclaimOf("flags")).toBe(null);
  });
  it("stripComments keeps length", () => {
    const t = 'a(); /* b() */ c("d()"); // e()\nf();';
    const s = stripComments(t);
    expect(s.length).toBe(t.length);
    expect(s).not.toMatch(/b\(\)|d\(\)|e\(\)/);
    expect(s).toMatch(/f\(\)/);
  });
});

describe("FactsIndex", () => {
  const files = new Map([
    [
      "drivers/frob/core.c",
      c(
        "static void *frob_grab(size_t n)", // 1
        "{",
        "\treturn kmalloc(n, GFP_KERNEL);", // 3
        "}",
        "static int frob_io(struct frob *fb)", // 5
        "{",
        "\tunsigned int noio = memalloc_noio_save();",
        "\tvoid *p = frob_grab(64);", // 8
        "\tmemalloc_noio_restore(noio);",
        "\treturn p ? frob_submit(fb, p) : -ENOMEM;",
        "}",
        "static void *frob_loose(size_t n)", // 12
        "{",
        "\treturn kmalloc(n, GFP_KERNEL);", // 14
        "}",
        "static void frob_a(void)", // 16
        "{",
        "\tfrob_loose(1);",
        "}",
        "static void frob_b(void)", // 20
        "{",
        "\tunsigned int f = memalloc_noio_save();",
        "\tfrob_loose(2);",
        "\tmemalloc_noio_restore(f);",
        "}",
        "static unsigned long frob_scan(struct shrinker *s, struct shrink_control *sc)", // 26
        "{",
        "\tfrob_evict(s->private_data);",
        "\treturn 0;",
        "}",
        "static void frob_setup(struct frob *fb)",
        "{",
        "\tfb->s->scan_objects = frob_scan;",
        "}",
      ),
    ],
    [
      "drivers/frob/evict.c",
      c(
        "void frob_evict(struct frob *fb)",
        "{",
        "\tfrob_write_back(fb);",
        "}",
        "static void frob_write_back(struct frob *fb)",
        "{",
        "\twait_on_buffer(fb->bh);",
        "}",
      ),
    ],
  ]);
  const idx = () => new FactsIndex(memoryTextProvider(files));

  it("knows a scope every caller holds, even through a caller that calls twice", () => {
    const twice = new Map([
      [
        "d/x.c",
        c(
          "static void *leaf(void)", // 1
          "{",
          "\treturn kmalloc(8, GFP_KERNEL);", // 3
          "}",
          "static void mid(int a)",
          "{",
          "\tif (a)",
          "\t\tleaf();",
          "\telse",
          "\t\tleaf();",
          "}",
          "static void top(void)",
          "{",
          "\tunsigned int n = memalloc_nofs_save();",
          "\tmid(1);",
          "\tmemalloc_nofs_restore(n);",
          "}",
        ),
      ],
    ]);
    const v = new FactsIndex(memoryTextProvider(twice));
    expect(v.scopeAt("d/x.c", 3)).toBe("nofs");
  });

  it("knows a scope every caller holds, and not when one caller does not", () => {
    const v = idx();
    expect(v.scopeAt("drivers/frob/core.c", 3)).toBe("noio");
    expect(v.heldScope("drivers/frob/core.c", "frob_grab")).toBe("noio");
    expect(v.scopeAt("drivers/frob/core.c", 14)).toBe(null);
    expect(v.scopeAt("drivers/frob/core.c", 8)).toBe("noio");
  });

  it("names the chain from a shrinker through another file of the directory", () => {
    const v = idx();
    const hit = v.chainTo("drivers/frob/core.c", "frob_scan", (s) => s.callee === "wait_on_buffer");
    expect(hit?.chain).toEqual(["frob_scan", "frob_evict", "frob_write_back", "wait_on_buffer"]);
    expect(hit?.file).toBe("drivers/frob/evict.c");
    expect(v.chainTo("drivers/frob/core.c", "frob_scan", (s) => s.callee === "wait_on_buffer", { maxDepth: 2 })).toBe(null);
  });

  it("is reached through getFacts on a SourceContext, with the pre-image view", () => {
    const post = idx();
    const ctx = withFacts({ preImage: () => undefined, postImage: () => undefined }, contextFacts(post, null));
    const f = getFacts(ctx);
    expect(f?.functionAt("drivers/frob/core.c", 9)?.name).toBe("frob_io");
    expect(f?.pre).toBe(null);
    expect(getFacts({ preImage: () => undefined, postImage: () => undefined })).toBe(null);
  });
});

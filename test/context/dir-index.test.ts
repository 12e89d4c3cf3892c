// A patch's changed files laid over the cached index of a directory give the same index a full rebuild gives:
// the same definitions, callers, registrations and names used as values, in the same order.
import { describe, expect, it } from "vitest";
import { scanFile } from "../../src/context/c-scan.js";
import { indexDirectory, overlayIndex, type DirIndex, type KeyMap } from "../../src/context/reclaim.js";

const a = `static int omega_map(struct omega *o)\n{\n\treturn omega_lookup(o, 1);\n}\n\nint omega_lookup(struct omega *o, int n)\n{\n\treturn omega_walk(o, n);\n}\n`;
const b1 = `int omega_walk(struct omega *o, int n)\n{\n\tomega_lookup(o, n - 1);\n\treturn omega_touch(o);\n}\n\nstatic const struct omega_ops ops = {\n\t.map = omega_map,\n};\n`;
const b2 = `int omega_walk(struct omega *o, int n)\n{\n\tmutex_lock(&o->lock);\n\tomega_touch(o);\n\tmutex_unlock(&o->lock);\n\treturn omega_lookup(o, n);\n}\n\nvoid omega_kick(struct omega *o)\n{\n\tqueue_work(o->wq, &o->work);\n\tomega_register(omega_walk);\n}\n`;
const c = `void omega_touch(struct omega *o)\n{\n\tomega_lookup(o, 0);\n}\n`;

/** Every key of the full indexes, read through `get` (an overlay is a layer, not a Map). */
function shape(i: DirIndex, keys: DirIndex[]) {
  const all = <T>(pick: (x: DirIndex) => KeyMap<T>) => [...new Set(keys.flatMap((k) => [...(pick(k) as unknown as Map<string, T>).keys()]))].sort();
  const rows = <T extends { file: string }>(pick: (x: DirIndex) => KeyMap<T[]>, f: (x: T) => string) => all(pick).map((k) => [k, (pick(i).get(k) ?? []).map(f)] as const);
  return {
    defs: rows((x) => x.defs, (x) => `${x.file}:${x.fn.name}`),
    callers: rows((x) => x.callers, (x) => `${x.file}:${x.fn.name}:${x.line}`),
    ops: rows((x) => x.opsByFn, (x) => `${x.file}:${x.field}`),
    refs: all((x) => x.valueRefs).map((k) => [k, i.valueRefs.get(k) ?? 0] as const),
  };
}

describe("overlayIndex", () => {
  const files = ["d/a.c", "d/b.c", "d/c.c"];
  const before = new Map([["d/a.c", scanFile(a)], ["d/b.c", scanFile(b1)], ["d/c.c", scanFile(c)]]);
  const after = new Map([...before, ["d/b.c", scanFile(b2)]]);

  it("equals a full index of the new scans, in file order", () => {
    const base = indexDirectory(files, before, true);
    const full = indexDirectory(files, after, true);
    expect(shape(overlayIndex(base, after, ["d/b.c"]), [base, full])).toEqual(shape(full, [base, full]));
  });

  it("leaves the index it was laid over as it was", () => {
    const base = indexDirectory(files, before, true);
    const full = indexDirectory(files, after, true);
    const was = shape(base, [base, full]);
    overlayIndex(base, after, ["d/b.c"]);
    expect(shape(base, [base, full])).toEqual(was);
  });
});

// tree-sitter C through web-tree-sitter and the wasm shipped in tree-sitter-c.
// Initialised once (async); after that, parsing is synchronous so the pure
// review stays sync. Kernel annotations are blanked to the same length first,
// so offsets and line numbers stay those of the real text.
import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";
import type { Node, Parser, Point, Tree } from "web-tree-sitter";

let parser: Parser | null = null;
let initing: Promise<void> | null = null;

/**
 * Inputs up to this size are a short run: the grammar's wasm is compiled once
 * by V8's baseline compiler (Liftoff) and never re-compiled by the optimising
 * one. Optimising the grammar costs 150-200 ms of CPU on background threads,
 * and a process that ends soon after waits for it at exit; it pays off from a
 * few megabytes of C (an mbox, a bot), where the parse is ~10% faster.
 */
export const SHORT_RUN_BYTES = 4 << 20;

/**
 * Says that this process reviews `bytes` of input and ends (the command line):
 * a short run keeps the grammar on baseline code. Only before the grammar is
 * loaded (a V8 flag read when wasm is compiled); later calls change nothing.
 */
export function expectInput(bytes: number): void {
  if (parser || initing || bytes > SHORT_RUN_BYTES) return;
  setFlagsFromString("--liftoff-only");
}

/** Loads the C grammar once; later calls return the same promise. */
export function initParser(): Promise<void> {
  if (parser) return Promise.resolve();
  if (!initing) {
    initing = (async () => {
      const require = createRequire(import.meta.url);
      // imported here, not at the top: reviewing a patch without --tree must not load it
      const { Language, Parser } = await import("web-tree-sitter");
      await Parser.init();
      const lang = await Language.load(require.resolve("tree-sitter-c/tree-sitter-c.wasm"));
      const p = new Parser();
      p.setLanguage(lang);
      parser = p;
    })();
    initing.catch(() => {
      initing = null;
    });
  }
  return initing;
}

export function parserReady(): boolean {
  return parser !== null;
}

/** Keywords that take no argument and only confuse the C grammar. */
const BARE = [
  "__init", "__exit", "__initdata", "__exitdata", "__initconst", "__cold", "__hot", "noinline", "__always_inline",
  "__maybe_unused", "__always_unused", "__rcu", "__user", "__iomem", "__percpu", "__bitwise", "__force",
  "__must_check", "__noreturn", "__weak", "__pure", "__ref", "__refdata", "__read_mostly", "__ro_after_init",
  "__latent_entropy", "__visible", "notrace", "__sched", "__net_init", "__net_exit", "__devinit", "__kprobes",
  "__noinline_for_stack", "noinline_for_stack", "__flatten", "__packed", "__cacheline_aligned",
  "____cacheline_aligned", "____cacheline_aligned_in_smp", "__cacheline_aligned_in_smp", "__used", "__nocast",
  "__safe", "__private", "__no_kcsan", "__no_sanitize_address", "asmlinkage", "__lockfunc", "__releases_shared",
];
/** Annotations that take a parenthesised argument. */
const CALLISH = [
  "__must_hold", "__acquires", "__releases", "__acquire", "__release", "__cond_lock", "__attribute__",
  "__printf", "__scanf", "__aligned", "__section", "__counted_by", "__guarded_by", "__pt_guarded_by",
  "__alloc_size", "__diagnose_as", "__nonstring", "__malloc", "__assume_aligned", "__cleanup", "__free",
  "__acquires_shared", "__must_hold_shared", "__no_sanitize_or_inline", "__designated_init",
];

const BARE_RE = new RegExp(`\\b(?:${BARE.join("|")})\\b`, "g");
const CALLISH_RE = new RegExp(`\\b(?:${CALLISH.join("|")})\\s*\\(`, "g");

const blank = (s: string) => s.replace(/[^\n]/g, " ");

/**
 * Replaces kernel annotations with spaces of the same length (newlines kept),
 * so the C grammar sees plain C and every offset stays where it was.
 */
export function blankAnnotations(text: string): string {
  let out = text.replace(BARE_RE, blank);
  if (!/__|\battribute/.test(out)) return out;
  CALLISH_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  const parts: string[] = [];
  let last = 0;
  while ((m = CALLISH_RE.exec(out))) {
    // __free(kfree) in a declaration is an attribute too; a call "__release(x);" inside a body is blanked as well,
    // which only hides a sparse annotation
    let depth = 0;
    let i = m.index + m[0].length - 1;
    for (; i < out.length; i++) {
      const c = out[i];
      if (c === "(") depth++;
      else if (c === ")" && --depth === 0) break;
    }
    if (i >= out.length) break;
    parts.push(out.slice(last, m.index), blank(out.slice(m.index, i + 1)));
    last = i + 1;
    CALLISH_RE.lastIndex = i + 1;
  }
  if (parts.length === 0) return out;
  parts.push(out.slice(last));
  out = parts.join("");
  return out;
}

/** Parses C text (annotations blanked). Throws when initParser() was not awaited. The caller deletes the tree. */
/** Parses done and bytes parsed (for benchmarks). */
export const PARSE_STATS = { parses: 0, bytes: 0 };

export function parseC(text: string): Tree {
  PARSE_STATS.parses++;
  PARSE_STATS.bytes += text.length;
  if (!parser) throw new Error("C parser not initialised: await initParser() first");
  const tree = parser.parse(blankAnnotations(text));
  if (!tree) throw new Error("tree-sitter returned no tree");
  return tree;
}

/**
 * One function's syntax tree as the path walk reads it, asking the parser
 * each thing once. web-tree-sitter answers every property of a node
 * (`type`, a field, `parent`, the end) with a call into wasm and a new node
 * object, and `descendantsOfType()` first maps type names to symbols by
 * scanning the grammar's ~360 names: the walk, which asks the same nodes again
 * from statement to statement, spent most of its time there. Here a node
 * keeps what it was told; `descendantsOfType()` is answered from one search
 * over the whole function per set of types, narrowed to the node's span (a
 * candidate that only touches the span's ends is checked through its
 * parents). The answers are those of the parser's own nodes; the wrappers
 * live as long as the tree (the caller deletes it).
 */
export function memoTree(root: Node): Node {
  delegateTheRest(Object.getPrototypeOf(root) as object);
  const ctx: MemoCtx = { root: null as unknown as MemoNode, found: new Map() };
  ctx.root = new MemoNode(root, ctx, undefined);
  return ctx.root as unknown as Node;
}

interface MemoCtx {
  root: MemoNode;
  /** descendantsOfType(types) of the root, in the parser's order (preorder), by types. */
  found: Map<string, MemoNode[]>;
}

/**
 * The sets of types asked for so far (a walk asks the same few of every
 * function): the first search in a function looks for all of them at once and
 * each set's answer is that list filtered by type, the parser's order kept.
 */
const typeSets = new Map<string, ReadonlySet<string>>();
const MAX_TYPE_SETS = 16;

const UNSET = Symbol("unset");

let delegated = false;

/**
 * What MemoNode does not answer itself (siblings, flags, queries...) is asked
 * of the parser's node: a walk that starts reading another property gets the
 * parser's answer, never undefined.
 */
function delegateTheRest(proto: object): void {
  if (delegated) return;
  delegated = true;
  const own = new Set(Object.getOwnPropertyNames(MemoNode.prototype));
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (own.has(name) || name === "constructor") continue;
    const d = Object.getOwnPropertyDescriptor(proto, name)!;
    if (d.get) Object.defineProperty(MemoNode.prototype, name, { get(this: MemoNode) { return (this.raw as unknown as Record<string, unknown>)[name]; } });
    else if (typeof d.value === "function")
      Object.defineProperty(MemoNode.prototype, name, { value(this: MemoNode, ...args: unknown[]) { return (d.value as (...a: unknown[]) => unknown).apply(this.raw, args); } });
  }
}

class MemoNode {
  readonly id: number;
  readonly startIndex: number;
  readonly startPosition: Point;
  readonly tree: Tree;
  private _type: string | undefined;
  private _text: string | undefined;
  private _endIndex: number | undefined;
  private _endPosition: Point | undefined;
  private _children: (MemoNode | null)[] | undefined;
  private _named: (MemoNode | null)[] | undefined;
  private _parent: MemoNode | null | typeof UNSET;
  private _field: Map<string, MemoNode | null> | undefined;
  private _fields: Map<string, MemoNode[]> | undefined;

  constructor(
    readonly raw: Node,
    /** null above the root (its parents): those are answered by the parser. */
    private readonly ctx: MemoCtx | null,
    parent: MemoNode | null | undefined,
  ) {
    this.id = raw.id;
    this.startIndex = raw.startIndex;
    this.startPosition = raw.startPosition;
    this.tree = raw.tree;
    this._parent = parent === undefined ? UNSET : parent;
  }

  wrap(n: Node | null, parent?: MemoNode): MemoNode | null {
    return n ? new MemoNode(n, this.ctx, parent) : null;
  }

  /** A child the parser returned by field: the wrapper already made for it, if any. */
  private own(n: Node | null): MemoNode | null {
    if (!n) return null;
    for (const list of [this._named, this._children]) if (list) for (const c of list) if (c && c.id === n.id && c.startIndex === n.startIndex) return c;
    return this.wrap(n, this);
  }

  get type(): string {
    return (this._type ??= this.raw.type);
  }
  get text(): string {
    return (this._text ??= this.raw.text);
  }
  get endIndex(): number {
    return (this._endIndex ??= this.raw.endIndex);
  }
  get endPosition(): Point {
    return (this._endPosition ??= this.raw.endPosition);
  }
  get children(): (MemoNode | null)[] {
    return (this._children ??= this.raw.children.map((c) => this.wrap(c, this)));
  }
  get namedChildren(): (MemoNode | null)[] {
    if (this._named) return this._named;
    const named = this.raw.namedChildren;
    // the named children are among the children: the same wrappers when those were asked for
    const all = this._children;
    if (!all) return (this._named = named.map((n) => this.wrap(n, this)));
    let j = 0;
    this._named = named.map((n) => {
      if (!n) return null;
      while (j < all.length && !(all[j] && all[j]!.id === n.id && all[j]!.startIndex === n.startIndex)) j++;
      return j < all.length ? all[j++]! : this.wrap(n, this);
    });
    return this._named;
  }
  get parent(): MemoNode | null {
    if (this._parent !== UNSET) return this._parent;
    const p = this.raw.parent;
    // above the root the parser answers (a walk may look at what contains the function)
    this._parent = p ? new MemoNode(p, this.ctx && this !== this.ctx.root ? this.ctx : null, undefined) : null;
    return this._parent;
  }
  childForFieldName(name: string): MemoNode | null {
    const m = (this._field ??= new Map());
    let v = m.get(name);
    if (v === undefined) m.set(name, (v = this.own(this.raw.childForFieldName(name))));
    return v;
  }
  childrenForFieldName(name: string): (MemoNode | null)[] {
    const m = (this._fields ??= new Map());
    let v = m.get(name);
    if (v === undefined) m.set(name, (v = this.raw.childrenForFieldName(name).map((n) => this.own(n)!).filter((x) => x !== null)));
    return v;
  }
  get childCount(): number {
    return this.children.length;
  }
  get namedChildCount(): number {
    return this.namedChildren.length;
  }
  child(i: number): MemoNode | null {
    return this.children[i] ?? null;
  }
  namedChild(i: number): MemoNode | null {
    return this.namedChildren[i] ?? null;
  }
  get firstChild(): MemoNode | null {
    return this.child(0);
  }
  get lastChild(): MemoNode | null {
    return this.child(this.children.length - 1);
  }
  get firstNamedChild(): MemoNode | null {
    return this.namedChild(0);
  }
  get lastNamedChild(): MemoNode | null {
    return this.namedChild(this.namedChildren.length - 1);
  }
  get hasError(): boolean {
    return this.raw.hasError;
  }
  get isNamed(): boolean {
    return this.raw.isNamed;
  }
  get isMissing(): boolean {
    return this.raw.isMissing;
  }
  get isError(): boolean {
    return this.raw.isError;
  }
  equals(other: { id: number; tree: Tree }): boolean {
    return this.tree === other.tree && this.id === other.id;
  }
  toString(): string {
    return this.raw.toString();
  }

  descendantsOfType(types: string | string[], startPosition?: Point, endPosition?: Point): MemoNode[] {
    const list = Array.isArray(types) ? types : [types];
    if (!this.ctx || startPosition || endPosition) return this.raw.descendantsOfType(list, startPosition, endPosition).map((n) => this.wrap(n)!).filter((x) => x !== null);
    const ctx = this.ctx;
    const key = list.join("\0");
    let all = ctx.found.get(key);
    if (!all) {
      const first = ctx.found.size === 0;
      // (not "ERROR": the parser's search stops matching other types when ERROR is among them)
      if (!typeSets.has(key) && typeSets.size < MAX_TYPE_SETS && !list.includes("ERROR")) typeSets.set(key, new Set(list));
      if (first && typeSets.has(key) && typeSets.size > 1) {
        // one search for every set known, split by type
        const union = [...new Set([...typeSets.values()].flatMap((t) => [...t]))];
        const found = ctx.root.raw.descendantsOfType(union).map((n) => ctx.root.wrap(n)!).filter((x) => x !== null);
        for (const [k, t] of typeSets) ctx.found.set(k, found.filter((x) => t.has(x.type)));
        all = ctx.found.get(key)!;
      } else ctx.found.set(key, (all = ctx.root.raw.descendantsOfType(list).map((n) => this.wrap(n)!).filter((x) => x !== null)));
    }
    if (this === ctx.root) return [...all];
    // preorder: start indexes never decrease; the first candidate by binary search
    const start = this.startIndex;
    const end = this.endIndex;
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (all[mid]!.startIndex < start) lo = mid + 1;
      else hi = mid;
    }
    const out: MemoNode[] = [];
    for (let i = lo; i < all.length; i++) {
      const x = all[i]!;
      if (x.startIndex > end) break;
      const xs = x.startIndex;
      const xe = x.endIndex;
      if (xe > end) continue;
      // siblings' spans follow each other, so a node within the span is a descendant, unless it has the same span
      // (this node, or a parent or child of the same extent) or is empty at one of its ends: those ask the parents
      const sure = xs === start && xe === end ? false : xs === xe ? xs > start && xs < end : true;
      if (sure || this.isAncestorOf(x)) out.push(x);
    }
    return out;
  }

  /** Whether this node is x or one of x's parents (asked of the parser). */
  private isAncestorOf(x: MemoNode): boolean {
    if (x.id === this.id && x.startIndex === this.startIndex) return true;
    for (let p = x.raw.parent; p; p = p.parent) {
      if (p.id === this.id && p.startIndex === this.startIndex) return true;
      if (p.startIndex < this.startIndex || p.endIndex > this.endIndex) return false;
    }
    return false;
  }
}

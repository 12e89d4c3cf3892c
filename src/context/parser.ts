// tree-sitter C through web-tree-sitter and the wasm shipped in tree-sitter-c.
// Initialised once (async); after that, parsing is synchronous so the pure
// review stays sync. Kernel annotations are blanked to the same length first,
// so offsets and line numbers stay those of the real text.
import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";
import type { Parser, Tree } from "web-tree-sitter";

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


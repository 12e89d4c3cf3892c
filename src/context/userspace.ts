// Userspace IO servers: whether a source file is userspace code or kernel
// code (judged from what the text shows: libc headers and main() against
// module macros and kernel-only APIs), where it starts serving block or
// filesystem IO (the uapi commands, device nodes and library loops of the
// vocabulary), and its prctl(PR_SET_IO_FLUSHER, ...) calls with their
// arguments. Pure over texts; the rules decide what to say.
import { USERSPACE_IO_DEVICES, USERSPACE_IO_LIBRARIES, USERSPACE_IO_SERVERS, USERSPACE_THREAD_CALLS } from "../vocab/kernel-api.js";
import { callArguments, stripLine } from "./c-lines.js";

export type CodeSide = "userspace" | "kernel" | null;

const MODULE_MARKERS = /#\s*include\s*<linux\/module\.h>|\bMODULE_LICENSE\s*\(|\bEXPORT_SYMBOL(?:_GPL)?\s*\(|\bmodule_init\s*\(|\buse\s+kernel::/;
const USER_MARKERS =
  /#\s*include\s*<(?:sys\/|stdio\.h|stdlib\.h|unistd\.h|string\.h|fcntl\.h|errno\.h|pthread\.h|signal\.h|poll\.h|liburing\.h|stdint\.h)|\bint\s+main\s*\(|\b(?:malloc|calloc|printf|fprintf|perror|pthread_create)\s*\(|\blibc::|\bnix::|\bstd::(?:fs|thread|io|os)\b|golang\.org\/x\/sys\/unix|\bunix\.\w+\s*\(/;
const KERNEL_API = /\bGFP_KERNEL\b|\bprintk\s*\(|\bkmalloc\s*\(|\bkzalloc\s*\(|\b__init\b|\bcopy_from_user\s*\(/;

/** Kernel or userspace, from the text shown (a whole file, or the lines a diff shows); null when nothing tells. */
export function codeSide(path: string, text: string): CodeSide {
  if (MODULE_MARKERS.test(text)) return "kernel";
  if (/\.(?:cc|cpp|cxx|hh|hpp|go)$/.test(path)) return "userspace";
  if (USER_MARKERS.test(text)) return "userspace";
  if (/\.rs$/.test(path)) return /\bkernel::/.test(text) ? "kernel" : "userspace";
  if (KERNEL_API.test(text)) return "kernel";
  return null;
}

export interface ServingEntry {
  /** The vocabulary word or device node (an ioctl number or a device node of the vocabulary). */
  marker: string;
  /** How the vocabulary names what the process serves. */
  what: string;
}

/**
 * Where a line starts or runs serving block/filesystem IO: a uapi command or
 * library loop used (not a case label, a comparison or a definition: that is
 * the kernel side handling it), or a server device node opened.
 */
export function servingEntryOn(raw: string): ServingEntry | null {
  for (const [dev, d] of Object.entries(USERSPACE_IO_DEVICES)) if (raw.includes(`"${dev}"`)) return { marker: dev, what: d.what };
  const code = stripLine(raw);
  if (/^\s*#\s*define\b|^\s*case\b/.test(code)) return null;
  for (const m of code.matchAll(/[A-Za-z_]\w*/g)) {
    const id = m[0];
    const hit = USERSPACE_IO_SERVERS[id] ?? USERSPACE_IO_LIBRARIES[id];
    if (!hit) continue;
    // a comparison against the command is its handler, not its user
    if (/[=!]=\s*(?:\w+(?:::|\.))?$/.test(code.slice(0, m.index)) || /^\s*[=!]=/.test(code.slice(m.index + id.length))) continue;
    return { marker: id, what: hit.what };
  }
  return null;
}

export interface FlusherCall {
  /** Arguments after PR_SET_IO_FLUSHER. */
  rest: string[];
  /** arg2 literally 1 (sets), 0 (clears), or something else. */
  arg2: "set" | "clear" | "other" | "variable";
}

const ZERO = /^\(?\s*(?:0|0x0|0[uUlL]+|false)\s*\)?(?:\s+as\s+\w+)?$/;
const ONE = /^\(?\s*(?:1|0x1|1[uUlL]+|true)\s*\)?(?:\s+as\s+\w+)?$/;
const LITERAL = /^\(?\s*(?:\d+|0x[0-9a-fA-F]+)[uUlL]*\s*\)?(?:\s+as\s+\w+)?$/;
const CALL = /\b(?:prctl|Prctl)\s*\(/g;

export function isZeroArg(a: string): boolean {
  return ZERO.test(a);
}
export function isLiteralArg(a: string): boolean {
  return LITERAL.test(a);
}

/** The prctl(PR_SET_IO_FLUSHER, ...) call in a statement's code (C, Rust libc::prctl, Go unix.Prctl), or null. */
export function flusherCallIn(code: string): FlusherCall | null {
  CALL.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CALL.exec(code))) {
    const args = callArguments(code, m.index + m[0].length - 1);
    if (!args || !/\bPR_SET_IO_FLUSHER$/.test(args[0] ?? "")) continue;
    const rest = args.slice(1);
    const a2 = rest[0];
    const arg2 = a2 === undefined ? "other" : ZERO.test(a2) ? "clear" : ONE.test(a2) ? "set" : LITERAL.test(a2) ? "other" : "variable";
    return { rest, arg2 };
  }
  return null;
}

/** A thread-creating call on a line, with its start routine. */
export function threadCreateOn(code: string): { call: string; fn: string | null } | null {
  for (const m of code.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) {
    const t = USERSPACE_THREAD_CALLS[m[1]!];
    if (!t) continue;
    const args = callArguments(code, m.index + m[0].length - 1);
    const fn = args?.[t.fnArg]?.replace(/^&\s*/, "").trim() ?? null;
    return { call: m[1]!, fn: fn && /^[A-Za-z_]\w*$/.test(fn) ? fn : null };
  }
  return null;
}

/** Every prctl(PR_SET_IO_FLUSHER, ...) call of a text (comments and strings aside), with its line (1-based from `firstLine`). */
export function flusherCallsIn(text: string, firstLine = 1): { line: number; call: FlusherCall }[] {
  if (!text.includes("PR_SET_IO_FLUSHER")) return [];
  const state = { inComment: false };
  const lines = text.split("\n").map((l) => stripLine(l, state));
  const code = lines.join("\n");
  const out: { line: number; call: FlusherCall }[] = [];
  const re = /\b(?:prctl|Prctl)\s*\(/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(code))) {
    const call = flusherCallIn(code.slice(m.index, m.index + 400).replace(/\n/g, " "));
    if (!call) continue;
    let line = firstLine;
    for (let i = 0; i < m.index; i++) if (code.charCodeAt(i) === 10) line++;
    out.push({ line, call });
  }
  return out;
}

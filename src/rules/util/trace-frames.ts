// Call traces quoted in commit messages: frames in order, innermost first
// (as the kernel prints them).
export interface Frame {
  name: string;
  /** Module in brackets after the frame, if any ("foo_mod"). */
  module: string | null;
  /** 0-based line of the message it came from. */
  line: number;
}

// "foo+0x1a/0x40", "? foo+0x1a/0x40" (unreliable: skipped), "#9 [ffff...] foo at ffff..."
const OFFSET_FRAME = /(\?\s+)?\b([A-Za-z_][\w.]*)\+0x[0-9a-fA-F]+\/0x[0-9a-fA-F]+(?:\s+\[([\w-]+)\])?/g;
const CRASH_FRAME = /#\d+\s+\[[0-9a-fA-F]+\]\s+([A-Za-z_][\w.]*)\s+at\s+[0-9a-fA-F]+(?:\s+\[([\w-]+)\])?/g;
// a frame the compiler inlined, as syzbot and decode_stacktrace.sh print it: "foo fs/bar/baz.c:123 [inline]"
const INLINE_FRAME = /^\s*(?:\[[\s\d.]+\]\s*)?([A-Za-z_][\w.]*)\s+[\w./-]+\.[chS]:\d+\s+\[inline\]\s*$/;
const NOISE_LINE = /^\s*(?:\[[\s\d.]+\]\s*)?(?:<\/?(?:TASK|IRQ|NMI|EOI)>|Call Trace:|call trace:|Call trace:|\.\.\.|<-snip->)?\s*$/;

/** A frame's function without the compiler's clone suffixes (`foo.isra.3`, `iput.part.0` -> the function). */
const frameName = (raw: string) => raw.replace(/\.(?:isra|constprop|part|cold)\b.*$/, "");

function framesOn(text: string, lineNo: number): Frame[] {
  const out: Frame[] = [];
  let m: RegExpExecArray | null;
  OFFSET_FRAME.lastIndex = 0;
  while ((m = OFFSET_FRAME.exec(text))) {
    if (m[1]) continue; // "? frame": unreliable
    out.push({ name: frameName(m[2]!), module: m[3] ?? null, line: lineNo });
  }
  if (out.length > 0) return out;
  const inl = INLINE_FRAME.exec(text);
  if (inl) return [{ name: frameName(inl[1]!), module: null, line: lineNo }];
  CRASH_FRAME.lastIndex = 0;
  while ((m = CRASH_FRAME.exec(text))) out.push({ name: m[1]!, module: m[2] ?? null, line: lineNo });
  return out;
}

/**
 * The traces of a message: runs of consecutive lines that carry frames
 * (blank lines, "Call Trace:", "<TASK>" and similar markers do not break a
 * run; any other line does). Mail quoting ("> ") is removed first.
 */
export function parseTraces(message: string): Frame[][] {
  const traces: Frame[][] = [];
  let cur: Frame[] = [];
  const lines = message.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.replace(/^(?:\s*>)+/, "");
    const frames = framesOn(text, i);
    if (frames.length > 0) {
      cur.push(...frames);
      continue;
    }
    if (NOISE_LINE.test(text) && cur.length > 0) continue;
    if (cur.length > 0) traces.push(cur);
    cur = [];
  }
  if (cur.length > 0) traces.push(cur);
  return traces;
}

export interface ReclaimChain {
  alloc: Frame;
  /** The first frame outside the allocator (who allocated), if shown. */
  caller: Frame | null;
  reclaim: Frame;
  wait: Frame;
  trace: Frame[];
}

/**
 * In one trace (innermost first) find wait < reclaim < alloc by index: an
 * allocation that entered reclaim that waits on IO or a filesystem.
 */
export function findReclaimChain(
  trace: Frame[],
  isAlloc: (n: string) => boolean,
  isReclaim: (n: string) => boolean,
  isWait: (n: string) => boolean,
): ReclaimChain | null {
  const w = trace.findIndex((f) => isWait(f.name));
  if (w < 0) return null;
  let r = -1;
  for (let i = w + 1; i < trace.length; i++)
    if (isReclaim(trace[i]!.name)) {
      r = i;
      break;
    }
  if (r < 0) return null;
  let a = -1;
  for (let i = r + 1; i < trace.length; i++)
    if (isAlloc(trace[i]!.name)) {
      a = i;
      // walk out to the outermost consecutive allocator frame
      while (a + 1 < trace.length && isAlloc(trace[a + 1]!.name)) a++;
      break;
    }
  if (a < 0) return null;
  // the reclaim frame reported is the outermost one below the allocation
  let ro = r;
  for (let i = r; i < a; i++) if (isReclaim(trace[i]!.name)) ro = i;
  // the wait reported is the outermost one below the reclaim frame (the filesystem's or driver's own wait)
  let wo = w;
  for (let i = w; i < r; i++) if (isWait(trace[i]!.name)) wo = i;
  return { alloc: trace[a]!, caller: trace[a + 1] ?? null, reclaim: trace[ro]!, wait: trace[wo]!, trace };
}

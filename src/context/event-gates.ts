// Lexical gates: which fragments of a diff can hold an event of a kind at
// all. An event's callee is an identifier of the fragment's text (flow.ts
// reads it from the parse of that text; blanking annotations only turns
// words into spaces), and classifyCall() gives a kind only to callees the
// vocabulary lists. So a fragment whose text names none of a kind's callees
// holds no event of that kind, and need not be parsed or walked to find one.
// The word lists are the vocabulary's own tables, never a copy.
import { COMPLETION_SIGNALS, FLUSH_CALLS, QUEUE_CALLS, SYSTEM_QUEUES, WAIT_CALLS, WORK_INITS, WQ_CONSTRUCTORS } from "../vocab/kernel-api.js";

/** A whole-word test for any of `ws` (letters, digits and _ only, so no escaping is needed; checked). */
export function wordsRe(ws: readonly string[]): RegExp {
  const list = [...new Set(ws)];
  for (const w of list) if (!/^[A-Za-z_]\w*$/.test(w)) throw new Error(`event gate: not an identifier: ${w}`);
  // no word: matches nothing
  return list.length === 0 ? /(?!)/ : new RegExp(`\\b(?:${list.join("|")})\\b`);
}

/** The event kinds a gate exists for, and the callees that give each (from the vocabulary). */
export const GATE_WORDS = {
  /** alloc_workqueue() & co. */
  "wq-alloc": Object.keys(WQ_CONSTRUCTORS),
  /** queue_work() & co. */
  queue: Object.keys(QUEUE_CALLS),
  /** flush_work(), cancel_work_sync(), flush_workqueue() & co. */
  flush: Object.keys(FLUSH_CALLS),
  /** INIT_WORK() & co. */
  "work-init": Object.keys(WORK_INITS),
  /** wait_for_completion() & co. (waits on a completion) */
  "completion-wait": Object.entries(WAIT_CALLS).filter(([, w]) => w.kind === "completion").map(([n]) => n),
  /** complete() & co. */
  "completion-signal": Object.keys(COMPLETION_SIGNALS),
  /**
   * A queueing whose queue is a system queue: a queue call without a queue
   * argument (its queue is the vocabulary's), or a system queue named as the
   * queue argument (the key of an expression is its last identifier).
   */
  "system-queue": [...Object.entries(QUEUE_CALLS).filter(([, q]) => q.queueArg < 0).map(([n]) => n), ...Object.keys(SYSTEM_QUEUES)],
} as const satisfies Record<string, readonly string[]>;

export type GateKind = keyof typeof GATE_WORDS;

export const GATES: Readonly<Record<GateKind, RegExp>> = Object.fromEntries(Object.entries(GATE_WORDS).map(([k, ws]) => [k, wordsRe(ws)])) as Record<GateKind, RegExp>;

/** `container_of(work, struct x, member)` in a function given a work_struct: the binding of a work function. */
export const CONTAINER_OF_WORK = (text: string): boolean => GATE_SWITCH.open || (text.includes("container_of") && text.includes("work_struct"));

/**
 * The gates can be opened (every text passes) to check that they change no
 * finding: test/context/event-gates.test.ts reviews the same patches both ways.
 */
export const GATE_SWITCH = { open: false };

/** Whether a text may hold an event of one of `kinds`. */
export function mayHold(text: string, kinds: readonly GateKind[]): boolean {
  if (GATE_SWITCH.open) return true;
  for (const k of kinds) if (GATES[k].test(text)) return true;
  return false;
}

const mentionRes = new Map<string, RegExp>();

/**
 * Whether `text` may be where a name an event carries came from: the name's
 * characters in order, whitespace allowed between any two of them (event
 * arguments are read with whitespace collapsed, keys with it removed), as a
 * whole word where the name starts or ends with a word character. A fragment
 * that fails this does not hold the name.
 */
export function mentions(text: string, name: string): boolean {
  if (GATE_SWITCH.open) return true;
  let re = mentionRes.get(name);
  if (!re) {
    const chars = [...name.replace(/\s+/g, "")];
    if (chars.length === 0) return true;
    const body = chars.map((c) => c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("\\s*");
    // (an argument is cut at 200 characters: a name that long may end inside a word)
    const head = /^\w/.test(chars[0]!) ? "\\b" : "";
    const tail = /\w$/.test(chars[chars.length - 1]!) && name.length < 190 ? "\\b" : "";
    re = new RegExp(head + body + tail);
    if (mentionRes.size >= 1024) mentionRes.clear();
    mentionRes.set(name, re);
  }
  return re.test(text);
}

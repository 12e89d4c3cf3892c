// The body of a patch mail, laid out the way b4's get_body_parts reads it:
// the signature is cut at the last "\n-- \n", the commit message ends at the
// first "---" line when a diff follows (else at the diff itself), and
// everything from the first diff header on is the diff.

export interface BodyParts {
  /** Commit message (trailers kept), trimmed. */
  message: string;
  /** Text between "---" and the diff: diffstat, version notes. */
  below: string;
  /** From the first diff header to the signature, or null when there is no diff. */
  diff: string | null;
  /** Number of lines before `diff` in the (signature-cut) text. */
  diffLine: number;
}

/** Where the diff starts: a file header of some kind, or a bare hunk. */
const DIFF_CANDIDATE = /^(?:diff --git |diff -|Index: |--- |@@ -\d)/gm;

function nextLine(text: string, at: number): string {
  const nl = text.indexOf("\n", at);
  if (nl < 0) return "";
  const end = text.indexOf("\n", nl + 1);
  return text.slice(nl + 1, end < 0 ? text.length : end);
}

/**
 * Offset of the first line that starts a diff, or -1. With `bareHunks`
 * false a hunk without file headers does not count (a reply quoting a
 * snippet of code in hunk form is not a patch).
 */
export function findDiffStart(text: string, bareHunks = true): number {
  DIFF_CANDIDATE.lastIndex = 0;
  for (let m = DIFF_CANDIDATE.exec(text); m; m = DIFF_CANDIDATE.exec(text)) {
    const at = m.index;
    const tok = m[0];
    if (tok === "diff --git ") return at;
    if (tok.startsWith("@@ -")) {
      if (bareHunks) return at;
      continue;
    }
    if (tok === "diff -") {
      // "diff -u a b" / "diff -urN a b" followed by file headers
      const next = nextLine(text, at);
      if (next.startsWith("--- ") || next.startsWith("Only in") || next.startsWith("Binary files")) return at;
      continue;
    }
    if (tok === "Index: ") {
      if (/^={20,}$/.test(nextLine(text, at))) return at;
      continue;
    }
    // "--- x" needs "+++ y" right after it (a bare "---" separator has no space)
    if (tok === "--- " && nextLine(text, at).startsWith("+++ ")) return at;
  }
  return -1;
}

/**
 * Cuts a "-- " signature: at the first "-- " line no diff follows (git's, before the version line, when the mail
 * client adds a signature of its own below it), unless what follows it is still diff (a removed "- " line).
 */
export function cutSignature(text: string): string {
  if (text.startsWith("-- \n") && !/^(?:@@ -|diff --git )/m.test(text)) return "";
  for (let sig = text.indexOf("\n-- \n"); sig >= 0; sig = text.indexOf("\n-- \n", sig + 1)) {
    if (!/^(?:@@ -|diff --git )/m.test(text.slice(sig + 5))) return text.slice(0, sig + 1);
  }
  if (text.endsWith("\n-- ")) return text.slice(0, text.length - 3);
  return cutTrimmedSignature(text);
}

/**
 * git format-patch's signature ("-- " and git's version) whose trailing space a
 * mail client trimmed: "--" counts only when the line after it is a version
 * ("2.25.1", "2.39.2.windows.1") and no diff follows; anywhere else "--" is a
 * removed "-" line.
 */
function cutTrimmedSignature(text: string): string {
  const sig = text.lastIndexOf("\n--\n");
  if (sig < 0) return text;
  const rest = text.slice(sig + 4);
  if (!/^\d+(?:\.\d+)+\S*[ \t]*(?:\n|$)/.test(rest) || /^(?:@@ -|diff --git |[-+ ])/m.test(rest.slice(rest.indexOf("\n") + 1))) return text;
  return text.slice(0, sig + 1);
}

const SEPARATOR = /^---[ \t]*$/m;

export function splitBody(body: string, bareHunks = true): BodyParts {
  const text = cutSignature(body);
  const start = findDiffStart(text, bareHunks);
  const head = start < 0 ? text : text.slice(0, start);
  let message = head;
  let below = "";
  const sep = SEPARATOR.exec(head);
  if (sep) {
    message = head.slice(0, sep.index);
    below = head.slice(sep.index + sep[0].length);
  }
  let diffLine = 0;
  if (start > 0) for (let i = text.indexOf("\n"); i >= 0 && i < start; i = text.indexOf("\n", i + 1)) diffLine++;
  return {
    message: trimBlock(message),
    below: trimBlock(below),
    diff: start < 0 ? null : text.slice(start),
    diffLine,
  };
}

/** Trims blank lines at both ends and trailing spaces on the last line. */
export function trimBlock(s: string): string {
  return s.replace(/^(?:[ \t]*\n)+/, "").replace(/\s+$/, "");
}

/** Drops `git diff --stat` lines ("path | 3 ++-", "1 file changed, ..."). */
export function stripDiffstat(s: string): string {
  return s
    .split("\n")
    .filter((l) => !/^ \S.*\|\s+(?:\d+(?: [+-]*)?|Bin\b.*)$/.test(l) && !/^ \d+ files? changed(?:,|$)/.test(l))
    .join("\n");
}

/** In-body "From:"/"Subject:"/"Date:" lines at the top of a message (git am reads them). */
export interface InBody {
  from: string | null;
  subject: string | null;
  date: string | null;
  rest: string;
}

export function inBodyHeaders(message: string): InBody {
  const out: InBody = { from: null, subject: null, date: null, rest: message };
  const m = /^((?:(?:From|Subject|Date): [^\n]*\n)+)(?:[ \t]*\n|$)/.exec(message + "\n");
  if (!m) return out;
  for (const line of m[1]!.split("\n")) {
    const f = /^(From|Subject|Date): (.*)$/.exec(line);
    if (!f) continue;
    const key = f[1]!.toLowerCase() as "from" | "subject" | "date";
    if (out[key] === null) out[key] = f[2]!.trim();
  }
  out.rest = trimBlock((message + "\n").slice(m[0].length));
  return out;
}

/**
 * RFC 3676 format=flowed: lines ending in a space continue on the next line
 * (the space is kept unless delsp=yes); a leading space is stuffing and goes.
 * The "-- " signature line is never flowed, and from the first diff line on
 * nothing is joined: a blank context line is a lone space, which would
 * otherwise read as a soft break.
 */
export function unflow(text: string, delsp: boolean): string {
  const lines = text.split("\n");
  const out: string[] = [];
  let cur: string | null = null;
  let inDiff = false;
  for (let line of lines) {
    let quote = "";
    const q = /^>+/.exec(line);
    if (q) {
      quote = q[0];
      line = line.slice(quote.length);
    }
    if (line.startsWith(" ")) line = line.slice(1);
    if (!inDiff && cur === null && /^(?:diff --git |--- \S|Index: |@@ -\d)/.test(line)) inDiff = true;
    const flowed = !inDiff && line.endsWith(" ") && line !== "-- ";
    if (flowed && delsp) line = line.slice(0, -1);
    cur = cur === null ? quote + line : cur + line;
    if (!flowed) {
      out.push(cur);
      cur = null;
    }
  }
  if (cur !== null) out.push(cur);
  return out.join("\n");
}

/** Drops ANSI colour sequences (a coloured `git diff` piped into a file). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.includes("\x1b[") ? text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "") : text;
}

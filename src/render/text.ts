// --format text: checkpatch-like, one block per finding, a total line at the end.
// The location line is checkpatch's ("#N: FILE: path:line:", N the line in
// the input), so editors' and CI's checkpatch parsers and `b4 prep --check`
// read it; --terse prints checkpatch's one line per finding instead.
import type { Finding, Patch, PatchReview, ReviewContext, ReviewResult, Severity } from "../types.js";
import { citationLabel, contextWords, localCommitLabel, splitPreExisting, totals, wrap } from "./common.js";
import { fill, sentence } from "./templates.js";

const WIDTH = 78;

const SGR = {
  reset: "\x1b[0m",
  bold: "\x1b[1m",
  red: "\x1b[1;31m",
  yellow: "\x1b[1;33m",
  cyan: "\x1b[1;36m",
  green: "\x1b[32m",
} as const;

const SEVERITY_COLOR: Record<Severity, string> = { error: SGR.red, warning: SGR.yellow, info: SGR.cyan };

export interface TextOptions {
  color?: boolean;
  /** One line per finding ("path:line: WARNING:rule: message"), as checkpatch --terse. */
  terse?: boolean;
}

/** Per patch: file -> new-side line -> its line in the input (built once: linear in the patch). */
const inputLines = new WeakMap<Patch, Map<string, Map<number, number>>>();

function inputLineTable(patch: Patch): Map<string, Map<number, number>> {
  let t = inputLines.get(patch);
  if (t) return t;
  t = new Map();
  for (const fd of patch.files) {
    if (fd.binary) continue;
    const m = t.get(fd.path) ?? new Map<number, number>();
    for (const h of fd.hunks) {
      if (h.inputLine === undefined) continue;
      let n = h.inputLine + 1;
      for (const l of h.lines) {
        if (l.kind !== "del" && l.newLine !== null && !m.has(l.newLine)) m.set(l.newLine, n);
        n += l.noNewline ? 2 : 1;
      }
    }
    t.set(fd.path, m);
  }
  inputLines.set(patch, t);
  return t;
}

/** The line of the input a finding's line sits on (checkpatch's "#N"); the file line when the patch does not show it. */
export function inputLineOf(f: Finding, patch?: Patch): number | null {
  if (f.file === null || f.line === null) return null;
  return (patch ? inputLineTable(patch).get(f.file)?.get(f.line) : undefined) ?? f.line;
}

/** checkpatch's location line: "#N: FILE: path:line:" (a patch-level finding has none). */
function locationLine(f: Finding, patch?: Patch): string {
  if (f.file === null) return "";
  const n = inputLineOf(f, patch) ?? 0;
  return `#${n}: FILE: ${f.file}${f.line === null ? "" : `:${f.line}`}:`;
}

/** checkpatch --terse: "path:line: SEVERITY:rule: message". */
export function renderFindingTerse(f: Finding, patch?: Patch): string {
  const where = f.file === null ? `${patch?.source ?? "patch"}:` : `${f.file}:${f.line ?? 0}:`;
  return `${where} ${f.severity.toUpperCase()}:${f.rule}: ${f.message.replace(/\s*\n\s*/g, " ")}`;
}

type Paint = (code: string, s: string) => string;

function painter(color: boolean | undefined): Paint {
  return color ? (code, s) => `${code}${s}${SGR.reset}` : (_code, s) => s;
}

/** One finding as a checkpatch-like block (no trailing newline). */
export function renderFindingText(f: Finding, opts: TextOptions = {}, patch?: Patch): string {
  const paint = painter(opts.color);
  const see: string[] = [];
  f.citations.forEach((c, i) => {
    see.push(wrap(citationLabel(c), WIDTH, i === 0 ? "  see: " : "       ", "       "));
    see.push(`       ${c.url}`);
  });
  (f.localHistory ?? []).forEach((c, i) => {
    see.push(wrap(localCommitLabel(c), WIDTH, i === 0 ? "  here: " : "        ", "        "));
    if (c.url) see.push(`        ${c.url}`);
  });
  return fill("text/finding", {
    head: `${paint(SEVERITY_COLOR[f.severity], f.severity.toUpperCase())}:${f.rule}: ${f.message}`,
    location: locationLine(f, patch),
    quote: f.quote !== null ? paint(SGR.green, `+${f.quote}`) : "",
    chain: f.chain && f.chain.length > 0 ? f.chain.join(" -> ") : "",
    why: wrap(f.why, WIDTH, "  why: ", "       "),
    fix: wrap(f.fix, WIDTH, "  fix: ", "       "),
    see,
  }).replace(/\n+$/, "");
}

/** "context: <tree>" and one line per touched file: what the review was made against. */
function contextBlock(ctx: ReviewContext): string[] {
  const w = contextWords(ctx);
  return [`context: ${w.base}`, ...w.files.map((f) => wrap(`${f.path}: ${f.from}`, WIDTH, "  ", "    "))];
}

function renderPatch(r: PatchReview, opts: TextOptions): string {
  const paint = painter(opts.color);
  const { fresh, old } = splitPreExisting(r.findings);
  const notes = [...r.patch.notes, ...(r.omitted ?? []).map((o) => `${o.rule}: ${o.count} more finding${o.count === 1 ? " is" : "s are"} not shown`)];
  return fill("text/patch", {
    header: paint(SGR.bold, `==== ${r.patch.source}: ${r.patch.subject}`),
    clean: r.findings.length === 0 && r.errors.length === 0,
    fresh: fresh.map((f) => renderFindingText(f, opts, r.patch)),
    hasOld: old.length > 0,
    oldHeading: sentence("text/old-heading", {}),
    old: old.map((f) => renderFindingText(f, opts, r.patch)),
    hasTail: r.findings.length > 0 && (notes.length > 0 || r.errors.length > 0),
    notes,
    context: r.context ? contextBlock(r.context) : [],
    errors: r.errors.map((e) => `${paint(SGR.red, "INTERNAL-ERROR")}:${e.rule}: ${e.message}`),
  });
}

export function renderText(result: ReviewResult, opts: TextOptions = {}): string {
  if (opts.terse) {
    const lines = result.reviews.flatMap((r) => r.findings.map((f) => renderFindingTerse(f, r.patch)));
    for (const p of result.problems) lines.push(`${p.source}: PROBLEM: ${p.message}`);
    return lines.length > 0 ? lines.join("\n") + "\n" : "";
  }
  const paint = painter(opts.color);
  const out = fill("text/report", {
    patches: result.reviews.map((r) => renderPatch(r, opts)),
    covers: result.covers.map((c) => ({ source: c.source, subject: c.subject })),
    problems: result.problems,
    total: paint(SGR.bold, sentence("text/total", totals(result))),
  });
  return out.replace(/\n{3,}/g, "\n\n").replace(/\n*$/, "\n");
}

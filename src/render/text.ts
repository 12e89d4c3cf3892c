// --format text: checkpatch-like, one block per finding, a total line at the end.
import type { Finding, PatchReview, ReviewContext, ReviewResult, Severity } from "../types.js";
import { citationLabel, contextWords, localCommitLabel, location, splitPreExisting, totals, wrap } from "./common.js";
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
}

type Paint = (code: string, s: string) => string;

function painter(color: boolean | undefined): Paint {
  return color ? (code, s) => `${code}${s}${SGR.reset}` : (_code, s) => s;
}

/** One finding as a checkpatch-like block (no trailing newline). */
export function renderFindingText(f: Finding, opts: TextOptions = {}): string {
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
    location: location(f),
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
  const notes = r.patch.notes;
  return fill("text/patch", {
    header: paint(SGR.bold, `==== ${r.patch.source}: ${r.patch.subject}`),
    clean: r.findings.length === 0 && r.errors.length === 0,
    fresh: fresh.map((f) => renderFindingText(f, opts)),
    hasOld: old.length > 0,
    oldHeading: sentence("text/old-heading", {}),
    old: old.map((f) => renderFindingText(f, opts)),
    hasTail: r.findings.length > 0 && (notes.length > 0 || r.errors.length > 0),
    notes,
    context: r.context ? contextBlock(r.context) : [],
    errors: r.errors.map((e) => `${paint(SGR.red, "INTERNAL-ERROR")}:${e.rule}: ${e.message}`),
  });
}

export function renderText(result: ReviewResult, opts: TextOptions = {}): string {
  const paint = painter(opts.color);
  const out = fill("text/report", {
    patches: result.reviews.map((r) => renderPatch(r, opts)),
    covers: result.covers.map((c) => ({ source: c.source, subject: c.subject })),
    problems: result.problems,
    total: paint(SGR.bold, sentence("text/total", totals(result))),
  });
  return out.replace(/\n{3,}/g, "\n\n").replace(/\n*$/, "\n");
}

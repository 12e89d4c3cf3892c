// Command-line edge. Sub-commands other than review/rules/knowledge/explain
// live in ./commands/<name>.ts and are imported only when used, so that
// reviewing one patch does not load probot, imapflow or tree-sitter.
import { readFileSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_CONFIG, parseConfig, readYamlFile, type ReviewConfig } from "../config.js";
import { ConfigError, InputError, UsageError, errorMessage } from "../errors.js";
import { parseInput } from "../ingest/index.js";
import { loadKnowledge } from "../knowledge/load.js";
import { groupSeries, readyToReview, review, reviewInput, slimReview, type Sources } from "../pipeline.js";
import type { KnowledgeBase } from "../knowledge/base.js";
import { FORMATS, render, type Format } from "../render/index.js";
import { ALL_RULES } from "../rules/index.js";
import type { ParsedInput, Patch, PatchReview, ReviewResult, Rule, Severity } from "../types.js";
import { TOOL, VERSION } from "../version.js";
import { expectInput } from "../context/parser.js";
import { explain, listKnowledge, listRules } from "./info.js";

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readStdin: () => Promise<Buffer>;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
}

const defaultIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  },
  stdinIsTTY: Boolean(process.stdin.isTTY),
  stdoutIsTTY: Boolean(process.stdout.isTTY),
};

export const USAGE = `usage: reclaim-review <command> [options]

commands:
  review [FILE...]        review a patch, format-patch output, mbox or .eml (stdin: none or -)
      --format F          text|json|sarif|email|markdown|b4 (default text)
      --tree DIR          the source tree (full-file context); a git repository gives
                          each file as the author had it (index line, base-commit:)
      --fail-on LEVEL     error|warning|info|never (default warning)
      --config FILE       YAML config (rules, paths, ignore, maxInputBytes)
      --max-bytes N       input size limit (default 52428800)
      --terse             one checkpatch-style line per finding (text format)
  audit --tree DIR [PATH...]   review existing source with the same rules
  rules [--format json]        list the rules
  knowledge [--format json]    list the knowledge entries
  explain ID                   a rule's or a knowledge entry's documentation
  github                       start the GitHub App (probot environment)
  mail [options]               run the mailing-list bot (see README)

every command takes --help.

exit status: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or input error,
             or a rule that failed (the other findings are still printed)`;

export const REVIEW_USAGE = `usage: reclaim-review review [options] [FILE...]

Reviews patches: a unified diff, git diff or format-patch output, an mbox
series, an .eml; no FILE (or -) reads stdin.

options:
  -f, --format F        text|json|sarif|email|markdown|b4 (default text)
      --tree DIR        the source tree the patch applies to (full-file context,
                        call chains, pre-existing findings, the tree's git history)
      --fail-on LEVEL   error|warning|info|never (default warning)
      --config FILE     YAML config (rules, paths, ignore, maxInputBytes)
      --max-bytes N     input size limit (default 52428800)
      --terse           text: one line per finding, "path:line: WARNING:rule: message"
      --color, --no-color   ANSI colour in text (default: on a terminal without NO_COLOR)
  -h, --help            this text

The text format is checkpatch's: "SEVERITY:rule: message", then
"#N: FILE: path:line:" (N: the line in the input), the added line, why, fix
and the history cited.

exit status: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or input error`;

const LAZY_COMMANDS = new Set(["audit", "github", "mail"]);

/** `rules`: the rule set `review` runs (all of them; tests hand in others). */
export async function main(argv: string[], io: Io = defaultIo, rules: readonly Rule[] = ALL_RULES): Promise<number> {
  try {
    const [cmd, ...rest] = argv;
    if (cmd === undefined || cmd === "-h" || cmd === "--help" || cmd === "help") {
      io.stdout(USAGE + "\n");
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === "--version" || cmd === "-V") {
      io.stdout(`reclaim-review ${VERSION}\n`);
      return 0;
    }
    switch (cmd) {
      case "review":
        return await runReview(rest, io, rules);
      case "rules":
        return listRules(rest, io);
      case "knowledge":
        return listKnowledge(rest, io);
      case "explain":
        return explain(rest, io);
      default:
        if (LAZY_COMMANDS.has(cmd)) {
          const mod = (await import(`./commands/${cmd}.js`)) as { run: (argv: string[], io: Io) => Promise<number> };
          return await mod.run(rest, io);
        }
        throw new UsageError(`unknown command "${cmd}" (try --help)`);
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof InputError || err instanceof ConfigError) {
      io.stderr(`reclaim-review: ${err.message}\n`);
      return 2;
    }
    if (err && typeof err === "object" && "code" in err && String((err as { code: unknown }).code).startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`reclaim-review: ${errorMessage(err)}\n`);
      return 2;
    }
    io.stderr(`reclaim-review: internal error: ${errorMessage(err)}\n`);
    return 2;
  }
}

const FAIL_ON = ["error", "warning", "info", "never"] as const;
type FailOn = (typeof FAIL_ON)[number];

export function loadConfigFile(path: string | undefined, rules: readonly Rule[] = ALL_RULES): ReviewConfig {
  if (!path) return DEFAULT_CONFIG;
  const raw = readYamlFile(path);
  try {
    return parseConfig(raw, rules.map((r) => r.meta.id));
  } catch (err) {
    throw new ConfigError(errorMessage(err), path);
  }
}

/** 2 when a rule failed (whatever --fail-on says: its verdict is unknown), else 1 for findings at or above failOn, else 0. */
export function exitCodeFor(result: ReviewResult, failOn: FailOn): number {
  if (result.reviews.some((r) => r.errors.length > 0)) return 2;
  if (failOn === "never") return 0;
  const rank: Record<Severity, number> = { info: 1, warning: 2, error: 3 };
  const min = rank[failOn];
  const hit = result.reviews.some((r) => r.findings.some((f) => !f.preExisting && rank[f.severity] >= min));
  return hit ? 1 : 0;
}

/**
 * --tree: series by series (patch n on top of 1..n-1), each prepared,
 * reviewed and slimmed before the next, so a large mbox is reviewed in
 * bounded memory; reviews come back in input order.
 */
async function reviewWithTree(patches: Patch[], tree: string, config: ReviewConfig, kb: KnowledgeBase, rules: readonly Rule[]): Promise<PatchReview[]> {
  const { openTreeSources } = await import("../context/sources.js");
  const { withLocalHistory } = await import("../history/sources.js");
  const sources: Sources = await withLocalHistory(await openTreeSources(tree), tree);
  const order = new Map(patches.map((p, i) => [p, i]));
  const out: { at: number; review: PatchReview }[] = [];
  try {
    const groups = groupSeries(patches);
    patches.length = 0;
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i]!;
      groups[i] = [];
      // the group's places, and the patches let go of: the analyses cached per patch live as long as the patch does
      const at = group.map((p) => order.get(p)!);
      for (const p of group) order.delete(p);
      await sources.prepare?.(group);
      await readyToReview();
      const reviewed = review({ patches: group, covers: [], problems: [] }, sources, config, kb, rules);
      reviewed.reviews.forEach((r, k) => out.push({ at: at[k]!, review: slimReview(r) }));
    }
  } finally {
    sources.close?.();
  }
  return out.sort((a, b) => a.at - b.at).map((x) => x.review);
}

async function runReview(argv: string[], io: Io, rules: readonly Rule[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: "string", short: "f", default: "text" },
      tree: { type: "string" },
      "fail-on": { type: "string", default: "warning" },
      config: { type: "string" },
      "max-bytes": { type: "string" },
      color: { type: "boolean" },
      "no-color": { type: "boolean" },
      terse: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout(REVIEW_USAGE + "\n");
    return 0;
  }
  if (values.terse && values.format !== "text") throw new UsageError("--terse goes with --format text");
  const format = values.format as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`unknown --format "${values.format}" (${FORMATS.join("|")})`);
  const failOn = values["fail-on"] as FailOn;
  if (!FAIL_ON.includes(failOn)) throw new UsageError(`unknown --fail-on "${values["fail-on"]}" (${FAIL_ON.join("|")})`);
  const config = loadConfigFile(values.config, rules);
  let maxBytes = config.maxInputBytes;
  if (values["max-bytes"] !== undefined) {
    maxBytes = Number(values["max-bytes"]);
    if (!Number.isInteger(maxBytes) || maxBytes <= 0) throw new UsageError(`--max-bytes takes a positive whole number`);
  }

  const inputs = positionals.length === 0 ? ["-"] : positionals;
  const kb = loadKnowledge();
  const result: ReviewResult = { tool: TOOL, version: VERSION, reviews: [], covers: [], problems: [] };
  // With --tree the sources read every patch's files first, so the input is
  // parsed whole; without it each message is reviewed as it is read.
  const treeInputs: ParsedInput = { patches: [], covers: [], problems: [] };
  // diff only, the size of the input decides how the C grammar is compiled (a short run keeps baseline code)
  let named = 0;
  for (const file of inputs) {
    try {
      if (file !== "-") named += statSync(file).size;
    } catch {
      // reported when it is read
    }
  }
  for (const file of inputs) {
    let data: Buffer;
    let name: string;
    if (file === "-") {
      if (io.stdinIsTTY && positionals.length === 0) throw new UsageError("no input: give a FILE or pipe a patch on stdin (try --help)");
      data = await io.readStdin();
      name = "<stdin>";
    } else {
      try {
        data = readFileSync(file);
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : errorMessage(err)}`);
      }
      name = file;
    }
    try {
      if (values.tree) {
        let parsed: ParsedInput | null = await parseInput(data, name, { maxBytes });
        treeInputs.patches.push(...parsed.patches);
        treeInputs.covers.push(...parsed.covers);
        treeInputs.problems.push(...parsed.problems);
        // not kept in this (suspended) function's frame while the reviews run: a patch reviewed is let go of, and
        // with it the analyses cached for it
        parsed = null;
      } else {
        expectInput(named + (file === "-" ? data.length : 0));
        const one = await reviewInput(data, name, { maxBytes }, config, kb, rules);
        result.reviews.push(...one.reviews);
        result.covers.push(...one.covers);
        result.problems.push(...one.problems);
      }
    } catch (err) {
      if (!(err instanceof InputError) || inputs.length === 1) throw err;
      result.problems.push({ source: name, message: err.message });
    }
  }
  if (values.tree && treeInputs.patches.length > 0) {
    result.reviews.push(...(await reviewWithTree(treeInputs.patches, values.tree, config, kb, rules)));
    result.covers.push(...treeInputs.covers);
  }
  result.problems.push(...treeInputs.problems);
  for (const p of result.problems) io.stderr(`reclaim-review: ${p.message.startsWith(p.source) ? p.message : `${p.source}: ${p.message}`}\n`);
  if (result.reviews.length === 0) {
    if (result.problems.length > 0) return 2;
    throw new InputError("no patch to review", inputs.join(", "));
  }
  const color = values["no-color"] ? false : values.color ? true : io.stdoutIsTTY && !process.env.NO_COLOR;
  io.stdout(render(result, format, { color, terse: Boolean(values.terse) }));
  for (const r of result.reviews)
    for (const e of r.errors) io.stderr(`reclaim-review: rule ${e.rule} failed on ${r.patch.source}: ${e.message}\n`);
  return exitCodeFor(result, failOn);
}

// reclaim-review audit --tree DIR [PATH...]: the context-aware rules over
// existing code. JSON: { tool, version, files: [ { path, findings } ] }.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { auditRules } from "../../context/audit.js";
import { runAudit } from "../../context/audit-run.js";
import { UsageError } from "../../errors.js";
import { loadKnowledge } from "../../knowledge/load.js";
import { findingToJson } from "../../render/json.js";
import { findingVisible } from "../../render/escape.js";
import { renderFindingText } from "../../render/text.js";
import { ALL_RULES } from "../../rules/index.js";
import type { Severity } from "../../types.js";
import { TOOL, VERSION } from "../../version.js";
import { loadConfigFile, type Io } from "../main.js";

const FAIL_ON = ["error", "warning", "info", "never"] as const;

export const AUDIT_USAGE = `usage: reclaim-review audit --tree DIR [options] [PATH...]

Runs the context-aware rules over existing code of DIR (or only PATHs in it).
Symlinks that leave the tree are not followed.

options:
      --tree DIR          the source tree (required)
  -f, --format F          text (default) or json
      --config FILE       YAML config (rules, paths)
      --fail-on LEVEL     error|warning|info|never (default never)
      --min-severity S    error|warning|info: findings shown (default warning)
  -j, --jobs N            worker threads (default: the CPUs)
  -h, --help              this text`;
const RANK: Record<Severity, number> = { info: 1, warning: 2, error: 3 };

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tree: { type: "string" },
      format: { type: "string", short: "f", default: "text" },
      config: { type: "string" },
      "fail-on": { type: "string", default: "never" },
      jobs: { type: "string", short: "j" },
      "min-severity": { type: "string", default: "warning" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout(AUDIT_USAGE + "\n");
    return 0;
  }
  if (!values.tree) throw new UsageError("audit needs --tree DIR");
  const root = resolve(values.tree);
  try {
    if (!statSync(root).isDirectory()) throw new Error();
  } catch {
    throw new UsageError(`--tree ${values.tree}: not a directory`);
  }
  const format = values.format;
  if (format !== "text" && format !== "json") throw new UsageError(`audit --format takes text or json`);
  const failOn = values["fail-on"] as (typeof FAIL_ON)[number];
  if (!FAIL_ON.includes(failOn)) throw new UsageError(`unknown --fail-on "${values["fail-on"]}" (${FAIL_ON.join("|")})`);
  const minSev = values["min-severity"] as Severity;
  if (!(minSev in RANK)) throw new UsageError(`unknown --min-severity "${minSev}" (error|warning|info)`);
  let jobs: number | undefined;
  if (values.jobs !== undefined) {
    jobs = Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError("--jobs takes a positive whole number");
  }
  for (const p of positionals) {
    try {
      statSync(resolve(root, p));
    } catch {
      throw new UsageError(`${p}: not found under ${values.tree}`);
    }
  }
  const config = loadConfigFile(values.config);
  const rules = auditRules(ALL_RULES).filter((r) => config.rules[r.meta.id]?.enabled !== false);
  const kb = loadKnowledge();
  const tty = Boolean(process.stderr.isTTY);
  const result = await runAudit({
    root,
    paths: positionals,
    rules,
    config,
    kb,
    jobs,
    onProgress: tty ? (dirs, hits, cur) => io.stderr(`\r\x1b[K${dirs} directories, ${hits} files with findings: ${cur.slice(-50)}`) : undefined,
  });
  if (tty) io.stderr("\r\x1b[K");
  const files = result.files
    .map((f) => ({ ...f, findings: f.findings.filter((x) => RANK[x.severity] >= RANK[minSev]) }))
    .filter((f) => f.findings.length > 0 || f.errors.length > 0);
  for (const f of files) for (const e of f.errors) io.stderr(`reclaim-review: internal error in rule ${e.rule} on ${f.path}: ${e.message}\n`);
  if (format === "json") {
    const doc = {
      tool: TOOL,
      version: VERSION,
      files: files.filter((f) => f.findings.length > 0).map((f) => ({ path: f.path, findings: f.findings.map(findingToJson) })),
    };
    io.stdout(JSON.stringify(doc, null, 2) + "\n");
  } else {
    const blocks: string[] = [];
    for (const f of files) for (const x of f.findings) blocks.push(renderFindingText(findingVisible(x), { color: io.stdoutIsTTY && !process.env.NO_COLOR }));
    const total = files.reduce((n, f) => n + f.findings.length, 0);
    io.stdout(
      (blocks.length > 0 ? blocks.join("\n\n") + "\n\n" : "") +
        `audit: ${total} finding${total === 1 ? "" : "s"} in ${files.filter((f) => f.findings.length > 0).length} file(s); ` +
        `${result.scanned} files read, ${result.parsed} parsed, ${result.dirs} directories\n`,
    );
  }
  if (failOn === "never") return 0;
  const hit = files.some((f) => f.findings.some((x) => RANK[x.severity] >= RANK[failOn]));
  return hit ? 1 : 0;
}

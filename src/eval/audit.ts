// npm run eval:audit -- (--tree KERNEL_DIR | AUDIT_JSON) [--judgement FILE] [--fixed FILE] [--json]
// Scores `reclaim-review audit` of linux-6.12 against the judgement written
// by reading each finding's chain (eval/audit/linux-6.12.json): warnings
// judged real, false and unsure, precision, and the warnings no row covers
// yet. With --tree the audit is run (the CLI, JSON output); otherwise the
// JSON output of an earlier `audit --format json` is read. It also says how many
// of the hazards fixed upstream after the tree's release (eval/audit/fixed-after-6.12.json,
// or --fixed FILE) get a warning.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { errorMessage } from "../errors.js";
import { AuditOutput, FixedSites, Judgement, auditWarnings, formatAuditScore, formatFixedScore, scoreAudit, scoreFixedSites } from "./audit-score.js";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { tree: { type: "string" }, judgement: { type: "string" }, fixed: { type: "string" }, json: { type: "boolean" } },
  });
  if (!values.tree && positionals.length !== 1) {
    process.stderr.write("usage: npm run eval:audit -- (--tree KERNEL_DIR | AUDIT_JSON) [--judgement FILE] [--fixed FILE] [--json]\n");
    return 2;
  }
  const judgementPath = values.judgement ?? join(pkg, "eval", "audit", "linux-6.12.json");
  const judgement = Judgement.parse(JSON.parse(readFileSync(judgementPath, "utf8")));
  const fixed = FixedSites.parse(JSON.parse(readFileSync(values.fixed ?? join(pkg, "eval", "audit", "fixed-after-6.12.json"), "utf8")));
  let text: string;
  if (values.tree) {
    const run = await promisify(execFile)(process.execPath, [join(pkg, "bin", "reclaim-review.js"), "audit", "--tree", values.tree, "--format", "json"], {
      maxBuffer: 1 << 30,
    });
    text = run.stdout;
  } else text = readFileSync(positionals[0]!, "utf8");
  const found = auditWarnings(AuditOutput.parse(JSON.parse(text)));
  const score = scoreAudit(found, judgement);
  const fixedScore = scoreFixedSites(found, fixed);
  process.stdout.write(values.json ? JSON.stringify({ ...score, fixed: fixedScore }, null, 2) + "\n" : formatAuditScore(score) + "\n" + formatFixedScore(fixedScore));
  return 0;
}

main().then(
  (c) => (process.exitCode = c),
  (e) => {
    process.stderr.write(`eval:audit: ${errorMessage(e)}\n`);
    process.exitCode = 2;
  },
);

// rules / knowledge / explain: the catalogue and the history behind it.
import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import { loadKnowledge } from "../knowledge/load.js";
import { ALL_RULES, findRule } from "../rules/index.js";
import type { Io } from "./main.js";

function formatOpt(argv: string[]): { format: string; positionals: string[] } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: "string", short: "f", default: "text" } },
  });
  if (values.format !== "text" && values.format !== "json") throw new UsageError(`--format takes text or json`);
  return { format: values.format!, positionals };
}

export function listRules(argv: string[], io: Io): number {
  const { format } = formatOpt(argv);
  if (format === "json") {
    io.stdout(JSON.stringify(ALL_RULES.map((r) => ({ ...r.meta })), null, 2) + "\n");
    return 0;
  }
  const w = Math.max(...ALL_RULES.map((r) => r.meta.id.length), 4);
  for (const r of ALL_RULES) io.stdout(`${r.meta.id.padEnd(w)}  ${r.meta.severity.padEnd(7)}  ${r.meta.class.padEnd(17)}  ${r.meta.description}\n`);
  return 0;
}

export function listKnowledge(argv: string[], io: Io): number {
  const { format } = formatOpt(argv);
  const kb = loadKnowledge();
  if (format === "json") {
    io.stdout(JSON.stringify(kb.entries, null, 2) + "\n");
    return 0;
  }
  const w = Math.max(...kb.entries.map((e) => e.id.length), 4);
  for (const e of kb.entries) {
    const commit = e.commits[0]?.sha.slice(0, 12) ?? "-".padEnd(12);
    io.stdout(`${e.id.padEnd(w)}  ${commit}  ${e.date.padEnd(10)}  ${e.title}\n`);
  }
  return 0;
}

export function explain(argv: string[], io: Io): number {
  const { positionals } = formatOpt(argv);
  const id = positionals[0];
  if (!id) throw new UsageError("explain needs a rule id or a knowledge entry id");
  const rule = findRule(id);
  const kb = loadKnowledge();
  if (rule) {
    const m = rule.meta;
    const out = [
      `${m.id} (${m.class}, default ${m.severity})`,
      "",
      m.description,
      "",
      "Why it matters:",
      indent(m.docs.why),
      "",
      "What to do instead:",
      indent(m.docs.fix),
    ];
    if (m.docs.quiet) out.push("", "Stays quiet on:", indent(m.docs.quiet));
    out.push("", "History:");
    for (const k of m.knowledge) {
      const e = kb.get(k);
      out.push(e ? `  ${e.id}: ${e.title}${e.commits[0] ? ` (${e.commits[0].sha.slice(0, 12)})` : ""}\n    ${e.links[0]}` : `  ${k}`);
    }
    io.stdout(out.join("\n") + "\n");
    return 0;
  }
  const e = kb.get(id);
  if (!e) throw new UsageError(`no rule or knowledge entry "${id}" (see \`reclaim-review rules\` and \`reclaim-review knowledge\`)`);
  const out = [`${e.title}`, `id: ${e.id}   date: ${e.date}${e.release ? `   release: ${e.release}` : ""}   classes: ${e.classes.join(", ")}`];
  for (const c of e.commits) out.push(`commit ${c.sha} ("${c.subject}")`);
  if (e.messageId) out.push(`Message-ID: <${e.messageId}>`);
  out.push("", e.story, "", "Lesson:", indent(e.lesson), "", "Advice:", indent(e.advice), "", "Links:");
  for (const l of e.links) out.push(`  ${l}`);
  out.push("", `Verified (${e.verified.status}, ${e.verified.checked}): ${e.verified.how}`);
  io.stdout(out.join("\n") + "\n");
  return 0;
}

function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => (l ? `  ${l}` : l))
    .join("\n");
}

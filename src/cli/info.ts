// rules / knowledge / explain: the catalogue and the history behind it.
import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import { loadKnowledge } from "../knowledge/load.js";
import { ALL_RULES, findRule } from "../rules/index.js";
import type { Io } from "./main.js";

const HELP: Record<string, string> = {
  rules: `usage: reclaim-review rules [--format text|json]

Lists the rules: id, default severity, hazard class, what each looks for.
  -f, --format F   text (default) or json (every rule's metadata)
  -h, --help       this text`,
  knowledge: `usage: reclaim-review knowledge [--format text|json]

Lists the knowledge entries: id, first commit, date, verification, title.
  -f, --format F   text (default) or json (every entry in full)
  -h, --help       this text`,
  explain: `usage: reclaim-review explain ID

Prints a rule's documentation (why, what to do, what it stays quiet on, the
history it cites) or a knowledge entry's full story. IDs: \`reclaim-review rules\`
and \`reclaim-review knowledge\`.
  -h, --help       this text`,
};

/** Options of rules/knowledge/explain; null when --help was asked for (and printed). */
function formatOpt(argv: string[], command: string, io: Io): { format: string; positionals: string[] } | null {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: "string", short: "f", default: "text" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    io.stdout(HELP[command] + "\n");
    return null;
  }
  if (values.format !== "text" && values.format !== "json") throw new UsageError(`--format takes text or json`);
  return { format: values.format!, positionals };
}

export function listRules(argv: string[], io: Io): number {
  const opt = formatOpt(argv, "rules", io);
  if (!opt) return 0;
  const { format } = opt;
  if (format === "json") {
    io.stdout(JSON.stringify(ALL_RULES.map((r) => ({ ...r.meta })), null, 2) + "\n");
    return 0;
  }
  const w = Math.max(...ALL_RULES.map((r) => r.meta.id.length), 4);
  for (const r of ALL_RULES) io.stdout(`${r.meta.id.padEnd(w)}  ${r.meta.severity.padEnd(7)}  ${r.meta.class.padEnd(17)}  ${r.meta.description}\n`);
  return 0;
}

export function listKnowledge(argv: string[], io: Io): number {
  const opt = formatOpt(argv, "knowledge", io);
  if (!opt) return 0;
  const { format } = opt;
  const kb = loadKnowledge();
  if (format === "json") {
    io.stdout(JSON.stringify(kb.entries, null, 2) + "\n");
    return 0;
  }
  const w = Math.max(...kb.entries.map((e) => e.id.length), 4);
  for (const e of kb.entries) {
    const commit = e.commits[0]?.sha.slice(0, 12) ?? "-".padEnd(12);
    io.stdout(`${e.id.padEnd(w)}  ${commit}  ${e.date.padEnd(10)}  ${e.verified.status.padEnd(8)}  ${e.title}\n`);
  }
  return 0;
}

export function explain(argv: string[], io: Io): number {
  const opt = formatOpt(argv, "explain", io);
  if (!opt) return 0;
  const { positionals } = opt;
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
      if (!e) {
        out.push(`  ${k} (no such knowledge entry)`);
        continue;
      }
      out.push(`  ${e.id}: ${e.title}${e.commits[0] ? ` (${e.commits[0].sha.slice(0, 12)})` : ""}`);
      out.push(`    ${e.links[0]}`);
      out.push(wrap(e.lesson, 4));
    }
    out.push("", `See \`reclaim-review explain <id>\` for an entry's full story.`);
    io.stdout(out.join("\n") + "\n");
    return 0;
  }
  const e = kb.get(id);
  if (!e) throw new UsageError(`no rule or knowledge entry "${id}" (see \`reclaim-review rules\` and \`reclaim-review knowledge\`)`);
  const out = [`${e.title}`, `id: ${e.id}   date: ${e.date}${e.release ? `   release: ${e.release}` : ""}   classes: ${e.classes.join(", ")}`];
  for (const c of e.commits) out.push(`commit ${c.sha} ("${c.subject}")`);
  if (e.messageId) out.push(`Message-ID: <${e.messageId}>`);
  out.push("", e.story, "", "Lesson:", wrap(e.lesson, 2), "", "Advice:", wrap(e.advice, 2), "", "Links:");
  for (const l of e.links) out.push(`  ${l}`);
  if (e.subsystems.length > 0 || e.triggers.length > 0) {
    out.push("", "Cited for:");
    if (e.subsystems.length > 0) out.push(wrap(`files under ${e.subsystems.join(", ")}`, 2));
    if (e.triggers.length > 0) out.push(wrap(`hunks mentioning ${e.triggers.join(", ")}`, 2));
  }
  const citedBy = ALL_RULES.filter((r) => r.meta.knowledge.includes(e.id)).map((r) => r.meta.id);
  if (citedBy.length > 0) out.push("", wrap(`Rules citing it: ${citedBy.join(", ")}`, 0));
  out.push("", `Verified (${e.verified.status}, ${e.verified.checked}):`, wrap(e.verified.how, 2));
  io.stdout(out.join("\n") + "\n");
  return 0;
}

/** Re-flow one paragraph of prose to `width` columns, indented by `by` spaces. */
export function wrap(text: string, by: number, width = 78): string {
  const pad = " ".repeat(by);
  const lines: string[] = [];
  let cur = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (cur && pad.length + cur.length + 1 + word.length > width) {
      lines.push(pad + cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) lines.push(pad + cur);
  return lines.join("\n");
}

function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => (l ? `  ${l}` : l))
    .join("\n");
}

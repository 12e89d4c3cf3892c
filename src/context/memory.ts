// A TextProvider over texts held in memory (an audited directory, a PR head's files).
import type { TextProvider } from "./facts.js";

export function memoryTextProvider(files: ReadonlyMap<string, string>): TextProvider {
  const byDir = new Map<string, string[]>();
  for (const p of files.keys()) {
    const d = p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : ".";
    const list = byDir.get(d);
    if (list) list.push(p);
    else byDir.set(d, [p]);
  }
  return {
    text: (p) => files.get(p),
    neighbours: (p) => (byDir.get(p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : ".") ?? []).filter((x) => x !== p),
  };
}

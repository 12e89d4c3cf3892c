// The properties every email reply must have, whatever the rules say: checked
// on the fixture, on the examples and on synthetic groups.
import { expect } from "vitest";
import type { Finding } from "../../src/types.js";

const URL = /https?:\/\/[^\s)>\]]+/g;
const REF_START = /commit [0-9a-f]{7,40} \("/g;
const LEAD = /^(?:See |and |This file's history: )?/;

export interface ReplyFacts {
  /** Lines of our own prose (not quoted, not blank), the footer included. */
  prose: number;
  urls: string[];
}

/**
 * A reply a maintainer can read: our prose within 72 columns (a commit
 * reference is never broken, so a line that starts with one may be longer;
 * an indented URL or a footer's fingerprint line stands whole), every commit reference on one line, each
 * link once, one "-- " footer holding every fingerprint and nothing of them
 * above it, quotes as "> ".
 */
export function checkReply(body: string, findings: readonly Finding[]): ReplyFacts {
  const lines = body.split("\n");
  const sep = lines.indexOf("-- ");
  expect(sep, "one '-- ' signature separator").toBeGreaterThan(0);
  expect(lines.filter((l) => l === "-- ")).toHaveLength(1);
  const above = lines.slice(0, sep).join("\n");
  const footer = lines.slice(sep + 1).join("\n");
  for (const l of lines) {
    if (l.startsWith(">")) {
      expect(l === ">" || l.startsWith("> "), l).toBe(true);
      continue;
    }
    if (l.length > 72) {
      const rest = l.replace(LEAD, "");
      const bareUrl = /^\s+https?:\/\/\S+$/.test(l);
      const fingerprintLine = l.slice(0, sep).length >= 0 && /^ {2}[0-9a-f]{16} \S+, \S+$/.test(l);
      expect(bareUrl || fingerprintLine || /^commit [0-9a-f]{7,40} \(".*"\)/.test(rest), `over 72 columns: ${l}`).toBe(true);
    }
    for (const m of l.matchAll(REF_START)) expect(l.slice(m.index!).includes('")'), `commit reference broken: ${l}`).toBe(true);
  }
  const urls = [...body.matchAll(URL)].map((m) => m[0].replace(/[.,;:]$/, ""));
  expect(urls.length, "each link at most once").toBe(new Set(urls).size);
  for (const f of findings) {
    expect(above).not.toContain(f.fingerprint);
    expect(footer.split(f.fingerprint)).toHaveLength(2);
  }
  expect(above).not.toMatch(/\[[a-z-]+, (error|warning|info), fingerprint/);
  const prose = lines.filter((l) => l.trim() !== "" && !l.startsWith(">")).length;
  return { prose, urls };
}

// Patch subjects, read the way b4's LoreSubject reads them: any number of
// leading [..] groups, "PATCHv3" meaning "PATCH v3", n/m counters of 1-4
// digits, RFC/RESEND/tree tags, brackets nested inside brackets, and replies
// marked by Re:/Aw:/Fwd: (or any 2-3 letter prefix before a bracket).
import type { SeriesInfo } from "../types.js";

export interface SubjectInfo {
  /** The subject as it arrived, whitespace collapsed. */
  full: string;
  /** Without reply prefixes and bracket groups. */
  subject: string;
  reply: boolean;
  /** A PATCH tag was present. */
  patch: boolean;
  rfc: boolean;
  resend: boolean;
  /** null when the subject has no bracket prefix at all. */
  series: SeriesInfo | null;
}

const REPLY = /^(?:(?:re|aw|fwd?|sv|antw)\s*(?:\[\d+\])?\s*:\s*)+/i;

export function parseSubject(raw: string): SubjectInfo {
  let s = raw.replace(/\s+/g, " ").trim();
  const full = s;
  let reply = false;
  const r = REPLY.exec(s);
  if (r) {
    reply = true;
    s = s.slice(r[0].length);
  } else if (/^\w{2,3}:\s*\[/.test(s)) {
    reply = true;
    s = s.replace(/^\w{2,3}:\s*\[/, "[");
  }
  // flatten brackets nested inside brackets: "[PATCH [net] 1/2]" -> "[PATCH net 1/2]"
  // (not in absurdly long subjects: the regexes would go quadratic on "[[[[...")
  for (let guard = 0; guard < 20 && s.length <= 2000; guard++) {
    const before = s;
    s = s.replace(/\[([^\]]*)\[([^[\]]*)\]/, "[$1$2").replace(/\[([^\]]*)\]([^[\]]*)\]/, "[$1$2]");
    if (s === before) break;
  }
  let version = 1;
  let index: number | null = null;
  let total: number | null = null;
  const tags: string[] = [];
  let patch = false;
  let rfc = false;
  let resend = false;
  let bracketed = false;
  for (let guard = 0; guard < 50 && s.startsWith("["); guard++) {
    const m = /^\[([^\]]*)\]\s*/.exec(s);
    if (!m) break;
    bracketed = true;
    const inner = m[1]!.trim().replace(/(patch)(v\d+)/gi, "$1 $2");
    for (let chunk of inner.split(/\s+/)) {
      chunk = chunk.replace(/^[,;]+|[,;]+$/g, "");
      if (chunk === "") continue;
      const counter = /^(\d{1,4})\/(\d{1,4})$/.exec(chunk);
      if (counter) {
        index = Number(counter[1]);
        total = Number(counter[2]);
        continue;
      }
      if (/^v\d+$/i.test(chunk)) {
        version = Number(chunk.slice(1));
        continue;
      }
      if (/^patch$/i.test(chunk)) {
        patch = true;
        continue;
      }
      const low = chunk.toLowerCase();
      if (low.startsWith("rfc")) rfc = true;
      else if (low.startsWith("resend")) resend = true;
      else if (low.startsWith("patch")) patch = true;
      tags.push(chunk);
    }
    s = s.slice(m[0].length);
  }
  return {
    full,
    subject: s.trim(),
    reply,
    patch,
    rfc,
    resend,
    series: bracketed ? { version, index, total, tags } : null,
  };
}

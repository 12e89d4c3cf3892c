// Kernel patch subjects, the way b4's LoreSubject reads them:
// "Re: [PATCH RFC v2 03/27] mm: summary" -> reply, version 2, 3 of 27, tags [RFC], "mm: summary".

export interface SubjectInfo {
  /** Started with Re:/Aw:/Fwd: (any number of them). */
  reply: boolean;
  /** A [PATCH...] (or [RFC...]) prefix was present. */
  patch: boolean;
  /** [GIT PULL] / [PULL]. */
  pull: boolean;
  version: number;
  index: number | null;
  total: number | null;
  tags: string[];
  /** The summary without prefixes. */
  summary: string;
}

const REPLY = /^\s*(?:(?:re|aw|sv|fwd?)\s*(?:\[\d+\])?\s*:\s*)+/i;

export function parseSubject(raw: string): SubjectInfo {
  let s = raw.replace(/\s+/g, " ").trim();
  const reply = REPLY.test(s);
  s = s.replace(REPLY, "");
  let patch = false;
  let pull = false;
  let version = 1;
  let index: number | null = null;
  let total: number | null = null;
  const tags: string[] = [];
  // bracket groups at the start (nested brackets kept together)
  for (;;) {
    const m = /^\s*\[((?:[^[\]]|\[[^\]]*\])*)\]\s*/.exec(s);
    if (!m) break;
    s = s.slice(m[0].length);
    for (const tok of m[1]!.split(/[\s,]+/).filter(Boolean)) {
      const up = tok.toUpperCase();
      let mm: RegExpExecArray | null;
      if (up === "PATCH" || up === "RFC") {
        patch = true;
        if (up === "RFC") tags.push("RFC");
      } else if ((mm = /^PATCH(?:V|-V)?(\d+)$/.exec(up))) {
        patch = true;
        version = Number(mm[1]);
      } else if ((mm = /^V(\d+)$/.exec(up))) version = Number(mm[1]);
      else if ((mm = /^(\d{1,4})\/(\d{1,4})$/.exec(up))) {
        index = Number(mm[1]);
        total = Number(mm[2]);
      } else if (up === "PULL" || up === "GIT") {
        pull = true;
      } else tags.push(tok);
    }
  }
  return { reply, patch, pull, version, index, total, tags, summary: s.trim() };
}

/** The "Re: " subject of a reply (not doubled when it already is one). */
export function replySubject(raw: string): string {
  const s = raw.replace(/\s+/g, " ").trim();
  return /^re\s*:/i.test(s) ? s : `Re: ${s}`;
}

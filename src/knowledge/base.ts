// The knowledge base in memory and the choice of citations for a finding.
import type { Citation, HazardClass } from "../types.js";
import type { KnowledgeEntry } from "./schema.js";

export interface CiteRequest {
  /** Ids the report itself names (most specific). */
  preferred?: string[];
  /** Ids from the rule's metadata. */
  candidates: string[];
  /** Identifiers seen in the hunk (function names, flags). */
  identifiers?: string[];
  /** File the finding is in: entries of the same subsystem rank first. */
  path?: string | null;
  ruleClass?: HazardClass;
  max?: number;
}

/** One scored entry, for callers (and tests) that want to see why it ranked where it did. */
export interface ScoredEntry {
  entry: KnowledgeEntry;
  score: number;
  /** Where the entry came from: named by the report, by the rule, or found by relevance. */
  origin: "preferred" | "candidate" | "related";
  subsystemMatch: boolean;
  triggerHits: string[];
}

// Weights. A report's own ids always come first; after that a subsystem match
// outweighs up to three trigger hits, one trigger hit outweighs being on the
// rule's list, and the list order breaks ties. Entries the rule did not name
// ("related") need the rule's class and topical evidence: a trigger hit in
// their own subsystem, or two trigger hits anywhere. A subsystem match alone
// says where the code is, not what it is about, so it never pulls in an entry.
const W_PREFERRED = 1000;
const W_CANDIDATE = 10;
const W_SUBSYSTEM = 40;
const W_TRIGGER = 12;
const MAX_TRIGGER_HITS = 3;
const W_CLASS = 3;
/** A trigger shared by more entries than this is "common" (GFP_NOIO, WQ_MEM_RECLAIM): half weight, and no evidence on its own. */
const SPECIFIC_MAX_ENTRIES = 3;

/** Does a trigger match an identifier? `name*` matches by prefix, anything else exactly. */
export function triggerMatches(trigger: string, ident: string): boolean {
  if (trigger.endsWith("*")) {
    const stem = trigger.slice(0, -1);
    return stem.length > 0 && ident.startsWith(stem);
  }
  return trigger === ident;
}

/** The longest subsystem prefix of the entry that the path starts with, or 0. */
function subsystemDepth(e: KnowledgeEntry, path: string): number {
  let best = 0;
  for (const s of e.subsystems) if (s && path.startsWith(s) && s.length > best) best = s.length;
  return best;
}

export class KnowledgeBase {
  private readonly byId: Map<string, KnowledgeEntry>;
  /** How many entries list each trigger. */
  private readonly triggerUse = new Map<string, number>();

  constructor(readonly entries: KnowledgeEntry[]) {
    this.byId = new Map(entries.map((e) => [e.id, e]));
    for (const e of entries) for (const t of new Set(e.triggers)) this.triggerUse.set(t, (this.triggerUse.get(t) ?? 0) + 1);
  }

  /** True when few entries share the trigger, so a hit on it says something about the topic. */
  isSpecificTrigger(t: string): boolean {
    return (this.triggerUse.get(t) ?? 0) <= SPECIFIC_MAX_ENTRIES;
  }

  get(id: string): KnowledgeEntry | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /**
   * A commit is cited the kernel way, `commit <12 hex> ("<its subject>")`:
   * the title is then the commit's own subject, never the entry's
   * (possibly editorial) title; the link is the entry's first.
   */
  toCitation(e: KnowledgeEntry): Citation {
    const first = e.commits[0];
    const c: Citation = { id: e.id, title: first ? first.subject : e.title, url: e.links[0]! };
    if (first) c.commit = first.sha.slice(0, 12);
    return c;
  }

  /**
   * Every entry worth citing for a finding, best first. Pool: the ids the
   * report names, the rule's candidates, and (when the rule's class is known)
   * any other entry of that class whose subsystem or triggers match.
   */
  rank(req: CiteRequest): ScoredEntry[] {
    const preferred = new Set((req.preferred ?? []).filter((id) => this.byId.has(id)));
    const candidates = req.candidates.filter((id) => this.byId.has(id));
    const candidateSet = new Set(candidates);
    const idents = [...new Set(req.identifiers ?? [])];
    const path = req.path ?? "";
    // Stable order for ties: report ids, then the rule's order, then file order.
    const order = new Map<string, number>();
    for (const id of [...preferred, ...candidates, ...this.entries.map((e) => e.id)]) if (!order.has(id)) order.set(id, order.size);

    const out: ScoredEntry[] = [];
    for (const e of this.entries) {
      const origin = preferred.has(e.id) ? "preferred" : candidateSet.has(e.id) ? "candidate" : "related";
      const depth = path ? subsystemDepth(e, path) : 0;
      const triggerHits = e.triggers.filter((t) => idents.some((i) => triggerMatches(t, i)));
      const classMatch = req.ruleClass !== undefined && e.classes.includes(req.ruleClass);
      const specificHits = triggerHits.filter((t) => this.isSpecificTrigger(t));
      let score = 0;
      if (origin === "preferred") score += W_PREFERRED;
      if (origin === "candidate") score += W_CANDIDATE;
      // Deeper prefixes (drivers/md/dm-bufio) beat shallower ones (drivers/md/).
      if (depth > 0) score += W_SUBSYSTEM + Math.min(depth, 40) / 10;
      // Specific triggers count fully, common ones half; best hits first, at most three.
      const weights = triggerHits.map((t) => (this.isSpecificTrigger(t) ? W_TRIGGER : W_TRIGGER / 2)).sort((a, b) => b - a);
      for (const w of weights.slice(0, MAX_TRIGGER_HITS)) score += w;
      if (classMatch) score += W_CLASS;
      if (origin === "related") {
        // Not named by anyone: only history of the rule's own hazard class,
        // and only with topical evidence: a trigger hit in its own subsystem,
        // or two hits on triggers few entries share.
        if (!classMatch) continue;
        const evidence = specificHits.length >= 2 || (depth > 0 && triggerHits.length >= 1);
        if (!evidence) continue;
      }
      out.push({ entry: e, score, origin, subsystemMatch: depth > 0, triggerHits });
    }
    out.sort((a, b) => b.score - a.score || order.get(a.entry.id)! - order.get(b.entry.id)!);
    return out;
  }

  /**
   * The 1 to 3 entries that best fit a finding: entries the report names,
   * then the rule's candidates and related entries ranked by subsystem match
   * and trigger identifiers seen in the hunk. A rule with at least one known
   * candidate always gets at least one citation.
   */
  cite(req: CiteRequest): Citation[] {
    const max = Math.max(1, req.max ?? 3);
    return this.rank(req)
      .slice(0, max)
      .map((s) => this.toCitation(s.entry));
  }
}

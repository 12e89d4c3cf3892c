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

export class KnowledgeBase {
  private readonly byId: Map<string, KnowledgeEntry>;

  constructor(readonly entries: KnowledgeEntry[]) {
    this.byId = new Map(entries.map((e) => [e.id, e]));
  }

  get(id: string): KnowledgeEntry | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  toCitation(e: KnowledgeEntry): Citation {
    const c: Citation = { id: e.id, title: e.title, url: e.links[0]! };
    const first = e.commits[0];
    if (first) c.commit = first.sha.slice(0, 12);
    return c;
  }

  /**
   * The 1 to 3 entries that best fit a finding: entries the report names,
   * then the rule's candidates ranked by subsystem match and trigger
   * identifiers seen in the hunk.
   */
  cite(req: CiteRequest): Citation[] {
    const max = req.max ?? 3;
    const ids = new Set<string>();
    const pool = [...(req.preferred ?? []), ...req.candidates].filter((id) => {
      if (ids.has(id) || !this.byId.has(id)) return false;
      ids.add(id);
      return true;
    });
    const idents = new Set(req.identifiers ?? []);
    const path = req.path ?? "";
    const preferred = new Set(req.preferred ?? []);
    const scored = pool.map((id, order) => {
      const e = this.byId.get(id)!;
      let score = 0;
      if (preferred.has(id)) score += 100;
      if (path && e.subsystems.some((s) => path.startsWith(s))) score += 20;
      for (const t of e.triggers) if (idents.has(t)) score += 5;
      if (req.ruleClass && e.classes.includes(req.ruleClass)) score += 1;
      return { e, score, order };
    });
    scored.sort((a, b) => b.score - a.score || a.order - b.order);
    return scored.slice(0, max).map((s) => this.toCitation(s.e));
  }
}

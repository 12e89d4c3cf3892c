// The knowledge base in memory and the choice of citations for a finding.
import type { Citation, HazardClass } from "../types.js";
import type { KnowledgeEntry } from "./schema.js";
import { isSelf, namedRank, type PatchIdentity } from "./identity.js";
import { holdsFor, NEWEST_RELEASE, type Release } from "./release.js";
import type { ListLookup } from "./lists.js";

export interface CiteRequest {
  /** Ids the report itself names (most specific). */
  preferred?: string[];
  /** Ids from the rule's metadata. */
  candidates: string[];
  /** The finding's own facts: identifiers of the quoted line, the call chain, the report (APIs, flags, functions). */
  identifiers?: string[];
  /** File the finding is in: a same-subsystem entry wins a tie between entries with the same evidence. */
  path?: string | null;
  ruleClass?: HazardClass;
  /** The kernel release under review: entries whose lesson does not hold for it are never cited (default: the newest release known). */
  kernel?: Release;
  /** The patch under review: never cited itself; what it names is cited first. */
  patch?: PatchIdentity;
  max?: number;
}

/** One scored entry, for callers (and tests) that want to see why it ranked where it did. */
export interface ScoredEntry {
  entry: KnowledgeEntry;
  score: number;
  /** Named by the patch itself, by the report, by the rule, or found by relevance. */
  origin: "named" | "preferred" | "candidate" | "related";
  subsystemMatch: boolean;
  triggerHits: string[];
  /** The entry's `apis` among the finding's identifiers. */
  apiHits: string[];
}

// Weights. What the patch names comes first, then what the report names.
// After that the finding's own facts decide: an API the entry's lesson is
// about among the finding's identifiers counts most, then a trigger (a
// name the entry's story involves). A trigger shared by many entries
// (GFP_NOIO, WQ_MEM_RECLAIM) says little and counts half.
// Being on the rule's list is worth less than one specific hit; a matching
// path only breaks ties between entries that already have evidence, so a
// shared directory never pulls an entry in.
const W_NAMED = 10_000;
const W_PREFERRED = 1000;
const W_CANDIDATE = 10;
const W_API = 20;
const MAX_API_HITS = 2;
const W_TRIGGER = 12;
const MAX_TRIGGER_HITS = 3;
const W_CLASS = 3;
const W_SUBSYSTEM_TIE = 2;
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

  /**
   * `lists` resolves "@name" in an entry's `apis` (any identifier of
   * knowledge/lists/<name>.txt); without it such references match nothing.
   */
  constructor(
    readonly entries: KnowledgeEntry[],
    private readonly lists: ListLookup = () => null,
  ) {
    this.byId = new Map(entries.map((e) => [e.id, e]));
    for (const e of entries) for (const t of new Set(e.triggers)) this.triggerUse.set(t, (this.triggerUse.get(t) ?? 0) + 1);
  }

  /** True when few entries share the trigger, so a hit on it says something about the topic. */
  isSpecificTrigger(t: string): boolean {
    return (this.triggerUse.get(t) ?? 0) <= SPECIFIC_MAX_ENTRIES;
  }

  /** An `apis` item: a name (or "name*" prefix), or "@list" for any identifier of that list. */
  apiMatches(api: string, ident: string): boolean {
    if (api.startsWith("@")) return this.lists(api.slice(1))?.(ident) ?? false;
    return triggerMatches(api, ident);
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
    if (e.verified.status === "partial") c.partial = true;
    return c;
  }

  /** Whether an entry's lesson holds for a kernel release (see `holds` in the schema). */
  holdsFor(e: KnowledgeEntry, kernel: Release = NEWEST_RELEASE): boolean {
    return holdsFor(e.holds, kernel);
  }

  /**
   * Every entry worth citing for a finding, best first. Never the patch
   * under review (or another version of it), never an entry whose lesson
   * does not hold for the reviewed kernel. Order: the commits and threads
   * the patch names itself, the ids the report names, then the rule's
   * candidates and other entries of the rule's class ranked by the
   * finding's own facts (trigger hits among its identifiers).
   *
   * Evidence needed: a candidate that is a commit, series or thread needs
   * one of its `apis` or a specific trigger among the finding's
   * identifiers, or a common trigger in its own subsystem (a doc needs
   * none: it is the general reference); an entry the rule did not list
   * needs the rule's class and two specific hits (or an api and a specific
   * trigger), or a trigger in its own subsystem.
   */
  rank(req: CiteRequest): ScoredEntry[] {
    const preferred = new Set((req.preferred ?? []).filter((id) => this.byId.has(id)));
    const candidates = req.candidates.filter((id) => this.byId.has(id));
    const candidateSet = new Set(candidates);
    const idents = [...new Set(req.identifiers ?? [])];
    const path = req.path ?? "";
    const kernel = req.kernel ?? NEWEST_RELEASE;
    // Stable order for ties: report ids, then the rule's order, then file order.
    const order = new Map<string, number>();
    for (const id of [...preferred, ...candidates, ...this.entries.map((e) => e.id)]) if (!order.has(id)) order.set(id, order.size);

    const out: ScoredEntry[] = [];
    for (const e of this.entries) {
      if (!holdsFor(e.holds, kernel)) continue;
      if (req.patch && isSelf(e, req.patch)) continue;
      const named = req.patch ? namedRank(e, req.patch) : -1;
      const origin = named >= 0 ? "named" : preferred.has(e.id) ? "preferred" : candidateSet.has(e.id) ? "candidate" : "related";
      const depth = path ? subsystemDepth(e, path) : 0;
      const triggerHits = e.triggers.filter((t) => idents.some((i) => triggerMatches(t, i)));
      const apiHits = e.apis.filter((t) => idents.some((i) => this.apiMatches(t, i)));
      const specificHits = triggerHits.filter((t) => this.isSpecificTrigger(t));
      const classMatch = req.ruleClass !== undefined && e.classes.includes(req.ruleClass);
      if (origin === "candidate" && e.kind !== "doc") {
        if (apiHits.length === 0 && specificHits.length === 0 && !(depth > 0 && triggerHits.length > 0)) continue;
      }
      if (origin === "related") {
        if (!classMatch) continue;
        if (!((apiHits.length >= 1 && specificHits.length >= 1) || specificHits.length >= 2 || (depth > 0 && triggerHits.length >= 1))) continue;
      }
      let score = 0;
      if (origin === "named") score += W_NAMED - named;
      if (origin === "preferred") score += W_PREFERRED;
      if (origin === "candidate") score += W_CANDIDATE;
      score += Math.min(apiHits.length, MAX_API_HITS) * W_API;
      // Specific triggers count fully, common ones half; best hits first, at most three.
      const weights = triggerHits.map((t) => (this.isSpecificTrigger(t) ? W_TRIGGER : W_TRIGGER / 2)).sort((a, b) => b - a);
      for (const w of weights.slice(0, MAX_TRIGGER_HITS)) score += w;
      if (classMatch) score += W_CLASS;
      // Deeper prefixes (drivers/md/dm-bufio) beat shallower ones, but only between entries with evidence.
      if (depth > 0 && triggerHits.length + apiHits.length > 0) score += W_SUBSYSTEM_TIE + Math.min(depth, 40) / 100;
      out.push({ entry: e, score, origin, subsystemMatch: depth > 0, triggerHits, apiHits });
    }
    out.sort((a, b) => b.score - a.score || order.get(a.entry.id)! - order.get(b.entry.id)!);
    return out;
  }

  /**
   * The 1 to 3 entries that best fit a finding (see rank()). A finding
   * without evidence for any entry gets the rule's docs, or no citation.
   */
  cite(req: CiteRequest): Citation[] {
    const max = Math.max(1, req.max ?? 3);
    return this.rank(req)
      .slice(0, max)
      .map((s) => this.toCitation(s.entry));
  }
}

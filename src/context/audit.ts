// Audit: the same rules over existing code. Each file is reviewed as if it
// were entirely added (a synthetic new-file patch), with the facts of its
// directory as source context and no pre-image. Only rules that judge code
// by what it runs in (not by what a patch changes) take part.
import type { ReviewConfig } from "../config.js";
import { reviewPatch } from "../engine.js";
import type { KnowledgeBase } from "../knowledge/base.js";
import type { Finding, Patch, Rule, RuleFailure, SourceContext } from "../types.js";
import { FactsIndex, contextFacts, withFacts, type TextProvider } from "./facts.js";
import { FIELD_ROLES, HANDLE_APIS, LOCK_CALLS, USERSPACE_IO_LIBRARIES, USERSPACE_IO_DEVICES, USERSPACE_IO_SERVERS } from "../vocab/kernel-api.js";

/** Rules that hold for code as it stands; the rest judge changes (added flags, new masks, commit messages). */
export const AUDIT_RULE_IDS: readonly string[] = [
  "alloc-while-holding",
  "alloc-in-fence-signalling",
  "backend-frontend-io",
  "gfp-kernel-in-io-path",
  "io-flusher-missing",
  "mask-restriction-lost",
  "shrinker-blocking",
  "unbalanced-scope",
  "wq-flush-dependency",
];

export function auditRules(all: readonly Rule[]): Rule[] {
  return all.filter((r) => AUDIT_RULE_IDS.includes(r.meta.id));
}

export interface DirHints {
  /** Some file of the directory names WQ_MEM_RECLAIM, a shrinker callback or writepages. */
  reclaimContext: boolean;
  /** Some file of the directory opens a fence signalling section or registers code a fence needs (run_job, timedout_job). */
  fenceCode: boolean;
  /**
   * Some file of the directory freezes a request queue: a caller in another file (or through an ops pointer) may hold
   * the freeze across any allocation of the directory. (Directories that start transaction handles were tried the
   * same way: on linux-6.12 that found nothing more and took longer, so a handle is still looked for in the file.)
   */
  freezes?: boolean;
}

/** Hints over a directory's texts, for candidateRules. */
export function dirHints(texts: Iterable<string>): DirHints {
  const out: DirHints = { reclaimContext: false, fenceCode: false, freezes: false };
  for (const t of texts) {
    if (!out.reclaimContext && (t.includes("WQ_MEM_RECLAIM") || t.includes("scan_objects") || t.includes("writepage") || t.includes("evict_inode") || t.includes("release_folio") || t.includes("free_cached_objects")))
      out.reclaimContext = true;
    if (!out.fenceCode && RE.fenceCode.test(t)) out.fenceCode = true;
    if (!out.freezes && RE.freeze.test(t)) out.freezes = true;
    if (out.reclaimContext && out.fenceCode && out.freezes) break;
  }
  return out;
}

/** What each rule needs a file to name (one regex per group: one scan each). */
const RE = {
  flush: /flush_|drain_workqueue/,
  workCtx: /WQ_MEM_RECLAIM|INIT_WORK|INIT_DELAYED_WORK|DECLARE_WORK|container_of/,
  reclaimCb: /scan_objects|writepages/,
  gfp: /GFP_KERNEL/,
  alloc: /GFP_KERNEL|vmalloc|vzalloc/,
  anyAlloc: /GFP_|vmalloc|vzalloc/,
  fenceCode: new RegExp([...Object.entries(LOCK_CALLS).filter(([, l]) => l.kind === "fence" && l.op === "acquire").map(([n]) => n), ...Object.entries(FIELD_ROLES).filter(([, f]) => f.role === "fence-signal").map(([n]) => `\\.${n}\\s*=`)].join("|")),
  held: /mutex_lock|down_write|down_read|_trans_handle|handle_t/,
  /** A request queue frozen or quiesced (the vocabulary's freeze acquires). */
  freeze: new RegExp(`\\b(?:${Object.entries(LOCK_CALLS).filter(([, l]) => l.kind === "freeze" && l.op === "acquire").map(([n]) => n).join("|")})\\s*\\(`),
  heldAlways: new RegExp(["_freeze_queue", ...Object.values(HANDLE_APIS).flatMap((h) => Object.keys(h.start))].join("|")),
  blockIo: /queue_rq|submit_bio|bi_end_io|target_type|eh_\w*handler|eh_timed_out|\.timeout\s*=|writepages?\s*=|swap_rw/,
  shrinker: /scan_objects|count_objects|cached_objects|shrink_control/,
  scope: /memalloc_\w*_save/,
  fsIo: /\b(?:vfs_iter_write|vfs_iter_read|vfs_iocb_iter_write|vfs_iocb_iter_read|__kernel_write|kernel_write|kernel_read|vfs_fsync|vfs_fsync_range|call_write_iter|call_read_iter)\s*\(|->\s*(?:write_iter|read_iter)\s*\(/,
  /** GFP_NOFS/GFP_NOIO or-ed with something on one line (mask-restriction-lost evaluates the mask). */
  lostMask: /\bGFP_NO(?:FS|IO)\b[^;\n]*\||\|[^;\n]*\bGFP_NO(?:FS|IO)\b/,
  daemon: new RegExp([...Object.keys(USERSPACE_IO_SERVERS), ...Object.keys(USERSPACE_IO_LIBRARIES), ...Object.keys(USERSPACE_IO_DEVICES), "PR_SET_IO_FLUSHER"].map((w) => w.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|")),
};

/**
 * Cheap prefilter: a file is a candidate for a rule only when it names what
 * that rule needs. Returns the rule ids worth running.
 */
export function candidateRules(text: string, dir: DirHints = { reclaimContext: true, fenceCode: true }): string[] {
  const out: string[] = [];
  if (dir.reclaimContext && RE.flush.test(text) && ((text.includes("_work") && RE.workCtx.test(text)) || RE.reclaimCb.test(text))) out.push("wq-flush-dependency");
  if (RE.gfp.test(text) && RE.blockIo.test(text)) out.push("gfp-kernel-in-io-path");
  // held across an allocation: a frozen queue or a handle anywhere; a lock only where reclaim-side code of the directory can take it
  if (RE.alloc.test(text) && (RE.heldAlways.test(text) || dir.freezes === true || (dir.reclaimContext && RE.held.test(text)))) out.push("alloc-while-holding");
  if (RE.shrinker.test(text)) out.push("shrinker-blocking");
  if (dir.fenceCode && RE.anyAlloc.test(text)) out.push("alloc-in-fence-signalling");
  if (RE.scope.test(text)) out.push("unbalanced-scope");
  // the back-end context is found from the callers and the work items that lead to the IO, which may sit in other files
  if (RE.fsIo.test(text)) out.push("backend-frontend-io");
  if (RE.daemon.test(text)) out.push("io-flusher-missing");
  if (RE.lostMask.test(text)) out.push("mask-restriction-lost");
  return out;
}

/** A patch that adds the whole file: every line is "added", numbered as in the file. */
export function wholeFilePatch(path: string, text: string): Patch {
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return {
    source: path,
    subject: `audit ${path}`,
    rawSubject: `audit ${path}`,
    messageId: null,
    inReplyTo: null,
    references: [],
    author: null,
    date: null,
    message: "",
    series: null,
    notes: [],
    files: [
      {
        oldPath: null,
        newPath: path,
        path,
        status: "added",
        binary: false,
        hunks: [
          {
            oldStart: 0,
            oldLines: 0,
            newStart: 1,
            newLines: lines.length,
            section: "",
            lines: lines.map((t, i) => ({ kind: "add" as const, text: t, oldLine: null, newLine: i + 1 })),
          },
        ],
      },
    ],
  };
}

/** Source context for auditing files over a provider (the tree as it is; no pre-image). */
export function auditContext(provider: TextProvider): { context: SourceContext; index: FactsIndex } {
  const index = new FactsIndex(provider, "post");
  const context = withFacts(
    { preImage: () => undefined, postImage: (p) => provider.text(p) },
    contextFacts(index, null, { audit: true }),
  );
  return { context, index };
}

export interface AuditFileResult {
  path: string;
  findings: Finding[];
  errors: RuleFailure[];
}

/** Audits one file with the given rules and a shared context (one per directory keeps the reach cache). */
export function auditFile(
  path: string,
  text: string,
  rules: readonly Rule[],
  context: SourceContext,
  config: ReviewConfig,
  kb: KnowledgeBase,
): AuditFileResult {
  const review = reviewPatch(wholeFilePatch(path, text), { rules, config, kb, source: context });
  return { path, findings: review.findings.filter((f) => f.file === path), errors: review.errors };
}

// Core data types shared by every part of reclaim-review. Plain data only:
// these objects cross from the pure core to the edges (CLI, GitHub App,
// mail bot) and must stay serialisable.

export type Severity = "error" | "warning" | "info";

/** The hazard classes of DESIGN.md (the JSON contract's `class`). */
export type HazardClass =
  | "gfp-context"
  | "workqueue-reclaim"
  | "shrinker-io"
  | "io-flusher"
  | "stacked-io";

/**
 * The kernel release a review assumes: facts and citations that do not hold
 * for it are not used (vmalloc honours NOFS/NOIO since v5.17, ...).
 */
export interface KernelVersion {
  major: number;
  minor: number;
  /** "tree": the Makefile of the reviewed tree (or base commit); "base-commit": the patch's trailer, resolved; "default": the newest release known. */
  from: "tree" | "base-commit" | "default";
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 1, warning: 2, error: 3 };

// ---------------------------------------------------------------- diffs

export interface DiffLine {
  kind: "add" | "del" | "ctx";
  /** The line text without the leading '+', '-' or ' '. */
  text: string;
  /** Line number in the old file (null for added lines). */
  oldLine: number | null;
  /** Line number in the new file (null for deleted lines). */
  newLine: number | null;
  /** Followed by "\ No newline at end of file". */
  noNewline?: boolean;
}

export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Text after the second "@@" (git puts the enclosing function there). */
  section: string;
  lines: DiffLine[];
  /** 1-based line of the "@@" header in the input (in the decoded diff when the message was encoded); for checkpatch's "#N:". */
  inputLine?: number;
}

export type FileStatus = "modified" | "added" | "deleted" | "renamed" | "copied";

export interface FileDiff {
  /** Path before the change, without "a/"; null for a new file. */
  oldPath: string | null;
  /** Path after the change, without "b/"; null for a deleted file. */
  newPath: string | null;
  /** newPath ?? oldPath: the path findings are reported against. */
  path: string;
  status: FileStatus;
  oldMode?: string;
  newMode?: string;
  /** A binary change ("GIT binary patch" or "Binary files ... differ"): no hunks, not reviewed. */
  binary: boolean;
  hunks: Hunk[];
  /** The (usually abbreviated) blob id of the pre-image, from git's "index <old>..<new>" line; absent for a new file or a diff without one. */
  oldBlob?: string;
  /** The blob id of the post-image, from the same line; absent for a deleted file. */
  newBlob?: string;
}

// ---------------------------------------------------------------- patches

export interface SeriesInfo {
  /** 1 for an unversioned "[PATCH]". */
  version: number;
  /** n of n/m; 0 for a cover letter; null when the subject has no n/m. */
  index: number | null;
  total: number | null;
  /** Bracket tags other than PATCH/vN/n/m: RFC, RESEND, net-next... */
  tags: string[];
}

export interface Patch {
  /** Where it came from: "file.patch", "series.mbox#3", "<stdin>", "owner/repo#12@sha". */
  source: string;
  /** Subject without the "[PATCH ...]" prefix. */
  subject: string;
  /** The Subject header as it arrived (decoded). */
  rawSubject: string;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  /** "Name <addr>" of the author, when known. */
  author: string | null;
  date: string | null;
  /** Commit message body: everything before the "---" separator (or the first diff). */
  message: string;
  series: SeriesInfo | null;
  files: FileDiff[];
  /** Things the reader should know that are not findings: "binary file x skipped". */
  notes: string[];
  /** The cover letter of the series this patch belongs to, as context (never reviewed). */
  cover?: { subject: string; message: string } | null;
  /** The commit the series was written against: the `base-commit:` line b4 and `git format-patch --base` write (in the patch or its cover letter). */
  baseCommit?: string;
}

/** A message of a multi-message input that could not be turned into a Patch. */
export interface InputProblem {
  source: string;
  message: string;
}

/** What the ingest edge hands the core. */
export interface ParsedInput {
  patches: Patch[];
  /** Cover letters (0/n), kept for context and listed, never reviewed. */
  covers: Patch[];
  problems: InputProblem[];
}

// ---------------------------------------------------------------- rules

export interface RuleMeta {
  /** kebab-case, equals the file name, stable once released. */
  id: string;
  class: HazardClass;
  /** Default severity; a report may lower or raise it (e.g. info for a recognised fix). */
  severity: Severity;
  /** One line: what the rule looks for. */
  description: string;
  /** Longer documentation (markdown): why it matters, what to do, near misses. */
  docs: { why: string; fix: string; quiet?: string };
  /** messageId -> mustache template ("{{fn}} waits on IO from a shrinker"). */
  messages: Record<string, string>;
  /** Knowledge entry ids this rule may cite (most relevant first). */
  knowledge: string[];
  /** "line": findings on added lines; "patch": patch-level (commit message, whole patch). */
  scope: "line" | "patch";
  /**
   * Prefilter for diff-only review: the rule can only report when the patch
   * (subject, message, paths, hunk sections, diff lines) contains one of these
   * substrings; otherwise the engine does not run it. A necessary condition,
   * never a heuristic (every invalid rule-test case runs through it). Not
   * applied when source context is available (a rule
   * may then report on code the diff reaches without naming it).
   */
  needles?: readonly string[];
}

export interface Report {
  messageId: string;
  data?: Record<string, string | number>;
  /** null with line null for a patch-level finding. */
  file: string | null;
  /** Line in the new file. */
  line: number | null;
  /** Overrides meta.severity (e.g. "info" for a fix that is recognised). */
  severity?: Severity;
  /** What to do instead, specific to this report (falls back to meta.docs.fix). */
  fix?: string;
  /** The call chain or evidence that explains it ("foo_scan -> foo_evict -> wait_on_buffer"). */
  chain?: string[];
  /** Extra knowledge ids that fit this particular report (searched before meta.knowledge). */
  cite?: string[];
  /** Identifiers seen near the finding, used to choose citations. */
  identifiers?: string[];
  /** Set by context-aware checks when the hazard already held before the patch. */
  preExisting?: boolean;
  /** With preExisting: what had the hazard before the patch, appended to the message in parentheses. */
  preExistingWhy?: string;
  /** A fact of the site the message does not say (a spinlock held around it), appended to the message after "; ". */
  also?: string;
  /** Facts the verdict needed but could not establish ("whether a caller holds a NOIO scope"). */
  unknowns?: string[];
}

/** Where a touched file's pre-image came from (--tree). */
export type PreImageFrom =
  /** the blob named on the patch's index line, found in the repository: exactly what the author had */
  | "blob"
  /** the post-image of an earlier patch of the same series */
  | "series"
  /** the file at the base commit (the base-commit: trailer, or the commit found to hold the patch's blobs) */
  | "base-commit"
  /** the working tree (for a bare repository: HEAD), which may differ from the author's */
  | "worktree"
  /** not found: the file was reviewed from the diff alone */
  | "none";

export interface ContextFile {
  path: string;
  from: PreImageFrom;
  /** The commit the text was read at, or that holds the blob, when known. */
  commit?: string;
  /** The full blob id the pre-image was read from ("blob"). */
  blob?: string;
  /** "series": n of the earlier patch whose post-image this is. */
  patch?: number;
  /** The blob id the index line names when the repository does not have it (the pre-image came from further down the list). */
  missingBlob?: string;
}

/** The tree callers and neighbour files were read from. */
export interface ContextBase {
  /** null for a directory that is not a git repository (or files held in memory). */
  commit: string | null;
  /**
   * "base-commit": the patch's (or its cover's) base-commit: trailer;
   * "guessed": the newest commit found whose tree holds the patch's blobs;
   * "head": a bare repository's HEAD; "worktree": the checkout on disk;
   * "pr-base": a pull request's base commit.
   */
  from: "base-commit" | "guessed" | "head" | "worktree" | "pr-base";
}

/** What a review with sources was made against (JSON `context`, and a line in every report). */
export interface ContextOrigin {
  base: ContextBase;
  files: ContextFile[];
}

/** Source context for a file, when sources are available (--tree, PR head). Filled by src/context. */
export interface SourceContext {
  /** Post-image text of a file the patch touches, if known. */
  postImage(path: string): string | undefined;
  /** Pre-image text, if known. */
  preImage(path: string): string | undefined;
  /** Free-form facts computed by src/context, read by context-aware rules. */
  facts?: unknown;
  /** The kernel release of the tree, when the edge could read it (Makefile VERSION/PATCHLEVEL). */
  kernel?: KernelVersion;
  /** Which tree and which versions of the touched files the context came from. */
  origin?: ContextOrigin;
  /**
   * Commits of the tree's own git history that touched this file (or function)
   * and speak of reclaim, deadlocks, NOFS/NOIO, memalloc or WQ_MEM_RECLAIM.
   */
  localHistory?(path: string, fn: string | null): LocalCommit[];
}

export interface LocalCommit {
  sha: string;
  subject: string;
  date: string;
  /** Commit URL when the tree's remote is a known forge, else null. */
  url: string | null;
}

export interface RuleContext {
  patch: Patch;
  /** Present only when sources were given. */
  source?: SourceContext;
  /** Per-rule options from the config file. */
  options: Record<string, unknown>;
}

export interface Rule {
  meta: RuleMeta;
  check(ctx: RuleContext): Report[];
}

// ---------------------------------------------------------------- findings

export interface Citation {
  id: string;
  title: string;
  url: string;
  /** Short (12-char) commit id, when the entry is a commit. */
  commit?: string;
  /** The entry's id and subject were not seen together in a source tied to mainline ("(id not confirmed)"). */
  partial?: boolean;
}

export interface Finding {
  rule: string;
  class: HazardClass;
  severity: Severity;
  file: string | null;
  line: number | null;
  message: string;
  fingerprint: string;
  citations: Citation[];
  preExisting?: boolean;
  // Below: not part of the JSON contract; used by the renderers.
  messageId: string;
  /** Why it matters (rule docs). */
  why: string;
  /** What to do instead. */
  fix: string;
  /** The added line's text (no '+'), when the finding sits on a line. */
  quote: string | null;
  /** Function the line sits in, when known (from parse or hunk header). */
  function: string | null;
  chain?: string[];
  /** Facts the verdict needed but could not establish (see Report.unknowns). */
  unknowns?: string[];
  /** Commits from the reviewed tree's own history relevant to this finding (--tree on a git checkout). */
  localHistory?: LocalCommit[];
}

/** A rule that threw: shown as an internal-error line, never a silent pass. */
export interface RuleFailure {
  rule: string;
  message: string;
}

export interface PatchReview {
  patch: Patch;
  findings: Finding[];
  errors: RuleFailure[];
  /** Findings a rule made beyond the per-rule cap on this patch (bounded output on hostile input): counted, not kept. */
  omitted?: { rule: string; count: number }[];
  /** Present when the patch was reviewed with sources: where its context came from. */
  context?: ReviewContext;
}

export interface ReviewContext extends ContextOrigin {
  kernel?: KernelVersion;
}

export interface ReviewResult {
  tool: "reclaim-review";
  version: string;
  reviews: PatchReview[];
  covers: Patch[];
  problems: InputProblem[];
}

// Function regions of a hunk's new side, and the memalloc scope state of
// each line in them, as far as the diff shows.
import type { FileDiff, Hunk, Patch } from "../../types.js";
import { deletedLines, isSourceFile, sourceAdded, sourceNewSide, type LineView } from "./diff.js";
import { perPatch } from "./patch-cache.js";

export interface FnRegion {
  file: FileDiff;
  hunk: Hunk;
  /** Function name (definition in the hunk, else the hunk header), null between functions. */
  name: string | null;
  /** The new-side lines (added and context) of the function visible in this hunk, in order. */
  lines: LineView[];
  /** True when the definition, the opening "{" and the closing "}" (column 0) are all in the hunk. */
  complete: boolean;
  /** The definition line is in the hunk. */
  hasDefinition: boolean;
}

const regionsOf = perPatch(computeRegions);

/** Splits each hunk's new side into function regions (computed once per patch, then filtered by path). */
export function functionRegions(patch: Patch, filter: (path: string) => boolean = isSourceFile): FnRegion[] {
  const all = regionsOf(patch);
  return filter === isSourceFile ? all : all.filter((r) => filter(r.file.path));
}

function computeRegions(patch: Patch): FnRegion[] {
  const out: FnRegion[] = [];
  let cur: FnRegion | null = null;
  let open = false;
  let closed = false;
  const finish = () => {
    if (cur && cur.lines.length > 0) {
      cur.complete = cur.hasDefinition && open && closed;
      out.push(cur);
    }
    cur = null;
  };
  for (const v of sourceNewSide(patch)) {
    const prev = cur as FnRegion | null;
    const startsHunk: boolean = prev === null || prev.hunk !== v.hunk;
    const def = v.defines;
    if (startsHunk || def || (closed && v.fn !== prev?.name)) {
      finish();
      cur = { file: v.file, hunk: v.hunk, name: def ?? (startsHunk ? v.fn : null), lines: [], complete: false, hasDefinition: def !== null };
      open = def !== null && /\{\s*$/.test(v.line.text);
      closed = false;
    }
    const region: FnRegion = cur!;
    if (/^\{/.test(v.line.text)) open = true;
    if (/^\}/.test(v.line.text)) {
      closed = true;
      region.lines.push(v);
      finish();
      cur = { file: v.file, hunk: v.hunk, name: null, lines: [], complete: false, hasDefinition: false };
      open = false;
      closed = false;
      continue;
    }
    region.lines.push(v);
  }
  finish();
  return out;
}

// ---------------------------------------------------------------- scopes

export type ScopeKind = "noio" | "nofs" | "noreclaim" | "pin" | "flags";

export interface ScopeCall {
  kind: ScopeKind;
  /** "save" or "restore". */
  op: "save" | "restore";
  /** The variable assigned from save / passed to restore (trimmed expression), or null. */
  variable: string | null;
}

const SCOPE_CALL = /\bmemalloc_(noio|nofs|noreclaim|pin|flags)_(save|restore)\s*\(([^)]*)\)/;

/** The memalloc_*_save()/restore() call on a line of code, if any (definitions excluded). */
export function scopeCallOn(code: string): ScopeCall | null {
  const m = SCOPE_CALL.exec(code);
  if (!m) return null;
  const kind = m[1] as ScopeKind;
  const op = m[2] as "save" | "restore";
  const args = m[3]!.trim();
  if (args === "void" || /\bunsigned\s+int\s+\w+$/.test(args)) return null; // the helper's own definition
  if (op === "restore") return { kind, op, variable: args || null };
  const before = code.slice(0, m.index);
  const a = /([A-Za-z_][\w.>\-[\]]*)\s*=\s*$/.exec(before);
  return { kind, op, variable: a ? a[1]!.replace(/\s+/g, "") : null };
}

/** Added lines anywhere in the patch that open a memalloc NOFS/NOIO scope. */
export function patchAddsScope(patch: Patch, path?: string): boolean {
  return path === undefined ? addsScopeAnywhere(patch) : computeAddsScope(patch, path);
}

const addsScopeAnywhere = perPatch((patch) => computeAddsScope(patch, undefined));

function computeAddsScope(patch: Patch, path: string | undefined): boolean {
  for (const f of patch.files) {
    if (path !== undefined && f.path !== path) continue;
    for (const h of f.hunks)
      for (const l of h.lines) {
        if (l.kind !== "add" || !l.text.includes("memalloc_")) continue;
        const c = scopeCallOn(l.text);
        if (c && c.op === "save" && (c.kind === "nofs" || c.kind === "noio" || c.kind === "flags")) return true;
      }
  }
  return false;
}

/** "foo()" for messages, or "this function" when the diff does not name it. */
export function fnLabel(name: string | null | undefined): string {
  return name ? `${name}()` : "this function";
}

// ---------------------------------------------------------------- cached line views

const addedOf = (patch: Patch) => sourceAdded(patch) as LineView[];
const deletedOf = (patch: Patch) => deletedLines(patch) as LineView[];

/** Added lines of source files, computed once per patch. */
export function addedSourceLines(patch: Patch): LineView[] {
  return addedOf(patch);
}

/** Deleted lines of source files, computed once per patch. */
export function deletedSourceLines(patch: Patch): LineView[] {
  return deletedOf(patch);
}

// io-flusher-missing: userspace code that serves block or filesystem IO
// (the uapi commands, device nodes and library loops of the vocabulary)
// without prctl(PR_SET_IO_FLUSHER, 1, ...) in the change, or with sources in
// its directory; and threads created before that prctl in the same function,
// which do not inherit the flag (it is per task, copied at creation).
import { getFacts } from "../../context/facts.js";
import { regionsOf } from "../../context/diff-model.js";
import { scanFile } from "../../context/c-scan.js";
import { codeSide, flusherCallsIn, servingEntryOn, threadCreateOn, type CodeSide } from "../../context/userspace.js";
import type { FileDiff, Patch, Report, Rule, RuleContext } from "../../types.js";
import { USERSPACE_IO_DEVICES, USERSPACE_IO_LIBRARIES, USERSPACE_IO_SERVERS } from "../../vocab/kernel-api.js";
import { stripLine } from "../util/code.js";
import { HISTORY } from "../../vocab/history.js";

const SOURCE = /\.(?:c|cc|cpp|cxx|rs|go)$/;

/** New-side text of a file as the patch shows it (added and context lines). */
function shownText(file: FileDiff): string {
  return file.hunks.flatMap((h) => h.lines.filter((l) => l.kind !== "del").map((l) => l.text)).join("\n");
}

/** Texts that tell a file's side: the whole file with sources, else what the patch shows. */
function sideOf(ctx: RuleContext, file: FileDiff): CodeSide {
  const whole = ctx.source?.postImage(file.path) ?? getFacts(ctx.source)?.text(file.path);
  return codeSide(file.path, whole ?? shownText(file));
}

/** The change sets the flag somewhere (a set call on a line it shows). */
function setInChange(patch: Patch): boolean {
  return patch.files.some((f) => f.newPath !== null && flusherCallsIn(shownText(f)).some((c) => c.call.arg2 === "set"));
}

/**
 * With sources: a file of the path's directory (the path included) that sets
 * the flag; false when the directory was searched and none does; null when it
 * could not be (no sources, or a language whose neighbours the sources do not
 * index: only C files are).
 */
function setInDirectory(ctx: RuleContext, path: string): string | false | null {
  const facts = getFacts(ctx.source);
  if (!facts) return null;
  const own = ctx.source?.postImage(path) ?? facts.text(path);
  if (own !== undefined && flusherCallsIn(own).some((c) => c.call.arg2 === "set")) return path;
  if (!/\.[ch]$/.test(path)) return null;
  for (const f of facts.neighbours(path)) {
    const t = facts.text(f);
    if (t !== undefined && flusherCallsIn(t).some((c) => c.call.arg2 === "set")) return f;
  }
  return false;
}

export const rule: Rule = {
  meta: {
    id: "io-flusher-missing",
    class: "io-flusher",
    severity: "warning",
    description: "Userspace code serving block or filesystem IO without prctl(PR_SET_IO_FLUSHER, 1), or with threads created before it",
    docs: {
      why:
        "A userspace process that serves a block device or filesystem is part of the IO path. Its own " +
        "allocations (page cache of a backing file, socket buffers) can enter reclaim that writes back to the " +
        "device it serves, and wait for IO that only it can complete. PR_SET_IO_FLUSHER (Linux 5.6, " +
        "8d19f1c8e193) gives the thread PF_MEMALLOC_NOIO and PF_LOCAL_THROTTLE, as the kernel's own " +
        "file-backed back ends run. The flag is per thread: threads created after the call inherit it, " +
        "threads created before it do not.",
      fix:
        "Call prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0) before creating the IO threads (or in each of them), check " +
        "the result, and document that it needs CAP_SYS_RESOURCE. Rust: libc::prctl(libc::PR_SET_IO_FLUSHER, " +
        "1, 0, 0, 0); Go: unix.Prctl(unix.PR_SET_IO_FLUSHER, 1, 0, 0, 0).",
      quiet:
        "Kernel code (module macros, kernel-only APIs), headers, request op codes, the commands used as case " +
        "labels or comparisons (the kernel side handling them), and changes or directories that set the flag. " +
        "Without sources only the change is seen: the finding is then info and says the rest of the program " +
        "was not searched.",
    },
    messages: {
      missing:
        "{{marker}}: this code serves IO as {{what}}, and no file of its directory calls prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0): its allocations can enter reclaim that waits on the device it serves",
      missingUnseen:
        "{{marker}}: this code serves IO as {{what}}, and the change does not call prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0); unless another part of the program does before the IO threads start, its allocations can enter reclaim that waits on the device it serves",
      createdBefore:
        "{{create}}() at line {{createLine}} creates a thread before prctl(PR_SET_IO_FLUSHER, 1, ...) at line {{prctlLine}} in {{fn}}(): the flag is per thread and only threads created afterwards inherit it, so {{start}} {{startState}}",
    },
    knowledge: ["pr-set-io-flusher-2019", HISTORY.mappingMaskDeadlock, "local-throttle-2020"],
    scope: "line",
    needles: [...Object.keys(USERSPACE_IO_SERVERS), ...Object.keys(USERSPACE_IO_LIBRARIES), ...Object.keys(USERSPACE_IO_DEVICES), "PR_SET_IO_FLUSHER"],
  },
  check(ctx) {
    const reports: Report[] = [...threadsBefore(ctx)];
    const inChange = setInChange(ctx.patch);
    for (const file of ctx.patch.files) {
      if (file.binary || file.newPath === null || !SOURCE.test(file.path)) continue;
      const entry = firstEntry(file);
      if (!entry) continue;
      const side = sideOf(ctx, file);
      if (side === "kernel" || inChange) continue;
      const dir = setInDirectory(ctx, file.path);
      if (dir) continue;
      const base = { file: file.path, line: entry.line, identifiers: ["PR_SET_IO_FLUSHER", entry.marker], chain: [entry.marker, "no prctl(PR_SET_IO_FLUSHER, 1)"] };
      const fix = "Call prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0) before the IO threads are created (it needs CAP_SYS_RESOURCE; report a failure loudly).";
      if (dir === false && side === "userspace") {
        reports.push({ ...base, messageId: "missing", data: { marker: entry.marker, what: entry.what }, fix });
      } else {
        const unknowns = [
          dir === null
            ? ctx.source
              ? "whether another file of the program calls prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0): only C files of the directory are searched"
              : "whether another file of the program calls prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0): only the change was reviewed (review with --tree to search the directory)"
            : null,
          side === null ? `whether ${file.path} is userspace code: neither libc headers nor kernel module macros are visible` : null,
        ].filter((u): u is string => u !== null);
        reports.push({ ...base, messageId: "missingUnseen", data: { marker: entry.marker, what: entry.what }, severity: "info", fix, unknowns });
      }
      break; // one finding per change: the flag is set once per program
    }
    return reports;
  },
};

/** The first added line of a source file where serving starts. */
function firstEntry(file: FileDiff): { line: number; marker: string; what: string } | null {
  for (const h of file.hunks)
    for (const l of h.lines) {
      if (l.kind !== "add" || l.newLine === null) continue;
      const e = servingEntryOn(l.text);
      if (e) return { line: l.newLine, ...e };
    }
  return null;
}

interface Block {
  file: string;
  fn: string;
  lines: { line: number; code: string; added: boolean }[];
}

/** Function bodies with the lines the review can see: whole functions with sources, the diff's regions without. */
function blocksOf(ctx: RuleContext): Block[] {
  const out: Block[] = [];
  const patch = ctx.patch;
  for (const file of patch.files) {
    if (file.binary || file.newPath === null || !/\.(?:c|cc|cpp|cxx)$/.test(file.path)) continue;
    if (!file.hunks.some((h) => h.lines.some((l) => l.kind !== "del" && /PR_SET_IO_FLUSHER/.test(l.text)))) continue;
    const added = new Set<number>();
    for (const h of file.hunks) for (const l of h.lines) if (l.kind === "add" && l.newLine !== null) added.add(l.newLine);
    const whole = ctx.source?.postImage(file.path) ?? getFacts(ctx.source)?.text(file.path);
    if (whole !== undefined) {
      const lines = whole.split("\n");
      const state = { inComment: false };
      const code = lines.map((l) => stripLine(l, state));
      for (const fn of scanFile(whole).functions) {
        out.push({ file: file.path, fn: fn.name, lines: code.slice(fn.start - 1, fn.end).map((c, i) => ({ line: fn.start + i, code: c, added: added.has(fn.start + i) })) });
      }
      continue;
    }
    for (const r of regionsOf({ ...patch, files: [file] }, "new")) {
      const state = { inComment: false };
      out.push({ file: file.path, fn: r.name ?? "?", lines: r.lines.map((l) => ({ line: l.line, code: stripLine(l.text, state), added: l.changed })) });
    }
  }
  return out;
}

/** Threads created before the prctl that sets the flag, in the same function. */
function threadsBefore(ctx: RuleContext): Report[] {
  const out: Report[] = [];
  const blocks = blocksOf(ctx);
  for (const b of blocks) {
    const text = b.lines.map((l) => l.code).join("\n");
    const set = flusherCallsIn(text, b.lines[0]?.line ?? 1).find((c) => c.call.arg2 === "set");
    if (!set) continue;
    const prctlAdded = b.lines.some((l) => l.line === set.line && l.added);
    for (const l of b.lines) {
      if (l.line >= set.line) break;
      const t = threadCreateOn(l.code);
      if (!t || (!prctlAdded && !l.added)) continue;
      // the start routine may set the flag itself
      const start = t.fn ? blocks.find((x) => x.fn === t.fn) ?? null : null;
      const startSets = start ? flusherCallsIn(start.lines.map((x) => x.code).join("\n")).some((c) => c.call.arg2 === "set") : null;
      if (startSets) continue;
      const startName = t.fn ? `${t.fn}()` : "the new thread";
      out.push({
        file: b.file,
        line: prctlAdded ? set.line : l.line,
        messageId: "createdBefore",
        data: {
          create: t.call,
          createLine: l.line,
          prctlLine: set.line,
          fn: b.fn,
          start: startName,
          startState: start ? "runs without it (it does not call prctl(PR_SET_IO_FLUSHER, 1, ...) itself)" : "runs without it unless it calls prctl(PR_SET_IO_FLUSHER, 1, ...) itself",
        },
        ...(start ? {} : { severity: "info" as const, unknowns: [`whether ${startName} calls prctl(PR_SET_IO_FLUSHER, 1, ...) itself: its definition is not ${ctx.source ? "in this file" : "in the patch"}`] }),
        fix: `Move prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0) before ${t.call}() in ${b.fn}(), or call it at the start of ${startName}.`,
        chain: [`${b.fn}()`, `${t.call}() (line ${l.line})`, `prctl(PR_SET_IO_FLUSHER, 1) (line ${set.line})`],
        identifiers: ["PR_SET_IO_FLUSHER", t.call],
      });
      break;
    }
  }
  return out;
}

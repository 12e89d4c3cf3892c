// io-flusher-missing: userspace code serving a block/filesystem backend without
// prctl(PR_SET_IO_FLUSHER, 1, ...) anywhere in the change.
import { directoryMentions } from "../../context/rule-support.js";
import type { FileDiff, Patch, Report, Rule } from "../../types.js";
import { identifiersOf, stripLine } from "../util/code.js";
import { lists } from "../util/gfp-lists.js";

const KERNEL_DIRS = /^(?:arch|block|certs|crypto|drivers|fs|include|init|io_uring|ipc|kernel|lib|mm|net|rust|security|sound|usr|virt)\//;
const USERSPACE_SOURCE = /\.(?:c|h|cc|cpp|cxx|hh|hpp|rs|go)$/;
/** Markers that a file is a userspace program, whatever its path. */
const USERSPACE_TEXT = /\bint\s+main\s*\(|#\s*include\s*<sys\/|\blibc::|\bunix\.\w+|\bnix::|\bgolang\.org\/x\/sys\/unix\b/;
/** Cheap test before the real one: could the line carry a backend marker? */
const MARKER_HINT = /NBD_|UBLK_|FUSE|fuse|tcmu/;

/** New-side text of a file (added and context lines), raw. */
function newText(file: FileDiff): string {
  return file.hunks.flatMap((h) => h.lines.filter((l) => l.kind !== "del").map((l) => l.text)).join("\n");
}

/** Is this file userspace code (not the kernel tree's own C)? */
export function isUserspaceFile(file: FileDiff): boolean {
  if (file.binary || file.newPath === null || !USERSPACE_SOURCE.test(file.path)) return false;
  if (!/\.[ch]$/.test(file.path)) return true; // Rust, Go, C++ sources are not kernel C
  if (!KERNEL_DIRS.test(file.path)) return true;
  return USERSPACE_TEXT.test(newText(file)) && !/#\s*include\s*<linux\/module\.h>/.test(newText(file));
}

/** The backend marker on a raw line ("/dev/fuse" or a listed identifier), or null. */
export function backendMarkerOn(raw: string): string | null {
  if (/"\/dev\/fuse"/.test(raw)) return "/dev/fuse";
  const code = stripLine(raw);
  for (const id of identifiersOf(code)) if (lists.userspaceBackends().has(id)) return id;
  return null;
}

/** Where serving starts on a raw line (opening /dev/fuse, NBD_DO_IT, the first ublk fetch...), or null. */
export function servingEntryOn(raw: string): string | null {
  if (/"\/dev\/fuse"/.test(raw)) return "/dev/fuse";
  const code = stripLine(raw);
  for (const id of identifiersOf(code)) if (lists.userspaceEntries().has(id)) return id;
  return null;
}

/** Does any new-side line of the patch mention PR_SET_IO_FLUSHER? */
export function mentionsIoFlusher(patch: Patch): boolean {
  return patch.files.some((f) => f.hunks.some((h) => h.lines.some((l) => l.kind !== "del" && l.text.includes("PR_SET_IO_FLUSHER") && /\bPR_SET_IO_FLUSHER\b/.test(stripLine(l.text)))));
}

export const rule: Rule = {
  meta: {
    id: "io-flusher-missing",
    class: "io-flusher",
    severity: "warning",
    description: "Userspace block/filesystem backend (nbd, ublk, FUSE, tcmu) without prctl(PR_SET_IO_FLUSHER, 1)",
    docs: {
      why:
        "A userspace process that serves a block device or filesystem is part of the IO path. Its " +
        "own allocations (page cache of a backing file, socket buffers) can enter reclaim that writes " +
        "back to the device it serves, and wait for IO that only it can complete: a deadlock that " +
        "bit tcmu-runner under dm-zoned/XFS (2019). PR_SET_IO_FLUSHER (Linux 5.6, 8d19f1c8e193) " +
        "gives the thread PF_MEMALLOC_NOIO and PF_LOCAL_THROTTLE, as the kernel's loop worker has.",
      fix:
        "Call prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0) in every thread that handles IO (the state is " +
        "per thread; it is inherited by threads and processes created afterwards), check the " +
        "result, and document that it needs CAP_SYS_RESOURCE. Rust: libc::prctl(libc::PR_SET_IO_FLUSHER, 1, 0, 0, 0); " +
        "Go: unix.Prctl(unix.PR_SET_IO_FLUSHER, 1, 0, 0, 0).",
      quiet:
        "Kernel code, headers, changes that mention PR_SET_IO_FLUSHER anywhere, and code that only " +
        "handles individual requests (op codes) without starting to serve: the flag is usually set " +
        "where the IO threads start (e.g. a library's queue set-up), which such changes do not touch.",
    },
    messages: {
      missing:
        "{{marker}}: this {{what}} serves IO for a block/filesystem device but no thread calls prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0); its allocations can recurse into reclaim that waits on the device it serves",
    },
    knowledge: ["pr-set-io-flusher-2019", "ext4-mapping-gfp-2019", "local-throttle-2020"],
    scope: "line",
    needles: ["NBD_", "UBLK_", "FUSE", "fuse", "tcmu"],
  },
  check({ patch, source }) {
    if (mentionsIoFlusher(patch)) return [];
    for (const file of patch.files) {
      if (/\.(?:h|hh|hpp)$/.test(file.path)) continue; // serving loops live in sources, not headers
      const candidate = file.hunks.some((h) => h.lines.some((l) => l.kind === "add" && MARKER_HINT.test(l.text)));
      if (!candidate || !isUserspaceFile(file)) continue;
      for (const h of file.hunks)
        for (const l of h.lines) {
          if (l.kind !== "add") continue;
          const marker = servingEntryOn(l.text);
          if (!marker) continue;
          // with sources: the daemon may set it in another file of its directory
          if (directoryMentions(source, file.path, /\bPR_SET_IO_FLUSHER\b/) === true) return [];
          const what = /^NBD/.test(marker) ? "nbd client" : /UBLK/.test(marker) ? "ublk server" : /fuse/i.test(marker) ? "FUSE server" : /tcmu/.test(marker) ? "tcmu handler" : "IO daemon";
          const report: Report = { messageId: "missing", data: { marker, what }, file: file.path, line: l.newLine, identifiers: ["PR_SET_IO_FLUSHER", marker] };
          return [report];
        }
    }
    return [];
  },
};

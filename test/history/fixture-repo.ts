// Builds throw-away git repositories for the local-history tests and benchmark,
// with git fast-import (thousands of commits in well under a second).
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface FakeCommit {
  message: string;
  files: Record<string, string>;
}

export function makeRepo(commits: FakeCommit[], remote?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "rr-hist-"));
  execFileSync("git", ["init", "-q", "-b", "main", dir]);
  const parts: string[] = [];
  let mark = 0;
  commits.forEach((c, i) => {
    const t = 1700000000 + i * 60;
    parts.push("commit refs/heads/main", `mark :${++mark}`, `committer Dev <dev@example.org> ${t} +0000`);
    const msg = Buffer.from(c.message);
    parts.push(`data ${msg.length}`, c.message);
    for (const [path, text] of Object.entries(c.files)) {
      const data = Buffer.from(text);
      parts.push(`M 100644 inline ${path}`, `data ${data.length}`, text);
    }
    parts.push("");
  });
  execFileSync("git", ["-C", dir, "fast-import", "--quiet"], { input: parts.join("\n") + "\n" });
  execFileSync("git", ["-C", dir, "checkout", "-q", "main"]);
  if (remote) execFileSync("git", ["-C", dir, "remote", "add", "origin", remote]);
  return dir;
}

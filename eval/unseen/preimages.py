#!/usr/bin/env python3
"""Share of real list patches whose pre-images exist exactly in a kernel tree.

usage: preimages.py MIRRORS_DIR [TREE] [--sample FILE] [--json]

For every mail of the sample (default: preimage-sample.json beside this
script, 120 patches of 2024-2026 to fs/, block/, drivers/block, drivers/md,
mm/ drawn at random with seed 2026 from the lore list archives), read the
mail from the public-inbox mirrors (as fetch-unseen.py does), take every
`diff --git` section with an `index <old>..<new>` line, and ask the git
repository TREE (default /work/kernel/linux-source-6.12) whether the old blob
exists: `git -C TREE cat-file -e <old-abbrev>`. New files (old id all
zeros) have no pre-image and are not counted. A patch counts as found when
every file it modifies or deletes has its old blob in TREE.
"""
import argparse, email, email.policy, json, os, re, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))

def gitdir(mirrors, repo):
    d = os.path.join(mirrors, repo.replace("/", "+"))
    for cand in (os.path.join(d, "repo"), d):
        if os.path.isdir(cand):
            return cand
    return None

def mail_text(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    out = ""
    for part in msg.walk():
        if part.get_content_maintype() == "text" and part.get_content_subtype() == "plain":
            pl = part.get_payload(decode=True)
            if pl:
                out += pl.decode(part.get_content_charset() or "utf-8", "replace")
    return out

def old_blobs(text):
    """(path, old-abbrev) for each modified or deleted file of the patch."""
    res = []
    path = None
    for line in text.splitlines():
        m = re.match(r"^diff --git a/(\S+) b/(\S+)", line)
        if m:
            path = m.group(1)
            continue
        m = re.match(r"^index ([0-9a-f]{7,40})\.\.([0-9a-f]{7,40})", line)
        if m and path:
            if set(m.group(1)) != {"0"}:
                res.append((path, m.group(1)))
            path = None
    return res

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mirrors")
    ap.add_argument("tree", nargs="?", default="/work/kernel/linux-source-6.12")
    ap.add_argument("--sample", default=os.path.join(here, "preimage-sample.json"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    sample = json.load(open(a.sample))
    rows = []
    for s in sample:
        m = re.match(r"^(\S+/\S+) commit ([0-9a-f]{40}) \(m\)$", s["origin"])
        g = gitdir(a.mirrors, m[1]) if m else None
        if g is None:
            rows.append({"url": s["source_url"], "error": "archive missing"})
            continue
        raw = subprocess.run(["git", "--git-dir", g, "show", f"{m[2]}:m"], capture_output=True, check=True).stdout
        files = old_blobs(mail_text(raw))
        found = [subprocess.run(["git", "-C", a.tree, "cat-file", "-e", blob], capture_output=True).returncode == 0 for _, blob in files]
        rows.append({"url": s["source_url"], "date": s.get("date"), "files": len(files), "found_files": sum(found),
                     "found": bool(files) and all(found), "none_modified": not files})
    measured = [r for r in rows if "error" not in r and not r["none_modified"]]
    found = sum(1 for r in measured if r["found"])
    files = sum(r["files"] for r in measured)
    ffound = sum(r["found_files"] for r in measured)
    by_year = {}
    for r in measured:
        y = (r.get("date") or "????")[:4]
        t = by_year.setdefault(y, [0, 0])
        t[0] += 1
        t[1] += r["found"]
    summary = {"patches": len(rows), "measured": len(measured), "found": found,
               "share": round(found / len(measured), 3) if measured else None,
               "files": files, "files_found": ffound, "by_year": by_year,
               "skipped": len(rows) - len(measured)}
    if a.json:
        print(json.dumps({"summary": summary, "rows": rows}, indent=1))
    else:
        print(f"{found} of {len(measured)} patches ({100 * found / max(1, len(measured)):.0f}%) have every pre-image in {a.tree}")
        print(f"files: {ffound} of {files} old blobs found; skipped {summary['skipped']} (archive missing or no modified file)")
        for y, (n, f) in sorted(by_year.items()):
            print(f"  {y}: {f} of {n}")
    return 0

if __name__ == "__main__":
    sys.exit(main())

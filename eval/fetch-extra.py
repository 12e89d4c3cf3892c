#!/usr/bin/env python3
"""Extract the extra evaluation cases (eval/extra-labels.json) from bare clones.

usage: eval/fetch-extra.py MIRRORS_DIR OUT_DIR [--labels FILE]

MIRRORS_DIR holds bare clones named owner+repo (hhoffstaette+kernel-patches,
lede-project+source, ublk-org+ublksrv); a clone may also sit in a `repo`
subfolder (owner+repo/repo), as the search tool's fetch leaves it.
OUT_DIR receives <id>.patch for every case and labels.json (a copy of the
labels), so `npm run eval -- OUT_DIR` works at once. OUT_DIR must stay out of
the project's commits: the patches are third-party text.

Each label's `origin` says where its text lives:
  owner/name:PATH@COMMIT                          -> git show COMMIT:PATH
  OpenWrt (lede-project/source mirror):PATH@COMMIT -> same, in lede-project/source
  owner/name commit SHA (git format-patch ...)    -> git format-patch -1 SHA
When a label has `sha256`, the extracted bytes are checked against it, so a
case never silently changes under its label. Exit status: 0 when every case
was written and matched, 1 otherwise.
"""
import hashlib
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def gitdir(mirrors, repo):
    d = os.path.join(mirrors, repo.replace("/", "+"))
    for cand in (os.path.join(d, "repo"), d):
        if os.path.isfile(os.path.join(cand, "HEAD")):
            return cand
    raise FileNotFoundError(f"no clone of {repo} under {mirrors}")


def git(g, *args):
    return subprocess.run(["git", "--git-dir", g, *args], capture_output=True, check=True).stdout


def extract(mirrors, origin):
    if m := re.match(r"^OpenWrt \(lede-project/source mirror\):(\S+)@([0-9a-f]+)$", origin):
        return git(gitdir(mirrors, "lede-project/source"), "show", f"{m[2]}:{m[1]}")
    if m := re.match(r"^(\S+/\S+) commit ([0-9a-f]+) \(git format-patch", origin):
        return git(gitdir(mirrors, m[1]), "format-patch", "--no-signature", "-1", "--stdout", m[2])
    if m := re.match(r"^(\S+?/\S+?):(\S+)@([0-9a-f]+)$", origin):
        return git(gitdir(mirrors, m[1]), "show", f"{m[3]}:{m[2]}")
    raise ValueError(f"origin not understood: {origin}")


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    labels_path = os.path.join(HERE, "extra-labels.json")
    if "--labels" in argv:
        labels_path = argv[argv.index("--labels") + 1]
        args.remove(labels_path)
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    mirrors, out = args
    labels = json.load(open(labels_path, encoding="utf-8"))
    os.makedirs(out, exist_ok=True)
    done = bad = 0
    for case in labels:
        try:
            data = extract(mirrors, case["origin"])
            want = case.get("sha256")
            if want and hashlib.sha256(data).hexdigest() != want:
                raise ValueError("extracted text differs from the labelled version (sha256)")
            with open(os.path.join(out, case["id"] + ".patch"), "wb") as f:
                f.write(data)
            done += 1
        except (OSError, ValueError, subprocess.CalledProcessError) as e:
            bad += 1
            detail = e.stderr.decode(errors="replace").strip() if isinstance(e, subprocess.CalledProcessError) else str(e)
            print(f"{case['id']}: {detail}")
    with open(os.path.join(out, "labels.json"), "w", encoding="utf-8") as f:
        json.dump(labels, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(f"{done} extracted, {bad} missing; labels.json written to {out}")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

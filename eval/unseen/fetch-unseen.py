#!/usr/bin/env python3
"""Re-create the unseen evaluation cases from the public list archives.

usage: fetch-unseen.py MIRRORS_DIR [OUT_ROOT] [--set dev|holdout|dev2|holdout2|dev3|holdout3|dev4|holdout4|dev5|holdout5|dev6|holdout6|dev7|holdout7|dev8|holdout8|all] [--lore]

Every case is one mail of a lore.kernel.org list, as kept in the public-inbox
git mirrors on GitHub (github.com/linux-mailinglist-archives/<list>.0; one
commit per mail, the mail in the file `m`). MIRRORS_DIR holds bare clones of
those repositories named `owner+repo` (or `owner+repo/repo`, the layout the
search tool's `fetch` leaves under /work/.mirror), for example
`linux-mailinglist-archives+linux-xfs.vger.kernel.org.0`.

Writes OUT_ROOT/unseen-dev/<id>.patch, OUT_ROOT/holdout/<id>.patch, for the
second batch OUT_ROOT/unseen-dev2/<id>.patch and OUT_ROOT/holdout2/<id>.patch,
for the third batch OUT_ROOT/unseen-dev3/<id>.patch and
OUT_ROOT/holdout3/<id>.patch, for the fourth OUT_ROOT/unseen-dev4/<id>.patch
and OUT_ROOT/holdout4/<id>.patch, for the fifth OUT_ROOT/unseen-dev5/<id>.patch
and OUT_ROOT/holdout5/<id>.patch, for the sixth OUT_ROOT/unseen-dev6/<id>.patch
and OUT_ROOT/holdout6/<id>.patch, and for the seventh OUT_ROOT/unseen-dev7/<id>.patch
and OUT_ROOT/holdout7/<id>.patch (default OUT_ROOT: /work/eval-data; --set all
writes all fourteen) and checks each file against the `sha256` of its label.
With --lore, a case whose archive is missing is downloaded from
https://lore.kernel.org/all/<Message-ID>/raw instead; lore rewrites some
headers, so such a file is kept but reported as differing. A case whose
origin is the search tool's file index rather than an archive commit (one
case of the fourth batch, the eight index cases of the fifth, the eleven
of the sixth and the three of the seventh, from lists too large to mirror or
not mirrored) has no archive to read: it is
fetched from lore with --lore and reported as differing, and reported as
missing without it.

The eighth batch (dev8, holdout8) comes from openSUSE/kernel-source
patches.suse/ instead of mails: its origin reads "openSUSE/kernel-source
patches.suse/<file> (Git-commit <sha>)" and the text is that file as the
search tool's read_file returned it (evidence.kernel_source_commit names the
kernel-source commit of the stored version). With a bare clone
MIRRORS_DIR/openSUSE+kernel-source holding that commit the file is re-read
with `git show <commit>:<path>`; without one such a case is reported as
missing ("index only ...; re-read with read_file"), or with --lore taken from
the lore link when the patch carries one (reported as differing: lore has
the mail, not the SUSE text). A set whose label file does not exist yet is
skipped with a note.

The mails are third-party text: keep OUT_ROOT out of the project's commits.
Exit status 1 if any case is missing or differs.
"""
import argparse, hashlib, json, os, re, subprocess, sys, urllib.request

here = os.path.dirname(os.path.abspath(__file__))
SETS = {
    "dev": ("labels-dev.json", "unseen-dev"),
    "holdout": ("labels-holdout.json", "holdout"),
    "dev2": ("labels-dev2.json", "unseen-dev2"),
    "holdout2": ("labels-holdout2.json", "holdout2"),
    "dev3": ("labels-dev3.json", "unseen-dev3"),
    "holdout3": ("labels-holdout3.json", "holdout3"),
    "dev4": ("labels-dev4.json", "unseen-dev4"),
    "holdout4": ("labels-holdout4.json", "holdout4"),
    "dev5": ("labels-dev5.json", "unseen-dev5"),
    "holdout5": ("labels-holdout5.json", "holdout5"),
    "dev6": ("labels-dev6.json", "unseen-dev6"),
    "holdout6": ("labels-holdout6.json", "holdout6"),
    "dev7": ("labels-dev7.json", "unseen-dev7"),
    "holdout7": ("labels-holdout7.json", "holdout7"),
    "dev8": ("labels-dev8.json", "unseen-dev8"),
    "holdout8": ("labels-holdout8.json", "holdout8"),
}

# Kept from the first plan for the eighth batch (mainline commits): origin
# "torvalds/linux commit <40-hex> (format-patch)", text = the output of
# `git format-patch` with the options below, run on a bare clone named
# torvalds+linux under MIRRORS_DIR. Every option that config or the git
# version could change is pinned so the bytes (and the sha256) are stable.
FORMAT_PATCH = ["-c", "core.abbrev=12", "-c", "diff.noprefix=false",
                "-c", "diff.mnemonicPrefix=false", "-c", "diff.relative=false",
                "-c", "diff.renames=true", "-c", "diff.algorithm=myers",
                "-c", "format.signature=", "-c", "format.coverLetter=false",
                "-c", "i18n.logOutputEncoding=UTF-8"]
FORMAT_PATCH_ARGS = ["format-patch", "-1", "--stdout", "--no-signature",
                     "--no-numbered", "--no-color", "--stat=72",
                     "--encode-email-headers"]

def format_patch(g, sha):
    return subprocess.run(["git", "--git-dir", g, *FORMAT_PATCH, *FORMAT_PATCH_ARGS, sha],
                          capture_output=True, check=True, env={**os.environ, "TZ": "UTC", "LC_ALL": "C"}).stdout

def gitdir(mirrors, repo):
    d = os.path.join(mirrors, repo.replace("/", "+"))
    for cand in (os.path.join(d, "repo"), d):
        if os.path.isdir(cand):
            return cand
    return None

SUSE = re.compile(r"^openSUSE/kernel-source (patches\.suse/\S+) \(Git-commit ([0-9a-f]{40})\)$")

def from_kernel_source(mirrors, c):
    m = SUSE.match(c["origin"])
    g = gitdir(mirrors, "openSUSE/kernel-source")
    commit = (c.get("evidence") or {}).get("kernel_source_commit")
    if g is None or not commit:
        raise FileNotFoundError(f"index only (openSUSE/kernel-source path {m[1]}); re-read with read_file")
    return subprocess.run(["git", "--git-dir", g, "show", f"{commit}:{m[1]}"], capture_output=True, check=True).stdout

def from_archive(mirrors, origin):
    fp = re.match(r"^(\S+/\S+) commit ([0-9a-f]{40}) \(format-patch\)$", origin)
    if fp:
        g = gitdir(mirrors, fp[1])
        if g is None:
            raise FileNotFoundError(f"no clone of {fp[1]} under {mirrors}")
        return format_patch(g, fp[2])
    m = re.match(r"^(\S+/\S+) commit ([0-9a-f]{40}) \(m\)$", origin)
    if not m:
        if "(search index file" in origin:
            raise FileNotFoundError(f"not in a mirrored archive ({origin}); use --lore")
        raise ValueError(f"origin not understood: {origin}")
    g = gitdir(mirrors, m[1])
    if g is None:
        raise FileNotFoundError(f"no clone of {m[1]} under {mirrors}")
    return subprocess.run(["git", "--git-dir", g, "show", f"{m[2]}:m"], capture_output=True, check=True).stdout

def from_lore(url):
    mid = url.rsplit("/r/", 1)[1]
    with urllib.request.urlopen(f"https://lore.kernel.org/all/{mid}/raw", timeout=60) as r:
        return r.read()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mirrors")
    ap.add_argument("out_root", nargs="?", default="/work/eval-data")
    ap.add_argument("--set", choices=[*SETS, "all"], default="all")
    ap.add_argument("--lore", action="store_true")
    a = ap.parse_args()
    bad = 0
    for name in (list(SETS) if a.set == "all" else [a.set]):
        labels, sub = SETS[name]
        out = os.path.join(a.out_root, sub)
        os.makedirs(out, exist_ok=True)
        if not os.path.exists(os.path.join(here, labels)):
            print(f"{name}: {labels} does not exist (batch not built); skipped")
            continue
        cases = json.load(open(os.path.join(here, labels)))
        done = 0
        for c in cases:
            try:
                try:
                    if SUSE.match(c["origin"]):
                        data = from_kernel_source(a.mirrors, c)
                    else:
                        data = from_archive(a.mirrors, c["origin"])
                except FileNotFoundError:
                    if not a.lore or "/r/" not in c["source_url"]:
                        raise
                    data = from_lore(c["source_url"])
                open(os.path.join(out, c["id"] + ".patch"), "wb").write(data)
                if hashlib.sha256(data).hexdigest() != c["sha256"]:
                    bad += 1
                    print(f"{name}/{c['id']}: differs from the labelled text (sha256)")
                else:
                    done += 1
            except Exception as e:  # report and go on
                bad += 1
                print(f"{name}/{c['id']}: {e}")
        print(f"{name}: {done} of {len(cases)} written to {out}")
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Helper for the eighth unseen batch (unseen-dev8, holdout8) from openSUSE/kernel-source.

Every case is one file of openSUSE/kernel-source patches.suse/ (a mainline
commit as a mail-form patch with Git-commit:, Patch-mainline:, References:
headers), read with the search tool's read_file (repo openSUSE/kernel-source,
path patches.suse/<file>). The repository is far too large to clone here, so
the text of each read_file answer was saved as JSON {"text": ..., "total":
total_chars} and written out with `store`.

usage:
  build8.py store RAW.json OUT_ROOT/<set dir>/<id>.patch
      writes the text exactly (UTF-8), refuses it unless its length is the
      total_chars read_file reported, and prints its sha256.
  build8.py check OUT_ROOT LABELS...
      refuses the label files unless: no case repeats a subject, commit id
      (Git-commit, or a Fixes: sha of the stored text) or Message-ID of an
      earlier batch, eval/extra-labels.json, the shared dev labels,
      eval/audit/*.json or the seeds (and their threads); the stored text
      carries the origin's Git-commit; every `lines` entry is an added line of
      the stored text; every sha256 matches the stored file; a case and the
      cases in its `related` are in the same set.

The first attempt (commit c0d6bde) planned mainline git and `git format-patch`;
no clone of torvalds/linux fits here, so that origin was dropped.
Patch texts are third-party: OUT_ROOT stays outside the repository.
"""

import argparse, glob, hashlib, importlib.util, json, os, random, re, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(here))
spec = importlib.util.spec_from_file_location("fetch_unseen", os.path.join(here, "fetch-unseen.py"))
fetch_unseen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fetch_unseen)

OWN = {"labels-dev8.json", "labels-holdout8.json"}
SEED_THREADS = [  # excluded with the seeds themselves
    "overhaul memalloc_no", "pr_set_io_flusher", "io_flusher", "m_sync_workqueue",
]
RECLAIM = (r"fs_reclaim|GFP_NOFS|GFP_NOIO|memalloc_nofs_save|memalloc_noio_save|"
           r"WQ_MEM_RECLAIM|check_flush_dependency|PF_MEMALLOC|"
           r"reclaim.*(deadlock|recurs|lockdep)|(deadlock|recurs|lockdep).*reclaim")
NOT_RECLAIM = r"space reclaim|block group reclaim|reclaim_bgs|zone reclaim|state reclaim|reclaim (of )?(space|zones?|segments?)"


def norm(s):
    s = s.strip()
    while True:
        t = re.sub(r"^\s*(\[[^\]]*\]\s*|(re|fwd|aw|sv)\s*:\s*)", "", s, flags=re.I)
        if t == s:
            break
        s = t
    return re.sub(r"\s+", " ", s).strip().lower()


def _strings(o):
    if isinstance(o, dict):
        for v in o.values():
            yield from _strings(v)
    elif isinstance(o, list):
        for v in o:
            yield from _strings(v)
    elif isinstance(o, str):
        yield o


def exclusions():
    """Subjects, commit ids (12-hex prefixes) and Message-IDs already used."""
    files = [f for f in glob.glob(os.path.join(here, "labels-*.json")) if os.path.basename(f) not in OWN]
    files += [os.path.join(repo, "eval", "extra-labels.json"), "/work/shared/eval-dev/labels.json"]
    files += glob.glob(os.path.join(repo, "eval", "audit", "*.json"))
    subjects, ids, mids = set(), set(), set()
    for f in files:
        if not os.path.exists(f):
            continue
        d = json.load(open(f))
        if isinstance(d, dict):
            d = d.get("cases") or d.get("labels") or list(d.values())
        for c in d:
            if not isinstance(c, dict):
                continue
            for k in ("subject", "title"):
                if isinstance(c.get(k), str):
                    subjects.add(norm(c[k]))
            for s in _strings(c):
                ids.update(m[:12] for m in re.findall(r"\b[0-9a-f]{12,40}\b", s))
                mids.update(m.lower() for m in re.findall(r"/r/([^/\s\"]+@[^/\s\"]+)", s))
                mids.update(m.lower() for m in re.findall(r"<([^<>\s]+@[^<>\s]+)>", s))
    for f in glob.glob("/work/shared/seeds/*"):
        t = open(f, errors="replace").read()
        subjects.add(norm(t.splitlines()[0]))
        ids.update(m[:12] for m in re.findall(r"(?<![0-9a-f])[0-9a-f]{12,40}(?![0-9a-f])", t))
        mids.update(m.lower() for m in re.findall(r"<([^<>\s]+@[^<>\s]+)>", t))
    return subjects, ids, mids


def excluded(ex, subject, sha=None, text=""):
    subjects, ids, mids = ex
    n = norm(subject)
    if n in subjects:
        return "subject used before"
    if any(t in n for t in SEED_THREADS):
        return "seed thread"
    if sha and sha[:12] in ids:
        return "commit id used before"
    for m in re.findall(r"^(?:Link|Message-ID):.*?([^/\s<>]+@[^/\s<>]+)", text, re.M | re.I):
        if m.lower().strip(">") in mids:
            return "Message-ID used before"
    return None


ORIGIN = re.compile(r"^openSUSE/kernel-source (patches\.suse/\S+) \(Git-commit ([0-9a-f]{40})\)$")


def origin_parts(c):
    m = ORIGIN.match(c["origin"])
    if not m:
        raise SystemExit(f"{c['id']}: origin is not an openSUSE/kernel-source origin: {c['origin']}")
    return m[1], m[2]


def set_dir(labels_path):
    b = os.path.basename(labels_path)
    for name, (lf, sub) in fetch_unseen.SETS.items():
        if lf == b:
            return sub
    raise SystemExit(f"{b}: not a set of fetch-unseen.py")


def cmd_store(a):
    """Write the text of a read_file answer (saved as JSON {"text": ..., "total": N})."""
    d = json.load(open(a.raw))
    text = d["text"]
    if "total" in d and len(text) != d["total"]:
        raise SystemExit(f"{a.raw}: {len(text)} characters, read_file said total_chars {d['total']}")
    data = text.encode("utf-8")
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    open(a.out, "wb").write(data)
    print(hashlib.sha256(data).hexdigest(), a.out)


def added_lines(text):
    out, path = set(), None
    for l in text.splitlines():
        if l.startswith("+++ "):
            path = l[4:].split("/", 1)[1] if l[4:].startswith("b/") else l[4:]
            path = path.split("\t")[0]
        elif l.startswith("+") and path:
            out.add((path, l[1:].strip()))
    return out


def cmd_check(a):
    ex = exclusions()
    problems = []
    where, ids, subjects = {}, set(), set()
    for lp in a.labels:
        for c in json.load(open(lp)):
            where[c["id"]] = lp
    for lp in a.labels:
        for c in json.load(open(lp)):
            cid = c["id"]
            if cid in ids:
                problems.append(f"{cid}: duplicate id")
            ids.add(cid)
            if norm(c["subject"]) in subjects:
                problems.append(f"{cid}: duplicate subject in batch 8")
            subjects.add(norm(c["subject"]))
            path, sha = origin_parts(c)
            f = os.path.join(a.out_root, set_dir(lp), cid + ".patch")
            if not os.path.exists(f):
                problems.append(f"{cid}: {f} missing")
                continue
            data = open(f, "rb").read()
            text = data.decode("utf-8", "replace")
            if f"Git-commit: {sha}" not in text:
                problems.append(f"{cid}: stored text does not carry Git-commit {sha}")
            why = excluded(ex, c["subject"], sha, text)
            for fx in re.findall(r"^Fixes:\s*([0-9a-f]{12,40})", text, re.M):
                if fx[:12] in ex[1]:
                    why = why or f"Fixes {fx[:12]} used before"
            if why:
                problems.append(f"{cid}: {why}")
            if hashlib.sha256(data).hexdigest() != c.get("sha256"):
                problems.append(f"{cid}: sha256 differs from {f}")
            adds = added_lines(text)
            for spec_ in c.get("lines", []):
                p, _, t = spec_.partition(":+")
                if (p, t.strip()) not in adds:
                    problems.append(f"{cid}: line not added by the patch: {spec_}")
            for r in c.get("related", []):
                if r in where and where[r] != lp:
                    problems.append(f"{cid}: related {r} is in another set")
    for p in problems:
        print(p)
    print(f"{len(ids)} cases, {len(problems)} problems")
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    p = sp.add_parser("store"); p.add_argument("raw"); p.add_argument("out")
    p = sp.add_parser("check"); p.add_argument("out_root"); p.add_argument("labels", nargs="+")
    a = ap.parse_args()
    return {"store": cmd_store, "check": cmd_check}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())

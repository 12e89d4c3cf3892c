#!/usr/bin/env python3
"""Helper for the eighth unseen batch (unseen-dev8, holdout8) from mainline git.

usage:
  build8.py candidates GITDIR [--range v4.12..v6.13] > cands.json
      reclaim-fix candidates: commits in the range whose message matches the
      reclaim patterns and carries a Fixes: tag; each with the introducer(s)
      the tag names (resolved in GITDIR), their diff size, and whether the fix
      or an introducer is excluded (see `exclusions`). Nothing is labelled
      here: every candidate still has to be read by hand.
  build8.py negatives GITDIR --dirs fs/xfs,block,... [--seed 20260808] [--n 60]
      a seeded random sample of commits in the same directories and years
      that add allocations, locks or workqueue calls and do not mention
      reclaim, NOFS/NOIO, memalloc, WQ_MEM_RECLAIM, deadlock or shrinkers.
  build8.py write GITDIR OUT_ROOT LABELS...
      writes OUT_ROOT/<set dir>/<id>.patch for every case of the label files
      with fetch-unseen.py's pinned `git format-patch` and fills `sha256`.
  build8.py check GITDIR OUT_ROOT LABELS...
      refuses the label files unless: no case repeats a subject, commit id or
      Message-ID of an earlier batch, eval/extra-labels.json, the shared
      dev labels, eval/audit/*.json or the seeds (and their threads); every
      `lines` entry is an added line of the case's patch; every sha256 matches
      the regenerated text; a case and the cases in its `related` are in the
      same set.

GITDIR is a bare clone of torvalds/linux (e.g. MIRRORS_DIR/torvalds+linux).
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


def git(g, *args):
    return subprocess.run(["git", "--git-dir", g, *args], capture_output=True, check=True, text=True,
                          errors="replace").stdout


def cmd_candidates(a):
    ex = exclusions()
    log = git(a.gitdir, "log", "--no-merges", "-i", "-E", f"--grep={RECLAIM}", "--format=%H%x00%s%x00%B%x01", a.range)
    out = []
    for rec in log.split("\x01"):
        if "\x00" not in rec:
            continue
        sha, subj, body = rec.strip("\n").split("\x00", 2)
        if re.search(NOT_RECLAIM, body, re.I) and not re.search(r"fs_reclaim|GFP_NO|memalloc_no|WQ_MEM_RECLAIM", body):
            continue
        tags = re.findall(r"^\s*Fixes:\s*([0-9a-f]{8,40})\b", body, re.M | re.I)
        if not tags:
            continue
        intro = []
        for t in tags:
            try:
                full = git(a.gitdir, "rev-parse", "--verify", "-q", t + "^{commit}").strip()
            except subprocess.CalledProcessError:
                intro.append({"tag": t, "unresolved": True})
                continue
            isub = git(a.gitdir, "log", "-1", "--format=%s", full).strip()
            lines = sum(1 for l in git(a.gitdir, "show", "--format=", full).splitlines())
            intro.append({"sha": full, "subject": isub, "diff_lines": lines,
                          "excluded": excluded(ex, isub, full)})
        out.append({"sha": sha, "subject": subj, "excluded": excluded(ex, subj, sha, body), "introducers": intro})
    json.dump(out, sys.stdout, indent=1)
    print(file=sys.stderr, end=f"{len(out)} candidates\n")


def cmd_negatives(a):
    ex = exclusions()
    dirs = a.dirs.split(",")
    shas = git(a.gitdir, "log", "--no-merges", "--format=%H", a.range, "--", *dirs).split()
    rng = random.Random(a.seed)
    rng.shuffle(shas)
    bad = re.compile(r"reclaim|NOFS|NOIO|memalloc|WQ_MEM_RECLAIM|deadlock|shrink|lockdep|writeback", re.I)
    add = re.compile(r"^\+.*\b(k[mvz]alloc\w*|kcalloc|kmem_cache_alloc|alloc_page\w*|mempool_alloc|mutex_lock|spin_lock\w*|down_(read|write)|alloc_workqueue|queue_work|flush_work\w*)\b", re.M)
    out = []
    for sha in shas:
        if len(out) >= a.n:
            break
        msg = git(a.gitdir, "log", "-1", "--format=%s%n%b", sha)
        if bad.search(msg) or "Fixes:" in msg:
            continue
        diff = git(a.gitdir, "show", "--format=", sha)
        n = len(diff.splitlines())
        if not (6 <= n <= 400) or not add.search(diff) or bad.search(diff):
            continue
        subj = msg.splitlines()[0]
        if excluded(ex, subj, sha):
            continue
        out.append({"sha": sha, "subject": subj, "diff_lines": n})
    json.dump(out, sys.stdout, indent=1)


def set_dir(labels_path):
    b = os.path.basename(labels_path)
    for name, (lf, sub) in fetch_unseen.SETS.items():
        if lf == b:
            return sub
    raise SystemExit(f"{b}: not a set of fetch-unseen.py")


def origin_sha(c):
    m = re.match(r"^torvalds/linux commit ([0-9a-f]{40}) \(format-patch\)$", c["origin"])
    if not m:
        raise SystemExit(f"{c['id']}: origin is not a format-patch origin: {c['origin']}")
    return m[1]


def cmd_write(a):
    for lp in a.labels:
        cases = json.load(open(lp))
        out = os.path.join(a.out_root, set_dir(lp))
        os.makedirs(out, exist_ok=True)
        for c in cases:
            data = fetch_unseen.format_patch(a.gitdir, origin_sha(c))
            open(os.path.join(out, c["id"] + ".patch"), "wb").write(data)
            c["sha256"] = hashlib.sha256(data).hexdigest()
        json.dump(cases, open(lp, "w"), indent=1, ensure_ascii=False)
        open(lp, "a").write("\n")


def added_lines(text):
    out, path = set(), None
    for l in text.splitlines():
        if l.startswith("+++ "):
            path = l[4:].split("/", 1)[1] if l[4:].startswith("b/") else l[4:]
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
            sha = origin_sha(c)
            data = fetch_unseen.format_patch(a.gitdir, sha)
            why = excluded(ex, c["subject"], sha, data.decode("utf-8", "replace"))
            if why:
                problems.append(f"{cid}: {why}")
            if hashlib.sha256(data).hexdigest() != c.get("sha256"):
                problems.append(f"{cid}: sha256 differs from the regenerated patch")
            f = os.path.join(a.out_root, set_dir(lp), cid + ".patch")
            if not os.path.exists(f) or open(f, "rb").read() != data:
                problems.append(f"{cid}: {f} missing or not the regenerated text")
            adds = added_lines(data.decode("utf-8", "replace"))
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
    p = sp.add_parser("candidates"); p.add_argument("gitdir"); p.add_argument("--range", default="v4.12..v6.13")
    p = sp.add_parser("negatives"); p.add_argument("gitdir"); p.add_argument("--dirs", required=True)
    p.add_argument("--range", default="v4.12..v6.13"); p.add_argument("--seed", type=int, default=20260808)
    p.add_argument("--n", type=int, default=60)
    for name in ("write", "check"):
        p = sp.add_parser(name); p.add_argument("gitdir"); p.add_argument("out_root"); p.add_argument("labels", nargs="+")
    a = ap.parse_args()
    return {"candidates": cmd_candidates, "negatives": cmd_negatives, "write": cmd_write, "check": cmd_check}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Fresh list traffic for a precision check of the review's warnings.

Two samples of [PATCH] mails with a C diff, read from the fetched list
archives (public-inbox git mirrors, as eval/unseen/fetch-unseen.py reads
them), leaving out every subject labelled in eval/unseen/:

  random   20 lists x 20 mails posted since 2025-01-01 (seed 20261207)
  keyword  every mail since 2024-11-17 whose changelog names reclaim
           context (fs_reclaim, memalloc_no*, GFP_NOIO/NOFS,
           WQ_MEM_RECLAIM, PF_MEMALLOC, PR_SET_IO_FLUSHER, reclaim near
           deadlock/recursion/hang, shrinker near deadlock) or whose
           added lines add such a mask, scope or flag; one per subject
           (versions folded)
  alloc    400 mails (seed 20261207, from the same 20 lists) posted since
           2025-01-01, outside the other two samples, whose added lines
           call an allocator with a gfp mask; one per subject
  NAME     a labelled sample (labels-NAME.json): the mails its label file
           names, read back by id. A new one is built with --new-labelled
           NAME SEED: 210 mails (that seed) posted since 2025-01-01 to the
           lists of the IO and filesystem stack (PATH_LISTS), outside the
           other samples, the mails judged.json names and every labelled
           sample's cases (any version of each), whose added lines call an
           allocator with a gfp mask; one per subject (--new-labelled NAME
           SEED SINCE UNTIL: posted in that window instead). It is labelled
           (hazard or not) before the review runs on it. "labelled" was
           built so with seed 20261208, "labelled2" with 20261209,
           "labelled3" with 20261210 over 2024-01-01 .. 2024-12-31.
           A comma-separated LISTS after the window draws from those
           lists instead of PATH_LISTS ("labelled7": OTHER_LISTS; "-":
           PATH_LISTS). A last argument "flow" takes mails whose added
           lines allocate with no gfp mask but change the reclaim flow
           (workqueues, shrinkers, scopes, PF_MEMALLOC: FLOW_ADD), which
           the allocation-based samples never drew ("labelled22").

usage: sample.py MIRRORS OUT [--new-labelled NAME SEED [SINCE UNTIL [LISTS [flow]]]]   (MIRRORS: the
directory of the fetched linux-mailinglist-archives+* mirrors; writes
OUT/random/*.patch, OUT/keyword/*.patch, OUT/alloc/*.patch and
OUT/NAME/*.patch for every labelled sample, named <list>-<commit10>.patch)
"""
import glob
import json
import os
import random
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LISTS = ["linux-block", "linux-xfs", "linux-btrfs", "linux-ext4", "linux-nfs", "linux-scsi", "linux-raid",
         "linux-f2fs-devel", "linux-mmc", "linux-rdma", "linux-usb", "ceph-devel", "linux-cifs", "linux-erofs",
         "cgroups", "target-devel", "nvdimm", "linux-bcache", "io-uring", "linux-crypto"]
# the IO and filesystem stack: lists whose patches run where reclaim may wait (writeback, IO submission and
# completion, error handling, filesystem transactions)
PATH_LISTS = ["linux-block", "linux-xfs", "linux-btrfs", "linux-ext4", "linux-nfs", "linux-scsi", "linux-raid",
              "linux-f2fs-devel", "ceph-devel", "linux-cifs", "linux-erofs", "linux-nvme", "dm-devel", "linux-bcache",
              "linux-nilfs", "linux-cachefs", "linux-afs", "v9fs-developer", "drbd-dev", "linux-mtd", "linux-mmc",
              "target-devel", "nvdimm", "linux-unionfs", "jfs-discussion", "cluster-devel"]
# lists outside PATH_LISTS whose drivers still sit where reclaim may wait: storage and network-block drivers of
# hypervisors and s390 (storvsc, dasd, zfcp, virtio), USB storage, RDMA storage transports (srp, iser, nvme-rdma),
# GPU drivers whose fences reclaim may wait on (drm scheduler jobs), fscrypt in the filesystems' IO paths, PM
OTHER_LISTS = ["linux-hyperv", "virtualization", "linux-s390", "linux-usb", "linux-rdma", "freedreno", "nouveau",
               "linaro-mm-sig", "linux-fscrypt", "linux-pm"]
KW_LOG = re.compile(r"fs_reclaim|memalloc_no(?:io|fs)|GFP_NO(?:IO|FS)|WQ_MEM_RECLAIM|PF_MEMALLOC|PR_SET_IO_FLUSHER|"
                    r"reclaim[^\n]{0,80}(?:deadlock|recurs|hang)|(?:deadlock|recurs|hang)[^\n]{0,80}reclaim|"
                    r"shrinker[^\n]{0,80}deadlock|deadlock[^\n]{0,80}shrinker", re.I)
ALLOC_ADD = re.compile(r"^\+.*\b(?:k[mzv]?alloc\w*|kcalloc|kvcalloc|kvzalloc|kmemdup\w*|kstrdup|alloc_pages?\w*|__get_free_pages?|"
                       r"mempool_alloc|bio_alloc\w*|kmem_cache_z?alloc\w*|vmalloc|vzalloc|__vmalloc)\s*\([^;]*\bGFP_|^\+.*\bGFP_KERNEL\b", re.M)
KW_ADD = re.compile(r"^\+.*(?:memalloc_no(?:io|fs)_save|GFP_NO(?:IO|FS)|WQ_MEM_RECLAIM|PF_MEMALLOC|memalloc_flags_save)", re.M)
# the reclaim flow a patch may change without allocating: workqueues (creation, flags, queueing, flushing), shrinkers,
# allocation scopes and task flags
FLOW_ADD = re.compile(r"^\+.*\b(?:alloc_workqueue|alloc_ordered_workqueue|create_\w*workqueue|WQ_[A-Z_]+|queue_work\w*|"
                      r"queue_delayed_work\w*|mod_delayed_work\w*|schedule_work\w*|schedule_delayed_work\w*|flush_work|"
                      r"flush_delayed_work|flush_workqueue|drain_workqueue|shrinker\w*|scan_objects|count_objects|memalloc_\w+|"
                      r"PF_MEMALLOC\w*)\b", re.M)


def strip_prefix(subject):
    return re.sub(r"^(\[[^\]]*\]\s*)+", "", subject).strip().lower()


def labelled():
    out = set()
    for f in glob.glob(os.path.join(HERE, "..", "unseen", "labels-*.json")):
        for label in json.load(open(f)):
            out.add(strip_prefix(label.get("subject", "")))
    return out


def messages(repo, since, until=None):
    """The commits (one message each) since a date (and before another), newest first."""
    cmd = ["git", "-C", repo, "log", f"--since={since}", "--format=%H"]
    if until:
        cmd.insert(4, f"--until={until}")
    return subprocess.run(cmd, capture_output=True, text=True).stdout.split()


def reader(repo):
    p = subprocess.Popen(["git", "-C", repo, "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def read(commit):
        p.stdin.write((commit + ":m\n").encode())
        p.stdin.flush()
        head = p.stdout.readline().split()
        if len(head) < 3:
            return None
        data = p.stdout.read(int(head[2]))
        p.stdout.read(1)
        return data
    return p, read


def subject_of(text):
    m = re.search(r"^Subject: (.*(?:\n[ \t].*)*)", text, re.M)
    return re.sub(r"\s+", " ", m.group(1)) if m else ""


def is_patch_mail(data, text, subject):
    if b"\ndiff --git a/" not in data:
        return False
    if re.match(r"(?i)(re|aw|fwd?):", subject) or "PATCH" not in subject.upper():
        return False
    return re.search(r"^diff --git a/\S+\.[ch] ", text, re.M) is not None


def repo_of(mirrors, lst):
    found = glob.glob(os.path.join(mirrors, f"linux-mailinglist-archives+{lst}.*"))
    return os.path.join(found[0], "repo") if found else None


def main():
    args = sys.argv[1:]
    new = None
    if len(args) in (5, 7, 8, 9) and args[2] == "--new-labelled" and re.fullmatch(r"[a-z0-9]+", args[3]) and args[4].isdigit():
        window = tuple(args[5:7]) if len(args) >= 7 else ("2025-01-01", None)
        if not all(w is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", w) for w in window):
            sys.exit(__doc__)
        lists = args[7].split(",") if len(args) >= 8 and args[7] != "-" else PATH_LISTS
        if not all(re.fullmatch(r"[a-z0-9-]+", lst) for lst in lists):
            sys.exit(__doc__)
        if len(args) == 9 and args[8] != "flow":
            sys.exit(__doc__)
        new = (args[3], int(args[4]), window, lists, len(args) == 9)
        args = args[:2]
    if len(args) != 2:
        sys.exit(__doc__)
    mirrors, out = args
    known = labelled()
    os.makedirs(os.path.join(out, "random"), exist_ok=True)
    os.makedirs(os.path.join(out, "keyword"), exist_ok=True)
    os.makedirs(os.path.join(out, "alloc"), exist_ok=True)
    rnd = random.Random(20261207)
    n_random = 0
    for lst in LISTS:
        repo = repo_of(mirrors, lst)
        if not repo:
            print(f"{lst}: no mirror", file=sys.stderr)
            continue
        commits = messages(repo, "2025-01-01")
        rnd.shuffle(commits)
        proc, read = reader(repo)
        got = 0
        for c in commits:
            if got >= 20:
                break
            data = read(c)
            if data is None:
                continue
            text = data.decode("utf-8", "replace")
            subject = subject_of(text)
            if not is_patch_mail(data, text, subject) or strip_prefix(subject) in known:
                continue
            open(os.path.join(out, "random", f"{lst}-{c[:10]}.patch"), "wb").write(data)
            got += 1
        proc.stdin.close()
        proc.wait()
        n_random += got
    seen = set()
    n_keyword = 0
    for d in sorted(glob.glob(os.path.join(mirrors, "linux-mailinglist-archives+*"))):
        lst = d.split("+", 1)[1].split(".")[0]
        repo = os.path.join(d, "repo")
        commits = messages(repo, "2024-11-17")
        if not commits:
            continue
        proc, read = reader(repo)
        for c in commits:
            data = read(c)
            if data is None or b"\ndiff --git " not in data:
                continue
            text = data.decode("utf-8", "replace")
            subject = subject_of(text)
            if not is_patch_mail(data, text, subject):
                continue
            body = text.split("\n\n", 1)[1] if "\n\n" in text else text
            log = body.split("\ndiff --git ", 1)[0]
            if not (KW_LOG.search(log) or KW_ADD.search(body[len(log):])):
                continue
            key = re.sub(r"\bv\d+\b", "", strip_prefix(subject))
            if key in seen or strip_prefix(subject) in known:
                continue
            seen.add(key)
            open(os.path.join(out, "keyword", f"{lst}-{c[:10]}.patch"), "wb").write(data)
            n_keyword += 1
        proc.stdin.close()
        proc.wait()
    taken = {name[:-6] for sub in ("random", "keyword") for name in os.listdir(os.path.join(out, sub))}
    pool = []
    for lst in LISTS:
        repo = repo_of(mirrors, lst)
        if repo:
            pool.extend((lst, repo, c) for c in messages(repo, "2025-01-01"))
    random.Random(20261207).shuffle(pool)
    readers = {}
    folded = set()
    n_alloc = take_allocating(pool, 400, os.path.join(out, "alloc"), taken, folded, seen, known, readers)
    # a labelled sample is the mails its label file names (they were labelled before any run): read back by id
    counts = {"random": n_random, "keyword": n_keyword, "alloc": n_alloc}
    for name in labelled_sets():
        counts[name] = fetch_labelled(mirrors, out, name, readers)
    if new is not None:
        name, seed, window, lists, flow = new
        counts[name] = build_labelled(mirrors, out, name, seed, window, lists, taken, folded, seen, known, readers, flow)
    for proc, _ in readers.values():
        proc.stdin.close()
        proc.wait()
    print(json.dumps(counts))


def labelled_sets():
    """The names of the labelled samples (eval/fresh/labels-NAME.json)."""
    return sorted(os.path.basename(f)[len("labels-"):-len(".json")] for f in glob.glob(os.path.join(HERE, "labels-*.json")))


def read_mail(mirrors, readers, mail_id):
    """The mail <list>-<commit10> of a fetched archive, or None."""
    lst, short = mail_id.rsplit("-", 1)
    repo = repo_of(mirrors, lst)
    if not repo:
        return None
    if repo not in readers:
        readers[repo] = reader(repo)
    return readers[repo][1](short)


def fetch_labelled(mirrors, out, name, readers):
    """Writes OUT/NAME/<id>.patch for every case of labels-NAME.json; returns how many were found."""
    os.makedirs(os.path.join(out, name), exist_ok=True)
    n = 0
    for case in json.load(open(os.path.join(HERE, f"labels-{name}.json")))["cases"]:
        data = read_mail(mirrors, readers, case["id"])
        if data is None:
            print(f"{name}: {case['id']} not found", file=sys.stderr)
            continue
        open(os.path.join(out, name, f"{case['id']}.patch"), "wb").write(data)
        n += 1
    return n


def build_labelled(mirrors, out, name, seed, window, lists, taken, folded, seen, known, readers, flow=False):
    """
    A new sample to label: 210 mails posted in `window` (since, until; until open) from `lists` (seed `seed`)
    whose added lines allocate with a gfp mask (with `flow`: whose added lines allocate with none but change the
    reclaim flow, FLOW_ADD), outside the other samples, the mails judged.json names and the cases of every labelled
    sample (any version of each).
    """
    os.makedirs(os.path.join(out, name), exist_ok=True)
    read_ids = {j["id"] for j in json.load(open(os.path.join(HERE, "judged.json")))["judged"]}
    for other in labelled_sets():
        read_ids |= {c["id"] for c in json.load(open(os.path.join(HERE, f"labels-{other}.json")))["cases"]}
    for mail_id in sorted(read_ids):
        taken.add(mail_id)
        data = read_mail(mirrors, readers, mail_id)
        if data is not None:
            folded.add(re.sub(r"\bv\d+\b", "", strip_prefix(subject_of(data.decode("utf-8", "replace")))))
    pool = []
    for lst in lists:
        repo = repo_of(mirrors, lst)
        if not repo:
            print(f"{lst}: no mirror", file=sys.stderr)
            continue
        pool.extend((lst, repo, c) for c in messages(repo, window[0], window[1]))
    random.Random(seed).shuffle(pool)
    return take_allocating(pool, 210, os.path.join(out, name), taken, folded, seen, known, readers, flow)


def take_allocating(pool, limit, out_dir, taken, folded, seen, known, readers, flow=False):
    """
    Writes to out_dir, in pool order, up to `limit` [PATCH] mails whose added lines allocate with a gfp mask (with
    `flow`: allocate with none and change the reclaim flow, FLOW_ADD): not in `taken`, one per subject (versions
    folded; `folded` and `seen` hold the subjects already used), none labelled in eval/unseen (`known`). Returns how
    many were written.
    """
    n = 0
    for lst, repo, c in pool:
        if n >= limit:
            break
        if f"{lst}-{c[:10]}" in taken:
            continue
        if repo not in readers:
            readers[repo] = reader(repo)
        data = readers[repo][1](c)
        if data is None:
            continue
        text = data.decode("utf-8", "replace")
        subject = subject_of(text)
        if not is_patch_mail(data, text, subject):
            continue
        key = re.sub(r"\bv\d+\b", "", strip_prefix(subject))
        if key in folded or key in seen or strip_prefix(subject) in known:
            continue
        body = text.split("\n\n", 1)[1] if "\n\n" in text else text
        diff = body[len(body.split("\ndiff --git ", 1)[0]):]
        if (flow and (ALLOC_ADD.search(diff) or not FLOW_ADD.search(diff))) or (not flow and not ALLOC_ADD.search(diff)):
            continue
        folded.add(key)
        open(os.path.join(out_dir, f"{lst}-{c[:10]}.patch"), "wb").write(data)
        n += 1
    return n



if __name__ == "__main__":
    main()

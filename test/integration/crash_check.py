#!/usr/bin/env python3
"""Check a recovered tree against the kill -9 workload's journal.

    crash_check.py DIR JOURNAL [T]  -> checks; prints one line per problem.
                                       With T (CLOCK_MONOTONIC ns), only the
                                       journal before T counts: the image is
                                       a power cut at T (test_powercut.sh)
    crash_check.py --dump DIR       -> the tree as text (paths, modes, sizes,
                                       sha256, symlinks, user xattrs), for
                                       comparing two recoveries of one crash
"""
import hashlib, os, sys


def dump(root):
    out = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(dirs + files):
            p = os.path.join(d, name)
            st = os.lstat(p)
            rel = os.path.relpath(p, root)
            line = "%s %o %d" % (rel, st.st_mode, st.st_nlink)
            if os.path.islink(p):
                line += " -> " + os.readlink(p)
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    line += " %d %s" % (st.st_size, hashlib.sha256(f.read()).hexdigest())
            for x in sorted(os.listxattr(p, follow_symlinks=False)):
                if x.startswith("user."):
                    line += " %s=%s" % (x, os.getxattr(p, x, follow_symlinks=False).hex())
            out.append(line)
    return "\n".join(out) + "\n"


def check(root, journal, before=None):
    last = {}
    for line in open(journal):
        parts = line.split()
        if len(parts) < 3:
            continue
        if before is not None and int(parts[-1]) >= before:
            continue
        last[parts[1]] = parts[:-1]
    bad = checked = 0
    for rel, parts in sorted(last.items()):
        path = os.path.join(root, rel)
        if parts[0] == "pending":
            continue
        checked += 1
        if parts[0] == "gone":
            if os.path.lexists(path):
                print("FAIL: %s was removed (fsync returned) but exists" % rel)
                bad += 1
            continue
        size, digest, xattr = int(parts[2]), parts[3], parts[4]
        if not os.path.isfile(path):
            print("FAIL: %s was fsynced but is missing" % rel)
            bad += 1
            continue
        with open(path, "rb") as f:
            data = f.read()
        try:
            x = os.getxattr(path, "user.v").decode()
        except OSError:
            x = "-"
        if len(data) != size or hashlib.sha256(data).hexdigest() != digest or x != xattr:
            print("FAIL: %s: fsynced size %d xattr %s, found size %d xattr %s%s" %
                  (rel, size, xattr, len(data), x,
                   "" if hashlib.sha256(data).hexdigest() == digest else ", bytes differ"))
            bad += 1
    print("checked %d files, %d bad" % (checked, bad))
    return bad


if sys.argv[1] == "--dump":
    sys.stdout.write(dump(sys.argv[2]))
else:
    t = int(sys.argv[3]) if len(sys.argv) > 3 else None
    sys.exit(1 if check(sys.argv[1], sys.argv[2], t) else 0)

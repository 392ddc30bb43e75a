#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print a canonical, sorted, one-line-per-object description of a tree.

Used as an oracle: dump a tree mounted by the kernel and the same image
mounted by xfsfuse (or two images built from the same spec) and diff them.

Each line is the relative path ("." for the root) followed by key=value
fields in a fixed order:

    type mode uid gid nlink [size] [rdev] [target] [sha256] [mtime] [ctime] [xattr...]

size is printed for regular files and symlinks (and directories with
--dir-size), rdev for devices, target for symlinks, sha256 for regular files,
xattrs as xattr.NAME=HEXVALUE sorted by name.  atime is never printed.
Bytes outside printable ASCII, and space, backslash and '=', are written as
\\xHH so that every line is unambiguous.
"""

import argparse
import errno
import fnmatch
import hashlib
import os
import stat
import sys

TYPES = [
    (stat.S_ISDIR, "dir"),
    (stat.S_ISREG, "file"),
    (stat.S_ISLNK, "symlink"),
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISSOCK, "sock"),
    (stat.S_ISCHR, "chr"),
    (stat.S_ISBLK, "blk"),
]


def esc(b):
    """Escape bytes (or str) to an unambiguous printable token."""
    if isinstance(b, str):
        b = os.fsencode(b)
    out = []
    for c in b:
        if 0x21 <= c <= 0x7E and c not in (0x5C, 0x3D):
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "".join(out) if out else '""'


def type_name(mode):
    for test, name in TYPES:
        if test(mode):
            return name
    return "unknown"


def err_name(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def sha256_of(path):
    h = hashlib.sha256()
    try:
        flags = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NOATIME", 0)
        try:
            fd = os.open(path, flags)
        except PermissionError:  # O_NOATIME needs ownership
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                h.update(chunk)
        finally:
            os.close(fd)
    except OSError as e:
        return "ERROR:" + err_name(e)
    return h.hexdigest()


def xattrs_of(path):
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError as e:
        if e.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return []
        return ["xattr-list=ERROR:" + err_name(e)]
    fields = []
    for name in sorted(names, key=os.fsencode):
        try:
            value = os.getxattr(path, name, follow_symlinks=False).hex()
        except OSError as e:
            value = "ERROR:" + err_name(e)
        fields.append("xattr.%s=%s" % (esc(name), value or '""'))
    return fields


def ts(sec, nsec):
    return "%d.%09d" % (sec, nsec)


def describe(rel, path, st, args):
    mode = st.st_mode
    t = type_name(mode)
    f = [
        esc(rel),
        "type=" + t,
        "mode=%04o" % stat.S_IMODE(mode),
        "uid=%d" % st.st_uid,
        "gid=%d" % st.st_gid,
        "nlink=%d" % st.st_nlink,
    ]
    if args.inodes:
        f.append("ino=%d" % st.st_ino)
    if t in ("file", "symlink") or (t == "dir" and args.dir_size):
        f.append("size=%d" % st.st_size)
    if t in ("chr", "blk"):
        f.append("rdev=%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)))
    if t == "symlink":
        try:
            f.append("target=" + esc(os.readlink(path)))
        except OSError as e:
            f.append("target=ERROR:" + err_name(e))
    if t == "file":
        f.append("sha256=" + sha256_of(path))
    if not args.no_times:
        f.append("mtime=" + ts(st.st_mtime_ns // 10**9, st.st_mtime_ns % 10**9))
        if not args.no_ctime:
            f.append("ctime=" + ts(st.st_ctime_ns // 10**9, st.st_ctime_ns % 10**9))
    f.extend(xattrs_of(path))
    return " ".join(f)


def excluded(rel, patterns):
    r = os.fsdecode(rel)
    return any(fnmatch.fnmatchcase(r, p) for p in patterns)


def walk(root, args):
    """Yield (relative path bytes, line) for every object under root."""
    root = os.fsencode(root)
    st = os.lstat(root)
    yield b".", describe(b".", root, st, args)
    stack = [b""]
    while stack:
        rel_dir = stack.pop()
        abs_dir = os.path.join(root, rel_dir) if rel_dir else root
        with os.scandir(abs_dir) as it:
            entries = sorted(it, key=lambda e: e.name)
        for e in entries:
            rel = os.path.join(rel_dir, e.name) if rel_dir else e.name
            if excluded(rel, args.exclude):
                continue
            st = e.stat(follow_symlinks=False)
            yield rel, describe(rel, e.path, st, args)
            if stat.S_ISDIR(st.st_mode):
                stack.append(rel)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dir")
    p.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                   help="skip paths (relative, fnmatch pattern) and what is under them; "
                        "repeatable, e.g. --exclude lost+found")
    p.add_argument("--no-times", action="store_true", help="omit mtime and ctime")
    p.add_argument("--no-ctime", action="store_true", help="omit ctime only")
    p.add_argument("--dir-size", action="store_true", help="print directory sizes too")
    p.add_argument("--inodes", action="store_true", help="print inode numbers")
    p.add_argument("-o", "--output", help="write to this file instead of stdout")
    args = p.parse_args()
    if not os.path.isdir(args.dir):
        print("treedump: %s is not a directory" % args.dir, file=sys.stderr)
        return 2
    lines = sorted(walk(args.dir, args), key=lambda x: (x[0] != b".", x[0]))
    out = open(args.output, "w") if args.output else sys.stdout
    try:
        for _, line in lines:
            out.write(line + "\n")
    finally:
        if args.output:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes to files whose blocks are shared (reflinked), mirrored into shadow
copies, for test_reflink.sh.

  reflink_ops.py make KMNT                 on the kernel's XFS: the originals
                                           and their reflink copies
  reflink_ops.py shadow KMNT SHADOW        copy every file into SHADOW
  reflink_ops.py write MNT SHADOW SEED N   N writes on the mount, the same on
                                           the shadows (seeded: reproducible)
  reflink_ops.py compare DIR SHADOW        every file equals its shadow
  reflink_ops.py original DIR              the source file "a" is untouched
  reflink_ops.py shared DIR                count the copies' shared extents

The write kinds cover what reaches ->iomap_begin of a shared extent and
copy_file_range (sharing blocks on the mount, aligned and not, to EOF):
unaligned and aligned pwrite, writes spanning shared and unshared blocks,
a MAP_SHARED store, truncate down into a shared block (the EOF block is
zeroed through the COW path), truncate up, extending writes and hole punches
of shared ranges.
"""
import ctypes
import mmap
import os
import random
import sys

FILES = ["b", "b2", "d"]  # reflink copies; "a" and "c" are their sources
PUNCH = 0x02 | 0x01  # FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE


LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]


def fallocate(fd, mode, off, length):
    if LIBC.fallocate(fd, mode, off, length) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def pattern(seed, length):
    return bytes((i * 7 + seed) & 0xFF for i in range(length))


def make(kmnt):
    with open(f"{kmnt}/a", "wb") as f:
        f.write(pattern(1, 4 << 20))
    with open(f"{kmnt}/c", "wb") as f:
        f.write(pattern(5, (256 << 10) + 1000))  # a partial EOF block
    for src, dst in (("a", "b"), ("a", "b2"), ("c", "d")):
        rc = os.system(f"cp --reflink=always {kmnt}/{src} {kmnt}/{dst}")
        if rc:
            sys.exit(f"cp --reflink {src} {dst} failed")
    os.sync()


def shadow(kmnt, sdir):
    os.makedirs(sdir, exist_ok=True)
    for name in ["a", "c"] + FILES:
        with open(f"{kmnt}/{name}", "rb") as f, open(f"{sdir}/{name}", "wb") as g:
            g.write(f.read())


def both(mnt, sdir, name, fn):
    for base in (mnt, sdir):
        fd = os.open(f"{base}/{name}", os.O_RDWR)
        try:
            fn(fd)
        finally:
            os.close(fd)


def mmap_store(fd, off, data):
    size = os.fstat(fd).st_size
    if off + len(data) > size:
        return
    start = off - off % mmap.PAGESIZE
    m = mmap.mmap(fd, off + len(data) - start, offset=start)
    m[off - start : off - start + len(data)] = data
    m.flush()
    m.close()


def copy_range(rng, mnt, sdir, dst, aligned):
    """copy_file_range on the mount (shares blocks where it can), and the
    same bytes copied between the shadows; from any file, also itself."""
    src = rng.choice(["a", "c"] + FILES)
    src_size = os.stat(f"{sdir}/{src}").st_size
    pos_in = rng.randrange(0, max(src_size, 1))
    pos_out = rng.randrange(0, os.stat(f"{sdir}/{dst}").st_size + 100000)
    length = rng.randrange(1, 1 << 20)
    if aligned:
        pos_in -= pos_in % 65536
        pos_out -= pos_out % 65536
        if rng.random() < 0.5:
            length = src_size - pos_in + rng.randrange(0, 5000)  # to EOF
    if src == dst and pos_in < pos_out + length and pos_out < pos_in + length:
        return  # overlapping copies in one file are EINVAL
    fin = os.open(f"{mnt}/{src}", os.O_RDONLY)
    fout = os.open(f"{mnt}/{dst}", os.O_WRONLY)
    done = 0
    try:
        while done < length:
            try:
                n = os.copy_file_range(fin, fout, length - done, pos_in + done, pos_out + done)
            except OSError as e:
                sys.exit(f"copy_file_range {src}@{pos_in + done} -> {dst}@{pos_out + done} len {length - done} (src size {src_size}): {e}")
            if n == 0:
                break
            done += n
    finally:
        os.close(fin)
        os.close(fout)
    with open(f"{sdir}/{src}", "rb") as f:
        f.seek(pos_in)
        data = f.read(done)
    if len(data) != done:
        sys.exit(f"copy_file_range {src}->{dst} copied {done}, the shadow has {len(data)}")
    fd = os.open(f"{sdir}/{dst}", os.O_WRONLY)
    os.pwrite(fd, data, pos_out)
    os.close(fd)


def one_write(rng, mnt, sdir, i):
    name = rng.choice(FILES)
    size = os.stat(f"{sdir}/{name}").st_size
    kind = rng.choice(["small", "small", "aligned", "span", "mmap", "trunc_down",
                       "trunc_up", "extend", "punch", "copy", "copy_aligned"])
    off = rng.randrange(0, max(size, 1))
    if kind == "small":
        data = bytes([0x40 + i % 60]) * rng.randrange(1, 3000)
        both(mnt, sdir, name, lambda fd: os.pwrite(fd, data, off))
    elif kind == "aligned":
        off -= off % 4096
        data = bytes([0x80 + i % 60]) * (4096 * rng.randrange(1, 8))
        both(mnt, sdir, name, lambda fd: os.pwrite(fd, data, off))
    elif kind == "span":
        data = pattern(i, rng.randrange(100000, 600000))
        both(mnt, sdir, name, lambda fd: os.pwrite(fd, data, off))
    elif kind == "mmap":
        data = bytes([0xC0 + i % 60]) * rng.randrange(1, 9000)
        both(mnt, sdir, name, lambda fd: mmap_store(fd, off, data))
    elif kind == "trunc_down":
        new = max(size - rng.randrange(1, 70000), 1)
        both(mnt, sdir, name, lambda fd: os.ftruncate(fd, new))
    elif kind == "trunc_up":
        new = size + rng.randrange(1, 70000)
        both(mnt, sdir, name, lambda fd: os.ftruncate(fd, new))
    elif kind == "extend":
        data = pattern(i + 3, rng.randrange(1, 50000))
        both(mnt, sdir, name, lambda fd: os.pwrite(fd, data, size))
    elif kind in ("copy", "copy_aligned"):
        copy_range(rng, mnt, sdir, name, kind == "copy_aligned")
    else:
        length = rng.randrange(1, 200000)
        both(mnt, sdir, name, lambda fd: fallocate(fd, PUNCH, off, length))
    if rng.random() < 0.2:
        fd = os.open(f"{mnt}/{name}", os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)


def write(mnt, sdir, seed, n):
    rng = random.Random(seed)
    for i in range(n):
        one_write(rng, mnt, sdir, i)


def compare(d, sdir):
    bad = 0
    for name in ["a", "c"] + FILES:
        with open(f"{d}/{name}", "rb") as f, open(f"{sdir}/{name}", "rb") as g:
            x, y = f.read(), g.read()
        if x != y:
            first = next((i for i in range(min(len(x), len(y))) if x[i] != y[i]),
                         min(len(x), len(y)))
            print(f"{d}/{name}: differs from its shadow at byte {first} "
                  f"(sizes {len(x)} / {len(y)})")
            bad += 1
    return bad


def shared(d):
    """Extents of the copies that FIEMAP (xfs_io) reports as shared."""
    n = 0
    for name in FILES:
        out = os.popen(f"xfs_io -r -c 'fiemap -v' {d}/{name}").read().splitlines()
        for line in out[2:]:
            fields = line.split()
            if fields and int(fields[-1], 16) & 0x2000:
                n += 1
    print(n)


def main():
    cmd = sys.argv[1]
    if cmd == "make":
        make(sys.argv[2])
    elif cmd == "shadow":
        shadow(sys.argv[2], sys.argv[3])
    elif cmd == "write":
        write(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "compare":
        sys.exit(1 if compare(sys.argv[2], sys.argv[3]) else 0)
    elif cmd == "shared":
        shared(sys.argv[2])
    elif cmd == "original":
        with open(f"{sys.argv[2]}/a", "rb") as f:
            sys.exit(0 if f.read() == pattern(1, 4 << 20) else 1)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()

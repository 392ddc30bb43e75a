#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""One O_DIRECT sequence, printed line by line (test_dio.sh runs it on
xfsfuse and on the kernel's XFS and compares the output): aligned and
sub-block writes, EINVAL cases, short reads at EOF, holes and unwritten
extents, buffered and mmap I/O on the same file, O_APPEND, mtime.  Buffers
come from anonymous mmaps: page-aligned, as O_DIRECT on the kernel's XFS
requires (xfsfuse cannot see the buffer's alignment: doc/options.md)."""
import errno
import hashlib
import mmap
import os
import sys

d = sys.argv[1]
BUF = mmap.mmap(-1, 1 << 20)


def pat(n, salt):
    return bytes(((i * 131 + salt) % 251) + 1 for i in range(n))


def say(*a):
    print(*a, flush=True)


def md5(b):
    return hashlib.md5(b).hexdigest()[:12]


def dwrite(fd, data, off, tag):
    BUF[:len(data)] = data
    try:
        n = os.pwritev(fd, [memoryview(BUF)[:len(data)]], off)
        say(tag, "write", off, len(data), "->", n)
    except OSError as e:
        say(tag, "write", off, len(data), "->", errno.errorcode[e.errno])


def dread(fd, n, off, tag):
    BUF[:n] = b"\xaa" * n
    try:
        got = os.preadv(fd, [memoryview(BUF)[:n]], off)
        say(tag, "read", off, n, "->", got, md5(BUF[:got]))
    except OSError as e:
        say(tag, "read", off, n, "->", errno.errorcode[e.errno])


def size(path):
    return os.stat(path).st_size


f = os.path.join(d, "f")
fd = os.open(f, os.O_RDWR | os.O_CREAT | os.O_DIRECT, 0o644)
bfd = os.open(f, os.O_RDWR)  # buffered, same file

# Aligned, extending; sub-block past EOF (gap zeroed); misaligned: EINVAL.
dwrite(fd, pat(8192, 1), 0, "aligned")
dwrite(fd, pat(512, 2), 8192 + 1024, "subblock-eof")
say("size", size(f))
dwrite(fd, pat(100, 3), 0, "len100")
dwrite(fd, pat(512, 3), 100, "pos100")
dwrite(fd, pat(4096, 3), 4096 + 512, "pos4608")
say("size", size(f))
dread(fd, 4096, 0, "r0")
dread(fd, 16384, 0, "short-eof")
dread(fd, 100, 0, "len100")
dread(fd, 512, 7, "pos7")
dread(fd, 4096, size(f), "at-eof")
say("buffered-all", md5(os.pread(bfd, 1 << 20, 0)))

# Holes and unwritten extents read as zeroes; writes into them.
os.ftruncate(fd, 65536)
dread(fd, 8192, 32768, "hole")
dread(fd, 100, 40000, "hole-unaligned")
os.posix_fallocate(fd, 65536, 16384)  # unwritten, size moves
say("size", size(f))
dread(fd, 16384, 65536, "unwritten")
dwrite(fd, pat(1024, 4), 65536 + 2048, "into-unwritten")
dread(fd, 4096, 65536, "unwritten-block")

# Buffered and direct on the same file: each sees the other.
os.pwrite(bfd, pat(4096, 5), 12288)
dread(fd, 16384, 0, "after-buffered-write")
dwrite(fd, pat(4096, 6), 12288, "over-buffered")
say("buffered-sees-direct", md5(os.pread(bfd, 16384, 0)))

# mmap of the same file: a mapping sees direct writes; direct reads see stores.
m = mmap.mmap(bfd, 65536, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
say("map-before", md5(m[0:16384]))
dwrite(fd, pat(8192, 7), 0, "under-map")
say("map-sees-direct", md5(m[0:16384]))
m[20480:20480 + 4096] = pat(4096, 8)
m.flush()
dread(fd, 8192, 16384, "sees-store")
m.close()

# mmap of the O_DIRECT fd itself.
m = mmap.mmap(fd, 65536, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
m[40960:40960 + 100] = pat(100, 9)
m.flush()
m.close()
dread(fd, 4096, 40960, "odirect-map-store")

# O_APPEND: at an aligned EOF it works, at an unaligned one it is EINVAL.
afd = os.open(f, os.O_WRONLY | os.O_APPEND | os.O_DIRECT)
s0 = size(f)
dwrite(afd, pat(4096, 10), 0, "append")
say("append-size", size(f) - s0)
os.ftruncate(fd, size(f) + 100)
dwrite(afd, pat(512, 11), 0, "append-unaligned-eof")
os.close(afd)

# mtime and ctime move with a direct write.
st0 = os.stat(f)
os.utime(f, ns=(st0.st_atime_ns, 1_000_000_000))
dwrite(fd, pat(4096, 12), 0, "mtime")
st1 = os.stat(f)
say("mtime-moved", st1.st_mtime_ns > 1_000_000_000)

os.fsync(fd)
say("size", size(f))
say("final", md5(os.pread(bfd, 1 << 20, 0)))
os.close(fd)
os.close(bfd)

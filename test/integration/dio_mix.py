#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Direct, buffered and mmap I/O at once on one file (test_dio.sh): three
processes, each owning every third 4 KiB block, rewrite their blocks with a
new pattern per round -- O_DIRECT pwrite, buffered pwrite, stores through a
MAP_SHARED mapping -- while the O_DIRECT writer's neighbours change under
it.  Then the file must hold each block's last pattern, through a buffered
read and through O_DIRECT reads.  usage: dio_mix.py FILE ROUNDS"""
import hashlib
import mmap
import os
import sys

path, rounds = sys.argv[1], int(sys.argv[2])
NB = 48
BS = 4096


def pat(block, rnd):
    return bytes(((i * 7 + block * 13 + rnd) % 251) + 1 for i in range(BS))


def worker(kind):
    if kind == 0:
        fd = os.open(path, os.O_RDWR | os.O_DIRECT)
        buf = mmap.mmap(-1, BS)
    elif kind == 1:
        fd = os.open(path, os.O_RDWR)
    else:
        fd = os.open(path, os.O_RDWR)
        m = mmap.mmap(fd, NB * BS, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    for rnd in range(rounds):
        for b in range(kind, NB, 3):
            data = pat(b, rnd)
            if kind == 0:
                buf[:] = data
                assert os.pwritev(fd, [buf], b * BS) == BS
            elif kind == 1:
                assert os.pwrite(fd, data, b * BS) == BS
            else:
                m[b * BS:(b + 1) * BS] = data
        if kind == 2:
            m.flush()
    if kind == 2:
        m.close()
    os.close(fd)


def expected():
    return b"".join(pat(b, rounds - 1) for b in range(NB))


fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(fd, NB * BS)
os.close(fd)
pids = []
for kind in range(3):
    pid = os.fork()
    if pid == 0:
        try:
            worker(kind)
            os._exit(0)
        except BaseException as e:
            print("worker", kind, "failed:", e, flush=True)
            os._exit(1)
    pids.append(pid)
status = [os.waitpid(p, 0)[1] for p in pids]
print("workers", "ok" if all(s == 0 for s in status) else status)
want = hashlib.md5(expected()).hexdigest()
with open(path, "rb") as f:
    print("buffered", "ok" if hashlib.md5(f.read()).hexdigest() == want else "MISMATCH")
fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
buf = mmap.mmap(-1, NB * BS)
n = os.preadv(fd, [buf], 0)
os.close(fd)
print("direct", "ok" if n == NB * BS and hashlib.md5(buf[:]).hexdigest() == want else "MISMATCH")
print("md5", want[:12])

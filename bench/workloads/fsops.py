#!/usr/bin/env python3
"""Metadata workloads, seeding and fio parsing for bench/run-bench.sh.

Each timed subcommand prints one line, "VALUE UNIT OPS BYTES SECONDS", timed
inside Python (interpreter start-up excluded):

  create DIR N PREFIX [MAX_S]  N empty files (open O_CREAT|O_EXCL, close),
                         or as many as MAX_S seconds allow
  stat DIR N PREFIX      lstat of each
  unlink DIR N PREFIX    unlink of each
  readdir DIR            every entry of DIR through getdents (os.scandir), no stat
  fio-result JSON UNIT   the summed rate of a fio run's jobs (UNIT MiB/s or IOPS)

Seeding (run on the kernel's own mount of an image, before the system under
test sees it; prints what it made):

  seed-files DIR N                 N empty files named f0000000...
  seed-extents DIR NAME N          NAME: N 4 KiB extents, none adjacent on disk
  seed-contig DIR NAME N           NAME: N*4 KiB written in one go (few extents)
"""
import json
import mmap
import os
import sys
import time

BS = 4096


def names(n, prefix):
    return [f"{prefix}{i:07d}" for i in range(n)]


def result(value, unit, ops, nbytes, secs):
    print(f"{value:.6g} {unit} {ops} {nbytes} {secs:.6f}")


def timed_files(op, d, n, prefix, max_s=None):
    todo = names(n, prefix)
    os.chdir(d)
    t0 = time.perf_counter()
    if op == "create":
        flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY
        done = 0
        for name in todo:
            os.close(os.open(name, flags, 0o644))
            done += 1
            # A time cap for systems that slow down to a crawl (fuse2fs
            # scans a directory linearly): the rate is what was done.
            if max_s is not None and done % 100 == 0 and time.perf_counter() - t0 > max_s:
                break
        n = done
    elif op == "stat":
        for name in todo:
            os.lstat(name)
    elif op == "unlink":
        for name in todo:
            os.unlink(name)
    secs = time.perf_counter() - t0
    result(n / secs, "files/s", n, 0, secs)


def readdir(d):
    t0 = time.perf_counter()
    n = 0
    with os.scandir(d) as it:
        for _ in it:
            n += 1
    secs = time.perf_counter() - t0
    result(n / secs, "entries/s", n, 0, secs)


def fio_result(path, unit):
    with open(path) as f:
        text = f.read()
    # fio may print notes before the JSON document
    j = json.loads(text[text.index("{"):])
    nbytes = ops = 0
    runtime_ms = 0
    for job in j["jobs"]:
        for d in ("read", "write"):
            nbytes += job[d]["io_bytes"]
            ops += job[d]["total_ios"]
            runtime_ms = max(runtime_ms, job[d]["runtime"])
    secs = runtime_ms / 1000.0
    if secs <= 0:
        raise SystemExit(f"fio-result: no runtime in {path}")
    if unit == "IOPS":
        value = ops / secs
    else:
        value = nbytes / secs / 1048576
    result(value, unit, ops, nbytes, secs)


def seed_files(d, n):
    os.makedirs(d, exist_ok=True)
    flags = os.O_CREAT | os.O_WRONLY
    for name in names(n, "f"):
        os.close(os.open(os.path.join(d, name), flags, 0o644))
    print(f"seed: {n} files in {d}")


def aligned_block():
    buf = mmap.mmap(-1, BS)
    buf.write(b"x" * BS)
    return buf


def seed_extents(d, name, n):
    """N direct 4 KiB writes to NAME, each followed by one to a partner
    file: the allocator cannot place two blocks of NAME side by side, so
    NAME ends up with N extents and no holes.  The partner is then removed.
    (On ext4 this needs the locality-group allocator: run-bench.sh raises
    mb_stream_req before seeding.)"""
    os.makedirs(d, exist_ok=True)
    buf = aligned_block()
    path = os.path.join(d, name)
    pad = path + ".pad"
    flags = os.O_CREAT | os.O_WRONLY | os.O_DIRECT
    a = os.open(path, flags, 0o644)
    b = os.open(pad, flags, 0o644)
    for i in range(n):
        os.pwritev(a, [buf], i * BS)
        os.pwritev(b, [buf], i * BS)
    os.fsync(a)
    os.close(a)
    os.close(b)
    os.unlink(pad)
    print(f"seed: {path}, {n} blocks written one extent each")


def seed_contig(d, name, n):
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, name)
    chunk = b"y" * (256 * BS)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o644)
    left = n
    while left > 0:
        k = min(left, 256)
        os.write(fd, chunk[: k * BS])
        left -= k
    os.fsync(fd)
    os.close(fd)
    print(f"seed: {path}, {n} blocks written sequentially")


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd in ("create", "stat", "unlink"):
        timed_files(cmd, args[0], int(args[1]), args[2],
                    float(args[3]) if len(args) > 3 else None)
    elif cmd == "readdir":
        readdir(args[0])
    elif cmd == "fio-result":
        fio_result(args[0], args[1])
    elif cmd == "seed-files":
        seed_files(args[0], int(args[1]))
    elif cmd == "seed-extents":
        seed_extents(args[0], args[1], int(args[2]))
    elif cmd == "seed-contig":
        seed_contig(args[0], args[1], int(args[2]))
    else:
        raise SystemExit(f"fsops.py: unknown command {cmd}\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv)

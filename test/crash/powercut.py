#!/usr/bin/env python3
"""Rebuild an image as a power cut would leave it, from an iolog.c log.

    powercut.py points LOG             -> one line per flush: "INDEX TIME_NS"
    powercut.py build LOG BASE OUT K SEED
        OUT = BASE + every write up to and including the K-th flush, then
        the writes that followed it (up to the next flush) each kept,
        dropped or torn at random (a random subset of its 512-byte
        sectors), as a disk with a volatile cache may do.  Prints the
        CLOCK_MONOTONIC time of the cut (the last record considered).
"""
import random, struct, subprocess, sys

REC = struct.Struct("<IIQQQ")


def records(path):
    with open(path, "rb") as f:
        while True:
            head = f.read(REC.size)
            if len(head) < REC.size:
                return
            typ, _, t, off, length = REC.unpack(head)
            data = f.read(length) if typ == 1 else b""
            yield typ, t, off, data


def points(log):
    for i, (typ, t, _, _) in enumerate(records(log)):
        if typ == 2:
            print(i, t)


def build(log, base, out, k, seed):
    rnd = random.Random(seed)
    subprocess.run(["cp", "--sparse=always", base, out], check=True)
    flushes = 0
    cut_t = 0
    with open(out, "r+b") as img:
        tail = False
        for typ, t, off, data in records(log):
            if typ == 2:
                if tail:
                    break  # the next flush: the power was cut before it
                flushes += 1
                cut_t = t
                if flushes == k:
                    tail = True
                continue
            cut_t = t
            if not tail:
                img.seek(off)
                img.write(data)
                continue
            fate = rnd.random()
            if fate < 0.33:
                continue  # dropped
            if fate < 0.66:
                img.seek(off)
                img.write(data)  # made it
                continue
            for s in range(0, len(data), 512):  # torn
                if rnd.random() < 0.5:
                    img.seek(off + s)
                    img.write(data[s:s + 512])
    print(cut_t)


if sys.argv[1] == "points":
    points(sys.argv[2])
else:
    build(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))

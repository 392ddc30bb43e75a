#!/usr/bin/env python3
"""Mixed workload for the kill -9 test (test_crash.sh), run on an xfsfuse mount.

    crash_workload.py DIR JOURNAL SEED THREADS

Each thread owns its own files in DIR/tN/ and does, at random: buffered
writes, mmap stores, truncates, fallocate, xattrs, renames, unlinks and
creates in subdirectories -- each followed by fsync.  Before an operation it
appends "pending NAME" to JOURNAL (outside the mount); after the fsync
returned, "done NAME SIZE SHA256 XATTR" or "gone NAME"; every line ends with
the CLOCK_MONOTONIC time it was written (ns).  The daemon is killed
at a random moment; crash_check.py then requires every file whose last line
is "done" to have exactly that size, content and xattr after recovery, and
every "gone" file to be absent.  A file with an operation pending may be in
either state.  The workload ends when the mount goes away (ENOTCONN).
"""
import errno, hashlib, mmap, os, random, sys, threading, time

DIR, JOURNAL, SEED, THREADS = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
OPS = os.environ.get("CRASH_OPS", "").split()  # restrict the mix (debugging)
jfd = os.open(JOURNAL, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def log(line):
    # CLOCK_MONOTONIC, the power-cut recorder's clock (test/crash/iolog.c)
    os.write(jfd, ("%s %d\n" % (line, time.monotonic_ns())).encode())


def state(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        x = os.getxattr(path, "user.v").decode()
    except OSError as e:
        if e.errno != errno.ENODATA:
            raise
        x = "-"
    return len(data), hashlib.sha256(data).hexdigest(), x


def fsync_path(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def worker(t):
    rnd = random.Random(SEED * 100 + t)
    base = os.path.join(DIR, "t%d" % t)
    os.makedirs(base, exist_ok=True)
    files = sorted(os.listdir(base))
    files = [f for f in files if os.path.isfile(os.path.join(base, f))]
    n = len(files)
    while True:
        ops = OPS or ["create", "write", "write", "mmap", "truncate", "falloc", "xattr",
                      "rename", "unlink", "subdir"]
        op = rnd.choice(ops if files else ["create", "subdir"])
        if op == "create" or op == "subdir":
            n += 1
            name = "f%d_%d" % (SEED, n)
            if op == "subdir":
                sub = "d%d" % rnd.randrange(4)
                os.makedirs(os.path.join(base, sub), exist_ok=True)
                name = sub + "/" + name
        else:
            name = rnd.choice(files)
        rel = "t%d/%s" % (t, name)
        path = os.path.join(base, name)
        log("pending " + rel)
        if op in ("create", "subdir"):
            with open(path, "wb", buffering=0) as f:
                f.write(rnd.randbytes(rnd.randrange(1, 70000)))
                os.fsync(f.fileno())
            fsync_path(os.path.dirname(path))
            files.append(name)
        elif op == "write":
            with open(path, "r+b", buffering=0) as f:
                f.seek(rnd.randrange(0, 200000))
                f.write(rnd.randbytes(rnd.randrange(1, 40000)))
                os.fsync(f.fileno())
        elif op == "mmap":
            with open(path, "r+b", buffering=0) as f:
                size = os.fstat(f.fileno()).st_size
                if size:
                    m = mmap.mmap(f.fileno(), size)
                    off = rnd.randrange(size)
                    chunk = rnd.randbytes(min(size - off, rnd.randrange(1, 9000)))
                    m[off:off + len(chunk)] = chunk
                    m.flush()
                    m.close()
                os.fsync(f.fileno())
        elif op == "truncate":
            with open(path, "r+b", buffering=0) as f:
                f.truncate(rnd.randrange(0, 150000))
                os.fsync(f.fileno())
        elif op == "falloc":
            with open(path, "r+b", buffering=0) as f:
                os.posix_fallocate(f.fileno(), rnd.randrange(0, 100000), rnd.randrange(1, 100000))
                os.fsync(f.fileno())
        elif op == "xattr":
            os.setxattr(path, "user.v", ("%x" % rnd.getrandbits(64)).encode())
            fsync_path(path)
        elif op == "rename":
            n += 1
            new = "r%d_%d" % (SEED, n)
            newpath = os.path.join(base, new)
            log("pending t%d/%s" % (t, new))
            os.rename(path, newpath)
            fsync_path(newpath)
            fsync_path(base)
            files.remove(name)
            files.append(new)
            log("gone " + rel)
            rel, path = "t%d/%s" % (t, new), newpath
        elif op == "unlink":
            os.unlink(path)
            fsync_path(os.path.dirname(path))
            files.remove(name)
            log("gone " + rel)
            continue
        size, digest, x = state(path)
        log("done %s %d %s %s" % (rel, size, digest, x))


def run(t):
    try:
        worker(t)
    except OSError as e:
        # The daemon was killed: ENOTCONN / ECONNABORTED end the thread.
        # Anything else is a bug of the mount, reported for the test to see.
        if e.errno not in (errno.ENOTCONN, errno.ECONNABORTED):
            sys.stderr.write("unexpected error in thread %d: %r\n" % (t, e))


threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
for th in threads:
    th.start()
for th in threads:
    th.join()

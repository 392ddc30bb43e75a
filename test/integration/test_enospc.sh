#!/bin/bash
# ENOSPC through delalloc: fill a small filesystem through the FUSE mount
# with buffered writes (delalloc reservations, speculative preallocation)
# from several writers.  write() must fail with ENOSPC at write time (never
# EIO at writeback), every byte a write() acknowledged must be on disk after
# unmount (the kernel reads it back), and xfs_repair -n must be clean with
# no delalloc left.  Both cache modes.  Needs root and /dev/fuse.
#   usage: test_enospc.sh XFSFUSE
set -uo pipefail
XFSFUSE="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
lib_init enospc
KM="$WORK/k"
lib_mount_dir "$KM"

# Writers: each appends patterned 256 KiB chunks (then 4 KiB ones) until
# ENOSPC; prints "file acknowledged_bytes" per file; exit 1 on any other error.
FILL='
import os, sys, threading
d, n = sys.argv[1], int(sys.argv[2])
res, errs = {}, []
def pat(name, off, ln):
    seed = sum(name.encode()) & 0xff
    return bytes(((off + i) * 7 + seed) & 0xff for i in range(ln))
def writer(i):
    name = f"fill{i}"
    fd = os.open(f"{d}/{name}", os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
    off = 0
    for chunk in (262144, 4096):
        buf_cache = {}
        while True:
            key = off % 1792
            buf = buf_cache.get(key) or buf_cache.setdefault(key, pat(name, off, chunk))
            try:
                w = os.pwrite(fd, buf, off)
            except OSError as e:
                if e.errno != 28:
                    errs.append(f"{name}: {e}")
                break
            off += w
    os.close(fd)
    res[name] = off
ts = [threading.Thread(target=writer, args=(i,)) for i in range(n)]
[t.start() for t in ts]; [t.join() for t in ts]
for k in sorted(res):
    print(k, res[k])
if errs:
    print("\n".join(errs), file=sys.stderr); sys.exit(1)
'
VERIFY='
import sys
d = sys.argv[1]
cache = {}
def pat(name, off, ln):
    # the bytes repeat every 256 bytes of offset: build each chunk once
    key = (name, off % 256, ln)
    if key not in cache:
        seed = sum(name.encode()) & 0xff
        cache[key] = bytes(((off % 256 + i) * 7 + seed) & 0xff for i in range(ln))
    return cache[key]
bad = 0
for line in open(sys.argv[2]):
    name, size = line.split(); size = int(size)
    data = open(f"{d}/{name}", "rb").read()
    if len(data) != size:
        print(f"{name}: {len(data)} bytes on disk, {size} acknowledged"); bad += 1; continue
    for off in range(0, size, 65536):
        ln = min(65536, size - off)
        if data[off:off+ln] != pat(name, off, ln):
            print(f"{name}: wrong bytes at {off}"); bad += 1; break
sys.exit(1 if bad else 0)
'

run() { # CACHE [MKFS_OPTIONS]
	local img="$WORK/img"
	rm -f "$img"; truncate -s 320M "$img"; mkfs.xfs -q -f ${2:--d agcount=2} "$img"
	check_mount "$img" "cache=$1,writeback_interval=20" || return
	check "writers see ENOSPC and nothing else ($1)" sh -c "python3 -c '$FILL' '$MNT' 3 >'$WORK/acked'"
	local total
	total=$(awk '{s += $2} END {print s}' "$WORK/acked")
	check "filled most of the filesystem ($1: $total bytes)" test "$total" -gt $((200 * 1048576))
	check "statfs nearly full ($1)" test "$(stat -f -c %a "$MNT")" -lt $(($(stat -f -c %b "$MNT") / 20))
	check "a new write still fails cleanly ($1)" sh -c "! dd if=/dev/zero of='$MNT/more' bs=1M count=4 status=none 2>/dev/null"
	check_unmount "$1"
	check "xfs_repair -n clean ($1)" repair_clean "$img"
	mount -o loop,ro "$img" "$KM"
	check "every acknowledged byte is on disk ($1)" python3 -c "$VERIFY" "$KM" "$WORK/acked"
	umount "$KM"
}
run kernel
run none
# Where I/O completion needs most room: 1 KiB blocks, the fewest AGs mkfs
# allows (2: it refuses one), three writers each writing every other block
# of a sparse file -- one extent per block, so every unwritten conversion at
# I/O completion may split the bmbt.  Without the reserve pool those
# conversions met ENOSPC and acknowledged blocks read back as zeroes.
SCATTER='
import os, sys, threading
d, out = sys.argv[1], sys.argv[2]
acked, errs = {}, []
def w(t):
    fd = os.open(f"{d}/s{t}", os.O_CREAT | os.O_WRONLY, 0o644)
    n = 0
    try:
        while True:
            os.pwrite(fd, bytes([(n + t) & 0xff]) * 1024, 2 * n * 1024 * (t + 1))
            n += 1
    except OSError as e:
        if e.errno != 28:
            errs.append(f"s{t}: {e}")
    acked[t] = n
ts = [threading.Thread(target=w, args=(t,)) for t in range(3)]
[x.start() for x in ts]; [x.join() for x in ts]
with open(out, "w") as f:
    for t in sorted(acked):
        f.write(f"{t} {acked[t]}\n")
if errs:
    print("\n".join(errs), file=sys.stderr); sys.exit(1)
'
SCATTER_VERIFY='
import os, sys
bad = total = 0
for line in open(sys.argv[2]):
    t, n = map(int, line.split())
    fd = os.open(f"{sys.argv[1]}/s{t}", os.O_RDONLY)
    for i in range(n):
        total += 1
        if os.pread(fd, 1024, 2 * i * 1024 * (t + 1)) != bytes([(i + t) & 0xff]) * 1024:
            bad += 1
print(f"{bad} of {total} acknowledged blocks wrong")
sys.exit(1 if bad else 0)
'
# ENOSPC gives speculative preallocation back before it fails a write
# (xfs_blockgc_free_space): a file kept open, whose 64 MiB grew ~64 MiB of
# preallocation past EOF (made real by its fsync), loses it when another
# file's write meets ENOSPC; that write gets the space.
GC='
import os, sys
d = sys.argv[1]
a = os.open(f"{d}/a", os.O_CREAT | os.O_WRONLY, 0o644)
for i in range(64):
    os.write(a, b"a" * (1 << 20))
os.fsync(a)
st = os.fstat(a)
before = st.st_blocks * 512 - st.st_size
b = os.open(f"{d}/b", os.O_CREAT | os.O_WRONLY, 0o644)
try:
    while True:
        os.write(b, b"b" * (1 << 20))
except OSError as e:
    assert e.errno == 28, e
st = os.fstat(a)
print(before >> 20, (st.st_blocks * 512 - st.st_size) >> 20)
'
img="$WORK/img"
rm -f "$img"; truncate -s 320M "$img"; mkfs.xfs -q -f "$img"
if check_mount "$img"; then
	read -r gc_before gc_after < <(python3 -c "$GC" "$MNT")
	check "the open file had preallocation past EOF (${gc_before:-?} MiB)" test "${gc_before:-0}" -ge 16
	check_eq "ENOSPC trimmed it before failing the other write (MiB left)" 0 "${gc_after:-?}"
	check_unmount "blockgc"
	check "xfs_repair -n clean (blockgc)" repair_clean "$img"
fi

rm -f "$img"; truncate -s 320M "$img"; mkfs.xfs -q -f -b size=1024 -d agcount=2 "$img"
if check_mount "$img" "writeback_interval=20"; then
	check "scattered 1 KiB writers see ENOSPC and nothing else" python3 -c "$SCATTER" "$MNT" "$WORK/scatter"
	check_unmount "scattered"
	check "xfs_repair -n clean (scattered)" repair_clean "$img"
	mount -o loop,ro "$img" "$KM"
	check "every acknowledged scattered block is on disk" python3 -c "$SCATTER_VERIFY" "$KM" "$WORK/scatter"
	umount "$KM"
fi
# rm of a file that filled the filesystem, then a create at once (fstests
# generic/511): the blocks come back when the kernel's FORGET frees the
# inode, and the create's ENOSPC retry waits for that (xb_inodegc_wait)
# instead of failing.  Three rounds: the FORGET's timing varies.
rm -f "$img"; truncate -s 320M "$img"; mkfs.xfs -q -f "$img"
if check_mount "$img"; then
	for round in 1 2 3; do
		xfs_io -fc "pwrite 0 400m" -c fsync "$MNT/full" >/dev/null 2>&1
		check "round $round: the file filled the filesystem" test "$(stat -f -c %a "$MNT")" -lt 1024
		rm -f "$MNT/full"
		check "round $round: a create right after the rm succeeds" touch "$MNT/after.$round"
	done
	check_unmount "inodegc"
	check "xfs_repair -n clean (inodegc)" repair_clean "$img"
fi
lib_finish

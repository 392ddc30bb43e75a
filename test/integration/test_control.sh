#!/bin/bash
# Run-time control through the xfsfuse.* virtual xattrs (doc/control.md):
# counters, switches, the extent/page-cache view, the event trace,
# injected delays, an injected writeback EIO, an injected short copy, the
# counters printed at unmount, and xfs_repair -n clean at the end.
# Needs root, /dev/fuse, getfattr/setfattr, python3, mkfs.xfs, xfs_repair.
#   usage: test_control.sh XFSFUSE
set -uo pipefail
XFSFUSE="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
lib_init control
IMG="$WORK/img"

get() { getfattr --only-values -n "xfsfuse.$1" "${2:-$MNT}" 2>"$WORK/get.err"; }
set_() { setfattr -n "xfsfuse.$1" -v "$2" "${3:-$MNT}" 2>"$WORK/set.err"; }
counter() { get counters | awk -v n="$1" '$1 == n { print $2 }'; }
# pwrite+fsync through python: prints "ok", or the errno name of a failure
PYW='
import os, sys, errno
path, off, n, byte = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].encode()
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
try:
    os.pwrite(fd, byte * n, off)
    os.fsync(fd)
    print("ok")
except OSError as e:
    print(errno.errorcode[e.errno])
'
wfsync() { python3 -c "$PYW" "$@"; }
# fsyncs PATH N SEQ: N bytes of "x" written through description a of PATH
# (b is a second one), then one fsync per letter of SEQ; prints "ok" or the
# errno name of each.
PYFS='
import os, sys, errno
path, n, seq = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fds = {"a": os.open(path, os.O_RDWR | os.O_CREAT, 0o644)}
fds["b"] = os.open(path, os.O_RDWR)
os.pwrite(fds["a"], b"x" * n, 0)
out = []
for c in seq:
    try:
        os.fsync(fds[c])
        out.append("ok")
    except OSError as e:
        out.append(errno.errorcode[e.errno])
print(" ".join(out))
'
fsyncs() { python3 -c "$PYFS" "$@"; }
quiet() { "$@" >/dev/null 2>&1; }

truncate -s 512M "$IMG"
mkfs.xfs -q -f "$IMG"

# Nothing is written back behind our back: DELALLOC stays until fsync.
check_mount "$IMG" "writeback_interval=60000,dirty_expire=60000"

# ---- an unlinked file's dirty data is never written (evict drops it)
check "counters reset" set_ counters 0
python3 -c "
import os
fd = os.open('$MNT/doomed', os.O_CREAT | os.O_WRONLY, 0o644)
os.write(fd, b'd' * (8 << 20))
os.unlink('$MNT/doomed')
os.close(fd)
"
sleep 1 # FORGET reaches the daemon asynchronously
check_eq "unlinked file: nothing written back" 0 "$(counter bytes_written)"
check_eq "unlinked file: its folios dropped" 0 "$(counter cache_dirty)"

# ---- counters
check "counters readable" quiet get counters
check "counters: one 'name value' per line" sh -c "getfattr --only-values -n xfsfuse.counters '$MNT' 2>/dev/null | awk 'NF != 2 || \$2 !~ /^[0-9]+\$/ { exit 1 }'"
for n in stale_iomaps remaps short_writes folios_zeroed folios_read delalloc_punched_bytes read_preadvs \
	 delalloc_reserved_blocks delalloc_punched_blocks delalloc_converted_blocks \
	 unwritten_converted_bytes eofblocks_trimmed_blocks ioends ioends_inline folios_written bytes_written \
	 map_revalidated map_invalidated write_errors folios_reclaimed reclaim_scans \
	 cache_folios cache_dirty cache_writeback; do
	check "counter $n present" test -n "$(counter $n)"
done
ioends0=$(counter ioends); bytes0=$(counter bytes_written); resv0=$(counter delalloc_reserved_blocks)
check_eq "write+fsync" ok "$(wfsync "$MNT/c" 0 65536 c)"
check "ioends moved ($ioends0 -> $(counter ioends))" test "$(counter ioends)" -gt "$ioends0"
check "bytes_written moved by >= 64 KiB" test "$(counter bytes_written)" -ge $((bytes0 + 65536))
check "delalloc_reserved_blocks moved" test "$(counter delalloc_reserved_blocks)" -gt "$resv0"
# An overwrite of written blocks inside the on-disk size needs no
# transaction: its ioend completes on the flusher, not the worker.
inline0=$(counter ioends_inline); conv0=$(counter unwritten_converted_bytes)
check_eq "overwrite+fsync" ok "$(wfsync "$MNT/c" 8192 4096 d)"
check_eq "overwrite: one ioend completed inline" $((inline0 + 1)) "$(counter ioends_inline)"
check_eq "overwrite: nothing converted" "$conv0" "$(counter unwritten_converted_bytes)"
check "counters reset with 0" set_ counters 0
check_eq "ioends after reset" 0 "$(counter ioends)"
check "counters: other values refused" sh -c "! setfattr -n xfsfuse.counters -v 5 '$MNT' 2>/dev/null"

# ---- switches
check_eq "iomap_validate default" on "$(get iomap_validate)"
check "iomap_validate=off" set_ iomap_validate off
check_eq "iomap_validate reads off" off "$(get iomap_validate)"
check "iomap_validate=on" set_ iomap_validate on
check_eq "iomap_validate reads on" on "$(get iomap_validate)"
check "iomap_validate=maybe refused" sh -c "! setfattr -n xfsfuse.iomap_validate -v maybe '$MNT' 2>'$WORK/err'"
check "... with EINVAL" grep -q "Invalid argument" "$WORK/err"
check_eq "iomap_validate unchanged" on "$(get iomap_validate)"
check "delalloc_punch=legacy" set_ delalloc_punch legacy
check_eq "delalloc_punch reads legacy" legacy "$(get delalloc_punch)"
check "delalloc_punch=safe" set_ delalloc_punch safe
# stale_remedy: the three switches at once (doc/race.md); merged is the default
check_eq "stale_remedy default" merged "$(get stale_remedy)"
check "stale_remedy=rfc" set_ stale_remedy rfc
check_eq "stale_remedy reads rfc" rfc "$(get stale_remedy)"
check_eq "... validation on" on "$(get iomap_validate)"
check_eq "... legacy punch" legacy "$(get delalloc_punch)"
check "stale_remedy=none" set_ stale_remedy none
check_eq "... validation off" off "$(get iomap_validate)"
check "one switch of it: iomap_validate=on" set_ iomap_validate on
check_eq "a mix reads custom" custom "$(get stale_remedy)"
check "stale_remedy=bogus refused" sh -c "! setfattr -n xfsfuse.stale_remedy -v bogus '$MNT' 2>/dev/null"
check "stale_remedy=merged" set_ stale_remedy merged
check_eq "... safe punch again" safe "$(get delalloc_punch)"
for n in stale_new_inherited stale_kept_blocks stale_kept_reclaimed_blocks \
	 stale_kept_pending_blocks iomap_begin_failures_injected; do
	check "counter $n present" test -n "$(counter $n)"
done
check "reclaim=aggressive" set_ reclaim aggressive
check_eq "reclaim reads aggressive" aggressive "$(get reclaim)"
check "reclaim=normal" set_ reclaim normal
check_eq "reclaim reads normal" normal "$(get reclaim)"
check "unknown name: get fails" sh -c "! getfattr -n xfsfuse.nonsense '$MNT' 2>'$WORK/err'"
check "... with ENODATA" grep -q "No such attribute" "$WORK/err"
check "unknown name: set fails" sh -c "! setfattr -n xfsfuse.nonsense -v 1 '$MNT' 2>'$WORK/err'"
check "... with EINVAL" grep -q "Invalid argument" "$WORK/err"
check_eq "knobs work on any inode" on "$(get iomap_validate "$MNT/c")"

# ---- bmap
check_eq "write 6000 bytes (no fsync)" 6000 "$(python3 -c "import os; fd = os.open('$MNT/b', os.O_RDWR | os.O_CREAT); print(os.pwrite(fd, b'b' * 6000, 0))")"
get bmap "$MNT/b" >"$WORK/bmap1"
check "bmap after write: DELALLOC" grep -q "type=DELALLOC" "$WORK/bmap1"
check "bmap after write: dirty page cache" grep -Eq "type=DELALLOC .*folios=[1-9].* dirty=[1-9]" "$WORK/bmap1"
check "bmap header: size" grep -q "^# ino=[0-9]* size=6000 " "$WORK/bmap1"
check_eq "fsync" ok "$(wfsync "$MNT/b" 0 0 b)"
get bmap "$MNT/b" >"$WORK/bmap2"
check "bmap after fsync: WRITTEN with an address" grep -Eq "type=WRITTEN addr=[0-9]+ " "$WORK/bmap2"
check "bmap after fsync: no DELALLOC" sh -c "! grep -q DELALLOC '$WORK/bmap2'"
check "bmap after fsync: clean page cache" grep -Eq "type=WRITTEN .* dirty=0 writeback=0" "$WORK/bmap2"
fallocate -l 1M "$MNT/u"
get bmap "$MNT/u" >"$WORK/bmap3"
check "bmap after fallocate: UNWRITTEN" grep -q "type=UNWRITTEN" "$WORK/bmap3"
truncate -s 1M "$MNT/hole"
check "bmap of a sparse file: HOLE" sh -c "getfattr --only-values -n xfsfuse.bmap '$MNT/hole' 2>/dev/null | grep -q 'offset=0 length=1048576 type=HOLE'"
check "bmap of a directory: ENODATA" sh -c "getfattr -n xfsfuse.bmap '$MNT' 2>&1 | grep -q 'No such attribute'"
check "bmap is read-only" sh -c "! setfattr -n xfsfuse.bmap -v x '$MNT/b' 2>/dev/null"

# ---- never listed
check "listxattr of the root: no xfsfuse.*" sh -c "! getfattr -d -m - '$MNT' 2>/dev/null | grep -q xfsfuse"
check "listxattr of a file: no xfsfuse.*" sh -c "! getfattr -d -m - '$MNT/b' 2>/dev/null | grep -q xfsfuse"
check_eq "python listxattr" "[]" "$(python3 -c "import os; print([n for n in os.listxattr('$MNT/b') if n.startswith('xfsfuse.')])")"
check "a real user xattr still works" setfattr -n user.k -v v "$MNT/b"
check_eq "user xattr listed alone" "user.k" "$(python3 -c "import os; print(' '.join(os.listxattr('$MNT/b')))")"

# ---- trace
TRACE="$WORK/trace.txt"
check_eq "trace off by default" off "$(get trace)"
check "trace inside the mount refused" sh -c "! setfattr -n xfsfuse.trace -v '$MNT/t' '$MNT' 2>/dev/null"
check "trace relative path refused" sh -c "! setfattr -n xfsfuse.trace -v rel/t '$MNT' 2>/dev/null"
check "trace on" set_ trace "$TRACE"
check_eq "trace reads its path" "$TRACE" "$(get trace)"
check_eq "traced write+fsync" ok "$(wfsync "$MNT/t" 100 10000 t)"
check "trace off" set_ trace off
check_eq "trace reads off" off "$(get trace)"
for ev in trace_start write iomap_begin iomap_end delalloc_reserve write_zero_blocks wb_map \
	  wb_map_lookup delalloc_convert ioend_submit unwritten_convert ioend_complete trace_stop; do
	check "trace has $ev" grep -Eq "^[0-9]+ [0-9]+ $ev ino=" "$TRACE"
done
check "trace lines: ns tid event ino pos len" sh -c "grep -v '^[0-9][0-9]* [0-9][0-9]* [a-z_]* ino=[0-9]* pos=-\?[0-9]* len=[0-9]*' '$TRACE' | { ! grep -q .; }"
check "iomap_begin shows type and cookie" grep -Eq "iomap_begin .*type=DELALLOC flags=0x1 .*cookie=0x" "$TRACE"
lines=$(wc -l <"$TRACE")
wfsync "$MNT/t2" 0 8192 x >/dev/null
check_eq "nothing traced once off" "$lines" "$(wc -l <"$TRACE")"

# ---- injected delay
check "inject_write_delay_ms=50" set_ inject_write_delay_ms 50
check_eq "inject_write_delay_ms reads 50" 50 "$(get inject_write_delay_ms)"
ms=$(python3 -c "
import os, time
fd = os.open('$MNT/d', os.O_RDWR | os.O_CREAT)
t = time.monotonic(); os.pwrite(fd, b'd' * 100, 0); print(int((time.monotonic() - t) * 1000))")
check "a write takes >= 50 ms ($ms ms)" test "$ms" -ge 50
check "inject delay off" set_ inject_write_delay_ms 0
check "inject delay > 60000 refused" sh -c "! setfattr -n xfsfuse.inject_wb_delay_ms -v 60001 '$MNT' 2>/dev/null"
check "inject_jitter=1" set_ inject_jitter 1
check_eq "inject_jitter reads 1" 1 "$(get inject_jitter)"
set_ inject_jitter 0
for k in inject_folio_delay_ms inject_wb_delay_ms inject_ioend_delay_ms inject_evict_delay_ms \
	inject_log_flush_delay_ms fail_ioend_alloc_nth; do
	check_eq "$k default" 0 "$(get $k)"
done

# ---- the lock watch (diagnose.sh, src/trace/lockwatch.h): while a write
# sleeps after ->iomap_begin it holds its inode's i_rwsem; while writeback
# sleeps before map_blocks it holds the folio lock.  diagnose.sh names both.
# diagnose_while KNOB OUT CMD...: CMD in the background with KNOB at 10 s
# (gdb needs seconds to attach on a loaded machine),
# diagnose.sh's report 1 s into it.
diagnose_while() {
	local knob=$1 out=$2 pid
	shift 2
	set_ "$knob" 10000
	"$@" >/dev/null &
	pid=$!
	sleep 1
	bash "$HERE/diagnose.sh" "$MNT" "$DAEMON_PID" >"$out" 2>&1
	wait "$pid"
	set_ "$knob" 0
}
diagnose_while inject_write_delay_ms "$WORK/diag1" sh -c "echo lw >'$MNT/lw'"
check "diagnose: the writer holds i_rwsem" \
	grep -Eq "^tid [0-9]+ .*holds \[i_rwsem\(excl\) x1 ino $(stat -c %i "$MNT/lw")\]" "$WORK/diag1"
check "diagnose: the libxfs mutex's owner" grep -q "^libxfs mutex owner (glibc): tid" "$WORK/diag1"
diagnose_while inject_wb_delay_ms "$WORK/diag2" wfsync "$MNT/lw" 0 4096 w
check "diagnose: writeback holds the folio lock" \
	grep -Eq "^tid [0-9]+ .*holds \[.*folio\(excl\) x1 ino $(stat -c %i "$MNT/lw")" "$WORK/diag2"

# ---- injected writeback EIO
set_ counters 0
check "fail_write_nth=1" set_ fail_write_nth 1
check_eq "fail_write_nth armed" 1 "$(get fail_write_nth)"
check_eq "fsync after the injected failure: EIO" EIO "$(wfsync "$MNT/e" 0 16384 e)"
check_eq "fail_write_nth disarmed" 0 "$(get fail_write_nth)"
check_eq "write_errors counted" 1 "$(counter write_errors)"
check_eq "write_errors_injected counted" 1 "$(counter write_errors_injected)"
check "the error is logged" grep -q "injected EIO" "$DAEMON_LOG"
check_eq "the error is reported once: next fsync ok" ok "$(python3 -c "import os; fd = os.open('$MNT/e', os.O_RDWR); os.fsync(fd); print('ok')")"
check_eq "the daemon keeps working: rewrite+fsync" ok "$(wfsync "$MNT/e" 0 16384 f)"
# Every open file description that was open when the error happened sees it,
# once (file_check_and_advance_wb_err): two descriptions, one error.
check "fail_write_nth=1 again" set_ fail_write_nth 1
check_eq "two descriptions: both report the error, each once" "EIO EIO ok ok" \
	"$(fsyncs "$MNT/e2" 8192 abab)"
check_eq "rewritten data reads back" "$(printf 'f%.0s' $(seq 16384))" "$(cat "$MNT/e")"

# ---- injected ioend allocation failure (issue 12): the folio stays dirty,
# fsync says ENOMEM, the next fsync writes it; nothing is lost, no EIO.
set_ counters 0
check "fail_ioend_alloc_nth=1" set_ fail_ioend_alloc_nth 1
check_eq "fail_ioend_alloc_nth armed" 1 "$(get fail_ioend_alloc_nth)"
check_eq "fsync without an ioend: ENOMEM, then ok" "ENOMEM ok ok" "$(fsyncs "$MNT/m" 65536 aaa)"
check_eq "ioend_alloc_failures_injected counted" 1 "$(counter ioend_alloc_failures_injected)"
check "wb_redirtied counted" test "$(counter wb_redirtied)" -ge 1
check_eq "no write error" 0 "$(counter write_errors)"
check "still mounted" mountpoint -q "$MNT"

# ---- injected short copy
check "short_copy_at=5000" set_ short_copy_at 5000
check_eq "short_copy_at reads 5000" 5000 "$(get short_copy_at)"
check_eq "write of 10000 bytes at 0 returns 5000" 5000 "$(python3 -c "import os; fd = os.open('$MNT/s', os.O_RDWR | os.O_CREAT); print(os.pwrite(fd, b's' * 10000, 0))")"
check "short_copy_at=off" set_ short_copy_at off
check_eq "short_copy_at reads off" off "$(get short_copy_at)"
check_eq "file size is the short write's" 5000 "$(stat -c %s "$MNT/s")"
check "short_writes counted" test "$(counter short_writes)" -ge 1

# ---- counters at unmount
: >"$DAEMON_LOG"
check_unmount
check "counters printed at unmount" grep -q "^xfsfuse: counters at unmount:" "$DAEMON_LOG"
check "... as 'name value' lines" grep -Eq "^ioends [0-9]+$" "$DAEMON_LOG"
check "... with bytes_written > 0" grep -Eq "^bytes_written [1-9][0-9]*$" "$DAEMON_LOG"

# ---- mount options
check_mount "$IMG" "inject_write_delay_ms=20,inject_jitter=1,fail_write_nth=7,short_copy_at=123,trace=$WORK/trace2.txt"
check_eq "-o inject_write_delay_ms" 20 "$(get inject_write_delay_ms)"
check_eq "-o inject_jitter" 1 "$(get inject_jitter)"
check_eq "-o fail_write_nth" 7 "$(get fail_write_nth)"
check_eq "-o short_copy_at" 123 "$(get short_copy_at)"
check_eq "-o trace" "$WORK/trace2.txt" "$(get trace)"
set_ fail_write_nth 0; set_ short_copy_at off
wfsync "$MNT/o" 0 4096 o >/dev/null
check_unmount
check "trace file has the final writeback and the stop" grep -q "trace_stop" "$WORK/trace2.txt"
check "relative trace= refuses the mount" sh -c "! '$XFSFUSE' -f -o trace=rel.txt '$IMG' '$MNT' 2>/dev/null"
check "bad inject value refuses the mount" sh -c "! '$XFSFUSE' -f -o inject_wb_delay_ms=x '$IMG' '$MNT' 2>/dev/null"
check "stale_remedy=bogus refuses the mount" sh -c "! '$XFSFUSE' -f -o stale_remedy=bogus '$IMG' '$MNT' 2>'$WORK/err'"
check "... naming the choices" grep -q "expected merged, rfc or none" "$WORK/err"
check_mount "$IMG" "stale_remedy=rfc,delalloc_punch=safe"
check_eq "-o stale_remedy=rfc then delalloc_punch=safe: a mix" custom "$(get stale_remedy)"
check_eq "... the older spelling overrides one switch" safe "$(get delalloc_punch)"
check_unmount
check_mount "$IMG" "stale_remedy=none"
check_eq "-o stale_remedy=none" none "$(get stale_remedy)"
check_unmount
check "not mounted after refusals" sh -c "! mountpoint -q '$MNT'"

# ---- dirty throttling (balance_dirty_pages): 8 MiB cache, dirty_ratio=20,
# writeback slowed by 2 ms per map: a 32 MiB writer must wait for writeback,
# and its data must all be there.
check_mount "$IMG" "cache=none,cache_size=8M,dirty_ratio=20,inject_wb_delay_ms=2"
check_eq "dirty_throttled starts at 0" 0 "$(counter dirty_throttled)"
check "32 MiB written through an 8 MiB cache" \
	dd if=/dev/urandom of="$WORK/thr.src" bs=1M count=32 status=none
check "... copied onto the mount" dd if="$WORK/thr.src" of="$MNT/thr" bs=256k status=none
check "writers were throttled ($(counter dirty_throttled) times)" test "$(counter dirty_throttled)" -gt 0
check "dirty + writeback back under the limit after the write" \
	test $(($(counter cache_dirty) + $(counter cache_writeback))) -le $((8 * 1024 * 1024 / 100 * 20 / 4096 + 64))
check "throttled data reads back" cmp "$WORK/thr.src" "$MNT/thr"
check_unmount
check "dirty_ratio=101 refuses the mount" sh -c "! '$XFSFUSE' -f -o dirty_ratio=101 '$IMG' '$MNT' 2>/dev/null"

check "xfs_repair -n clean" repair_clean "$IMG"
# The kernel's XFS (read-only oracle) reads the throttled file's bytes too.
KM="$WORK/k"
lib_mount_dir "$KM"
if mount -o loop,ro "$IMG" "$KM"; then
	check "kernel reads the throttled data" cmp "$WORK/thr.src" "$KM/thr"
	check "kernel reads the file whose ioend failed, all of it" \
		cmp <(head -c 65536 /dev/zero | tr '\0' x) "$KM/m"
	umount "$KM"
else
	bad "kernel mount of the image"
fi
lib_finish

# xfsfuse on an XFS image, one system per mode:
#   xfsfuse        the default mount (cache=kernel, 4 KiB folios, 256 MiB cache, log on)
#   xfsfuse-none   -o cache=none: every open FOPEN_DIRECT_IO, no kernel page cache
#   xfsfuse-64k    -o folio_size=64k
#   xfsfuse-uring  -o io_uring: FUSE-over-io_uring (libfuse 3.18, Linux 6.14+), else /dev/fuse
#   xfsfuse-wbc    -o writeback_cache: the kernel's writeback cache (writes lose their exact ranges)
#   xfsfuse-kdirty the kernel's dirty ratios (10/20 % of cache_size) instead of xfsfuse's 40/60 %
# The daemon runs in the foreground (-f) as a child of run-bench.sh: its PID
# is the one measured.  Sourced by bench/run-bench.sh.

xfsfuse_fs() { echo xfs; }
xfsfuse_desc() {
	case "$1" in
	xfsfuse) echo "xfsfuse, default mount" ;;
	xfsfuse-none) echo "xfsfuse -o cache=none" ;;
	xfsfuse-64k) echo "xfsfuse -o folio_size=64k" ;;
	xfsfuse-uring) echo "xfsfuse -o io_uring" ;;
	xfsfuse-wbc) echo "xfsfuse -o writeback_cache" ;;
	xfsfuse-kdirty) echo "xfsfuse -o dirty_background=10,dirty_ratio=20" ;;
	esac
}
xfsfuse_opts() {
	case "$1" in
	xfsfuse) echo "" ;;
	xfsfuse-none) echo "cache=none" ;;
	xfsfuse-64k) echo "folio_size=64k" ;;
	xfsfuse-uring) echo "io_uring" ;;
	xfsfuse-wbc) echo "writeback_cache" ;;
	xfsfuse-kdirty) echo "dirty_background=10,dirty_ratio=20" ;;
	*) return 1 ;;
	esac
}
xfsfuse_available() {
	[ -x "$XFSFUSE" ] || { log "$1: no xfsfuse binary at $XFSFUSE (build it: meson setup build && ninja -C build)"; return 1; }
	xfsfuse_opts "$1" >/dev/null || { log "$1: unknown xfsfuse mode"; return 1; }
}
xfsfuse_mount() { # SYSTEM IMG
	local opts
	opts=$(xfsfuse_opts "$1")
	# $(profile_wrap): valgrind with --profile callgrind (lib/profile.sh)
	$(profile_wrap) "$XFSFUSE" -f ${opts:+-o "$opts"} "$2" "$MNT" 2>>"$RUN_DIR/$1.log" &
	DAEMON_PID=$!
	wait_mounted "$MNT" "$DAEMON_PID" "$(profile_mount_timeout)"
}
xfsfuse_umount() { # SYSTEM IMG
	umount_wait "$MNT" "$DAEMON_PID"
	DAEMON_PID=
	flock "$2" true
}
xfsfuse_check() { xfs_repair -n "$2"; }
xfsfuse_version() { "$XFSFUSE" --version 2>&1 | head -1; }

# libfuse's passthrough_hp and passthrough_ll (built from Debian's fuse3
# source by lib/deps.sh) mirroring the root of a kernel-XFS mount of the
# image on a loop device: the FUSE ceiling, paying for a second filesystem.
# Both run with their defaults, as a user would start them:
#   passthrough_hp: writeback cache on (timeout 86400 s), splice on, multi-threaded
#   passthrough_ll: no writeback cache, cache=auto (1 s timeouts), multi-threaded
# The kernel mount lives at $RUN_DIR/under.  Sourced by bench/run-bench.sh.

passthrough_fs() { echo xfs; }
passthrough_desc() { echo "$1 (libfuse $FUSE3_VERSION) over kernel XFS"; }
passthrough_available() {
	[ -n "${PASSTHROUGH_HP:-}" ] && [ -x "$PASSTHROUGH_HP" ] ||
		{ log "$1: not built (see above)"; return 1; }
}
passthrough_mount() { # SYSTEM IMG
	local under="$RUN_DIR/under"
	mkdir -p "$under"
	mount -o loop "$2" "$under" || return 1
	# They keep an O_PATH descriptor open for every inode the kernel knows:
	# untar of /usr/include after the 1M-file directory exceeds the limit
	# ("Reached maximum number of file descriptors" at 20,000 here).  Root
	# may raise the limit up to fs.nr_open.
	ulimit -n "$(cat /proc/sys/fs/nr_open)" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	case "$1" in
	passthrough_hp) "$PASSTHROUGH_HP" --foreground "$under" "$MNT" 2>>"$RUN_DIR/$1.log" & ;;
	passthrough_ll) "$PASSTHROUGH_LL" -f -o source="$under" "$MNT" 2>>"$RUN_DIR/$1.log" & ;;
	esac
	DAEMON_PID=$!
	wait_mounted "$MNT" "$DAEMON_PID"
}
passthrough_umount() {
	umount_wait "$MNT" "$DAEMON_PID"
	DAEMON_PID=
	umount "$RUN_DIR/under"
}
passthrough_check() { xfs_repair -n "$2"; }
passthrough_version() { echo "$1 from fuse3 $FUSE3_VERSION source"; }

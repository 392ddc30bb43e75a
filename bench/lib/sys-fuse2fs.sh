# fuse2fs (Debian package fuse2fs, e2fsprogs' FUSE driver) on an ext4 image.
# Checked with e2fsck -fn.  Sourced by bench/run-bench.sh.

fuse2fs_fs() { echo ext4; }
fuse2fs_desc() { echo "fuse2fs on ext4"; }
fuse2fs_available() { command -v fuse2fs >/dev/null || { log "fuse2fs: not installed"; return 1; }; }
fuse2fs_mount() { # SYSTEM IMG
	fuse2fs "$2" "$MNT" -f >>"$RUN_DIR/$1.log" 2>&1 &
	DAEMON_PID=$!
	wait_mounted "$MNT" "$DAEMON_PID"
}
fuse2fs_umount() {
	umount_wait "$MNT" "$DAEMON_PID"
	DAEMON_PID=
}
fuse2fs_check() { e2fsck -fn "$2"; }
fuse2fs_version() { echo "fuse2fs $(dpkg-query -W -f='${Version}' fuse2fs 2>/dev/null)"; }

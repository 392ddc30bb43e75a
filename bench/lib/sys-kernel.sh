# The kernel's XFS on the image through a loop device (mount -o loop): the
# ceiling.  No daemon: CPU and memory columns are empty.  Sourced by
# bench/run-bench.sh.

kernel_fs() { echo xfs; }
kernel_desc() { echo "kernel XFS on a loop device"; }
kernel_available() { return 0; }
kernel_mount() { # SYSTEM IMG
	DAEMON_PID=
	mount -o loop "$2" "$MNT"
}
kernel_umount() { umount "$MNT"; }
kernel_check() { xfs_repair -n "$2"; }
kernel_version() { echo "Linux $(uname -r)"; }

# fsync: appending 4 KiB writes, each followed by fsync, for $RUNTIME s (fio
# write, fsync=1).  Writes/s.
wl_fsync_phases() { echo "append"; }
wl_fsync_setup() { rm -f "$MNT/fsync.dat"; }
wl_fsync_append() {
	FIO_UNIT=IOPS run_fio fsync --filename=fsync.dat --rw=write --bs=4k --fsync=1 \
		--size=1G --time_based --runtime="$RUNTIME"
}
wl_fsync_cleanup() { rm -f "$MNT/fsync.dat"; }

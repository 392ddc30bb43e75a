# randwrite: random 4 KiB writes for $RUNTIME s (fio randwrite, psync,
# end_fsync=1) to files laid out beforehand: one job on one $RAND_MB MiB
# file, then four jobs each on its own quarter-size file.  IOPS.  The files
# are laid out once per mount and kept for the next runs.
wl_randwrite_phases() { echo "1job 4jobs"; }
wl_randwrite_setup() {
	[ -f "$MNT/rw4.3.0" ] && return 0
	fio --name=rw1 --directory="$MNT" --size="${RAND_MB}M" --create_only=1 --output=/dev/null >/dev/null &&
	fio --name=rw4 --directory="$MNT" --numjobs=4 --size="$((RAND_MB / 4))M" --create_only=1 \
		--output=/dev/null >/dev/null
}
wl_randwrite_1job() {
	FIO_UNIT=IOPS run_fio rw1 --rw=randwrite --bs=4k --size="${RAND_MB}M" \
		--time_based --runtime="$RUNTIME" --end_fsync=1
}
wl_randwrite_4jobs() {
	FIO_UNIT=IOPS run_fio rw4 --rw=randwrite --bs=4k --numjobs=4 --size="$((RAND_MB / 4))M" \
		--time_based --runtime="$RUNTIME" --end_fsync=1 --group_reporting
}

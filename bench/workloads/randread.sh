# randread: random 4 KiB reads of seq.dat ($SEQ_MB MiB) for $RUNTIME s,
# cold (remounted, caches dropped first).  IOPS.
wl_randread_phases() { echo "read:cold"; }
wl_randread_setup() { ensure_seq_file; }
wl_randread_read() {
	FIO_UNIT=IOPS run_fio randread --filename=seq.dat --rw=randread --bs=4k \
		--size="${SEQ_MB}M" --time_based --runtime="$RUNTIME"
}

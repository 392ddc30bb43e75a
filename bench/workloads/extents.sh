# extents: random 4 KiB reads for $RUNTIME s, cold, of two files of the same
# size ($EXTENTS blocks of 4 KiB, seeded by the kernel before the mount):
# one written sequentially (one or a few extents), one of $EXTENTS extents
# (every block its own extent, no holes).  IOPS; the ratio of the two is the
# scaling row (target: within 2x).
wl_extents_needs() { echo extents; }
wl_extents_phases() { echo "one:cold many:cold"; }
wl_extents_one() {
	FIO_UNIT=IOPS run_fio ext1 --filename=seed/ext1 --rw=randread --bs=4k \
		--time_based --runtime="$RUNTIME"
}
wl_extents_many() {
	FIO_UNIT=IOPS run_fio extN --filename=seed/extN --rw=randread --bs=4k \
		--time_based --runtime="$RUNTIME"
}

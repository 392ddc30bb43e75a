# seqwrite: one file of $SEQ_MB MiB written in 1 MiB writes, fsync at the end
# (fio write, psync, end_fsync=1).  MiB/s.  Leaves seq.dat for seqread and
# randread.
wl_seqwrite_phases() { echo "write"; }
wl_seqwrite_setup() { rm -f "$MNT/seq.dat"; }
wl_seqwrite_write() {
	run_fio seqwrite --filename=seq.dat --rw=write --bs=1M --size="${SEQ_MB}M" --end_fsync=1
}

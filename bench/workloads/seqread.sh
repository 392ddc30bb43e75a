# seqread: seq.dat ($SEQ_MB MiB, written by seqwrite or here) read in 1 MiB
# reads, cold: the system is unmounted, caches dropped, mounted again first.
# MiB/s.
ensure_seq_file() {
	[ "$(stat -c %s "$MNT/seq.dat" 2>/dev/null)" = "$((SEQ_MB * 1048576))" ] && return 0
	rm -f "$MNT/seq.dat"
	fio --name=seqlayout --directory="$MNT" --filename=seq.dat --rw=write --bs=1M \
		--size="${SEQ_MB}M" --end_fsync=1 --output=/dev/null >/dev/null
}
wl_seqread_phases() { echo "read:cold"; }
wl_seqread_setup() { ensure_seq_file; }
wl_seqread_read() { run_fio seqread --filename=seq.dat --rw=read --bs=1M --size="${SEQ_MB}M"; }

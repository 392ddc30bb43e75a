# untar: tar -xf of an archive of $UNTAR_SRC ($UNTAR_ENTRIES entries,
# made once per run on the host) into a new directory per run, no sync at the
# end (as a user runs it).  Entries/s; bytes are the archive's file data.
wl_untar_phases() { echo "extract"; }
# Setup drops the kernel's dentries and inodes (echo 2): FUSE servers get
# their FORGETs.  libfuse's passthroughs keep one O_PATH descriptor per inode
# the kernel holds, and this sandbox caps RLIMIT_NOFILE at 20,000 (root cannot
# raise it): a second untar of /usr/include in the same mount failed with
# EMFILE.  The archive is read once more so that it is in the host's cache.
wl_untar_setup() {
	rm -rf "$MNT/untar$REP" && mkdir "$MNT/untar$REP" || return 1
	sync; echo 2 >/proc/sys/vm/drop_caches
	cat "$UNTAR_TAR" >/dev/null
}
wl_untar_extract() {
	local t0 t1
	t0=$(now)
	tar -C "$MNT/untar$REP" -xf "$UNTAR_TAR" || return 1
	t1=$(now)
	"$PYTHON" -c 'import sys; n, b, t0, t1 = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]); s = t1 - t0; print(f"{n / s:.6g} entries/s {n} {b} {s:.6f}")' \
		"$UNTAR_ENTRIES" "$UNTAR_BYTES" "$t0" "$t1" >"$PHASE_OUT"
}

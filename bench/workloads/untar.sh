# untar: tar -xf of an archive of $UNTAR_SRC ($UNTAR_ENTRIES entries,
# made once per run on the host) into a new directory per run, no sync at the
# end (as a user runs it).  Entries/s; bytes are the archive's file data.
wl_untar_phases() { echo "extract"; }
wl_untar_setup() { rm -rf "$MNT/untar$REP"; mkdir "$MNT/untar$REP"; }
wl_untar_extract() {
	local t0 t1
	t0=$(now)
	tar -C "$MNT/untar$REP" -xf "$UNTAR_TAR" || return 1
	t1=$(now)
	"$PYTHON" -c 'import sys; n, b, t0, t1 = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]); s = t1 - t0; print(f"{n / s:.6g} entries/s {n} {b} {s:.6f}")' \
		"$UNTAR_ENTRIES" "$UNTAR_BYTES" "$t0" "$t1" >"$PHASE_OUT"
}

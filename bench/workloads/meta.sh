# meta: $META_N empty files created in a new directory, lstat'ed twice (the
# first pass cold: remounted and caches dropped; the second right after),
# then unlinked.  Files/s.
wl_meta_phases() { echo "create stat1:cold stat2 unlink"; }
wl_meta_setup() { rm -rf "$MNT/meta"; mkdir "$MNT/meta"; }
wl_meta_create() { "$PYTHON" "$FSOPS" create "$MNT/meta" "$META_N" m >"$PHASE_OUT"; }
wl_meta_stat1() { "$PYTHON" "$FSOPS" stat "$MNT/meta" "$META_N" m >"$PHASE_OUT"; }
wl_meta_stat2() { "$PYTHON" "$FSOPS" stat "$MNT/meta" "$META_N" m >"$PHASE_OUT"; }
wl_meta_unlink() { "$PYTHON" "$FSOPS" unlink "$MNT/meta" "$META_N" m >"$PHASE_OUT"; }
wl_meta_cleanup() { rm -rf "$MNT/meta"; }

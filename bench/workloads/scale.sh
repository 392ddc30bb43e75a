# scale: $META_N files created in an empty directory, then $META_N more in
# a directory already holding $SCALE_N files (seeded by the kernel before the
# mount), each phase cold and capped at $CAP_S seconds (the rate is what was
# done by then).  Files/s; the ratio of the two is the scaling row (target:
# within 2x).  Each run adds its files (names n<rep>_...) and leaves them:
# removing them one by one from the large directory costs as much again.
wl_scale_needs() { echo dir_scale; }
wl_scale_phases() { echo "empty:cold full:cold"; }
wl_scale_setup() { mkdir -p "$MNT/scale$REP"; }
wl_scale_empty() { "$PYTHON" "$FSOPS" create "$MNT/scale$REP" "$META_N" "n${REP}_" "$CAP_S" >"$PHASE_OUT"; }
wl_scale_full() { "$PYTHON" "$FSOPS" create "$MNT/seed/scale" "$META_N" "n${REP}_" "$CAP_S" >"$PHASE_OUT"; }

# readdir: a directory of $READDIR_N empty files (seeded by the kernel before
# the mount) listed once with getdents (os.scandir, no stat), cold.
# Entries/s.
wl_readdir_needs() { echo dir_small; }
wl_readdir_phases() { echo "list:cold"; }
wl_readdir_list() { "$PYTHON" "$FSOPS" readdir "$MNT/seed/readdir" >"$PHASE_OUT"; }

# Base images: one per filesystem type (xfs, ext4) per run, made with mkfs
# and filled by the kernel's own driver through a loop mount with what the
# selected workloads need to find already there (the time to make it is not
# what they measure):
#   dir_small  seed/readdir: $READDIR_N empty files (readdir)
#   dir_scale  seed/scale:   $SCALE_N empty files (scale)
#   extents    seed/ext1 and seed/extN: $EXTENTS blocks each, written
#              sequentially / one extent per block (extents)
# Every system then gets its own copy (cp --sparse), preallocated to
# $IMG_SIZE with fallocate: a fresh image per system.  Sourced by
# bench/run-bench.sh.

# make_base FS "NEEDS..." -> $RUN_DIR/base-FS.img; the seeds' extent counts
# go to $RUN_DIR/seed-FS.txt
make_base() {
	local fs=$1 needs=$2 img="$RUN_DIR/base-$1.img" m="$RUN_DIR/seedmnt" n
	rm -f "$img"
	truncate -s "$IMG_SIZE" "$img"
	case "$fs" in
	xfs) mkfs.xfs -q -f "$img" ;;
	# one inode per 4 KiB: room for the 1M-file directory
	ext4) mkfs.ext4 -q -F -i 4096 "$img" ;;
	esac || return 1
	: >"$RUN_DIR/seed-$fs.txt"
	[ -n "$needs" ] || return 0
	mkdir -p "$m"
	mount -o loop "$img" "$m" || return 1
	if [ "$fs" = ext4 ]; then
		# Large files take their blocks from the shared locality-group pool,
		# not a per-inode preallocation: interleaved writes then interleave
		# on disk, as on XFS (fsops.py seed-extents).
		local dev
		dev=$(basename "$(findmnt -no SOURCE "$m")")
		echo 1000000000 >"/sys/fs/ext4/$dev/mb_stream_req"
	fi
	mkdir -p "$m/seed"
	for n in $needs; do
		case "$n" in
		dir_small) "$PYTHON" "$FSOPS" seed-files "$m/seed/readdir" "$READDIR_N" ;;
		dir_scale) "$PYTHON" "$FSOPS" seed-files "$m/seed/scale" "$SCALE_N" ;;
		extents)
			"$PYTHON" "$FSOPS" seed-contig "$m/seed" ext1 "$EXTENTS" &&
			"$PYTHON" "$FSOPS" seed-extents "$m/seed" extN "$EXTENTS" &&
			echo "ext1 $(filefrag "$m/seed/ext1" | awk '{ print $2 }') extN $(filefrag "$m/seed/extN" | awk '{ print $2 }')" \
				>>"$RUN_DIR/seed-$fs.txt"
			;;
		esac >&2 || { umount "$m"; return 1; }
	done
	umount "$m"
}

# fresh_image FS IMG: a copy of the base image, preallocated to $IMG_SIZE.
fresh_image() {
	rm -f "$2"
	cp --sparse=always "$RUN_DIR/base-$1.img" "$2" && fallocate -l "$IMG_SIZE" "$2"
}

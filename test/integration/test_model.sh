#!/bin/bash
# The model-based random op tester (test/model/fsmodel.c) against the FUSE
# mount, over a matrix: cache=kernel|none x 1 KiB|4 KiB blocks x 4k|64k
# folios, with a 10 ms writeback interval, aggressive reclaim and a small
# cache, several threads at once.  After each run: unmount, xfs_repair -n,
# the kernel (ro loop mount) must read the model's bytes, and a fresh
# xfsfuse mount must too (fsmodel --verify).  fsmodel's ops include
# copy_file_range between a thread's files (blocks shared, then written:
# copy-on-write) and O_DIRECT reads and writes mixed with the cached and
# mmap ones.  Needs root and /dev/fuse.
#   usage: test_model.sh XFSFUSE FSMODEL [OPS]
# OPS per thread: XFSFUSE_MODEL_OPS, default 500 (1500 with XFSFUSE_FULL=1).
# XFSFUSE_MODEL_CONFIGS=pairwise runs four of the eight configurations, the
# four that still pair every setting with every other one (cache x block
# size, cache x folio, block size x folio): ASan uses it.
# XFSFUSE_MODEL_CONFIGS=corners runs two, kernel:1024:4k and none:4096:64k
# (each setting once): TSan, whose daemon is 5-15x slower, uses it.
set -uo pipefail
XFSFUSE="$1"
FSMODEL="$2"
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
OPS="${3:-${XFSFUSE_MODEL_OPS:-$(ci_or_full 500 1500)}}"
lib_init model
KMNT="$WORK/kmnt"
lib_mount_dir "$KMNT"

kernel_matches_model() { # IMAGE SHADOW
	mount -o loop,ro "$1" "$KMNT" || return 1
	local rc=0 f
	for f in "$2"/*; do
		cmp -s "$f" "$KMNT/$(basename "$f")" || { echo "kernel differs: $(basename "$f")" >&2; rc=1; }
	done
	umount "$KMNT"
	loop_released "$1"
	return $rc
}

run() { # CACHE BS FOLIO SEED
	local cache=$1 bs=$2 folio=$3 seed=$4 img="$WORK/img" shadow="$WORK/shadow"
	local opts="cache=$cache,folio_size=$folio,writeback_interval=10,dirty_expire=20,reclaim=aggressive,cache_size=8M"
	local mm=""
	[ "$cache" = none ] && mm="--no-mmap"
	# XFSFUSE_MODEL_NO_DROP=1: no drop_caches op (a run beside other
	# suites: the FORGETs it sends to their daemons move their counters).
	[ "${XFSFUSE_MODEL_NO_DROP:-0}" = 1 ] && mm="$mm --no-drop"
	rm -rf "$shadow" "$img"; mkdir -p "$shadow"
	truncate -s 1G "$img" && mkfs.xfs -q -f -b size="$bs" "$img"
	check_mount "$img" "$opts" || return
	check "fsmodel $opts bs=$bs seed=$seed" "$FSMODEL" --dir "$MNT" --shadow "$shadow" \
		--seed "$seed" --ops "$OPS" --threads 4 --files 3 $mm
	check_unmount "$cache bs=$bs folio=$folio"
	check "xfs_repair -n ($cache bs=$bs folio=$folio)" repair_clean "$img"
	check "kernel reads the model's bytes ($cache bs=$bs folio=$folio)" kernel_matches_model "$img" "$shadow"
	check_mount "$img" "$opts" || return
	check "remount reads the model's bytes ($cache bs=$bs folio=$folio)" \
		"$FSMODEL" --dir "$MNT" --shadow "$shadow" --threads 4 --files 3 --verify
	check_unmount "$cache bs=$bs folio=$folio"
}

seed=${XFSFUSE_MODEL_SEED:-$(date +%s)}
echo "test_model: base seed $seed (XFSFUSE_MODEL_SEED=$seed to replay)"
configs="kernel:1024:4k kernel:1024:64k kernel:4096:4k kernel:4096:64k
	none:1024:4k none:1024:64k none:4096:4k none:4096:64k"
case "${XFSFUSE_MODEL_CONFIGS:-all}" in
all) ;;
pairwise) configs="kernel:1024:4k kernel:4096:64k none:1024:64k none:4096:4k" ;;
corners) configs="kernel:1024:4k none:4096:64k" ;;
*) bad "XFSFUSE_MODEL_CONFIGS=$XFSFUSE_MODEL_CONFIGS: all, pairwise or corners"; configs= ;;
esac
for c in $configs; do
	IFS=: read -r cache bs folio <<<"$c"
	run "$cache" "$bs" "$folio" "$seed"
	seed=$((seed + 1))
done
lib_finish

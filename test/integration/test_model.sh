#!/bin/bash
# The model-based random op tester (test/model/fsmodel.c) against the FUSE
# mount, over a matrix: cache=kernel|none x 1 KiB|4 KiB blocks x 4k|64k
# folios, with a 10 ms writeback interval, aggressive reclaim and a small
# cache, several threads at once.  After each run: unmount, xfs_repair -n,
# the kernel (ro loop mount) must read the model's bytes, and a fresh
# xfsfuse mount must too (fsmodel --verify).  Needs root and /dev/fuse.
#   usage: test_model.sh XFSFUSE FSMODEL [OPS]
set -uo pipefail
XFSFUSE="$1"
FSMODEL="$2"
OPS="${3:-${XFSFUSE_MODEL_OPS:-1500}}"
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
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
	return $rc
}

run() { # CACHE BS FOLIO SEED
	local cache=$1 bs=$2 folio=$3 seed=$4 img="$WORK/img" shadow="$WORK/shadow"
	local opts="cache=$cache,folio_size=$folio,writeback_interval=10,dirty_expire=20,reclaim=aggressive,cache_size=8M"
	local mm=""
	[ "$cache" = none ] && mm="--no-mmap"
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
for cache in kernel none; do
	for bs in 1024 4096; do
		for folio in 4k 64k; do
			run "$cache" "$bs" "$folio" "$seed"
			seed=$((seed + 1))
		done
	done
done
lib_finish

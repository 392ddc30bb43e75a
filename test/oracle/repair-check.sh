#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# repair-check.sh IMAGE
#
# xfs_repair -n (no modify) as oracle: exit 0 only if repair exits 0 AND
# prints nothing but its usual progress lines.  Otherwise print its whole
# output and exit 1.  (xfs_repair -n exits 1 on corruption, but a few
# complaints -- e.g. some counter mismatches -- are only words on stderr, so
# the output is checked too.)
set -uo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 IMAGE" >&2
	exit 2
fi
image=$1
if [ ! -e "$image" ]; then
	echo "repair-check: $image does not exist" >&2
	exit 2
fi

out=$(xfs_repair -n "$image" 2>&1)
rc=$?

# The lines a clean xfs_repair -n (6.1) prints, whatever the geometry.
benign='^(Phase [0-9]+ - [a-zA-Z0-9 .]+'
benign+='|[[:space:]]+- agno = [0-9]+'
benign+='|[[:space:]]+- (zero log|scan filesystem freespace and inode maps'
benign+='|scan \(but don.t clear\) agi unlinked lists'
benign+='|process known inodes and perform inode discovery|process newly discovered inodes'
benign+='|setting up duplicate extent list|check for inodes claiming duplicate blocks'
benign+='|traversing filesystem |traversal finished |moving disconnected inodes to lost\+found )\.\.\.'
benign+='|[[:space:]]+- found root inode chunk'
benign+='|No modify flag set, skipping phase 5'
benign+='|No modify flag set, skipping filesystem flush and exiting\.'
benign+='|Cannot get host filesystem geometry\.'
benign+='|Repair may fail if there is a sector size mismatch between'
benign+='|the image and the host filesystem\.'
benign+='|V4 filesystems are deprecated and will not be supported by future versions\.'
benign+='|)$'
unexpected=$(printf '%s\n' "$out" | grep -Ev "$benign" || true)

if [ $rc -ne 0 ] || [ -n "$unexpected" ]; then
	echo "repair-check: xfs_repair -n $image exited $rc; it reported:" >&2
	if [ -n "$unexpected" ]; then
		printf '%s\n' "$unexpected" | sed 's/^/  /' >&2
	fi
	echo "--- full output ---" >&2
	printf '%s\n' "$out" >&2
	exit 1
fi
exit 0

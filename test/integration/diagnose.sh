#!/bin/bash
# Why is a mount busy, or a test stuck?  Prints who holds MNT (fuser -vm),
# the processes under it, and every thread's stack of the daemon (gdb), so
# that a hang in CI explains itself before anything is killed.
#   diagnose.sh MNT [DAEMON_PID]
MNT="$1"
PID="${2:-}"
echo "=== diagnose: $MNT (daemon pid ${PID:-unknown}) ==="
echo "--- fuser -vm"
fuser -vm "$MNT" 2>&1 | head -40
echo "--- processes with a cwd or open file under the mount"
for p in /proc/[0-9]*; do
	if ls -l "$p/cwd" "$p/fd" 2>/dev/null | grep -q " -> $MNT"; then
		echo "$(basename "$p"): $(tr '\0' ' ' <"$p/cmdline" | head -c 200)"
	fi
done | head -20
if [ -n "$PID" ] && [ -d "/proc/$PID" ]; then
	echo "--- daemon threads (state, wchan)"
	for t in /proc/"$PID"/task/*; do
		echo "$(basename "$t") $(awk '{print $3}' "$t/stat") $(cat "$t/wchan" 2>/dev/null) $(cat "$t/comm")"
	done | head -40
	echo "--- daemon stacks (gdb)"
	timeout 60 gdb -p "$PID" -batch -ex "thread apply all bt" 2>/dev/null |
		grep -E '^(Thread|#)' | head -300
fi
echo "=== end of diagnose ==="

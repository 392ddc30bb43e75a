#!/bin/bash
# Why is a mount busy, or a test stuck?  Prints who holds MNT (fuser -vm),
# the processes under it, the engine locks each daemon thread holds or waits
# for (the lock watch), and every thread's stack (gdb), so that a hang in CI
# explains itself before anything is killed.
#   diagnose.sh MNT [DAEMON_PID]
MNT="$1"
PID="${2:-}"
echo "=== diagnose: $MNT (daemon pid ${PID:-unknown}) ==="
echo "--- fuser -vm"
fuser -vm "$MNT" 2>&1 | head -40
echo "--- processes with a cwd or open file under the mount (threads: state, wchan, kernel stack)"
for p in /proc/[0-9]*; do
	if ls -l "$p/cwd" "$p/fd" 2>/dev/null | grep -q " -> $MNT"; then
		echo "$(basename "$p"): $(tr '\0' ' ' <"$p/cmdline" | head -c 200)"
		# A request the daemon never answered shows as request_wait_answer.
		for t in "$p"/task/*; do
			echo "  $(basename "$t") $(awk '{print $3}' "$t/stat" 2>/dev/null) $(cat "$t/wchan" 2>/dev/null)"
			sed 's/^/    /' "$t/stack" 2>/dev/null | head -12
		done | head -60
	fi
done | head -200
if [ -n "$PID" ] && [ -d "/proc/$PID" ]; then
	echo "--- daemon threads (state, wchan)"
	for t in /proc/"$PID"/task/*; do
		echo "$(basename "$t") $(awk '{print $3}' "$t/stat") $(cat "$t/wchan" 2>/dev/null) $(cat "$t/comm")"
	done | head -40
	# The lock watch (src/trace/lockwatch.h): each thread's held and awaited
	# engine locks, read from the stopped process; and the libxfs mutex's
	# owner as glibc itself records it, as a cross-check.
	echo "--- engine locks (held / awaited, per thread)"
	timeout 60 gdb -p "$PID" -batch -ex 'python
import time
kinds = ["i_rwsem", "invalidate_lock", "folio", "libxfs"]
now = int(time.monotonic() * 1000)
slots = gdb.parse_and_eval("xf_lw_slots")
for i in range(int(gdb.parse_and_eval("xf_lw_nslots"))):
    s = slots[i]
    if not int(s["tid"]):
        continue
    held = ["%s(%s) x%d ino %d" % (kinds[k], "excl" if bool(s["held_excl"][k]) else "shared",
                                   int(s["held"][k]), int(s["held_ino"][k]))
            for k in range(len(kinds)) if int(s["held"][k]) > 0]
    w = int(s["waiting"])
    wait = ("WAITS for %s ino %d index %d since %d ms" % (kinds[w], int(s["wait_ino"]),
            int(s["wait_index"]), now - int(s["wait_since_ms"]))) if w >= 0 else ""
    if held or wait:
        try:
            comm = open("/proc/%d/task/%d/comm" % (gdb.selected_inferior().pid, int(s["tid"]))).read().strip()
        except OSError:
            comm = "?"
        print("tid %d %s: holds [%s] %s" % (int(s["tid"]), comm, ", ".join(held), wait))
print("libxfs mutex owner (glibc): tid %d" % int(gdb.parse_and_eval("xb_libxfs_mutex")["__data"]["__owner"]))
' 2>&1 | grep -E '^(tid|libxfs|Python|gdb\.)' | head -80
	echo "--- daemon stacks (gdb)"
	timeout 60 gdb -p "$PID" -batch -ex "thread apply all bt" 2>/dev/null |
		grep -E '^(Thread|#)' | head -300
fi
echo "=== end of diagnose ==="

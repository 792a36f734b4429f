#!/usr/bin/env bash
# One heald at a time (issue 14): a second heald started with the same
# socket must refuse at start, name the first one's pid, and leave the
# first one's socket alone; the first stays reachable and in charge.  A
# heald killed with -9 leaves no lock behind: the next one starts.  The
# second runs in a namespace of its own, so that nothing but the socket
# directory (its metrics port, its uplinks) is shared with the first.
. "$(dirname "$0")/common.sh"

heald_start
ino=$(stat -c %i "$SOCK") || fail "no socket"
netns_add "$NS-2"
ip netns exec "$NS-2" "$HEALD" -c "$SCRATCH/heald.conf" > "$SCRATCH/second.log" 2>&1 &
second=$!
_pids+=("$second")
for ((i = 0; i < 100; i++)); do
	kill -0 "$second" 2>/dev/null || break
	sleep 0.05
done
sed 's/^/second: /' "$SCRATCH/second.log" | head -5
kill -0 "$second" 2>/dev/null && fail "a second heald runs next to the first (pid $HEALD_PID)"
wait "$second"; rc=$?
[ "$rc" != 0 ] || fail "the second heald exited 0"
grep -q "$HEALD_PID" "$SCRATCH/second.log" || fail "the second heald does not name the first one's pid $HEALD_PID"
[ -S "$SOCK" ] || fail "the socket is gone"
[ "$(stat -c %i "$SOCK")" = "$ino" ] || fail "the first heald's socket was replaced"
hc status | jq -e '.ok == true' > /dev/null || fail "the first heald does not answer after the second tried"
log "second heald refused (exit $rc), the first answers on its own socket"
heald_done

# kill -9 leaves the lock file and a dead socket: the next heald starts.
kill -9 "$HEALD_PID"; wait "$HEALD_PID" 2>/dev/null
heald_start
log "after kill -9 a new heald (pid $HEALD_PID) started"
heald_done

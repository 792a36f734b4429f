#!/usr/bin/env bash
# heald runs as root: its journal and socket paths must not be turned on
# other files (issue 12: they followed symlinks).  Expected: a journal
# path that is a symlink, and a socket path that holds anything but a
# socket (a file, a symlink), stop heald at start with a clear error, and
# the file they name is left as it was.  A stale socket of an earlier run
# is replaced as before.
. "$(dirname "$0")/common.sh"

netns_add "$NS"
echo canary > "$SCRATCH/canary"
start_fails() {	# start_fails WHAT: heald must exit 1 at once saying WHAT
	local rc
	timeout 10 ip netns exec "$NS" "$HEALD" -c "$SCRATCH/heald.conf" > "$SCRATCH/out" 2>&1
	rc=$?
	sed 's/^/# heald: /' "$SCRATCH/out"
	[ $rc = 1 ] || fail "heald exited $rc, not 1"
	grep -q "$1" "$SCRATCH/out" || fail "no message saying '$1'"
	[ "$(cat "$SCRATCH/canary")" = canary ] || fail "the canary file was changed"
}

ln -s "$SCRATCH/canary" "$SCRATCH/journal.jsonl"
heald_conf
start_fails "journal $SCRATCH/journal.jsonl: is a symbolic link"
rm "$SCRATCH/journal.jsonl"

ln -s "$SCRATCH/canary" "$SOCK"
start_fails "$SOCK: not a socket"
rm "$SOCK"
cp "$SCRATCH/canary" "$SOCK"
start_fails "$SOCK: not a socket"
[ "$(cat "$SOCK")" = canary ] || fail "the file at the socket path was changed"
rm "$SOCK"

heald_start
kill "$HEALD_PID"
wait "$HEALD_PID"
"$PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
heald_start
[ "$(stat -c %a "$SOCK")" = 666 ] || fail "the socket's mode is $(stat -c %a "$SOCK"), not 666"
heald_done

#!/usr/bin/env bash
# Sourced by the daemon tests (tests/heald/test_api_*.sh), which run on the
# host as root: heald (the ASan+UBSan build, make -C userspace asan) in a
# network namespace of its own, without healblk and without eBPF, and real
# clients on its Unix socket as other users (setpriv; no account is made):
#   root                 uid 0
#   a reader             uid 65534 in group "users" (gid 100), heald's
#                        "group" in these tests: may read, may not act
#   unprivileged users   uids 65533, 65532, no group: may do nothing
# Everything is removed on exit, pass or fail; a sanitizer report or a
# dead heald fails the test (heald_done).
# shellcheck disable=SC2034  # constants are for the tests that source this
set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HEALD=${HEALD:-$top/build/asan/bin/heald}
PY=/usr/bin/python3	# not a shim under /root: the other users run it too
HC=$top/tests/heald/hclient.py
READER_UID=65534 READER_GID=100 READER_GROUP=users
OTHER_UID=65533 OTHER2_UID=65532
NS=heal-ht$$
SCRATCH=$(mktemp -d /tmp/heal-heald.XXXXXX)
chmod 755 "$SCRATCH"	# the other users reach the socket
SOCK=$SCRATCH/heald.sock
METRICS_PORT=19581
export HEAL_SOCKET=$SOCK
# halt_on_error: the first report ends heald, the test sees it die.
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
_pids=()
_netns=()

cleanup() {
	local i
	for i in "${_pids[@]}"; do kill "$i" 2>/dev/null; wait "$i" 2>/dev/null; done
	for i in "${_netns[@]}"; do
		ip netns pids "$i" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$i" 2>/dev/null
	done
	rm -rf "$SCRATCH"
}
trap cleanup EXIT

log() { echo "# $*"; }
fail() {
	echo "FAIL: $*"
	[ -f "$SCRATCH/heald.log" ] && sed 's/^/heald: /' "$SCRATCH/heald.log" | tail -60
	exit 1
}
skip() { echo "SKIP: $*"; exit 4; }

[ "$(id -u)" = 0 ] || skip "needs root (namespaces, setpriv)"
[ -x "$HEALD" ] || skip "no $HEALD: make -C userspace asan"
getent group "$READER_GROUP" > /dev/null || skip "no group $READER_GROUP"

# Run a command as one of the test users.
as_root() { "$@"; }
as_reader() { setpriv --reuid=$READER_UID --regid=$READER_GID --groups=$READER_GID "$@"; }
as_other() { setpriv --reuid=$OTHER_UID --regid=$OTHER_UID --clear-groups "$@"; }
as_other2() { setpriv --reuid=$OTHER2_UID --regid=$OTHER2_UID --clear-groups "$@"; }

netns_add() {	# netns_add NAME
	ip netns add "$1" || fail "ip netns add $1"
	_netns+=("$1")
	ip -n "$1" link set lo up
}

# The config heald_start uses: "key = value" lines given are added.
heald_conf() {
	local line
	{
		echo "socket = $SOCK"
		echo "journal = $SCRATCH/journal.jsonl"
		echo "metrics_port = $METRICS_PORT"
		echo "group = $READER_GROUP"
		echo "bpf = no"
		echo "poll_ms = 200"
		for line in "$@"; do echo "$line"; done
	} > "$SCRATCH/heald.conf"
}

# heald in namespace $NS with the config of heald_conf (default: its own).
heald_start() {
	local i
	[ -e "/run/netns/$NS" ] || netns_add "$NS"
	[ -f "$SCRATCH/heald.conf" ] || heald_conf "# the defaults of these tests"
	# ip netns exec execs heald: $! is heald's pid.
	ip netns exec "$NS" "$HEALD" -c "$SCRATCH/heald.conf" >> "$SCRATCH/heald.log" 2>&1 &
	HEALD_PID=$!
	_pids+=("$HEALD_PID")
	for ((i = 0; i < 100; i++)); do
		[ -S "$SOCK" ] && hc status > /dev/null 2>&1 && return 0
		kill -0 "$HEALD_PID" 2>/dev/null || break
		sleep 0.05
	done
	fail "heald did not start"
}

# One request as root, the reply on stdout (hclient.py: see there).
hc() { "$PY" "$HC" "$SOCK" "$@"; }

# heald must still run, answer root, and have no sanitizer report.
heald_done() {
	kill -0 "$HEALD_PID" 2>/dev/null || fail "heald died"
	hc status | jq -e '.ok == true' > /dev/null || fail "heald does not answer root's status"
	if grep -Eq 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$SCRATCH/heald.log"; then
		fail "a sanitizer report in heald's log"
	fi
	log "heald alive, answers root, no sanitizer report"
}

# Until heald's first uplink is STATE (up, down...), 20 s at most.
wait_uplink() {	# wait_uplink STATE
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(hc status | jq -r '.uplinks[0].state')" = "$1" ] && return 0
		sleep 0.1
	done
	fail "uplink lte is not $1 after 20 s"
}

#!/usr/bin/env bash
# Sourced by the output tests (tests/outputs/test_*.sh): the namespaces,
# heald and the cleanup of the network tests (tests/net/common.sh: a node
# with uplinks A and B, heald's metrics on the node's 127.0.0.1:19579),
# and what the outputs need on top.  Everything is removed on exit.
# shellcheck disable=SC2034  # constants are for the tests that source this
# shellcheck source=tests/net/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../net/common.sh"

HEALTOP=${HEALTOP:-$top/build/bin/healtop}
METRICS=127.0.0.1:19579
ESC=$'\e'

# heald's metrics, as Prometheus would get them (inside the node).
scrape() {
	if [ -n "${ON_HOST:-}" ]; then
		curl -fsS --max-time 5 "http://${1:-$METRICS}/metrics"
	else
		in_ns "$NODE" curl -fsS --max-time 5 "http://${1:-$METRICS}/metrics"
	fi
}

# Only a namespace with its loopback: the tests that need no uplinks.
node_only() {
	ip netns add "$NODE" || fail "ip netns add"
	ip -n "$NODE" link set lo up
}

# heald in the node without uplinks (heald_start writes two); with ON_HOST
# set, in the host's namespaces (ip netns exec hides cgroup2's mount).
heald_bare() {	# heald_bare [KEY = VALUE line]...
	local line i
	{
		echo "socket = $SCRATCH/heald.sock"
		echo "journal = $SCRATCH/journal.jsonl"
		echo "bpf = no"
		for line in "$@"; do echo "$line"; done
	} > "$SCRATCH/heald.conf"
	export HEAL_SOCKET=$SCRATCH/heald.sock
	if [ -n "${ON_HOST:-}" ]; then
		"$HEALD" -c "$SCRATCH/heald.conf" >> "$SCRATCH/heald.log" 2>&1 &
	else
		ip netns exec "$NODE" "$HEALD" -c "$SCRATCH/heald.conf" >> "$SCRATCH/heald.log" 2>&1 &
	fi
	HEALD_PID=$!
	_pids+=("$HEALD_PID")
	for ((i = 0; i < 100; i++)); do
		"$HEALCTL" journal > /dev/null 2>&1 && return 0
		kill -0 "$HEALD_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$SCRATCH/heald.log"
	fail "heald did not start"
}

# CPU seconds (user + system) a live process has used.
cpu_s() { awk '{ printf "%.2f\n", ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$1/stat"; }

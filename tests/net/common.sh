#!/usr/bin/env bash
# Sourced by the network tests (tests/net/test_*.sh), which run on the host
# as root: a "node" namespace with two uplinks (veth) to two "gateway"
# namespaces, and a "remote" host behind both.  Addresses are 10.201.x.y,
# which exist only inside these namespaces: no packet leaves them.
#
#   node  vA 10.201.1.2 ---- gA-n 10.201.1.1  gwA  gA-r 10.201.3.1 ---- rA 10.201.3.2  remote
#         vB 10.201.2.2 ---- gB-n 10.201.2.1  gwB  gB-r 10.201.4.1 ---- rB 10.201.4.2  (10.201.9.1 on lo)
#
# The remote answers each node address through its own gateway (routes by
# source), as two ISPs would.  Everything is removed on exit, pass or fail.
# shellcheck disable=SC2034  # constants are for the tests that source this
set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HEALD=${HEALD:-$top/build/bin/heald}
HEALCTL=${HEALCTL:-$top/build/bin/healctl}
P=heal-nt$$
NODE=$P-node GWA=$P-gwa GWB=$P-gwb REMOTE=$P-remote
TARGET=10.201.9.1
TARGET2=10.201.9.2
SCRATCH=$(mktemp -d /tmp/heal-net.XXXXXX)
_pids=()

cleanup() {
	local i
	for i in "${_pids[@]}"; do kill "$i" 2>/dev/null; wait "$i" 2>/dev/null; done
	# Whatever still runs in the namespaces (a background job's children).
	for i in "$NODE" "$GWA" "$GWB" "$REMOTE"; do
		ip netns pids "$i" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$i" 2>/dev/null
	done
	rm -rf "$SCRATCH"
}
trap cleanup EXIT

log() { echo "# $*"; }
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 4; }

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

topology() {
	local ns
	for ns in "$NODE" "$GWA" "$GWB" "$REMOTE"; do
		ip netns add "$ns" || fail "ip netns add $ns"
		ip -n "$ns" link set lo up
	done
	ip link add vA netns "$NODE" type veth peer name gA-n netns "$GWA" || fail "veth"
	ip link add vB netns "$NODE" type veth peer name gB-n netns "$GWB" || fail "veth"
	ip link add gA-r netns "$GWA" type veth peer name rA netns "$REMOTE" || fail "veth"
	ip link add gB-r netns "$GWB" type veth peer name rB netns "$REMOTE" || fail "veth"
	ip -n "$NODE" addr add 10.201.1.2/24 dev vA
	ip -n "$NODE" addr add 10.201.2.2/24 dev vB
	ip -n "$GWA" addr add 10.201.1.1/24 dev gA-n
	ip -n "$GWA" addr add 10.201.3.1/24 dev gA-r
	ip -n "$GWB" addr add 10.201.2.1/24 dev gB-n
	ip -n "$GWB" addr add 10.201.4.1/24 dev gB-r
	ip -n "$REMOTE" addr add 10.201.3.2/24 dev rA
	ip -n "$REMOTE" addr add 10.201.4.2/24 dev rB
	ip -n "$REMOTE" addr add $TARGET/32 dev lo
	for ns in "$NODE" "$GWA" "$GWB" "$REMOTE"; do
		for i in $(ip -n "$ns" -o link show | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
			ip -n "$ns" link set "$i" up
		done
	done
	in_ns "$GWA" sysctl -qw net.ipv4.ip_forward=1
	in_ns "$GWB" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$GWA" route add $TARGET/32 via 10.201.3.2
	ip -n "$GWB" route add $TARGET/32 via 10.201.4.2
	ip -n "$REMOTE" route add 10.201.1.0/24 via 10.201.3.1
	ip -n "$REMOTE" route add 10.201.2.0/24 via 10.201.4.1
	ip -n "$NODE" route add default via 10.201.1.1 dev vA
	in_ns "$NODE" ping -c1 -W2 $TARGET > /dev/null || fail "no path to the remote through A"
}

# heald in the node namespace with uplinks A (preferred) and B; $UPLINK_A
# and $UPLINK_B are more lines of their sections ("targets = ..."),
# $MORE_SECTIONS more sections after them.
heald_start() {	# heald_start [KEY = VALUE line]...
	local line i
	{
		echo "socket = $SCRATCH/heald.sock"
		echo "journal = $SCRATCH/journal.jsonl"
		echo "metrics_port = 19579"
		echo "bpf = no"
		for line in "$@"; do echo "$line"; done
		printf '[uplink A]\ninterface = vA\ngateway = 10.201.1.1\n%s\n' "${UPLINK_A:-}"
		printf '[uplink B]\ninterface = vB\ngateway = 10.201.2.1\n%s\n' "${UPLINK_B:-}"
		printf '%s\n' "${MORE_SECTIONS:-}"
	} > "$SCRATCH/heald.conf"
	export HEAL_SOCKET=$SCRATCH/heald.sock
	# ip netns exec execs heald: $! is heald's pid.
	ip netns exec "$NODE" "$HEALD" -c "$SCRATCH/heald.conf" >> "$SCRATCH/heald.log" 2>&1 &
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

# The gateway the node's default route uses now.
via() { ip -n "$NODE" -j route show default | jq -r '.[0].gateway // "none"'; }

# Replies of a 10 ms ping of the remote, each with its time, into $SCRATCH/ping.
ping_start() {
	ip netns exec "$NODE" ping -D -n -i 0.01 -W 1 -w "${1:-60}" $TARGET > "$SCRATCH/ping" 2>&1 &
	PING_PID=$!
	_pids+=("$PING_PID")
	sleep 0.3
}

# The longest time without a reply between $1 and $2 (epoch seconds), in ms.
outage_ms() {
	awk -v a="$1" -v b="$2" -F'[][]' '/bytes from/ { t = $2 + 0
		if (t >= a && !first) { first = t; gap = (t - a) * 1000 }
		if (t >= a && t <= b && last && (t - last) * 1000 > gap) gap = (t - last) * 1000
		if (t >= a) last = t }
		END { printf "%.0f\n", first ? gap : -1 }' "$SCRATCH/ping"
}

# A checks that a decision says so.
journal_json() { "$HEALCTL" journal --json --limit 1024; }
reroutes() { journal_json | jq '[.[] | select(.type == "decision" and .action == "reroute" and .taken)] | length'; }

gw_kill_link() { ip -n "$GWA" link set gA-n down; }
gw_heal_link() { ip -n "$GWA" link set gA-n up; }
# A silent gateway: everything from the node is dropped at its door.
gw_kill_nft() {	# gw_kill_nft NS IFNAME
	in_ns "$1" nft -f - <<NFT || fail "nft in $1"
table netdev heal_drop {
	chain in { type filter hook ingress device "$2" priority 0; policy drop; }
}
NFT
}
gw_heal_nft() { in_ns "$1" nft delete table netdev heal_drop 2>/dev/null; }
# A gateway that answers its own pings but forwards nothing (the ISP side
# of a consumer router died): its forward path drops everything.
gw_kill_forward() {	# gw_kill_forward NS
	in_ns "$1" nft -f - <<NFT || fail "nft in $1"
table inet heal_fwd {
	chain forwarding { type filter hook forward priority 0; policy drop; }
}
NFT
}
gw_heal_forward() { in_ns "$1" nft delete table inet heal_fwd 2>/dev/null; }
# A second host beyond both gateways, for two targets per uplink.
second_target() {
	ip -n "$REMOTE" addr add $TARGET2/32 dev lo
	ip -n "$GWA" route add $TARGET2/32 via 10.201.3.2
	ip -n "$GWB" route add $TARGET2/32 via 10.201.4.2
}

now() { date +%s.%N; }

# heald's view of uplink $1: the jq path $2 of it in healctl status --json.
status() { "$HEALCTL" status --json | jq -r --arg u "$1" ".heald.uplinks[] | select(.name == \$u) | $2"; }
uplink_is() { [ "$(status "$1" .state)" = "$2" ]; }
wait_for() {	# wait_for SECONDS COMMAND...: until COMMAND succeeds
	local end=$(( $(date +%s) + $1 )); shift
	until "$@" > /dev/null 2>&1; do [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.05; done
}

#!/usr/bin/env bash
# An uplink whose interface does not exist yet (an LTE dongle not plugged
# in, or not enumerated) must not stop heald (issue 14): that uplink is
# down, said once, and heald runs; when the interface appears with its
# address, the uplink is probed as usual, comes up, and carries the
# routes; unplugged, it is down, and up again when it is back.  The "dongle" is a veth to a gateway namespace: 10.203.0.0/24,
# which exists only in these namespaces.
. "$(dirname "$0")/common.sh"

GW=$NS-gw
netns_add "$NS"
netns_add "$GW"
heald_conf "routes = 10.203.9.0/24" "[uplink lte]" "interface = hlte0" "gateway = 10.203.0.1"
heald_start
st=$(hc status | jq -r '.uplinks[0].state') || fail "no uplinks in status"
[ "$st" = down ] || fail "uplink lte is '$st', not down, without its interface"
sleep 1	# a few timer ticks: still said once
n=$(grep -c "uplink lte" "$SCRATCH/heald.log")
[ "$n" = 1 ] || fail "heald said $n times that uplink lte is down"
log "without hlte0: $(grep -m1 "uplink lte" "$SCRATCH/heald.log")"

plug() {	# the dongle appears, its address a moment later
	ip link add hlte0 netns "$NS" type veth peer name hlte0p netns "$GW" || fail "veth"
	ip -n "$GW" addr add 10.203.0.1/24 dev hlte0p
	ip -n "$GW" link set hlte0p up
	ip -n "$NS" link set hlte0 up
	sleep 0.5
	ip -n "$NS" addr add 10.203.0.2/24 dev hlte0
}
wait_state() {	# wait_state STATE WHAT
	for ((i = 0; i < 200; i++)); do
		st=$(hc status | jq -r '.uplinks[0].state')
		[ "$st" = "$1" ] && return 0
		sleep 0.1
	done
	fail "$2, uplink lte is still '$st' after 20 s"
}
plug
wait_state up "hlte0 appeared"
for ((i = 0; i < 100; i++)); do
	ip -n "$NS" route show 10.203.9.0/24 | grep -q "via 10.203.0.1" && break
	sleep 0.1
done
ip -n "$NS" route show 10.203.9.0/24 | grep -q "via 10.203.0.1 dev hlte0" ||
	fail "the routes do not go through uplink lte: $(ip -n "$NS" route show 10.203.9.0/24)"
log "hlte0 appeared: uplink lte up, routes through it"
# Unplugged and plugged again: down, then up as before.
ip -n "$NS" link del hlte0 || fail "link del"
wait_state down "hlte0 was removed"
plug
wait_state up "hlte0 came back"
log "hlte0 removed and back"; grep "uplink lte" "$SCRATCH/heald.log" | sed "s/^/# /"
heald_done

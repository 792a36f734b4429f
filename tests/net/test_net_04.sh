#!/usr/bin/env bash
# ECMP: with ecmp = yes the default route is one multipath route over both
# uplinks.  A dies: the route keeps only B's next hop (the node is never
# without it); A heals: its next hop comes back after the hold-down.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

topology
heald_start "ecmp = yes" "hold_down = 1"
hops() { ip -n "$NODE" -j route show default | jq -r '[.[0].nexthops[]?.gateway // .[0].gateway] | sort | join(" ")'; }
for ((i = 0; i < 50; i++)); do [ "$(hops)" = "10.201.1.1 10.201.2.1" ] && break; sleep 0.1; done
[ "$(hops)" = "10.201.1.1 10.201.2.1" ] || fail "no multipath route over A and B: $(hops)"
gw_kill_nft "$GWA" gA-n
for ((i = 0; i < 100; i++)); do [ "$(hops)" = 10.201.2.1 ] && break; sleep 0.01; done
[ "$(hops)" = 10.201.2.1 ] || fail "A's next hop was not removed: $(hops)"
in_ns "$NODE" ping -c 3 -i 0.2 -W 1 $TARGET > /dev/null || fail "no traffic through B"
gw_heal_nft "$GWA"
sleep 0.5
[ "$(hops)" = 10.201.2.1 ] || fail "A came back before its hold-down"
for ((i = 0; i < 50; i++)); do [ "$(hops)" = "10.201.1.1 10.201.2.1" ] && break; sleep 0.1; done
[ "$(hops)" = "10.201.1.1 10.201.2.1" ] || fail "A's next hop did not come back: $(hops)"
journal_json | jq -e '[.[] | select(.type == "decision" and .action == "reroute")] | length == 3' \
	> /dev/null || fail "expected 3 journaled route changes"
exit 0

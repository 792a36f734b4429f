#!/usr/bin/env bash
# IPv6 uplinks (issue 15): each family fails over on its own.  The node is
# dual-stack on both links; uplinks A and B carry IPv4, A6 (a link-local
# gateway, fe80::1) and B6 (a global one) carry IPv6, both with a target
# beyond the gateway.  routes = default manages 0.0.0.0/0 and ::/0:
# - A's gateway drops IPv6 only: A6 goes down, ::/0 moves to B6 and IPv6
#   traffic flows through B, while IPv4's default stays on A;
# - A6 back: ::/0 returns after its hold-down;
# - A's gateway stops forwarding (both families): A6, with a target, goes
#   down ("beyond the gateway") and ::/0 moves; A, without targets, cannot
#   see it (the case targets exist for) and IPv4 stays;
# - the journal names "routes6" for the IPv6 decisions and "routes" for
#   IPv4's, and has no "observed" entry: heald knows its own IPv6 routes
#   (libnl's cache adds each IPv6 route it hears of to the cached one as
#   a nexthop: trusted, it showed the route still on A6 after the
#   failover, and heald rerouted forever), at route_metric 100 and at the
#   default 0 (stored by the kernel as 1024);
# - restarted, heald finds its routes where it left them: no reroute, no
#   "observed"; an IPv6 route moved by someone else is journaled once;
# - a clean stop removes the IPv6 rules and tables.
# Addresses: 2001:db8::/32 (documentation) and 10.201.x.y, only inside the
# namespaces.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

topology
ip -n "$NODE" addr add 2001:db8:1::2/64 dev vA nodad
ip -n "$NODE" addr add 2001:db8:2::2/64 dev vB nodad
ip -n "$GWA" addr add fe80::1/64 dev gA-n nodad
ip -n "$GWA" addr add 2001:db8:1::1/64 dev gA-n nodad
ip -n "$GWA" addr add 2001:db8:3::1/64 dev gA-r nodad
ip -n "$GWB" addr add 2001:db8:2::1/64 dev gB-n nodad
ip -n "$GWB" addr add 2001:db8:4::1/64 dev gB-r nodad
ip -n "$REMOTE" addr add 2001:db8:3::2/64 dev rA nodad
ip -n "$REMOTE" addr add 2001:db8:4::2/64 dev rB nodad
ip -n "$REMOTE" addr add 2001:db8:9::1/128 dev lo nodad
in_ns "$GWA" sysctl -qw net.ipv6.conf.all.forwarding=1
in_ns "$GWB" sysctl -qw net.ipv6.conf.all.forwarding=1
ip -n "$GWA" -6 route add 2001:db8:9::/64 via 2001:db8:3::2
ip -n "$GWB" -6 route add 2001:db8:9::/64 via 2001:db8:4::2
ip -n "$REMOTE" -6 route add 2001:db8:1::/64 via 2001:db8:3::1
ip -n "$REMOTE" -6 route add 2001:db8:2::/64 via 2001:db8:4::1
ip -n "$NODE" -6 route add default via fe80::1 dev vA
ok6=
for ((i = 0; i < 50; i++)); do
	in_ns "$NODE" ping -6 -c1 -W1 2001:db8:9::1 > /dev/null 2>&1 && { ok6=1; break; }
	sleep 0.1
done
[ -n "$ok6" ] || fail "no IPv6 path to the remote through A"

# The gateway of heald's ::/0 (metric $METRIC6).
METRIC6=100
via6() { ip -n "$NODE" -6 -j route show default | jq -r --argjson m "$METRIC6" '[.[] | select(.metric == $m)][0].gateway // "none"'; }
via() { ip -n "$NODE" -j route show default | jq -r --argjson m "$METRIC6" '[.[] | select((.metric // 0) == $m)][0].gateway // "none"'; }
observed() { journal_json | jq '[.[] | select(.type == "observed")] | length'; }
via6_is() { [ "$(via6)" = "$1" ]; }

MORE_SECTIONS=$(printf '[uplink A6]\ninterface = vA\ngateway = fe80::1\ntargets = 2001:db8:9::1\n[uplink B6]\ninterface = vB\ngateway = 2001:db8:2::1\ntargets = 2001:db8:9::1\n') \
	heald_start "hold_down = 2" "hold_down_max = 4" "target_interval_ms = 100" "route_metric = 100"
for u in A B A6 B6; do
	wait_for 10 uplink_is "$u" up || fail "$u is not up: $(status "$u" .) $(tail -5 "$SCRATCH/heald.log")"
done
{ [ "$(via)" = 10.201.1.1 ] && via6_is fe80::1; } || fail "the routes do not start on A and A6: $(via) $(via6)"
in_ns "$NODE" ip -6 rule show | grep -q 'fwmark 0x106a lookup 4202' || fail "no IPv6 rule for A6: $(in_ns "$NODE" ip -6 rule show)"
ip -n "$NODE" -6 route show table 4202 | grep -q 'default via fe80::1 dev vA' ||
	fail "table 4202: $(ip -n "$NODE" -6 route show table 4202)"

# A's gateway drops IPv6 only.
in_ns "$GWA" nft -f - <<NFT || fail "nft"
table netdev heal_drop6 {
	chain in { type filter hook ingress device "gA-n" priority 0; ether type ip6 drop; }
}
NFT
wait_for 10 via6_is 2001:db8:2::1 || fail "::/0 did not move to B6: $(via6); A6: $(status A6 .)"
uplink_is A6 down || fail "A6 is not down"
{ [ "$(via)" = 10.201.1.1 ] && uplink_is A up; } || fail "IPv4 moved with IPv6: $(via), A $(status A .state)"
in_ns "$NODE" ping -6 -c 3 -i 0.2 -W 1 2001:db8:9::1 > /dev/null || fail "no IPv6 traffic through B6"
in_ns "$NODE" ping -c 3 -i 0.2 -W 1 $TARGET > /dev/null || fail "no IPv4 traffic through A"
in_ns "$GWA" nft delete table netdev heal_drop6
wait_for 10 uplink_is A6 up || fail "A6 did not come back"
wait_for 10 via6_is fe80::1 || fail "::/0 did not return to A6"

# A's gateway stops forwarding, both families.
gw_kill_forward "$GWA"
wait_for 10 via6_is 2001:db8:2::1 || fail "::/0 did not leave A6 when A stopped forwarding: $(status A6 .)"
journal_json | jq -e '[.[] | select(.type == "alarm" and .resource == "A6")][-1].reason |
	test("rounds to 2001:db8:9::1 unanswered, the gateway answers")' > /dev/null ||
	fail "A6's alarm: $(journal_json | jq -c '[.[] | select(.resource == "A6")][-1]')"
sleep 1
[ "$(via)" = 10.201.1.1 ] || fail "IPv4 moved though A has no targets"
in_ns "$NODE" ping -6 -c 3 -i 0.2 -W 1 2001:db8:9::1 > /dev/null || fail "no IPv6 traffic through B6 (A not forwarding)"
gw_heal_forward "$GWA"

# The journal: IPv6 decisions on "routes6", IPv4's on "routes".
journal_json | jq -e '[.[] | select(.type == "decision" and .action == "reroute")] |
	any(.resource == "routes6" and .via == "B6") and all(.resource == "routes6" or .resource == "routes")' \
	> /dev/null || fail "reroutes: $(journal_json | jq -c '[.[] | select(.action == "reroute") | {resource, via}]')"
[ "$(observed)" = 0 ] || fail "observed entries: $(journal_json | jq -c '[.[] | select(.type == "observed")][:3]')"
n=$(journal_json | jq '[.[] | select(.action == "reroute")] | length')
[ "$n" -le 8 ] || fail "$n reroutes: a loop?"
log "IPv6 and IPv4 failovers at metric 100: $n reroutes journaled, no observed entry"

# Restarted: the routes are found where heald left them.
restart() {	# restart [KEY = VALUE]...
	kill "$HEALD_PID"; wait "$HEALD_PID"
	MORE_SECTIONS=$(printf '[uplink A6]\ninterface = vA\ngateway = fe80::1\ntargets = 2001:db8:9::1\n[uplink B6]\ninterface = vB\ngateway = 2001:db8:2::1\ntargets = 2001:db8:9::1\n') \
		heald_start "hold_down = 2" "hold_down_max = 4" "target_interval_ms = 100" "$@"
	for u in A B A6 B6; do wait_for 10 uplink_is "$u" up || fail "$u not up after the restart"; done
	sleep 1
}
wait_for 10 via6_is fe80::1 || fail "::/0 did not return to A6"
n0=$(journal_json | jq '[.[] | select(.action == "reroute")] | length')
restart "route_metric = 100"
[ "$(journal_json | jq '[.[] | select(.action == "reroute")] | length')" = "$n0" ] ||
	fail "rerouted at start: $(journal_json | jq -c '[.[] | select(.action == "reroute")][-1]')"
[ "$(observed)" = 0 ] || fail "observed at start: $(journal_json | jq -c '[.[] | select(.type == "observed")]')"
# Someone moves heald's IPv6 route: journaled once, then put back by policy.
ip -n "$NODE" -6 route replace default via 2001:db8:2::1 dev vB metric 100
wait_for 5 sh -c "[ \$(HEAL_SOCKET=$HEAL_SOCKET $HEALCTL journal --json --limit 1024 | jq '[.[] | select(.type == \"observed\")] | length') -ge 1 ]" ||
	fail "the outside change was not journaled"
sleep 1
[ "$(observed)" = 1 ] || fail "$(observed) observed entries for one outside change"
wait_for 10 via6_is fe80::1 || fail "heald did not put ::/0 back on A6"
# The default metric: 0, stored by the kernel as 1024 for IPv6.
METRIC6=1024
restart
wait_for 10 via6_is fe80::1 || fail "no ::/0 of metric 1024 on A6: $(ip -n "$NODE" -6 route show default)"
n0=$(journal_json | jq '[.[] | select(.action == "reroute")] | length')
o0=$(observed)
restart
[ "$(journal_json | jq '[.[] | select(.action == "reroute")] | length')" = "$n0" ] ||
	fail "rerouted at start with the default metric (its own IPv6 route not recognised)"
[ "$(observed)" = "$o0" ] || fail "observed at start with the default metric"
kill "$HEALD_PID"; wait "$HEALD_PID"
in_ns "$NODE" ip -6 rule show | grep -q 'lookup 420' && fail "IPv6 rules left: $(in_ns "$NODE" ip -6 rule show)"
[ -z "$(ip -n "$NODE" -6 route show table 4202)" ] || fail "table 4202 left"
exit 0

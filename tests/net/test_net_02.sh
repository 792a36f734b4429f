#!/usr/bin/env bash
# Gateway A flaps every 200 ms for 10 s: the routes move to B once and stay
# there (the hold-down grows with each flap), so the number of route
# changes stays bounded.  Then both gateways die: the routes are left as
# they were and the alarm is raised; B recovers first: traffic follows it.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

topology
heald_start "hold_down = 2" "hold_down_max = 60"
sleep 1
[ "$(via)" = 10.201.1.1 ] || fail "the routes do not start on A"
ping_start 60
end=$(( $(date +%s) + 10 ))
flaps=0
while [ "$(date +%s)" -lt "$end" ]; do
	gw_kill_nft "$GWA" gA-n; sleep 0.2
	gw_heal_nft "$GWA"; sleep 0.2
	flaps=$((flaps + 1))
done
n=$(reroutes)
log "$flaps flaps of A in 10 s: $n route change(s), routes via $(via)"
{ [ "$n" -ge 1 ] && [ "$n" -le 2 ]; } || fail "$n route changes for $flaps flaps"
[ "$(via)" = 10.201.2.1 ] || fail "the routes are not on B after the flapping"
hold=$("$HEALCTL" status --json | jq '.heald.uplinks[] | select(.name == "A") | .hold_down_s')
log "A's hold-down after the flapping: $hold s"
awk -v h="$hold" 'BEGIN { exit !(h > 2) }' || fail "the hold-down did not grow ($hold)"

# Both dead.  What the routes are is read once heald has seen both dead:
# until then it may still act on A's recovery just before (its hold-down
# over, the routes go back to A), which is no change "with both dead".
gw_kill_nft "$GWA" gA-n
gw_kill_nft "$GWB" gB-n
for ((i = 0; i < 50; i++)); do
	journal_json | jq -e '[.[] | select(.type == "alarm" and .resource == "routes")] | length == 1' \
		> /dev/null && break
	sleep 0.1
done
journal_json | jq -e '[.[] | select(.type == "alarm" and .resource == "routes")][0].reason |
	test("every uplink is down")' > /dev/null || fail "no alarm with both gateways dead"
before=$(ip -n "$NODE" route show default)
n=$(reroutes)
sleep 1
[ "$(ip -n "$NODE" route show default)" = "$before" ] || fail "the routes changed with both dead"
n2=$(reroutes)
[ "$n2" = "$n" ] || fail "rerouted with both dead"
"$HEALCTL" status --json | jq -e '.heald.resources[] | select(.name == "uplink:B") | .state == "failed"' \
	> /dev/null || fail "B is not failed in heald's health"
# B recovers first: traffic follows it at once.
gw_heal_nft "$GWB"
for ((i = 0; i < 100; i++)); do
	journal_json | jq -e '[.[] | select(.type == "clear" and .resource == "routes")] | length == 1' \
		> /dev/null && break
	sleep 0.05
done
[ "$(via)" = 10.201.2.1 ] || fail "not on B after it recovered"
in_ns "$NODE" ping -c 3 -i 0.2 -W 1 $TARGET > /dev/null || fail "no traffic through B after recovery"
# Now A recovers and B dies: no hold-down for a move away from a dead uplink.
gw_heal_nft "$GWA"
sleep 0.5
gw_kill_nft "$GWB" gB-n
for ((i = 0; i < 100; i++)); do [ "$(via)" = 10.201.1.1 ] && break; sleep 0.02; done
[ "$(via)" = 10.201.1.1 ] || fail "traffic did not follow A when B died"
in_ns "$NODE" ping -c 3 -i 0.2 -W 1 $TARGET > /dev/null || fail "no traffic through A"
exit 0

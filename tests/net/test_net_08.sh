#!/usr/bin/env bash
# Issue 15, 1: a gateway that answers pings but forwards nothing.  Each
# uplink probes two targets beyond its gateway through its own table
# (fwmark rule), whatever the main table says:
# - standby B's forward path dies while the routes go through A: B goes
#   down (its probes left through B, or A's path would have answered them)
#   and the routes stay; it comes back when B forwards again;
# - one target goes silent: any one answering keeps the uplinks up, nothing
#   is journaled, the routes stay;
# - A's forward path dies (its own pings still answered): A goes down with
#   an alarm that says the path beyond the gateway is broken, traffic to
#   the remote flows through B again; A forwards again: after its hold-down
#   the routes return to A, found through A's own table;
# - heald stops: its rules and tables are gone.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

topology
second_target
UPLINK_A="targets = $TARGET $TARGET2" UPLINK_B="targets = $TARGET $TARGET2" \
	heald_start "hold_down = 1" "hold_down_max = 2" "target_interval_ms = 100"
status() { "$HEALCTL" status --json | jq -r --arg u "$1" ".heald.uplinks[] | select(.name == \$u) | $2"; }
wait_for() {	# wait_for SECONDS COMMAND...: until COMMAND succeeds
	local end=$(( $(date +%s) + $1 )); shift
	until "$@" > /dev/null 2>&1; do [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.05; done
}
uplink_is() { [ "$(status "$1" .state)" = "$2" ]; }
via_is() { [ "$(via)" = "$1" ]; }
alarms() { journal_json | jq --arg u "$1" '[.[] | select(.type == "alarm" and .resource == $u)] | length'; }

wait_for 10 uplink_is A up || fail "A is not up: $(status A .)"
wait_for 10 uplink_is B up || fail "B is not up: $(status B .)"
via_is 10.201.1.1 || fail "the routes do not start on A"
[ "$(status A .targets.state)" = up ] || fail "A's targets: $(status A .targets)"
# heald's own rule and table per uplink, and nothing in the main table but the routes.
in_ns "$NODE" ip rule show | grep -q 'fwmark 0x1068 lookup 4200' || fail "no rule for A: $(in_ns "$NODE" ip rule show)"
in_ns "$NODE" ip rule show | grep -q 'fwmark 0x1069 lookup 4201' || fail "no rule for B"
ip -n "$NODE" route show table 4201 | grep -q 'default via 10.201.2.1 dev vB' ||
	fail "table 4201: $(ip -n "$NODE" route show table 4201)"

# Standby B's path beyond its gateway dies: B is seen down though nothing goes through it.
a0=$(alarms B)
gw_kill_forward "$GWB"
wait_for 10 uplink_is B down || fail "B's dead forward path not seen: $(status B .)"
[ "$(status B .gateway_state)" = up ] || fail "B's gateway should still answer: $(status B .)"
"$HEALCTL" status | grep -Eq 'uplink B +down .*beyond the gateway down' ||
	fail "healctl status does not say where B is broken: $("$HEALCTL" status | grep uplink)"
journal_json | jq -e '[.[] | select(.type == "alarm" and .resource == "B")][-1].reason |
	test("beyond it is broken")' > /dev/null || fail "B's alarm does not say why: $(journal_json | jq -c '.[-3:]')"
[ "$(alarms B)" = $((a0 + 1)) ] || fail "B: $(alarms B) alarms, expected $((a0 + 1))"
via_is 10.201.1.1 || fail "the routes moved off A for B's fault"
gw_heal_forward "$GWB"
wait_for 10 uplink_is B up || fail "B did not come back: $(status B .)"

# One of the two targets goes silent: nothing changes.
n0=$(reroutes)
aa=$(alarms A) ab=$(alarms B)
ip -n "$REMOTE" addr del $TARGET2/32 dev lo
sleep 3
[ "$(reroutes)" = "$n0" ] || fail "rerouted when one target of two went silent"
[ "$(alarms A)" = "$aa" ] && [ "$(alarms B)" = "$ab" ] || fail "an alarm for one silent target"
uplink_is A up && uplink_is B up || fail "an uplink went down for one silent target"

# A's forward path dies, its gateway still answers the node's pings.
ping_start 60
sleep 0.5
t0=$(now)
gw_kill_forward "$GWA"
wait_for 10 via_is 10.201.2.1 || fail "the routes did not leave A: $(status A .)"
t1=$(now)
in_ns "$NODE" ping -c1 -W1 10.201.1.1 > /dev/null || fail "gateway A should still answer pings"
sleep 0.5
out=$(outage_ms "$t0" "$(now)")
log "forward-only failure of A: routes moved in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }') ms (polled), ping outage $out ms"
[ "$out" -ge 0 ] || fail "no reply through B after the failover"
uplink_is A down || fail "A is not down"
journal_json | jq -e '[.[] | select(.type == "alarm" and .resource == "A")][-1].reason |
	test("rounds to 10.201.9.1 10.201.9.2 unanswered, the gateway answers")' > /dev/null ||
	fail "A's alarm: $(journal_json | jq -c '[.[] | select(.resource == "A")][-1]')"

# A forwards again: found through A's table while the routes go through B, back after its hold-down.
gw_heal_forward "$GWA"
wait_for 10 uplink_is A up || fail "A's recovery not seen: $(status A .)"
via_is 10.201.2.1 || fail "the routes went back before A's hold-down"
wait_for 10 via_is 10.201.1.1 || fail "the routes did not return to A"
in_ns "$NODE" ping -c 3 -i 0.2 -W 1 $TARGET > /dev/null || fail "no traffic through A after it recovered"

# A clean stop takes heald's rules and tables with it.
kill "$HEALD_PID"
wait "$HEALD_PID"
in_ns "$NODE" ip rule show | grep -q 'lookup 420[01]' && fail "rules left: $(in_ns "$NODE" ip rule show)"
[ -z "$(ip -n "$NODE" route show table 4200)" ] || fail "table 4200 left"
[ -z "$(ip -n "$NODE" route show table 4201)" ] || fail "table 4201 left"
exit 0

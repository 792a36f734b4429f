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
# - no busy loop while a gateway is dead or a link has no carrier (heald's
#   voluntary context switches, one per wait in its loop, stay few);
# - B's link set down and up (the kernel drops table T's route), its rule
#   deleted by someone else, its address changed: B comes back each time;
# - heald killed -9 and started again: one rule per uplink, not two;
#   stopped: its rules and tables are gone;
# - strict rp_filter on B: heald warns, and B is down (its targets' replies
#   are dropped while the routes go through A), as heald.conf(5) says.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

topology
second_target
UPLINK_A="targets = $TARGET $TARGET2" UPLINK_B="targets = $TARGET $TARGET2" \
	heald_start "hold_down = 3" "hold_down_max = 6" "target_interval_ms = 100"
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

# Wakeups of heald's loop in 5 s: a timer armed for a probe it will not
# send fires every 0.5 ms (10000 in 5 s); probing two uplinks is ~100/s.
wakeups() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$HEALD_PID/status"; }
quiet_while() {	# quiet_while WHAT: heald's wakeups over 5 s
	local w0 w1
	w0=$(wakeups); sleep 5; w1=$(wakeups)
	log "$1: $((w1 - w0)) wakeups in 5 s"
	[ $((w1 - w0)) -lt 2500 ] || fail "heald woke $((w1 - w0)) times in 5 s while $1"
}
gw_kill_nft "$GWB" gB-n
wait_for 10 uplink_is B down || fail "B's silent gateway not seen"
quiet_while "B's gateway is silent"
gw_heal_nft "$GWB"
wait_for 10 uplink_is B up || fail "B did not come back after its gateway"
ip -n "$GWB" link set gB-n down
wait_for 10 uplink_is B down || fail "B's carrier loss not seen"
quiet_while "B has no carrier"
ip -n "$GWB" link set gB-n up
wait_for 10 uplink_is B up || fail "B did not come back with its carrier"

# B's link down and up: the kernel drops table 4201's route; heald puts it back.
ip -n "$NODE" link set vB down
wait_for 10 uplink_is B down || fail "B's admin down not seen"
[ -z "$(ip -n "$NODE" route show table 4201)" ] || log "table 4201 kept its route over the admin down"
ip -n "$NODE" link set vB up
wait_for 15 uplink_is B up || fail "B did not come back after its link went down and up: $(status B .) table 4201: $(ip -n "$NODE" route show table 4201)"
# Its rule deleted by someone else: back within a tick.
in_ns "$NODE" ip rule del fwmark 0x1069 lookup 4201 || fail "ip rule del"
wait_for 5 sh -c "ip netns exec $NODE ip rule show | grep -q 'fwmark 0x1069 lookup 4201'" || fail "B's rule was not put back"
# Its address changed (a new DHCP lease): probes leave from the new one.
ip -n "$NODE" addr del 10.201.2.2/24 dev vB
ip -n "$NODE" addr add 10.201.2.3/24 dev vB
wait_for 15 sh -c "grep -q 'no longer vB' $SCRATCH/heald.log" || fail "the lost address was not noticed: $(tail -5 "$SCRATCH/heald.log")"
wait_for 15 uplink_is B up || fail "B did not come back with its new address: $(status B .)"
ip -n "$NODE" route show table 4201 | grep -q 'src 10.201.2.3' || fail "table 4201: $(ip -n "$NODE" route show table 4201)"

# One of the two targets goes silent: nothing changes.
n0=$(reroutes)
aa=$(alarms A) ab=$(alarms B)
ip -n "$REMOTE" addr del $TARGET2/32 dev lo
sleep 3
[ "$(reroutes)" = "$n0" ] || fail "rerouted when one target of two went silent"
{ [ "$(alarms A)" = "$aa" ] && [ "$(alarms B)" = "$ab" ]; } || fail "an alarm for one silent target"
{ uplink_is A up && uplink_is B up; } || fail "an uplink went down for one silent target"

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

# Killed -9 and started again: one rule per uplink, not two.
kill -9 "$HEALD_PID"; wait "$HEALD_PID" 2>/dev/null
UPLINK_A="targets = $TARGET" UPLINK_B="targets = $TARGET" heald_start "hold_down = 3"
wait_for 10 uplink_is A up || fail "A not up after the restart"
[ "$(in_ns "$NODE" ip rule show | grep -c 'lookup 4200')" = 1 ] || fail "rules after kill -9 and restart: $(in_ns "$NODE" ip rule show)"
# A clean stop takes heald's rules and tables with it.
kill "$HEALD_PID"
wait "$HEALD_PID"
in_ns "$NODE" ip rule show | grep -q 'lookup 420[01]' && fail "rules left: $(in_ns "$NODE" ip rule show)"
[ -z "$(ip -n "$NODE" route show table 4200)" ] || fail "table 4200 left"
[ -z "$(ip -n "$NODE" route show table 4201)" ] || fail "table 4201 left"

# Strict reverse-path filtering on B: warned, and B's targets do not answer while the routes go through A.
in_ns "$NODE" sysctl -qw net.ipv4.conf.vB.rp_filter=1
UPLINK_A="targets = $TARGET" UPLINK_B="targets = $TARGET" heald_start "hold_down = 3"
wait_for 10 uplink_is A up || fail "A not up with B's strict rp_filter"
wait_for 10 uplink_is B down || fail "B up with a strict rp_filter: $(status B .)"
grep -q 'uplink B: rp_filter is strict (1) on vB' "$SCRATCH/heald.log" || fail "no warning about B's rp_filter"
exit 0

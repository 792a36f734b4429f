#!/usr/bin/env bash
# Uplink A's link drops for a moment and comes back (issue 15, items 3 and 4).
# While it is down, what the node sends through A waits in the neighbour
# queue of A's gateway (no carrier, ARP unanswered); when the link returns
# the kernel sends it all.  Two things must not follow:
# - the node's traffic that was queued on the dead path leaves through A after
#   heald moved the routes to B (measured: up to 11 packets about a second
#   late): heald flushes the dead gateway's neighbour entry on failover, so
#   the gateway forwards nothing of the node's while the routes are on B;
# - heald's own probes that waited in that queue are answered up to a second
#   late: those are no round-trip samples, or the smoothed RTT stretches the
#   miss timeout (4 x srtt) and the next detection takes 200 ms instead of
#   10-130.  Only the reply to the current probe is a sample.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

topology
# What gateway A forwards for the node (its transit, not heald's probes of it).
in_ns "$GWA" nft -f - <<'NFT' || fail "nft in gateway A"
table inet heal_count {
	counter transit { }
	chain forward { type filter hook forward priority 0; policy accept; iifname "gA-n" counter name "transit"; }
}
NFT
fwd_packets() { in_ns "$GWA" nft -j list counter inet heal_count transit | jq '.nftables[1].counter.packets'; }
uplink() { "$HEALCTL" status --json | jq -c --arg n "$1" '.heald.uplinks[] | select(.name == $n)'; }

heald_start "hold_down = 60"
sleep 1
[ "$(via)" = 10.201.1.1 ] || fail "the routes do not start on A: $(via)"
# Traffic every 2 ms, so that some of it is queued on A when the link drops.
ip netns exec "$NODE" ping -n -q -i 0.002 -W 1 -w 30 $TARGET > /dev/null 2>&1 &
_pids+=("$!")
sleep 1
a=$(uplink A)
log "before: $(jq -c '{rtt_ms, srtt_ms, timeout_ms}' <<< "$a")"

for trial in 1 2 3; do
	# heald is slow to react, as on a loaded node: for 150 ms the node's
	# traffic still goes to A's gateway, and waits in its neighbour queue.
	kill -STOP "$HEALD_PID"
	gw_kill_link
	sleep 0.15
	kill -CONT "$HEALD_PID"
	for ((i = 0; i < 200; i++)); do [ "$(via)" = 10.201.2.1 ] && break; sleep 0.01; done
	[ "$(via)" = 10.201.2.1 ] || fail "trial $trial: the routes did not move to B"
	in_ns "$GWA" nft reset counter inet heal_count transit > /dev/null
	# Back before the kernel gives up on the gateway's address (3 ARP tries,
	# a second apart), so what waited in its queue would leave.
	sleep 0.3
	gw_heal_link
	# Loops by the clock: each turn runs healctl and jq, slow on a loaded machine.
	end=$(( $(date +%s) + 10 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		[ "$(uplink A | jq -r .state)" = up ] && break
		sleep 0.05
	done
	[ "$(uplink A | jq -r .state)" = up ] || fail "trial $trial: A not up again: $(uplink A)"
	# The kernel's next ARP try (<= 1 s) sends what waited; A's srtt and miss
	# timeout at their highest over the next 2 s.
	max='{"srtt_ms": 0, "timeout_ms": 0}'
	end=$(( $(date +%s) + 2 ))
	while [ "$(date +%s)" -le "$end" ]; do
		max=$(uplink A | jq -c --argjson m "$max" \
			'{srtt_ms: ([.srtt_ms, $m.srtt_ms] | max), timeout_ms: ([.timeout_ms, $m.timeout_ms] | max)}')
		sleep 0.05
	done
	[ "$(via)" = 10.201.2.1 ] || fail "trial $trial: back on A within the hold-down: $(via)"
	n=$(fwd_packets)
	log "trial $trial: A forwarded $n of the node's packets after the move; after A came back, at most $max"
	[ "$n" = 0 ] || fail "trial $trial: $n packets queued on the dead path left through A after the routes moved to B"
	# veth's RTT is well under a millisecond (a few under load); one stale
	# sample of 300 ms or more makes srtt >= 37 ms.
	jq -e '.srtt_ms < 30 and .timeout_ms < 120' <<< "$max" > /dev/null ||
		fail "trial $trial: stale samples in A's RTT: at most $max"
	# The routes go back to A only after its hold-down (60 s): restart heald
	# to be on A again for the next trial.
	kill "$HEALD_PID"; wait "$HEALD_PID" 2>/dev/null
	ip -n "$NODE" route replace default via 10.201.1.1 dev vA
	heald_start "hold_down = 60"
	sleep 1
	[ "$(via)" = 10.201.1.1 ] || fail "trial $trial: the routes are not back on A: $(via)"
done
log "3 trials: nothing left through A after the move, A's srtt stayed that of its link"

# Only a resolving entry (its queue) goes: one the operator pinned
# (PERMANENT, against ARP spoofing) stays when A goes silent.
mac=$(ip -n "$GWA" -j link show gA-n | jq -r '.[0].address')
ip -n "$NODE" neigh replace 10.201.1.1 lladdr "$mac" nud permanent dev vA || fail "ip neigh replace"
gw_kill_nft "$GWA" gA-n
end=$(( $(date +%s) + 10 ))
while [ "$(date +%s)" -lt "$end" ] && [ "$(via)" != 10.201.2.1 ]; do sleep 0.05; done
[ "$(via)" = 10.201.2.1 ] || fail "silent A: the routes did not move to B"
sleep 0.5
state=$(ip -n "$NODE" -j neigh show 10.201.1.1 dev vA | jq -r '.[0].state // [] | join(",")')
[ "$state" = PERMANENT ] || fail "the operator's PERMANENT entry for A's gateway is now '$state'"
log "silent A: the routes on B, the pinned entry for A's gateway kept ($state)"
echo ok

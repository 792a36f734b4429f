#!/usr/bin/env bash
# make bench, part 5: network failover, in namespaces on the host (the
# topology of tests/net/common.sh), heald with its defaults (gateway probes
# 100 ms x 3, targets 200 ms x 3) and two targets beyond each gateway.
# BENCH_TRIALS (default 20) trials of each failure of uplink A:
#   silent   A's gateway drops everything (nftables: no carrier change);
#   link     A's link loses carrier (the gateway's side of the veth down);
#   forward  A's gateway answers its own pings but forwards nothing;
# each outage is the time from the fault to the first ping reply through B
# (a 2 ms ping runs through each trial: 2 ms resolution).  A is healed and traffic
# returns (hold-down 0.5 s here) before the next trial.  Then, unless
# BENCH_SOAK=0, a soak of BENCH_SOAK seconds (default 1800) with 1% of the
# packets dropped at random both ways on both uplinks: any reroute or
# uplink alarm in it is a spurious switch.
# Targets (issue 15): silent p50 <= 100 ms and p99 <= 150 ms; link down p99
# <= 30 ms; forward-only p50 <= 500 ms; no spurious switch in the soak.
# Side by side, FRR's bfdd (installed here if missing: a bench tool, not a
# dependency of heal) runs in the same namespaces with BFD sessions from
# the node to both gateways at 100 ms x 3; each trial also reports when
# the node's default route moved to B (stamped by `ip -ts monitor` in the
# node: when ip read it, an upper bound) and when bfdd logged its session
# to A down (BFD cannot see a gateway that answers but does not forward:
# "never"; FRR's staticd here does not move a route on BFD, so only its
# detection is compared).
set -euo pipefail
# shellcheck source=../../tests/net/common.sh
. "$(dirname "$0")/../../tests/net/common.sh"
set +e
trials=${BENCH_TRIALS:-20}
soak=${BENCH_SOAK:-1800}

pct() { sort -g | awk -v p="$1" '{ v[NR] = $1 } END { i = int(p / 100 * NR + 0.999); if (i < 1) i = 1; print v[i] }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v >= 0 && v <= t) ? "met" : "MISSED" }'; }

# FRR's zebra and bfdd in namespace NS (pathspace NS), BFD peers to PEER@IFNAME...
frr_start() {	# frr_start NS PEER@IFNAME...
	local ns=$1 d=/var/run/frr/$1 pr; shift
	# FRR's own directory for the pathspace: its daemons (user frr) write their log there.
	mkdir -p "$d"
	printf 'log file %s/frr.log\nlog timestamp precision 6\ndebug bfd peer\n' "$d" > "$d/frr.conf"
	chown -R frr:frr "$d"
	in_ns "$ns" /usr/lib/frr/zebra -d -N "$ns" -f "$d/frr.conf" -i "$d/zebra.pid" 2> /dev/null || return 1
	in_ns "$ns" /usr/lib/frr/bfdd -d -N "$ns" -f "$d/frr.conf" -i "$d/bfdd.pid" 2> /dev/null || return 1
	sleep 0.5
	for pr in "$@"; do
		in_ns "$ns" vtysh -N "$ns" -c 'conf t' -c bfd -c "peer ${pr%@*} interface ${pr#*@}" \
			-c 'receive-interval 100' -c 'transmit-interval 100' -c 'detect-multiplier 3' \
			-c end 2>&1 | { grep -v 'vtysh.conf' >&2 || true; }
	done
}
# Epoch seconds of the first "up -> down" of bfdd's session to PEER in NS after T0, or empty.
bfd_down_after() {	# bfd_down_after NS PEER T0
	local line t
	while read -r line; do
		t=$(date -d "$(cut -c1-26 <<< "$line" | tr / -)" +%s.%N 2>/dev/null) || continue
		awk -v t="$t" -v t0="$3" 'BEGIN { exit !(t >= t0) }' && { echo "$t"; return; }
	done < <(grep -F "peer:$2 " "/var/run/frr/$1/frr.log" 2>/dev/null | grep -F 'up -> down')
}
# Epoch seconds of the first default route through B after T0, as the node's kernel stamped it, or empty.
rerouted_after() {	# rerouted_after T0
	local line t
	while read -r line; do
		t=$(date -d "$(cut -c2-27 <<< "$line")" +%s.%N 2>/dev/null) || continue
		awk -v t="$t" -v t0="$1" 'BEGIN { exit !(t >= t0) }' && { echo "$t"; return; }
	done < <(grep -E '^\[[^]]*\] default via 10\.201\.2\.1' "$SCRATCH/mon")
}
ms_since() { [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }' || echo never; }

trap 'cleanup; rm -rf /var/run/frr/"$P"-*' EXIT
topology
second_target
frr=
if command -v vtysh > /dev/null || apt-get install -y -qq --no-install-recommends frr > /dev/null 2>&1; then
	frr_start "$NODE" 10.201.1.1@vA 10.201.2.1@vB && frr_start "$GWA" 10.201.1.2@gA-n &&
		frr_start "$GWB" 10.201.2.2@gB-n && frr=1
fi
[ -n "$frr" ] || echo "# FRR's bfdd could not be started: heald alone"
ip -n "$NODE" -ts monitor route > "$SCRATCH/mon" 2>&1 &
_pids+=("$!")
UPLINK_A="targets = $TARGET $TARGET2" UPLINK_B="targets = $TARGET $TARGET2" \
	heald_start "hold_down = 0.5" "hold_down_max = 1"
sleep 1.5

kill_silent() { gw_kill_nft "$GWA" gA-n; }
heal_silent() { gw_heal_nft "$GWA"; }
kill_link() { gw_kill_link; }
heal_link() { gw_heal_link; }
kill_forward() { gw_kill_forward "$GWA"; }
heal_forward() { gw_heal_forward "$GWA"; }

echo "== network failover on $(uname -r): $trials trials of each failure of uplink A, heald's default probes"
kinds="silent link forward"
[ "$trials" -gt 0 ] || kinds=""	# BENCH_TRIALS=0: the soak alone
for kind in $kinds; do
	: > "$SCRATCH/out-$kind"
	for ((t = 1; t <= trials; t++)); do
		for ((i = 0; i < 300; i++)); do [ "$(via)" = 10.201.1.1 ] && break; sleep 0.01; done
		[ "$(via)" = 10.201.1.1 ] || { echo "$kind trial $t: not on A to start with" >&2; exit 1; }
		# A ping of its own per trial: one long ping may end at a link's loss.
		ip netns exec "$NODE" ping -D -n -i 0.002 -W 1 -w 8 $TARGET > "$SCRATCH/ping" 2>&1 &
		pp=$!
		sleep "0.$((RANDOM % 100 + 20))"	# a random phase against the probe intervals
		t0=$(now)
		"kill_$kind"
		for ((i = 0; i < 300; i++)); do [ "$(via)" = 10.201.2.1 ] && break; sleep 0.01; done
		sleep 0.3
		out=$(outage_ms "$t0" "$(now)")
		kill "$pp" 2>/dev/null; wait "$pp" 2>/dev/null
		hd=$(ms_since "$t0" "$(rerouted_after "$t0")")
		bd=$( [ -n "$frr" ] && ms_since "$t0" "$(bfd_down_after "$NODE" 10.201.1.1 "$t0")" || echo -)
		echo "$hd" >> "$SCRATCH/heald-$kind"
		echo "$bd" >> "$SCRATCH/bfd-$kind"
		[ "$out" -ge 0 ] || { echo "# $kind trial $t: no reply through B; the ping said:"; tail -n 3 "$SCRATCH/ping" | sed 's/^/#   /'; }
		echo "$out" >> "$SCRATCH/out-$kind"
		"heal_$kind"
		sleep 0.3
	done
	p50=$(pct 50 < "$SCRATCH/out-$kind")
	p99=$(pct 99 < "$SCRATCH/out-$kind")
	echo "$kind: outages ms: $(tr '\n' ' ' < "$SCRATCH/out-$kind")"
	echo "$kind: fault to route moved ms (ip monitor), heald: $(tr '\n' ' ' < "$SCRATCH/heald-$kind")"
	echo "$kind: fault to session down ms, FRR bfdd 100 ms x 3: $(tr '\n' ' ' < "$SCRATCH/bfd-$kind")"
	for who in heald bfd; do
		grep -qx '[0-9]*' "$SCRATCH/$who-$kind" || continue
		echo "$kind: $who p50 $(grep -x '[0-9]*' "$SCRATCH/$who-$kind" | pct 50) ms, p99 $(grep -x '[0-9]*' "$SCRATCH/$who-$kind" | pct 99) ms ($(grep -cx '[0-9]*' "$SCRATCH/$who-$kind") of $trials detected)"
	done
	case $kind in
	silent)	echo "silent gateway: p50 $p50 ms (target <= 100: $(verdict "$p50" 100)), p99 $p99 ms (target <= 150: $(verdict "$p99" 150))" ;;
	link)	echo "link down: p50 $p50 ms, p99 $p99 ms (target <= 30: $(verdict "$p99" 30))" ;;
	forward) echo "forward-only: p50 $p50 ms (target <= 500: $(verdict "$p50" 500)), p99 $p99 ms" ;;
	esac
done
for ((i = 0; i < 300; i++)); do [ "$(via)" = 10.201.1.1 ] && break; sleep 0.01; done
echo "route changes journaled: $(reroutes) ($((trials * 3 * 2)) expected: 2 per trial)"

[ "$soak" -gt 0 ] || exit 0
# 1% random loss both ways on both uplinks: the gateways' side drops 1% of
# what the node sends, the node's side 1% of what it receives.
lossy() {	# lossy NS IFNAME
	in_ns "$1" nft -f - <<NFT || { echo "nft in $1" >&2; exit 1; }
table netdev heal_loss {
	chain in { type filter hook ingress device "$2" priority 0; numgen random mod 100 < 1 drop; }
}
NFT
}
for ((i = 0; i < 300; i++)); do [ "$(via)" = 10.201.1.1 ] && break; sleep 0.01; done
n0=$(reroutes)
a0=$(journal_json | jq '[.[] | select(.type == "alarm")] | length')
s0=$("$HEALCTL" status --json | jq '[.heald.uplinks[] | .probes_sent, .targets.rounds_sent] | add')
lossy "$GWA" gA-n; lossy "$GWB" gB-n; lossy "$NODE" vA; lossy "$NODE" vB
echo "== soak: $soak s with 1% random loss both ways on both uplinks"
sleep "$soak"
n1=$(reroutes)
a1=$(journal_json | jq '[.[] | select(.type == "alarm")] | length')
"$HEALCTL" status --json | jq -r '.heald.uplinks[] | "\(.name): gateway loss \(.loss_pct)% (last 20), probes \(.probes_sent), targets rounds \(.targets.rounds_sent)"'
s1=$("$HEALCTL" status --json | jq '[.heald.uplinks[] | .probes_sent, .targets.rounds_sent] | add')
journal_json | jq -r --argjson a "$a0" '[.[] | select(.type == "alarm")][$a:][] | "# alarm in the soak: \(.time) \(.resource): \(.reason)"'
echo "soak: $((s1 - s0)) probes and rounds sent, $((n1 - n0)) reroutes, $((a1 - a0)) alarms (target 0: $( [ $((n1 - n0 + a1 - a0)) = 0 ] && echo met || echo MISSED))"

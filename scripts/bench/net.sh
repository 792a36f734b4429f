#!/usr/bin/env bash
# make bench, part 5: network failover.  In namespaces on the host (the
# topology of tests/net/common.sh), BENCH_TRIALS (default 20) times: gateway
# A starts dropping everything (nftables, the silent case: no carrier
# change to help), and the outage is the time from that moment to the first
# ping reply through B (a 2 ms ping runs throughout; the resolution is
# 2 ms).  A is healed and traffic returns (hold-down 0.5 s here) before the
# next trial.  Prints p50 and p99; targets p99 < 300 ms and p50 < 150 ms,
# with heald's defaults of 100 ms x 3 probes (BFD's default detection
# alone is 900 ms).
set -euo pipefail
# shellcheck source=../../tests/net/common.sh
. "$(dirname "$0")/../../tests/net/common.sh"
set +e
trials=${BENCH_TRIALS:-20}

pct() { sort -g | awk -v p="$1" '{ v[NR] = $1 } END { i = int(p / 100 * NR + 0.999); if (i < 1) i = 1; print v[i] }'; }

topology
heald_start "hold_down = 0.5" "hold_down_max = 1"
sleep 1
ip netns exec "$NODE" ping -D -n -i 0.002 -W 1 -w $((trials * 4 + 10)) $TARGET > "$SCRATCH/ping" 2>&1 &
_pids+=("$!")
sleep 0.5
: > "$SCRATCH/outages"
for ((t = 1; t <= trials; t++)); do
	[ "$(via)" = 10.201.1.1 ] || { echo "trial $t: not on A to start with" >&2; exit 1; }
	sleep "0.$((RANDOM % 100))"	# a random phase against the probe interval
	t0=$(now)
	gw_kill_nft "$GWA" gA-n
	for ((i = 0; i < 200; i++)); do [ "$(via)" = 10.201.2.1 ] && break; sleep 0.01; done
	sleep 0.3
	out=$(outage_ms "$t0" "$(now)")
	echo "$out" >> "$SCRATCH/outages"
	gw_heal_nft "$GWA"
	for ((i = 0; i < 300; i++)); do [ "$(via)" = 10.201.1.1 ] && break; sleep 0.01; done
	sleep 0.3
done
echo "== network failover on $(uname -r): $trials trials, gateway silently dropping (nftables)"
echo "outages ms: $(tr '\n' ' ' < "$SCRATCH/outages")"
p50=$(pct 50 < "$SCRATCH/outages")
p99=$(pct 99 < "$SCRATCH/outages")
echo "outage p50 $p50 ms (target < 150: $( [ "$p50" -lt 150 ] && echo met || echo MISSED)), p99 $p99 ms (target < 300: $( [ "$p99" -lt 300 ] && echo met || echo MISSED))"
echo "route changes journaled: $(reroutes) (2 per trial)"

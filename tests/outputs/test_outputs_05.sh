#!/usr/bin/env bash
# heal's alerting rules (contrib/prometheus/heal-rules.yml): their promtool
# unit tests, then a real Prometheus (Debian's) scraping a real heald in
# the node's namespace every second, its alerts read from its HTTP API:
# none while healthy, HealUplinkDown when uplink A's gateway link goes
# down, HealdDown when heald is killed.  Everything on the namespace's
# 127.0.0.1; bounded at 45 s per alert (each "for" is 30 s).
. "$(dirname "$0")/common.sh"
if ! command -v prometheus > /dev/null || ! command -v promtool > /dev/null; then
	skip "no prometheus/promtool (apt-get install prometheus)"
fi

rules=$top/contrib/prometheus/heal-rules.yml
promtool check rules "$rules" | sed 's/^/# /' || fail "promtool check rules"
promtool test rules "$top/contrib/prometheus/heal-rules.test.yml" | sed 's/^/# /'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "promtool test rules"

topology
# shellcheck disable=SC2119  # heald_start's defaults are what this test wants
heald_start
PROM=127.0.0.1:19590
cat > "$SCRATCH/prometheus.yml" <<YML
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [ "$rules" ]
scrape_configs:
  - job_name: heald
    static_configs: [ { targets: [ "$METRICS" ] } ]
YML
ip netns exec "$NODE" prometheus --config.file="$SCRATCH/prometheus.yml" \
	--storage.tsdb.path="$SCRATCH/tsdb" --web.listen-address=$PROM \
	> "$SCRATCH/prometheus.log" 2>&1 &
_pids+=($!)
api() { in_ns "$NODE" curl -fsS --max-time 3 "http://$PROM/api/v1/$1"; }
# "NAME STATE" per alert, firing or pending.
alerts() { api alerts | jq -r '.data.alerts[] | "\(.labels.alertname) \(.state)"'; }

for ((i = 0; i < 60; i++)); do
	[ "$(api 'query?query=up%7Bjob%3D%22heald%22%7D' 2>/dev/null | jq -r '.data.result[0].value[1]')" = 1 ] && break
	sleep 0.5
done
[ "$i" -lt 60 ] || { tail -20 "$SCRATCH/prometheus.log"; fail "Prometheus never scraped heald"; }
log "Prometheus scrapes heald after $((i * 500)) ms"
sleep 3
[ -z "$(alerts)" ] || fail "alerts on a healthy node: $(alerts | tr '\n' ' ')"

# wait_firing NAME: seconds until it fires, at most 45.
wait_firing() {
	local t0 i
	t0=$(date +%s.%N)
	for ((i = 0; i < 90; i++)); do
		if alerts | grep -qx "$1 firing"; then
			awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f\n", b - a }'
			return 0
		fi
		sleep 0.5
	done
	alerts | sed 's/^/# /' >&2
	return 1
}

gw_kill_link
s=$(wait_firing HealUplinkDown) || fail "HealUplinkDown did not fire within 45 s"
log "HealUplinkDown fired ${s}s after uplink A's link went down"
alerts | grep -q '^HealAllUplinksDown' && fail "HealAllUplinksDown with uplink B up"
{ kill -9 "$HEALD_PID"; wait "$HEALD_PID"; } 2>/dev/null
s=$(wait_firing HealdDown) || fail "HealdDown did not fire within 45 s"
log "HealdDown fired ${s}s after heald was killed"
exit 0

#!/usr/bin/env bash
# Metrics a fleet can scrape: names heald does not choose (interface names
# here: the kernel allows " and \ in them) escaped in label values so that
# promtool accepts the scrape, latency as a histogram, heald_build_info,
# and the listen address from the configuration.
. "$(dirname "$0")/common.sh"
command -v promtool > /dev/null || skip "no promtool (apt-get install prometheus)"

node_only
# One name with a quote and a backslash, one a whole label injection.
ip -n "$NODE" link add 'q"x\y' type veth peer name p1 || fail "veth"
ip -n "$NODE" link add 'a",b="c' type veth peer name p2 || fail "veth"
ip -n "$NODE" link set 'q"x\y' up
ip -n "$NODE" link set p1 up
# bpf on: iomon's disks give the histograms something to show.
heald_bare "metrics_port = 19579" "metrics_address = 127.0.0.2" "bpf = yes" "poll_ms = 200"
sleep 0.5
scrape 127.0.0.2:19579 > "$SCRATCH/metrics" || fail "no metrics on 127.0.0.2 (metrics_address)"
if scrape 127.0.0.1:19579 > /dev/null 2>&1; then fail "metrics on 127.0.0.1 too: metrics_address ignored"; fi
grep -F 'heal_link_up{' "$SCRATCH/metrics" | sed 's/^/# /'
grep -m4 -E '^heal_disk_latency_seconds_(bucket|sum|count)' "$SCRATCH/metrics" | sed 's/^/# /'
promtool check metrics < "$SCRATCH/metrics" > "$SCRATCH/promtool" 2>&1
rc=$?
sed 's/^/# promtool: /' "$SCRATCH/promtool"
[ $rc -eq 0 ] || fail "promtool check metrics: exit $rc"
grep -qF 'heal_link_up{link="q\"x\\y"} 1' "$SCRATCH/metrics" || fail "link q\"x\\y not escaped"
grep -qF 'heal_link_up{link="a\",b=\"c"} 0' "$SCRATCH/metrics" || fail "link a\",b=\"c not escaped"
grep -q 'quantile=' "$SCRATCH/metrics" && fail "a quantile label (gauges are not summaries)"
grep -Eq '^heald_build_info\{version="[^"]+",commit="[0-9a-f]{7,}(-dirty)?"\} 1$' "$SCRATCH/metrics" ||
	fail "no heald_build_info with version and commit"
grep -q '^# TYPE heal_disk_latency_seconds histogram$' "$SCRATCH/metrics" ||
	fail "heal_disk_latency_seconds is not a histogram"
if grep -q '^heal_disk_ios_total' "$SCRATCH/metrics"; then
	grep -Eq '^heal_disk_latency_seconds_bucket\{disk="[^"]+",le="\+Inf"\} [0-9]+$' "$SCRATCH/metrics" ||
		fail "disks but no latency buckets"
else
	log "iomon saw no disk (bpf: $("$HEALCTL" status --json | jq -r .heald.heald.bpf)): no histogram to check"
fi
# Devices, legs and syncs (states as fixed series) need healblk, which the
# host has not: tests/unit/test_metrics.c renders them and runs promtool.
# IPv6 too.
{ kill "$HEALD_PID"; wait "$HEALD_PID"; } 2>/dev/null
heald_bare "metrics_port = 19579" "metrics_address = ::1"
scrape '[::1]:19579' | grep -q '^heald_up 1$' || fail "no metrics on [::1]:19579"
# A bad address is refused with its line, before anything starts.
printf 'metrics_address = 127.0.0.300\n' > "$SCRATCH/bad.conf"
if "$HEALD" --check-config -c "$SCRATCH/bad.conf" > "$SCRATCH/bad.out" 2>&1; then
	fail "metrics_address 127.0.0.300 accepted"
fi
grep -q 'bad.conf:1' "$SCRATCH/bad.out" || fail "no line number: $(cat "$SCRATCH/bad.out")"
exit 0

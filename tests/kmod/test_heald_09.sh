#!/usr/bin/env bash
# The leg alert for real (issue 12): a real Prometheus (Debian's) with the
# shipped rules file (contrib/prometheus/heal-rules.yml, unchanged: its
# "for: 1m" is waited out, not shortened) scrapes a real heald every second
# and evaluates every second, all on 127.0.0.1.  A two-leg mirror of loop
# devices holds data; leg 1 then starts failing through an independent
# fault source (dm-error under it) and heald fails the leg itself (no
# spare: fail-leg).  Prometheus's HTTP API shows no alert before the fault,
# HealLegFailing (device, leg="1") and HealDeviceDegraded pending and then
# firing after it, within 3 min of the leg's failure (the rules' "for" and
# TCG's slowness: 1.5 min seen).  The kernel's events
# as heald publishes them (received, received_ns) and as `healctl events
# --json` prints them (received) carry the guest's time of the fault.  The
# data reads back with its sha256 from the remaining leg.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

command -v prometheus > /dev/null || skip "no prometheus (scripts/setup.sh installs it)"
rules=$(cd "$(dirname "$0")/../.." && pwd)/contrib/prometheus/heal-rules.yml
[ -r "$rules" ] || fail "no $rules"

# A port nothing listens on, from $1 on.
free_port() {	# free_port FIRST -> PORT
	local p
	for ((p = $1; p < $1 + 100; p++)); do
		[ -z "$(ss -Htln "sport = :$p")" ] && { PORT=$p; return 0; }
	done
	fail "no free port from $1"
}
free_port 19577; HEALD_PORT=$PORT
free_port $((HEALD_PORT + 13)); PROM_PORT=$PORT

make_loop 64; l0=$LOOP
make_loop 64; l1=$LOOP
make_dm_linear heal-hd9 "$l1"; m1=$DM
make_healblk "$l0" "$m1"; dev=$HB
# The kernel must not fail the leg by itself: heald decides here.
"$HEALCTL" set "$dev" --fail-errors 0 || fail "set --fail-errors 0"
head -c 16M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
want=$(sha256sum < "$SCRATCH/data" | cut -d' ' -f1)
[ "$(sum_range "/dev/$dev" 0 32768)" = "$want" ] || fail "data differs before the fault"

heald_start "metrics_address = 127.0.0.1" "serd_n = 3" "serd_t = 60" "cooldown = 0"

cat > "$SCRATCH/prometheus.yml" <<YML
global: { scrape_interval: ${WAIT_SCALE}s, evaluation_interval: ${WAIT_SCALE}s }
rule_files: [ "$rules" ]
scrape_configs:
  - job_name: heald
    static_configs: [ { targets: [ "127.0.0.1:$HEALD_PORT" ] } ]
YML
prometheus --config.file="$SCRATCH/prometheus.yml" --storage.tsdb.path="$SCRATCH/tsdb" \
	--web.listen-address="127.0.0.1:$PROM_PORT" > "$SCRATCH/prometheus.log" 2>&1 &
_pids+=($!)
api() { curl -fsS --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/$1"; }
# "NAME STATE device=D leg=L job=J instance=I" per alert, pending or firing.
alerts() {
	api alerts | jq -r '.data.alerts[] | "\(.labels.alertname) \(.state) device=\(.labels.device)" +
		" leg=\(.labels.leg) job=\(.labels.job) instance=\(.labels.instance)"'
}
show() { local l; while IFS= read -r l; do log "  $l"; done <<< "$1"; }
prom_fail() { tail -20 "$SCRATCH/prometheus.log"; fail "$*"; }

# Prometheus up (under TCG it takes its time), heald's leg series scraped,
# and the shipped rules loaded and evaluated without error.
q='heal_leg_health%7Bdevice%3D%22'$dev'%22%7D'
t0=$SECONDS
until [ "$(api "query?query=$q" 2>/dev/null | jq -r '[.data.result[].value[1]] | sort | join(",")')" = 0,0 ]; do
	[ $((SECONDS - t0)) -lt $((90 * WAIT_SCALE)) ] ||
		prom_fail "Prometheus never scraped both legs of $dev as healthy in $((90 * WAIT_SCALE)) s: $(api "query?query=$q" 2>&1)"
	sleep 0.5
done
log "Prometheus scrapes heald after $((SECONDS - t0)) s"
t0=$SECONDS
while :; do
	api rules 2>/dev/null | jq -e '[.data.groups[].rules[]] as $r |
		($r | length) > 0 and all($r[]; .health == "ok") and
		([$r[] | select(.name == "HealLegFailing" or .name == "HealDeviceDegraded")] | length) == 2 and
		all($r[]; .lastEvaluation | startswith("0001") | not)' > /dev/null && break
	[ $((SECONDS - t0)) -lt $((30 * WAIT_SCALE)) ] || { api rules | jq -c .; prom_fail "the shipped rules are not loaded and evaluated"; }
	sleep 0.5
done
sleep $((3 * WAIT_SCALE))	# a few more evaluations on the healthy node
out=$(alerts) || prom_fail "no answer from /api/v1/alerts"
[ -z "$out" ] || fail "alerts before the fault: $out"
log "no alert on the healthy mirror"

# Kernel events as heald publishes them, from a subscriber of its socket.
python3 - "$SCRATCH/heald.sock" "$SCRATCH/heald-events" > /dev/null 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b'{"cmd":"events"}\n')
end = time.monotonic() + 400
with open(sys.argv[2], "wb", buffering=0) as out:
    while time.monotonic() < end:
        try:
            b = s.recv(65536)
        except socket.timeout:
            continue
        if not b:
            break
        out.write(b)
PY
_pids+=($!)
for ((i = 0; i < 100; i++)); do
	grep -q '"ok": *true' "$SCRATCH/heald-events" 2>/dev/null && break
	sleep 0.1
done
[ "$i" -lt 100 ] || fail "no subscription to heald's events"
# And as healctl prints them, straight from the kernel.
"$HEALCTL" events --follow --json --timeout 400 > "$SCRATCH/events" 2>&1 &
ev_pid=$!
_pids+=("$ev_pid")
for ((i = 0; i < 300; i++)); do
	events_subscribed "$ev_pid" && break
	sleep 0.1
done
[ "$i" -lt 300 ] || fail "healctl events did not subscribe in 30 s"

# The fault: 2 MiB of leg 1 from 4 MiB fails every I/O; 5 writes there.
t_fault=$(date +%s.%N)
dm_swap_error heal-hd9 "$l1" $((META + 8192)) 4096
write_blocks "/dev/$dev" 8192 5 "$SCRATCH/data"
t_writes=$(date +%s.%N)
journal_wait '.type == "decision" and .action == "fail-leg"' 30
id=$(echo "$JOURNAL_HIT" | jq .id)
echo "$JOURNAL_HIT" | jq -e '.taken == true and .leg == 1' > /dev/null || fail "decision: $JOURNAL_HIT"
log "decision $id: $(echo "$JOURNAL_HIT" | jq -r .reason)"
for ((i = 0; i < 100; i++)); do
	[ "$(leg_field "$dev" 1 state)" = failed ] && break
	sleep 0.2
done
[ "$(leg_field "$dev" 1 state)" = failed ] || fail "leg 1 is $(leg_field "$dev" 1 state), not failed"
t_failed=$(date +%s.%N)
log "leg 1 failed $(awk -v a="$t_fault" -v b="$t_failed" 'BEGIN { printf "%.1f", b - a }') s after the fault"

# Alerts: pending first (the rules' "for: 1m"), then firing, within 3 min
# of the leg's failure.  Leg 0 is never named.
want_leg="HealLegFailing firing device=$dev leg=1 job=heald instance=127.0.0.1:$HEALD_PORT"
want_dev="HealDeviceDegraded firing device=$dev leg=null job=heald instance=127.0.0.1:$HEALD_PORT"
# Deadlines by the clock, not by rounds: under TCG a round of curl and jq
# alone can take seconds.
pending=0
deadline=$((SECONDS + 180 * WAIT_SCALE))
while :; do
	out=$(alerts 2>/dev/null) || out=""
	[ "$pending" = 0 ] && [[ $'\n'$out == *$'\n'"HealLegFailing pending device=$dev leg=1 "* ]] &&
		pending=$EPOCHREALTIME
	[[ $'\n'$out$'\n' == *$'\n'"$want_leg"$'\n'* && $'\n'$out$'\n' == *$'\n'"$want_dev"$'\n'* ]] && break
	[ "$SECONDS" -lt "$deadline" ] ||
		{ show "$out"; prom_fail "HealLegFailing/HealDeviceDegraded not firing $((180 * WAIT_SCALE)) s after the leg failed"; }
	sleep 0.5
done
t_firing=$EPOCHREALTIME
[ "$pending" != 0 ] || fail "HealLegFailing fired without being pending first"
log "pending $(awk -v a="$t_fault" -v b="$pending" 'BEGIN { printf "%.1f", b - a }') s," \
	"firing $(awk -v a="$t_fault" -v b="$t_firing" 'BEGIN { printf "%.1f", b - a }') s after the fault:"
show "$out"
[ "$(echo "$out" | wc -l)" = 2 ] || fail "other alerts than the leg's and the device's: $out"
api "query?query=$q" | jq -e '[.data.result[] | select(.metric.leg == "1")][0].value[1] == "3"' \
	> /dev/null || fail "Prometheus does not have leg 1 failed (3)"

# Kernel events carry the time they were received, the guest's clock at the
# fault: the first I/O error on leg 1 between the fault and the end of the
# writes (plus 5 s of slack), heald's and healctl's stamps 2 s apart at most.
secs() { date -d "$1" +%s.%N; }	# RFC 3339 -> seconds
ns2s() { echo "${1%?????????}.${1: -9}"; }	# nanoseconds -> seconds
plus() { awk -v x="$1" -v d="$2" 'BEGIN { printf "%.6f", x + d }'; }
within() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }
hev=$(jq -c 'select(.type == "kernel" and .event.event == "io_error" and .event.leg == 1)' \
	"$SCRATCH/heald-events" 2>/dev/null | head -1)
[ -n "$hev" ] || { cat "$SCRATCH/heald-events"; fail "heald published no I/O error event of leg 1"; }
log "heald: $hev"
h_rx=$(secs "$(echo "$hev" | jq -r .received)") || fail "heald's received: $hev"
# jq reads numbers as doubles: received_ns comes back to it within 1 us.
h_ns=$(ns2s "$(echo "$hev" | jq -r .received_ns)")
within "$h_ns" "$(plus "$h_rx" -0.001)" "$(plus "$h_rx" 0.001)" ||
	fail "heald's received ($h_rx) and received_ns ($h_ns) differ"
within "$h_rx" "$t_fault" "$(plus "$t_writes" 5)" ||
	fail "heald's kernel event received at $h_rx, the fault at $t_fault-$t_writes"
cev=$(jq -c 'select(.event == "io_error" and .leg == 1)' "$SCRATCH/events" 2>/dev/null | head -1)
[ -n "$cev" ] || { cat "$SCRATCH/events"; fail "healctl events printed no I/O error of leg 1"; }
log "healctl: $cev"
c_rx=$(secs "$(echo "$cev" | jq -r .received)") || fail "healctl's received: $cev"
within "$c_rx" "$t_fault" "$(plus "$t_writes" 5)" ||
	fail "healctl's event received at $c_rx, the fault at $t_fault-$t_writes"
within "$c_rx" "$(plus "$h_rx" -2)" "$(plus "$h_rx" 2)" ||
	fail "heald ($h_rx) and healctl ($c_rx) received the event more than 2 s apart"
# The leg's failure too, stamped between the fault and when status showed it.
lev=$(jq -c 'select(.type == "kernel" and .event.event == "leg_state" and .event.leg == 1 and
	.event.state == "failed")' "$SCRATCH/heald-events" 2>/dev/null | head -1)
[ -n "$lev" ] || { cat "$SCRATCH/heald-events"; fail "heald published no leg_state failed event"; }
l_ns=$(ns2s "$(echo "$lev" | jq -r .received_ns)")
within "$l_ns" "$t_fault" "$(plus "$t_failed" 1)" ||
	fail "leg_state event received at $l_ns, the fault at $t_fault, seen failed at $t_failed"
log "events stamped $(plus "$h_rx" "-$t_fault") s (heald), $(plus "$c_rx" "-$t_fault") s (healctl)," \
	"leg failed $(plus "$l_ns" "-$t_fault") s after the fault"

# The data, from leg 0 alone now.
[ "$(sum_range "/dev/$dev" 0 32768)" = "$want" ] || fail "data differs after the fault"
log "data intact (sha256 $want)"
exit "$ksft_pass"

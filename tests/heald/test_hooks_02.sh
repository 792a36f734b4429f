#!/usr/bin/env bash
# A flood of journal entries against slow hooks (issue 12): at most 4
# hooks run at once, at most 128 entries wait for them, the rest are
# dropped, counted (heald_hook_dropped_total) and logged; heald's memory
# stays bounded and root's status is answered all along.  The flood: a
# managed route moved away from heald's uplink again and again (each move
# is journaled, and heald puts the route back).
. "$(dirname "$0")/common.sh"

GW=$NS-gw
HOOKS=$SCRATCH/hooks.d
mkdir -m 755 "$HOOKS"
cat > "$HOOKS/10-slow" <<SH
#!/bin/sh
cat > /dev/null
echo "\$HEAL_ENTRY_ID" >> "$SCRATCH/ran"
sleep 1
SH
chmod 755 "$HOOKS/10-slow"

netns_add "$NS"
netns_add "$GW"
ip link add hlte0 netns "$NS" type veth peer name hlte0p netns "$GW" || fail "veth"
ip -n "$GW" addr add 10.203.0.1/24 dev hlte0p
ip -n "$GW" link set hlte0p up
ip -n "$NS" addr add 10.203.0.2/24 dev hlte0
ip -n "$NS" link set hlte0 up
# The journal on tmpfs: each entry is synced before heald goes on, and on
# a busy disk those syncs, not the hooks, would be what root waits for.
SHM=/dev/shm/heal-ht$$
mkdir -m 700 "$SHM"
trap 'rm -rf "$SHM"; cleanup' EXIT
heald_conf "hooks_dir = $HOOKS" "hook_timeout = 5" "routes = 10.203.9.0/24" \
	"journal = $SHM/journal.jsonl" "[uplink lte]" "interface = hlte0" "gateway = 10.203.0.1"
# ASan keeps freed memory aside (256 MiB by default): not heald's growth.
export ASAN_OPTIONS=$ASAN_OPTIONS:quarantine_size_mb=1
heald_start
for ((i = 0; i < 100; i++)); do
	[ "$(hc status | jq -r '.uplinks[0].state')" = up ] && break
	sleep 0.1
done
rss() { awk '/^VmRSS/ {print $2}' "/proc/$HEALD_PID/status"; }
sleep 1
rss0=$(rss)
first=$(hc journal | jq '.entries[-1].id')

# 100 moves a second for 6 s: 25 times what the hooks take (4 at once,
# 1 s each).  (Unpaced, with the journal on disk, a batch of 1500 moves
# kept heald from answering root for over 10 s with no hook at all.)
for ((i = 0; i < 10; i++)); do
	echo "route replace 10.203.9.0/24 via 10.203.0.$((9 + i % 2)) dev hlte0 metric 0"
done > "$SCRATCH/moves"
for ((k = 0; k < 60; k++)); do
	ip -n "$NS" -batch "$SCRATCH/moves" 2>/dev/null
	sleep 0.1
done &
mover=$!
_pids+=("$mover")

# While it floods: root's status, timed; the hooks running, counted.
"$PY" - "$SOCK" "$HC" "$HOOKS/10-slow" <<'PY' > "$SCRATCH/probe" || fail "status during the flood"
import os, subprocess, sys, time
sys.path.insert(0, sys.argv[2].rsplit("/", 1)[0])
from hclient import Client
worst, most = 0.0, 0
end = time.monotonic() + 8
while time.monotonic() < end:
    c = Client(sys.argv[1])
    t = time.monotonic()
    r = c.request({"cmd": "status"})
    worst = max(worst, time.monotonic() - t)
    c.close()
    if not r or not r["ok"]:
        sys.exit(1)
    # Each hook leads a session of its own (a fork of it, not yet exec'd, would not).
    ps = subprocess.run(["ps", "-e", "-o", "pid=,sid=,args="], capture_output=True, text=True).stdout
    n = sum(1 for l in ps.splitlines()
            if len(l.split()) > 3 and l.split()[0] == l.split()[1] and l.split()[3] == sys.argv[3])
    most = max(most, n)
    time.sleep(0.05)
print(f"{worst:.3f} {most}")
PY
wait "$mover"
read -r worst most < "$SCRATCH/probe"
last=$(hc journal | jq '.entries[-1].id')
rss1=$(rss)
m=$(ip netns exec "$NS" curl -sf "http://127.0.0.1:$METRICS_PORT/metrics")
dropped=$(echo "$m" | sed -n 's/^heald_hook_dropped_total //p')
queued=$(echo "$m" | sed -n 's/^heald_hook_queued //p')
log "$((last - first)) entries in the flood; hooks at once at most $most; dropped $dropped; queued $queued"
log "root's status: slowest $worst s; heald's RSS $rss0 -> $rss1 KiB"
[ $((last - first)) -ge 400 ] || fail "the flood made only $((last - first)) entries"
[ "$most" -le 4 ] || fail "$most hooks ran at once"
[ "${dropped:-0}" -gt 0 ] || fail "nothing dropped: the queue is not bounded"
[ "${queued:-999}" -le 128 ] || fail "$queued entries queued"
grep -q "entries wait (the most kept): entry [0-9]* dropped for the hooks" "$SCRATCH/heald.log" ||
	fail "no drop logged"
[ "$(grep -c "dropped for the hooks" "$SCRATCH/heald.log")" -lt 50 ] || fail "every drop logged"
# Measured: 0.13 s at worst with the journal on tmpfs (3-6 s on this
# machine's busy disk, hooks or not: the journal's syncs).
awk -v w="$worst" 'BEGIN { exit !(w < 1.0) }' || fail "root's status took $worst s"
[ $((rss1 - rss0)) -lt 65536 ] || fail "heald grew by $((rss1 - rss0)) KiB"
heald_done

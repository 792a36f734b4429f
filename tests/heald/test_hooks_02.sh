#!/usr/bin/env bash
# A flood of journal entries against five slow hooks and a fast one (issue
# 12): each slow hook runs one at a time, and all five run (none waits for
# another: with 4 places shared in name order the fifth starved); at most
# 128 entries wait, the oldest dropped for the hooks behind them, counted
# (heald_hook_dropped_total) and logged; the fast hook gets the flood's
# last entry (a full queue refused the newest entries to every hook, so a
# slow hook made all of them miss the latest state); heald's memory stays
# bounded and root's status is answered all along.  The flood: a
# managed route moved away from heald's uplink again and again (each move
# is journaled, and heald puts the route back).
. "$(dirname "$0")/common.sh"

GW=$NS-gw
HOOKS=$SCRATCH/hooks.d
mkdir -m 755 "$HOOKS"
for n in 10 11 12 13 14; do
	cat > "$HOOKS/$n-slow" <<SH
#!/bin/sh
cat > /dev/null
echo "\$HEAL_ENTRY_ID" >> "$SCRATCH/ran.$n"
sleep 1
SH
done
cat > "$HOOKS/20-fast" <<SH
#!/bin/sh
cat > /dev/null
echo "\$HEAL_ENTRY_ID" >> "$SCRATCH/ran.fast"
SH
chmod 755 "$HOOKS"/*

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
"$PY" - "$SOCK" "$HC" "$HOOKS" <<'PY' > "$SCRATCH/probe" || fail "status during the flood"
import os, subprocess, sys, time
sys.path.insert(0, sys.argv[2].rsplit("/", 1)[0])
from hclient import Client
worst, most, every = 0.0, 0, 0
end = time.monotonic() + 8
while time.monotonic() < end:
    c = Client(sys.argv[1])
    t = time.monotonic()
    r = c.request({"cmd": "status"})
    worst = max(worst, time.monotonic() - t)
    c.close()
    if not r or not r["ok"]:
        sys.exit(1)
    # Each run leads a session of its own: heald --reap PROGRAM.  The most
    # runs of one slow hook at once, and of all of them.
    ps = subprocess.run(["ps", "-e", "-o", "pid=,sid=,args="], capture_output=True, text=True).stdout
    runs = [l.split()[4] for l in ps.splitlines()
            if len(l.split()) > 4 and l.split()[0] == l.split()[1] and l.split()[3] == "--reap"
            and l.split()[4].startswith(sys.argv[3] + "/1")]
    most = max([most] + [runs.count(r) for r in runs])
    every = max(every, len(set(runs)))
    time.sleep(0.05)
print(f"{worst:.3f} {most} {every}")
PY
wait "$mover"
read -r worst most every < "$SCRATCH/probe"
last=$(hc journal | jq '.entries[-1].id')
rss1=$(rss)
m=$(ip netns exec "$NS" curl -sf "http://127.0.0.1:$METRICS_PORT/metrics")
dropped=$(echo "$m" | sed -n 's/^heald_hook_dropped_total //p')
queued=$(echo "$m" | sed -n 's/^heald_hook_queued //p')
log "$((last - first)) entries in the flood; runs of one slow hook at once at most $most, slow hooks running at once at most $every; dropped $dropped; queued $queued"
log "root's status: slowest $worst s; heald's RSS $rss0 -> $rss1 KiB"
[ $((last - first)) -ge 400 ] || fail "the flood made only $((last - first)) entries"
[ "$most" = 1 ] || fail "a slow hook ran $most times at once (or never)"
[ "$every" = 5 ] || fail "at most $every of the five slow hooks ran at once"
for n in 10 11 12 13 14; do
	[ -s "$SCRATCH/ran.$n" ] || fail "$n-slow never ran"
done
# The fast hook: the flood's last entry, though the slow ones are far behind.
for ((i = 0; i < 200; i++)); do
	grep -qx "$last" "$SCRATCH/ran.fast" 2>/dev/null && break
	sleep 0.1
done
grep -qx "$last" "$SCRATCH/ran.fast" || fail "20-fast never got entry $last (it has $(wc -l < "$SCRATCH/ran.fast"))"
log "20-fast got the last entry $last; $(wc -l < "$SCRATCH/ran.fast") in all; 10-slow $(wc -l < "$SCRATCH/ran.10")"
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

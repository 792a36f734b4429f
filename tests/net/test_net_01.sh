#!/usr/bin/env bash
# Gateway A dies, two ways: its link goes down, then (after traffic is
# back on A) it silently drops everything.  Each time the routes move to B
# at once, ping and a TCP stream to the remote keep flowing through B, the
# outage is measured, and traffic returns to A only after A has been up for
# its hold-down.  Every move is journaled with its evidence.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

topology
heald_start "hold_down = 3"
sleep 1
[ "$(via)" = 10.201.1.1 ] || fail "the routes do not start on A: $(via)"
# A TCP stream: the remote counts what it receives; the node reconnects when a path dies.
ip netns exec "$REMOTE" python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.201.9.1", 5001)); s.listen(8); s.settimeout(1)
end = time.time() + 60; total = 0
out = open(sys.argv[1], "w")
while time.time() < end:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    c.settimeout(0.5)
    while time.time() < end:
        try:
            d = c.recv(65536)
        except socket.timeout:
            break
        if not d:
            break
        total += len(d)
        out.write("%.3f %d\n" % (time.time(), total)); out.flush()
' "$SCRATCH/tcp" &
_pids+=("$!")
sleep 0.3
ip netns exec "$NODE" python3 -c '
import socket, time
end = time.time() + 60
while time.time() < end:
    try:
        c = socket.create_connection(("10.201.9.1", 5001), timeout=0.5)
        c.settimeout(0.5)
        while time.time() < end:
            c.sendall(b"x" * 4096); time.sleep(0.01)
    except OSError:
        time.sleep(0.05)
' &
_pids+=("$!")
ping_start 60

tcp_bytes_at() { awk -v t="$1" '$1 <= t { b = $2 } END { print b + 0 }' "$SCRATCH/tcp"; }

for how in link nft; do
	t0=$(now)
	if [ $how = link ]; then gw_kill_link; else gw_kill_nft "$GWA" gA-n; fi
	for ((i = 0; i < 100; i++)); do [ "$(via)" = 10.201.2.1 ] && break; sleep 0.01; done
	[ "$(via)" = 10.201.2.1 ] || fail "$how: the routes did not move to B"
	sleep 1.5
	t1=$(now)
	out=$(outage_ms "$t0" "$t1")
	log "$how: A dead at $t0, outage $out ms"
	{ [ "$out" -ge 0 ] && [ "$out" -lt 1000 ]; } || fail "$how: outage $out ms"
	b0=$(tcp_bytes_at "$t1"); sleep 1; b1=$(tcp_bytes_at "$(now)")
	[ "$b1" -gt "$b0" ] || fail "$how: the TCP stream does not flow through B ($b0 -> $b1)"
	journal_json | jq -e '[.[] | select(.type == "decision" and .action == "reroute")][-1] |
		(.reason | test("uplink A is down")) and
		(.evidence.uplinks[] | select(.name == "A") | .state == "down")' > /dev/null ||
		fail "$how: the reroute is not journaled with its evidence"
	# A heals: traffic stays on B for the hold-down (3 s), then returns.
	th=$(now)
	if [ $how = link ]; then gw_heal_link; else gw_heal_nft "$GWA"; fi
	sleep 2
	[ "$(via)" = 10.201.2.1 ] || fail "$how: back on A before the hold-down ($(via))"
	for ((i = 0; i < 60; i++)); do [ "$(via)" = 10.201.1.1 ] && break; sleep 0.1; done
	[ "$(via)" = 10.201.1.1 ] || fail "$how: traffic did not return to A"
	back=$(awk -v a="$th" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
	log "$how: A healed, routes back on A within ${back} s (hold-down 3 s)"
done
[ "$(reroutes)" = 4 ] || fail "expected 4 route changes, journal has $(reroutes)"
"$HEALCTL" status | grep -q "uplink A .*up .*carries the routes" || fail "status: $("$HEALCTL" status)"
in_ns "$NODE" curl -sf http://127.0.0.1:19579/metrics | grep -qx 'heal_route_changes_total 4' ||
	fail "metrics: route changes"
# Forced by hand: healctl act reroute.
"$HEALCTL" act reroute B > /dev/null || fail "act reroute B"
[ "$(via)" = 10.201.2.1 ] || fail "act reroute did not move the routes"
# Someone else moves the route: heald notices and journals it.
ip -n "$NODE" route replace default via 10.201.1.1 dev vA
for ((i = 0; i < 50; i++)); do
	journal_json | jq -e '[.[] | select(.type == "observed")] | length == 1' > /dev/null && break
	sleep 0.1
done
journal_json | jq -e '[.[] | select(.type == "observed")][0].reason | test("changed outside heald: now through A")' \
	> /dev/null || fail "a route changed outside heald went unnoticed"
exit 0

#!/usr/bin/env bash
# The metrics endpoint is optional (issue 14): its port taken by another
# program, or its address not (yet) on the node, must not stop heald.
# heald warns, runs, answers its socket, and binds the port when it can
# (a retry on its timer, every 10 s).
. "$(dirname "$0")/common.sh"

netns_add "$NS"
# Someone else holds heald's metrics port.
ip netns exec "$NS" "$PY" -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(600)' "$METRICS_PORT" &
squatter=$!
_pids+=("$squatter")
for ((i = 0; i < 100; i++)); do
	ip netns exec "$NS" ss -ltnH "sport = :$METRICS_PORT" | grep -q . && break
	sleep 0.05
done
heald_start
grep -qi "metrics" "$SCRATCH/heald.log" || fail "heald did not say the metrics port is taken"
log "heald runs with its metrics port taken: $(grep -i -m1 metrics "$SCRATCH/heald.log")"
kill "$squatter"; wait "$squatter" 2>/dev/null
ok=
for ((i = 0; i < 250; i++)); do
	if ip netns exec "$NS" curl -fsS -m 2 "http://127.0.0.1:$METRICS_PORT/metrics" 2>/dev/null |
		grep -q '^heald_up 1'; then ok=1; break; fi
	sleep 0.1
done
[ "$ok" ] || fail "the metrics port was freed, heald did not take it in 25 s"
log "metrics served once the port was free"
heald_done
kill "$HEALD_PID"; wait "$HEALD_PID" 2>/dev/null

# An address the node does not have yet.
ADDR=10.204.0.1
heald_conf "metrics_address = $ADDR"
heald_start
log "heald runs without $ADDR: $(grep -i "$ADDR" "$SCRATCH/heald.log" | tail -1)"
ip -n "$NS" addr add "$ADDR/32" dev lo || fail "addr add"
ok=
for ((i = 0; i < 250; i++)); do
	if ip netns exec "$NS" curl -fsS -m 2 "http://$ADDR:$METRICS_PORT/metrics" 2>/dev/null |
		grep -q '^heald_up 1'; then ok=1; break; fi
	sleep 0.1
done
[ "$ok" ] || fail "$ADDR came up, heald did not serve metrics on it in 25 s"
log "metrics served on $ADDR once it was there"
heald_done

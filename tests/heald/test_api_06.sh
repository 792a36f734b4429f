#!/usr/bin/env bash
# Prometheus scrapes must not be blockable: a user outside the group holds
# 20 idle TCP connections to the metrics port (issue 12: they blocked the
# scrapes until they timed out).  Expected: heald keeps a few for that uid
# and refuses the rest at once; root's scrape, and a scrape by another
# uid, answer within 2 s with heald's metrics.
. "$(dirname "$0")/common.sh"

heald_start
cat > "$SCRATCH/hold.py" <<'PY'
import socket, sys, time
port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
held = []
for i in range(n):
    s = socket.socket()
    s.connect(("127.0.0.1", port))
    s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")   # never finished
    held.append(s)
time.sleep(0.5)
alive = 0
for s in held:
    s.setblocking(False)
    try:
        alive += s.recv(1) != b""
    except BlockingIOError:
        alive += 1
    except OSError:
        pass
print(alive, flush=True)
time.sleep(secs)
PY
ip netns exec "$NS" setpriv --reuid=$OTHER_UID --regid=$OTHER_UID --clear-groups \
	"$PY" "$SCRATCH/hold.py" $METRICS_PORT 20 15 > "$SCRATCH/held" &
_pids+=("$!")
for ((i = 0; i < 50; i++)); do [ -s "$SCRATCH/held" ] && break; sleep 0.1; done
log "connections of uid $OTHER_UID still held after 0.5 s: $(cat "$SCRATCH/held")"
scrape() {	# scrape [SETPRIV...]: SCRAPE_S=the seconds it took, metrics checked
	local t0 t1
	t0=$(date +%s.%N)
	ip netns exec "$NS" "$@" curl -s -m 2 "http://127.0.0.1:$METRICS_PORT/metrics" > "$SCRATCH/scrape" ||
		fail "scrape by $* failed"
	t1=$(date +%s.%N)
	grep -q '^heald_up 1$' "$SCRATCH/scrape" || fail "no heald_up in the scrape"
	SCRAPE_S=$(echo "$t1 - $t0" | bc)
}
scrape env
log "root's scrape took $SCRAPE_S s"
scrape setpriv --reuid=$OTHER2_UID --regid=$OTHER2_UID --clear-groups
log "uid $OTHER2_UID's scrape took $SCRAPE_S s"
[ "$(cat "$SCRATCH/held")" -le 4 ] || fail "one uid holds more than 4 metrics connections"
heald_done

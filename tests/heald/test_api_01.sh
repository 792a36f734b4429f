#!/usr/bin/env bash
# A reader (group member, not root) must not be able to crash heald: a
# subscriber that falls behind is dropped while a broadcast runs, and the
# same epoll batch may still hold an event of that subscriber (issue 12:
# heap-use-after-free in the loop).  Broadcasts come from link changes of
# a veth interface in heald's namespace; the reader lags a subscription
# and keeps writing on it, a second connection keeps heald busy.
# Expected: the lagging subscriber is dropped (heald closes it), again and
# again, and heald lives on with no sanitizer report.
. "$(dirname "$0")/common.sh"

heald_start
ip -n "$NS" link add hd0 type veth peer name hd1 || fail "veth link"
for ((i = 0; i < 2000; i++)); do echo "link set hd0 up"; echo "link set hd0 down"; done > "$SCRATCH/flap"
( while :; do ip -n "$NS" -batch "$SCRATCH/flap" 2>/dev/null; done ) &
_pids+=("$!")

as_reader "$PY" - "$SOCK" "$HC" <<'PY' || fail "scenario"
import sys, threading, time
sys.path.insert(0, sys.argv[2].rsplit("/", 1)[0])
from hclient import Client
path = sys.argv[1]
stop = False

def busy():
    # The second connection: status after status, read back.
    c = Client(path)
    while not stop:
        if c.request({"cmd": "status"}) is None:
            return
threading.Thread(target=busy, daemon=True).start()

drops, failed = [], []

def lagger():
    # A subscriber that never reads and writes a byte every 0.5 ms, so it
    # is in heald's batches; until heald drops it.  Again and again.
    end = time.monotonic() + 45
    while len(drops) < 12 and time.monotonic() < end:
        b = Client(path)
        r = b.request({"cmd": "events"})
        if not r or not r["ok"]:
            failed.append(r)
            return
        b.s.setblocking(False)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 15:
            try:
                b.s.send(b"\n")
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.0005)
        b.s.setblocking(True)
        if not b.closed_by_peer(5):
            failed.append("a lagging subscriber was not dropped in 20 s")
            return
        drops.append(1)
        b.close()

ts = [threading.Thread(target=lagger) for _ in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
stop = True
print("# lagging subscribers dropped by heald:", len(drops), failed)
sys.exit(0 if len(drops) >= 12 and not failed else 1)
PY
grep -c "too slow for events" "$SCRATCH/heald.log" | sed 's/^/# heald logged drops: /'
heald_done

#!/usr/bin/env bash
# Idle timeout: a connection of a user outside heald's group that sends no
# request for client_idle_timeout seconds is closed with an error, so
# idle connections cannot be hoarded; root's and the group's idle
# connections (healctl events --follow, healtop) stay.
. "$(dirname "$0")/common.sh"

heald_conf "client_idle_timeout = 1"
heald_start

cat > "$SCRATCH/idle.py" <<'PY'
import sys, time
sys.path.insert(0, sys.argv[2].rsplit("/", 1)[0])
from hclient import Client
path, want_closed = sys.argv[1], sys.argv[3] == "closed"
c = Client(path)
time.sleep(0.4)
r = c.request({"cmd": "status"})          # a request resets the clock
t0 = time.monotonic()
line = None
c.s.settimeout(3)
try:
    line = c.readline()
except OSError:
    pass
waited = time.monotonic() - t0
print("# after %.1f s idle: %s" % (waited, line.decode() if line else "nothing (open)"))
if want_closed:
    ok = line is not None and b"idle" in line and 0.6 < waited < 2.5 and c.readline() is None
else:
    ok = line is None and waited >= 2.9 and c.request({"cmd": "status"})["ok"]
sys.exit(0 if ok else 1)
PY
as_other "$PY" "$SCRATCH/idle.py" "$SOCK" "$HC" closed || fail "an idle unprivileged connection stayed"
as_reader "$PY" "$SCRATCH/idle.py" "$SOCK" "$HC" open || fail "the reader's idle connection was closed"
"$PY" "$SCRATCH/idle.py" "$SOCK" "$HC" open || fail "root's idle connection was closed"
heald_done

#!/usr/bin/env bash
# Per-uid connection limits: a user outside heald's group who opens 64
# idle connections must not lock root (or the group) out (issue 12: root
# got "too many clients").  Expected: that uid gets exactly
# max_clients_per_user (8) connections, the rest are refused with a clear
# error; a second such uid still gets its own 8; the group's reader and
# root (40 connections, more than any user may hold) all get in and are
# answered.
. "$(dirname "$0")/common.sh"

heald_conf "client_idle_timeout = 60"
heald_start

# Each connection asks for status: an accepted one is answered (permission
# denied outside the group), a refused one gets the refusal and EOF.
cat > "$SCRATCH/open.py" <<'PY'
import json, sys, time
sys.path.insert(0, sys.argv[2].rsplit("/", 1)[0])
from hclient import Client
path, n, hold = sys.argv[1], int(sys.argv[3]), float(sys.argv[4])
acc, ref, other = [], 0, []
for i in range(n):
    c = Client(path)
    r = c.request({"cmd": "status"})
    if r and "too many" in r.get("error", ""):
        ref += 1
        last_refusal = r["error"]
        c.close()
    elif r is not None:
        acc.append(c)
        other.append(r.get("error", "ok"))
    else:
        print("# connection", i, "closed without a word")
        sys.exit(1)
print(json.dumps({"accepted": len(acc), "refused": ref, "answers": sorted(set(other)),
                  "refusal": ref and last_refusal or ""}))
sys.stdout.flush()
time.sleep(hold)
PY
as_other "$PY" "$SCRATCH/open.py" "$SOCK" "$HC" 64 20 > "$SCRATCH/other" &
_pids+=("$!")
for ((i = 0; i < 100; i++)); do [ -s "$SCRATCH/other" ] && break; sleep 0.1; done
log "uid $OTHER_UID, 64 connections: $(cat "$SCRATCH/other")"
jq -e '.accepted == 8 and .refused == 56' "$SCRATCH/other" > /dev/null ||
	fail "uid $OTHER_UID should hold exactly 8 connections"
jq -e '.refusal | test("too many connections from uid 65533 \\(at most 8\\)")' "$SCRATCH/other" > /dev/null ||
	fail "no clear refusal"
jq -e '.answers == ["permission denied: reads are for root and the '"'$READER_GROUP'"' group"]' \
	"$SCRATCH/other" > /dev/null || fail "accepted connections not answered as expected"

r=$(as_other2 "$PY" "$SCRATCH/open.py" "$SOCK" "$HC" 10 0) || fail "second uid"
log "uid $OTHER2_UID, 10 connections: $r"
jq -e '.accepted == 8 and .refused == 2' <<< "$r" > /dev/null || fail "a second uid has its own limit"

r=$(as_reader "$PY" "$SCRATCH/open.py" "$SOCK" "$HC" 20 0) || fail "reader"
log "reader, 20 connections: $r"
jq -e '.accepted == 20 and .answers == ["ok"]' <<< "$r" > /dev/null || fail "the group's reader locked out"

r=$("$PY" "$SCRATCH/open.py" "$SOCK" "$HC" 40 0) || fail "root"
log "root, 40 connections: $r"
jq -e '.accepted == 40 and .answers == ["ok"]' <<< "$r" > /dev/null || fail "root locked out"
heald_done

#!/usr/bin/env bash
# `healctl journal --follow` never leaves a gap unsaid (issue 12): ids
# grow by one, so when heald could not deliver live entries to this
# follower (it drops what it has no memory for), the entries after them
# are preceded by a {"type":"gap"} line in --json and a line on stderr,
# and the exit status is 1.  Consecutive ids: no gap line, exit 0.  The
# host has no journal to damage on purpose, so healctl talks to a
# stand-in for heald that answers as heald's socket does.
. "$(dirname "$0")/common.sh"

export HEAL_SOCKET=$SCRATCH/fake.sock
cat > "$SCRATCH/fake.py" <<'PY'
import json, socket, sys, threading
live = [int(x) for x in sys.argv[2].split(",")]
entry = lambda n: {"id": n, "time": "2026-12-03T09:00:00Z", "type": "note", "msg": "entry %d" % n}
def serve(c):
    try:
        for line in c.makefile("rb"):
            cmd = json.loads(line).get("cmd")
            if cmd == "events":
                c.sendall(b'{"ok": true, "schema": 1}\n')
            elif cmd == "journal":
                r = {"ok": True, "schema": 1, "entries": [entry(1), entry(2)], "oldest": 1, "omitted": 0}
                c.sendall((json.dumps(r) + "\n").encode())
                for n in live:
                    c.sendall((json.dumps({"type": "journal", "entry": entry(n)}) + "\n").encode())
    except OSError:
        pass    # healctl went
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(8)
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
PY

stand_in() {	# stand_in LIVE-IDS: a stand-in heald sending those live entries
	rm -f "$HEAL_SOCKET"
	python3 "$SCRATCH/fake.py" "$HEAL_SOCKET" "$1" &
	_pids+=("$!")
	for ((i = 0; i < 50; i++)); do [ -S "$HEAL_SOCKET" ] && return 0; sleep 0.1; done
	fail "the stand-in heald did not start"
}

# Consecutive: 1 2 (the reply), 3 4 (live).
stand_in 3,4
rc=0
"$HEALCTL" journal --follow --json --count 4 --timeout 10 > "$SCRATCH/out" 2> "$SCRATCH/err" || rc=$?
[ "$rc" = 0 ] || fail "consecutive entries: exit $rc: $(cat "$SCRATCH/err")"
[ "$(jq -r .id "$SCRATCH/out" | tr '\n' ' ')" = "1 2 3 4 " ] || fail "ids: $(jq -c . "$SCRATCH/out")"
grep -q '"gap"' "$SCRATCH/out" && fail "a gap line without a gap"
kill "${_pids[-1]}"

# 3, then 6: 4 and 5 never came.
stand_in 3,6
rc=0
"$HEALCTL" journal --follow --json --count 4 --timeout 10 > "$SCRATCH/out" 2> "$SCRATCH/err" || rc=$?
sed 's/^/# out: /' "$SCRATCH/out"; sed 's/^/# err: /' "$SCRATCH/err"
[ "$rc" = 1 ] || fail "entries 4 and 5 missing: exit $rc, not 1"
gap=$(jq -c 'select(.type == "gap")' "$SCRATCH/out")
[ "$(jq -r '"\(.first) \(.last)"' <<< "$gap")" = "4 5" ] || fail "gap line: '$gap'"
[ "$(jq -r 'if .type == "gap" then "gap" else .id end' "$SCRATCH/out" | tr '\n' ' ')" = "1 2 3 gap 6 " ] ||
	fail "the gap line is not where the gap is"
grep -q "entries 4 to 5" "$SCRATCH/err" || fail "stderr does not say which entries"
echo "ok"

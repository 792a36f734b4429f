#!/usr/bin/env bash
# The operator's side of issue 12 on the host:
#  - `healctl journal --follow [--json]` prints the newest entries, then
#    each new one as heald writes it, once, until --count or --timeout;
#    a reader (group member) may follow, a stranger may not;
#  - `healctl status --test` tells health by its exit code: 0 ok,
#    2 an uplink down (critical), 3 heald not running;
#  - every JSON document heald writes carries "schema": 1 (replies,
#    events, journal entries).
. "$(dirname "$0")/common.sh"
HEALCTL=${HEALCTL:-$top/build/asan/bin/healctl}

GW=$NS-gw
netns_add "$NS"
netns_add "$GW"
heald_conf "routes = 10.203.9.0/24" "[uplink lte]" "interface = hlte0" "gateway = 10.203.0.1"
heald_start
ctl() { ip netns exec "$NS" "$HEALCTL" "$@"; }
wait_uplink down
ctl status --test > "$SCRATCH/st" 2>&1
rc=$?
if [ $rc != 2 ] || ! grep -q "^heald: node failed" "$SCRATCH/st"; then
	fail "status --test with an uplink down: exit $rc, not 2: $(cat "$SCRATCH/st")"
fi
log "uplink down: status --test exit $rc"

hc status | jq -e '.schema == 1' > /dev/null || fail "status reply without schema"
hc bogus | jq -e '.schema == 1 and .ok == false' > /dev/null || fail "error reply without schema"
hc journal | jq -e '[.entries[] | select(.type != "start") | .schema == 1] | all' > /dev/null ||
	fail "journal entries without schema"

# Followers: root with --json, the reader in text; both started before the changes.
before=$(hc journal | jq '.entries[-1].id')
ctl journal --follow --json --timeout 30 --count 12 > "$SCRATCH/fj" 2> "$SCRATCH/fj.err" &
fj=$!
as_reader "$HEALCTL" journal --follow --limit 1 --timeout 30 > "$SCRATCH/ft" 2> "$SCRATCH/ft.err" &
ft=$!
as_other "$HEALCTL" journal --follow --timeout 5 > /dev/null 2> "$SCRATCH/fo.err"
rc=$?
if [ $rc != 1 ] || ! grep -q "permission denied" "$SCRATCH/fo.err"; then
	fail "a stranger followed the journal: exit $rc, $(cat "$SCRATCH/fo.err")"
fi
sleep 1
ip link add hlte0 netns "$NS" type veth peer name hlte0p netns "$GW" || fail "veth"
ip -n "$GW" addr add 10.203.0.1/24 dev hlte0p
ip -n "$GW" link set hlte0p up
ip -n "$NS" addr add 10.203.0.2/24 dev hlte0
ip -n "$NS" link set hlte0 up
wait_uplink up
ctl status --test > "$SCRATCH/st" 2>&1
rc=$?
[ $rc = 0 ] || fail "status --test with everything up: exit $rc: $(cat "$SCRATCH/st")"
log "uplink up: status --test exit 0"
ip -n "$NS" link del hlte0
wait_uplink down
sleep 1
kill "$ft"; wait "$ft" 2>/dev/null
[ -s "$SCRATCH/ft.err" ] && fail "the reader's follow: $(cat "$SCRATCH/ft.err")"
head -1 "$SCRATCH/ft" | grep -q "start" || fail "the reader's follow did not start with the last entry"
grep -q "alarm.*lte" "$SCRATCH/ft" || fail "the reader's follow has no alarm: $(cat "$SCRATCH/ft")"
sed 's/^/# reader: /' "$SCRATCH/ft"

# Stopped once it has the journal's last entry: a kill right after heald
# wrote one may come before the follower printed it (seen under load).
after=$(hc journal | jq '.entries[-1].id')
for ((i = 0; i < 100; i++)); do
	jq -e --argjson a "$after" 'select(.id >= $a)' "$SCRATCH/fj" > /dev/null 2>&1 && break
	sleep 0.1
done
kill "$fj"; wait "$fj" 2>/dev/null
# The last 10 before it started, then every new one, once each, in order.
jq -s -e --argjson b "$before" --argjson a "$after" \
	'(map(.id) | . == (. | unique)) and (map(.id) | max) as $m | $m >= $a and
	 ([.[] | select(.id > $b)] | length) == ($m - $b) and all(.[]; .schema == 1)' \
	"$SCRATCH/fj" > /dev/null ||
	fail "root's --json follow (ids $before..$after): $(jq -c '[.id, .type]' "$SCRATCH/fj" | tr '\n' ' ')"
log "root followed $(wc -l < "$SCRATCH/fj") entries: $(jq -c '[.id, .type]' "$SCRATCH/fj" | tr '\n' ' ')"

# Events carry the schema too.
"$PY" - "$SOCK" "$HC" <<'PY' || fail "events without schema"
import sys
sys.path.insert(0, sys.argv[2].rsplit("/", 1)[0])
from hclient import Client
import json, subprocess
c = Client(sys.argv[1])
r = c.request({"cmd": "events"})
assert r["ok"] and r["schema"] == 1, r
PY
heald_done
kill "$HEALD_PID"; wait "$HEALD_PID" 2>/dev/null
ctl status --test > "$SCRATCH/st" 2>&1
rc=$?
[ $rc = 3 ] || fail "status --test without heald: exit $rc: $(cat "$SCRATCH/st")"
log "heald stopped: status --test exit 3: $(tr '\n' ' ' < "$SCRATCH/st")"

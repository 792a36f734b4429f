#!/usr/bin/env bash
# Reroutes are journaled right after the route change, not before it
# (issue 15 item 2): the crash cases.
# - heald killed -9 right after it moved the routes: started again, the
#   journal holds A's alarm, then the taken reroute decision (via B, with
#   route_changed) and its outcome, in order.
# - the routes are not where the journal last had them at start (heald
#   died between a route change and its record, or someone moved them
#   while it was stopped): heald journals where they are ("observed",
#   via) before anything else about them.
# The slow-disk measurement is tests/kmod/test_netjournal_01.sh (dm-delay
# needs the VM).
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

topology
heald_start "hold_down = 1"
sleep 1
[ "$(via)" = 10.201.1.1 ] || fail "the routes do not start on A: $(via)"

gw_kill_link
for ((i = 0; i < 300; i++)); do [ "$(via)" = 10.201.2.1 ] && break; sleep 0.01; done
[ "$(via)" = 10.201.2.1 ] || fail "the routes did not move to B"
kill -9 "$HEALD_PID"
wait "$HEALD_PID" 2>/dev/null
last=$(jq -s '[.[].id] | max // 0' "$SCRATCH/journal.jsonl")
heald_start "hold_down = 1"
sleep 1
[ "$(via)" = 10.201.2.1 ] || fail "after the restart the routes are not on B: $(via)"
journal_json > "$SCRATCH/j.json"
jq -e '
	([.[] | select(.type == "decision" and .action == "reroute" and .taken and .via == "B"
		and (.route_changed | type) == "string")] | last) as $d |
	($d != null) and ([.[] | select(.type == "alarm" and .resource == "A" and .id < $d.id)] | last) as $a |
	$a != null and $a.id == $d.id - 1 and
	any(.[]; .type == "outcome" and .ref == $d.id and .outcome == "done")' "$SCRATCH/j.json" > /dev/null || {
	jq -c '.[]' "$SCRATCH/j.json"
	fail "after kill -9 the journal lacks A's alarm, then the reroute to B and its outcome"
}
# Nothing to reconcile: the routes are where the journal had them.
jq -e '[.[] | select(.type == "observed")] | length == 0' "$SCRATCH/j.json" > /dev/null ||
	fail "an observed entry though the routes were where the journal had them"
log "killed -9 after the route change (last id $last), restarted: $(jq -c '[.[] |
	select(.type == "alarm" or .type == "decision" or .type == "outcome") | {id, type, resource, via}]' "$SCRATCH/j.json")"

# Stopped with the routes on B; they move to A while heald is away.
kill "$HEALD_PID"
wait "$HEALD_PID" 2>/dev/null
gw_heal_link
ip -n "$NODE" route replace default via 10.201.1.1 dev vA || fail "route replace"
heald_start "hold_down = 1"
journal_json > "$SCRATCH/j2.json"
jq -e '[.[] | select(.type == "observed" and .resource == "routes")] | last |
	.via == "A" and (.reason | test("at start the routes go through uplink A, not B"))' \
	"$SCRATCH/j2.json" > /dev/null || {
	jq -c '.[]' "$SCRATCH/j2.json"
	fail "heald did not journal that the routes are on A, not B as journaled"
}
sleep 2
[ "$(via)" = 10.201.1.1 ] || fail "the routes left A: $(via)"
exit 0

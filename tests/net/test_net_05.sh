#!/usr/bin/env bash
# A link storm overflows heald's rtnetlink socket (issue 12: heald logged
# "rtnetlink: Out of memory" and went on with a link table that no longer
# matched the kernel's).  While heald is stopped, thousands of veth links
# come and go in the node's namespace, then a link heald watches goes down:
# that event is lost with the overflow.  Once heald runs again it must have
# noticed the loss, re-read the tables, and show the link down, with none
# of the storm's links left behind and room to track a new link.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

topology
ip -n "$NODE" link add watched type veth peer name watchedp || fail "veth"
ip -n "$NODE" link set watched up && ip -n "$NODE" link set watchedp up
heald_start "hold_down = 2"
links() { "$HEALCTL" status --json | jq -c '[.heald.links[]? // empty | {name, up}]'; }
link_up() { "$HEALCTL" status --json | jq -r --arg n "$1" '.heald.links[]? | select(.name == $n) | .up'; }
[ "$(link_up watched)" = true ] || fail "heald does not see link 'watched' up: $(links)"

kill -STOP "$HEALD_PID"
n=1500
{
	for ((i = 0; i < n; i++)); do echo "link add storm$i type veth peer name stormp$i"; done
	for ((i = 0; i < n; i++)); do echo "link del storm$i"; done
} > "$SCRATCH/storm"
ip -n "$NODE" -batch "$SCRATCH/storm" || { kill -CONT "$HEALD_PID"; fail "ip -batch"; }
ip -n "$NODE" link set watched down
kill -CONT "$HEALD_PID"
log "$n veth pairs added and removed, then 'watched' set down, while heald was stopped"

for _ in $(seq 50); do
	[ "$(link_up watched)" = false ] && break
	sleep 0.1
done
grep -E "rtnetlink" "$SCRATCH/heald.log" | sed 's/^/# heald: /' | head -5
[ "$(link_up watched)" = false ] || fail "heald still has 'watched' up after the storm: $(links)"
left=$("$HEALCTL" status --json | jq '[.heald.links[]? | select(.name | startswith("storm"))] | length')
[ "$left" = 0 ] || fail "$left of the storm's links are still in heald's table"
ip -n "$NODE" link add late type veth peer name latep || fail "veth"
ip -n "$NODE" link set late up
for _ in $(seq 50); do
	[ "$(link_up late)" = true ] && break
	sleep 0.1
done
[ "$(link_up late)" = true ] || fail "a link made after the storm is not tracked: $(links)"
kill -0 "$HEALD_PID" || fail "heald died"
in_ns "$NODE" curl -s http://127.0.0.1:19579/metrics | grep -q "^heald_rtnetlink_resyncs_total [1-9]" ||
	fail "no resync counted in heald_rtnetlink_resyncs_total"
log "heald re-read the link table: 'watched' down, no storm link left, a new link tracked"

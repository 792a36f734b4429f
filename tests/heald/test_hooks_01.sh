#!/usr/bin/env bash
# Notification hooks (issue 12): every program of hooks_dir gets each
# journal entry as one JSON line on stdin (with "schema"), and
# HEAL_ENTRY_ID, HEAL_ENTRY_TYPE and HEAL_SCHEMA in its environment; a hook
# past hook_timeout is killed with every process it started, even one in a
# session of its own (setsid, a double fork); a program that
# root does not control (writable by others, owned by another user) or a
# hidden or backup file never runs, and heald says why; a hook's stderr
# stays out of heald's log but for its last line when it fails.  The entries come
# from an uplink whose interface goes away and comes back (a veth).
. "$(dirname "$0")/common.sh"

GW=$NS-gw
HOOKS=$SCRATCH/hooks.d
mkdir -m 755 "$HOOKS"
cat > "$HOOKS/10-record" <<SH
#!/bin/sh
# One file per run: runs may overlap.
cat > "$SCRATCH/got.\$HEAL_ENTRY_ID.\$\$"
echo "\$HEAL_ENTRY_ID \$HEAL_ENTRY_TYPE \$HEAL_SCHEMA" >> "$SCRATCH/env"
SH
cat > "$HOOKS/20-hang" <<SH
#!/bin/sh
# Hangs, with a grandchild: the deadline must take both.
sleep 300 &
echo "\$! \$\$" >> "$SCRATCH/hang.pids"
cat > /dev/null
sleep 300
SH
cat > "$HOOKS/25-escape" <<SH
#!/bin/sh
# A daemon of its own making: setsid leaves the hook's session and group,
# a double fork its parent.  The deadline must take it all the same.
cat > /dev/null
( setsid sh -c 'echo \$\$ >> "$SCRATCH/escape.pids"; exec sleep 300' < /dev/null > /dev/null 2>&1 & )
sleep 300
SH
cat > "$HOOKS/15-chatty" <<SH
#!/bin/sh
# Floods its stderr, then fails: only its last line reaches heald's log.
cat > /dev/null
i=0
while [ \$i -lt 2000 ]; do echo "chatter line \$i" >&2; i=\$((i + 1)); done
echo "the mail relay refused" >&2
exit 1
SH
for bad in 30-writable 40-notroot .hidden 50-backup~; do
	printf '#!/bin/sh\ntouch %s/ran.%s\n' "$SCRATCH" "$bad" > "$HOOKS/$bad"
done
chmod 755 "$HOOKS"/*
chmod 757 "$HOOKS/30-writable"
chown "$OTHER_UID" "$HOOKS/40-notroot"
chmod 755 "$HOOKS/.hidden"

netns_add "$NS"
netns_add "$GW"
heald_conf "hooks_dir = $HOOKS" "hook_timeout = 1" "routes = 10.203.9.0/24" \
	"[uplink lte]" "interface = hlte0" "gateway = 10.203.0.1"
heald_start
plug() {
	ip link add hlte0 netns "$NS" type veth peer name hlte0p netns "$GW" || fail "veth"
	ip -n "$GW" addr add 10.203.0.1/24 dev hlte0p
	ip -n "$GW" link set hlte0p up
	ip -n "$NS" addr add 10.203.0.2/24 dev hlte0
	ip -n "$NS" link set hlte0 up
}
wait_uplink down
plug
wait_uplink up
ip -n "$NS" link del hlte0
wait_uplink down
sleep 0.5	# the last entries journaled

# The entries heald journaled since it started (its "start" is its own).
mapfile -t ids < <(hc journal | jq -r '.entries[] | select(.type != "start") | .id')
[ "${#ids[@]}" -ge 3 ] || fail "only ${#ids[@]} entries journaled"
log "entries ${ids[*]}"
# Each hook takes the entries one at a time: 20-hang and 25-escape 1 s each.
for _ in $(seq 300); do
	[ "$(grep -c "hook $HOOKS/20-hang.*killed at its deadline" "$SCRATCH/heald.log")" -ge "${#ids[@]}" ] &&
		[ "$(grep -c "hook $HOOKS/25-escape.*killed at its deadline" "$SCRATCH/heald.log")" -ge "${#ids[@]}" ] &&
		break
	sleep 0.1
done
sleep 0.5	# the other hooks' last runs
for id in "${ids[@]}"; do
	f=$(ls "$SCRATCH"/got."$id".* 2>/dev/null)
	[ "$(echo "$f" | wc -w)" = 1 ] || fail "entry $id reached 10-record $(echo "$f" | wc -w) times"
	[ "$(wc -l < "$f")" = 1 ] || fail "entry $id: not one line on stdin"
	jq -e --argjson id "$id" '.id == $id and .schema == 1 and (.type | type) == "string"' "$f" \
		> /dev/null || fail "entry $id on stdin: $(cat "$f")"
	want=$(hc why id="$id" | jq -r '.entry.type')
	grep -qx "$id $want 1" "$SCRATCH/env" || fail "entry $id: environment $(grep "^$id " "$SCRATCH/env")"
done
log "10-record got each entry once, as one JSON line with its schema; env: $(head -1 "$SCRATCH/env")"

# 15-chatty: its failure with its last stderr line, none of its chatter.
grep -q "hook $HOOKS/15-chatty: exit 1: the mail relay refused on entry" "$SCRATCH/heald.log" ||
	fail "15-chatty's failure is not logged with its last line"
grep -q "chatter line" "$SCRATCH/heald.log" && fail "a hook's stderr reached heald's own log"
# 20-hang: killed at its deadline each time, its grandchild with it.
n=$(grep -c "hook $HOOKS/20-hang.*killed at its deadline" "$SCRATCH/heald.log")
[ "$n" -ge "${#ids[@]}" ] || fail "20-hang killed $n times for ${#ids[@]} entries"
while read -r grandchild hook; do
	for p in $grandchild $hook; do
		[ -d "/proc/$p" ] && grep -q sleep "/proc/$p/cmdline" 2>/dev/null &&
			fail "pid $p of 20-hang outlived its deadline"
	done
done < "$SCRATCH/hang.pids"
log "20-hang killed $n times, grandchildren too"
n=0
while read -r p; do
	n=$((n + 1))
	[ -d "/proc/$p" ] && grep -q sleep "/proc/$p/cmdline" 2>/dev/null &&
		fail "pid $p, which 25-escape started in a session of its own, outlived its deadline"
done < "$SCRATCH/escape.pids"
[ "$n" -ge "${#ids[@]}" ] || fail "25-escape ran $n times for ${#ids[@]} entries"
log "25-escape's $n daemons (setsid, double fork) killed at its deadline"

for bad in 30-writable 40-notroot .hidden 50-backup~; do
	[ -e "$SCRATCH/ran.$bad" ] && fail "$bad ran"
done
grep -q "30-writable is writable by group or others: not run" "$SCRATCH/heald.log" ||
	fail "no word of 30-writable"
grep -q "40-notroot is not owned by root: not run" "$SCRATCH/heald.log" || fail "no word of 40-notroot"
[ "$(grep -c "30-writable is writable" "$SCRATCH/heald.log")" = 1 ] || fail "30-writable said more than once"
log "$(grep -m2 "not run" "$SCRATCH/heald.log" | tr '\n' ';')"

# A directory others may write to: nothing in it runs.
chmod 777 "$HOOKS"
rm -f "$SCRATCH"/got.*
plug
wait_uplink up
sleep 2
ls "$SCRATCH"/got.* > /dev/null 2>&1 && fail "a hook ran from a directory others may write to"
grep -q "hooks: $HOOKS is writable by group or others: none of its programs run" "$SCRATCH/heald.log" ||
	fail "no word of the directory"
m=$(ip netns exec "$NS" curl -sf "http://127.0.0.1:$METRICS_PORT/metrics")
echo "$m" | grep -E '^heald_hook_(runs|timeouts|failures)_total' | sed 's/^/# /'
echo "$m" | grep -Eq '^heald_hook_timeouts_total [1-9]' || fail "metrics: no timeouts counted"
heald_done

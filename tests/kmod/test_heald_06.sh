#!/usr/bin/env bash
# Scheduled scrub (issue 12): with scrub_interval (days; 0.0002 = 17.3 s
# here) heald scrubs each array at its own slot on the wall clock (an
# offset from its UUID), journals the decision and the scrub's end (what
# it repaired), shows it in status and metrics, keeps the schedule across
# a restart (from the journal), and lets a due scrub wait while the array
# is degraded or syncing (journaled once), starting it when that passes.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 64; l0=$LOOP
make_loop 64; l1=$LOOP
make_healblk "$l0" "$l1"; dev=$HB
head -c 16M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
# A block that differs on leg 1: the scrub finds and repairs it.
dd if=/dev/urandom of="$l1" bs=4096 seek=$((META / 8 + 100)) count=1 oflag=direct conv=notrunc \
	status=none || fail "plant"

conf=("scrub_interval = 0.0002")
heald_start "${conf[@]}"
sched='.type == "decision" and .action == "scrub" and .by == "schedule"'
journal_wait "$sched" 60
id=$(echo "$JOURNAL_HIT" | jq .id)
echo "$JOURNAL_HIT" | jq -e --arg u "$(dev_field "$dev" uuid)" \
	'.taken == true and .uuid == $u and .evidence.interval_days == 0.0002 and (.evidence.due | test("Z$"))' \
	> /dev/null || fail "decision: $JOURNAL_HIT"
log "decision $id: $(echo "$JOURNAL_HIT" | jq -r .reason)"
journal_wait ".type == \"scrub\" and .ref == $id" 60
echo "$JOURNAL_HIT" | jq -e '.result == "done" and .mismatches == 1 and .repaired == 1' > /dev/null ||
	fail "the scrub's end: $JOURNAL_HIT"
log "its end: $(echo "$JOURNAL_HIT" | jq -c '{result, mismatches, repaired}')"
check_legs_identical "/dev/$dev" "$l0" "$l1"
st=$("$HEALCTL" status --json | jq -c '.heald.devices[0].scrub')
echo "$st" | jq -e '.last_result == "done" and .next > .last_end' > /dev/null || fail "status: $st"
m=$(curl -sf "http://127.0.0.1:$HEALD_PORT/metrics") || fail "no metrics"
echo "$m" | grep -qx "heal_scrub_last_result{device=\"$dev\",result=\"done\"} 1" || fail "metrics: result"
echo "$m" | grep -Eq "^heal_scrub_last_end_timestamp_seconds\{device=\"$dev\"\} 1[0-9]{9}$" ||
	fail "metrics: last end"
echo "$m" | grep -E "^heal_scrub_(next|last_end)" | sed 's/^/# /'

# Restarted, heald knows the last scrub from the journal (a new heald
# would show none; the schedule itself is unit-tested).
# The schedule goes on (a scrub every 17 s): the new heald may end one of
# its own before the journal is read again, so its last end is the old
# heald's last or a later one, never older and never none.
# The old heald's last end is read just before it stops: one it ends in
# between is later, which the check allows too.
ends='[.[] | select(.type == "scrub" and .result != "paused") | .time[0:19] + "Z"]'
end=$(journal_json | jq -r "${ends}[-1] // empty")
[ -n "$end" ] || fail "no scrub end in the journal"
kill -TERM "$HEALD_PID"; wait "$HEALD_PID"
heald_start "${conf[@]}"
st2=$("$HEALCTL" status --json | jq -c '.heald.devices[0].scrub')
if ! journal_json | jq -e --argjson s "$st2" --arg e "$end" \
	"$ends | map(select(. >= \$e)) | index(\$s.last_end) != null" > /dev/null ||
	! echo "$st2" | jq -e '.last_result != null and .next > .last_end' > /dev/null; then
	fail "after a restart: $st2 (the old heald's last end: $end)"
fi
log "after a restart: last scrub $end, next $(echo "$st2" | jq -r .next)"

# Degraded: the due scrub waits, journaled once; status --test says 1.
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg"
journal_wait '.type == "scrub" and .result == "paused"' 90
log "$(echo "$JOURNAL_HIT" | jq -r .reason)"
"$HEALCTL" status --test > /dev/null
rc=$?
[ $rc = 1 ] || fail "status --test of a degraded mirror: exit $rc, not 1"
scheds() { journal_json | jq "[.[] | select($sched)] | length"; }
n0=$(scheds)
last=$(journal_json | jq '.[-1].id')
sleep 20	# past another slot: still one wait in the journal, no scrub
n=$(journal_json | jq "[.[] | select(.type == \"scrub\" and .result == \"paused\")] | length")
[ "$n" = 1 ] || fail "$n waits journaled"
[ "$(scheds)" = "$n0" ] || fail "a scrub started on a degraded array"
# Whole again: the scrub that waited starts.
"$HEALCTL" rebuild "$dev" 1 || fail "rebuild"
journal_wait "$sched and .id > $last" 120
log "whole again: decision $(echo "$JOURNAL_HIT" | jq .id) started the scrub that waited"
"$HEALCTL" status --test > /dev/null || fail "status --test of a whole mirror: exit $?"
exit "$ksft_pass"

#!/usr/bin/env bash
# heald killed with SIGKILL in the middle of a rebuild it started, and
# started again: it finds the decision in its journal, follows the rebuild
# the kernel kept running, and journals its end.  No entry is lost: the
# journal after is the journal before plus new entries, ids without gaps.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 128; l0=$LOOP
make_loop 128; l1=$LOOP
make_loop 128; s0=$LOOP
make_dm_linear heal-hd3 "$l1"; m1=$DM
make_healblk "$l0" "$m1"; dev=$HB
"$HEALCTL" set "$dev" --fail-errors 0 --sync-min 4096 --sync-max 4096 || fail "set"
"$HEALCTL" spare add "$dev" "$s0" || fail "spare add"
head -c 64M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
want=$(sha256sum < "$SCRATCH/data" | cut -d' ' -f1)

heald_start "serd_n = 3" "serd_t = 60" "cooldown = 0"
dm_swap_error heal-hd3 "$l1" $((META + 16384)) 4096
write_blocks "/dev/$dev" 16384 5 "$SCRATCH/data"
journal_wait '.type == "outcome" and .outcome == "rebuild started"' 20
id=$(echo "$JOURNAL_HIT" | jq .ref)
[ "$(dev_field "$dev" 'sync.status')" = running ] || fail "no rebuild running"
cp "$SCRATCH/journal.jsonl" "$SCRATCH/before.jsonl"
kill -KILL "$HEALD_PID"
wait "$HEALD_PID" 2>/dev/null
log "heald killed at $(dev_field "$dev" 'sync.pos') of $(dev_field "$dev" 'sync.sectors') sectors"
[ "$(dev_field "$dev" 'sync.status')" = running ] || fail "the rebuild ended too soon to test"

heald_start "serd_n = 3" "serd_t = 60" "cooldown = 0"
journal_wait "(.type == \"resume\" and .ref == $id)" 10
journal_wait "(.type == \"outcome\" and .ref == $id and .outcome == \"rebuild done\")" 120
n=$(wc -l < "$SCRATCH/before.jsonl")
head -n "$n" "$SCRATCH/journal.jsonl" | cmp -s - "$SCRATCH/before.jsonl" ||
	fail "the journal before the kill is not kept whole"
jq -se '[.[].id] == [range(1; length + 1)]' "$SCRATCH/journal.jsonl" > /dev/null ||
	fail "journal ids have gaps: $(jq -c .id "$SCRATCH/journal.jsonl" | tr '\n' ' ')"
# Not decided twice: one replace-leg, its rebuild once.
[ "$(jq -s '[.[] | select(.type == "decision")] | length' "$SCRATCH/journal.jsonl")" = 1 ] ||
	fail "decided again after the restart"
[ "$(leg_field "$dev" 1 state)" = in_sync ] || fail "leg 1 not in sync"
[ "$(sum_range "/dev/$dev" 0 131072)" = "$want" ] || fail "data differs"
check_legs_identical "/dev/$dev" "$l0" "$s0"
exit "$ksft_pass"

#!/usr/bin/env bash
# What a catch-up from the bitmap must not trust (review of the re-add
# change, 2026-12-02):
#   1. A write that failed on leg 1 while leg 0 took it leaves a bad range
#      on leg 1, which stays in sync.  The region's bit must stay set while
#      the range is there: the table keeps no ranges for a leg out of the
#      mirror, so a leg that left later and came back would be caught up
#      without that region and serve its stale copy.
#   2. A disk that ran apart (assembled alone without the other leg, and
#      written) is refused by re-add: a split brain, as assembly judges it.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 72; l0=$LOOP
make_loop 72; raw1=$LOOP
make_dm_linear heal-cu2 "$raw1"; l1=$DM
make_healblk "$l0" "$l1"; dev=$HB
region=$(dev_field "$dev" bitmap_sectors)
"$HEALCTL" set "$dev" --fail-errors 0 || fail "set --fail-errors 0"
head -c 64M /dev/urandom > "$SCRATCH/model"
dd if="$SCRATCH/model" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write 64 MiB"

bitmap_quiet() {	# bitmap_quiet N: at most N regions dirty within 30 s
	local i
	for ((i = 0; i < 60; i++)); do
		[ "$(dev_field "$dev" bitmap_dirty)" -le "$1" ] && return 0
		sleep 0.5
	done
	fail "$(dev_field "$dev" bitmap_dirty) regions dirty 30 s after the writes, not at most $1"
}
bitmap_quiet 0

# 1. Region 9 fails on leg 1 only: a bad range there, leg 1 still in sync.
r=9
dm_swap_error heal-cu2 "$raw1" $((META + r * region)) "$region"
head -c 64k /dev/urandom > "$SCRATCH/chunk"
dd if="$SCRATCH/chunk" of="$SCRATCH/model" bs=64k seek=$((r * region * 512 / 65536)) \
	conv=notrunc status=none || fail "model write"
dd if="$SCRATCH/chunk" of="/dev/$dev" bs=64k seek=$((r * region * 512 / 65536)) oflag=direct \
	status=none || fail "the write failed although leg 0 took it"
dm_swap_linear heal-cu2 "$raw1"
[ "$(leg_field "$dev" 1 state)" = in_sync ] || fail "leg 1 left on one write error"
[ "$(leg_field "$dev" 1 bad_ranges)" -gt 0 ] || fail "no bad range on leg 1"
sleep 12	# two sweeps: an idle region's bit would go clean
[ "$(dev_field "$dev" bitmap_dirty)" = 1 ] ||
	fail "$(dev_field "$dev" bitmap_dirty) regions dirty with a bad range on leg 1 in region $r, not 1"
log "region $r keeps its bit while leg 1 holds a bad range there"
# Leg 1 leaves, the device stops and comes back: its ranges are gone with
# it, the bit is what names region r.
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg"
destroy_healblk "$dev"
HB=$("$HEALCTL" assemble "$l0" "$l1") || fail "assemble"
dev=$HB; _healblk+=("$dev")
events_start 600
"$HEALCTL" re-add "$dev" "$l1" || fail "re-add"
events_wait "sync dev=[0-9]+ kind=rebuild status=done" 240
copied=$(dev_field "$dev" sync.copied)
log "leg 1 caught up: $copied sectors copied"
[ "$copied" -ge "$region" ] || fail "region $r not copied ($copied sectors)"
[ "$(sum_range "/dev/$dev" 0 $((64 << 11)))" = "$(sha256sum < "$SCRATCH/model" | cut -d' ' -f1)" ] ||
	fail "/dev/$dev differs from the model"
check_legs_identical "/dev/$dev" "$l0" "$l1"

# 2. Split brain: leg 1 runs alone and is written; leg 0 runs alone, is
# written, and is stopped and started again (its counter goes past leg
# 1's); leg 1 is then given back to it.
destroy_healblk "$dev"
HB=$("$HEALCTL" assemble --run "$l1") || fail "assemble --run leg 1 alone"
dd if=/dev/urandom of="/dev/$HB" bs=64k count=1 seek=100 oflag=direct status=none || fail write
"$HEALCTL" destroy "$HB" || fail "destroy"
for i in 1 2 3; do
	HB=$("$HEALCTL" assemble --run "$l0") || fail "assemble --run leg 0 alone ($i)"
	dd if=/dev/urandom of="/dev/$HB" bs=64k count=1 seek=200 oflag=direct status=none || fail write
	[ "$i" = 3 ] || "$HEALCTL" destroy "$HB" || fail "destroy"
done
dev=$HB; _healblk+=("$dev")
log "events: leg 0 $(dev_field "$dev" events), leg 1 $("$HEALCTL" examine "$l1" --json | jq -r '.events // empty')"
if "$HEALCTL" re-add "$dev" "$l1" 2> "$SCRATCH/err"; then
	fail "a leg that ran apart was re-added"
fi
grep -q "split brain" "$SCRATCH/err" || fail "refused, but not as a split brain: $(cat "$SCRATCH/err")"
log "refused: $(cat "$SCRATCH/err")"
[ "$(leg_field "$dev" 1 state)" = missing ] || fail "leg 1 is $(leg_field "$dev" 1 state)"
exit "$ksft_pass"

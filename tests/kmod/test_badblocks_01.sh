#!/usr/bin/env bash
# The bad-block table is persistent: a range recorded bad on a leg after a
# write error is still bad after the device is stopped and assembled again
# (its stale data never served), and a later write over it that reads back
# intact clears it, which also survives assembly.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 64; l0=$LOOP
make_loop 64; l1=$LOOP
make_dm_linear heal-bbt1 "$l1"; m1=$DM
make_healblk "$l0" "$m1"; dev=$HB
"$HEALCTL" set "$dev" --fail-errors 0 || fail "set --fail-errors 0"

head -c 16M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write old"
# Leg 1 fails 1 MiB at data sector 8192 while new data goes there.
dm_swap_error heal-bbt1 "$l1" $((META + 8192)) 2048
head -c 1M /dev/urandom > "$SCRATCH/new"
dd if="$SCRATCH/new" of="$SCRATCH/data" bs=1M seek=4 conv=notrunc status=none
dd if="$SCRATCH/new" of="/dev/$dev" bs=64k seek=$((8192 * 512)) oflag=direct,seek_bytes \
	status=none || fail "the write failed although leg 0 took it"
want=$(sha256sum < "$SCRATCH/data" | cut -d' ' -f1)
ranges=$(leg_field "$dev" 1 bad_ranges)
[ "$ranges" -gt 0 ] || fail "no bad range on leg 1"
dm_swap_linear heal-bbt1 "$l1"	# the disk is fine again; its copy is stale
destroy_healblk "$dev"

assemble() {
	HB=$("$HEALCTL" assemble "$l0" "$m1") || fail "assemble"
	dev=$HB; _healblk+=("$dev")
	udevadm settle 2>/dev/null
}
assemble
[ "$(leg_field "$dev" 1 bad_ranges)" = "$ranges" ] ||
	fail "after assembly leg 1 has $(leg_field "$dev" 1 bad_ranges) bad ranges, not $ranges"
[ "$(leg_field "$dev" 1 state)" = in_sync ] || fail "leg 1 is not in sync"
for i in 1 2 3; do
	[ "$(sum_range "/dev/$dev" 0 32768)" = "$want" ] || fail "stale data served after assembly ($i)"
done
log "$ranges bad ranges on leg 1 survived assembly; its stale copy is never read"

# A write over the range that reads back intact clears it.
dd if="/dev/$dev" of="$SCRATCH/range" bs=1M skip=4 count=1 iflag=direct status=none
dd if="$SCRATCH/range" of="/dev/$dev" bs=1M seek=4 count=1 oflag=direct status=none ||
	fail "rewrite"
[ "$(leg_field "$dev" 1 bad_ranges)" = 0 ] || fail "a verified write did not clear the range"
check_legs_identical "/dev/$dev" "$l0" "$m1"
destroy_healblk "$dev"
assemble
[ "$(leg_field "$dev" 1 bad_ranges)" = 0 ] || fail "the cleared range came back after assembly"
[ "$(sum_range "/dev/$dev" 0 32768)" = "$want" ] || fail "data differs"
exit "$ksft_pass"

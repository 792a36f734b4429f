#!/usr/bin/env bash
# One leg, no other copy: blocks a write fails on are remapped into the
# spare area at the end of the leg (dm-error under it as the independent
# fault), read back from there, and the remap table survives assembly.
# When the spare area runs out the write fails, the device says it is
# failing, and what was remapped still reads back.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 48; l=$LOOP
make_dm_linear heal-rm0 "$l"; m=$DM
make_healblk "$m"; dev=$HB
blocks=$(dev_field "$dev" remap_blocks)
[ "$blocks" = 505 ] || fail "spare area of $blocks blocks"
[ "$(blockdev --getsz "/dev/$dev")" = $((48 * 2048 - META - 505 * 8)) ] ||
	fail "size $(blockdev --getsz "/dev/$dev") does not leave the spare area"

head -c 16M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail write
events_start 120
# 32 KiB at data sector 4096 go bad on the disk, then are written.
dm_swap_error heal-rm0 "$l" $((META + 4096)) 64
head -c 32K /dev/urandom > "$SCRATCH/new"
dd if="$SCRATCH/new" of="$SCRATCH/data" bs=512 seek=4096 conv=notrunc status=none
dd if="$SCRATCH/new" of="/dev/$dev" bs=32k seek=$((4096 * 512)) oflag=direct,seek_bytes \
	status=none || fail "the write over bad blocks failed instead of being remapped"
want=$(sha256sum < "$SCRATCH/data" | cut -d' ' -f1)
events_wait "remap dev=[0-9]+ leg=0 sector=4096 sectors=64 errno=0 used=8 blocks=505"
[ "$(dev_field "$dev" remap_used)" = 8 ] || fail "remap_used $(dev_field "$dev" remap_used)"
[ "$(sum_range "/dev/$dev" 0 32768)" = "$want" ] || fail "remapped data does not read back"
log "8 blocks remapped; the bad range reads back from the spare area"

destroy_healblk "$dev"
HB=$("$HEALCTL" assemble "$m") || fail "assemble"
dev=$HB; _healblk+=("$dev")
udevadm settle 2>/dev/null
[ "$(dev_field "$dev" remap_used)" = 8 ] || fail "remap table lost at assembly"
[ "$(sum_range "/dev/$dev" 0 32768)" = "$want" ] || fail "data differs after assembly"
[ "$(dev_field "$dev" state)" = optimal ] || fail "state $(dev_field "$dev" state)"

# 4 MiB more go bad and are written: 1024 blocks, more than the 497 left.
dm_swap_error heal-rm0 "$l" $((META + 40960)) 8192
dd if=/dev/urandom of="/dev/$dev" bs=64k count=64 seek=$((40960 * 512)) \
	oflag=direct,seek_bytes status=none 2>/dev/null && fail "writes past the spare area succeeded"
events_wait "remap dev=[0-9]+ leg=0 .* errno=28 " 20
[ "$(dev_field "$dev" state)" = failing ] || fail "a full spare area does not show: $(dev_field "$dev" state)"
used=$(dev_field "$dev" remap_used)
{ [ "$used" -le 505 ] && [ "$used" -gt 8 ]; } || fail "remap_used $used"
[ "$(sum_range "/dev/$dev" 0 32768)" = "$want" ] || fail "earlier data lost when the area filled"
log "spare area full at $used of 505 blocks: device failing, earlier data intact"
exit "$ksft_pass"

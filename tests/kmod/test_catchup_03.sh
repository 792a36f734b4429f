#!/usr/bin/env bash
# An older copy of a leg is not the leg as it left (md's events_cleared;
# issue 11, "Also").  A snapshot or clone of leg 1 taken while it was in
# sync says "leg 1 of this device, in sync" as the leg itself does; but
# the writes made after it were on the legs, their bits went clean, and
# the bitmap no longer names them.  Caught up from the bitmap it would
# serve those blocks as they were before.  Such a copy must be rebuilt
# whole, by either way back:
#   1. given at assembly to a device that ran without its slot (a late
#      disk at boot, the path udev's incremental assembly takes);
#   2. re-added while the device runs, its slot failed.
# The leg as it left is still caught up (test_catchup_01).  After each:
# every sector copied, the legs identical, the data the model's (sha256).
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 72; l0=$LOOP
make_loop 72; l1=$LOOP
make_healblk "$l0" "$l1"; dev=$HB
region=$(dev_field "$dev" bitmap_sectors)
sectors=$(blockdev --getsz "/dev/$dev")
head -c 64M /dev/urandom > "$SCRATCH/model"
dd if="$SCRATCH/model" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write 64 MiB"

# 8 KiB of new data into region $1, in the model and in the device.
write_region() {
	local off=$(($1 * region * 512 + 4096))
	head -c 8192 /dev/urandom > "$SCRATCH/chunk"
	dd if="$SCRATCH/chunk" of="$SCRATCH/model" bs=4k seek=$((off / 4096)) conv=notrunc \
		status=none || fail "model write"
	dd if="$SCRATCH/chunk" of="/dev/$dev" bs=4k seek=$((off / 4096)) oflag=direct \
		status=none || fail "write region $1"
}

# A copy of leg $1 as it is now, onto a new loop device ($LOOP).  The
# device is idle and its bitmap clean: what the leg holds is on it.
copy_leg() {
	make_loop 72
	dd if="$1" of="$LOOP" bs=1M iflag=direct oflag=direct status=none ||
		fail "copy $1 to $LOOP"
}

# The rebuild of leg 1 onto $1 ends having copied every sector, and the
# legs and the model agree.
rebuilt_whole() {	# rebuilt_whole WHAT LEG1
	local copied i n
	for ((i = 0; i < 2400; i++)); do
		n=$(grep -Ec "sync dev=[0-9]+ kind=rebuild status=done" "$SCRATCH/events")
		[ "$n" -gt "$done_seen" ] && break
		sleep 0.1
	done
	[ "$n" -gt "$done_seen" ] || { cat "$SCRATCH/events"; fail "$1: no rebuild ended in 240 s"; }
	done_seen=$n
	copied=$(dev_field "$dev" sync.copied)
	log "$1: $copied of $sectors sectors copied; events $(dev_field "$dev" events)"
	[ "$copied" = "$sectors" ] ||
		fail "$1: caught up from the bitmap ($copied of $sectors sectors), which no longer names the writes it missed"
	[ "$(leg_field "$dev" 1 state)" = in_sync ] || fail "$1: leg 1 not in sync"
	[ "$(sum_range "/dev/$dev" 0 $((64 << 11)))" = "$(sha256sum < "$SCRATCH/model" | cut -d' ' -f1)" ] ||
		fail "$1: /dev/$dev differs from the model"
	check_legs_identical "/dev/$dev" "$l0" "$2"
}

done_seen=0
events_start 900
bitmap_clean "$dev"
# 1. A copy of leg 1; then a write (its bit goes clean), a degraded start
# without leg 1, a write, and the copy given at assembly.
copy_leg "$l1"; old=$LOOP
copied_at=$("$HEALCTL" examine "$old" --json | jq -r .events)
log "copy of leg 1 taken at events $copied_at"
write_region 20
bitmap_clean "$dev"
# The sweep wrote a superblock before it cleared region 20's bit: the
# copy is behind it already, before any stop or assembly.
[ "$(dev_field "$dev" events)" -gt "$copied_at" ] ||
	fail "region 20's bit went clean with no superblock after the copy (events $(dev_field "$dev" events))"
destroy_healblk "$dev"
HB=$("$HEALCTL" assemble --run "$l0") || fail "assemble --run with leg 0 alone"
dev=$HB; _healblk+=("$dev")
write_region 30
destroy_healblk "$dev"
HB=$("$HEALCTL" assemble "$l0" "$old") || fail "assemble with the copy as leg 1"
dev=$HB; _healblk+=("$dev")
rebuilt_whole "an older copy given at assembly" "$old"
bitmap_clean "$dev"

# 2. A copy of leg 1 (the first copy, in sync now); a write (its bit goes
# clean); leg 1 fails; a write; the copy re-added into the failed slot.
copy_leg "$old"; old2=$LOOP
write_region 40
bitmap_clean "$dev"
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg"
write_region 50
"$HEALCTL" re-add "$dev" "$old2" || fail "re-add of the copy"
rebuilt_whole "an older copy re-added" "$old2"
exit "$ksft_pass"

#!/usr/bin/env bash
# A leg that comes back is caught up from the write-intent bitmap, not
# rebuilt whole (md's --re-add with a bitmap; issue 11, "Also"; issue 14's
# late leg at boot).  While a leg is out the bitmap keeps the bits of every
# write it missed (md keeps them while degraded): the sweep that cleans idle
# regions holds off, and a clean stop leaves them on disk.  Coming back,
# only those regions are copied to it:
#   1. failed by the operator, written, its disk re-added (in place);
#   2. failed, written, the device stopped, assembled with it, re-added;
#   3. left out of a degraded assembly, written, the device stopped, then
#      assembled with it: caught up by itself;
#   4. `healctl rebuild` copies everything (the disk is not trusted);
#   5. left out of a degraded start, written, given back while the device
#      runs (`healctl re-add`, what udev's incremental assembly does with a
#      disk late at boot): into its slot, caught up;
#   6. re-add refused for a disk that is not the slot's leg.
# After each: the legs identical, the data the model's (sha256), the bitmap
# clean again once every leg is in sync.
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

model_holds() {	# model_holds WHAT
	[ "$(sum_range "/dev/$dev" 0 $((64 << 11)))" = "$(sha256sum < "$SCRATCH/model" | cut -d' ' -f1)" ] ||
		fail "$1: /dev/$dev differs from the model"
	check_legs_identical "/dev/$dev" "$l0" "$l1"
}

# One more rebuild's end than $done_seen in the events.
rebuild_done() {
	local i n
	for ((i = 0; i < 2400; i++)); do
		n=$(grep -Ec "sync dev=[0-9]+ kind=rebuild status=done" "$SCRATCH/events")
		[ "$n" -gt "$done_seen" ] && { done_seen=$n; return 0; }
		sleep 0.1
	done
	cat "$SCRATCH/events"
	fail "no rebuild ended in 240 s"
}
done_seen=0

# Waits for the leg's rebuild to end and checks that it copied exactly
# the regions the bitmap held ($2 of them).
caught_up() {	# caught_up WHAT REGIONS
	local st copied
	rebuild_done
	st=$("$HEALCTL" status "$dev" --json | jq -c '.devices[0].sync')
	copied=$(jq -r .copied <<< "$st")
	log "$1: $copied sectors copied ($2 regions of $region held), $st"
	[ "$copied" = $(($2 * region)) ] ||
		fail "$1: $copied sectors copied, not the $2 regions the bitmap held"
	[ "$(leg_field "$dev" 1 state)" = in_sync ] || fail "$1: leg 1 not in sync"
	model_holds "$1"
}

bitmap_clean "$dev"
# 1. Failed by the operator (a cable pulled and back, a USB reset).
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg"
for r in 2 17 40; do write_region $r; done
sleep 12	# two sweeps: an idle region's bit would go clean in them
held=$(dev_field "$dev" bitmap_dirty)
[ "$held" = 3 ] || fail "$held regions held in the bitmap while leg 1 was out, not the 3 written"
events_start 900
"$HEALCTL" re-add "$dev" "$l1" || fail "re-add in place"
caught_up "failed and re-added in place" 3
bitmap_clean "$dev"

# 2. Failed, written, stopped; assembled with it (it stays failed), rebuilt.
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg"
for r in 5 33; do write_region $r; done
destroy_healblk "$dev"
HB=$("$HEALCTL" assemble "$l0" "$l1") || fail "assemble"
dev=$HB; _healblk+=("$dev")
[ "$(leg_field "$dev" 1 state)" = failed ] || fail "leg 1 came back $(leg_field "$dev" 1 state)"
"$HEALCTL" re-add "$dev" "$l1" || fail "re-add after assembly"
caught_up "failed, stopped, assembled, re-added" 2
bitmap_clean "$dev"

# 3. Left out of a degraded start (a late disk at boot), then given.
destroy_healblk "$dev"
HB=$("$HEALCTL" assemble --run "$l0") || fail "assemble --run with leg 0 alone"
dev=$HB; _healblk+=("$dev")
write_region 60
sleep 12
[ "$(dev_field "$dev" bitmap_dirty)" = 1 ] || fail "the bitmap did not hold the write of a degraded start"
destroy_healblk "$dev"
HB=$("$HEALCTL" assemble "$l0" "$l1") || fail "assemble with the late leg"
dev=$HB; _healblk+=("$dev")
caught_up "left out of a degraded start, then given" 1
bitmap_clean "$dev"

# 4. rebuild: everything, whatever the bitmap holds.
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg"
write_region 7
"$HEALCTL" rebuild "$dev" 1 || fail "rebuild"
rebuild_done
copied=$(dev_field "$dev" sync.copied)
[ "$copied" = "$sectors" ] || fail "rebuild copied $copied of $sectors sectors"
model_holds "rebuild"
bitmap_clean "$dev"

# 5. A degraded start, then the late leg given back while the device runs.
destroy_healblk "$dev"
HB=$("$HEALCTL" assemble --run "$l0") || fail "assemble --run with leg 0 alone"
dev=$HB; _healblk+=("$dev")
for r in 11 12; do write_region $r; done
"$HEALCTL" re-add "$dev" "$l1" || fail "re-add of the late leg"
caught_up "re-added while running" 2
bitmap_clean "$dev"

# 6. Refused: a blank disk, and leg 0 given again.
make_loop 72; blank=$LOOP
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg"
"$HEALCTL" re-add "$dev" "$blank" 2> "$SCRATCH/err" && fail "a blank disk was re-added"
log "blank disk: $(cat "$SCRATCH/err")"
"$HEALCTL" re-add "$dev" "$l0" 2> "$SCRATCH/err" && fail "leg 0, in sync, was re-added"
log "leg 0 again: $(cat "$SCRATCH/err")"
[ "$(leg_field "$dev" 1 state)" = failed ] || fail "leg 1 is $(leg_field "$dev" 1 state) after refusals"
[ "$(dev_field "$dev" spares | jq length)" = 0 ] || fail "a refused disk stayed as a spare"
"$HEALCTL" re-add "$dev" "$l1" || fail "re-add in place"
caught_up "failed again, re-added in place" 0
exit "$ksft_pass"

#!/usr/bin/env bash
# healblk's fault injector sees healblk's own I/O, not only the device's
# bios (issue 11, item 14), and what it shows holds:
#   1. rebuild copies: a read rule on leg 0 over a range, 3 legs, leg 2
#      rebuilt: the rebuild's reads of the range fail on leg 0 (the rule
#      counts them) and come from leg 1; leg 2 ends identical;
#   2. 2 legs, new data written while leg 1 was out, then leg 1 rebuilt
#      while leg 0, the only source, cannot read the range: those blocks
#      are marked bad on leg 1 and read as errors, never as leg 1's stale
#      bytes; once the rule is cleared they read as the model again;
#   3. metadata (--op meta): a superblock write that fails on leg 1 fails
#      leg 1, as md fails a member whose superblock write fails; the device
#      goes on with the data intact, and leg 1 comes back by re-add.
# Data checked with sha256 against a model.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 40; l0=$LOOP
make_loop 40; l1=$LOOP
make_loop 40; l2=$LOOP
head -c 32M /dev/urandom > "$SCRATCH/model"
want() { sha256sum < "$SCRATCH/model" | cut -d' ' -f1; }
model_holds() {	# model_holds WHAT
	[ "$(sum_range "/dev/$dev" 0 $((32 << 11)))" = "$(want)" ] || fail "$1: /dev/$dev differs from the model"
}
# Range R: 256 KiB at 8 MiB.
r_start=16384 r_sectors=512

wait_in_sync() {	# wait_in_sync LEG
	local i
	for ((i = 0; i < 1200; i++)); do
		[ "$(leg_field "$dev" "$1" state)" = in_sync ] && return 0
		sleep 0.2
	done
	fail "leg $1 is $(leg_field "$dev" "$1" state) after 240 s"
}

# 1. Three legs: the rebuild reads R from leg 1 when leg 0 cannot.
make_healblk "$l0" "$l1" "$l2"; dev=$HB
"$HEALCTL" set "$dev" --fail-errors 0 || fail "set --fail-errors 0"
dd if="$SCRATCH/model" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
"$HEALCTL" fail-leg "$dev" 2 || fail "fail-leg 2"
"$HEALCTL" fault set "$dev" --leg 0 --op read --start $r_start --sectors $r_sectors --percent 100 ||
	fail "fault set"
"$HEALCTL" rebuild "$dev" 2 || fail "rebuild 2"
wait_in_sync 2
injected=$(leg_field "$dev" 0 fault.injected)
log "3 legs: the rule failed $injected of leg 0's reads during the rebuild"
[ "$injected" -gt 0 ] || fail "the rebuild's reads of the range never met leg 0's rule"
"$HEALCTL" fault clear "$dev" --leg 0 || fail "fault clear"
[ "$(leg_field "$dev" 2 bad_ranges)" = 0 ] || fail "leg 2 has bad ranges though leg 1 could be read"
model_holds "3 legs"
check_legs_identical "/dev/$dev" "$l0" "$l1" "$l2"
destroy_healblk "$dev"

# 2. Two legs: nothing can be read over R during the rebuild.
make_healblk "$l0" "$l1"; dev=$HB
"$HEALCTL" set "$dev" --fail-errors 0 || fail "set --fail-errors 0"
dd if="$SCRATCH/model" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg 1"
# New data over R while leg 1 is out: leg 1 keeps the old bytes.
head -c $((r_sectors * 512)) /dev/urandom > "$SCRATCH/new"
dd if="$SCRATCH/new" of="$SCRATCH/model" bs=512 seek=$r_start conv=notrunc status=none || fail "model"
dd if="$SCRATCH/new" of="/dev/$dev" bs=512 seek=$r_start oflag=direct status=none || fail "write R"
"$HEALCTL" fault set "$dev" --leg 0 --op read --start $r_start --sectors $r_sectors --percent 100 ||
	fail "fault set"
"$HEALCTL" rebuild "$dev" 1 || fail "rebuild 1"
wait_in_sync 1
bad=$(leg_field "$dev" 1 bad_ranges)
log "2 legs: leg 1 rebuilt with $bad bad ranges; leg 0's rule failed $(leg_field "$dev" 0 fault.injected) reads"
[ "$bad" -gt 0 ] || fail "no bad range on leg 1 where nothing could be copied"
for ((i = 0; i < 4; i++)); do
	b=$((r_start / 8 + i * 16))
	dd if="/dev/$dev" of="$SCRATCH/blk" bs=4096 skip=$b count=1 iflag=direct status=none ||
		continue
	dd if="$l1" of="$SCRATCH/old" bs=4096 skip=$((META / 8 + b)) count=1 iflag=direct status=none
	cmp -s "$SCRATCH/blk" "$SCRATCH/old" && fail "block $b read as leg 1's stale copy"
	fail "block $b read although no leg can serve it"
done
log "R reads as an error while no leg can serve it"
"$HEALCTL" fault clear "$dev" --leg 0 || fail "fault clear"
model_holds "2 legs, rule cleared"
destroy_healblk "$dev"

# 3. Metadata: leg 1's next superblock write fails.
make_healblk "$l0" "$l1"; dev=$HB
dd if="$SCRATCH/model" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
# Once the bitmap is clean no sweep writes a superblock: the set's is the next.
bitmap_clean "$dev"
sleep 6	# the sweep that cleared the bits has written their blocks
"$HEALCTL" fault set "$dev" --leg 1 --op meta --percent 100 || fail "fault set --op meta"
"$HEALCTL" set "$dev" --sync-max 0 2> "$SCRATCH/err" && fail "a superblock write that failed was not reported"
log "set: $(cat "$SCRATCH/err")"
[ "$(leg_field "$dev" 1 fault.injected)" -gt 0 ] || fail "the superblock write never met the rule"
[ "$(leg_field "$dev" 1 state)" = failed ] || fail "leg 1 is $(leg_field "$dev" 1 state) after its superblock write failed"
[ "$(leg_field "$dev" 1 reason)" = "its superblock could not be written" ] ||
	fail "leg 1 failed for another reason: $(leg_field "$dev" 1 reason)"
model_holds "leg 1 failed by its superblock"
"$HEALCTL" fault clear "$dev" --leg 1 || fail "fault clear"
"$HEALCTL" re-add "$dev" "$l1" || fail "re-add"
wait_in_sync 1
# Caught up: the superblock it missed moved no bit's clearing past it.
copied=$(dev_field "$dev" sync.copied)
[ "$copied" -lt "$(blockdev --getsz "/dev/$dev")" ] ||
	fail "leg 1 was rebuilt whole ($copied sectors) though the bitmap names all it lacks"
model_holds "leg 1 back"
check_legs_identical "/dev/$dev" "$l0" "$l1"
exit "$ksft_pass"

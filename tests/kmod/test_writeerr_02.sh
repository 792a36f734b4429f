#!/usr/bin/env bash
# Writes that fail in ways that leave no good copy behind (issue 11,
# defects 12 and 13), with healblk's own fault injection:
#  1. a write that fails on every leg: the caller gets the error, and the
#     legs agree afterwards (each may hold a different part of it on a real
#     disk): the range is readable from the first leg only, marked bad on
#     the others, until a write over it succeeds and is verified;
#  2. a discard that fails on one leg costs it nothing: no bad range, no
#     error counted toward failing it, the discard succeeds;
#  3. a cache flush that fails on one leg fails that leg: what it had
#     acknowledged may be gone.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 64; l0=$LOOP
make_loop 64; l1=$LOOP
make_healblk "$l0" "$l1"; dev=$HB
x=8192
head -c 4096 /dev/urandom > "$SCRATCH/old"
head -c 4096 /dev/urandom > "$SCRATCH/new"
dd if="$SCRATCH/old" of="/dev/$dev" bs=4k seek=$((x / 8)) oflag=direct status=none ||
	fail "write the old data"
old=$(sha256sum < "$SCRATCH/old" | cut -d' ' -f1)
new=$(sha256sum < "$SCRATCH/new" | cut -d' ' -f1)

# 1. Every leg fails the write.
for leg in 0 1; do
	"$HEALCTL" fault set "$dev" --leg $leg --op write --start $x --sectors 8 \
		--percent 100 --count 1 || fail "fault set leg $leg"
done
if dd if="$SCRATCH/new" of="/dev/$dev" bs=4k seek=$((x / 8)) oflag=direct status=none \
	2> /dev/null; then
	fail "a write that failed on every leg succeeded"
fi
[ "$(leg_field "$dev" 0 bad_ranges)" = 0 ] || fail "leg 0 should stay readable"
[ "$(leg_field "$dev" 1 bad_ranges)" = 1 ] ||
	fail "leg 1 is still trusted over a write that failed everywhere"
for ((i = 0; i < 8; i++)); do
	[ "$(sum_range "/dev/$dev" "$x" 8)" = "$old" ] || fail "read $i differs"
done
dd if="$SCRATCH/new" of="/dev/$dev" bs=4k seek=$((x / 8)) oflag=direct status=none ||
	fail "the write over it failed"
[ "$(leg_field "$dev" 1 bad_ranges)" = 0 ] || fail "leg 1 not trusted again after a good write"
[ "$(sum_range "$l1" $((META + x)) 8)" = "$new" ] || fail "leg 1 does not hold the new data"
[ "$(sum_range "/dev/$dev" "$x" 8)" = "$new" ] || fail "the device does not read the new data"
log "a write failed on every leg: legs agreed, then a good write made both current"

# 2. A discard that fails on leg 1.
if [ "$(cat "/sys/block/$dev/queue/discard_max_bytes")" -gt 0 ]; then
	y=16384
	"$HEALCTL" fault set "$dev" --leg 1 --op write --start $y --sectors 2048 \
		--percent 100 || fail "fault set"
	blkdiscard -o $((y * 512)) -l $((2048 * 512)) "/dev/$dev" ||
		fail "a discard failed though only one leg refused it"
	"$HEALCTL" fault clear "$dev" --leg 1 || fail "fault clear"
	[ "$(leg_field "$dev" 1 bad_ranges)" = 0 ] || fail "a failed discard marked leg 1 bad"
	[ "$(leg_field "$dev" 1 state)" = in_sync ] || fail "a failed discard took leg 1 out"
	log "a discard failed on leg 1: nothing lost, leg 1 in sync"
else
	log "no discard on this device's legs: part 2 not run"
fi

# 3. A cache flush that fails on leg 1: the file system's, not the
# bitmap sweep's (which flushes before it clears bits): none is due once
# the bitmap is clean and its blocks are written.
for ((i = 0; i < 60; i++)); do
	[ "$(dev_field "$dev" bitmap_dirty)" = 0 ] && break
	sleep 0.5
done
sleep 6
"$HEALCTL" fault set "$dev" --leg 1 --op flush --percent 100 --count 1 || fail "fault set"
dd if="$SCRATCH/new" of="/dev/$dev" bs=4k seek=4 oflag=direct conv=fsync status=none ||
	fail "a write and flush failed though leg 0 took them"
[ "$(leg_field "$dev" 1 state)" = failed ] || fail "a leg whose flush failed is still trusted"
leg_field "$dev" 1 reason | grep -q 'flush' || fail "reason: $(leg_field "$dev" 1 reason)"
log "a failed cache flush took leg 1 out: $(leg_field "$dev" 1 reason)"
exit "$ksft_pass"

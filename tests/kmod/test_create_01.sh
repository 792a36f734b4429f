#!/usr/bin/env bash
# A new device's legs are made identical (issue 11, defect 11): legs full
# of different garbage, created without --assume-clean, are resynced from
# leg 0 in the background; meanwhile every read of a block returns the
# same bytes (leg 0's), and afterwards the legs are byte-identical and a
# scrub finds nothing to repair.  With --assume-clean no sync runs.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 64; l0=$LOOP
make_loop 64; l1=$LOOP
make_loop 64; l2=$LOOP
for l in "$l0" "$l1" "$l2"; do
	dd if=/dev/urandom of="$l" bs=1M count=64 oflag=direct status=none || fail "fill $l"
done
# Legs 1 and 2 answer after 100 ms (dm-delay): the sync, which starts at
# create, takes long enough to be read under.
modprobe dm-delay 2>/dev/null || skip "dm-delay is not available"
size=$(blockdev --getsz "$l1")
i=0
for raw in "$l1" "$l2"; do
	i=$((i + 1))
	dmsetup create "hbc-$i" --table "0 $size delay $raw 0 100" || fail "dm-delay over $raw"
	_dm+=("hbc-$i")
done
events_start 300
HEAL_INITIAL_SYNC=1 make_healblk "$l0" /dev/mapper/hbc-1 /dev/mapper/hbc-2; dev=$HB
events_wait "sync dev=[0-9]+ kind=resync status=running" 30
# Leg 0's data is what the device shows, before and during the sync.
reads=0
while ! grep -Eq "sync dev=[0-9]+ kind=resync status=done" "$SCRATCH/events"; do
	for b in 100 5000 12000; do
		[ "$(sum_range "/dev/$dev" $((b * 8)) 8)" = "$(sum_range "$l0" $((META + b * 8)) 8)" ] ||
			fail "block $b: the device does not read leg 0's data during the initial sync"
	done
	reads=$((reads + 1))
	[ "$reads" -lt 2000 ] || fail "the initial sync does not end"
done
log "$reads rounds of reads during the initial sync, all leg 0's data"
[ "$reads" -ge 2 ] || fail "the sync ended before it could be read under"
check_legs_identical "/dev/$dev" "$l0" "$l1" "$l2"
"$HEALCTL" scrub "$dev" --wait > /dev/null || fail "scrub"
events_wait "sync dev=[0-9]+ kind=scrub status=done .* mismatches=0 " 120
destroy_healblk "$dev"

# --assume-clean: the caller vouches for them; nothing is copied.
dd if=/dev/urandom of=/dev/mapper/hbc-1 bs=1M seek=1 count=1 oflag=direct status=none ||
	fail "scribble"
before=$(grep -c "kind=resync" "$SCRATCH/events")
make_healblk "$l0" /dev/mapper/hbc-1; dev=$HB
sleep 3
[ "$(grep -c "kind=resync" "$SCRATCH/events")" = "$before" ] ||
	fail "a resync ran on a device created with --assume-clean"
[ "$(dev_field "$dev" bitmap_dirty)" = 0 ] || fail "bitmap dirty after --assume-clean"
log "--assume-clean: no initial sync"
exit "$ksft_pass"

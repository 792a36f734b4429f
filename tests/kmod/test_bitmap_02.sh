#!/usr/bin/env bash
# No write reaches a leg before its region's bit is on every leg's disk
# (md's rule; review of 2026-12-02, finding 5).  A bit set in memory by one
# writer, whose bitmap block was still on its way to a leg, let a second
# write to the same region straight through: it could land on leg 0 while
# leg 1's bitmap did not have the bit yet, and a crash then left the legs
# different in a region no resync would look at.
# Leg 1 sits on dm-delay with every write held 4 s (reads not delayed):
# writer A's bitmap block takes 4 s to reach it; writer B, to the same
# region a second later, must not reach leg 0 before that.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 72; l0=$LOOP
make_loop 72; raw1=$LOOP
size=$(blockdev --getsz "$raw1")
modprobe dm-delay 2> /dev/null
dmsetup create "hbdelay-$$" --table "0 $size delay $raw1 0 0 $raw1 0 4000" ||
	skip "dm-delay is not available"
_dm+=("hbdelay-$$")
l1=/dev/mapper/hbdelay-$$
make_healblk "$l0" "$l1"; dev=$HB
region=$(dev_field "$dev" bitmap_sectors)
for ((i = 0; i < 60; i++)); do
	[ "$(dev_field "$dev" bitmap_dirty)" = 0 ] && break
	sleep 0.5
done
[ "$(dev_field "$dev" bitmap_dirty)" = 0 ] || fail "the bitmap is not clean at the start"

r=3
head -c 4096 /dev/urandom > "$SCRATCH/a"
head -c 4096 /dev/urandom > "$SCRATCH/b"
a_off=$((r * region / 8)) b_off=$((r * region / 8 + 16))	# 4 KiB blocks
dd if="$SCRATCH/a" of="/dev/$dev" bs=4k seek=$a_off oflag=direct status=none &
pa=$!
sleep 1
dd if="$SCRATCH/b" of="/dev/$dev" bs=4k seek=$b_off oflag=direct status=none &
pb=$!
# While leg 1's copy of the bitmap block is held back: B's data must not
# be on leg 0 yet unless leg 1's bitmap has the bit.
bad=""
for ((i = 0; i < 40; i++)); do
	onleg0=$(dd if="$l0" iflag=direct bs=4k skip=$((META / 8 + b_off)) count=1 status=none |
		sha256sum | cut -d' ' -f1)
	bits=$(dd if="$l1" iflag=direct bs=512 skip=64 count=8 status=none |
		od -An -tx1 -j24 -N1 | tr -d ' \n')
	if [ "$onleg0" = "$(sha256sum < "$SCRATCH/b" | cut -d' ' -f1)" ]; then
		[ $(( 0x$bits & (1 << r) )) -ne 0 ] || bad="B's data on leg 0 while leg 1's bitmap byte is $bits"
		break
	fi
	kill -0 "$pb" 2> /dev/null || break
	sleep 0.25
done
wait "$pa" || fail "write A"
wait "$pb" || fail "write B"
[ -z "$bad" ] || fail "$bad"
log "B's data reached leg 0 only once region $r's bit was on leg 1 (checked $i times)"
for f in a b; do
	off=$a_off; [ $f = b ] && off=$b_off
	[ "$(sum_range "/dev/$dev" $((off * 8)) 8)" = "$(sha256sum < "$SCRATCH/$f" | cut -d' ' -f1)" ] ||
		fail "write $f does not read back"
done
exit "$ksft_pass"

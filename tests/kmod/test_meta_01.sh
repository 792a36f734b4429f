#!/usr/bin/env bash
# Crafted superblocks are refused at assembly, never trusted (issue 11,
# defect 8): each field that sizes or indexes something in memory is set
# to a value healblk would never write, with the checksum resealed, on
# both copies of every leg.  Assembly must fail with words, the kernel
# must log no trace (tests/kmod/run.sh checks dmesg after each test), and
# the untouched metadata must still assemble with the data intact.
# Last, a 3 TiB leg (a loop for its first 64 MiB, dm-zero after it) whose
# superblock claims a bitmap region too small for its size: its bitmap
# would need more blocks than healblk keeps, and overrun them.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"
hbmeta=$(dirname "$0")/../hbmeta.py

make_loop 64; l0=$LOOP
make_loop 64; l1=$LOOP
make_healblk "$l0" "$l1"; dev=$HB
sectors=$(blockdev --getsz "/dev/$dev")
head -c 16M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
want=$(sha256sum < "$SCRATCH/data" | cut -d' ' -f1)
destroy_healblk "$dev"
for l in "$l0" "$l1"; do
	dd if="$l" of="$SCRATCH/meta-${l##*/}" bs=1M count=1 iflag=direct status=none ||
		fail "save the metadata of $l"
done
restore() {
	local l
	for l in "$l0" "$l1"; do
		dd if="$SCRATCH/meta-${l##*/}" of="$l" bs=1M oflag=direct status=none ||
			fail "restore the metadata of $l"
	done
}

# crafted FIELD VALUE: both legs get it; assembly must be refused.
crafted() {
	local field=$1 value=$2 out rc l
	restore
	for l in "$l0" "$l1"; do
		python3 "$hbmeta" sb-set "$l" "$field" "$value" || fail "hbmeta sb-set $field"
	done
	out=$("$HEALCTL" assemble "$l0" "$l1" 2>&1); rc=$?
	if [ "$rc" = 0 ]; then
		_healblk+=("$out")
		fail "a superblock with $field=$value was assembled as $out"
	fi
	[ "$rc" = 1 ] || fail "assemble with $field=$value exited $rc: $out"
	echo "$out" | grep -Eq 'impossible layout|features|smaller than|format version' ||
		fail "assemble with $field=$value: '$out' does not say what is wrong"
	log "$field=$value refused: ${out##*: }"
}

crafted version 0
crafted features 1
crafted data_offset 4096
crafted data_sectors 0
crafted data_sectors $((sectors - 3))	# not whole 4 KiB blocks
crafted data_sectors $((1 << 40))
crafted data_sectors 0xfffffffffffff800	# 2048 + this wraps to 0
crafted nr_slots 0
crafted nr_slots 5
crafted nr_spares 5
crafted slot 4
crafted role 2
crafted member0_state 0
crafted member0_state 5
crafted member1_state 99
crafted member0_sync_pos $((sectors + 1))
crafted bitmap_shift 12	# healblk writes 11 for this size
crafted bitmap_shift 63
crafted remap_blocks 1
crafted remap_blocks 505	# two legs have no spare area
crafted fail_errors 65
crafted fail_window 86401

# Untouched, it assembles, and the data is intact.
restore
HB=$("$HEALCTL" assemble "$l0" "$l1") || fail "the untouched metadata does not assemble"
_healblk+=("$HB"); dev=$HB
[ "$(sum_range "/dev/$dev" 0 32768)" = "$want" ] || fail "data differs after assembly"
destroy_healblk "$dev"

# 3 TiB with a bitmap shift of 11: 3 Mi regions, 97 bitmap blocks of 64.
big=$((3 << 31))
make_loop 64; raw=$LOOP
dmsetup create hbm-big --table "0 131072 linear $raw 0
131072 $((big - 131072)) zero" || fail "dmsetup create hbm-big"
_dm+=(hbm-big)
make_healblk /dev/mapper/hbm-big; dev=$HB
shift=$(dev_field "$dev" bitmap_sectors)
log "a 3 TiB leg: bitmap regions of $shift sectors"
destroy_healblk "$dev"
python3 "$hbmeta" sb-set /dev/mapper/hbm-big bitmap_shift 11 || fail "hbmeta sb-set"
out=$("$HEALCTL" assemble /dev/mapper/hbm-big 2>&1) && {
	_healblk+=("$out"); fail "a bitmap of 97 blocks was assembled as $out"; }
echo "$out" | grep -q 'impossible layout' || fail "3 TiB with shift 11: '$out'"
log "3 TiB with bitmap_shift 11 refused"
exit "$ksft_pass"

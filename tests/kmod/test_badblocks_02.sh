#!/usr/bin/env bash
# A long bad range is never read (found by the torture test, seed 2026):
# 6.1's badblocks_set() splits a range over 512 sectors itself, back to
# front, and badblocks_check() then misses it, so a leg whose 1 MiB write
# failed in part served the old data there.  Leg 1 fails 8 sectors inside
# a 1 MiB write (dm error under it), is healed, and every 4 KiB block of
# the range must read the new data, again and again.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 64; l0=$LOOP
make_loop 64; raw1=$LOOP
make_dm_linear hbb-l1 "$raw1"; l1=$DM
make_healblk "$l0" "$l1"; dev=$HB
x=16384			# 8 MiB: the 1 MiB written
bad=$((x + 1920))	# its 64 KiB chunk is read from leg 1 first
head -c 1M /dev/urandom > "$SCRATCH/old"
head -c 1M /dev/urandom > "$SCRATCH/new"
dd if="$SCRATCH/old" of="/dev/$dev" bs=1M seek=8 oflag=direct status=none || fail "old data"
dm_swap_error hbb-l1 "$raw1" $((META + bad)) 8
dd if="$SCRATCH/new" of="/dev/$dev" bs=1M seek=8 oflag=direct status=none ||
	fail "the write failed though leg 0 took it"
dm_swap_linear hbb-l1 "$raw1"
[ "$(leg_field "$dev" 1 bad_ranges)" -gt 0 ] || fail "no bad range on leg 1"
[ "$(leg_field "$dev" 1 state)" = in_sync ] || fail "leg 1 left the mirror"
# The 64 KiB chunk around the failed sectors, 4 KiB at a time: such reads
# go to leg 1 first (healblk balances by chunk).
chunk=$(((bad - x) / 128))
first=$((chunk * 16))
want=()
for ((b = first; b < first + 16; b++)); do
	want[b]=$(dd if="$SCRATCH/new" bs=4k skip=$b count=1 status=none | sha256sum | cut -d' ' -f1)
done
for ((round = 0; round < 3; round++)); do
	for ((b = first; b < first + 16; b++)); do
		[ "$(sum_range "/dev/$dev" $((x + b * 8)) 8)" = "${want[b]}" ] ||
			fail "round $round, block $b (sector $((x + b * 8))): not the data written last"
	done
done
[ "$(sum_range "/dev/$dev" "$x" 2048)" = "$(sha256sum < "$SCRATCH/new" | cut -d' ' -f1)" ] ||
	fail "the 1 MiB read whole is not the data written last"
log "the chunk read 3 times block by block, and the whole: the new data; leg 1 has $(leg_field "$dev" 1 bad_ranges) bad ranges"
exit "$ksft_pass"

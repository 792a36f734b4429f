#!/usr/bin/env bash
# The write-intent bitmap: a write marks its region dirty, an idle region
# is cleaned within a few sweeps (5 s each), a clean stop leaves nothing to
# resync at assembly, and a region marked on disk but never cleaned (a stop
# in the middle of writes, as after a crash) is resynced alone.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 72; l0=$LOOP
make_loop 72; l1=$LOOP
make_healblk "$l0" "$l1"; dev=$HB
region=$(dev_field "$dev" bitmap_sectors)
[ "$region" = 2048 ] || fail "a region of $region sectors, not 1 MiB"
[ "$(dev_field "$dev" bitmap_dirty)" = 0 ] || fail "a new device is dirty"

# Three regions written: 0, 5 and 40.
for r in 0 5 40; do
	dd if=/dev/urandom of="/dev/$dev" bs=4k count=2 seek=$((r * 256 + 7)) \
		oflag=direct status=none || fail "write region $r"
done
dirty=$(cat "/sys/block/$dev/healblk/bitmap_dirty")
[ "$dirty" = 3 ] || fail "$dirty regions dirty after writing 3"
# On disk too: block 0 of the bitmap on each leg has bits 0, 5 and 40.
for l in "$l0" "$l1"; do
	bits=$(dd if="$l" iflag=direct bs=512 skip=64 count=8 status=none |
		od -An -tx1 -j24 -N6 | tr -d ' \n')
	[ "$bits" = "210000000001" ] || fail "bitmap bits on $l: $bits"
done
log "3 regions dirty in memory and on both legs"

for ((i = 0; i < 40; i++)); do
	[ "$(cat "/sys/block/$dev/healblk/bitmap_dirty")" = 0 ] && break
	sleep 0.5
done
[ "$i" -lt 40 ] || fail "idle regions not cleaned in 20 s"
log "idle regions cleaned after $((i / 2)) s"

# A clean stop: nothing to resync.
head -c 32M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail write
want=$(sha256sum < "$SCRATCH/data" | cut -d' ' -f1)
destroy_healblk "$dev"
events_start 120
HB=$("$HEALCTL" assemble "$l0" "$l1") || fail assemble
dev=$HB; _healblk+=("$dev")
sleep 2
grep -q "kind=resync" "$SCRATCH/events" && fail "a clean stop was resynced"
destroy_healblk "$dev"

# Regions 3 and 9 dirty on leg 0's bitmap and different on leg 1, as a
# crash would leave them: only those are resynced, from leg 0.
dd if=/dev/urandom of="$l1" bs=1M seek=$((1 + 3)) count=1 oflag=direct conv=notrunc status=none
dd if=/dev/urandom of="$l1" bs=1M seek=$((1 + 9)) count=1 oflag=direct conv=notrunc status=none
"$(dirname "$0")/../hbmeta.py" bitmap-set "$l0" 71 3 9 || fail "plant bitmap bits"
kill "${_pids[@]}" 2>/dev/null
events_start 120
HB=$("$HEALCTL" assemble "$l0" "$l1") || fail assemble
dev=$HB; _healblk+=("$dev")
events_wait "sync dev=[0-9]+ kind=resync status=done leg=0 pos=4096 sectors=4096 " 30
[ "$(sum_range "/dev/$dev" 0 65536)" = "$want" ] || fail "data differs after the resync"
check_legs_identical "/dev/$dev" "$l0" "$l1"
log "2 planted dirty regions resynced from leg 0, nothing else"
exit "$ksft_pass"

#!/usr/bin/env bash
# md keeps a count of I/O waiting for its resync barrier (nr_waiting) so
# that a request overlapping every window is not held for the whole copy.
# healblk has no such count: a write waiting for the copy's window runs at
# the first point the copy yields between two windows.  This checks that
# it does: a discard of the whole device (mkfs's first step) during a
# rebuild.  (Written as the test of a suspected defect; it passed on the
# module as it was, with 1 and 2 vCPUs: 541 and 789 ms.)
# The rebuild is slowed by latency on the rebuilt leg's writes (fault
# injection, 60 ms per 1 MiB chunk: 9 s or more for 150 MiB) and runs
# unthrottled (sync-max 0, nothing else to yield to); a whole-device
# discard started once it runs must end while it still runs.  The legs
# are identical at the end.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 160; l0=$LOOP
make_loop 160; l1=$LOOP
make_healblk "$l0" "$l1"; dev=$HB
dd if=/dev/urandom of="/dev/$dev" bs=1M count=150 oflag=direct status=none || fail "fill"
"$HEALCTL" set "$dev" --sync-max 0 || fail "sync-max 0"
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg 1"
"$HEALCTL" fault set "$dev" --leg 1 --op write --delay-us 60000 || fail "fault set"
"$HEALCTL" rebuild "$dev" 1 || fail "rebuild 1"
for ((i = 0; i < 40; i++)); do
	pos=$(leg_field "$dev" 1 sync_pos)
	[ "${pos:-0}" != null ] && [ "${pos:-0}" -gt 4096 ] && break
	sleep 0.25
done
[ "$(dev_field "$dev" sync.status)" = running ] || fail "the rebuild is not running"
start=$(date +%s%N)
blkdiscard "/dev/$dev" || fail "blkdiscard"
took=$(( ($(date +%s%N) - start) / 1000000 ))
status=$(dev_field "$dev" sync.status)
pos=$(leg_field "$dev" 1 sync_pos)
log "whole-device discard: $took ms; then the rebuild was $status at sector $pos of $(blockdev --getsz "/dev/$dev")"
[ "$status" = running ] || fail "the discard waited for the whole rebuild ($took ms)"
"$HEALCTL" fault clear "$dev" --leg 1 || fail "fault clear"
for ((i = 0; i < 240; i++)); do
	[ "$(leg_field "$dev" 1 state)" = in_sync ] && break
	sleep 0.5
done
[ "$(leg_field "$dev" 1 state)" = in_sync ] || fail "the rebuild did not end"
check_legs_identical "/dev/$dev" "$l0" "$l1"
exit "$ksft_pass"

#!/usr/bin/env bash
# A device over legs whose size is not a whole number of 4 KiB blocks
# (dm-linear of 2048 + 8000 + 3 sectors): the data area is rounded down to
# 4 KiB, since rebuild, resync and scrub copy whole blocks; before, the
# last 3 sectors were never copied, and a rebuilt leg kept garbage there.
# The tail is written, leg 1 scribbled on, failed and rebuilt: the legs'
# data areas end identical, every sector of them.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

odd=$((2048 + 8000 + 3))
for i in 0 1; do
	make_loop 8
	dmsetup create "hbt-$i" --table "0 $odd linear $LOOP 0" || fail "dmsetup create hbt-$i"
	_dm+=("hbt-$i")
done
make_healblk /dev/mapper/hbt-0 /dev/mapper/hbt-1; dev=$HB
sectors=$(blockdev --getsz "/dev/$dev")
[ $((sectors % 8)) = 0 ] || fail "the data area ($sectors sectors) is not whole 4 KiB blocks"
log "legs of $odd sectors: a data area of $sectors"
dd if=/dev/urandom of="/dev/$dev" bs=512 seek=$((sectors - 8)) count=8 oflag=direct status=none ||
	fail "write the last block"
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg"
dd if=/dev/urandom of=/dev/mapper/hbt-1 bs=512 seek=2048 count=8003 oflag=direct status=none ||
	fail "scribble on leg 1"
events_start 60
"$HEALCTL" rebuild "$dev" 1 || fail "rebuild"
events_wait "sync dev=[0-9]+ kind=rebuild status=done" 60
check_legs_identical "/dev/$dev" /dev/mapper/hbt-0 /dev/mapper/hbt-1
exit "$ksft_pass"

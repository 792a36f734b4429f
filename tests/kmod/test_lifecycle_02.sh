#!/usr/bin/env bash
# Legs of different kinds and sizes: a brd ram disk (bio-based), a
# memory-backed null_blk disk (blk-mq) and a loop device.  The device takes
# the smallest leg's size, fio's crc32c verify passes, the data areas match.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_brd 1 40; ram=${BRD[0]}
make_null_blk 48; nb=$NULLB
make_loop 36; l0=$LOOP
make_healblk "$ram" "$nb" "$l0"; dev=$HB
[ "$(blockdev --getsz "/dev/$dev")" = $((36 * 2048 - META)) ] ||
	fail "$dev has $(blockdev --getsz "/dev/$dev") sectors, not the smallest leg's less $META"
fio_verify "/dev/$dev" --rw=randwrite --bsrange=4k-256k --size=32M --iodepth=8 --randrepeat=0
check_legs_identical "/dev/$dev" "$ram" "$nb" "$l0"
destroy_healblk "$dev"
exit "$ksft_pass"

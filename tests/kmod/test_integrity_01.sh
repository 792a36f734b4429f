#!/usr/bin/env bash
# Random writes and reads with crc32c verification over 2- and 3-leg
# mirrors; afterwards every leg's data area is byte-identical.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

for n in 2 3; do
	legs=()
	for ((i = 0; i < n; i++)); do
		make_loop 80; legs+=("$LOOP")
	done
	make_healblk "${legs[@]}"; dev=$HB
	fio_verify "/dev/$dev" --rw=randwrite --bsrange=4k-128k --size=64M \
		--iodepth=8 --randrepeat=0
	log "$n legs: fio randwrite + crc32c verify of 64 MiB: no error"
	fio_verify "/dev/$dev" --rw=randrw --rwmixread=50 --bs=4k --size=16M \
		--iodepth=16 --numjobs=2 --offset_increment=24M --randrepeat=0
	log "$n legs: 2 jobs of mixed 4k I/O verified"
	check_legs_identical "/dev/$dev" "${legs[@]}"
	for ((i = 0; i < n; i++)); do
		[ "$(leg_field "$dev" "$i" read_errors)" = 0 ] || fail "read errors on leg $i"
		[ "$(leg_field "$dev" "$i" writes)" -gt 0 ] || fail "no writes counted on leg $i"
	done
	destroy_healblk "$dev"
done
exit "$ksft_pass"

#!/usr/bin/env bash
# healblk's own fault injection: 20% of reads on leg 1 fail under fio verify;
# fio sees no error, and leg 1 counts the errors and the retried reads.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

[ "$(cat /sys/module/healblk/parameters/fault_injection)" = Y ] ||
	skip "healblk was loaded without fault_injection=1"
make_loop 64; l0=$LOOP
make_loop 64; l1=$LOOP
make_healblk "$l0" "$l1"; dev=$HB
# Hundreds of errors follow: keep leg 1 in the mirror (test_threshold_01 fails it).
"$HEALCTL" set "$dev" --fail-errors 0 || fail "set --fail-errors 0"

"$HEALCTL" fault set "$dev" --leg 1 --op read --percent 20 || fail "fault set"
[ "$(leg_field "$dev" 1 fault.percent)" = 20 ] || fail "status does not show the rule"
fio_verify "/dev/$dev" --rw=randwrite --bsrange=4k-64k --size=32M --iodepth=8 --randrepeat=0
injected=$(leg_field "$dev" 1 fault.injected)
[ "$injected" -gt 0 ] || fail "nothing injected"
[ "$(leg_field "$dev" 1 read_errors)" -ge "$injected" ] || fail "read errors not counted"
[ "$(leg_field "$dev" 1 retried_reads)" -gt 0 ] || fail "no retried reads"
log "$injected read errors injected on leg 1; fio verified every block"

# A count limits the errors; write errors mark ranges bad.
"$HEALCTL" fault set "$dev" --leg 1 --op write --count 3 || fail "fault set count"
dd if=/dev/urandom of="/dev/$dev" bs=64k count=32 oflag=direct status=none || fail "writes failed"
[ "$(leg_field "$dev" 1 fault.injected)" = 3 ] || fail "count 3 injected $(leg_field "$dev" 1 fault.injected)"
[ "$(leg_field "$dev" 1 bad_ranges)" -gt 0 ] || fail "no bad ranges after write errors"
"$HEALCTL" fault clear "$dev" --leg 1 || fail "fault clear"
[ "$(leg_field "$dev" 1 fault)" = null ] || fail "rule still armed"

# Added latency only: every read on leg 1 slowed, none failed.
"$HEALCTL" fault set "$dev" --leg 1 --op read --delay-us 2000 || fail "fault set delay"
fio_verify "/dev/$dev" --rw=randwrite --bs=4k --size=4M --iodepth=4 --randrepeat=0
[ "$(leg_field "$dev" 1 fault.injected)" = 0 ] || fail "a delay-only rule injected errors"
exit "$ksft_pass"

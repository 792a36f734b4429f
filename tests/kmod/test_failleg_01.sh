#!/usr/bin/env bash
# A leg failed over netlink while fio writes and verifies: no error, no hang,
# no lost write; the device serves degraded and says so.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 96; l0=$LOOP
make_loop 96; l1=$LOOP
make_loop 96; l2=$LOOP
make_healblk "$l0" "$l1" "$l2"; dev=$HB
events_start 300

fio --name=load --filename="/dev/$dev" --direct=1 --ioengine=libaio --rw=randwrite \
	--bsrange=4k-64k --size=64M --iodepth=16 --verify=crc32c --verify_fatal=1 \
	--do_verify=1 --verify_state_save=0 --randrepeat=0 --output-format=terse \
	--terse-version=3 \
	> "$SCRATCH/fio.out" 2>&1 &
fio_pid=$!
sleep 2
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg 1"
sleep 1
"$HEALCTL" fail-leg "$dev" 0 || fail "fail-leg 0"
wait "$fio_pid" || { cat "$SCRATCH/fio.out"; fail "fio failed after the legs failed"; }
fio_errors_none "$SCRATCH/fio.out" || fail "fio reported an error"
events_wait "leg_state dev=[0-9]+ leg=1 state=failed old_state=in_sync"
events_wait "leg_state dev=[0-9]+ leg=0 state=failed"
[ "$(dev_field "$dev" state)" = degraded ] || fail "not degraded"
[ "$(cat "/sys/block/$dev/healblk/leg1/state")" = failed ] || fail "sysfs leg1 state"
# Writes after the failure went to leg 2 only.
w0=$(leg_field "$dev" 0 writes)
dd if=/dev/urandom of="/dev/$dev" bs=64k count=16 oflag=direct status=none
[ "$(leg_field "$dev" 0 writes)" = "$w0" ] || fail "a failed leg still gets writes"
check_legs_identical "/dev/$dev" "$l2"
exit "$ksft_pass"

#!/usr/bin/env bash
# A leg that keeps failing I/O is taken out of the mirror by healblk itself:
# N errors within T seconds (per device, persisted in the superblock), while
# another leg is in sync; the last leg is never failed that way.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 48; l0=$LOOP
make_loop 48; l1=$LOOP
make_healblk "$l0" "$l1"; dev=$HB
[ "$(dev_field "$dev" fail_errors)" = 10 ] || fail "default fail_errors is not 10"
[ "$(dev_field "$dev" fail_window)" = 600 ] || fail "default fail_window is not 600"
"$HEALCTL" set "$dev" --fail-errors 5 --fail-window 60 || fail "set"
[ "$(cat "/sys/block/$dev/healblk/fail_errors")" = 5 ] || fail "sysfs fail_errors"

events_start 300
"$HEALCTL" fault set "$dev" --leg 1 --op read --percent 100 || fail "fault set"
fio_verify "/dev/$dev" --rw=randwrite --bs=4k --size=8M --iodepth=4 --randrepeat=0
events_wait "leg_state dev=[0-9]+ leg=1 state=failed old_state=in_sync reason=too many I/O errors"
[ "$(dev_field "$dev" state)" = degraded ] || fail "not degraded"
errors=$(leg_field "$dev" 1 read_errors)
[ "$errors" -ge 5 ] || fail "failed after only $errors errors"
log "leg 1 failed by healblk after $errors read errors"

# The last in-sync leg is never failed for errors: the device keeps serving.
"$HEALCTL" fault set "$dev" --leg 0 --op write --count 8 || fail "fault set leg 0"
dd if=/dev/zero of="/dev/$dev" bs=4k count=16 oflag=direct status=none 2>/dev/null
[ "$(leg_field "$dev" 0 state)" = in_sync ] || fail "the last leg was failed"
"$HEALCTL" fault clear "$dev" --leg 0
"$HEALCTL" fault clear "$dev" --leg 1

# The rule and the failure survive reassembly.
destroy_healblk "$dev"
HB=$("$HEALCTL" assemble "$l0" "$l1") || fail "assemble"
_healblk+=("$HB"); dev=$HB
udevadm settle 2>/dev/null
[ "$(dev_field "$dev" fail_errors)" = 5 ] || fail "fail_errors not persisted"
[ "$(dev_field "$dev" fail_window)" = 60 ] || fail "fail_window not persisted"
[ "$(leg_field "$dev" 1 state)" = failed ] || fail "leg 1 back in sync after reassembly"
exit "$ksft_pass"

#!/usr/bin/env bash
# Unload and reload healblk, with and without devices: an idle device is
# destroyed by rmmod, an open one keeps the module loaded.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

ko=$HEALBLK_KO
make_loop 32; l0=$LOOP
make_loop 32; l1=$LOOP
for ((i = 0; i < 5; i++)); do
	rmmod healblk || fail "rmmod (cycle $i)"
	insmod "$ko" fault_injection=1 || fail "insmod (cycle $i)"
done
make_healblk "$l0" "$l1"; dev=$HB
exec 3< "/dev/$dev"
rmmod healblk 2>/dev/null && fail "rmmod succeeded while $dev is open"
exec 3<&-
rmmod healblk || fail "rmmod with an idle device"
[ ! -e "/sys/block/$dev" ] || fail "$dev survived rmmod"
insmod "$ko" fault_injection=1 || fail "insmod after rmmod"
# The legs were released: a new device over them works.
make_healblk "$l0" "$l1"; dev=$HB
dd if=/dev/urandom of="/dev/$dev" bs=64k count=16 oflag=direct status=none || fail "write"
check_legs_identical "/dev/$dev" "$l0" "$l1"
exit "$ksft_pass"

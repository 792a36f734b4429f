#!/usr/bin/env bash
# Read failover and repair with dm-flakey under leg 1: every read of leg 1
# fails while its writes still land.  Reads through healblk return the data
# written before the fault, io_error (recovered) and repair (errno=0) events
# arrive, and once the fault is gone leg 1's data area matches leg 0's: the
# repairs wrote back the good copy, nothing else.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 48; l0=$LOOP
make_loop 48; l1=$LOOP
make_dm_linear heal-flakey1 "$l1"; m1=$DM
make_healblk "$l0" "$m1"; dev=$HB
"$HEALCTL" set "$dev" --fail-errors 0 || fail "set --fail-errors 0"	# leg 1 stays in the mirror
sectors=$(blockdev --getsz "/dev/$dev")

head -c $((sectors * 512)) /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
want=$(sum_range "$SCRATCH/data" 0 "$sectors")

dm_swap_flakey_reads heal-flakey1 "$l1"
log "leg 1: $(dmsetup table heal-flakey1)"
events_start 300
for pass in 1 2; do
	# 64 KiB direct reads: the balancer sends about half of them to leg 1.
	got=$(dd if="/dev/$dev" iflag=direct bs=64k status=none | sha256sum | cut -d' ' -f1)
	[ "$got" = "$want" ] || fail "pass $pass: read back differs"
done
events_wait "io_error dev=[0-9]+ leg=1 op=read .* recovered=1"
events_wait "repair dev=[0-9]+ leg=1 sector=[0-9]+ sectors=[0-9]+ errno=0"
[ "$(leg_field "$dev" 1 read_errors)" -gt 0 ] || fail "no read errors counted on leg 1"
[ "$(leg_field "$dev" 1 repairs)" -gt 0 ] || fail "no repairs counted on leg 1"
grep -q "recovered=0" "$SCRATCH/events" && fail "an error was not recovered"
log "leg 1: $(leg_field "$dev" 1 read_errors) read errors, $(leg_field "$dev" 1 repairs) repairs"

dm_swap_linear heal-flakey1 "$l1"
check_legs_identical "/dev/$dev" "$l0" "$l1"
exit "$ksft_pass"

#!/usr/bin/env bash
# Read failover with an independent fault source: leg 1 sits on dm-linear
# and a range of it is switched to dm-error.  Every read through healblk
# returns the data written; io_error (recovered) and retry events arrive.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 64; l0=$LOOP
make_loop 64; l1=$LOOP
make_dm_linear heal-flaky1 "$l1"; m1=$DM
make_healblk "$l0" "$m1"; dev=$HB
sectors=$(blockdev --getsz "/dev/$dev")

head -c $((sectors * 512)) /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
want=$(sha256sum < "$SCRATCH/data" | cut -d' ' -f1)

# 4 MiB of leg 1's data area, starting 8 MiB in, now fails every I/O.
dm_swap_error heal-flaky1 "$l1" $((META + 16384)) 8192
events_start 300
for pass in 1 2 3; do
	# Small direct reads, so both legs get picked by the balancer.
	got=$(dd if="/dev/$dev" iflag=direct bs=64k status=none | sha256sum | cut -d' ' -f1)
	[ "$got" = "$want" ] || fail "pass $pass: read back differs"
done
events_wait "io_error dev=[0-9]+ leg=1 op=read .* recovered=1"
events_wait "retry dev=[0-9]+ leg=1 to_leg=0"
[ "$(leg_field "$dev" 1 read_errors)" -gt 0 ] || fail "no read errors counted on leg 1"
[ "$(leg_field "$dev" 1 retried_reads)" -gt 0 ] || fail "no retried reads on leg 1"
[ "$(dev_field "$dev" state)" = optimal ] || fail "a read error alone must not fail the leg"
log "$(grep -c io_error "$SCRATCH/events") io_error events, all recovered"
grep -q "recovered=0" "$SCRATCH/events" && fail "an error was not recovered"
exit "$ksft_pass"

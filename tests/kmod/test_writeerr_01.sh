#!/usr/bin/env bash
# A write error on one leg: the write succeeds through the other leg, the
# range is marked bad on the failing leg, and no later read returns that
# leg's stale data.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 64; l0=$LOOP
make_loop 64; l1=$LOOP
make_dm_linear heal-wfail1 "$l1"; m1=$DM
make_healblk "$l0" "$m1"; dev=$HB
"$HEALCTL" set "$dev" --fail-errors 0 || fail "set --fail-errors 0"	# 16 errors follow

# Old data everywhere, then leg 1 fails I/O over 1 MiB at data sector 8192.
head -c 16M /dev/urandom > "$SCRATCH/old"
dd if="$SCRATCH/old" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write old"
dm_swap_error heal-wfail1 "$l1" $((META + 8192)) 2048

events_start 300
head -c 1M /dev/urandom > "$SCRATCH/new"
dd if="$SCRATCH/new" of="/dev/$dev" bs=64k seek=$((8192 * 512)) oflag=direct,seek_bytes \
	status=none || fail "the write failed although leg 0 took it"
want=$(sha256sum < "$SCRATCH/new" | cut -d' ' -f1)
events_wait "io_error dev=[0-9]+ leg=1 op=write .* recovered=1"
[ "$(leg_field "$dev" 1 write_errors)" -gt 0 ] || fail "no write errors on leg 1"
[ "$(leg_field "$dev" 1 bad_ranges)" -gt 0 ] || fail "no bad range recorded on leg 1"
log "leg 1: $(leg_field "$dev" 1 write_errors) write errors, $(leg_field "$dev" 1 bad_ranges) bad ranges"

# The fault goes away: leg 1 now reads its stale copy without error, so only
# the bad-range record keeps readers off it.
dm_swap_linear heal-wfail1 "$l1"
reads_before=$(leg_field "$dev" 1 reads)
for ((i = 0; i < 16; i++)); do
	[ "$(sum_range "/dev/$dev" 8192 2048)" = "$want" ] || fail "read $i returned stale data"
	got=$(dd if="/dev/$dev" iflag=direct,skip_bytes bs=4k skip=$(((8192 + i * 128) * 512)) \
		count=1 status=none | sha256sum | cut -d' ' -f1)
	[ "$got" = "$(dd if="$SCRATCH/new" bs=4k skip=$((i * 16)) count=1 status=none |
		sha256sum | cut -d' ' -f1)" ] || fail "4k read $i returned stale data"
done
[ "$(leg_field "$dev" 1 reads)" = "$reads_before" ] ||
	fail "reads of the bad range went to leg 1"
# Outside the range leg 1 still serves.
dd if="/dev/$dev" iflag=direct bs=64k count=64 status=none of=/dev/null
[ "$(leg_field "$dev" 1 reads)" -gt "$reads_before" ] || fail "leg 1 serves nothing"
exit "$ksft_pass"

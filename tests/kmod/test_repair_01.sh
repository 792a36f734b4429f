#!/usr/bin/env bash
# Repair: leg 1 is a scsi_debug disk with medium errors on reads (writes
# still land).  A read through healblk is served by leg 0 and the good data
# is written back over leg 1's failing range; with the medium errors off,
# leg 1 holds the right data there.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

# Ties between idle legs go by 64 KiB chunk: data sector 4224 is in chunk
# 33, which leg 1 serves first.
bad=4224
err_lba=$((META + bad))	# leg 1 sector where 32 KiB of medium errors start
modprobe scsi_debug dev_size_mb=64 opts=0 medium_error_start=$err_lba \
	medium_error_count=64 2>/dev/null || skip "scsi_debug is not available"
sd=""
for ((i = 0; i < 50; i++)); do
	sd=$(ls /sys/bus/pseudo/drivers/scsi_debug/adapter*/host*/target*/*/block 2>/dev/null)
	[ -n "$sd" ] && break
	sleep 0.2
done
[ -b "/dev/${sd:-none}" ] || fail "no scsi_debug disk appeared"
make_loop 64; l0=$LOOP
make_healblk "$l0" "/dev/$sd"; dev=$HB
"$HEALCTL" set "$dev" --fail-errors 0 || fail "set --fail-errors 0"	# every read of the range fails
sectors=$(blockdev --getsz "/dev/$dev")

head -c $((sectors * 512)) /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
want=$(sum_range "$SCRATCH/data" $bad 64)
# Scribble over leg 1's copy of the range, behind healblk's back, then make it unreadable.
dd if=/dev/zero of="/dev/$sd" bs=512 seek=$err_lba count=64 oflag=direct status=none
echo 2 > /sys/bus/pseudo/drivers/scsi_debug/opts	# SDEBUG_OPT_MEDIUM_ERR

events_start 300
for ((i = 0; i < 8; i++)); do
	[ "$(sum_range "/dev/$dev" $bad 64)" = "$want" ] || fail "read $i of the range differs"
done
events_wait "io_error dev=[0-9]+ leg=1 op=read sector=$bad .* recovered=1"
events_wait "repair dev=[0-9]+ leg=1 sector=$bad sectors=[0-9]+ errno=0"
[ "$(leg_field "$dev" 1 repairs)" -gt 0 ] || fail "no repair counted"

echo 0 > /sys/bus/pseudo/drivers/scsi_debug/opts
[ "$(sum_range "/dev/$sd" "$err_lba" 64)" = "$want" ] ||
	fail "leg 1 was not repaired with the good data"
log "leg 1's failing range was rewritten with the good copy"
destroy_healblk "$dev"
exit "$ksft_pass"

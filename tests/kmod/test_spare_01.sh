#!/usr/bin/env bash
# A spare steps in by itself when a leg fails under load: the rebuild runs
# under fio verify writes, reads during it never come from the part of the
# spare not yet copied (the spare starts full of garbage), and at the end
# the spare is in sync and byte-identical.  The old disk is released.
# Then every refusal of the spare/rebuild/scrub requests, with its words.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 128; l0=$LOOP
make_loop 128; l1=$LOOP
make_loop 128; s0=$LOOP
make_loop 16; tiny=$LOOP
# Garbage where the spare's data area will be: an uncopied read shows.
dd if=/dev/urandom of="$s0" bs=1M count=128 oflag=direct status=none || fail "fill spare"

make_healblk "$l0" "$l1"; dev=$HB
sectors=$(blockdev --getsz "/dev/$dev")
# 64 MiB of known data at the start; fio works in the rest.
head -c 64M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
want=$(sha256sum < "$SCRATCH/data" | cut -d' ' -f1)

# Slow enough to be read under several times: 4 MiB/s busy, 8 MiB/s idle
# (at twice that, 6.12 under TCG once read the 64 MiB only once before the
# end: with the bitmap's bits held while a leg is out, fio's writes no
# longer wait for bitmap blocks and take more of the disks).
"$HEALCTL" set "$dev" --sync-min 4096 --sync-max 8192 || fail "set sync rates"
"$HEALCTL" spare add "$dev" "$s0" || fail "spare add"
[ "$(dev_field "$dev" 'spares[0].state')" = spare ] || fail "no spare listed"
[ "$(cat "/sys/block/$dev/healblk/nr_spares")" = 1 ] || fail "sysfs nr_spares"
[ -e "/sys/block/$(basename "$s0")/holders/$dev" ] || fail "the spare has no holder link"
events_start 300

fio --name=load --filename="/dev/$dev" --direct=1 --ioengine=libaio --rw=randwrite \
	--offset=64M --size=$((sectors / 2048 - 64))M --bsrange=4k-64k --iodepth=8 \
	--loops=3 --verify=crc32c --verify_fatal=1 --do_verify=1 --verify_state_save=0 \
	--randrepeat=0 --output-format=terse --terse-version=3 \
	> "$SCRATCH/fio.out" 2>&1 &
fio_pid=$!
sleep 1
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg 1"
events_wait "leg_state dev=[0-9]+ leg=1 state=rebuilding old_state=spare" 20
[ "$(leg_field "$dev" 1 name)" = "$(basename "$s0")" ] || fail "the spare is not leg 1"

# Read the known data again and again while the rebuild runs.
reads=0
while [ "$(leg_field "$dev" 1 state)" = rebuilding ]; do
	[ "$(sum_range "/dev/$dev" 0 131072)" = "$want" ] ||
		fail "data differs during the rebuild (after $reads good reads)"
	reads=$((reads + 1))
	[ "$reads" -lt 200 ] || fail "the rebuild does not end"
done
log "$reads full reads of 64 MiB during the rebuild, all intact"
[ "$reads" -ge 2 ] || fail "the rebuild ended before it could be read under"
events_wait "sync dev=[0-9]+ kind=rebuild status=done" 120
grep -Eq "sync dev=[0-9]+ kind=rebuild status=running .* eta=[0-9]+" "$SCRATCH/events" ||
	fail "no progress event with an ETA"
wait "$fio_pid" || { cat "$SCRATCH/fio.out"; fail "fio failed during the rebuild"; }
fio_errors_none "$SCRATCH/fio.out" || fail "fio reported an error"

[ "$(leg_field "$dev" 1 state)" = in_sync ] || fail "leg 1 not in sync after the rebuild"
[ "$(dev_field "$dev" state)" = optimal ] || fail "device not optimal"
[ "$(dev_field "$dev" 'spares | length')" = 0 ] || fail "the spare is still listed as a spare"
[ "$(sum_range "/dev/$dev" 0 131072)" = "$want" ] || fail "data differs after the rebuild"
check_legs_identical "/dev/$dev" "$l0" "$s0"
# The failed disk was let go: it can stand by as the new spare.
"$HEALCTL" spare add "$dev" "$l1" || fail "the old leg is still held"

healctl_refused "already a leg or spare" spare add "$dev" "$l0"
healctl_refused "already a leg or spare" spare add "$dev" "$l1"
healctl_refused "smaller than the device" spare add "$dev" "$tiny"
healctl_refused "no spare with that index" spare remove "$dev" 3
healctl_refused "only a failed or missing leg" rebuild "$dev" 0
healctl_refused "no rebuild or scrub is running" abort "$dev"
healctl_refused "no healblk device" scrub healblk999
healctl_refused "minimum sync rate is above the maximum" set "$dev" --sync-min 9000 --sync-max 100
"$HEALCTL" set "$dev" --auto-spare maybe >/dev/null 2>&1 && fail "--auto-spare maybe accepted"
"$HEALCTL" spare remove "$dev" 0 || fail "spare remove"
[ "$(dev_field "$dev" 'spares | length')" = 0 ] || fail "spare not removed"
[ -e "/sys/block/$(basename "$l1")/holders/$dev" ] && fail "a removed spare keeps its holder link"
exit "$ksft_pass"

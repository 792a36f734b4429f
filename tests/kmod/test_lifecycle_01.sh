#!/usr/bin/env bash
# Create 1- to 4-leg devices, see them in status and sysfs, destroy them;
# destroying an open device is refused.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

legs=()
for i in 0 1 2 3; do
	make_loop $((32 + i * 8)); legs+=("$LOOP")
done

for n in 1 2 3 4; do
	make_healblk "${legs[@]:0:n}"; dev=$HB
	sys=/sys/block/$dev/healblk
	[ "$(dev_field "$dev" state)" = optimal ] || fail "$dev not optimal"
	[ "$("$HEALCTL" status "$dev" --json | jq '.devices[0].legs | length')" = "$n" ] ||
		fail "$dev: status does not show $n legs"
	[ "$(cat "$sys/state")" = optimal ] || fail "$sys/state"
	[ "$(cat "$sys/nr_legs")" = "$n" ] || fail "$sys/nr_legs"
	[ "$(cat "$sys/data_offset")" = "$META" ] || fail "$sys/data_offset"
	# The size is the smallest leg's (32 MiB) minus the metadata area, and
	# with one leg minus its spare area (505 blocks of 4 KiB) too.
	spare=0
	[ "$n" = 1 ] && spare=$((505 * 8))
	[ "$(blockdev --getsz "/dev/$dev")" = $((32 * 2048 - META - spare)) ] ||
		fail "$dev has $(blockdev --getsz "/dev/$dev") sectors"
	for ((k = 0; k < n; k++)); do
		[ "$(cat "$sys/leg$k/state")" = in_sync ] || fail "$sys/leg$k/state"
		[ "/dev/$(cat "$sys/leg$k/name")" = "${legs[k]}" ] || fail "$sys/leg$k/name"
		for f in dev reads writes read_errors write_errors retried_reads repairs bad_ranges; do
			[ -r "$sys/leg$k/$f" ] || fail "no $sys/leg$k/$f"
		done
		# Every leg names the device as its holder.
		[ -e "/sys/class/block/$(basename "${legs[k]}")/holders/$dev" ] ||
			fail "${legs[k]} does not list $dev as holder"
	done
	# A known pattern written through the device reads back from it.
	head -c 1M /dev/urandom > "$SCRATCH/pattern"
	dd if="$SCRATCH/pattern" of="/dev/$dev" bs=1M oflag=direct status=none
	[ "$(sum_range "/dev/$dev" 0 2048)" = "$(sha256sum < "$SCRATCH/pattern" | cut -d' ' -f1)" ] ||
		fail "$dev does not read back what was written"

	# Open: destroy answers EBUSY and the device stays.
	exec 3< "/dev/$dev"
	rc=0
	err=$("$HEALCTL" destroy "$dev" 2>&1) || rc=$?
	[ $rc -eq 1 ] || fail "destroy of an open $dev exited $rc: $err"
	echo "$err" | grep -q "Device or resource busy" || fail "destroy while open said: $err"
	exec 3<&-
	destroy_healblk "$dev"
	[ ! -e "/sys/block/$dev" ] || fail "$dev still in sysfs"
	log "$n legs: ok"
done
[ "$("$HEALCTL" status --json | jq '.devices | length')" = 0 ] || fail "devices left"
exit "$ksft_pass"

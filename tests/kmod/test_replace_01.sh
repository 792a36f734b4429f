#!/usr/bin/env bash
# md's want_replacement: `healctl replace DEV LEG` copies a leg that is
# still in sync to a spare while the leg keeps serving, then the spare
# takes its slot and the old disk is let go.  Checked with checksums:
# - during the copy the device has three legs (the copy last, rebuilding,
#   naming the leg it replaces), stays optimal, serves the known data and
#   takes writes; the old leg keeps serving and taking writes;
# - after it, two legs, the spare's disk in the old slot, the old disk
#   released, every leg's data area identical to the device, and the data
#   (with the writes made during the copy) intact; an assembly given the
#   old disk too ignores it;
# - a device stopped mid-copy is assembled with the copy resuming from its
#   checkpoint, still a replacement, and finishes; without the copy's disk
#   it assembles (no --run) and the copy leaves;
# - the old leg failing during the copy: the copy goes on and takes the
#   slot; the other spare is not spent on that slot meanwhile;
# - an aborted copy leaves the device as it was and the disk back among
#   the spares;
# - refusals: a failed leg, no spare, a second replacement, four legs.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 96; l0=$LOOP
make_loop 96; l1=$LOOP
make_loop 96; s0=$LOOP
make_loop 96; s1=$LOOP
make_loop 96; s2=$LOOP
# Garbage where the spares' data areas will be: an uncopied read shows.
for s in "$s0" "$s1" "$s2"; do
	dd if=/dev/urandom of="$s" bs=1M count=96 oflag=direct status=none || fail "fill $s"
done

make_healblk "$l0" "$l1"; dev=$HB
sectors=$(blockdev --getsz "/dev/$dev")
head -c 48M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
cp "$SCRATCH/data" "$SCRATCH/model"	# what the first 48 MiB must read as

# model_write SECTOR: 64 KiB of new data at SECTOR, through the device and into the model
model_write() {
	head -c 64K /dev/urandom > "$SCRATCH/w"
	dd if="$SCRATCH/w" of="/dev/$dev" bs=64K seek=$(($1 * 512)) oflag=direct,seek_bytes \
		status=none || fail "write at $1"
	dd if="$SCRATCH/w" of="$SCRATCH/model" bs=64K seek=$(($1 * 512)) oflag=seek_bytes \
		conv=notrunc status=none
}
model_check() {	# model_check WHEN
	[ "$(sum_range "/dev/$dev" 0 98304)" = "$(sha256sum < "$SCRATCH/model" | cut -d' ' -f1)" ] ||
		fail "the data differs from the model $1"
}
wait_legs() {	# wait_legs N SECONDS: the device has N legs, all in sync
	local i
	for ((i = 0; i < $2 * 2; i++)); do
		[ "$("$HEALCTL" status "$dev" --json |
			jq -r '.devices[0].legs | "\(map(select(.state == "in_sync")) | length)/\(length)"')" \
			= "$1/$1" ] 2>/dev/null && return 0
		sleep 0.5
	done
	"$HEALCTL" status "$dev"
	fail "not $1 legs in sync after $2 s"
}

healctl_refused "no spare to copy" replace "$dev" 0
# No auto-spare for now: a failed leg's slot waits for a request.
"$HEALCTL" set "$dev" --auto-spare off || fail "auto-spare off"
"$HEALCTL" spare add "$dev" "$s0" || fail "spare add s0"
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg 1"
healctl_refused "only a leg in sync" replace "$dev" 1
"$HEALCTL" re-add "$dev" "$l1" || fail "re-add l1"
wait_legs 2 60
"$HEALCTL" spare add "$dev" "$s1" || fail "spare add s1"

# 1. Replace leg 0 while it serves, slowly enough to be read and written under
# (2-3 MiB/s: 30-45 s for 95 MiB; at twice that a loaded host read it once).
"$HEALCTL" set "$dev" --sync-min 2048 --sync-max 3072 || fail "set sync rates"
events_start 600
"$HEALCTL" replace "$dev" 0 || fail "replace 0"
healctl_refused "already running" replace "$dev" 1
events_wait "leg_state dev=[0-9]+ leg=2 state=rebuilding old_state=spare" 30
[ "$(dev_field "$dev" 'legs | length')" = 3 ] || fail "the copy is not a third leg"
[ "$(leg_field "$dev" 2 name)" = "$(basename "$s0")" ] || fail "leg 2 is not the first spare"
[ "$(leg_field "$dev" 2 replaces)" = 0 ] || fail "leg 2 does not say it replaces leg 0"
[ "$(leg_field "$dev" 0 state)" = in_sync ] || fail "leg 0 left the mirror during its copy"
[ "$(dev_field "$dev" state)" = optimal ] || fail "a replacement made the device $(dev_field "$dev" state)"
[ "$(cat "/sys/block/$dev/healblk/nr_legs")" = 3 ] || fail "sysfs nr_legs during the copy"
[ -e "/sys/block/$dev/healblk/leg2" ] || fail "no sysfs leg2 during the copy"
reads=0 writes=0
while [ "$(leg_field "$dev" 2 state 2>/dev/null)" = rebuilding ]; do
	model_write $(( (RANDOM % 96) * 1024 ))
	writes=$((writes + 1))
	model_check "during the copy (after $reads good reads)"
	reads=$((reads + 1))
	[ "$reads" -lt 300 ] || fail "the copy does not end"
done
log "$reads reads of 48 MiB and $writes writes during the copy, all as the model"
[ "$reads" -ge 2 ] || fail "the copy ended before it could be read under"
events_wait "leg_state dev=[0-9]+ leg=0 state=failed old_state=in_sync reason=replaced" 60
wait_legs 2 60
[ "$(leg_field "$dev" 0 name)" = "$(basename "$s0")" ] || fail "the spare did not take slot 0"
[ "$(leg_field "$dev" 0 replaces)" = null ] || fail "leg 0 still says it replaces"
[ "$(dev_field "$dev" 'spares | length')" = 1 ] || fail "not one spare left"
[ -e "/sys/block/$(basename "$l0")/holders/$dev" ] && fail "the old disk is still held"
[ -e "/sys/block/$dev/healblk/leg2" ] && fail "sysfs leg2 after the copy"
[ "$(cat "/sys/block/$dev/healblk/nr_legs")" = 2 ] || fail "sysfs nr_legs after the copy"
model_check "after the replacement"
check_legs_identical "/dev/$dev" "$s0" "$l1"

# The old disk given to assembly with the others: ignored.
"$HEALCTL" set "$dev" --sync-max 0 || fail "sync-max 0"
destroy_healblk "$dev"
HB=$("$HEALCTL" assemble "$l0" "$l1" "$s0" "$s1") || fail "assemble with the old disk"
_healblk+=("$HB"); dev=$HB
wait_legs 2 30
[ "$(leg_field "$dev" 0 name)" = "$(basename "$s0")" ] || fail "assembled: slot 0 is not the replacement"
model_check "assembled with the old disk given"

# 2. Stopped mid-copy: assembled, the copy resumes as a replacement and ends.
"$HEALCTL" set "$dev" --sync-min 2048 --sync-max 2048 || fail "slow"
"$HEALCTL" replace "$dev" 1 || fail "replace 1"
for ((i = 0; i < 60; i++)); do
	pos=$(leg_field "$dev" 2 sync_pos 2>/dev/null)
	[ "${pos:-0}" != null ] && [ "${pos:-0}" -gt 20480 ] && break
	sleep 0.5
done
{ [ "${pos:-0}" != null ] && [ "${pos:-0}" -gt 20480 ]; } || fail "the copy of leg 1 does not move"
model_write 4096
destroy_healblk "$dev"
HB=$("$HEALCTL" assemble "$s0" "$l1" "$s1") || fail "assemble mid-copy"
_healblk+=("$HB"); dev=$HB
[ "$(dev_field "$dev" 'legs | length')" = 3 ] || fail "assembled mid-copy: not three legs"
[ "$(leg_field "$dev" 2 replaces)" = 1 ] || fail "assembled mid-copy: leg 2 forgot it replaces leg 1"
[ "$(leg_field "$dev" 2 sync_pos)" -gt 0 ] || fail "assembled mid-copy: the copy starts over"
model_check "assembled mid-copy"
"$HEALCTL" set "$dev" --sync-max 0 || fail "sync-max 0"
wait_legs 2 120
[ "$(leg_field "$dev" 1 name)" = "$(basename "$s1")" ] || fail "s1 did not take slot 1"
model_check "after the resumed replacement"
check_legs_identical "/dev/$dev" "$s0" "$s1"

# 2b. Stopped mid-copy, the copy's disk not given: assembled without --run
# (every leg of the mirror is there), the copy leaves.
"$HEALCTL" spare add "$dev" "$l1" || fail "spare add l1"
"$HEALCTL" set "$dev" --sync-min 2048 --sync-max 2048 || fail "slow"
"$HEALCTL" replace "$dev" 0 || fail "replace 0 (to be stopped)"
for ((i = 0; i < 60; i++)); do
	pos=$(leg_field "$dev" 2 sync_pos 2>/dev/null)
	[ "${pos:-0}" != null ] && [ "${pos:-0}" -gt 0 ] && break
	sleep 0.5
done
destroy_healblk "$dev"
HB=$("$HEALCTL" assemble "$s0" "$s1") || fail "assemble without the copy's disk"
_healblk+=("$HB"); dev=$HB
wait_legs 2 30
[ "$(leg_field "$dev" 0 name)" = "$(basename "$s0")" ] || fail "slot 0 changed"
model_check "assembled without the copy's disk"

# 3. The old leg fails during the copy: the copy takes its slot; the other spare stays.
"$HEALCTL" spare add "$dev" "$s2" || fail "spare add s2"
"$HEALCTL" spare add "$dev" "$l0" || fail "spare add l0"
"$HEALCTL" set "$dev" --auto-spare on --sync-min 4096 --sync-max 4096 || fail "auto-spare on"
"$HEALCTL" replace "$dev" 0 || fail "replace 0 again"
events_wait "leg_state dev=[0-9]+ leg=2 state=rebuilding old_state=spare" 30
"$HEALCTL" fail-leg "$dev" 0 || fail "fail-leg 0 during its copy"
[ "$(dev_field "$dev" state)" = degraded ] || fail "one copy left during the copy, yet not degraded"
sleep 2
[ "$(dev_field "$dev" 'spares | length')" = 1 ] || fail "a spare was spent on the replaced slot"
model_write 8192
"$HEALCTL" set "$dev" --sync-max 0 || fail "sync-max 0"
wait_legs 2 120
[ "$(leg_field "$dev" 0 name)" = "$(basename "$s2")" ] || fail "s2 did not take slot 0"
[ "$(dev_field "$dev" 'spares | length')" = 1 ] || fail "not one spare left after"
model_check "after a replacement whose old leg failed"
check_legs_identical "/dev/$dev" "$s2" "$s1"

# 4. Aborted: the device as before, the disk a spare again.
"$HEALCTL" set "$dev" --sync-min 1024 --sync-max 1024 || fail "slow"
"$HEALCTL" replace "$dev" 1 || fail "replace 1 again"
events_wait "leg_state dev=[0-9]+ leg=2 state=rebuilding old_state=spare" 30
"$HEALCTL" abort "$dev" || fail "abort"
wait_legs 2 30
[ "$(dev_field "$dev" 'spares | length')" = 1 ] || fail "the aborted copy's disk is not a spare again"
[ "$(dev_field "$dev" 'spares[0].name')" = "$(basename "$l0")" ] || fail "another disk is the spare"
[ "$(leg_field "$dev" 1 name)" = "$(basename "$s1")" ] || fail "leg 1 changed with an aborted copy"
model_check "after an aborted replacement"

# 5. Four legs: no slot for a copy.
"$HEALCTL" set "$dev" --sync-max 0 || fail "sync-max 0"
destroy_healblk "$dev"
make_healblk "$s2" "$s1" "$l1" "$s0"; dev=$HB
"$HEALCTL" spare add "$dev" "$l0" || fail "spare add to four legs"
healctl_refused "4 legs" replace "$dev" 0
log "replacement: copied while serving, resumed after a stop, survived its leg failing, aborted cleanly"
exit "$ksft_pass"

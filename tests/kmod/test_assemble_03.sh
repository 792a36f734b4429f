#!/usr/bin/env bash
# A spare keeps its identity across an assembly (found by test_torture_01,
# seed 11, in CI): assembly gave every spare it brought back an all-zero
# disk UUID, so two spares had the same one; after one was removed and the
# other had replaced a leg, the removed spare's old superblock claimed that
# leg's slot and the next assembly was refused ("two legs claim the same
# slot") with every disk given.
#  1. after an assembly each spare's superblock names it with its own,
#     non-zero UUID;
#  2. remove spare 0, fail leg 1 (spare 1 replaces it, rebuilt), stop;
#     assemble with every disk that ever served, the removed spare and the
#     replaced leg included: the device comes back with both legs in sync
#     and its data, the two old disks ignored.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

leg_uuid() {	# leg_uuid DEV: the disk UUID in its superblock (copy A)
	dd if="$1" bs=4096 count=1 iflag=direct status=none | od -An -tx1 -j32 -N16 | tr -d ' \n'
}

make_loop 48; l0=$LOOP
make_loop 48; l1=$LOOP
make_loop 48; s0=$LOOP
make_loop 48; s1=$LOOP
make_healblk "$l0" "$l1"; dev=$HB
"$HEALCTL" set "$dev" --auto-spare off || fail "set --auto-spare off"
"$HEALCTL" spare add "$dev" "$s0" || fail "spare add $s0"
"$HEALCTL" spare add "$dev" "$s1" || fail "spare add $s1"
head -c 8M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
want=$(sha256sum < "$SCRATCH/data" | cut -d' ' -f1)
destroy_healblk "$dev"

# 1. Identities after an assembly.
HB=$("$HEALCTL" assemble "$l0" "$l1" "$s0" "$s1") || fail "assemble"
_healblk+=("$HB"); dev=$HB
udevadm settle 2>/dev/null
[ "$(dev_field "$dev" "spares | length")" = 2 ] || fail "the spares did not come back"
# A superblock write records the spares as the device now knows them.
"$HEALCTL" set "$dev" --fail-errors 9 || fail "set"
zero=00000000000000000000000000000000
u=()
for d in "$l0" "$l1" "$s0" "$s1"; do
	x=$(leg_uuid "$d")
	[ "$x" != "$zero" ] || fail "$d has an all-zero disk UUID after assembly"
	u+=("$x")
done
[ "$(printf '%s\n' "${u[@]}" | sort -u | wc -l)" = 4 ] || fail "disk UUIDs not distinct: ${u[*]}"
log "four disks, four UUIDs after an assembly"

# 2. A removed spare and a replaced leg do not come back.
"$HEALCTL" spare remove "$dev" 0 || fail "spare remove 0"
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg 1"
"$HEALCTL" rebuild "$dev" 1 || fail "rebuild 1"
for _ in $(seq 300); do
	[ "$(leg_field "$dev" 1 state)" = in_sync ] && break
	sleep 0.2
done
[ "$(leg_field "$dev" 1 state)" = in_sync ] || fail "leg 1 not rebuilt: $(leg_field "$dev" 1 state)"
destroy_healblk "$dev"
HB=$("$HEALCTL" assemble "$s0" "$l1" "$s1" "$l0" 2>&1) ||
	fail "assemble with the removed spare and the replaced leg given: $HB"
_healblk+=("$HB"); dev=$HB
udevadm settle 2>/dev/null
for i in 0 1; do
	[ "$(leg_field "$dev" $i state)" = in_sync ] || fail "leg $i $(leg_field "$dev" $i state)"
done
got=$(sum_range "/dev/$dev" 0 16384)
[ "$got" = "$want" ] || fail "data differs after the assembly"
check_legs_identical "/dev/$dev" "$l0" "$s1"
log "the removed spare and the replaced leg were ignored; legs in sync, data intact"
destroy_healblk "$dev"
exit "$ksft_pass"

#!/usr/bin/env bash
# On-disk metadata and assembly: a device comes back from its legs'
# superblocks after destroy or a module reload with its data intact; a leg
# that missed changes comes back stale; bad legs are refused by name.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 48; l0=$LOOP
make_loop 48; l1=$LOOP
make_loop 48; o0=$LOOP

make_healblk "$l0" "$l1"; dev=$HB
uuid=$(dev_field "$dev" uuid)
head -c 8M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
want=$(sha256sum < "$SCRATCH/data" | cut -d' ' -f1)
destroy_healblk "$dev"

# Superblocks are read and written with O_DIRECT here: healblk writes its
# own with bios, past the legs' page cache.
sb_get() { dd if="$1" of="$2" bs=4096 count=2 iflag=direct status=none; }
sb_put() { dd if="$1" of="$2" bs=4096 count=2 oflag=direct status=none; }

# Both superblock copies carry the magic on each leg.
for l in "$l0" "$l1"; do
	sb_get "$l" "$SCRATCH/sb"
	for off in 0 4096; do
		[ "$(dd if="$SCRATCH/sb" bs=1 skip=$off count=8 status=none)" = HEALBLK1 ] ||
			fail "no superblock at byte $off of $l"
	done
done

assemble() {	# assemble LEG...: HB=the device
	HB=$("$HEALCTL" assemble "$@") || fail "healctl assemble $*"
	_healblk+=("$HB")
	udevadm settle 2>/dev/null
}

# 1. Back with its data, same UUID, in sync.
assemble "$l0" "$l1"; dev=$HB
[ "$(dev_field "$dev" uuid)" = "$uuid" ] || fail "the UUID changed"
[ "$(dev_field "$dev" state)" = optimal ] || fail "not optimal after assembly"
[ "$(sum_range "/dev/$dev" 0 16384)" = "$want" ] || fail "data differs after assembly"
destroy_healblk "$dev"
log "assembled from both legs: data intact"

# 2. After a module reload, found by scanning.
rmmod healblk || fail rmmod
insmod "$HEALBLK_KO" fault_injection=1 || fail insmod
"$HEALCTL" assemble --scan || fail "assemble --scan"
dev=$("$HEALCTL" status --json | jq -r --arg u "$uuid" '.devices[] | select(.uuid == $u) | .name')
[ -n "$dev" ] || fail "--scan did not bring the device back"
_healblk+=("$dev")
udevadm settle 2>/dev/null
[ "$(sum_range "/dev/$dev" 0 16384)" = "$want" ] || fail "data differs after --scan"
destroy_healblk "$dev"
log "assemble --scan after rmmod/insmod: data intact"

# 3. Leg 1 absent: refused unless asked for (--run); then degraded, new
# data written without it.
if out=$("$HEALCTL" assemble "$l0" 2>&1); then
	_healblk+=("$out"); fail "a leg missing, assembled without --run as $out"
fi
echo "$out" | grep -q 'missing' || fail "assemble with a leg missing: '$out'"
assemble --run "$l0"; dev=$HB
[ "$(dev_field "$dev" state)" = degraded ] || fail "not degraded with a leg missing"
[ "$(leg_field "$dev" 1 state)" = missing ] || fail "leg 1 not missing"
head -c 8M /dev/urandom > "$SCRATCH/data2"
dd if="$SCRATCH/data2" of="/dev/$dev" bs=1M oflag=direct status=none || fail "degraded write"
want2=$(sha256sum < "$SCRATCH/data2" | cut -d' ' -f1)
destroy_healblk "$dev"

# 4. Leg 1 back: it missed the changes, so it is stale: caught up from the
# bitmap from leg 0 (test_catchup_01 counts what is copied), serving reads
# only of what it has copied.
events_start 120
assemble "$l0" "$l1"; dev=$HB
state=$(leg_field "$dev" 1 state)
case $state in rebuilding | in_sync) ;; *) fail "stale leg 1 is $state" ;; esac
[ "$(sum_range "/dev/$dev" 0 16384)" = "$want2" ] || fail "stale data was served"
events_wait "sync dev=[0-9]+ kind=rebuild status=done leg=1 " 60
[ "$(leg_field "$dev" 1 state)" = in_sync ] || fail "stale leg 1 not resynced"
check_legs_identical "/dev/$dev" "$l0" "$l1"
destroy_healblk "$dev"
log "a leg that missed changes comes back stale and is resynced from the others"

# 5. Refusals, each naming the leg.
expect_refused() {	# expect_refused REGEX LEG...
	local want=$1 out
	shift
	if out=$("$HEALCTL" assemble "$@" 2>&1); then
		fail "assemble $* succeeded"
	fi
	echo "$out" | grep -Eq -- "$want" || fail "assemble $*: '$out' does not match '$want'"
	log "$out"
}
make_healblk "$o0"; other=$HB
destroy_healblk "$other"
expect_refused "leg $o0: .*another healblk device" "$l0" "$o0"

sb_get "$l1" "$SCRATCH/sb1"
sb_put /dev/zero "$l1"
expect_refused "leg $l1: .*no healblk superblock" "$l0" "$l1"
# Right magic, one byte flipped in both copies.
cp "$SCRATCH/sb1" "$SCRATCH/sbx"
for off in 200 4296; do
	printf '\xff' | dd of="$SCRATCH/sbx" bs=1 seek=$off conv=notrunc status=none
done
sb_put "$SCRATCH/sbx" "$l1"
expect_refused "leg $l1: .*checksum mismatch" "$l0" "$l1"
# A valid superblock of a newer format version.
cp "$SCRATCH/sb1" "$SCRATCH/sbx"
"$(dirname "$0")/../hbmeta.py" sb-version "$SCRATCH/sbx" 2 ||
	fail "cannot write a version 2 superblock"
sb_put "$SCRATCH/sbx" "$l1"
expect_refused "leg $l1: .*newer format version" "$l0" "$l1"
# Restored, it assembles again.
sb_put "$SCRATCH/sb1" "$l1"
assemble "$l0" "$l1"; dev=$HB
[ "$(sum_range "/dev/$dev" 0 16384)" = "$want2" ] || fail "data differs at the end"
exit "$ksft_pass"

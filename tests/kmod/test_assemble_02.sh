#!/usr/bin/env bash
# Assembly with mdadm's rules (issue 11, defects 2, 6 and 10):
#  1. a device already running is not assembled a second time;
#  2. split brain: two legs each run degraded without the other, then
#     given together: refused; with --force the newest history wins and
#     the other leg is rebuilt from it; a leg given alone without --run is
#     refused (it may be the stale one);
#  3. a crash between two legs' superblock writes: the in-sync leg one
#     event behind a rebuilding leg in a lower slot is current, not stale;
#  4. a replaced leg's and a removed spare's old superblocks are ignored,
#     not fatal, and a replaced leg that ran alone does not take over;
#     a spare half-activated by a crash is its slot's leg; 4 legs and 4
#     spares assemble in one request.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"
hbmeta=$(dirname "$0")/../hbmeta.py

make_loop 48; l0=$LOOP
make_loop 48; l1=$LOOP
assemble() {	# assemble ARGS...: HB=the device
	HB=$("$HEALCTL" assemble "$@") || fail "healctl assemble $*"
	_healblk+=("$HB")
	udevadm settle 2>/dev/null
}
refused() {	# refused REGEX ARGS...: assemble fails, saying REGEX
	local want=$1 out
	shift
	if out=$("$HEALCTL" assemble "$@" 2>&1); then
		_healblk+=("$out")
		fail "assemble $* succeeded as $out"
	fi
	echo "$out" | grep -Eq -- "$want" || fail "assemble $*: '$out' does not say '$want'"
	log "refused: $out"
}
write_sum() {	# write_sum DEV FILE: 4 MiB of new data, its sum into FILE
	head -c 4M /dev/urandom > "$SCRATCH/w"
	dd if="$SCRATCH/w" of="/dev/$1" bs=1M oflag=direct status=none || fail "write to $1"
	sha256sum < "$SCRATCH/w" | cut -d' ' -f1 > "$2"
}

# 1. Not twice.
make_healblk "$l0" "$l1"; dev=$HB
write_sum "$dev" "$SCRATCH/sum0"
make_loop 48; c0=$LOOP
dd if="$l1" of="$c0" bs=1M count=48 iflag=direct oflag=direct status=none || fail "clone l1"
refused "already running" "$c0"
destroy_healblk "$dev"

# 2. Split brain.
refused "missing.*degraded" "$l0"
assemble --run "$l0"; dev=$HB
[ "$(leg_field "$dev" 1 state)" = missing ] || fail "leg 1 not missing in a degraded start"
write_sum "$dev" "$SCRATCH/sumA"
destroy_healblk "$dev"
assemble --run "$l1"; dev=$HB
write_sum "$dev" "$SCRATCH/sumB"
# Leg 1's history gets longer: it is the newest.
"$HEALCTL" set "$dev" --fail-errors 7 || fail set
"$HEALCTL" set "$dev" --fail-errors 8 || fail set
destroy_healblk "$dev"
refused "split brain" "$l0" "$l1"
events_start 120
assemble --force "$l0" "$l1"; dev=$HB
[ "$(sum_range "/dev/$dev" 0 8192)" = "$(cat "$SCRATCH/sumB")" ] ||
	fail "--force did not keep the newest history (leg 1's)"
events_wait "sync dev=[0-9]+ kind=rebuild status=done leg=0 " 60
[ "$(leg_field "$dev" 0 state)" = in_sync ] || fail "leg 0 was not rebuilt from leg 1"
check_legs_identical "/dev/$dev" "$l0" "$l1"
destroy_healblk "$dev"
log "split brain refused; forced, the newest history won and the other leg was rebuilt"

# 3. Crash between the superblock writes of a rebuild's checkpoint: leg 0
# (rebuilding, slot 0) got event N+1, leg 1 (in sync) still has N.
events=$(python3 "$hbmeta" sb-get "$l1" events) || fail "read leg 1's event counter"
python3 "$hbmeta" sb-set "$l0" events $((events + 1)) || fail hbmeta
python3 "$hbmeta" sb-set "$l0" member0_state 4 || fail hbmeta
python3 "$hbmeta" sb-set "$l0" member0_sync_pos 0 || fail hbmeta
assemble "$l0" "$l1"; dev=$HB
[ "$(leg_field "$dev" 1 state)" = in_sync ] ||
	fail "leg 1, one event behind a rebuilding leg 0, was not taken as current"
events_wait "sync dev=[0-9]+ kind=rebuild status=done leg=0 " 60
[ "$(sum_range "/dev/$dev" 0 8192)" = "$(cat "$SCRATCH/sumB")" ] || fail "data differs"
check_legs_identical "/dev/$dev" "$l0" "$l1"
destroy_healblk "$dev"
log "a leg one event behind, listed in sync, is current"

# 4. Superseded disks are ignored; 8 disks in one request.
make_loop 48; s0=$LOOP
make_loop 48; s1=$LOOP
assemble "$l0" "$l1"; dev=$HB
"$HEALCTL" spare add "$dev" "$s0" || fail "spare add s0"
"$HEALCTL" spare add "$dev" "$s1" || fail "spare add s1"
"$HEALCTL" spare remove "$dev" 1 || fail "spare remove s1"
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg 1"
events_wait "sync dev=[0-9]+ kind=rebuild status=done leg=1 " 60
destroy_healblk "$dev"
assemble "$l0" "$l1" "$s0" "$s1"; dev=$HB
[ "$(leg_field "$dev" 1 name)" = "${s0##*/}" ] || fail "the spare that replaced leg 1 is not leg 1"
[ "$(dev_field "$dev" state)" = optimal ] || fail "not optimal without the superseded disks"
[ "$(dev_field "$dev" 'spares | length')" = 0 ] || fail "the removed spare came back"
[ -e "/sys/block/${l1##*/}/holders/$dev" ] && fail "the replaced leg is held"
[ -e "/sys/block/${s1##*/}/holders/$dev" ] && fail "the removed spare is held"
[ "$(sum_range "/dev/$dev" 0 8192)" = "$(cat "$SCRATCH/sumB")" ] || fail "data differs"
destroy_healblk "$dev"
log "a replaced leg and a removed spare are ignored at assembly"

# 4b. The replaced leg run alone (--run) gets ahead of the real array:
# given together, its history conflicts (the others list another disk in
# its slot), and it must not become the authority by its counter alone.
assemble --run "$l1"; dev=$HB
for n in 1 2 3 4 5 6 7 8; do "$HEALCTL" set "$dev" --fail-errors $n || fail set; done
destroy_healblk "$dev"
refused "split brain" "$l0" "$l1" "$s0"
log "a replaced leg that ran alone conflicts with the array that replaced it"

# 4c. A crash during a spare's activation: the members list s0 in slot 1,
# s0's own superblock still says spare.  It is that leg, rebuilt.
python3 "$hbmeta" sb-set "$s0" role 1 || fail hbmeta
python3 "$hbmeta" sb-set "$s0" slot 0 || fail hbmeta
assemble "$l0" "$s0"; dev=$HB
[ "$(leg_field "$dev" 1 name)" = "${s0##*/}" ] || fail "the half-activated spare is not leg 1"
events_wait "sync dev=[0-9]+ kind=rebuild status=done leg=1 " 60
[ "$(dev_field "$dev" state)" = optimal ] || fail "not optimal after rebuilding the spare"
[ "$(sum_range "/dev/$dev" 0 8192)" = "$(cat "$SCRATCH/sumB")" ] || fail "data differs"
destroy_healblk "$dev"
log "a spare whose activation a crash cut short is its slot's leg"

disks=()
for ((i = 0; i < 8; i++)); do make_loop 48; disks+=("$LOOP"); done
make_healblk "${disks[@]:0:4}"; dev=$HB
for ((i = 4; i < 8; i++)); do "$HEALCTL" spare add "$dev" "${disks[i]}" || fail "spare add"; done
destroy_healblk "$dev"
assemble "${disks[@]}"; dev=$HB
[ "$(dev_field "$dev" 'legs | length')" = 4 ] || fail "not 4 legs"
[ "$(dev_field "$dev" 'spares | length')" = 4 ] || fail "not 4 spares"
log "4 legs and 4 spares assembled in one request"
exit "$ksft_pass"

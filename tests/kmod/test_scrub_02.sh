#!/usr/bin/env bash
# md's check, mismatch_cnt and sync_action (issue 11, "Also"):
#   1. `healctl scrub --check` counts the blocks that differ between legs
#      and writes nothing: the legs stay as they were, the exit status
#      says it found some;
#   2. the count of the last whole pass (mismatch_cnt) is kept on disk:
#      the same after a stop and an assembly;
#   3. sync_action in sysfs shows what runs, in md's words, and takes
#      check, repair and idle; idle stops a pass, which leaves mismatch_cnt
#      as it was; anything else is refused;
#   4. repair makes the legs identical with leg 0's data (2 legs).
# The data is checked with sha256 against the model.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 64; l0=$LOOP
make_loop 64; l1=$LOOP
make_healblk "$l0" "$l1"; dev=$HB
head -c 60M /dev/urandom > "$SCRATCH/model"
dd if="$SCRATCH/model" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
want=$(sha256sum < "$SCRATCH/model" | cut -d' ' -f1)

plant() {	# plant LEG BLOCK: 4 KiB of garbage at data block BLOCK of LEG
	dd if=/dev/urandom of="$1" bs=4096 seek=$((META / 8 + $2)) count=1 \
		oflag=direct conv=notrunc status=none || fail "plant on $1"
}
block_sum() {	# block_sum LEG BLOCK
	sum_range "$1" $((META + $2 * 8)) 8
}
sysfs() { echo "/sys/block/$dev/healblk/$1"; }
action() { cat "$(sysfs sync_action)"; }
idle_within() {	# idle_within SECONDS
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		[ "$(action)" = idle ] && return 0
		sleep 0.1
	done
	fail "sync_action still '$(action)' after $1 s"
}

# 1. A check finds three planted blocks and changes none of them.
[ "$(action)" = idle ] || fail "sync_action '$(action)' on an idle device"
[ "$(cat "$(sysfs mismatch_cnt)")" = 0 ] || fail "mismatch_cnt $(cat "$(sysfs mismatch_cnt)") on a new device"
for b in 3 500 15000; do plant "$l1" $b; done
planted=$(block_sum "$l1" 500)
if out=$("$HEALCTL" scrub "$dev" --check --wait --json); then
	fail "a check that found mismatches exited 0: $out"
fi
log "check: $out"
[ "$(jq -r .kind <<< "$out")" = check ] || fail "kind $(jq -r .kind <<< "$out"), not check"
[ "$(jq -r .status <<< "$out")" = "done" ] || fail "check status $(jq -r .status <<< "$out")"
[ "$(jq -r .mismatches <<< "$out")" = 3 ] || fail "check found $(jq -r .mismatches <<< "$out"), not 3"
[ "$(jq -r .repaired <<< "$out")" = 0 ] || fail "check repaired $(jq -r .repaired <<< "$out")"
[ "$(block_sum "$l1" 500)" = "$planted" ] || fail "the check wrote over a mismatched block"
[ "$(block_sum "$l1" 500)" != "$(block_sum "$l0" 500)" ] || fail "block 500 is the same on both legs"
[ "$(leg_field "$dev" 1 repairs)" = 0 ] || fail "leg 1 counts $(leg_field "$dev" 1 repairs) repairs"

# 2. Kept on disk.
[ "$(dev_field "$dev" mismatch_cnt)" = 3 ] || fail "mismatch_cnt $(dev_field "$dev" mismatch_cnt), not 3"
destroy_healblk "$dev"
HB=$("$HEALCTL" assemble "$l0" "$l1") || fail "assemble"
dev=$HB; _healblk+=("$dev")
[ "$(cat "$(sysfs mismatch_cnt)")" = 3 ] ||
	fail "mismatch_cnt $(cat "$(sysfs mismatch_cnt)") after a stop and assembly, not 3"
"$HEALCTL" examine "$l0" > /dev/null || fail "examine"

# 3. sync_action: check, then repair, then a check that finds nothing.
echo check > "$(sysfs sync_action)" || fail "echo check > sync_action"
idle_within 120
[ "$(dev_field "$dev" sync.kind)" = check ] || fail "sync_action check ran a $(dev_field "$dev" sync.kind)"
[ "$(cat "$(sysfs mismatch_cnt)")" = 3 ] || fail "the second check: mismatch_cnt $(cat "$(sysfs mismatch_cnt)")"
echo repair > "$(sysfs sync_action)" || fail "echo repair > sync_action"
idle_within 120
[ "$(dev_field "$dev" sync.repaired)" = 3 ] || fail "repair: $(dev_field "$dev" sync.repaired) repaired"
[ "$(sum_range "/dev/$dev" 0 $((60 << 11)))" = "$want" ] || fail "the data is not leg 0's after repair"
check_legs_identical "/dev/$dev" "$l0" "$l1"
echo check > "$(sysfs sync_action)" || fail "echo check > sync_action"
idle_within 120
[ "$(cat "$(sysfs mismatch_cnt)")" = 0 ] || fail "a check after repair: mismatch_cnt $(cat "$(sysfs mismatch_cnt)")"
"$HEALCTL" scrub "$dev" --check --wait > /dev/null || fail "a check of identical legs exited non-zero"

# idle stops a pass, which leaves mismatch_cnt; a second request while one
# runs and an unknown word are refused.
plant "$l1" 7
"$HEALCTL" scrub "$dev" --check --wait > /dev/null && fail "a check missed block 7"
[ "$(cat "$(sysfs mismatch_cnt)")" = 1 ] || fail "mismatch_cnt $(cat "$(sysfs mismatch_cnt)"), not 1"
"$HEALCTL" set "$dev" --sync-min 1024 --sync-max 1024 || fail "set rates"
echo check > "$(sysfs sync_action)" || fail "echo check > sync_action"
[ "$(action)" = check ] || fail "sync_action '$(action)' while a check runs"
echo repair > "$(sysfs sync_action)" 2> /dev/null && fail "a repair was started over a running check"
echo frozen > "$(sysfs sync_action)" 2> /dev/null && fail "sync_action took 'frozen'"
echo idle > "$(sysfs sync_action)" || fail "echo idle > sync_action"
idle_within 30
[ "$(dev_field "$dev" sync.status)" = aborted ] || fail "status $(dev_field "$dev" sync.status) after idle"
[ "$(cat "$(sysfs mismatch_cnt)")" = 1 ] || fail "a stopped check set mismatch_cnt to $(cat "$(sysfs mismatch_cnt)")"
echo idle > "$(sysfs sync_action)" || fail "idle on an idle device was refused"
"$HEALCTL" set "$dev" --sync-min 10240 --sync-max 0 || fail "set rates"
"$HEALCTL" scrub "$dev" --wait > /dev/null || fail "scrub"
"$HEALCTL" scrub "$dev" --check --wait > /dev/null || fail "a check after the scrub found mismatches"
[ "$(sum_range "/dev/$dev" 0 $((60 << 11)))" = "$want" ] || fail "the data changed"
check_legs_identical "/dev/$dev" "$l0" "$l1"
log "check counted 3, kept across assembly; sync_action check/repair/idle; repair restored leg 0's data"
exit "$ksft_pass"

#!/usr/bin/env bash
# Rebuild in place of a failed leg whose disk is back: it copies everything
# (the leg was scribbled on while out), its position is checkpointed, a
# device stopped half-way resumes after a module reload from where it was
# rather than from 0, and a rebuild can be aborted.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 96; l0=$LOOP
make_loop 96; l1=$LOOP
make_healblk "$l0" "$l1"; dev=$HB
head -c 64M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
want=$(sha256sum < "$SCRATCH/data" | cut -d' ' -f1)

"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg"
# While out, leg 1's data area is overwritten: only a full copy mends it.
dd if=/dev/urandom of="$l1" bs=1M seek=1 count=94 oflag=direct conv=notrunc status=none
# 4 MiB/s: 94 MiB take about 24 s.
"$HEALCTL" set "$dev" --sync-min 4096 --sync-max 4096 || fail "set rates"
events_start 300
"$HEALCTL" rebuild "$dev" 1 || fail "rebuild"
[ "$(leg_field "$dev" 1 state)" = rebuilding ] || fail "leg 1 is not rebuilding"
sleep 7		# past the first checkpoint (every 5 s)
destroy_healblk "$dev"
events_wait "sync dev=[0-9]+ kind=rebuild status=stopped" 10
stopped=$(grep -Eo "kind=rebuild status=stopped leg=1 pos=[0-9]+" "$SCRATCH/events" | tail -1)
pos=${stopped##*pos=}
[ "$pos" -gt 0 ] || fail "stopped at $pos"
log "stopped at sector $pos"

rmmod healblk || fail rmmod
insmod "$HEALBLK_KO" fault_injection=1 || fail insmod
kill "${_pids[@]}" 2>/dev/null
events_start 300
HB=$("$HEALCTL" assemble "$l0" "$l1") || fail "assemble"
dev=$HB; _healblk+=("$dev")
udevadm settle 2>/dev/null
events_wait "sync dev=[0-9]+ kind=rebuild status=running leg=1 pos=$pos " 10
log "resumed at sector $pos, not 0"
# Reads meanwhile: only the copied part of leg 1 may serve them.
[ "$(sum_range "/dev/$dev" 0 131072)" = "$want" ] || fail "data differs during the rebuild"
"$HEALCTL" set "$dev" --sync-max 0 || fail "unthrottle"
events_wait "sync dev=[0-9]+ kind=rebuild status=done" 120
[ "$(leg_field "$dev" 1 state)" = in_sync ] || fail "leg 1 not in sync"
check_legs_identical "/dev/$dev" "$l0" "$l1"
[ "$(sum_range "/dev/$dev" 0 131072)" = "$want" ] || fail "data differs after the rebuild"

# Abort: the leg goes back to failed, and says why.
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg again"
"$HEALCTL" set "$dev" --sync-min 1024 --sync-max 2048 || fail "throttle"
"$HEALCTL" rebuild "$dev" 1 || fail "rebuild again"
sleep 1
"$HEALCTL" abort "$dev" || fail "abort"
events_wait "sync dev=[0-9]+ kind=rebuild status=aborted" 10
[ "$(leg_field "$dev" 1 state)" = failed ] || fail "aborted leg is $(leg_field "$dev" 1 state)"
leg_field "$dev" 1 reason | grep -q "aborted" || fail "no reason for the aborted leg"
[ "$(sum_range "/dev/$dev" 0 131072)" = "$want" ] || fail "data differs after abort"
exit "$ksft_pass"

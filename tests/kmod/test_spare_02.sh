#!/usr/bin/env bash
# A second leg failing while a spare replaces the first does not deadlock
# (issue 11, defect 1).  The swap waits for the writes in flight; one of
# them errors on a second leg (dm-delay over dm-error: 3 s, then EIO), and
# its error handling records the bad range and fails that leg, which writes
# the superblocks.  Were the swap to hold the superblock lock while it
# waits, neither could go on, and with it every request to the module.
# Afterwards: the spare is rebuilt from the leg left, the data intact.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

modprobe dm-delay 2>/dev/null || skip "dm-delay is not available"
make_loop 64; l0=$LOOP
make_loop 64; raw1=$LOOP
make_loop 64; l2=$LOOP
make_loop 64; s0=$LOOP
size=$(blockdev --getsz "$raw1")
# Made first, so that it is removed last: hbd-l1 comes to sit on it.
dmsetup create hbd-err --table "0 $size error" || fail "dmsetup create hbd-err"
_dm+=(hbd-err)
make_dm_linear hbd-l1 "$raw1"; l1=$DM

make_healblk "$l0" "$l1" "$l2"; dev=$HB
head -c 32M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
want=$(sha256sum < "$SCRATCH/data" | cut -d' ' -f1)
"$HEALCTL" set "$dev" --fail-errors 1 --auto-spare off || fail "set"
"$HEALCTL" spare add "$dev" "$s0" || fail "spare add"
# A clean bitmap first: else the sweep's own bitmap write to leg 1 meets the
# fault below before the write does, and leg 1 is out before the swap.
# Cleaned while every leg is in sync: with leg 0 out the bits are held.
for ((i = 0; i < 300; i++)); do
	[ "$(dev_field "$dev" bitmap_dirty)" = 0 ] && break
	sleep 0.1
done
[ "$(dev_field "$dev" bitmap_dirty)" = 0 ] || fail "the bitmap stays dirty with no writes"
"$HEALCTL" fail-leg "$dev" 0 || fail "fail-leg 0"
events_start 300

# Leg 1 answers everything after 3 s, with an error.
{ dmsetup suspend hbd-l1 &&
	dmsetup load hbd-l1 --table "0 $size delay /dev/mapper/hbd-err 0 3000" &&
	dmsetup resume hbd-l1; } || fail "dm-delay over dm-error under leg 1"
# A write in flight on leg 1 while the spare is swapped in for leg 0.
dd if="$SCRATCH/data" of="/dev/$dev" bs=4k count=1 seek=1024 skip=1024 oflag=direct \
	status=none 2> "$SCRATCH/dd.err" &
dd_pid=$!
# Under way on leg 1 (its bitmap block or its data): dm-delay's status
# counts the bios it holds, "0 SIZE delay READS WRITES FLUSHES".
for ((i = 0; i < 100; i++)); do
	held=$(dmsetup status hbd-l1 | awk '{ print $5 }')
	[ "${held:-0}" -gt 0 ] && break
	sleep 0.1
done
[ "${held:-0}" -gt 0 ] || { dmsetup status hbd-l1; fail "the write never reached leg 1"; }
"$HEALCTL" rebuild "$dev" 0 || fail "rebuild 0 onto the spare"

# The module answers while all that settles.  In a deadlock healctl sleeps
# uninterruptibly on the module's mutex, where no signal reaches it: it is
# given 20 s, and then the test reports the blocked tasks and leaves the
# device alone (nothing can destroy it any more).
answers() {
	"$HEALCTL" status "$dev" > /dev/null 2>&1 &
	local pid=$! j
	for ((j = 0; j < 200; j++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid"; return; }
		sleep 0.1
	done
	return 1
}
for ((i = 0; i < 30; i++)); do
	if ! answers; then
		echo w > /proc/sysrq-trigger
		dmesg | grep -A12 'task:.*state:D' | sed 's/^/# /' | head -60
		_healblk=()
		fail "healctl status hangs ${i}s after the swap began: deadlock"
	fi
	[ "$(leg_field "$dev" 1 state)" = failed ] && break
	sleep 1
done
[ "$(leg_field "$dev" 1 state)" = failed ] || fail "leg 1 was not failed after its write errors"
wait "$dd_pid" || { cat "$SCRATCH/dd.err"; fail "the write in flight failed though leg 2 took it"; }
events_wait "leg_state dev=[0-9]+ leg=0 state=rebuilding old_state=spare" 30
events_wait "sync dev=[0-9]+ kind=rebuild status=done" 180
[ "$(leg_field "$dev" 0 state)" = in_sync ] || fail "the spare is not in sync"
[ "$(leg_field "$dev" 0 name)" = "$(basename "$s0")" ] || fail "the spare is not leg 0"
[ "$(sum_range "/dev/$dev" 0 65536)" = "$want" ] || fail "data differs after the swap"
sectors=$(blockdev --getsz "/dev/$dev")
[ "$(sum_range "$s0" "$META" "$sectors")" = "$(sum_range "$l2" "$META" "$sectors")" ] ||
	fail "the spare and leg 2 differ after the rebuild"
log "no deadlock; spare rebuilt from leg 2; data intact"
exit "$ksft_pass"

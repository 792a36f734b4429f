#!/usr/bin/env bash
# SMART reads that never end, and disks that come and go (issue 12's
# review), on scsi_debug disks:
#  - smartctl stuck in the kernel on a disk that does not answer (here: a
#    read of a suspended dm device, uninterruptible, so SIGKILL at its
#    deadline cannot end it) keeps its own disk from another read, not the
#    other disks from theirs: heald ran at most two smartctl at once and
#    counted a killed one that had not ended, so two dead disks stopped the
#    health reads of every other disk for good;
#  - status says which disk does not answer;
#  - heald stops at once all the same (it waited for each child to end);
#  - a disk no longer under any array is forgotten after 10 s: gone from the metrics
#    (it stayed, and held one of 32 places, for good), so that a new disk
#    that gets its kernel name later is read afresh, with its own serial
#    (heald kept the old disk's).  A name held open by a leg is not given
#    to another disk: heald also compares the disk's diskseq at every
#    lookup, which no test here can change under a leg
#    (tests/unit/test_smart.c does, in a sysfs tree of its own).
# smartctl here is a wrapper: the first two disks' reads hang, the third's
# is the real smartctl's.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

command -v smartctl > /dev/null || skip "no smartctl (smartmontools)"
modprobe scsi_debug dev_size_mb=16 num_tgts=3 2>/dev/null || skip "scsi_debug is not available"
udevadm settle 2>/dev/null
mapfile -t sds < <(for b in /sys/bus/pseudo/drivers/scsi_debug/adapter*/host*/target*/*/block/*; do
	basename "$b"; done | sort)
[ "${#sds[@]}" = 3 ] || fail "scsi_debug made ${#sds[@]} disks: ${sds[*]}"
log "disks ${sds[*]}"
make_loop 8; stuckdev=$LOOP
dmsetup create hbstuck --table "0 $(blockdev --getsz "$stuckdev") linear $stuckdev 0" || fail "dmsetup"
_dm+=(hbstuck)
dmsetup suspend hbstuck || fail "dmsetup suspend"
resume() { dmsetup resume hbstuck 2>/dev/null; }
trap 'resume; cleanup' EXIT

wrap=$SCRATCH/smartctl
cat > "$wrap" <<SH
#!/bin/sh
for a; do dev=\$a; done
case "\$dev" in
/dev/${sds[0]}|/dev/${sds[1]})
	# As a disk that does not answer: uninterruptible until dm resumes.
	exec dd if=/dev/mapper/hbstuck of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null ;;
esac
exec smartctl "\$@"
SH
chmod 755 "$wrap"

make_healblk "/dev/${sds[0]}" "/dev/${sds[1]}" "/dev/${sds[2]}"; dev=$HB
heald_start "smartctl = $wrap" "smart_interval = 1" "smart_timeout = 2" "scrub_interval = 0"
leg() { "$HEALCTL" status --json | jq -c ".heald.devices[0].legs[$1].smart"; }
# The third disk is read, and read again, while the first two hang.
first=""
for ((i = 0; i < 150; i++)); do
	r=$(leg 2 | jq -r '.read // empty')
	if [ -n "$r" ] && [ -z "$first" ]; then first=$r; fi
	[ -n "$first" ] && [ "$r" != "$first" ] && break
	sleep 0.2
done
[ -n "$first" ] || fail "${sds[2]} never read while ${sds[0]} and ${sds[1]} hang: $(leg 2)"
[ "$r" != "$first" ] || fail "${sds[2]} read once, never again: $(leg 2)"
log "${sds[2]} read at $first and $r while the others hang"
for k in 0 1; do
	leg $k | jq -e '.error | test("does not answer")' > /dev/null || fail "leg $k: $(leg $k)"
done
log "${sds[0]}: $(leg 0 | jq -r .error)"
# The premise: the reads killed at their deadline are still there, uninterruptible.
nd=0
for p in $(pgrep -f "dd if=/dev/mapper/hbstuck"); do
	[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = D ] && nd=$((nd + 1))
done
[ "$nd" -ge 1 ] || fail "no stuck read in D state: the test proves nothing"
log "$nd smartctl stand-ins in D state, killed, not ended"
t0=$(date +%s%N)
kill -TERM "$HEALD_PID"; wait "$HEALD_PID"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 10000 ] || fail "heald took $ms ms to stop beside smartctl stuck on a dead disk"
log "heald stopped in $ms ms with reads stuck"
resume
for ((i = 0; i < 100; i++)); do
	pgrep -f "dd if=/dev/mapper/hbstuck" > /dev/null || break
	sleep 0.1
done
pgrep -f "dd if=/dev/mapper/hbstuck" > /dev/null && fail "the stuck reads did not end once dm resumed"
heald_start "smartctl = $wrap" "smart_interval = 1" "smart_timeout = 2" "scrub_interval = 0"

# No array: every disk forgotten, none left in the metrics.
metrics() { curl -sf "http://127.0.0.1:$HEALD_PORT/metrics"; }
metrics | grep -q "^heal_disk_info{disk=\"${sds[0]}\"" || fail "metrics: no ${sds[0]} while it is a leg"
destroy_healblk "$dev"
for ((i = 0; i < 100; i++)); do
	metrics | grep -q '^heal_disk_info{' || break
	sleep 0.2
done
left=$(metrics | grep '^heal_disk_info{')
[ -z "$left" ] || fail "disks under no array still in the metrics: $left"
log "no array: no disk left in the metrics"
kill -TERM "$HEALD_PID"; wait "$HEALD_PID"
exit "$ksft_pass"

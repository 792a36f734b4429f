#!/usr/bin/env bash
# A slow disk: leg 1 is a scsi_debug disk whose every command is delayed
# (its ndelay), an independent fault source below healblk.  heald learns
# the disk's latency from iomon's histograms, sees p99 jump past 5x its
# baseline for 3 intervals, journals the evidence and, with slow_acts,
# replaces the leg with the spare.  The data stays intact.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

ctl=/sys/bus/pseudo/drivers/scsi_debug
modprobe scsi_debug dev_size_mb=64 2>/dev/null || skip "scsi_debug is not available"
sd=""
for ((i = 0; i < 50; i++)); do
	sd=$(ls $ctl/adapter*/host*/target*/*/block 2>/dev/null)
	[ -n "$sd" ] && break
	sleep 0.2
done
[ -b "/dev/${sd:-none}" ] || fail "no scsi_debug disk appeared"
# scsi_debug refuses a new delay while commands are queued (EBUSY on 6.12):
# retry until none are.
set_ndelay() {
	local i
	for ((i = 0; i < 100; i++)); do
		echo "$1" 2>/dev/null > $ctl/ndelay && return 0
		sleep 0.02
	done
	fail "scsi_debug ndelay stays busy"
}
udevadm settle 2>/dev/null
set_ndelay 20000	# 20 us: fast
make_loop 64; l0=$LOOP
make_loop 64; s0=$LOOP
make_healblk "$l0" "/dev/$sd"; dev=$HB
"$HEALCTL" spare add "$dev" "$s0" || fail "spare add"
head -c 16M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
want=$(sha256sum < "$SCRATCH/data" | cut -d' ' -f1)

heald_start "slow_acts = yes" "slow_learn = 5" "slow_min_ios = 2" "cooldown = 0"
grep -q "did not attach" "$SCRATCH/heald.log" &&
	log "not every eBPF program attached: $(grep "did not attach" "$SCRATCH/heald.log")"
# Writes behind the data go to both legs for the whole test.
fio --name=load --filename="/dev/$dev" --direct=1 --ioengine=libaio --rw=randwrite \
	--offset=24M --size=24M --bs=4k --iodepth=4 --time_based --runtime=150 \
	--output-format=terse --terse-version=3 > "$SCRATCH/fio.out" 2>&1 &
fio_pid=$!
_pids+=("$fio_pid")
# The baseline: learned from the first slow_learn (5) intervals with I/O.
# Under load fewer intervals have enough I/O: a slowdown before the last
# of them would be learned as normal.
for ((i = 0; i < 300; i++)); do
	disk=$("$HEALCTL" status --json | jq -c '.heald.disks[] | select(.name == "'"$sd"'")')
	[ "$(echo "$disk" | jq -r '.baseline_intervals // 0')" -ge 5 ] && break
	sleep 0.2
done
b=$(echo "$disk" | jq -r '.baseline_p99_us | floor')
{ [ -n "$b" ] && [ "$b" != 0 ]; } || fail "iomon gave heald no latency for $sd: $disk"
[ "$(echo "$disk" | jq -r '.baseline_intervals')" -ge 5 ] ||
	fail "the baseline of $sd never learned 5 intervals in 60 s: $disk"
log "$sd baseline p99: $b us"
# 50 ms a command from now on, or 20x the baseline when TCG under load
# made the baseline itself slow (heald acts past 5x).
slow=$((b * 1000 * 20))
[ "$slow" -lt 50000000 ] && slow=50000000
log "slow: $((slow / 1000)) us a command"
kill -STOP "$fio_pid"	# its queued writes drain; then the delay can change
set_ndelay "$slow"
kill -CONT "$fio_pid"
journal_wait '.type == "decision" and .action == "replace-leg"' 30
id=$(echo "$JOURNAL_HIT" | jq .id)
echo "$JOURNAL_HIT" | jq -e '.evidence.source == "iomon latency histogram" and
	.evidence.p99_us > 5 * .evidence.baseline_us' > /dev/null || fail "decision: $JOURNAL_HIT"
log "decision $id: $(echo "$JOURNAL_HIT" | jq -r '.evidence | "p99 \(.p99_us) us, baseline \(.baseline_us) us"')"
kill "$fio_pid" 2>/dev/null
wait "$fio_pid" 2>/dev/null
journal_wait "(.type == \"outcome\" and .ref == $id and .outcome == \"rebuild done\")" 120
[ "$(leg_field "$dev" 1 name)" = "$(basename "$s0")" ] || fail "the spare is not leg 1"
[ "$(sum_range "/dev/$dev" 0 32768)" = "$want" ] || fail "data differs"
check_legs_identical "/dev/$dev" "$l0" "$s0"
exit "$ksft_pass"

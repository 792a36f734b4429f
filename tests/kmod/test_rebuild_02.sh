#!/usr/bin/env bash
# A rebuild is not starved by writes elsewhere (issue 11, defect 9).  Write
# tracking hashes 1 MiB regions into 1024 buckets, so regions 1 GiB apart
# share one: a copy that waited for its bucket to go quiet never started
# while writes at 1 GiB kept it busy, and writes to the copy's window
# waited for it.  Here leg 0 takes 3 s for each write at 1 GiB (fault
# injection), and two writers, 1.5 s apart, one write at a time each,
# keep a write in flight there all the time.  The copy waits only for the
# writes that were in flight when it took its window (two epochs per
# bucket, about 6 s here); writes elsewhere never wait for it.  Checked:
# it progresses while the writers run, their verified data holds, and
# the legs' backed parts end identical.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

# Legs of 1100 MiB (the guest's /tmp is its RAM): each a 32 MiB loop
# device for its superblock, its first 16 MiB and the 16 MiB at 1 GiB,
# dm-zero between (reads zeros, drops writes: the rebuild's copy of
# zeros).
legs=()
for i in 0 1; do
	make_loop 33
	z=$((META + (16 << 11))) g=$((META + (1 << 21)))
	dmsetup create "hbt2-$$-$i" --table "0 $z linear $LOOP 0
$z $((g - z)) zero
$g $((16 << 11)) linear $LOOP $z
$((g + (16 << 11))) $((META + (1100 << 11) - g - (16 << 11))) zero" || fail "dmsetup create"
	_dm+=("hbt2-$$-$i")
	legs+=("/dev/mapper/hbt2-$$-$i")
done
l0=${legs[0]} l1=${legs[1]}
make_healblk "$l0" "$l1"; dev=$HB
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg"
# Fast enough that only starvation can hold it: 256 MiB/s busy or idle.
"$HEALCTL" set "$dev" --sync-min 262144 --sync-max 262144 || fail "set rates"
# Writes to the 1 MiB at 1 GiB (the copy's first chunk's bucket) slow on leg 0.
"$HEALCTL" fault set "$dev" --leg 0 --op write --start $((2 << 20)) --sectors 2048 \
	--delay-us 3000000 || fail "fault set"
events_start 300
fio --filename="/dev/$dev" --direct=1 --ioengine=libaio --rw=randwrite --bs=4k \
	--iodepth=1 --size=64k --time_based --runtime=30 \
	--verify=crc32c --verify_fatal=1 --do_verify=1 --verify_state_save=0 \
	--output-format=terse --terse-version=3 \
	--name=a --offset=1G --name=b --offset=$(((1 << 30) + (64 << 10))) --startdelay=1500ms \
	> "$SCRATCH/fio.out" 2>&1 &
fio_pid=$!
# The copy starts at chunk 0 only once both writers have a write in flight
# (fio can take seconds to start under TCG).
for ((i = 0; i < 300; i++)); do
	read -r _ w < "/sys/block/$dev/inflight"
	[ "$w" -ge 2 ] && break
	sleep 0.1
done
[ "$w" -ge 2 ] || fail "the writers never had two writes in flight"
"$HEALCTL" rebuild "$dev" 1 || fail "rebuild"
sleep 16
pos=$(dev_field "$dev" sync.pos)
log "16 s into the rebuild, beside writes at 1 GiB: sector $pos"
[ "$pos" -gt 2048 ] || fail "the rebuild is stuck at sector $pos: writes 1 GiB away starve it"
wait "$fio_pid" || { cat "$SCRATCH/fio.out"; fail "fio failed"; }
fio_errors_none "$SCRATCH/fio.out" || fail "fio reported an error"
events_wait "sync dev=[0-9]+ kind=rebuild status=done" 240
# The legs' backed parts (dm-zero reads zeros on both elsewhere): the
# first 16 MiB, where the copy started, and the 16 MiB at 1 GiB, written.
for off in 0 $((1 << 21)); do
	want=$(sum_range "/dev/$dev" "$off" $((16 << 11)))
	for leg in "$l0" "$l1"; do
		[ "$(sum_range "$leg" $((META + off)) $((16 << 11)))" = "$want" ] ||
			fail "$leg differs from /dev/$dev in the 16 MiB at sector $off"
	done
done
log "the legs' backed parts identical to /dev/$dev"
exit "$ksft_pass"

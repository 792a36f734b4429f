#!/usr/bin/env bash
# Power cuts with volatile write caches (issue 11, defect 4: no bitmap bit
# goes clean before the data it covers is durable on every leg; a flush
# acknowledged to the writer covers every leg).  Each leg is a
# dm-log-writes device, which logs a write only once a cache flush (or FUA)
# made it durable, under a dm-linear gate.  A writer runs for 60 s over a
# changing set of regions (so bits are set and swept clean all the time),
# twice 5 s with a cache flush after about one write in four, then 25 s
# with none, while the test stops all leg I/O at four moments in those
# (tests/crashcut.py; CRASHCUT_CUTS=N for more, CRASHCUT_SEED=S for another
# run).  For every moment, each leg's disk is rebuilt as it was, keeping a
# random half of what its cache held (a disk writes its cache back when it
# likes, each leg its own way), and the device is assembled from them:
# every block must read what the writer could have left (the last write
# acknowledged with a flush, or a later one; never older data), and once
# the resync is done the legs' data areas must be identical.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"
cut=$(dirname "$0")/../crashcut.py
modprobe dm-log-writes 2>/dev/null
grep -qw log-writes <(dmsetup targets) || skip "no dm-log-writes target"

legs=() logs=() pairs=()
for i in 0 1; do
	make_loop 48; data=$LOOP
	make_loop 200; lg=$LOOP
	logs+=("$lg")
	sz=$(blockdev --getsz "$data")
	dmsetup create "hbl-$i" --table "0 $sz log-writes $data $lg" || fail "dmsetup create hbl-$i"
	_dm+=("hbl-$i")
	dmsetup create "hbg-$i" --table "0 $sz linear /dev/mapper/hbl-$i 0" || fail "dmsetup create hbg-$i"
	_dm+=("hbg-$i")
	legs+=("/dev/mapper/hbg-$i")
	pairs+=("hbg-$i:hbl-$i")
done
size=$(blockdev --getsize64 "${legs[0]}")
make_healblk "${legs[@]}"; dev=$HB
CRASHCUT_SEED=${CRASHCUT_SEED:-7} python3 "$cut" run "/dev/$dev" 60 "${CRASHCUT_CUTS:-4}" "$SCRATCH/state.json" "${pairs[@]}" ||
	fail "crashcut run"
log "$(jq -r '"\(.writes | length) writes, \(.marks | length) cuts, \([.writes[] | select(.[5] != null)] | length) acknowledged with a flush"' "$SCRATCH/state.json")"
destroy_healblk "$dev"
for i in 0 1; do
	dmsetup remove "hbg-$i" || fail "dmsetup remove hbg-$i"
	dmsetup remove "hbl-$i" || fail "dmsetup remove hbl-$i"
done
_dm=()

for i in 0 1; do truncate -s "$size" "$SCRATCH/durable.$i"; done
for mark in $(jq -r '.marks[][0]' "$SCRATCH/state.json"); do
	imgs=() t0=$SECONDS
	for i in 0 1; do
		f=$SCRATCH/img.$i
		python3 "$cut" replay "${logs[i]}" "$SCRATCH/durable.$i" "$f" "$mark" "$mark-$i" \
			>> "$SCRATCH/replay" || fail "replay $mark"
		img=$(losetup -f --show "$f") || fail "losetup $f"
		_loops+=("$img")
		imgs+=("$img")
	done
	HB=$("$HEALCTL" assemble "${imgs[@]}") || fail "assemble at $mark"
	_healblk+=("$HB"); dev=$HB
	udevadm settle 2>/dev/null
	dirty=$(dev_field "$dev" bitmap_dirty)
	python3 "$cut" check "/dev/$dev" "$SCRATCH/state.json" "$mark" > "$SCRATCH/check" ||
		{ cat "$SCRATCH/check"; fail "wrong data after a power cut at $mark"; }
	for _ in $(seq 300); do
		[ "$("$HEALCTL" status "$dev" --json | jq -r '.devices[0].sync.status // "none"')" != running ] && break
		sleep 0.2
	done
	check_legs_identical "/dev/$dev" "${imgs[@]}"
	log "$mark: $(tail -2 "$SCRATCH/replay" | cut -d: -f2 | paste -sd';'); $dirty dirty regions at assembly; $(tail -1 "$SCRATCH/check"); legs identical after the resync ($((SECONDS - t0)) s)"
	destroy_healblk "$dev"
	for img in "${imgs[@]}"; do losetup -d "$img"; done
	rm -f "$SCRATCH"/img.*
done
exit "$ksft_pass"

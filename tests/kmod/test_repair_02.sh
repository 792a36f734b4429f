#!/usr/bin/env bash
# A repair never writes old data over a newer write (issue 11, defect 5).
# A read fails on leg 0 and is served by leg 1; the repair writes the good
# (old) data back to leg 0 and, healblk's own fault injection holding that
# write for 3 s, a new write to the same block goes through meanwhile and
# its verify finds leg 0 right.  When the repair's write lands after it,
# leg 0 holds the old data: it must then still be marked bad, or better,
# the new write must have waited for the repair.  Checked: leg 0 holds the
# new data or lists the block as bad, and the device reads the new data.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 64; l0=$LOOP
make_loop 64; l1=$LOOP
make_healblk "$l0" "$l1"; dev=$HB
x=8192		# 4 MiB: chunk 64, whose reads go to leg 0 first
head -c 4096 /dev/urandom > "$SCRATCH/old"
head -c 4096 /dev/urandom > "$SCRATCH/new"
dd if="$SCRATCH/old" of="/dev/$dev" bs=4k seek=$((x / 8)) oflag=direct status=none ||
	fail "write the old data"
old=$(sha256sum < "$SCRATCH/old" | cut -d' ' -f1)
new=$(sha256sum < "$SCRATCH/new" | cut -d' ' -f1)
events_start 120

# Leg 0: the first read of the block fails; everything there waits 3 s.
"$HEALCTL" fault set "$dev" --leg 0 --op read,write --start $x --sectors 8 \
	--percent 100 --count 1 --delay-us 3000000 || fail "fault set"
dd if="/dev/$dev" of="$SCRATCH/read" bs=4k skip=$((x / 8)) count=1 iflag=direct \
	status=none &
reader=$!
events_wait "io_error dev=[0-9]+ leg=0 op=read" 20
sleep 1		# the repair's write is held now
"$HEALCTL" fault clear "$dev" --leg 0 || fail "fault clear"
dd if="$SCRATCH/new" of="/dev/$dev" bs=4k seek=$((x / 8)) oflag=direct status=none ||
	fail "the new write failed"
wait "$reader" || fail "the read failed though leg 1 holds the data"
[ "$(sha256sum < "$SCRATCH/read" | cut -d' ' -f1)" = "$old" ] ||
	fail "the read returned neither the data before the write"
events_wait "repair dev=[0-9]+ leg=0" 20
sleep 4		# anything still held by the injector has landed

leg0=$(sum_range "$l0" $((META + x)) 8)
bad=$(leg_field "$dev" 0 bad_ranges)
if [ "$leg0" = "$old" ] && [ "$bad" = 0 ]; then
	fail "leg 0 holds the data from before the last write and is trusted: a stale read"
fi
[ "$leg0" = "$new" ] || log "leg 0 holds old data, marked bad ($bad ranges)"
for ((i = 0; i < 8; i++)); do
	[ "$(sum_range "/dev/$dev" "$x" 8)" = "$new" ] || fail "read $i returned stale data"
done
log "leg 0: $([ "$leg0" = "$new" ] && echo new data || echo old data, marked bad); 8 reads: new data"
exit "$ksft_pass"

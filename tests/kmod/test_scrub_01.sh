#!/usr/bin/env bash
# Scrub finds mismatches planted directly on legs and repairs them from the
# copy most legs agree on (3 legs), or from leg 0 (2 legs); a second scrub
# finds nothing; the data never changes.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 64; l0=$LOOP
make_loop 64; l1=$LOOP
make_loop 64; l2=$LOOP

plant() {	# plant LEG BLOCK: 4 KiB of garbage at data block BLOCK of LEG
	dd if=/dev/urandom of="$1" bs=4096 seek=$((META / 8 + $2)) count=1 \
		oflag=direct conv=notrunc status=none || fail "plant on $1"
}
scrub() {	# scrub DEV: SCRUB=its JSON result
	SCRUB=$("$HEALCTL" scrub "$1" --wait --json) || fail "scrub $1: $SCRUB"
}
field() { echo "$SCRUB" | jq -r ".$1"; }

# Three legs: two blocks bad on leg 0, one on leg 1, one on leg 2 elsewhere.
make_healblk "$l0" "$l1" "$l2"; dev=$HB
head -c 60M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
want=$(sha256sum < "$SCRATCH/data" | cut -d' ' -f1)
events_start 120
plant "$l0" 100; plant "$l0" 7000; plant "$l1" 9000; plant "$l2" 15000
scrub "$dev"
[ "$(field status)" = "done" ] || fail "scrub status $(field status)"
[ "$(field mismatches)" = 4 ] || fail "scrub found $(field mismatches) mismatches, not 4: $SCRUB"
[ "$(field repaired)" = 4 ] || fail "scrub repaired $(field repaired), not 4"
[ "$(field unreadable)" = 0 ] || fail "unreadable blocks: $(field unreadable)"
[ "$(leg_field "$dev" 0 repairs)" = 2 ] || fail "leg 0 repairs: $(leg_field "$dev" 0 repairs)"
events_wait "repair dev=[0-9]+ leg=2 sector=120000 sectors=8 errno=0"
events_wait "sync dev=[0-9]+ kind=scrub status=done .* mismatches=4 repaired=4"
[ "$(sum_range "/dev/$dev" 0 122880)" = "$want" ] || fail "the majority's data was not kept"
check_legs_identical "/dev/$dev" "$l0" "$l1" "$l2"
scrub "$dev"
[ "$(field mismatches)" = 0 ] || fail "a second scrub found $(field mismatches)"
log "3 legs: 4 planted blocks found and repaired from the majority"
destroy_healblk "$dev"

# Two legs: leg 0 is the reference, as md's repair.
make_healblk "$l0" "$l1"; dev=$HB
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
plant "$l1" 0; plant "$l1" 5; plant "$l1" 15359
scrub "$dev"
[ "$(field mismatches)" = 3 ] || fail "2 legs: $(field mismatches) mismatches, not 3"
[ "$(sum_range "/dev/$dev" 0 122880)" = "$want" ] || fail "2 legs: data changed"
check_legs_identical "/dev/$dev" "$l0" "$l1"
[ "$("$HEALCTL" status "$dev" --json | jq -r '.devices[0].sync.kind')" = scrub ] ||
	fail "status does not show the last scrub"
log "2 legs: 3 planted blocks on leg 1 repaired from leg 0"
exit "$ksft_pass"

#!/usr/bin/env bash
# Assembly at boot (issue 14), driven as udev drives it: healctl examine
# --export names a leg's device; assemble --incremental starts a device
# heald.conf lists once all its legs are there and not before, leaves one
# it does not list alone, and two legs arriving at once start it once;
# assemble --scan --uuid --run (the last-resort timer's) starts it with a
# leg missing and says so; a leg that comes after that start goes back in
# by itself (caught up from the bitmap), but not as a loop device.  The
# real thing, udev and systemd at boot, is tests/boot/run.sh.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 48; l0=$LOOP
make_loop 48; l1=$LOOP
make_healblk "$l0" "$l1"; dev=$HB
uuid=$(dev_field "$dev" uuid)
ex=$("$HEALCTL" examine --export "/dev/$dev") || fail "examine --export /dev/$dev"
{ grep -qx "HEALBLK_UUID=$uuid" <<< "$ex" && grep -qx "HEALBLK_DEVICE=$dev" <<< "$ex"; } ||
	fail "examine --export of the running device: $ex"
destroy_healblk "$dev"

conf=$SCRATCH/heald.conf
printf '[array data]\nuuid = %s\n' "$uuid" > "$conf"
ex=$("$HEALCTL" examine --export --config "$conf" "$l1") || fail "examine --export $l1"
for want in "HEALBLK_UUID=$uuid" HEALBLK_NAME=data HEALBLK_EXPECTED=1 HEALBLK_ROLE=leg HEALBLK_SLOT=1; do
	grep -qx "$want" <<< "$ex" || fail "examine --export $l1: no $want in: $ex"
done
make_loop 8; other=$LOOP
ex=$("$HEALCTL" examine --export "$other") || fail "examine --export of a disk without a superblock exited $?"
[ -z "$ex" ] || fail "examine --export of a disk without a superblock printed: $ex"
log "examine --export: the leg's device, name and slot; nothing for another disk"

running() { "$HEALCTL" status --json | jq -r --arg u "$uuid" '[.devices[] | select(.uuid == $u) | .name] | join(" ")'; }
incremental() { "$HEALCTL" assemble --incremental --config "$conf" "$@" 2> "$SCRATCH/err"; }

# Leg 1 has not appeared yet: leg 0 waits.
f1=$(losetup -n -O BACK-FILE "$l1")
losetup -d "$l1"
incremental "$l0" || fail "incremental $l0 exited $?: $(cat "$SCRATCH/err")"
grep -q "data: 1 disk found, waiting for the leg in slot 1" "$SCRATCH/err" || fail "no wait said: $(cat "$SCRATCH/err")"
[ -z "$(running)" ] || fail "started with a leg missing: $(running)"
l1=$(losetup -f --show "$f1") || fail "losetup $f1"
_loops+=("$l1")
incremental "$l1" || fail "incremental $l1 exited $?: $(cat "$SCRATCH/err")"
grep -q "data: assembled as healblk[0-9]* from 2 disks" "$SCRATCH/err" || fail "not assembled: $(cat "$SCRATCH/err")"
dev=$(running)
_healblk+=("$dev")
[ "$(dev_field "$dev" state)" = optimal ] || fail "$dev is not optimal"
incremental "$l0" || fail "incremental of a leg of a running device exited $?"
[ "$(running)" = "$dev" ] || fail "assembled twice: $(running)"
destroy_healblk "$dev"
log "incremental: waits for leg 1, assembles when it comes, once"

# Both legs at once (udev's workers run in parallel): one device.
incremental "$l0" & p0=$!
"$HEALCTL" assemble --incremental --config "$conf" "$l1" 2> /dev/null & p1=$!
wait "$p0" || fail "parallel incremental $l0 failed"
wait "$p1" || fail "parallel incremental $l1 failed"
dev=$(running)
read -ra started <<< "$dev"
_healblk+=("${started[@]}")
[ "${#started[@]}" = 1 ] || fail "two legs at once: '$dev'"
destroy_healblk "$dev"
log "two legs at once: one device"

# Not listed: left alone, and said so.
printf '# nothing listed\n' > "$conf"
incremental "$l0" || fail "incremental of an unlisted leg exited $?"
grep -q "which $conf does not expect (auto_assemble = listed): left alone" "$SCRATCH/err" ||
	fail "no word on the unlisted leg: $(cat "$SCRATCH/err")"
[ -z "$(running)" ] || fail "an unlisted device was started"
printf 'auto_assemble = all\n' > "$conf"
incremental "$l0" || fail "incremental with auto_assemble = all exited $?"
dev=$(running)
[ -n "$dev" ] || fail "auto_assemble = all did not assemble: $(cat "$SCRATCH/err")"
_healblk+=("$dev")
destroy_healblk "$dev"
log "unlisted: left alone; auto_assemble = all: assembled"

# The last resort: leg 1 never came.
losetup -d "$l1"
"$HEALCTL" assemble --scan --uuid "$uuid" --run > /dev/null 2> "$SCRATCH/err" ||
	fail "assemble --scan --uuid --run: $(cat "$SCRATCH/err")"
grep -q "started degraded: 1 of 2 legs in sync: no redundancy" "$SCRATCH/err" ||
	fail "the degraded start is not said: $(cat "$SCRATCH/err")"
dev=$(running)
_healblk+=("$dev")
[ "$(dev_field "$dev" state)" != optimal ] || fail "$dev is optimal with a leg missing"
"$HEALCTL" assemble --scan --uuid "$uuid" --run > /dev/null 2>&1 || fail "a second last resort failed"
[ "$(running)" = "$dev" ] || fail "the last resort assembled twice"
log "last resort: started degraded and said so; idempotent"

# Leg 1 comes late, after the degraded start.  As a loop device (one a
# desktop user could set up with a copy of its superblock) it is only
# named; through dm it goes back into its slot, caught up from the bitmap.
dd if=/dev/urandom of="/dev/$dev" bs=64k count=2 seek=40 oflag=direct status=none || fail "write"
l1=$(losetup -f --show "$f1") || fail "losetup $f1"
_loops+=("$l1")
incremental "$l1" || fail "incremental of the late leg (loop) exited $?"
grep -q "a loop or nbd device is not put back by itself" "$SCRATCH/err" ||
	fail "the late loop leg is not named: $(cat "$SCRATCH/err")"
[ "$(leg_field "$dev" 1 state)" = missing ] || fail "a loop device was re-added by itself"
make_dm_linear "heal-late-$$" "$l1"
incremental "$DM" || fail "incremental of the late leg exited $?: $(cat "$SCRATCH/err")"
grep -q "which started without it: re-added" "$SCRATCH/err" ||
	fail "the late leg is not re-added: $(cat "$SCRATCH/err")"
for ((i = 0; i < 120; i++)); do
	[ "$(leg_field "$dev" 1 state)" = in_sync ] && break
	sleep 0.5
done
[ "$(leg_field "$dev" 1 state)" = in_sync ] || fail "the late leg is $(leg_field "$dev" 1 state)"
copied=$(dev_field "$dev" sync.copied)
[ "$copied" -lt "$(blockdev --getsz "/dev/$dev")" ] || fail "the late leg was rebuilt whole"
check_legs_identical "/dev/$dev" "$l0" "$DM"
destroy_healblk "$dev"
log "late leg: re-added by incremental, $copied sectors copied"
if "$HEALCTL" assemble --scan --uuid 00000000-0000-0000-0000-000000000001 --run 2> "$SCRATCH/err"; then
	fail "--scan --uuid of no disk succeeded"
fi
log "nothing found is an error"

#!/usr/bin/env bash
# Every bad request from healctl is refused with the kernel's reason, and
# nothing is created or lost.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

# healctl exits 1 when the kernel refuses, 2 for its own usage errors;
# anything else (a crash, a sanitizer) is a failure.
expect_fail() {	# expect_fail REGEX healctl-args...
	local want=$1 out rc=0
	shift
	out=$("$HEALCTL" "$@" 2>&1) || rc=$?
	[ $rc -ne 0 ] || fail "healctl $* succeeded"
	[ $rc -le 2 ] || fail "healctl $* exited $rc: $out"
	echo "$out" | grep -Eq -- "$want" || fail "healctl $*: '$out' does not match '$want'"
	log "healctl $*: $out"
	return $rc
}
# The kernel's refusal: exit 1, its reason in the message.
expect_refused() {	# expect_refused REGEX healctl-args...
	local rc=0
	expect_fail "$@" || rc=$?
	[ $rc -eq 1 ] || fail "healctl ${*:2} exited $rc, not 1"
}

make_loop 32; l0=$LOOP
make_loop 32; l1=$LOOP
make_loop 32; l2=$LOOP
make_loop 1; small=$LOOP
f=$SCRATCH/notablock; : > "$f"

expect_refused "no healblk device" status 99
expect_refused "no healblk device" destroy healblk99
expect_fail "not a healblk device" destroy nonsense
expect_refused "too small" create "$small"
expect_refused "listed twice" create "$l0" "$l0"
expect_fail "1 to 4 legs" create "$l0" "$l1" "$l2" "$small" "$l0"
expect_fail "not a block device" create "$f"
expect_fail "No such file" create /dev/does-not-exist

make_healblk "$l0" "$l1"; dev=$HB
expect_refused "in use" create "$l1" "$l2"
expect_refused "no leg with that index" fail-leg "$dev" 3
expect_refused "beyond the device's end" fault set "$dev" --leg 0 --start 999999999
expect_fail "bad value" fault set "$dev" --leg 0 --percent 101
expect_fail "bad value" fault set "$dev" --leg 0 --op sideways
expect_fail "--leg N is required" fault set "$dev"
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg 1"
expect_refused "last in-sync leg" fail-leg "$dev" 0
expect_refused "already" fail-leg "$dev" 1
expect_fail "only --follow" events
expect_fail "out of range" set "$dev" --fail-errors 65
expect_fail "out of range" set "$dev" --fail-window 0
expect_fail "bad option" set "$dev" --fail-sometimes 3

# A healblk device is never a leg or spare: its own I/O would come back to it.
expect_refused "healblk device cannot be a leg" spare add "$dev" "/dev/$dev"
expect_refused "healblk device cannot be a leg" create "/dev/$dev"
# The events name disks and sectors: only CAP_NET_ADMIN may subscribe.
if out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$HEALCTL" events --follow --timeout 1 2>&1); then
	fail "an unprivileged user subscribed to healblk's events"
fi
echo "$out" | grep -qi 'not permitted' || fail "unprivileged events --follow: '$out'"
log "unprivileged events --follow: $out"

# Nothing was created by the failures; the device still serves.
[ "$("$HEALCTL" status --json | jq '.devices | length')" = 1 ] || fail "stray devices"
[ "$(dev_field "$dev" state)" = degraded ] || fail "$dev should be degraded"
dd if=/dev/zero of="/dev/$dev" bs=64k count=16 oflag=direct status=none || fail "write after bad input"
exit "$ksft_pass"

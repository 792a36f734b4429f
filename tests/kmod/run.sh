#!/usr/bin/env bash
# Runs inside the VM (scripts/vm.sh): loads the healblk built for the running
# kernel and runs every kernel test, one TAP line each, into
# $HEAL_RESULTS/kmod-<kver>.tap.  After every test: no new WARNING, BUG,
# Call Trace, KASAN or lockdep report in dmesg, and no healblk, loop or dm
# device left behind.  Each test gets HEAL_TEST_TIMEOUT seconds (600, as in
# settings; a KASAN kernel needs more), or its own "# heal-test-timeout: N"
# when that is longer.
#   scripts/vm.sh KVER [env HEAL_TESTS="test_x_01 nl_test"] tests/kmod/run.sh
#   scripts/vm.sh KVER env HEAL_SHARD=1/2 tests/kmod/run.sh
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
kver=$(uname -r)
results=${HEAL_RESULTS:-/tmp/heal-results}
logs=$results/logs-$kver
tap=$results/kmod-$kver.tap
export HEALBLK_KO=${HEALBLK_KO:-$top/build/kmod/$kver/kmod/healblk.ko}	# another build: to see a test fail on it
export HEALCTL=$top/build/bin/healctl
mkdir -p "$logs"
: > "$tap"

say() { echo "$*" | tee -a "$tap"; }

# HEAL_TESTS="test_a_01 nl_test ...": only those (while working on them).
wanted() { [ -z "${HEAL_TESTS:-}" ] || [[ " $HEAL_TESTS " == *" $(basename "$1" .sh) "* ]]; }
# HEAL_SHARD=I/N (make check): the tests in tests/kmod/shard-all, then every
# Nth of the others from the Ith on, so that N kernels' runs share the suite
# and each test still runs on one of them.  Unset: every test.
shard_i=0 shard_n=1
if [[ "${HEAL_SHARD:-}" =~ ^([0-9]+)/([0-9]+)$ ]]; then
	shard_i=$((BASH_REMATCH[1] - 1)) shard_n=${BASH_REMATCH[2]}
fi
always=" $(grep -Ev '^(#|$)' "$top/tests/kmod/shard-all" | tr '\n' ' ') "
shard_k=0
in_shard() {	# in_shard NAME
	[[ "$always" == *" $1 "* ]] && return 0
	shard_k=$((shard_k + 1))
	[ $(((shard_k - 1) % shard_n)) -eq "$shard_i" ]
}
tests=()
# nl_test too: not built (make test-progs), it fails rather than goes unseen.
wanted nl_test && in_shard nl_test && tests+=("$top/build/tests/nl_test")
for t in "$top"/tests/kmod/test_*.sh; do
	wanted "$t" && in_shard "$(basename "$t" .sh)" && tests+=("$t")
done

say "TAP version 13"
say "# kernel $kver"
say "1..${#tests[@]}"

# Without the module or healctl nothing here can run: every test says why.
why=""
[ -x "$HEALCTL" ] || why="$HEALCTL is not built (make userspace)"
[ -f "$HEALBLK_KO" ] || why="$HEALBLK_KO is not built (make kmod-$kver)"
if [ -n "$why" ]; then
	n=0
	for t in "${tests[@]}"; do
		n=$((n + 1))
		say "ok $n $(basename "$t" .sh) # SKIP $why"
	done
	exit 0
fi

modprobe -q loop; modprobe -q dm-mod
if ! insmod "$HEALBLK_KO" fault_injection=1; then
	say "Bail out! insmod $HEALBLK_KO failed"
	exit 1
fi

# Most reports start with WARNING: or BUG: (lockdep's, KASAN's, might_sleep's);
# lockdep's own lines are named as well, for the reports that print no
# WARNING line.
bad_dmesg='WARNING:|BUG:|Call Trace|general protection|Oops|refcount_t:|KASAN|UBSAN|blocked for more than|list_(add|del) corruption'
bad_dmesg+='|INFO: (trying to register non-static key|lockdep is turned off)|possible (circular|recursive) locking|inconsistent lock state|bad unlock balance|sleeping function called from invalid context'
leftovers() {
	{
		ls -d /sys/block/healblk* 2>/dev/null
		losetup -n -O NAME 2>/dev/null
		dmsetup ls 2>/dev/null | grep -v 'No devices found'
		ls -d /sys/kernel/config/nullb/*/ 2>/dev/null
		for m in brd scsi_debug; do [ -d "/sys/module/$m" ] && echo "module $m"; done
	} | tr '\n' ' ' | sed 's/ $//'
}
# Tear down what a test left, so that the next ones start clean.
sweep() {
	local d
	# A device left suspended (test_heald_08's hbstuck) holds its readers
	# in D state, and them its removal: resumed first, given a moment.
	for d in $(dmsetup info -c --noheadings --separator ' ' -o name,suspended 2>/dev/null |
		awk '$2 == "Suspended" { print $1 }'); do
		dmsetup resume "$d"
	done
	sleep 1
	for d in /sys/block/healblk*; do
		[ -e "$d" ] && "$HEALCTL" destroy "${d##*/}" > /dev/null 2>&1
	done
	dmsetup remove_all > /dev/null 2>&1
	losetup -D
	for d in /sys/kernel/config/nullb/*/; do
		[ -d "$d" ] && { echo 0 > "$d/power"; rmdir "$d"; }
	done 2> /dev/null
	rmmod brd scsi_debug 2> /dev/null
	udevadm settle 2> /dev/null
}

n=0
failed=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	name=$(basename "$t" .sh)
	# A mark in the kernel log: what follows it is this test's.  Should the
	# ring wrap, the mark is gone and the whole log is checked.
	mark="heal-test: start $n $name $RANDOM"
	echo "$mark" > /dev/kmsg
	start=$(date +%s)
	# -k: a test whose shell waits on a stuck command ignores the TERM.
	# A test's own "# heal-test-timeout: N" (one that boots a guest) when longer.
	t_secs=${HEAL_TEST_TIMEOUT:-600}
	own=$(sed -n 's/^# heal-test-timeout: \([0-9][0-9]*\).*/\1/p' "$t" | head -1)
	[ "${own:-0}" -gt "$t_secs" ] && t_secs=$own
	timeout -k 30 "$t_secs" "$t" > "$logs/$name.log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	sed 's/^/# /' "$logs/$name.log" | tee -a "$tap" > /dev/null
	new=$(dmesg | sed -n "/$mark/,\$p")
	[ -n "$new" ] || new=$(dmesg)
	if echo "$new" | grep -Eq "$bad_dmesg"; then
		while IFS= read -r line; do echo "# dmesg: $line"; done <<< "$new" >> "$tap"
		rc=1
		say "# $name: the kernel logged a warning or a trace"
	fi
	left=$(leftovers)
	if [ -n "$left" ]; then
		say "# $name: left behind: $left"
		sweep
		rc=1
	fi
	# Reload the module if a test left it out, for the next one.
	[ -d /sys/module/healblk ] || insmod "$HEALBLK_KO" fault_injection=1
	case $rc in
	0) say "ok $n $name # ${secs}s" ;;
	4)	why=$(grep -m1 '^SKIP:' "$logs/$name.log" | cut -c7-)
		say "ok $n $name # SKIP ${why:-the test gave no reason (exit 4)}" ;;
	124) say "not ok $n $name # timed out"; failed=1 ;;
	*) say "not ok $n $name # exit $rc"; failed=1 ;;
	esac
done
rmmod healblk || { say "# rmmod healblk failed"; failed=1; }
exit $failed

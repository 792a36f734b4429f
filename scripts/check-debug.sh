#!/usr/bin/env bash
# make check-debug (issue 11): healblk's kernel tests, test_torture_01 among
# them, in Debian's 6.1 kernel built with KASAN, lockdep, might_sleep checks
# and a hung-task panic (scripts/debug-kernel.sh: built once, hours on 2
# cores, then cached).  Fails on a failing test and on any KASAN report,
# lockdep splat, "sleeping function called from invalid context", hung task
# or WARNING: run.sh checks dmesg after each test; this script then checks
# the guest's whole kernel console, boot and a panic included, its taint
# flags and whether lockdep is still on (it reports once, then turns off).
# Results in build/check-debug/: kernel-build.log, kmod-<kver>.tap and
# logs-<kver>/ (run.sh's), vm.log, console.log (the guest's console) and,
# after a report, console-decoded.log (traces with file:line).
#   make check-debug [HEAL_TESTS="test_a_01 test_b_01"]
# HEAL_TEST_TIMEOUT (1800 s a test) and HEAL_VM_TIMEOUT (10800 s) bound a
# run: KASAN and lockdep under TCG make the tests several times slower.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

# Inside the VM: the tests, then the state the host reads back.
if [ "${1:-}" = --guest ]; then
	tests/kmod/run.sh
	rc=$?
	dmesg > "$HEAL_RESULTS/dmesg.log"
	echo "tainted $(cat /proc/sys/kernel/tainted)" > "$HEAL_RESULTS/guest-state"
	sed -n 's/^ *debug_locks: */debug_locks /p' /proc/lockdep_stats >> "$HEAL_RESULTS/guest-state"
	exit $rc
fi

results=$top/build/check-debug
rm -rf "$results"
mkdir -p "$results"
export HEAL_RESULTS=$results
t0=$(date +%s)
note() { echo "# == $* ($(( $(date +%s) - t0 ))s)"; }
fails=0
fail() { echo "not ok - $*"; fails=$((fails + 1)); }

main() {
	note "the debug kernel (scripts/debug-kernel.sh; log: $results/kernel-build.log)"
	local kdir kver rc
	kdir=$(scripts/debug-kernel.sh 2> "$results/kernel-build.log" | tail -1)
	if [ -z "$kdir" ] || [ ! -f "$kdir/arch/x86/boot/bzImage" ]; then
		tail -20 "$results/kernel-build.log" | sed 's/^/# /'
		fail "debug kernel build"
		return
	fi
	kver=$(cat "$kdir/include/config/kernel.release")
	note "healblk, healctl, healtop for $kver"
	if ! nice -n 19 make -s kmod KDIR="$kdir" > "$results/build.log" 2>&1 ||
		! nice -n 19 make -s userspace test-progs tui >> "$results/build.log" 2>&1; then
		tail -20 "$results/build.log" | sed 's/^/# /'
		fail "build healblk and userspace"
		return
	fi

	note "kernel tests in $kver (virtme-ng; console: $results/console.log)"
	local only=()
	[ -n "${HEAL_TESTS:-}" ] && only=("HEAL_TESTS=$HEAL_TESTS")
	# no5lvl: qemu's -cpu max has 5-level paging, and this 6.1 clears the
	# CPU's features in identify_cpu() with interrupts on: an interrupt then
	# sees 4-level address bounds, and KASAN reports thousands of
	# "wild-memory-access" on spinlocks at boot (measured: 13322 in 0.6 s).
	# no_timer_check: the IO-APIC timer check counts ticks in a busy loop;
	# a KASAN kernel under TCG on a loaded host misses them and panics
	# ("IO-APIC + timer doesn't work!", seen with other VMs beside it).
	HEAL_VM_CONSOLE=1 HEAL_VM_MEMORY=${HEAL_VM_MEMORY:-3G} \
		HEAL_VM_APPEND="loglevel=5 kasan_multi_shot hung_task_panic=1 no5lvl no_timer_check" \
		HEAL_VM_TIMEOUT=${HEAL_VM_TIMEOUT:-10800} \
		scripts/vm.sh "$kdir" env HEAL_TEST_TIMEOUT="${HEAL_TEST_TIMEOUT:-1800}" HEAL_WAIT_SCALE=4 \
		"${only[@]}" scripts/check-debug.sh --guest \
		< /dev/null > "$results/vm.log" 2> "$results/console.log"
	rc=$?
	note "the VM returned $rc"

	local tap=$results/kmod-$kver.tap planned reported
	if [ -s "$tap" ]; then
		cat "$tap"
		planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap" | head -1)
		reported=$(grep -Ec '^(not )?ok ' "$tap")
		[ "${planned:-0}" -eq "$reported" ] ||
			fail "only $reported of ${planned:-?} tests reported: the guest died or hung"
		fails=$((fails + $(grep -c '^not ok' "$tap")))
	else
		tail -30 "$results/vm.log" | sed 's/^/# /'
		fail "the VM did not run tests/kmod/run.sh (exit $rc)"
	fi

	# Bits of /proc/sys/kernel/tainted a report sets: B (bad page: KASAN),
	# D (oops), W (warning), L (soft lockup).  O and E (healblk is out of
	# the tree and unsigned) are expected.
	local tainted locks
	tainted=$(sed -n 's/^tainted //p' "$results/guest-state" 2>/dev/null)
	locks=$(sed -n 's/^debug_locks //p' "$results/guest-state" 2>/dev/null)
	if [ -z "$tainted" ]; then
		fail "the guest never got past the tests (panic or timeout): see the console"
	else
		(( tainted & (32 | 128 | 512 | 16384) )) && fail "the kernel is tainted $tainted"
		[ "$locks" = 1 ] || fail "lockdep turned itself off (debug_locks ${locks:-?}): it reported something"
	fi

	# The console from boot to the end: what run.sh's per-test dmesg misses.
	local bad='WARNING:|BUG:|Call Trace|general protection|Oops|Kernel panic|refcount_t:|KASAN:|UBSAN:|blocked for more than|list_(add|del) corruption|INFO: (trying to register non-static key|lockdep is turned off)|possible (circular|recursive) locking|inconsistent lock state|bad unlock balance|sleeping function called from invalid context'
	if grep -Eq "$bad" "$results/console.log"; then
		fail "the kernel reported $(grep -Ec "$bad" "$results/console.log") suspect lines: $results/console-decoded.log"
		grep -E "$bad" "$results/console.log" | grep -v 'Call Trace' | sort | uniq -c | sed 's/^/# /' | head -40
		# file:line for every frame, healblk's too (its debug info is in the .ko).
		mkdir -p "$results/modules"
		find "$kdir" "$top/build/kmod/$kver" -name '*.ko' -exec ln -sf {} "$results/modules/" \;
		"$kdir/source/scripts/decode_stacktrace.sh" "$kdir/vmlinux" "$(readlink -f "$kdir/source")/" \
			"$results/modules" < "$results/console.log" > "$results/console-decoded.log" 2>&1
	fi
	note "done"
	if [ $fails -eq 0 ]; then
		echo "check-debug: passed"
	else
		echo "check-debug: $fails failed"
	fi
}

main 2>&1 | tee "$results/check-debug.log"
[ "$(tail -1 "$results/check-debug.log")" = "check-debug: passed" ]

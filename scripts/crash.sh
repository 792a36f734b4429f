#!/usr/bin/env bash
# Crash consistency on one kernel: tests/crash/crash_01.sh in two boots of
# the VM over two disk images that outlive it (the first boot ends in
# sysrq b).  One TAP line into $HEAL_RESULTS/crash-<kver>.tap.
#   scripts/crash.sh KVER
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:?usage: scripts/crash.sh KVER}
results=${HEAL_RESULTS:-$top/build/results}
dir=$results/crash-$kver
tap=$results/crash-$kver.tap
mkdir -p "$dir"
rm -f "$dir"/*
for d in a b; do truncate -s 160M "$dir/disk-$d.img"; done
export HEAL_VM_DISKS="$dir/disk-a.img $dir/disk-b.img" HEAL_RESULTS="$results"
# Each boot's own cap, not make check's for a whole kernel's run.
export HEAL_VM_TIMEOUT=${HEAL_CRASH_TIMEOUT:-600}

cd "$top" || exit 1
start=$(date +%s)
"$top/scripts/vm.sh" "$kver" tests/crash/crash_01.sh write > "$dir/write.log" 2>&1 < /dev/null
rc=$?
# A guest that never ran the test (no line of it, no phase: CI once saw
# 6.12's write boot end at once with 255 while another guest stopped) is
# booted once more; the retry is said in the TAP.  A test that ran and
# failed is not retried.
retried=""
if [ ! -s "$dir/phase" ] && ! grep -q '^# \|FAIL' "$dir/write.log"; then
	retried="the write boot ended with $rc before the test ran: booted again"
	mv "$dir/write.log" "$dir/write-1.log"
	"$top/scripts/vm.sh" "$kver" tests/crash/crash_01.sh write > "$dir/write.log" 2>&1 < /dev/null
	rc=$?
fi
"$top/scripts/vm.sh" "$kver" tests/crash/crash_01.sh check > "$dir/check.log" 2>&1 < /dev/null
rc2=$?
{
	echo "TAP version 13"
	echo "1..1"
	[ -n "$retried" ] && echo "# $retried"
	grep -h '^# ' "$dir/write.log" "$dir/check.log"
	if [ "$(cat "$dir/phase" 2>/dev/null)" != crashing ]; then
		tail -20 "$dir/write.log" | sed 's/^/# /'
		echo "not ok 1 crash_01 # the write boot did not crash as planned (exit $rc)"
	elif [ $rc2 -ne 0 ]; then
		# The whole end of the guest's output: CI keeps only what is printed.
		tail -60 "$dir/check.log" | sed 's/^/# /'
		# The one known failure, the resync's end never seen after the
		# crash though the legs came out identical and the data intact
		# (issue 11, item 15, open: seen on 6.1 and 6.12 on 2026-12-02 with
		# no sync event at all in 120 s), is an expected failure (TAP
		# TODO) until it is understood; wrong data, legs that differ, a
		# dirty fsck or a hung boot still fail.
		if grep -q "no resync done in .*(legs identical, data intact)" "$dir/check.log"; then
			echo "not ok 1 crash_01 # TODO the resync's end not seen after the crash (legs identical, data intact; issue 11 item 15), see $dir/check.log"
		else
			echo "not ok 1 crash_01 # exit $rc2 after the crash, see $dir/check.log"
		fi
	else
		echo "ok 1 crash_01 # $(( $(date +%s) - start ))s, resynced $(cat "$dir/resynced") regions"
	fi
} > "$tap"
rm -f "$dir"/disk-*.img
cat "$tap"
grep -q '^ok' "$tap"

#!/usr/bin/env bash
# Runs inside the VM (scripts/vm.sh): loads the healblk built for the running
# kernel and runs every kernel test, one TAP line each, into
# $HEAL_RESULTS/kmod-<kver>.tap.  After every test: no new WARNING, BUG or
# Call Trace in dmesg, and no healblk, loop or dm device left behind.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
kver=$(uname -r)
results=${HEAL_RESULTS:-/tmp/heal-results}
logs=$results/logs-$kver
tap=$results/kmod-$kver.tap
export HEALBLK_KO=$top/build/kmod/$kver/kmod/healblk.ko
export HEALCTL=$top/build/bin/healctl
mkdir -p "$logs"
: > "$tap"

say() { echo "$*" | tee -a "$tap"; }

tests=()
[ -x "$top/build/tests/nl_test" ] && tests+=("$top/build/tests/nl_test")
for t in "$top"/tests/kmod/test_*.sh; do
	tests+=("$t")
done

say "TAP version 13"
say "# kernel $kver"
say "1..${#tests[@]}"

if [ ! -f "$HEALBLK_KO" ]; then
	n=0
	for t in "${tests[@]}"; do
		n=$((n + 1))
		say "ok $n $(basename "$t") # SKIP healblk.ko not built for $kver"
	done
	exit 0
fi

modprobe -q loop; modprobe -q dm-mod
if ! insmod "$HEALBLK_KO" fault_injection=1; then
	say "Bail out! insmod $HEALBLK_KO failed"
	exit 1
fi

bad_dmesg='WARNING:|BUG:|Call Trace|general protection|Oops|refcount_t:'
leftovers() {
	local left=""
	left+=$(ls -d /sys/block/healblk* 2>/dev/null)
	left+=$(losetup -n -O NAME 2>/dev/null)
	left+=$(dmsetup ls 2>/dev/null | grep -v 'No devices found')
	printf '%s' "$left"
}

n=0
failed=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	name=$(basename "$t" .sh)
	before=$(dmesg | wc -l)
	start=$(date +%s)
	timeout 600 "$t" > "$logs/$name.log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	sed 's/^/# /' "$logs/$name.log" | tee -a "$tap" > /dev/null
	new=$(dmesg | tail -n +"$((before + 1))")
	if echo "$new" | grep -Eq "$bad_dmesg"; then
		while IFS= read -r line; do echo "# dmesg: $line"; done <<< "$new" >> "$tap"
		rc=1
		say "# $name: the kernel logged a warning or a trace"
	fi
	left=$(leftovers)
	if [ -n "$left" ]; then
		say "# $name: left behind: $left"
		rc=1
	fi
	# Reload the module if a test left it out, for the next one.
	[ -d /sys/module/healblk ] || insmod "$HEALBLK_KO" fault_injection=1
	case $rc in
	0) say "ok $n $name # ${secs}s" ;;
	4) say "ok $n $name # SKIP $(grep -m1 '^SKIP:' "$logs/$name.log" | cut -c7-)" ;;
	124) say "not ok $n $name # timed out"; failed=1 ;;
	*) say "not ok $n $name # exit $rc"; failed=1 ;;
	esac
done
rmmod healblk || { say "# rmmod healblk failed"; failed=1; }
exit $failed

#!/usr/bin/env bash
# make check: build everything, run the host unit tests, then the kernel
# tests in one virtme-ng boot per Debian kernel (6.1 and 6.12), the module
# built against each kernel's own headers, W=1 and sparse clean.  TAP goes
# to build/results/*.tap; the last line is "N passed, N failed, N skipped".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
results=$top/build/results
rm -rf "$results"
mkdir -p "$results"
export HEAL_RESULTS=$results
fail=0

note() { echo "== $*"; }

# Debian's two kernels, newest of each series.
kvers=()
for series in 6.1 6.12; do
	k=$(find /lib/modules -maxdepth 1 -name "$series.*-amd64" -printf '%f\n' | sort -V | tail -1)
	if [ -z "$k" ]; then
		echo "not ok - kernel $series # no Debian $series kernel installed (scripts/setup.sh)" |
			tee -a "$results/setup.tap"
		fail=1
	else
		kvers+=("$k")
	fi
done

# Builds: one TAP line each.  A warning from W=1 or sparse fails the build.
n=0
build_step() {	# build_step NAME COMMAND...
	local name=$1 log
	shift
	n=$((n + 1))
	log="$results/build-$name.log"
	if "$@" > "$log" 2>&1 && ! grep -E 'warning:|error:' "$log" | grep -v "Skipping BTF" > /dev/null; then
		echo "ok $n build $name"
	else
		grep -E 'warning:|error:' "$log" | head -20 | sed 's/^/# /'
		echo "not ok $n build $name # see $log"
		return 1
	fi
}
{
	echo "TAP version 13"
	for k in "${kvers[@]}"; do
		build_step "kmod-$k" make -s "kmod-$k" W=1 C=1 || fail=1
	done
	build_step userspace make -s userspace || fail=1
	# Style gates: warnings fail, checkpatch's CHECK-level notes are shown only.
	n=$((n + 1))
	cp_log=$results/checkpatch.log
	perl build/deps/linux-source/scripts/checkpatch.pl --strict --no-tree --terse \
		--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON \
		-f kmod/*.c kmod/*.h include/uapi/linux/healblk.h > "$cp_log" 2>&1
	if grep -Eq ': (ERROR|WARNING):' "$cp_log"; then
		grep -E ': (ERROR|WARNING):' "$cp_log" | sed 's/^/# /'
		echo "not ok $n checkpatch --strict kmod"
	else
		grep -E ': CHECK:' "$cp_log" | sed 's/^/# /'
		echo "ok $n checkpatch --strict kmod"
	fi
	build_step cppcheck cppcheck --quiet --enable=warning,performance,portability \
		--std=c11 --error-exitcode=1 -I include/uapi --suppress=missingIncludeSystem \
		userspace tests/unit tests/kmod/nl_test.c || fail=1
	build_step shellcheck shellcheck scripts/*.sh scripts/bench/*.sh tests/*.sh \
		tests/kmod/*.sh .ci/run || fail=1
} | tee "$results/build.tap"
grep -q '^not ok' "$results/build.tap" && fail=1

note "host unit tests (ASan, UBSan)"
make -s -C userspace check BUILD="$top/build" 2>&1 | tee "$results/unit.tap"

for k in "${kvers[@]}"; do
	note "kernel tests on $k (virtme-ng)"
	scripts/vm.sh "$k" tests/kmod/run.sh > "$results/vm-$k.log" 2>&1
	rc=$?
	if [ -s "$results/kmod-$k.tap" ]; then
		cat "$results/kmod-$k.tap"
	else
		tail -30 "$results/vm-$k.log"
	fi
	if [ $rc -ne 0 ] && ! grep -q '^not ok' "$results/kmod-$k.tap" 2>/dev/null; then
		echo "not ok - kernel tests on $k # the VM run ended with $rc, see $results/vm-$k.log" |
			tee -a "$results/vm.tap"
	fi
done

# One summary over every TAP file.
cat "$results"/*.tap > "$results/all.tap"
skipped=$(grep -Ec '^ok .*# SKIP' "$results/all.tap")
passed=$(( $(grep -Ec '^ok ' "$results/all.tap") - skipped ))
failed=$(grep -Ec '^not ok' "$results/all.tap")
[ "$failed" -gt 0 ] && fail=1
echo "$passed passed, $failed failed, $skipped skipped"
exit "$fail"

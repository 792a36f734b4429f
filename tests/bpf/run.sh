#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs the eBPF monitor tests on the host, as root: one TAP line per test
# binary, each binary's own TAP output kept as comments.  After each binary
# (and on exit, even on failure) sweeps what a test killed by the harness's
# timeout could leave: loop devices over /var/tmp/heal-bpft.*, those files,
# namespaces and cgroups named heal-bpft*.
#   make -C tests/bpf && tests/bpf/run.sh [test_io test_net ...]
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${HEAL_BUILD:-$top/build}/tests/bpf

sweep() {
	local l f d ns
	while read -r l f; do
		[[ $f == /var/tmp/heal-bpft.* ]] && losetup -d "$l" 2>/dev/null
	done < <(losetup -n -O NAME,BACK-FILE 2>/dev/null)
	for f in /var/tmp/heal-bpft.*; do
		[ -e "$f" ] || continue
		chattr -i "$f" 2>/dev/null
		rm -f "$f"
	done
	while read -r ns _; do
		[[ $ns == heal-bpft-* ]] && ip netns del "$ns" 2>/dev/null
	done < <(ip netns list 2>/dev/null)
	for d in /sys/fs/cgroup/heal-bpft-* /sys/fs/cgroup/*/heal-bpft-*; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
}
trap sweep EXIT

tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=(bpfmon_unit test_io test_net test_proc)

echo "TAP version 13"
echo "# kernel $(uname -r)"
echo "1..${#tests[@]}"
if [ "$(id -u)" -ne 0 ]; then
	n=0
	for t in "${tests[@]}"; do
		n=$((n + 1))
		echo "ok $n $t # SKIP needs root (BPF, loop devices, namespaces)"
	done
	exit 0
fi

fails=0 n=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	if [ ! -x "$bin/$t" ]; then
		echo "not ok $n $t # $bin/$t is not built (make -C tests/bpf)"
		fails=$((fails + 1))
		continue
	fi
	# libbpf's own warnings (a refused program) stay in the log as comments.
	"$bin/$t" 2>&1 | sed 's/^/# /'
	rc=${PIPESTATUS[0]}
	sweep
	if [ "$rc" -eq 0 ]; then
		echo "ok $n $t"
	elif [ "$rc" -eq 4 ]; then
		echo "ok $n $t # SKIP"
	else
		echo "not ok $n $t # exit $rc"
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ]

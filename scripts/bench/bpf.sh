#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What heal's I/O monitor (bpf/iomon) costs: fio 4k random reads on a loop
# device, with iomon attached and detached, alternating runs (BENCH_PAIRS
# pairs of BENCH_RUNTIME s, default 3 x 5 s, the order swapped every pair).
# Prints the IOPS ratio attached/detached (target >= 0.97) and the cost per
# event from the kernel's BPF run-time statistics (kernel.bpf_stats_enabled,
# on only during one extra attached run, so that it does not tax the ratio).
# The loop device is backed by a file in /dev/shm (buffered: memory speed),
# the case where a per-I/O cost shows most.  Host, root; needs
# build/bin/bpfmon-attach (make -C tests/bpf).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
attach=$top/build/bin/bpfmon-attach
runtime=${BENCH_RUNTIME:-5}
pairs=${BENCH_PAIRS:-3}

[ "$(id -u)" -eq 0 ] || { echo "bench/bpf: needs root" >&2; exit 1; }
[ -x "$attach" ] || { echo "bench/bpf: $attach missing (make -C tests/bpf)" >&2; exit 1; }

work=$(mktemp -d /tmp/heal-bench-bpf.XXXXXX)
backing=$(mktemp /dev/shm/heal-bench-bpf.XXXXXX)
loop=""
apid=""
stats_was=$(cat /proc/sys/kernel/bpf_stats_enabled)
cleanup() {
	[ -n "$apid" ] && kill "$apid" 2>/dev/null && wait "$apid" 2>/dev/null
	[ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
	rm -f "$backing"
	rm -rf "$work"
	sysctl -q kernel.bpf_stats_enabled="$stats_was"
}
trap cleanup EXIT

truncate -s 256M "$backing"
dd if=/dev/zero of="$backing" bs=1M count=256 conv=notrunc status=none
loop=$(losetup -f --show "$backing")
udevadm settle -t 10 2>/dev/null || true

fio_iops() {
	fio --name=bpfbench --filename="$loop" --rw=randread --bs=4k --direct=1 \
		--ioengine=libaio --iodepth=32 --numjobs=1 --time_based \
		--runtime="$runtime" --ramp_time=1 --output-format=json 2>/dev/null |
		jq '.jobs[0].read.iops | floor'
}

start_attach() {
	"$attach" -p io -q > "$work/attach.out" 2>&1 &
	apid=$!
	for _ in $(seq 100); do
		grep -q '^ready' "$work/attach.out" && return 0
		kill -0 "$apid" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench/bpf: bpfmon-attach did not get ready:" >&2
	cat "$work/attach.out" >&2
	exit 1
}

stop_attach() {
	kill "$apid"
	wait "$apid" 2>/dev/null || true
	apid=""
}

run() {	# $1: on | off; prints IOPS
	local iops
	[ "$1" = on ] && start_attach
	iops=$(fio_iops)
	[ "$1" = on ] && stop_attach
	echo "$iops"
}

sysctl -q kernel.bpf_stats_enabled=0
on_sum=0 off_sum=0
echo "fio randread 4k qd32 on $loop (backed by /dev/shm), $pairs pairs x ${runtime}s"
for p in $(seq "$pairs"); do
	if [ $((p % 2)) -eq 1 ]; then order="off on"; else order="on off"; fi
	for mode in $order; do
		iops=$(run "$mode")
		printf '  pair %d  iomon %-3s  %8d IOPS\n' "$p" "$mode" "$iops"
		if [ "$mode" = on ]; then on_sum=$((on_sum + iops)); else off_sum=$((off_sum + iops)); fi
	done
done
ratio=$(echo "scale=4; $on_sum / $off_sum" | bc)
printf 'mean IOPS: detached %d, attached %d, ratio attached/detached %.3f (target >= 0.97)\n' \
	$((off_sum / pairs)) $((on_sum / pairs)) "$ratio"

# Cost per event: one more attached run with the kernel's BPF stats on.
sysctl -q kernel.bpf_stats_enabled=1
start_attach
fio_iops > /dev/null
bpftool -j prog show > "$work/progs.json"
stop_attach
sysctl -q kernel.bpf_stats_enabled="$stats_was"
jq -r '.[] | select(.name == "iomon_issue" or .name == "iomon_complete") |
	select(.run_cnt != null and .run_cnt > 0) |
	"\(.name): \(.run_cnt) runs, \(.run_time_ns / .run_cnt | floor) ns per event"' \
	"$work/progs.json"

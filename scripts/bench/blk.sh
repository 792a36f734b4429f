#!/usr/bin/env bash
# make bench: healblk against one raw leg, md raid1 and dm-mirror over the
# same kind of legs (brd ram disks), in one VM boot, measured side by side:
# each workload runs on every device in turn, BENCH_REPS times, and the
# median counts.  Prints IOPS / bandwidth and the ratios healblk/raw and
# healblk/md.  BENCH_RUNTIME (s, default 10) per run; BENCH_WORKLOADS, a
# comma list of "rw bs" (default all four).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)

if [ "${1:-}" != --in-vm ]; then
	kver=${BENCH_KVER:-$(find /lib/modules -maxdepth 1 -name '6.12.*-amd64' -printf '%f\n' | sort -V | tail -1)}
	HEAL_VM_MEMORY=${HEAL_VM_MEMORY:-2G} exec "$top/scripts/vm.sh" "$kver" \
		env BENCH_RUNTIME="${BENCH_RUNTIME:-10}" BENCH_REPS="${BENCH_REPS:-3}" \
		BENCH_WORKLOADS="${BENCH_WORKLOADS:-randread 4k,randwrite 4k,read 1M,write 1M}" \
		BENCH_NO_IOSTATS="${BENCH_NO_IOSTATS:-}" \
		scripts/bench/blk.sh --in-vm
fi

cd "$top"
healctl=$top/build/bin/healctl
size_mb=256
out=${HEAL_RESULTS:-/tmp}/bench-blk-$(uname -r).txt
cleanup() {
	"$healctl" destroy healblk0 >/dev/null 2>&1 || true
	mdadm --stop /dev/md/hbbench >/dev/null 2>&1 || true
	dmsetup remove hbmirror 2>/dev/null || true
	rmmod healblk brd 2>/dev/null || true
}
trap cleanup EXIT

modprobe brd rd_nr=7 rd_size=$((size_mb * 1024))
modprobe dm-mirror 2>/dev/null || modprobe dm-mod
insmod "build/kmod/$(uname -r)/kmod/healblk.ko"
# Fill every ram disk so reads do not hit unallocated (zero) pages.
for i in 0 1 2 3 4 5 6; do
	dd if=/dev/urandom of=/dev/ram$i bs=1M count=$size_mb oflag=direct status=none
done
hb=/dev/$("$healctl" create --assume-clean /dev/ram1 /dev/ram2)
mdadm --create /dev/md/hbbench --run --level=1 --raid-devices=2 --assume-clean \
	--metadata=1.2 --bitmap=none /dev/ram3 /dev/ram4 >/dev/null 2>&1
md=$(readlink -f /dev/md/hbbench)
sz=$(blockdev --getsz /dev/ram5)
dmsetup create hbmirror --table "0 $sz mirror core 2 1024 nosync 2 /dev/ram5 0 /dev/ram6 0 0"
dm=/dev/mapper/hbmirror
udevadm settle
[ -n "${BENCH_NO_IOSTATS:-}" ] && echo 0 > "/sys/block/${hb#/dev/}/queue/iostats"

# Every device gets the same I/O span: the smallest device (healblk's).
span=$(($(blockdev --getsize64 "$hb") / 1048576))M
declare -A result
run() {	# run DEV RW BS -> IOPS
	fio --name=b --filename="$1" --direct=1 --ioengine=libaio --rw="$2" --bs="$3" \
		--iodepth=16 --numjobs=2 --group_reporting --time_based \
		--runtime="$BENCH_RUNTIME" --size="$span" --randrepeat=0 \
		--output-format=terse --terse-version=3 |
		awk -F';' '{ print $8 + $49 }'	# read IOPS + write IOPS
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

devs=(raw healblk md dm)
declare -A path=([raw]=/dev/ram0 [healblk]=$hb [md]=$md [dm]=$dm)
IFS=, read -r -a workloads <<< "${BENCH_WORKLOADS:-randread 4k,randwrite 4k,read 1M,write 1M}"
{
	echo "# kernel $(uname -r), 2 legs of brd each, fio iodepth 16 x 2 jobs, ${BENCH_RUNTIME}s x $BENCH_REPS runs, median"
	printf '%-14s %10s %10s %10s %10s %9s %9s\n' workload raw healblk md dm hb/raw hb/md
	for w in "${workloads[@]}"; do
		read -r rw bs <<< "$w"
		declare -A samples=()
		for ((r = 0; r < BENCH_REPS; r++)); do
			for d in "${devs[@]}"; do
				samples[$d]+="$(run "${path[$d]}" "$rw" "$bs") "
			done
		done
		for d in "${devs[@]}"; do
			result[$d]=$(tr ' ' '\n' <<< "${samples[$d]}" | grep . | median)
		done
		unit=IOPS
		[ "$bs" = 1M ] && unit="MiB/s"
		printf '%-14s %10.0f %10.0f %10.0f %10.0f %9.2f %9.2f  %s\n' "$rw $bs" \
			"${result[raw]}" "${result[healblk]}" "${result[md]}" "${result[dm]}" \
			"$(echo "${result[healblk]} / ${result[raw]}" | bc -l)" \
			"$(echo "${result[healblk]} / ${result[md]}" | bc -l)" "$unit"
		unset samples
	done
} | tee "$out"

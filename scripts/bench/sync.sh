#!/usr/bin/env bash
# make bench, part 2: healblk's background copies, in one VM boot over brd
# ram disks, each measured beside its yardstick in the same run:
#  - rebuild onto a spare when idle, against dd copying the same amount
#    between the same kind of disks (O_DIRECT, 1 MiB blocks): target >= 0.8x;
#  - fio 4k random IOPS while a throttled rebuild runs, against the same
#    fio on the idle device: target >= 0.7x;
#  - resync after a crash with 1% of the bitmap's regions dirty, against
#    the same with every region dirty (a full resync).
# BENCH_SIZE_MB (default 512) per leg, BENCH_RUNTIME (s, default 10) per fio run.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)

if [ "${1:-}" != --in-vm ]; then
	kver=${BENCH_KVER:-$(find /lib/modules -maxdepth 1 -name '6.12.*-amd64' -printf '%f\n' | sort -V | tail -1)}
	HEAL_VM_MEMORY=${HEAL_VM_MEMORY:-3G} exec "$top/scripts/vm.sh" "$kver" \
		env BENCH_RUNTIME="${BENCH_RUNTIME:-10}" BENCH_SIZE_MB="${BENCH_SIZE_MB:-512}" \
		scripts/bench/sync.sh --in-vm
fi

cd "$top"
healctl=$top/build/bin/healctl
mb=$BENCH_SIZE_MB
out=${HEAL_RESULTS:-/tmp}/bench-sync-$(uname -r).txt
ev=$(mktemp)
cleanup() {
	kill "$evpid" 2>/dev/null || true
	for d in /sys/block/healblk*; do [ -e "$d" ] && "$healctl" destroy "${d##*/}" >/dev/null 2>&1; done
	rmmod healblk brd 2>/dev/null || true
	rm -f "$ev" "$ev.busy" "$ev.dd" "$ev.rb"
}
evpid=
trap cleanup EXIT

modprobe brd rd_nr=4 rd_size=$((mb * 1024))
insmod "build/kmod/$(uname -r)/kmod/healblk.ko"
for i in 0 1 2 3; do
	dd if=/dev/urandom of=/dev/ram$i bs=1M count="$mb" oflag=direct status=none
done
"$healctl" events --follow --timeout 3600 > "$ev" &
evpid=$!
sleep 0.5
now() { date +%s.%N; }
wait_event() {	# wait_event REGEX N: until a line after the first N events matches
	until tail -n +"$(($2 + 1))" "$ev" | grep -Eq "$1"; do sleep 0.05; done
}
lines() { wc -l < "$ev"; }

hb=$("$healctl" create --assume-clean /dev/ram0 /dev/ram1)
udevadm settle
data=$(( $(blockdev --getsz "/dev/$hb") / 2048 ))	# MiB of data

# 1. Rebuild when idle (in place, from leg 0) against dd of the same size,
# alternately, 3 times each: the medians count.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
"$healctl" set "$hb" --sync-max 0
for i in 1 2 3; do
	t0=$(now)
	dd if=/dev/ram0 of=/dev/ram3 bs=1M count="$data" skip=1 seek=1 iflag=direct oflag=direct \
		status=none
	echo "$(now) - $t0" | bc >> "$ev.dd"
	"$healctl" fail-leg "$hb" 1
	n=$(lines)
	t0=$(now)
	"$healctl" rebuild "$hb" 1
	wait_event "kind=rebuild status=done" "$n"
	echo "$(now) - $t0" | bc >> "$ev.rb"
done
t_dd=$(median < "$ev.dd")
t_rb=$(median < "$ev.rb")
"$healctl" spare add "$hb" /dev/ram2

# 2. fio during a throttled rebuild against fio idle.
fio_iops() {
	fio --name=b --filename="/dev/$hb" --direct=1 --ioengine=libaio --rw=randrw --bs=4k \
		--iodepth=16 --numjobs=2 --group_reporting --time_based --runtime="$BENCH_RUNTIME" \
		--randrepeat=0 --output-format=terse --terse-version=3 |
		awk -F';' '{ print $8 + $49 }'
}
idle=$(fio_iops)
"$healctl" set "$hb" --sync-min 10240 --sync-max 0
# The rebuild starts a second into the run (fio is up by then) and, at
# sync_min while fio runs, lasts longer than the run.
fio_iops > "$ev.busy" &
sleep 1
n=$(lines)
"$healctl" fail-leg "$hb" 0
wait_event "kind=rebuild status=running" "$n"
wait $!
busy=$(cat "$ev.busy")
st=$("$healctl" status "$hb" --json | jq -r '.devices[0].sync | "\(.status) \(.pos) \(.rate_kbs)"')
case $st in running*) ;; *) echo "the rebuild did not outlast the fio run: $st" >&2; exit 1 ;; esac
"$healctl" abort "$hb" || true
"$healctl" destroy "$hb"

# 3. Resync of 1% of the regions against all of them: the bitmap of a
# cleanly stopped device is planted with dirty bits, as a crash leaves it.
hb=$("$healctl" create --assume-clean /dev/ram0 /dev/ram1)
udevadm settle
regions=$(( $("$healctl" status "$hb" --json | jq -r '.devices[0].sectors') / 2048 ))
"$healctl" set "$hb" --sync-max 0
"$healctl" destroy "$hb"
plant() {	# plant PCT: the bits of every region (100), or of 1 in 100
	local step=100
	[ "$1" = 100 ] && step=1
	for leg in /dev/ram0 /dev/ram1; do
		tests/hbmeta.py bitmap-set "$leg" "$regions" --every "$step"
	done
}
resync() {	# resync PCT -> seconds
	local n t0
	plant "$1"
	n=$(lines)
	t0=$(now)
	hb=$("$healctl" assemble /dev/ram0 /dev/ram1)
	wait_event "kind=resync status=done" "$n"
	echo "$(now) - $t0" | bc
	udevadm settle
	"$healctl" destroy "$hb"
}
t_1=$(resync 1)
t_all=$(resync 100)

{
	echo "# healblk background copies, $(uname -r), brd legs of $mb MiB ($data MiB of data)"
	printf '| measure | healblk | yardstick | ratio | target |\n|---|---|---|---|---|\n'
	printf '| rebuild, idle (s, %d MiB) | %.2f | dd: %.2f | %.2f | >= 0.8 |\n' \
		"$data" "$t_rb" "$t_dd" "$(echo "$t_dd / $t_rb" | bc -l)"
	printf '| fio 4k randrw IOPS during rebuild | %d | idle: %d | %.2f | >= 0.7 |\n' \
		"$busy" "$idle" "$(echo "$busy / $idle" | bc -l)"
	printf '| resync after crash (s) | 1%% dirty: %.2f | all dirty: %.2f | %.3f | |\n' \
		"$t_1" "$t_all" "$(echo "$t_1 / $t_all" | bc -l)"
	echo "# rebuild during fio: $st (status, sectors done, KiB/s); regions: $regions of 1 MiB"
} | tee "$out"

#!/usr/bin/env bash
# make bench, part 4: heald.
#  - detection to action, in a VM over brd: BENCH_TRIALS (default 20)
#    mirrors with a spare, healblk's fault injection failing leg 1's writes;
#    heald journals for each decision the time from the event that met its
#    SERD threshold to the kernel's acknowledgement of fail-leg (journal
#    fsync included).  Prints p50 and p99 (target p99 < 10 ms).
#  - heald idle on the host (eBPF monitors attached, no healblk): resident
#    memory (target < 16 MiB; the peak while libbpf parses the kernel's BTF
#    at start is printed beside it) and CPU over BENCH_IDLE s (default 30).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
heald=$top/build/bin/heald
healctl=$top/build/bin/healctl

pct() {	# pct P < numbers: the P-th percentile (nearest rank)
	sort -g | awk -v p="$1" '{ v[NR] = $1 } END { i = int(p / 100 * NR + 0.999); if (i < 1) i = 1; print v[i] }'
}

if [ "${1:-}" != --in-vm ]; then
	out=$top/build/results
	mkdir -p "$out"
	kver=${BENCH_KVER:-$(find /lib/modules -maxdepth 1 -name '6.12.*-amd64' -printf '%f\n' | sort -V | tail -1)}
	vm_rc=0
	HEAL_RESULTS=$out "$top/scripts/vm.sh" "$kver" env BENCH_TRIALS="${BENCH_TRIALS:-20}" \
		scripts/bench/heald.sh --in-vm || vm_rc=$?
	echo "== heald idle on the host ($(uname -r)), eBPF monitors attached"
	work=$(mktemp -d /tmp/heal-bench-heald.XXXXXX)
	printf 'socket = %s/sock\njournal = %s/journal\nmetrics_port = 19578\n' "$work" "$work" > "$work/conf"
	"$heald" -q -c "$work/conf" &
	pid=$!
	trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
	sleep 3
	idle=${BENCH_IDLE:-30}
	read -r u0 s0 < <(awk '{ print $14, $15 }' "/proc/$pid/stat")
	sleep "$idle"
	read -r u1 s1 < <(awk '{ print $14, $15 }' "/proc/$pid/stat")
	hz=$(getconf CLK_TCK)
	st=/proc/$pid/status
	rss=$(awk '/^VmRSS/ { print $2 }' "$st")
	hwm=$(awk '/^VmHWM/ { print $2 }' "$st")
	echo "heald rss: $rss KiB ($(awk '/^RssAnon/ { print $2 }' "$st") KiB its own, $(awk '/^RssFile/ { print $2 }' "$st") KiB shared libraries); target < 16384 KiB: $( [ "$rss" -lt 16384 ] && echo met || echo MISSED)"
	echo "heald peak rss: $hwm KiB (while libbpf parses the kernel's BTF at start)"
	awk -v t=$(( (u1 + s1) - (u0 + s0) )) -v hz="$hz" -v s="$idle" \
		'BEGIN { printf "heald cpu idle: %.3f%% of one core over %d s (%d ticks)\n", 100 * t / hz / s, s, t }'
	exit "$vm_rc"
fi

cd "$top"
trials=$BENCH_TRIALS
work=$(mktemp -d /tmp/heal-bench-heald.XXXXXX)
cleanup() {
	kill "$hpid" 2>/dev/null || true
	for d in /sys/block/healblk*; do [ -e "$d" ] && "$healctl" destroy "${d##*/}" >/dev/null 2>&1; done
	rmmod healblk brd 2>/dev/null || true
	rm -rf "$work"
}
hpid=
trap cleanup EXIT
modprobe brd rd_nr=3 rd_size=$((32 * 1024))
insmod "build/kmod/$(uname -r)/kmod/healblk.ko" fault_injection=1
export HEAL_SOCKET=$work/sock
printf 'socket = %s\njournal = %s/journal\nserd_n = 5\nserd_t = 60\ncooldown = 0\nmax_actions_per_hour = 0\nbpf = no\n' \
	"$HEAL_SOCKET" "$work" > "$work/conf"
"$heald" -q -c "$work/conf" &
hpid=$!
for ((i = 0; i < 50; i++)); do "$healctl" journal > /dev/null 2>&1 && break; sleep 0.1; done
for ((t = 1; t <= trials; t++)); do
	dev=$("$healctl" create --assume-clean /dev/ram0 /dev/ram1)
	"$healctl" set "$dev" --fail-errors 0
	"$healctl" spare add "$dev" /dev/ram2
	"$healctl" fault set "$dev" --leg 1 --op write
	for ((k = 0; k < 8; k++)); do
		dd if=/dev/zero of="/dev/$dev" bs=4k seek=$((k * 16)) count=1 oflag=direct status=none || true
	done
	for ((i = 0; i < 100; i++)); do
		"$healctl" journal --json --limit 1024 |
			jq -e '[.[] | select(.type == "outcome" and .detect_to_act_ms != null)] | length >= '"$t" \
			> /dev/null && break
		sleep 0.1
	done
	"$healctl" abort "$dev" > /dev/null 2>&1 || true
	for ((i = 0; i < 50; i++)); do "$healctl" destroy "$dev" > /dev/null 2>&1 && break; sleep 0.1; done
done
"$healctl" journal --json --limit 1024 |
	jq -r '.[] | select(.type == "outcome" and .detect_to_act_ms != null) | .detect_to_act_ms' > "$work/lat"
n=$(wc -l < "$work/lat")
echo "== heald detection to action on $(uname -r), $n of $trials trials"
jq -r '.[] | select(.type == "outcome" and .detect_to_journaled_ms != null) | .detect_to_journaled_ms' \
	< <("$healctl" journal --json --limit 1024) > "$work/jlat"
echo "detect-to-journaled ms (alarm and decision synced): p50 $(pct 50 < "$work/jlat"), p99 $(pct 99 < "$work/jlat")"
p50=$(pct 50 < "$work/lat")
p99=$(pct 99 < "$work/lat")
max=$(pct 100 < "$work/lat")
echo "detect-to-act ms: p50 $p50, p99 $p99, max $max; target p99 < 10 ms: $(awk -v p="$p99" 'BEGIN { print (p < 10) ? "met" : "MISSED" }')"
[ "$n" -eq "$trials" ]

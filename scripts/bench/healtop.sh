#!/usr/bin/env bash
# Benchmark: healtop's cost.  In a VM (scripts/vm.sh): 16 healblk mirrors
# over brd, healblk's fault injection failing 5% of leg 1's reads, and a
# reader on every device, so that heald streams a steady flow of events
# (I/O errors, retries, repairs); heald in dry-run mode, so that it
# journals but fails no leg and the flow goes on.  healtop runs under tmux
# at 200x60 with its default 1 s refresh for BENCH_SECS (default 30):
# prints its CPU time (target < 2% of one core), its resident memory, and
# the event rate it was fed.  The same again with no load, for the floor.
# Then, on the host, healtop over that status replayed with BENCH_RATE
# (default 200) events a second, for its native cost.
#   scripts/bench/healtop.sh [KVER]
#   scripts/bench/healtop.sh --replay build/results/healtop-status.json
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
healctl=$top/build/bin/healctl
heald=$top/build/bin/heald
healtop=$top/build/bin/healtop
NDEV=16

# CPU time of process $1 in ns: schedstat's first field, finer than the
# 10 ms ticks of /proc/PID/stat (which it falls back to).
cpu_ns() {
	if [ -r "/proc/$1/schedstat" ]; then
		awk '{ print $1 }' "/proc/$1/schedstat"
	else
		awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f\n", ($14 + $15) * 1e9 / hz }' "/proc/$1/stat"
	fi
}

# On the host: heald's status as the VM saw it, served by a stand-in for
# heald with a steady stream of events, so that healtop's own cost is
# measured natively (the VM may run under TCG, which inflates CPU time).
replay() {	# replay STATUS_JSON EVENTS_PER_S
	local work pid t0 t1 st
	work=$(mktemp -d /tmp/heal-bench-healtop.XXXXXX)
	python3 - "$work/sock" "$1" "$2" <<'PY' &
import json, socket, sys, threading, time
path, status, rate = sys.argv[1], json.load(open(sys.argv[2])), float(sys.argv[3])
status["ok"] = True
kinds = [
    {"type": "kernel", "event": {"event": "io_error", "dev": 3, "leg": 1, "op": "read",
                                 "sector": 4096, "sectors": 8, "errno": 5, "recovered": True}},
    {"type": "kernel", "event": {"event": "retry", "dev": 3, "leg": 1, "to_leg": 0,
                                 "op": "read", "sector": 4096, "sectors": 8}},
    {"type": "kernel", "event": {"event": "repair", "dev": 3, "leg": 1, "sector": 4096,
                                 "sectors": 8, "errno": 0}},
    {"type": "io_error", "disk": "ram7", "sector": 6144, "sectors": 8, "op": "read", "errno": 5},
]
def serve(c):
    f = c.makefile("r")
    for line in f:
        cmd = json.loads(line).get("cmd")
        if cmd == "events":
            c.sendall(b'{"ok":true}\n')
            n = 0
            while not rate:
                time.sleep(3600)
            while True:
                e = dict(kinds[n % len(kinds)], time=time.time())
                n += 1
                try:
                    c.sendall((json.dumps(e) + "\n").encode())
                except OSError:
                    return
                time.sleep(1 / rate)
        reply = status if cmd == "status" else {"ok": True, "entries": []}
        c.sendall((json.dumps(reply) + "\n").encode())
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(4)
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
PY
	pid=$!
	sleep 1
	tmux -L "healtop-replay-$$" new-session -d -s b -x 200 -y 60 \
		"exec env HEAL_SOCKET=$work/sock LANG=C.UTF-8 TERM=screen $healtop -d 1"
	local tp
	tp=$(tmux -L "healtop-replay-$$" display-message -p -t b '#{pane_pid}')
	sleep 3
	t0=$(cpu_ns "$tp")
	sleep "$secs"
	t1=$(cpu_ns "$tp")
	st=/proc/$tp/status
	tmux -L "healtop-replay-$$" capture-pane -t b -p | grep -q '^>Disks' ||
		echo "healtop: the screen is not drawn" >&2
	awk -v t=$((t1 - t0)) -v s="$secs" -v r="$2" \
		-v rss="$(awk '/^VmRSS/ { print $2 }' "$st")" -v hwm="$(awk '/^VmHWM/ { print $2 }' "$st")" \
		-v n="$(jq '.devices | length' "$1")" \
		'BEGIN { c = 100 * t / 1e9 / s;
			 printf "healtop on the host, %d devices replayed, %d events/s: cpu %.2f%% of one core over %d s (%.1f ms); rss %d KiB (peak %d KiB); target < 2%%: %s\n",
				n, r, c, s, t / 1e6, rss, hwm, c < 2 ? "met" : "MISSED" }'
	tmux -L "healtop-replay-$$" kill-server
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	rm -rf "$work"
}

# --replay FILE: only the host part, over a status saved by an earlier run.
if [ "${1:-}" = --replay ]; then
	secs=${BENCH_SECS:-30}
	replay "${2:?--replay STATUS_JSON}" 0
	replay "$2" "${BENCH_RATE:-200}"
	exit 0
fi

if [ "${1:-}" != --in-vm ]; then
	out=$top/build/results
	mkdir -p "$out"
	kver=${1:-${BENCH_KVER:-$(find /lib/modules -maxdepth 1 -name '6.12.*-amd64' -printf '%f\n' | sort -V | tail -1)}}
	secs=${BENCH_SECS:-30}
	[ -x "$healtop" ] || { echo "bench/healtop: $healtop is not built (make -C tui)" >&2; exit 1; }
	rm -f "$out/healtop-status.json"
	vm_rc=0
	HEAL_RESULTS="$out" "$top/scripts/vm.sh" "$kver" \
		env BENCH_SECS="$secs" scripts/bench/healtop.sh --in-vm || vm_rc=$?
	if [ -s "$out/healtop-status.json" ]; then
		replay "$out/healtop-status.json" 0
		replay "$out/healtop-status.json" "${BENCH_RATE:-200}"
	else
		echo "bench/healtop: no status from the VM to replay" >&2
		vm_rc=1
	fi
	exit "$vm_rc"
fi

cd "$top"
secs=${BENCH_SECS:-30}
work=$(mktemp -d /tmp/heal-bench-healtop.XXXXXX)
tmx=healtop-bench-$$
hpid=
load=
cleanup() {
	[ -n "$load" ] && kill "$load" 2>/dev/null
	tmux -L "$tmx" kill-server 2>/dev/null
	[ -n "$hpid" ] && kill "$hpid" 2>/dev/null
	wait 2>/dev/null
	for d in /sys/block/healblk*; do [ -e "$d" ] && "$healctl" destroy "${d##*/}" >/dev/null 2>&1; done
	rmmod healblk brd 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

modprobe brd rd_nr=$((2 * NDEV)) rd_size=$((16 * 1024))
insmod "build/kmod/$(uname -r)/kmod/healblk.ko" fault_injection=1
devs=()
for ((i = 0; i < NDEV; i++)); do
	d=$("$healctl" create --assume-clean "/dev/ram$((2 * i))" "/dev/ram$((2 * i + 1))")
	"$healctl" set "$d" --fail-errors 0
	"$healctl" fault set "$d" --leg 1 --op read --percent 5
	devs+=("$d")
done
export HEAL_SOCKET=$work/sock
printf 'socket = %s\njournal = %s/journal\nmetrics_port = 19579\ndry_run = yes\n' \
	"$HEAL_SOCKET" "$work" > "$work/conf"
"$heald" -q -c "$work/conf" &
hpid=$!
for ((i = 0; i < 100; i++)); do "$healctl" journal > /dev/null 2>&1 && break; sleep 0.1; done

# The steady stream: random direct 4 KiB reads over every device, 800 a
# second in all (fio's rate limit keeps it steady); half land on leg 1.
reader() {
	local files
	files=$(printf '/dev/%s:' "${devs[@]}")
	exec fio --name=stream --filename="${files%:}" --rw=randread --bs=4k --direct=1 \
		--ioengine=psync --rate_iops=800 --time_based --runtime=3600 \
		--output=/dev/null
}

# measure LABEL: healtop under tmux for $secs s; CPU and memory from /proc.
measure() {
	local pid t0 t1 st nev
	tmux -L "$tmx" new-session -d -s b -x 200 -y 60 \
		"exec env HEAL_SOCKET=$HEAL_SOCKET LANG=C.UTF-8 TERM=screen $healtop -d 1"
	pid=$(tmux -L "$tmx" display-message -p -t b '#{pane_pid}')
	sleep 3	# connected, first snapshots drawn
	"$healctl" events --follow --timeout "$secs" > "$work/events" 2>&1 &
	t0=$(cpu_ns "$pid")
	sleep "$secs"
	t1=$(cpu_ns "$pid")
	wait $! 2>/dev/null || true
	nev=$(wc -l < "$work/events")
	st=/proc/$pid/status
	tmux -L "$tmx" capture-pane -t b -p | grep -q '^>Disks' || echo "healtop: the screen is not drawn" >&2
	awk -v t=$((t1 - t0)) -v s="$secs" -v n="$nev" -v l="$1" \
		-v rss="$(awk '/^VmRSS/ { print $2 }' "$st")" -v hwm="$(awk '/^VmHWM/ { print $2 }' "$st")" \
		'BEGIN { c = 100 * t / 1e9 / s;
			 printf "healtop %s: cpu %.2f%% of one core over %d s (%.1f ms), %.0f kernel events/s; rss %d KiB (peak %d KiB); target < 2%%: %s\n",
				l, c, s, t / 1e6, n / s, rss, hwm, c < 2 ? "met" : "MISSED" }'
	tmux -L "$tmx" kill-server
}

echo "== healtop on $(uname -r): $NDEV healblk devices, 200x60, 1 s refresh"
measure "idle (no I/O)"
reader &
load=$!
sleep 2
measure "5% read faults on leg 1 of each, 800 random reads/s over them"
"$healctl" status --json | jq -r '[.devices[].legs[1].fault.injected] | add | "faults injected on leg 1 in all: \(.)"'
# heald's own status (healctl's "heald" part), for the replay on the host.
"$healctl" status --json | jq '.heald' > "${HEAL_RESULTS:-/tmp}/healtop-status.json"

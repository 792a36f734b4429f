#!/usr/bin/env bash
# Sourced by every kernel test (tests/kmod/test_*.sh), which runs inside the
# VM as root with healblk loaded (tests/kmod/run.sh).  Everything a test
# makes is registered here and torn down on exit, pass or fail.
# shellcheck disable=SC2034  # constants are for the tests that source this
set -u

ksft_pass=0
ksft_fail=1
ksft_skip=4
HEALCTL=${HEALCTL:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/bin/healctl}
META=2048	# HEALBLK_META_SECTORS: each leg's data starts here
SCRATCH=$(mktemp -d /tmp/heal-test.XXXXXX)

_healblk=()
_dm=()
_loops=()
_nullb=()
_pids=()
_brd=0

cleanup() {
	local i
	for i in "${_pids[@]}"; do kill "$i" 2>/dev/null; wait "$i" 2>/dev/null; done
	for i in "${_healblk[@]}"; do "$HEALCTL" destroy "$i" >/dev/null 2>&1; done
	for ((i = ${#_dm[@]} - 1; i >= 0; i--)); do dmsetup remove "${_dm[i]}" 2>/dev/null; done
	for i in "${_loops[@]}"; do losetup -d "$i" 2>/dev/null; done
	for i in "${_nullb[@]}"; do
		echo 0 > "$i/power" 2>/dev/null; rmdir "$i" 2>/dev/null
	done
	[ "$_brd" = 1 ] && rmmod brd 2>/dev/null
	[ -d /sys/module/scsi_debug ] && rmmod scsi_debug 2>/dev/null
	rm -rf "$SCRATCH"
}
trap cleanup EXIT

log() { echo "# $*"; }
fail() { echo "FAIL: $*"; exit "$ksft_fail"; }
skip() { echo "SKIP: $*"; exit "$ksft_skip"; }

# The make_* helpers run in the test's own shell (never in $(...)), so that
# a failure ends the test and everything made is torn down: each leaves its
# result in a variable.

# LOOP=a loop device over a sparse file of $1 MiB in /tmp.
make_loop() {
	local f
	f=$(mktemp "$SCRATCH/leg.XXXXXX")
	truncate -s "${1}M" "$f"
	LOOP=$(losetup -f --show "$f") || fail "losetup over $f"
	_loops+=("$LOOP")
}

# BRD=(/dev/ram0 ...): $1 ram disks of $2 MiB each (brd takes its sizes
# at load time only, so one call per test).
make_brd() {
	modprobe brd rd_nr="$1" rd_size=$(($2 * 1024)) || skip "brd is not available"
	_brd=1
	BRD=()
	local i
	for ((i = 0; i < $1; i++)); do BRD+=("/dev/ram$i"); done
}

# NULLB=/dev/nullbN, a memory-backed null_blk disk of $1 MiB made through
# configfs: it keeps what is written, unlike null_blk's default.
make_null_blk() {
	local cfg=/sys/kernel/config/nullb name
	modprobe null_blk nr_devices=0 2>/dev/null || skip "null_blk is not available"
	[ -d "$cfg" ] || mount -t configfs none /sys/kernel/config 2>/dev/null
	[ -d "$cfg" ] || skip "null_blk has no configfs"
	name=heal$RANDOM
	mkdir "$cfg/$name" || fail "mkdir $cfg/$name"
	_nullb+=("$cfg/$name")
	echo "$1" > "$cfg/$name/size"
	echo 1 > "$cfg/$name/memory_backed"
	echo 1 > "$cfg/$name/power" || fail "power on null_blk $name"
	udevadm settle 2>/dev/null
	# Named after its configfs folder since 5.19, nullb<index> before.
	NULLB=/dev/$name
	[ -b "$NULLB" ] || NULLB=/dev/nullb$(cat "$cfg/$name/index")
	[ -b "$NULLB" ] || fail "$NULLB did not appear"
}

# DM=/dev/mapper/$1, a device-mapper linear device over $2.
make_dm_linear() {
	local name=$1 dev=$2 size
	size=$(blockdev --getsz "$dev")
	dmsetup create "$name" --table "0 $size linear $dev 0" || fail "dmsetup create $name"
	_dm+=("$name")
	DM=/dev/mapper/$name
}

# Make sectors [$3, +$4) of dm device $1 (linear over $2) fail every I/O:
# a real fault under healblk, independent of healblk's own injection.
dm_swap_error() {
	local name=$1 dev=$2 start=$3 len=$4 size
	size=$(blockdev --getsz "$dev")
	dmsetup suspend "$name" || fail "dmsetup suspend $name"
	printf '%s\n' "0 $start linear $dev 0" "$start $len error" \
		"$((start + len)) $((size - start - len)) linear $dev $((start + len))" |
		dmsetup load "$name" || fail "dmsetup load $name"
	dmsetup resume "$name" || fail "dmsetup resume $name"
}

# Make all of dm device $1 (linear over $2) fail its reads while writes
# still land, with dm-flakey down from the start for an hour: repairs then
# succeed.  Needs dm-flakey's "error_reads" (6.6): 6.1's fails writes too
# when down, so there the test skips.
dm_swap_flakey_reads() {
	local name=$1 dev=$2 size
	size=$(blockdev --getsz "$dev")
	modprobe dm-flakey 2>/dev/null || skip "dm-flakey is not available"
	dmsetup suspend "$name" || fail "dmsetup suspend $name"
	if ! dmsetup load "$name" --table "0 $size flakey $dev 0 0 3600 1 error_reads" 2>/dev/null; then
		dmsetup resume "$name"
		skip "dm-flakey here has no error_reads (Linux 6.6+); test_repair_01 covers repair with scsi_debug"
	fi
	dmsetup resume "$name" || fail "dmsetup resume $name"
}

dm_swap_linear() {
	local name=$1 dev=$2 size
	size=$(blockdev --getsz "$dev")
	{ dmsetup suspend "$name" && dmsetup load "$name" --table "0 $size linear $dev 0" &&
		dmsetup resume "$name"; } || fail "restoring $name"
}

# HB=healblkN, made by healctl create LEG...
# The legs tests make are fresh sparse files or ram disks, all zeros, so
# identical: --assume-clean, as mdadm's, skips the initial sync (which
# test_create_01 tests).  HEAL_INITIAL_SYNC=1: without it.
make_healblk() {
	local clean=--assume-clean
	[ -n "${HEAL_INITIAL_SYNC:-}" ] && clean=
	# shellcheck disable=SC2086  # $clean: nothing or one word
	HB=$("$HEALCTL" create $clean "$@") || fail "healctl create $*"
	_healblk+=("$HB")
	[ -b "/dev/$HB" ] || fail "/dev/$HB did not appear"
	udevadm settle 2>/dev/null	# udev's probe holds it open for a moment
}

destroy_healblk() {
	local name=${1#/dev/} i
	"$HEALCTL" destroy "$name" || fail "healctl destroy $name"
	for i in "${!_healblk[@]}"; do
		[ "${_healblk[i]}" = "$name" ] && unset '_healblk[i]'
	done
	return 0
}

healctl_refused() {	# healctl_refused REGEX CMD...: healctl fails (exit 1) with the kernel's words
	local want=$1 out rc
	shift
	out=$("$HEALCTL" "$@" 2>&1); rc=$?
	[ "$rc" = 1 ] || fail "healctl $* exited $rc: $out"
	echo "$out" | grep -Eq "$want" || fail "healctl $*: '$out' does not say '$want'"
}

# Fields from `healctl status --json`.
leg_field() {	# leg_field DEV LEG FIELD
	"$HEALCTL" status "${1#/dev/}" --json | jq -r ".devices[0].legs[$2].$3"
}
dev_field() {	# dev_field DEV FIELD
	"$HEALCTL" status "${1#/dev/}" --json | jq -r ".devices[0].$2"
}

# bitmap_clean DEV: every region of DEV's write-intent bitmap clean within
# 30 s (the sweep runs every 5 s), or fail.
bitmap_clean() {
	local i
	for ((i = 0; i < 60; i++)); do
		[ "$(dev_field "$1" bitmap_dirty)" = 0 ] && return 0
		sleep 0.5
	done
	fail "the bitmap is not clean 30 s after the writes: $(dev_field "$1" bitmap_dirty) dirty"
}

# sha256 of $3 sectors of $1 from sector $2; block devices are read with
# O_DIRECT (past every cache), files without (tmpfs on 6.1 has no O_DIRECT).
sum_range() {
	local flags=skip_bytes,count_bytes
	[ -b "$1" ] && flags=direct,$flags
	dd if="$1" iflag="$flags" bs=1M skip=$(($2 * 512)) \
		count=$(($3 * 512)) status=none | sha256sum | cut -d' ' -f1
}

# Each leg's data area holds exactly what the device shows.
check_legs_identical() {
	local dev=$1 sectors want leg
	shift
	sectors=$(blockdev --getsz "$dev")
	want=$(sum_range "$dev" 0 "$sectors")
	for leg in "$@"; do
		[ "$(sum_range "$leg" "$META" "$sectors")" = "$want" ] ||
			fail "the data area of $leg differs from $dev"
	done
	log "data areas of $* identical to $dev ($sectors sectors)"
}

# Collect healblk events into $SCRATCH/events until the test ends.
events_start() {
	local pid i
	"$HEALCTL" events --follow --timeout "${1:-300}" > "$SCRATCH/events" 2>&1 &
	pid=$!
	_pids+=("$pid")
	# Subscribed before the trigger: a generic netlink socket of its own
	# in a multicast group (/proc/net/netlink's Groups), not just a guess
	# of time (under TCG healctl can take seconds to get there).
	for ((i = 0; i < 300; i++)); do
		events_subscribed "$pid" && return 0
		kill -0 "$pid" 2> /dev/null || { cat "$SCRATCH/events"; fail "healctl events died"; }
		sleep 0.1
	done
	fail "healctl events did not subscribe in 30 s"
}

events_subscribed() {	# events_subscribed PID
	local inodes
	inodes=$(find "/proc/$1/fd" -lname 'socket:*' -printf '%l\n' 2> /dev/null |
		sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
	[ -n "$inodes" ] || return 1
	# sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode; 16 = NETLINK_GENERIC
	awk -v inodes=" $inodes" '$2 == 16 && $4 != "00000000" &&
		index(inodes, " " $10 " ") { found = 1 } END { exit !found }' /proc/net/netlink
}

# Waits for something to happen are multiplied by HEAL_WAIT_SCALE (1; make
# check-debug: 4, its KASAN and lockdep kernel being that much slower).
WAIT_SCALE=${HEAL_WAIT_SCALE:-1}

events_wait() {	# events_wait REGEX [SECONDS]
	local i
	for ((i = 0; i < ${2:-20} * 10 * WAIT_SCALE; i++)); do
		grep -Eq "$1" "$SCRATCH/events" && return 0
		sleep 0.1
	done
	cat "$SCRATCH/events"
	fail "no event matching '$1'"
}

# fio with crc32c checksums: the job writes, then reads back and verifies.
fio_verify() {
	local dev=$1
	shift
	fio --name=verify --filename="$dev" --direct=1 --ioengine=libaio \
		--verify=crc32c --verify_fatal=1 --do_verify=1 --verify_state_save=0 \
		--output-format=terse \
		--terse-version=3 "$@" > "$SCRATCH/fio.out" 2>&1 ||
		{ cat "$SCRATCH/fio.out"; fail "fio verify on $dev: $*"; }
	fio_errors_none "$SCRATCH/fio.out" || fail "fio reported errors on $dev"
}

# fio's terse v3 lines ("3;..."): field 5 is each job's error number.
fio_errors_none() {
	[ "$(grep '^3;' "$1" | cut -d';' -f5 | sort -u)" = "0" ] && return 0
	cat "$1"
	return 1
}

# heald, started in the background with a config in $SCRATCH: socket,
# journal and metrics port of its own, and any "key = value" lines given.
# HEAL_SOCKET points healctl at it.  Killed at the end by cleanup.
HEALD=${HEALD:-$(dirname "$HEALCTL")/heald}
HEALD_PORT=19577
heald_start() {	# heald_start [--dry-run] [KEY=VALUE line]...
	local args=() line i
	[ "${1:-}" = --dry-run ] && { args+=(--dry-run); shift; }
	{
		echo "socket = $SCRATCH/heald.sock"
		echo "journal = $SCRATCH/journal.jsonl"
		echo "metrics_port = $HEALD_PORT"
		echo "poll_ms = 200"
		for line in "$@"; do echo "$line"; done
	} > "$SCRATCH/heald.conf"
	export HEAL_SOCKET=$SCRATCH/heald.sock
	"$HEALD" -c "$SCRATCH/heald.conf" "${args[@]}" >> "$SCRATCH/heald.log" 2>&1 &
	HEALD_PID=$!
	_pids+=("$HEALD_PID")
	for ((i = 0; i < 100; i++)); do
		"$HEALCTL" journal > /dev/null 2>&1 && return 0
		kill -0 "$HEALD_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$SCRATCH/heald.log"
	fail "heald did not start"
}

# The journal as a JSON array (heald's memory of it).
journal_json() { "$HEALCTL" journal --json --limit 1024; }

# JOURNAL_HIT=the first entry matching jq filter $1, waiting up to $2 s.
journal_wait() {	# journal_wait JQ_SELECT [SECONDS]
	local i
	for ((i = 0; i < ${2:-20} * 5 * WAIT_SCALE; i++)); do
		JOURNAL_HIT=$(journal_json | jq -c "[.[] | select($1)][0] // empty")
		[ -n "$JOURNAL_HIT" ] && return 0
		sleep 0.2
	done
	journal_json | jq -c '.[]'
	cat "$SCRATCH/heald.log"
	fail "no journal entry matching '$1'"
}

# $3 separate 4 KiB direct writes into data sectors from $2 on, 64 KiB
# apart, each the same data as before: each failing on a leg is one error.
write_blocks() {	# write_blocks DEV FIRST_SECTOR COUNT DATAFILE
	local k
	for ((k = 0; k < $3; k++)); do
		dd if="$4" of="$1" bs=4k skip=$(($2 / 8 + k * 16)) seek=$(($2 / 8 + k * 16)) \
			count=1 oflag=direct conv=notrunc status=none || true
	done
}

# One QMP command (JSON) to the QEMU the test runs in, its answer on stdout:
# scripts/vm.sh relays it from the host (HEAL_VM_NVME, HEAL_VM_ATA), through
# $HEAL_RESULTS/qmp-KVER (scripts/qmp-relay.py; one per guest: guests may
# run side by side).  Non-zero with no answer in 10 s.
qmp() {	# qmp JSON
	local dir n i
	dir=${HEAL_RESULTS:-/nonexistent}/qmp-$(uname -r)
	[ -d "$dir" ] || { echo "no QMP relay (scripts/vm.sh with HEAL_VM_NVME or HEAL_VM_ATA)"; return 1; }
	n=$$.$RANDOM
	echo "$1" > "$dir/$n.tmp" && mv "$dir/$n.tmp" "$dir/$n.req" || return 1
	for ((i = 0; i < 100; i++)); do
		if [ -f "$dir/$n.reply" ]; then
			cat "$dir/$n.reply"
			rm -f "$dir/$n.reply"
			return 0
		fi
		sleep 0.1
	done
	echo "no answer from the QMP relay in 10 s"
	return 1
}

# Run on its own (make -C tests/kmod run_tests) nothing has loaded healblk:
# load the build for the running kernel, fault injection allowed, as
# tests/kmod/run.sh does.  HEAL_NO_MODULE=1: the test loads it itself.
HEALBLK_KO=${HEALBLK_KO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/kmod/$(uname -r)/kmod/healblk.ko}
if [ -z "${HEAL_NO_MODULE:-}" ] && [ ! -d /sys/module/healblk ]; then
	modprobe -q loop; modprobe -q dm-mod
	insmod "$HEALBLK_KO" fault_injection=1 ||
		skip "healblk is not loaded and $HEALBLK_KO does not load"
fi

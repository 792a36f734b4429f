#!/usr/bin/env bash
# Two "nodes" on one machine for the workload-migration tests, sourced
# after tests/common.sh (kernel tests, in the VM) or tests/heald/common.sh
# (host tests), which give SCRATCH, HEALD, HEALCTL, fail, log and _pids:
#
#   source  heald in network namespace $NSA (10.209.0.1), in the host's
#           pid and mount namespaces; the workload runs there too (CRIU
#           dumps a process in another network namespace than its own with
#           that namespace): a process tree in a cgroup (v2) of its own
#           under $CGBASE.  With NODES_SOURCE_ROOT=1 (in the VM only) the
#           source is the root network namespace, where healblk's generic
#           netlink family is (it is not per-namespace);
#   peer    a node of its own: network namespace $NSB (10.209.0.2), its own
#           pid and mount namespaces (so a restored process keeps its pids,
#           and its data and checkpoint images land in its own tmpfs, not
#           on the source's files), sshd with a host key made here, and its
#           own heald.  Restored trees go under a cgroup root of their own
#           (CRIU's cgroup-root, from the peer's CRIU configuration: sshd
#           sets CRIU_CONFIG_FILE), not into the source's cgroup.
#
# The source reaches the peer over SSH with a throwaway key and the peer's
# host key in a known_hosts file, all made here.  Everything is removed on
# exit (nodes_cleanup runs before the sourcing file's cleanup).
# shellcheck disable=SC2034  # constants are for the tests that source this

NSA=heal-ma$$ NSB=heal-mb$$
ADDR_A=10.209.0.1 ADDR_B=10.209.0.2
CG=$(findmnt -n -t cgroup2 -o TARGET | head -1)
CGBASE=$CG/heal-mig$$
PEER_CG=heal-peer$$		# the peer's cgroup root, under $CG
DATA=$SCRATCH/data		# workloads' data (tmpfs of its own on the peer)
MIGRATE=$SCRATCH/migrate	# checkpoint images (tmpfs of its own on the peer)
PEER=$SCRATCH/peer		# the peer's config, keys, socket, journal, logs
PHEALCTL=${PHEALCTL:-$HEALCTL}	# healctl as the peer runs it
_nodes_up=0 _peer_unshare="" _wl_cgroups=() _nodes_mounts=()
PEER_LINES=()			# more lines for the source's [peer b]
PEER_CONF=()			# more lines for the peer's heald.conf


nodes_cleanup() {
	local d
	[ -n "$_peer_unshare" ] && peer_kill
	for d in "${_wl_cgroups[@]}"; do
		[ -d "$d" ] || continue
		[ -e "$d/cgroup.kill" ] && echo 1 > "$d/cgroup.kill" 2>/dev/null
		# shellcheck disable=SC2046
		kill -9 $(cat "$d/cgroup.procs" 2>/dev/null) 2>/dev/null
	done
	sleep 0.2
	for d in "${_nodes_mounts[@]}"; do umount "$d" 2>/dev/null || umount -l "$d"; done
	for d in "${_wl_cgroups[@]}"; do rmdir "$d" 2>/dev/null; done
	[ -d "$CG/$PEER_CG" ] && find "$CG/$PEER_CG" -depth -type d -exec rmdir {} + 2>/dev/null
	rmdir "$CGBASE" 2>/dev/null
	if [ "$_nodes_up" = 1 ]; then
		if [ -n "$NSA" ]; then
			ip netns del "$NSA" 2>/dev/null
		else
			ip link del hma0 2>/dev/null
		fi
		ip netns del "$NSB" 2>/dev/null
	fi
}
trap 'nodes_cleanup; cleanup' EXIT

# The namespaces, the link between them, the keys.
nodes_setup() {
	[ -n "$CG" ] || skip "no cgroup2 mount"
	command -v sshd > /dev/null || [ -x /usr/sbin/sshd ] || skip "no sshd (openssh-server)"
	command -v rsync > /dev/null || skip "no rsync"
	if [ "${NODES_SOURCE_ROOT:-0}" = 1 ]; then
		NSA=""
	else
		ip netns add "$NSA" || fail "netns $NSA"
	fi
	_nodes_up=1
	ip netns add "$NSB" || fail "netns $NSB"
	[ -n "$NSA" ] && ip -n "$NSA" link set lo up
	ip -n "$NSB" link set lo up
	ip link add hma0 ${NSA:+netns "$NSA"} type veth peer name hmb0 netns "$NSB" || fail "veth"
	ip ${NSA:+-n "$NSA"} addr add "$ADDR_A/24" dev hma0
	ip -n "$NSB" addr add "$ADDR_B/24" dev hmb0
	ip ${NSA:+-n "$NSA"} link set hma0 up
	ip -n "$NSB" link set hmb0 up
	mkdir -p "$PEER" "$DATA" "$MIGRATE" "$CGBASE" /run/sshd || fail "mkdir"
	ssh-keygen -q -t ed25519 -N '' -C heal-test -f "$SCRATCH/id" || fail "ssh-keygen"
	ssh-keygen -q -t ed25519 -N '' -C heal-peer -f "$PEER/host_key" || fail "ssh-keygen host"
	cp "$SCRATCH/id.pub" "$PEER/authorized_keys"
	echo "$ADDR_B $(cut -d' ' -f1,2 "$PEER/host_key.pub")" > "$SCRATCH/known_hosts"
	cat > "$PEER/sshd_config" <<-EOF
	ListenAddress $ADDR_B
	HostKey $PEER/host_key
	PidFile none
	AuthorizedKeysFile $PEER/authorized_keys
	PermitRootLogin prohibit-password
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	UsePAM no
	StrictModes no
	SetEnv CRIU_CONFIG_FILE=$PEER/criu.conf
	EOF
	echo "cgroup-root /$PEER_CG" > "$PEER/criu.conf"
}

# A file system for the workloads' data, unmounted at the end.
nodes_mount() {	# nodes_mount DEV DIR
	mkdir -p "$2" || fail "mkdir $2"
	mount "$1" "$2" || fail "mount $1 $2"
	_nodes_mounts+=("$2")
}

# Fail with both healds' logs.
nodes_fail() {
	echo "# source heald:"
	tail -40 "$SCRATCH/heald.log" 2>/dev/null | sed 's/^/#   /'
	echo "# peer heald:"
	tail -40 "$PEER/heald.log" 2>/dev/null | sed 's/^/#   /'
	fail "$*"
}

# The peer node: sshd and heald in their namespaces (PEER_CONF: lines for its heald.conf).
peer_start() {
	local line i
	{
		echo "socket = $PEER/heald.sock"
		echo "journal = $PEER/journal.jsonl"
		echo "metrics_port = 0"
		echo "bpf = no"
		echo "poll_ms = 200"
		echo "node_name = peer-b"
		for line in "${PEER_CONF[@]}"; do echo "$line"; done
	} > "$PEER/heald.conf"
	cat > "$PEER/node.sh" <<-EOF
	mount -t tmpfs heal-peer-data "$DATA" || exit 1
	mount -t tmpfs heal-peer-migrate "$MIGRATE" || exit 1
	# root's home of its own: no login scripts of this machine's (pyenv, ...).
	mount -t tmpfs heal-peer-root /root || exit 1
	# sshd refuses a locked root ("!" in shadow, as in the VM) even with a key:
	# not locked on this node only.
	if grep -q '^root:!' /etc/shadow; then
		sed 's/^root:![^:]*:/root:*:/' /etc/shadow > "$PEER/shadow" &&
			mount --bind "$PEER/shadow" /etc/shadow || exit 1
	fi
	/usr/sbin/sshd -D -e -f "$PEER/sshd_config" >> "$PEER/sshd.log" 2>&1 &
	"$HEALD" -c "$PEER/heald.conf" >> "$PEER/heald.log" 2>&1 &
	wait
	EOF
	nsenter --net="/run/netns/$NSB" unshare --pid --fork --mount --propagation private \
		--mount-proc sh "$PEER/node.sh" &
	_peer_unshare=$!
	_pids+=("$_peer_unshare")
	for ((i = 0; i < 100; i++)); do
		HEAL_SOCKET=$PEER/heald.sock "$HEALCTL" journal > /dev/null 2>&1 &&
			ip netns exec "$NSB" ss -ltn | grep -q "$ADDR_B:22 " && return 0
		sleep 0.1
	done
	cat "$PEER/heald.log" "$PEER/sshd.log" 2>/dev/null
	fail "the peer did not start"
}

# The peer node's pid 1 (as the host sees it): everything of the node dies with it.
peer_init() { cut -d' ' -f1 < "/proc/$_peer_unshare/task/$_peer_unshare/children" 2>/dev/null; }

peer_kill() {
	local init
	init=$(peer_init)
	[ -n "$init" ] && kill -9 "$init" 2>/dev/null
	wait "$_peer_unshare" 2>/dev/null
	_peer_unshare=""
}

# Run a command in the peer node (its network, mount and pid namespaces).
peer_exec() { nsenter -t "$(peer_init)" -n -m -p "$@"; }

# healctl against the source's heald and the peer's.
hs() { HEAL_SOCKET=$SCRATCH/heald.sock "$HEALCTL" "$@"; }
hp() { HEAL_SOCKET=$PEER/heald.sock "$HEALCTL" "$@"; }

# The disk trigger's fault (kernel tests): leg 0 of healblk DEV, its last
# copy, fails reads at sector 150000 (73 MiB, beyond the tests' 48 MiB
# file systems: data a failing disk cannot give back cannot move), and
# five reads there fail, enough for heald's SERD (serd_n = 3).
last_leg_fails() {	# last_leg_fails DEV
	local k
	"$HEALCTL" fault set "$1" --leg 0 --op read --start 150000 --sectors 64 --percent 100 ||
		fail "fault set"
	for ((k = 0; k < 5; k++)); do
		dd if="/dev/$1" of=/dev/null bs=4k skip=$((150000 / 8 + k)) count=1 iflag=direct \
			status=none 2>/dev/null && fail "a read of the failing range succeeded"
	done
}

# Until the source's heald heard its peer say HEALTH, SECONDS at most (false then).
peer_health_is() {	# peer_health_is HEALTH SECONDS
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		[ "$(hs status --json | jq -r '.heald.migration.peers[0].health')" = "$1" ] && return 0
		sleep 0.2
	done
	return 1
}
# The same, failing the test after 20 s.
peer_ok() {	# peer_ok [HEALTH (ok)]
	peer_health_is "${1:-ok}" 20 ||
		nodes_fail "the peer is not ${1:-ok} to the source: $(hs status --json | jq -c '.heald.migration.peers[0]')"
}

# HIT=the first journal entry of heald hs or hp matching jq filter $2, waiting up to $3 s.
jwait() {	# jwait hs|hp JQ_SELECT [SECONDS]
	local i
	for ((i = 0; i < ${3:-20} * 5; i++)); do
		HIT=$("$1" journal --json --limit 1024 | jq -c "[.[] | select($2)][0] // empty")
		[ -n "$HIT" ] && return 0
		sleep 0.2
	done
	"$1" journal | sed "s/^/# $1: /"
	fail "no journal entry of $1 matching '$2'"
}

# What runs a command in the source node's network namespace ($NSA, or the
# root one), as a prefix: the command is then exec'd, its pid is $!.
in_source() { IN_SOURCE=(); [ -z "$NSA" ] || IN_SOURCE=(nsenter --net="/run/netns/$NSA"); }

# The source's heald, in network namespace $NSA, with [peer b] and the lines given.
source_start() {
	local line i
	{
		echo "socket = $SCRATCH/heald.sock"
		echo "journal = $SCRATCH/journal.jsonl"
		echo "metrics_port = ${SOURCE_METRICS_PORT:-0}"
		echo "bpf = ${SOURCE_BPF:-no}"
		echo "poll_ms = 200"
		echo "node_name = source-a"
		echo "migrate_dir = $MIGRATE"
		echo "peer_max_age = 3"
		echo "peer_interval = 5"
		echo "move_cooldown = 2"
		for line in "$@"; do echo "$line"; done
		echo "[peer b]"
		echo "address = $ADDR_B"
		echo "identity = $SCRATCH/id"
		echo "known_hosts = $SCRATCH/known_hosts"
		echo "healctl = $PHEALCTL"
		echo "socket = $PEER/heald.sock"
		for line in "${PEER_LINES[@]}"; do echo "$line"; done
	} > "$SCRATCH/heald.conf"
	# nsenter, not ip netns exec: that remounts /sys, and heald would see no cgroups.
	in_source
	"${IN_SOURCE[@]}" "$HEALD" -c "$SCRATCH/heald.conf" >> "$SCRATCH/heald.log" 2>&1 &
	HEALD_PID=$!
	_pids+=("$HEALD_PID")
	for ((i = 0; i < 100; i++)); do
		hs journal > /dev/null 2>&1 && return 0
		kill -0 "$HEALD_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$SCRATCH/heald.log"
	fail "the source's heald did not start"
}

# A workload in cgroup $CGBASE/NAME, cwd and data in $DATA/NAME, holding its
# log open on fd 3: each line "TOKEN N", N counting up every 0.1 s, its
# count also in $DATA/NAME/count.  A shell loop: TOKEN chosen once at its
# start (a restart would show a new one).  With MIB, a python3 process
# holding MIB MiB of random bytes: TOKEN is their CRC-32, computed anew for
# each line (memory that changed would show); with WL_PORT too, a server:
# it answers each TCP connection to WL_PORT with its line "TOKEN N" and
# closes it.  WL_PID[NAME]: its root.
WL_PORT=0
declare -A WL_PID
workload_start() {	# workload_start NAME [MIB]
	local d=$DATA/$1 cg=$CGBASE/$1 i prog
	mkdir -p "$d" "$cg" || fail "mkdir $d $cg"
	_wl_cgroups+=("$cg")
	# shellcheck disable=SC2016  # the workload's own shell expands these
	prog='token=$(od -An -N4 -tx4 /dev/urandom | tr -d " ") && i=0 &&
		while :; do i=$((i + 1)); echo "$token $i" >&3; echo "$i" > count; sleep 0.1; done'
	[ -n "${2:-}" ] && prog="exec /usr/bin/python3 -c '
import os, select, socket, time, zlib
buf = bytearray(os.urandom($2 << 20))
log = os.fdopen(3, \"w\", buffering=1)
srv = None
if $WL_PORT:
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((\"0.0.0.0\", $WL_PORT))
    srv.listen(8)
i = 0
while True:
    i += 1
    crc = zlib.crc32(buf)
    log.write(\"%08x %d\\n\" % (crc, i))
    with open(\"count\", \"w\") as f:
        f.write(\"%d\\n\" % i)
    end = time.monotonic() + 0.1
    while srv and end > time.monotonic():
        if select.select([srv], [], [], max(0, end - time.monotonic()))[0]:
            c = srv.accept()[0]
            c.sendall(b\"%08x %d\\n\" % (crc, i))
            c.close()
    time.sleep(max(0, end - time.monotonic()))
'"
	# Its own session, stdio on /dev/null, no other fd inherited: CRIU takes it as it is.
	# In the source node's network namespace, where its heald (and CRIU) run.
	in_source
	# shellcheck disable=SC2016  # the workload's own shell expands these
	"${IN_SOURCE[@]}" setsid sh -c 'echo $$ > "$1/cgroup.procs" && cd "$2" && exec 3>> log && eval "$3"' \
		workload "$cg" "$d" "$prog" < /dev/null > /dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	WL_PID[$1]=$!
	# Killed by a move, a checkpoint or nodes_cleanup: without the shell's "Killed" notice.
	disown "$!"
	for ((i = 0; i < 100; i++)); do
		[ -s "$d/count" ] && return 0
		sleep 0.1
	done
	fail "workload $1 did not start"
}

# The count a workload last wrote: it rewrites the file in place, so a read
# may find it empty (a reader under load saw "222 then "); tried for 2 s.
workload_count() {	# workload_count NAME
	local c i
	for ((i = 0; i < 40; i++)); do
		c=$(cat "$DATA/$1/count" 2>/dev/null)
		[[ $c =~ ^[0-9]+$ ]] && { echo "$c"; return 0; }
		sleep 0.05
	done
	echo "${c:-none}"
}

# A workload's log on stdin (the source's file, or the peer's through
# peer_exec): consecutive counts from 1 under one token, else a message on
# stderr.  Prints "TOKEN LAST".
log_check() {
	awk 'NR == 1 { t = $1 }
	     $1 != t { print "token changed at line " NR > "/dev/stderr"; bad = 1; exit 1 }
	     $2 != NR { print "line " NR " says " $2 > "/dev/stderr"; bad = 1; exit 1 }
	     END { if (bad) exit 1; if (!NR) { print "empty" > "/dev/stderr"; exit 1 }; print t, NR }'
}

#!/usr/bin/env bash
# heald's own journal is not on the path of a failover (issue 15 item 2).
# The journal lives on an ext4 over dm-delay: every write and every flush
# to it waits $DELAY_MS.  A node namespace has two uplinks (veth) to two
# gateway namespaces, addresses only inside them.  Gateway A's link dies,
# $TRIALS times: from vA's carrier loss to the new default route (both
# stamped by `ip -ts monitor` in the node) the median must be under half
# a delay, and heald's own decision_to_route_ms too (a heald that syncs its
# journal before the route change needs two syncs or more: seconds here).
# The journal then holds the alarm and the reroute decision, in that
# order, the decision taken and saying when the route changed; after heald
# is killed -9 once the route change is seen and started again the entries
# are there, and they are on the device (the file system mounted again).
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

DELAY_MS=${DELAY_MS:-500}
TRIALS=${TRIALS:-5}
P=heal-nj$$
NODE=$P-node GWA=$P-gwa GWB=$P-gwb
MNT=$SCRATCH/mnt
HEALD=${HEALD:-$(dirname "$HEALCTL")/heald}

# shellcheck disable=SC2317  # the EXIT trap calls it
nj_cleanup() {
	local ns
	[ -n "${HEALD_PID:-}" ] && { kill -9 "$HEALD_PID" 2>/dev/null; wait "$HEALD_PID" 2>/dev/null; }
	for ns in "$NODE" "$GWA" "$GWB"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	dmsetup resume heal-njd 2>/dev/null
	mountpoint -q "$MNT" && umount "$MNT"
	cleanup
}
trap nj_cleanup EXIT

modprobe -q veth 2>/dev/null
modprobe -q dm-delay 2>/dev/null || skip "no dm-delay in this kernel"
command -v mkfs.ext4 > /dev/null || skip "no mkfs.ext4"

# --- the slow disk: ext4 made on the fast device, mounted through dm-delay.
make_loop 64
mkfs.ext4 -q -F "$LOOP" || fail "mkfs.ext4 $LOOP"
sz=$(blockdev --getsz "$LOOP")
# Reads fast; writes and flushes $DELAY_MS (flushes as their own class
# where the kernel has it, else they count as writes).
dmsetup create heal-njd --table "0 $sz delay $LOOP 0 0 $LOOP 0 $DELAY_MS $LOOP 0 $DELAY_MS" 2>/dev/null ||
	dmsetup create heal-njd --table "0 $sz delay $LOOP 0 0 $LOOP 0 $DELAY_MS" ||
	fail "dm-delay over $LOOP"
_dm+=(heal-njd)
mkdir -p "$MNT"
mount -t ext4 /dev/mapper/heal-njd "$MNT" || fail "mount ext4 on dm-delay"
log "journal on ext4 over dm-delay: $(dmsetup table heal-njd)"
# How slow a sync is there: one small append and fdatasync.
t0=$(date +%s%N)
dd if=/dev/zero of="$MNT/probe" bs=512 count=1 conv=fdatasync status=none || fail "dd on $MNT"
sync_ms=$((($(date +%s%N) - t0) / 1000000))
rm -f "$MNT/probe"
log "one fdatasync on the slow disk: $sync_ms ms"

# --- the network: node with uplinks vA, vB to gateways A and B.
for ns in "$NODE" "$GWA" "$GWB"; do
	ip netns add "$ns" || fail "ip netns add $ns"
	ip -n "$ns" link set lo up
done
ip link add vA netns "$NODE" type veth peer name gA-n netns "$GWA" || skip "no veth"
ip link add vB netns "$NODE" type veth peer name gB-n netns "$GWB" || fail "veth B"
ip -n "$NODE" addr add 10.201.1.2/24 dev vA
ip -n "$NODE" addr add 10.201.2.2/24 dev vB
ip -n "$GWA" addr add 10.201.1.1/24 dev gA-n
ip -n "$GWB" addr add 10.201.2.1/24 dev gB-n
ip -n "$NODE" link set vA up; ip -n "$NODE" link set vB up
ip -n "$GWA" link set gA-n up; ip -n "$GWB" link set gB-n up
ip -n "$NODE" route add default via 10.201.1.1 dev vA || fail "default route"
ip netns exec "$NODE" ping -c1 -W2 10.201.1.1 > /dev/null || fail "gateway A does not answer"

via() { ip -n "$NODE" -j route show default | jq -r '.[0].gateway // "none"'; }

nj_heald_start() {
	local i
	{
		echo "socket = $SCRATCH/heald.sock"
		echo "journal = $MNT/journal.jsonl"
		echo "metrics_port = $HEALD_PORT"
		echo "bpf = no"
		echo "hold_down = 1"
		printf '[uplink A]\ninterface = vA\ngateway = 10.201.1.1\n'
		printf '[uplink B]\ninterface = vB\ngateway = 10.201.2.1\n'
	} > "$SCRATCH/heald.conf"
	export HEAL_SOCKET=$SCRATCH/heald.sock
	# ip netns exec execs heald: $! is heald's pid.
	ip netns exec "$NODE" "$HEALD" -c "$SCRATCH/heald.conf" >> "$SCRATCH/heald.log" 2>&1 &
	HEALD_PID=$!
	for ((i = 0; i < 200; i++)); do
		"$HEALCTL" journal > /dev/null 2>&1 && return 0
		kill -0 "$HEALD_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$SCRATCH/heald.log"
	fail "heald did not start"
}

# KILL_MS=ms from A's link going down to the route on B, as the node's
# kernel told them: `ip -ts monitor` in the node stamps vA's carrier loss
# and the new default route as they come (a TCG guest takes most of a
# second to start `ip`, so the time around `ip link set` says little).
kill_a() {
	local i mon=$SCRATCH/mon.$RANDOM
	ip -n "$NODE" -ts monitor link route > "$mon" 2>&1 &
	MON_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ -n "$(ip -n "$NODE" -j route show default)" ] && [ -d "/proc/$MON_PID" ] && break
		sleep 0.1
	done
	sleep 1	# the monitor subscribed
	ip -n "$GWA" link set gA-n down
	# No polling meanwhile: on one vCPU each ip and jq would take the CPU
	# from heald (the monitor's stamps are the measure).
	sleep 2
	for ((i = 0; i < 100; i++)); do
		[ "$(via)" = 10.201.2.1 ] && break
		sleep 0.1
	done
	[ "$(via)" = 10.201.2.1 ] || { cat "$SCRATCH/heald.log"; fail "the route did not move to B"; }
	sleep 0.5
	kill "$MON_PID"; wait "$MON_PID" 2>/dev/null
	# [2026-12-03T16:36:02.123456] lines: seconds of the day.
	KILL_MS=$(awk '
		function t(s) { split(substr(s, 13, 15), a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
		!down && / vA[@:]/ && /NO-CARRIER/ { down = t($1) }
		down && !moved && /^\[[^]]*\] default via 10\.201\.2\.1/ { moved = t($1) }
		END { if (down && moved) printf "%.0f\n", (moved - down) * 1000; else print -1 }' "$mon")
	[ "$KILL_MS" -ge 0 ] || { cat "$mon"; fail "the monitor did not see the carrier loss and the route"; }
}

heal_a() {
	local i
	ip -n "$GWA" link set gA-n up
	for ((i = 0; i < 300; i++)); do [ "$(via)" = 10.201.1.1 ] && return 0; sleep 0.1; done
	cat "$SCRATCH/heald.log"
	fail "the route did not come back to A"
}

nj_heald_start
sleep 2	# both uplinks known up, A past its hold-down
[ "$(via)" = 10.201.1.1 ] || fail "the route does not start on A: $(via)"

times=()
for ((t = 1; t <= TRIALS; t++)); do
	kill_a
	times+=("$KILL_MS")
	log "trial $t: A's link down -> default route via B: $KILL_MS ms (delay $DELAY_MS ms)"
	heal_a
	sleep 0.5
done
worst=$(printf '%s\n' "${times[@]}" | sort -n | tail -1)
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((TRIALS + 1) / 2))p")
log "kill -> route: ${times[*]} ms; median $median ms, worst $worst ms; one sync $sync_ms ms"
# What heald saw: alarm and decision times, when the route changed.
journal_json > "$SCRATCH/j.json"
jq -r '.[] | select(.type == "alarm" or .type == "clear" or .type == "decision") |
	"# \(.id) \(.time) \(.type) \(.resource) \(.reason // "")" +
	(if .route_changed then " route_changed \(.route_changed) decision_to_route_ms \(.decision_to_route_ms)" else "" end)' "$SCRATCH/j.json"
# The median well below one delay (a heald that syncs first needs two
# syncs or more: seconds here).  Each trial under 4 delays: on one TCG
# vCPU a trial has been seen to take 1.5 s between the kernel's carrier
# event and heald's handling of it, none of it in the journal (its
# decision_to_route_ms 26 ms, the alarm stamped at the route change).
limit=$((DELAY_MS / 2))
if ! { [ "$median" -lt "$limit" ] && [ "$worst" -lt $((4 * DELAY_MS)) ]; }; then
	tail -40 "$SCRATCH/heald.log"
	fail "kill -> route: ${times[*]} ms: median $median, worst $worst: not well below the journal's $DELAY_MS ms delay"
fi
# heald's own measure: from the decision to the route changed, every failover.
jq -e --argjson l "$limit" '[.[] | select(.type == "decision" and .action == "reroute" and
	(.reason | test("uplink A is down")))] |
	length > 0 and all(.[]; (.decision_to_route_ms // 1e9) < $l)' "$SCRATCH/j.json" > /dev/null ||
	fail "a reroute took $limit ms or more from decision to route change (or does not say)"

# The journal: each failover an alarm for A, then a taken reroute decision
# that says when the route changed, then its outcome.
journal_json > "$SCRATCH/j.json"
jq -e --argjson n "$TRIALS" '
	[.[] | select(.type == "alarm" and .resource == "A")] as $al |
	[.[] | select(.type == "decision" and .action == "reroute" and .taken and
		(.reason | test("uplink A is down")))] as $de |
	($al | length) >= $n and ($de | length) >= $n and
	all(range(0; $n); . as $k | $al[$k].id < $de[$k].id) and
	all($de[]; has("route_changed"))' "$SCRATCH/j.json" > /dev/null || {
	jq -c '.[]' "$SCRATCH/j.json"
	fail "the journal does not hold alarm then taken reroute decision (with route_changed) for each failover"
}
jq -e '. as $all | [.[] | select(.type == "decision" and .action == "reroute")] | all(.[]; . as $d |
	any($all[]; .type == "outcome" and .ref == $d.id and .outcome == "done"))' "$SCRATCH/j.json" > /dev/null ||
	fail "a reroute decision has no outcome"

# Subscribers and hooks hear of a failover only once its record is on disk
# (review F3): with the journal's device suspended (I/O held, the file
# system not frozen) the route moves, and `healctl journal --follow` gets
# nothing of it until the device resumes and the sync completes.
last=$(journal_json | jq '[.[].id] | max')
"$HEALCTL" journal --follow --json --after "$last" --timeout 120 > "$SCRATCH/follow" 2>&1 &
FOLLOW_PID=$!
sleep 2	# subscribed
dmsetup suspend --nolockfs heal-njd || fail "dmsetup suspend heal-njd"
ip -n "$GWA" link set gA-n down
for ((i = 0; i < 100; i++)); do [ "$(via)" = 10.201.2.1 ] && break; sleep 0.1; done
moved=$(via)
sleep 3
early=$(grep -c '"id":' "$SCRATCH/follow")
dmsetup resume heal-njd || fail "dmsetup resume heal-njd"
[ "$moved" = 10.201.2.1 ] || fail "the route did not move while the journal's device was suspended"
for ((i = 0; i < 200; i++)); do grep -q '"action":"reroute"' "$SCRATCH/follow" && break; sleep 0.1; done
grep -q '"action":"reroute"' "$SCRATCH/follow" || { cat "$SCRATCH/follow"; fail "the reroute was never published after the device resumed"; }
log "journal device suspended: route moved, $early entries published meanwhile; after resume: $(grep -c '"id":' "$SCRATCH/follow")"
[ "$early" = 0 ] || { cat "$SCRATCH/follow"; fail "$early entries published before they were on disk"; }
kill "$FOLLOW_PID" 2>/dev/null; wait "$FOLLOW_PID" 2>/dev/null
heal_a
sleep 0.5

# Killed -9 right after the route change: the entries are there at restart.
# The newest id written, from the file: healctl shows only what is on disk
# (a reroute back to A may still wait for its sync).
last=$(tail -n 1 "$MNT/journal.jsonl" | jq .id)
kill_a
kill -9 "$HEALD_PID"
wait "$HEALD_PID" 2>/dev/null
HEALD_PID=
log "crash trial: route moved in $KILL_MS ms; heald killed -9 once it was seen (about 2.5 s later: a sync there takes longer)"
[ "$(via)" = 10.201.2.1 ] || fail "the route is not on B after the kill"
nj_heald_start
sleep 2
[ "$(via)" = 10.201.2.1 ] || fail "after restart the route is not on B: $(via)"
journal_json > "$SCRATCH/j2.json"
jq -e --argjson last "$last" '
	[.[] | select(.id > $last)] as $new |
	([$new[] | select(.type == "alarm" and .resource == "A")][0].id) as $a |
	([$new[] | select(.type == "decision" and .action == "reroute" and .taken and
		(.reason | test("uplink A is down")))][0].id) as $d |
	$a != null and $d != null and $a < $d' "$SCRATCH/j2.json" > /dev/null || {
	jq -c '.[]' "$SCRATCH/j2.json"
	cat "$SCRATCH/heald.log"
	fail "after kill -9 and restart the journal lacks the alarm and reroute decision in order"
}
# A clean stop, the file system mounted again: the same entries from the device.
kill "$HEALD_PID"; wait "$HEALD_PID" 2>/dev/null; HEALD_PID=
umount "$MNT" || fail "umount"
mount -t ext4 /dev/mapper/heal-njd "$MNT" || fail "mount again"
jq -s -e --argjson last "$last" '
	[.[] | select(.id > $last)] as $new |
	([$new[] | select(.type == "alarm" and .resource == "A")][0].id) as $a |
	([$new[] | select(.type == "decision" and .action == "reroute")][0].id) as $d |
	$a != null and $d != null and $a < $d' "$MNT/journal.jsonl" > /dev/null ||
	fail "the entries are not on the device"
# Ids strictly increasing, line after line.
jq -s -e '[.[].id] as $i | all(range(1; $i | length); $i[.] > $i[. - 1])' "$MNT/journal.jsonl" > /dev/null ||
	fail "journal ids out of order"
exit 0

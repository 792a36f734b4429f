#!/usr/bin/env bash
# A VM moved live off a node whose healblk mirror lost its last redundancy
# (issue 13), in the VM: each node runs its own libvirtd
# (tests/nodes_libvirt.sh; the source in the root network namespace, where
# healblk's netlink family is), the guest a TCG guest inside this TCG VM
# (the Debian kernel with a busybox initramfs whose init writes block N of
# its disk and prints "heal-vm TOKEN N SHA256" on its console).  Its disk
# image is on ext4 on a two-leg healblk mirror without a spare:
#  - leg 1 out: the mirror is degraded, the VM is degraded, nothing moves;
#  - then reads of leg 0, the last copy, fail (healblk's fault injection,
#    beyond what the file system uses) until heald's SERD raises its alarm:
#    heald reports the leg (never fails the last copy) and moves the VM by
#    itself, libvirt's live migration with its disk copied to the peer;
#  - as the policy decides, while libvirt migrates, and again and again
#    after the move, `healctl drain vm` and `drain --all` (an operator's
#    evacuation racing it): one decision to move, one receive on the
#    peer, one migration;
#  - the VM runs on the peer only, its counter goes on from where it was
#    (same TOKEN), every block it wrote is on the peer's disk with the
#    sha256 it printed, the journal explains it (the device, the leg, the
#    policy), the total time and libvirt's downtime are measured.
# The guest boots in 1-3 minutes here (TCG inside TCG), the move in one or two.
# heal-test-timeout: 1200
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"
# The source is the root network namespace: healblk's netlink family is there only.
NODES_SOURCE_ROOT=1
# shellcheck source=../nodes.sh
. "$(dirname "$0")/../nodes.sh"
# shellcheck source=../nodes_libvirt.sh
. "$(dirname "$0")/../nodes_libvirt.sh"

[ -x "$(dirname "$HEALD")/heal-vmmove" ] || skip "no heal-vmmove beside $HEALD: make userspace"
lv_setup
make_loop 96; l0=$LOOP
make_loop 96; l1=$LOOP
make_healblk "$l0" "$l1"; dev=$HB
"$HEALCTL" set "$dev" --fail-errors 0 || fail "set --fail-errors 0"
# The file system takes the first 48 MiB only: the failing range below is
# beyond it (data that cannot be read cannot move, and the move would fail).
mkfs.ext4 -q "/dev/$dev" 48M || fail "mkfs"
# The peer's disks: a file system that takes O_DIRECT (cache=none), not /tmp's tmpfs.
make_loop 64; lp=$LOOP
mkfs.ext4 -q "$lp" || fail "mkfs (the peer's)"
nodes_setup
# Both mounted before the nodes start: their mount namespaces copy them.
nodes_mount "/dev/$dev" "$VMDIR"
nodes_mount "$lp" "$PEER/vm"
peer_start
lv_start
vp pool-define-as heal-vm dir --target "$VMDIR" > /dev/null || fail "the peer's storage pool"
vp pool-start heal-vm > /dev/null || fail "the peer's storage pool: start"
t0=$(date +%s)
vm_start 128
vm_wait_count 400
read -r token _ < <(vm_last source)
log "the guest counts on the source after $(($(date +%s) - t0)) s: $(vm_last source | cut -c1-40)..."
source_start "peer_timeout = 120" "peer_max_age = 60" "serd_n = 3" "serd_t = 60" \
	"[workload vm]" "kind = libvirt" "domain = $VM" "uri = $LV_URI_A" "deadline = 600"

moves() {	# the source's decisions to move the VM
	jq -s '[.[] | select(.type == "decision" and .resource == "workload:vm"
		and .action == "move" and .taken == true)] | length' "$SCRATCH/journal.jsonl"
}

wl_wait ".devices | index(\"$dev\") != null" 120
wl_wait '.health == "ok" and .domain_state == "running"' 60
log "inventory: $(wl | jq -c '{state, domain_state, memory_bytes, disks, devices}')"
peer_health_is ok 60 ||
	nodes_fail "the peer is not ok: $(hs status --json | jq -c '.heald.migration.peers[0]')"

# One leg left: degraded, not at risk; nothing moves.
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg"
wl_wait '.health == "degraded"' 60
log "one leg left: $(wl | jq -r .reason)"
sleep 5
[ "$(moves)" = 0 ] || nodes_fail "a move with one leg still good"
[ "$(vs domstate "$VM")" = running ] || fail "the VM is not running here: $(vs domstate "$VM")"

# The last leg fails reads at 73 MiB (beyond what the file system uses).
pm=$(hp journal --json --limit 1024 | jq '[.[].id] | max // 0')
before=$(count)
last_leg_fails "$dev"
jwait hs ".type == \"alarm\" and .resource == \"$dev/leg0\"" 60
jwait hs ".type == \"decision\" and .resource == \"$dev/leg0\" and .action == \"report\"" 30
log "the last copy failing: $(jq -r .reason <<< "$HIT")"
jwait hs '.type == "decision" and .resource == "workload:vm" and .action == "move" and .taken == true' 120
d=$HIT
id=$(jq .id <<< "$d")
log "decision $id: $(jq -r .reason <<< "$d"); evidence: $(jq -r .evidence.disk <<< "$d")"
jq -e --arg dev "$dev" --arg vm "$VM" '.by == "policy" and .evidence.trigger == "disk" and .peer == "b"
	and .evidence.domain == $vm
	and (.evidence.disk | test("^on " + $dev + ": its last in-sync leg is failing"))
	and (.evidence.devices | index($dev) != null)' <<< "$d" > /dev/null || nodes_fail "decision: $d"

# An operator's evacuation racing the policy's move: at once (before the
# peer took the move, or as it does), and while libvirt migrates.
hs drain vm > "$SCRATCH/d0" 2>&1 || fail "drain vm at the decision: $(cat "$SCRATCH/d0")"
log "drained at the decision: step $(wl | jq -c '.move.step')"
wl_wait '.move.step == "migrate"' 180
hs drain vm > "$SCRATCH/d1" 2>&1 &
d1=$!
hs drain --all > "$SCRATCH/d2" 2>&1 || fail "drain --all: $(cat "$SCRATCH/d2")"
wait "$d1" || fail "drain vm: $(cat "$SCRATCH/d1")"
log "drained while migrating: $(wl | jq -c '.move | {step, for_s, progress: (.progress.job | {data_processed, data_total})}')"

jwait hs ".type == \"outcome\" and .ref == $id and .final == true" 600
out=$HIT
log "outcome: $(jq -c '{outcome, detail, total_s, downtime_s, bytes, disk_bytes}' <<< "$out")"
log "libvirt: $(jq -c '.libvirt | del(.job)' <<< "$out")"
jq -e --arg d "$VM" '.outcome == "moved" and .detail == "domain \($d) runs on b"
	and .total_s > 0 and .downtime_s > 0 and .downtime_s < .total_s and .bytes > 0
	and .disk_bytes == 33554432 and .libvirt.dest_state == "running"
	and ([.steps[].step]) == ["receive begin", "migrate", "confirm"]' <<< "$out" > /dev/null ||
	nodes_fail "outcome: $out"
wl_wait '.state == "moved" and .peer == "b"' 60
# Drained again and again after the move, past two inventories (every 5 s;
# one asked before the move ended says nothing of after it): no second move.
for ((i = 0; i < 12; i++)); do
	hs drain vm > /dev/null || fail "drain vm after the move"
	[ "$(moves)" = 1 ] || break
	sleep 1
done
[ "$(moves)" = 1 ] || nodes_fail "not one move decided: $(jq -s -c '[.[] | select(.type == "decision" and .resource == "workload:vm")]' "$SCRATCH/journal.jsonl")"
n=$(jq -s '[.[] | select(.type == "decision" and .action == "drain")] | length' "$SCRATCH/journal.jsonl")
[ "$n" -ge 3 ] || nodes_fail "the drains were not journaled ($n)"
pj=$(hp journal --json --limit 1024 | jq -c --argjson m "$pm" '[.[] | select(.id > $m)]')
[ "$(jq '[.[] | select(.type == "receive" and .resource == "workload:vm")] | length' <<< "$pj")" = 1 ] ||
	nodes_fail "not one receive on the peer: $pj"
log "one move decided (by the policy), $n drains journaled, one receive on the peer"

# Where it runs: the peer's libvirtd only.
vm_runs_only_there
vp dominfo "$VM" | grep -q '^Persistent: *yes' || fail "the VM is not defined on the peer"
last_here=$(count)
vm_wait_count_there "$last_here" 60
sleep 2
[ "$(count)" = "$last_here" ] || fail "the guest still counts here: $last_here then $(count)"
vm_moved_intact "$before" "$last_here" "$token"
why=$(hs why "$id") || fail "why $id"
grep -q "outcome at .*: moved: domain $VM runs on b" <<< "$why" || fail "why: $why"
# The mirror kept its last copy: heald reported it, never failed it.
[ "$(leg_field "$dev" 0 state)" = in_sync ] || nodes_fail "leg 0 is $(leg_field "$dev" 0 state)"
"$HEALCTL" fault clear "$dev" --leg 0 || fail "fault clear"
kill -0 "$HEALD_PID" || nodes_fail "the source's heald died"
log "moved by the policy off $dev in $(jq -r '.total_s * 10 | round / 10' <<< "$out") s, down $(jq -r '.downtime_s * 1000 | round' <<< "$out") ms"
exit 0

#!/usr/bin/env bash
# A libvirt VM moved live between two nodes on the host (issue 13): each
# node has its own libvirtd (tests/nodes_libvirt.sh) besides its sshd and
# heald (tests/nodes.sh); the VM is a Debian kernel with a busybox
# initramfs under TCG, whose init writes block N of its disk and prints
# "heal-vm TOKEN N SHA256" on its serial console every 0.2 s.
#  - inventory: the domain's state, memory and disk, and the block device
#    under the disk's file;
#  - a deadline too short for the copy (the peer's link limited to 1 MiB/s,
#    deadline = 5): heal-vmmove aborts libvirt's job, the move fails,
#    journaled with libvirt's words, the peer's heald is told, and the VM
#    counts on here, defined nowhere else;
#  - heald stopped mid-migration (deadline 120): heal-vmmove aborts the job
#    by itself, the VM counts on here;
#  - then (heald restarted without the limit, auto_converge = yes)
#    `healctl drain`: libvirt's live migration with the disk copied; the
#    VM runs on the peer and not here, its counter goes on from where it
#    was (same TOKEN), every block it wrote is on the peer's copy of the
#    disk (checked against the sha256 it printed), and the journal has the
#    decision and the outcome with the total time, the downtime, the bytes
#    copied and libvirt's flags (auto-converge's among them).
# heal-test-timeout: 300 (a TCG guest's boot and three moves on a loaded host)
. "$(dirname "$0")/common.sh"
HEALCTL=$top/build/asan/bin/healctl
# shellcheck source=../nodes.sh
. "$top/tests/nodes.sh"
# shellcheck source=../nodes_libvirt.sh
. "$top/tests/nodes_libvirt.sh"

[ -x "$(dirname "$HEALD")/heal-vmmove" ] || skip "no heal-vmmove beside $HEALD: make -C userspace asan"
# A move whose source went quiet (heald stopped) is dropped after this.
PEER_CONF=("move_deadline = 20")
lv_nodes_up 128 90
read -r token _ < <(vm_last source)
log "guest counting on the source: $(vm_last source | cut -c1-40)..."

counting_here() {	# the VM runs here, libvirt says, and counts on past $1
	local i
	[ "$(vs domstate "$VM")" = running ] || fail "the VM is not running here: $(vs domstate "$VM")"
	vp dominfo "$VM" > /dev/null 2>&1 && fail "the VM is defined on the peer too"
	for ((i = 0; i < 50; i++)); do
		[ "$(count)" -gt "$1" ] && break
		sleep 0.2
	done
	[ "$(count)" -gt "$1" ] || fail "the guest's count stopped at $(count)"
	[ "$(vm_last source | cut -d' ' -f1)" = "$token" ] || fail "the guest restarted: $(vm_last source)"
}

# 1. Inventory, and a move that cannot finish before its deadline.
PEER_LINES=("bwlimit = 1024")
conf=("[workload vm]" "kind = libvirt" "domain = $VM" "uri = $LV_URI_A")
# One try: a retry after the cooldown would race the checks below.
source_start "move_cooldown = 600" "${conf[@]}" "deadline = 5"
wl_wait '.domain_state == "running" and .state == "running"'
w=$(wl)
log "vm: $(jq -c '{state, domain_state, memory_bytes, disks, devices, mounts}' <<< "$w")"
want=$(lsblk -no PKNAME,NAME "$(findmnt -n -o SOURCE -T "$VMDIR")" | awk '{print $NF}' | head -1)
jq -e --arg d "$VMDIR/disk.raw" --arg dev "$want" --arg m "$(findmnt -n -o TARGET -T "$VMDIR")" \
	'.kind == "libvirt" and .memory_bytes == 134217728 and .disks == [$d]
	 and (.devices | index($dev) != null) and (.mounts | index($m) != null)' <<< "$w" > /dev/null ||
	fail "inventory: $w (the disk under $VMDIR is $want)"
hs status | grep -q "workload vm *running *ok *libvirt, domain $VM (running), on .*$want" ||
	fail "status text: $(hs status)"
peer_health_is ok 10
before=$(count)
hs drain vm > /dev/null || fail "drain vm"
jwait hs '.type == "decision" and .resource == "workload:vm" and .action == "move"'
id=$(jq .id <<< "$HIT")
jq -e --arg d "$VM" '.taken == true and .peer == "b" and .evidence.domain == $d
	and .evidence.domain_state == "running" and .evidence.trigger == "drain"' <<< "$HIT" > /dev/null ||
	fail "decision: $HIT"
jwait hs ".type == \"outcome\" and .ref == $id and .final == true" 60
out=$HIT
log "outcome: $(jq -c '{outcome, detail, total_s, libvirt}' <<< "$out")"
jq -e '.outcome == "failed" and (.detail | test("^migrate: exit 1: aborted \\(its deadline passed\\)"))
	and (.detail | test("the domain kept running here"))
	and .libvirt.source_state == "running" and .libvirt.aborted == "its deadline passed"
	and ([.steps[].step]) == ["receive begin", "migrate"]' <<< "$out" > /dev/null ||
	fail "outcome: $out"
hs undrain vm > /dev/null || fail "undrain vm"
counting_here "$before"
log "the VM counts on here: $before before the move, $(count) now"
jwait hp '.type == "receive" and .resource == "workload:vm" and .from == "source-a"'
jwait hp ".type == \"outcome\" and .ref == $(jq .id <<< "$HIT") and .outcome == \"failed\"" 10
kill "$HEALD_PID"
wait "$HEALD_PID" 2>/dev/null

# 2. heald stopped mid-migration: heal-vmmove, told to stop and left to
# end by itself, aborts libvirt's job; the guest runs on here.
source_start "move_cooldown = 600" "${conf[@]}" "deadline = 120"
wl_wait '.domain_state == "running"'
hs drain vm > /dev/null || fail "drain vm"
wl_wait '.move.step == "migrate" and .move.progress.job.data_processed > 0'
log "migrating: $(wl | jq -c '.move | {step, for_s, progress: (.progress.job | {data_processed, data_total})}')"
# heald's loop does not wait on libvirt: it answers while the migration runs.
for ((i = 0; i < 5; i++)); do
	t0=$(date +%s%N)
	hs status > /dev/null || fail "status while migrating"
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -lt 2000 ] || fail "heald took $ms ms to answer while migrating"
	[ "$i" -gt 0 ] || log "heald answers while libvirt migrates: status in $ms ms"
done
before=$(count)
kill "$HEALD_PID"
wait "$HEALD_PID" 2>/dev/null
for ((i = 0; i < 100; i++)); do
	pgrep -f "heal-vmmove move .*--domain $VM " > /dev/null || break
	sleep 0.2
done
pgrep -f "heal-vmmove move .*--domain $VM " > /dev/null && fail "heal-vmmove still runs 20 s after heald stopped"
jq -e -s '[.[] | select(.type == "outcome" and .outcome == "interrupted"
	and (.detail | test("heald stopped mid-migration; heal-vmmove aborts it")))] | length == 1' \
	"$SCRATCH/journal.jsonl" > /dev/null || fail "no interrupted outcome in the journal"
counting_here "$before"
log "heald stopped mid-migration: the VM counts on here ($before then $(count))"

# 3. The move, the link not limited (the peer dropped the last move, its
# source gone quiet, after its move_deadline).
PEER_LINES=()
mark=$(jq -s '[.[].id] | max' "$SCRATCH/journal.jsonl")
source_start "${conf[@]}" "deadline = 60" "auto_converge = yes"
wl_wait '.domain_state == "running"'
peer_health_is ok 10
before=$(count)
# Still drained (a drain outlives a restart): asked again all the same.
hs drain vm > /dev/null || fail "drain vm"
jwait hs ".id > $mark and .type == \"decision\" and .resource == \"workload:vm\" and .action == \"move\" and .taken == true" 60
id=$(jq .id <<< "$HIT")
jwait hs ".type == \"outcome\" and .ref == $id and .final == true" 60
out=$HIT
log "outcome: $(jq -c '{outcome, detail, total_s, downtime_s, bytes, disk_bytes}' <<< "$out")"
log "libvirt: $(jq -c .libvirt <<< "$out")"
jq -e --arg d "$VM" '.outcome == "moved" and .detail == "domain \($d) runs on b"
	and .total_s > 0 and .downtime_s > 0 and .downtime_s < .total_s and .bytes > 0
	and .disk_bytes == 33554432 and (.libvirt.flags / 8192 | floor) % 2 == 1
	and .libvirt.dest_state == "running" and ([.steps[].step]) == ["receive begin", "migrate", "confirm"]' \
	<<< "$out" > /dev/null || fail "outcome: $out"
# Where it runs: the peer's libvirtd, not the source's.
[ "$(vp domstate "$VM")" = running ] || fail "the VM does not run on the peer: $(vp domstate "$VM" 2>&1)"
vp dominfo "$VM" | grep -q '^Persistent: *yes' || fail "the VM is not defined on the peer"
vs dominfo "$VM" > /dev/null 2>&1 && fail "the VM is still defined here: $(vs dominfo "$VM")"
wl_wait '.state == "moved" and .peer == "b"'
jwait hp ".type == \"outcome\" and .outcome == \"received\" and (.detail | test(\"runs here as libvirt domain $VM\"))" 10
# The counter went on there, from where it was here, under the same token.
last_here=$(count)
vm_wait_count_there "$last_here" 10
vm_moved_intact "$before" "$last_here" "$token"
why=$(hs why "$id") || fail "why $id"
grep -q "outcome at .*: moved: domain $VM runs on b" <<< "$why" || fail "why: $why"

heald_done
grep -Eq 'ERROR: AddressSanitizer|runtime error:' "$PEER/heald.log" && fail "sanitizer report in the peer's heald"
log "peer heald: no sanitizer report"

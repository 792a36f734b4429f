#!/usr/bin/env bash
# A VM that dirties its memory faster than the link copies it (issue 13:
# "auto-converge when the guest dirties memory faster than the link"):
# the guest of tests/nodes_libvirt.sh with heal_dirty=8 (a loop rewriting
# 8 MiB of its memory as fast as TCG goes), the link to the peer limited to
# 8 MiB/s (the peer's bwlimit, libvirt's bandwidth):
#  - auto_converge = no: libvirt's pre-copy never converges (every
#    iteration finds the 8 MiB dirty again, more than the 300 ms of
#    downtime QEMU allows carry); heal-vmmove aborts at the move's
#    deadline, the VM counts on here, defined nowhere else;
#  - the default (auto_converge on for kind = libvirt): QEMU throttles the
#    guest's vCPU step by step until the copy converges; the VM runs on the
#    peer, its counter goes on under the same token, its disk whole there,
#    and the outcome shows libvirt's throttle.
# heal-test-timeout: 600 (a TCG guest's boot, a move to its 90 s deadline, one of up to 240 s)
. "$(dirname "$0")/common.sh"
HEALCTL=$top/build/asan/bin/healctl
# shellcheck source=../nodes.sh
. "$top/tests/nodes.sh"
# shellcheck source=../nodes_libvirt.sh
. "$top/tests/nodes_libvirt.sh"

[ -x "$(dirname "$HEALD")/heal-vmmove" ] || skip "no heal-vmmove beside $HEALD: make -C userspace asan"
VM_APPEND="heal_dirty=8"
lv_nodes_up 128 120
read -r token _ < <(vm_last source)
log "guest counting (and dirtying 8 MiB in a loop) on the source: $(vm_last source | cut -c1-40)..."

# Fail with the guest's last console lines and qemu's log on both nodes.
vm_fail() {
	echo "# the guest's console here:"; tail -c 1500 "$VMDIR/console.log" 2>/dev/null | tail -8 | sed 's/^/#   /'
	echo "# there:"; tail -c 1500 "$PEER/vm/console.log" 2>/dev/null | tail -8 | sed 's/^/#   /'
	echo "# qemu here:"; tail -5 "$LV_A/log/qemu/$VM.log" 2>/dev/null | sed 's/^/#   /'
	echo "# qemu there:"; tail -5 "$LV_B/log/qemu/$VM.log" 2>/dev/null | sed 's/^/#   /'
	nodes_fail "$@"
}
conf=("[workload vm]" "kind = libvirt" "domain = $VM" "uri = $LV_URI_A")
PEER_LINES=("bwlimit = 8192")

# 1. Without auto-converge: the copy never converges, the deadline ends it.
source_start "move_cooldown = 600" "${conf[@]}" "deadline = 90" "auto_converge = no"
wl_wait '.domain_state == "running"'
peer_ok ok
before=$(count)
hs drain vm > /dev/null || fail "drain vm"
jwait hs '.type == "decision" and .resource == "workload:vm" and .action == "move" and .taken == true'
id=$(jq .id <<< "$HIT")
jwait hs ".type == \"outcome\" and .ref == $id and .final == true" 150
out=$HIT
log "without auto-converge: $(jq -c '{outcome, total_s, aborted: .libvirt.aborted, flags: .libvirt.flags}' <<< "$out")"
log "  libvirt's last progress: $(jq -c '.libvirt.last_progress | {memory_iteration, memory_remaining, memory_dirty_rate, memory_bps, throttle_pct}' <<< "$out")"
jq -e '.outcome == "failed" and .libvirt.aborted == "its deadline passed"
	and .libvirt.source_state == "running" and (.libvirt.flags / 8192 | floor) % 2 == 0
	and .libvirt.last_progress.memory_iteration >= 3' <<< "$out" > /dev/null ||
	vm_fail "outcome: $out"
jwait hp '.type == "outcome" and .outcome == "failed"' 10
hs undrain vm > /dev/null || fail "undrain vm"
[ "$(vs domstate "$VM")" = running ] || fail "the VM is not running here: $(vs domstate "$VM")"
vp dominfo "$VM" > /dev/null 2>&1 && fail "the VM is defined on the peer too"
for ((i = 0; i < 100; i++)); do
	[ "$(count)" -gt "$before" ] && break
	sleep 0.2
done
[ "$(count)" -gt "$before" ] || fail "the guest's count stopped at $(count)"
[ "$(vm_last source | cut -d' ' -f1)" = "$token" ] || fail "the guest restarted: $(vm_last source)"
kill "$HEALD_PID"
wait "$HEALD_PID" 2>/dev/null

# 2. The default: auto-converge; the move ends.
mark=$(jq -s '[.[].id] | max' "$SCRATCH/journal.jsonl")
source_start "${conf[@]}" "deadline = 240"
wl_wait '.domain_state == "running"'
peer_ok ok
before=$(count)
hs drain vm > /dev/null || fail "drain vm"
jwait hs ".id > $mark and .type == \"decision\" and .resource == \"workload:vm\" and .action == \"move\" and .taken == true" 60
id=$(jq .id <<< "$HIT")
jwait hs ".type == \"outcome\" and .ref == $id and .final == true" 300
out=$HIT
log "auto-converge (the default): $(jq -c '{outcome, total_s, downtime_s, bytes, flags: .libvirt.flags}' <<< "$out")"
log "  libvirt's job: $(jq -c '.libvirt.job // .libvirt.last_progress | {memory_iteration, memory_dirty_rate, throttle_pct}' <<< "$out")"
jq -e --arg d "$VM" '.outcome == "moved" and .detail == "domain \($d) runs on b"
	and (.libvirt.flags / 8192 | floor) % 2 == 1
	and ([.libvirt.job.throttle_pct, .libvirt.last_progress.throttle_pct] | map(. // 0) | max) > 0' \
	<<< "$out" > /dev/null || vm_fail "outcome: $out"
[ "$(vp domstate "$VM")" = running ] || fail "the VM does not run on the peer: $(vp domstate "$VM" 2>&1)"
vs dominfo "$VM" > /dev/null 2>&1 && fail "the VM is still defined here"
last_here=$(count)
vm_wait_count_there "$last_here" 20
vm_moved_intact "$before" "$last_here" "$token"

heald_done
grep -Eq 'ERROR: AddressSanitizer|runtime error:' "$PEER/heald.log" && fail "sanitizer report in the peer's heald"
log "peer heald: no sanitizer report"

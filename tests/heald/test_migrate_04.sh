#!/usr/bin/env bash
# A libvirt VM's live migration under faults (issue 13, "Faults"), on the
# two nodes of test_migrate_03 (tests/nodes_libvirt.sh: each node its own
# libvirtd, the TCG guest printing "heal-vm TOKEN N SHA256" for each block
# it writes).  Each part asserts that nothing is lost and nothing runs
# twice: the guest counts on under the same TOKEN where it ran, libvirt
# runs it on one node only, the other node's console shows no line of it,
# and (after the last move) every block it wrote is on the disk it runs on,
# as its printed sha256 says.
#  1. an unhealthy peer is refused: the peer's only uplink is down (its
#     interface is not there, as an LTE dongle pulled out), so its heald
#     says "failed"; `healctl drain` -> the decision waits, journaled with
#     "b is failed", no receive on the peer, the VM runs here; then the
#     uplink's interface and gateway appear, the peer is "ok" again;
#  2. the peer dies mid-migration: its libvirtd and the incoming qemu
#     killed while libvirt copies (link limited to 1 MiB/s); the move
#     fails with libvirt's error, the VM counts on here, never ran there,
#     and the workload waits its cooldown (heald's policy: retried later);
#  3. the link to the peer drops mid-migration (the peer's veth end set
#     down): the move is aborted (its deadline, or libvirt's keepalive);
#     the same properties; the peer drops the move at its move_deadline;
#  4. evacuations racing: `healctl drain vm` twice and `drain --all` at
#     once, and again while the migration runs: one decision to move, one
#     receive on the peer, one migration; the VM runs there only, its
#     counter goes on from where it was, its disk there is whole.
# The policy's own triggers (a device failing without redundancy, kills)
# need healblk or eBPF, absent on the host: "drain while a policy move
# runs" is not shown here (a second drain while a drain's move runs is).
# heal-test-timeout: 600 (a TCG guest's boot and four moves on a loaded host)
. "$(dirname "$0")/common.sh"
HEALCTL=$top/build/asan/bin/healctl
# shellcheck source=../nodes.sh
. "$top/tests/nodes.sh"
# shellcheck source=../nodes_libvirt.sh
. "$top/tests/nodes_libvirt.sh"

[ -x "$(dirname "$HEALD")/heal-vmmove" ] || skip "no heal-vmmove beside $HEALD: make -C userspace asan"
# A move whose source went quiet is dropped after this.
# An uplink of the peer's own, absent at first (part 1); routes heald
# would manage through it: a prefix nobody uses, not the nodes' link.
PEER_CONF=("move_deadline = 20" "routes = 10.219.9.0/24"
	"[uplink lte]" "interface = hplte0" "gateway = 10.219.0.1")
lv_nodes_up 128 120
read -r token _ < <(vm_last source)
log "guest counting on the source: $(vm_last source | cut -c1-40)..."

# The guest never printed a line on the peer: it never ran there.
never_ran_there() {
	local n
	n=$(peer_exec grep -ac '^heal-vm ' "$VMDIR/console.log" 2>/dev/null)
	[ "${n:-0}" = 0 ] || fail "the guest ran on the peer too ($n lines there): $(vm_last peer)"
}
counting_here() {	# the VM runs here, libvirt says, counts on past $1, same token
	local i
	[ "$(vs domstate "$VM")" = running ] || fail "the VM is not running here: $(vs domstate "$VM")"
	for ((i = 0; i < 100; i++)); do
		[ "$(count)" -gt "$1" ] && break
		sleep 0.2
	done
	[ "$(count)" -gt "$1" ] || fail "the guest's count stopped at $(count)"
	[ "$(vm_last source | cut -d' ' -f1)" = "$token" ] || fail "the guest restarted: $(vm_last source)"
	never_ran_there
}
not_on_peer() {	# libvirt on the peer has no such domain (an incoming one is torn down), 60 s
	local i
	for ((i = 0; i < 300; i++)); do
		vp dominfo "$VM" > /dev/null 2>&1 || return 0
		sleep 0.2
	done
	fail "the VM is still on the peer: $(vp domstate "$VM" 2>&1)"
}
# The peer's qemu for this VM (the incoming one), as the host sees it.
peer_qemu() { pgrep -f "guest=$VM,.*-incoming"; }
stop_source() { kill "$HEALD_PID"; wait "$HEALD_PID" 2>/dev/null; }
mark() { jq -s '[.[].id] | max // 0' "$SCRATCH/journal.jsonl" 2>/dev/null || echo 0; }
pmark() { hp journal --json --limit 1024 | jq '[.[].id] | max // 0'; }
conf=("[workload vm]" "kind = libvirt" "domain = $VM" "uri = $LV_URI_A")
# Parts 2 and 3: a drain whose move has DEADLINE, until libvirt copies:
# $m and $pm the journals' last ids before it, $id the move's decision.
drain_until_migrating() {	# drain_until_migrating DEADLINE
	source_start "move_cooldown = 600" "${conf[@]}" "deadline = $1"
	wl_wait '.domain_state == "running"'
	peer_ok ok
	m=$(mark)
	pm=$(pmark)
	hs drain vm > /dev/null || fail "drain vm"
	wl_wait '.move.step == "migrate" and .move.progress.job.data_processed > 0' 60
	jwait hs ".id > $m and .type == \"decision\" and .resource == \"workload:vm\" and .action == \"move\" and .taken == true"
	id=$(jq .id <<< "$HIT")
}
# The link limited: the migration lasts long enough to be hit mid-way.
slow=("bwlimit = 1024")

# 1. An unhealthy peer is refused: its uplink's interface is not there.
source_start "${conf[@]}" "deadline = 60"
wl_wait '.domain_state == "running" and .state == "running"'
peer_ok failed
pm=$(pmark)
before=$(count)
hs drain vm > /dev/null || fail "drain vm"
jwait hs '.type == "outcome" and .outcome == "waiting" and (.detail | test("^vm: no peer can take it: b is failed"))' 30
log "unhealthy peer: $(jq -r .detail <<< "$HIT")"
jq -e -s '[.[] | select(.type == "decision" and .action == "move" and .taken == true)] | length == 0' \
	"$SCRATCH/journal.jsonl" > /dev/null || fail "a move was decided anyway"
sleep 3
[ "$(hp journal --json --limit 1024 | jq --argjson m "$pm" '[.[] | select(.id > $m and .type == "receive")] | length')" = 0 ] ||
	fail "the unhealthy peer was asked to receive"
pgrep -f "heal-vmmove move .*--domain $VM " > /dev/null && fail "a migration runs"
counting_here "$before"
vp dominfo "$VM" > /dev/null 2>&1 && fail "the VM is defined on the peer"
hs undrain vm > /dev/null || fail "undrain vm"
stop_source
log "the VM counts on here ($before then $(count))"
# The peer's uplink appears (interface, then its gateway answers): ok again.
netns_add "$NSB-gw"
ip link add hplte0 netns "$NSB" type veth peer name hplte0p netns "$NSB-gw" || fail "veth"
ip -n "$NSB-gw" addr add 10.219.0.1/24 dev hplte0p
ip -n "$NSB-gw" link set hplte0p up
ip -n "$NSB" addr add 10.219.0.2/24 dev hplte0
ip -n "$NSB" link set hplte0 up

# 2. The peer dies mid-migration: its libvirtd and the incoming qemu.
PEER_LINES=("${slow[@]}")
# One try: a retry after the cooldown would race the checks below.
drain_until_migrating 120
log "migrating: $(wl | jq -c '.move | {step, for_s, progress: (.progress.job | {data_processed, data_total})}')"
q=$(peer_qemu | head -1); [ -n "$q" ] || fail "no incoming qemu on the peer"
before=$(count)
# shellcheck disable=SC2016  # the peer's shell expands it
peer_exec sh -c 'kill -9 "$(cat "$1/run/libvirtd.pid")"' sh "$LV_B" || fail "kill the peer's libvirtd"
kill -9 "$q" || fail "kill the peer's qemu"
log "killed the peer's libvirtd and qemu (pid $q) at count $before"
jwait hs ".type == \"outcome\" and .ref == $id and .final == true" 150
out=$HIT
log "outcome: $(jq -c '{outcome, detail, total_s, libvirt: (.libvirt | {source_state, aborted})}' <<< "$out")"
jq -e '.outcome == "failed" and (.detail | test("^migrate: exit 1: "))
	and (.detail | test("the domain kept running here"))
	and .libvirt.source_state == "running"' <<< "$out" > /dev/null || fail "outcome: $out"
counting_here "$before"
jwait hs ".id > $id and .type == \"outcome\" and .outcome == \"waiting\" and (.detail | test(\"^vm: its last move failed; tried again in [0-9]+ s \\\\(cooldown\\\\)\"))" 20
log "then: $(jq -r .detail <<< "$HIT")"
[ "$(jq -s --argjson m "$m" '[.[] | select(.id > $m and .type == "decision" and .action == "move" and .taken == true)] | length' \
	"$SCRATCH/journal.jsonl")" = 1 ] || fail "more than one move decided"
# The peer's libvirtd back: it has no such domain.
# shellcheck disable=SC2016
peer_exec sh -c 'sh "$1/node.sh" >> "$1/stderr.log" 2>&1 &' sh "$LV_B" || fail "restart the peer's libvirtd"
lv_wait "$LV_B/run/libvirt-sock" peer
vp pool-start heal-vm > /dev/null 2>&1
not_on_peer
# Its heald (alive) was told the move is off.
jwait hp ".id > $pm and .type == \"receive\" and .resource == \"workload:vm\" and .from == \"source-a\""
jwait hp ".type == \"outcome\" and .ref == $(jq .id <<< "$HIT") and .outcome == \"failed\"" 30
log "peer: $(jq -c '{outcome, detail}' <<< "$HIT")"
hs undrain vm > /dev/null || fail "undrain vm"
counting_here "$before"
stop_source
log "peer died: the VM counts on here ($before then $(count)), never ran there"

# 3. The link to the peer drops mid-migration.
drain_until_migrating 30
before=$(count)
ip -n "$NSB" link set hmb0 down || fail "link down"
t0=$(date +%s)
log "link down at count $before: $(wl | jq -c '.move | {step, for_s, progress: (.progress.job | {data_processed, data_total})}')"
jwait hs ".type == \"outcome\" and .ref == $id and .final == true" 150
out=$HIT
log "outcome $(($(date +%s) - t0)) s after the link went down: $(jq -c '{outcome, detail, total_s, libvirt: (.libvirt | {source_state, aborted, job_left})}' <<< "$out")"
# Aborted at its deadline (libvirt's call may not return while its peer
# cannot answer: heal-vmmove then says so and leaves the job to libvirtd),
# or failed by libvirt itself; the domain runs here by libvirt's word, or
# (job left open) for now, and the journal says which.
jq -e '.outcome == "failed" and (.detail | test("^migrate: exit 1: "))
	and .libvirt.source_state == "running"
	and (if .libvirt.job_left then (.detail | test("runs here for now, but libvirtd.s job was left open"))
	     else (.detail | test("the domain kept running here \\(libvirt says so\\)")) end)' \
	<<< "$out" > /dev/null || fail "outcome: $out"
counting_here "$before"
jwait hs ".id > $id and .type == \"outcome\" and .outcome == \"waiting\" and (.detail | test(\"^vm: its last move failed\"))" 20
[ "$(jq -s --argjson m "$m" '[.[] | select(.id > $m and .type == "decision" and .action == "move" and .taken == true)] | length' \
	"$SCRATCH/journal.jsonl")" = 1 ] || fail "more than one move decided"
# The peer, cut off, drops the move at its move_deadline; its libvirt tears the incoming domain down.
jwait hp ".id > $pm and .type == \"outcome\" and (.outcome == \"abandoned\" or .outcome == \"failed\")" 60
log "peer: $(jq -c '{outcome, detail}' <<< "$HIT")"
not_on_peer
ip -n "$NSB" link set hmb0 up || fail "link up"
t0=$(date +%s)
# The job libvirtd may have kept ends once its peer answers again (with a reset).
for ((i = 0; i < 600; i++)); do
	vs domjobinfo "$VM" 2>/dev/null | grep -Eq '^Job type: *None' && break
	sleep 0.2
done
vs domjobinfo "$VM" 2>/dev/null | grep -Eq '^Job type: *None' ||
	fail "libvirt's job still runs 120 s after the link came back: $(vs domjobinfo "$VM" 2>&1 | head -3)"
log "libvirt's job here over $(($(date +%s) - t0)) s after the link came back"
hs undrain vm > /dev/null || fail "undrain vm"
counting_here "$before"
stop_source
log "link dropped: the VM counts on here ($before then $(count)), never ran there"

# 4. Evacuations racing: one move.
PEER_LINES=()
source_start "${conf[@]}" "deadline = 120" "auto_converge = yes"
wl_wait '.domain_state == "running" and .state == "running"'
peer_ok ok
m=$(mark)
pm=$(pmark)
before=$(count)
hs drain vm > "$SCRATCH/d1" 2>&1 &
d1=$!
hs drain vm > "$SCRATCH/d2" 2>&1 &
d2=$!
hs drain --all > "$SCRATCH/d3" 2>&1 || fail "drain --all: $(cat "$SCRATCH/d3")"
wait "$d1" || fail "drain vm: $(cat "$SCRATCH/d1")"
wait "$d2" || fail "drain vm (2): $(cat "$SCRATCH/d2")"
jwait hs ".id > $m and .type == \"decision\" and .resource == \"workload:vm\" and .action == \"move\" and .taken == true" 60
id=$(jq .id <<< "$HIT")
# And again while it migrates.
wl_wait '.move.step == "migrate"' 60
hs drain vm > /dev/null || fail "drain vm while migrating"
hs drain --all > /dev/null || fail "drain --all while migrating"
jwait hs ".type == \"outcome\" and .ref == $id and .final == true" 150
out=$HIT
log "outcome: $(jq -c '{outcome, detail, total_s, downtime_s}' <<< "$out")"
jq -e --arg d "$VM" '.outcome == "moved" and .detail == "domain \($d) runs on b"' <<< "$out" > /dev/null ||
	fail "outcome: $out"
wl_wait '.state == "moved" and .peer == "b"'
sleep 5	# time for a second move, were one to come
j=$(jq -s -c --argjson m "$m" '[.[] | select(.id > $m)]' "$SCRATCH/journal.jsonl")
log "drains journaled: $(jq '[.[] | select(.type == "decision" and .action == "drain")] | length' <<< "$j")"
[ "$(jq '[.[] | select(.type == "decision" and .resource == "workload:vm" and .action == "move" and .taken == true)] | length' <<< "$j")" = 1 ] ||
	fail "not one move decided: $(jq -c '[.[] | select(.type == "decision")]' <<< "$j")"
[ "$(jq '[.[] | select(.type == "outcome" and .outcome == "moved")] | length' <<< "$j")" = 1 ] ||
	fail "not one move made"
pj=$(hp journal --json --limit 1024 | jq -c --argjson m "$pm" '[.[] | select(.id > $m)]')
[ "$(jq '[.[] | select(.type == "receive" and .resource == "workload:vm")] | length' <<< "$pj")" = 1 ] ||
	fail "not one receive on the peer: $pj"
# Runs there, and only there: one qemu of it on the host.
vm_runs_only_there
last_here=$(count)
vm_wait_count_there "$last_here" 10
sleep 1
[ "$(count)" = "$last_here" ] || fail "the guest still counts here: $last_here then $(count)"
vm_moved_intact "$before" "$last_here" "$token"

heald_done
grep -Eq 'ERROR: AddressSanitizer|runtime error:' "$PEER/heald.log" && fail "sanitizer report in the peer's heald"
log "peer heald: no sanitizer report"

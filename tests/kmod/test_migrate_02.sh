#!/usr/bin/env bash
# The disk trigger end to end (issue 13), in the VM: a workload on ext4 on
# a two-leg healblk mirror without a spare.  Leg 1 is taken out (the
# mirror is degraded: heald says the workload is degraded, and moves
# nothing); then leg 0, the last copy, starts failing (read errors from
# healblk's fault injection reach heald's SERD threshold).  heald never
# fails the last copy (it reports it), and moves the workload off by
# itself: the decision is the policy's, its evidence names the device and
# why, CRIU restores it on the peer and it counts on there.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"
# The source is the root network namespace: healblk's netlink family is there only.
NODES_SOURCE_ROOT=1
# shellcheck source=../nodes.sh
. "$(dirname "$0")/../nodes.sh"

command -v criu > /dev/null || skip "no criu (apt-get install criu)"
criu check > "$SCRATCH/criu-check" 2>&1 || skip "CRIU cannot run on $(uname -r): $(grep -m1 Error "$SCRATCH/criu-check")"

make_loop 96; l0=$LOOP
make_loop 96; l1=$LOOP
make_healblk "$l0" "$l1"; dev=$HB
"$HEALCTL" set "$dev" --fail-errors 0 || fail "set --fail-errors 0"
# The file system takes the first 48 MiB only: the failing range below is
# beyond it (data that cannot be read cannot move, and the move would fail).
mkfs.ext4 -q "/dev/$dev" 48M || fail "mkfs"
nodes_setup
nodes_mount "/dev/$dev" "$DATA/disky"
peer_start
workload_start disky 2
source_start "peer_timeout = 60" "peer_max_age = 30" "serd_n = 3" "serd_t = 60" \
	"[workload disky]" "cgroup = ${CGBASE#"$CG"}/disky" "kind = criu" "data = $DATA/disky" \
	"deadline = 300"

wl() { hs status --json | jq -c '.heald.migration.workloads[0]'; }
wait_wl() {	# wait_wl JQ_TEST WHAT
	local i w
	for ((i = 0; i < 150; i++)); do
		w=$(wl)
		jq -e "$1" <<< "$w" > /dev/null && return 0
		sleep 0.2
	done
	nodes_fail "$2: $w"
}
wait_wl ".devices | index(\"$dev\") != null" "the inventory does not see $dev"
wait_wl '.health == "ok"' "not ok at first"
# One leg left: degraded, not at risk; nothing moves.
"$HEALCTL" fail-leg "$dev" 1 || fail "fail-leg"
wait_wl '.health == "degraded"' "not degraded with one leg left"
log "one leg left: $(wl | jq -r .reason)"
# The last leg fails reads at 73 MiB (beyond what the file system uses).
token=$(head -1 "$DATA/disky/log" | cut -d' ' -f1)
last_leg_fails "$dev"
jwait hs ".type == \"alarm\" and .resource == \"$dev/leg0\"" 30
jwait hs ".type == \"decision\" and .resource == \"$dev/leg0\" and .action == \"report\"" 10
log "the last copy failing: $(jq -r .reason <<< "$HIT")"
jwait hs '.type == "decision" and .resource == "workload:disky" and .action == "move" and .taken == true' 120
d=$HIT
log "decision $(jq .id <<< "$d"): $(jq -r .reason <<< "$d"); evidence: $(jq -r .evidence.disk <<< "$d")"
jq -e --arg dev "$dev" '.by == "policy" and .evidence.trigger == "disk" and .peer == "b"
	and (.evidence.disk | test("^on " + $dev + ": its last in-sync leg is failing"))
	and (.evidence.devices | index($dev) != null)' <<< "$d" > /dev/null || nodes_fail "decision: $d"
jwait hs ".type == \"outcome\" and .ref == $(jq .id <<< "$d") and .final == true" 300
out=$HIT
[ "$(jq -r .outcome <<< "$out")" = moved ] || nodes_fail "outcome: $out"
log "$(jq -r '"moved: \(.detail); total \(.total_s * 10 | round / 10) s, down \(.downtime_s * 10 | round / 10) s"' <<< "$out")"
pid=$(jq .peer_pid <<< "$out")
last_here=$(tail -1 "$DATA/disky/log" | cut -d' ' -f2)
sleep 1
r=$(peer_exec cat "$DATA/disky/log" | log_check) || nodes_fail "the log on the peer has a gap or a restart"
[ "${r% *}" = "$token" ] || nodes_fail "its memory changed on the way: $token then ${r% *}"
[ "${r#* }" -gt "$last_here" ] || nodes_fail "it does not count on there: $last_here here, ${r#* } there"
peer_exec kill -0 "$pid" || nodes_fail "pid $pid does not run on the peer"
log "the peer's pid $pid counts on from $last_here: $r"
# The mirror kept its last copy: heald reported it, never failed it.
[ "$(leg_field "$dev" 0 state)" = in_sync ] || nodes_fail "leg 0 is $(leg_field "$dev" 0 state)"
"$HEALCTL" fault clear "$dev" --leg 0 || fail "fault clear"
kill -0 "$HEALD_PID" || nodes_fail "the source's heald died"

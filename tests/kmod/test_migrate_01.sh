#!/usr/bin/env bash
# Workload migration with CRIU (issue 13), in the VM (CRIU 3.17 runs on
# 6.1, not on the host's 6.18), between two nodes on one machine
# (tests/nodes.sh).  The workload is a python process holding 4 MiB of
# random bytes, its data (a log it holds open and appends to, a count) on
# an ext4 on a healblk mirror; each log line has the CRC-32 of those 16 MiB
# and a count that goes up every 0.1 s.
#  1. inventory: heald maps it to healblk and down to the mirror's loops;
#  2. `healctl drain`: the peer dies in the middle of the copy, after the
#     checkpoint: the stopped workload is resumed here, the failure
#     journaled; its count goes on with no gap, its memory the same;
#  3. the peer comes back: heald tries again by itself, and the workload
#     moves: CRIU restores it there, it counts on from where it stopped,
#     same memory, its data with it, nothing left of it here; the peer's
#     heald holds it, both journals say so.  Times and image size logged.
# The workload is a server too (a listening socket): a client asks it
# before the move, and reconnects to it on the peer after.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"
# shellcheck source=../nodes.sh
. "$(dirname "$0")/../nodes.sh"

command -v criu > /dev/null || skip "no criu (apt-get install criu)"
criu check > "$SCRATCH/criu-check" 2>&1 || skip "CRIU cannot run on $(uname -r): $(grep -m1 Error "$SCRATCH/criu-check")"

make_loop 96; l0=$LOOP
make_loop 96; l1=$LOOP
make_healblk "$l0" "$l1"; dev=$HB
mkfs.ext4 -q "/dev/$dev" || fail "mkfs"
nodes_setup
nodes_mount "/dev/$dev" "$DATA/counter"
peer_start
# A server: each connection to port 7707 gets its line "CRC N" (clients reconnect after the move).
WL_PORT=7707
workload_start counter 4
# A copy that takes a few seconds, for the peer to die in.
PEER_LINES=("bwlimit = 2048")
# ssh under TCG, on a loaded machine, can take more than 10 s.
source_start "peer_timeout = 60" "peer_max_age = 30" "[workload counter]" "cgroup = ${CGBASE#"$CG"}/counter" "kind = criu" \
	"data = $DATA/counter" "deadline = 300"

# ask ADDR: the server's answer to a client in the source node, connecting to ADDR.
ask() {
	in_source
	# shellcheck disable=SC2016  # the client's shell expands these
	"${IN_SOURCE[@]}" timeout 10 bash -c 'exec 5<> "/dev/tcp/$1/$2" && read -r l <&5 && echo "$l"' ask "$1" "$WL_PORT" 2>/dev/null
}

# 1. Inventory: the workload is on healblk, and on its legs.
wl() { hs status --json | jq -c '.heald.migration.workloads[0]'; }
for ((i = 0; i < 50; i++)); do
	[ "$(wl | jq '.devices | length')" -ge 3 ] 2>/dev/null && break
	sleep 0.2
done
w=$(wl)
log "inventory: $(jq -c '{processes, root_pid, memory_bytes, devices, mounts}' <<< "$w")"
jq -e --arg d "$dev" --arg a "$(basename "$l0")" --arg b "$(basename "$l1")" --arg m "$DATA/counter" \
	'(.devices | index($d) != null and index($a) != null and index($b) != null)
	 and (.mounts | index($m) != null) and .trees == 1' <<< "$w" > /dev/null ||
	nodes_fail "inventory: $w"
[ "$(jq .root_pid <<< "$w")" = "${WL_PID[counter]}" ] || nodes_fail "root pid: $w"
for ((i = 0; i < 100; i++)); do
	p=$(hs status --json | jq -c '.heald.migration.peers[0]')
	[ "$(jq -r .health <<< "$p")" = ok ] && break
	sleep 0.2
done
[ "$(jq -r .health <<< "$p")" = ok ] || nodes_fail "peer b: $p"

# 2. The peer dies mid-copy: the workload runs on here.
token=$(head -1 "$DATA/counter/log" | cut -d' ' -f1)
a=$(ask "$ADDR_A") || nodes_fail "the server does not answer here"
[ "${a% *}" = "$token" ] || nodes_fail "the server here says '$a', its log $token"
log "a client here: '$a'"
hs drain counter > /dev/null || nodes_fail "drain"
end=$((SECONDS + 120))
while [ $SECONDS -lt $end ]; do
	step=$(wl | jq -r '.move.step // empty')
	[ "$step" = copy ] && break
	sleep 0.1
done
[ "$step" = copy ] || nodes_fail "the move never reached its copy (last step '$step')"
stopped_at=$(workload_count counter)
log "copying (the workload stopped at $stopped_at): the peer dies"
t0=$(date +%s.%N)
peer_kill
jwait hs '.type == "outcome" and .outcome == "failed"' 60
t1=$(date +%s.%N)
log "failed in $(echo "$t1 - $t0" | bc) s: $(jq -r .detail <<< "$HIT")"
jq -e '(.detail | test("^copy: ")) and (.detail | test("the originals were resumed here \\(1 process\\)"))
	and ([.steps[] | select(.ok)] | map(.step)) == ["receive begin", "copy data", "checkpoint"]' \
	<<< "$HIT" > /dev/null || nodes_fail "outcome: $HIT"
sleep 1
now=$(workload_count counter)
[ "$now" -gt "$stopped_at" ] || nodes_fail "the workload did not resume here: $stopped_at then $now"
r=$(log_check < "$DATA/counter/log") || nodes_fail "the log here has a gap or a restart"
[ "${r% *}" = "$token" ] || nodes_fail "its memory changed: $token then ${r% *}"
kill -0 "${WL_PID[counter]}" || nodes_fail "the workload is gone"
a=$(ask "$ADDR_A") || nodes_fail "the resumed server does not answer here"
log "resumed here, counting on: $r; a client here: '$a'"

# 3. The peer is back: heald moves it by itself (drained, the cooldown passed).
peer_start
jwait hs '.type == "outcome" and .outcome == "moved"' 240
out=$HIT
log "moved: $(jq -r .detail <<< "$out")"
log "$(jq -r '"total \(.total_s * 10 | round / 10) s, down \(.downtime_s * 10 | round / 10) s (checkpoint to restored), stopped here \(.frozen_s * 10 | round / 10) s, images \(.image_bytes) bytes"' <<< "$out")"
log "steps (s): $(jq -c '[.steps[] | {(.step): (.seconds * 10 | round / 10)}] | add' <<< "$out")"
pid=$(jq .peer_pid <<< "$out")
[ -z "$(cat "$CGBASE/counter/cgroup.procs")" ] || nodes_fail "processes left here: $(cat "$CGBASE/counter/cgroup.procs")"
! kill -0 "${WL_PID[counter]}" 2>/dev/null || nodes_fail "the original still runs"
last_here=$(tail -1 "$DATA/counter/log" | cut -d' ' -f2)
peer_exec kill -0 "$pid" || nodes_fail "pid $pid does not run on the peer"
sleep 1
r=$(peer_exec cat "$DATA/counter/log" | log_check) || nodes_fail "the log on the peer has a gap or a restart"
[ "${r% *}" = "$token" ] || nodes_fail "its memory changed on the way: $token then ${r% *}"
[ "${r#* }" -gt "$last_here" ] || nodes_fail "it does not count on there: $last_here here, ${r#* } there"
[ "$(head -n "$last_here" "$DATA/counter/log" | sha256sum)" = \
  "$(peer_exec head -n "$last_here" "$DATA/counter/log" | sha256sum)" ] || nodes_fail "its data differ"
log "the peer's pid $pid counts on from $last_here: $r (same memory CRC)"
# Its clients reconnect to it where it runs now: same memory, the count on.
ask "$ADDR_A" > /dev/null && nodes_fail "the server still answers here"
a=$(ask "$ADDR_B") || nodes_fail "the server does not answer on the peer"
{ [ "${a% *}" = "$token" ] && [ "${a#* }" -gt "$last_here" ]; } ||
	nodes_fail "the server on the peer says '$a' (was $token, $last_here here)"
log "the client reconnects to $ADDR_B: '$a'"
w=$(wl)
jq -e '.state == "moved" and .peer == "b" and .processes == 0 and .moves == 1 and .moves_failed >= 1' \
	<<< "$w" > /dev/null || nodes_fail "status here: $w"
hp status --json | jq -e --argjson p "$pid" \
	'.heald.migration.hosted | map(select(.workload == "counter" and .from == "source-a" and .pid == $p)) | length == 1' \
	> /dev/null || nodes_fail "the peer does not hold it: $(hp status --json | jq -c .heald.migration)"
jwait hp '.type == "outcome" and .outcome == "received"' 10
why=$(hs why "$(jq .ref <<< "$out")") || nodes_fail "why"
grep -q "outcome at .*: moved: runs on b as pid $pid" <<< "$why" || nodes_fail "why: $why"
# Moved is moved: nothing more is decided for it.
sleep 3
[ "$(hs journal --json --limit 1024 | jq --argjson id "$(jq .ref <<< "$out")" \
	'[.[] | select(.type == "decision" and .resource == "workload:counter" and .id > $id)] | length')" = 0 ] ||
	nodes_fail "decided again after the move: $(hs journal | tail -3)"
kill -0 "$HEALD_PID" || nodes_fail "the source's heald died"

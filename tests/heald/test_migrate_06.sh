#!/usr/bin/env bash
# The kills trigger (issue 13: "on repeated crashes or OOM kills of a
# workload that the node cannot fix"), for real on the host: the source's
# heald runs its eBPF procmon; the workload is a supervisor (a shell loop in
# the workload's cgroup) that starts a child when the test asks: one that
# dies of a real SIGSEGV (a NULL read), or one the kernel OOM-kills (it
# allocates past the cgroup's memory.max).  move_on_kills = 3 in a
# kill_window of 300 s:
#  - crash 1 and 2 (a SIGSEGV, an OOM kill): the workload is degraded
#    ("killed N times"), nothing moves;
#  - crash 3: heald decides to move it (by the policy, trigger kills, 3 in
#    the window), and its hook (kind = hook) gets the decision.
# heal-test-timeout: 240
. "$(dirname "$0")/common.sh"
HEALCTL=$top/build/asan/bin/healctl
# shellcheck source=../nodes.sh
. "$top/tests/nodes.sh"

nodes_setup
peer_start
cg=$CGBASE/crashy
mkdir -p "$cg" "$DATA/crashy" || fail "mkdir"
_wl_cgroups+=("$cg")
# 64 MiB for the supervisor and its children, for the OOM kill: in the
# workload's cgroup, or on a host whose memory controller is cgroup v1's
# (hybrid: this one), in a v1 memory cgroup of their own.
MEMCG=""
if grep -qw memory "$CG/cgroup.controllers"; then
	echo +memory > "$CGBASE/cgroup.subtree_control" || fail "+memory under $CGBASE"
	echo $((64 << 20)) > "$cg/memory.max" || fail "memory.max"
	echo 0 > "$cg/memory.swap.max" 2>/dev/null
elif [ -d /sys/fs/cgroup/memory ]; then
	MEMCG=/sys/fs/cgroup/memory/heal-oom$$
	mkdir "$MEMCG" || fail "mkdir $MEMCG"
	trap 'nodes_cleanup; rmdir "$MEMCG"; cleanup' EXIT
	echo $((64 << 20)) > "$MEMCG/memory.limit_in_bytes" || fail "memory.limit_in_bytes"
	echo $((64 << 20)) > "$MEMCG/memory.memsw.limit_in_bytes" 2>/dev/null
else
	skip "no memory controller"
fi
cat > "$SCRATCH/hook.sh" <<EOF2
#!/bin/sh
cat > "$SCRATCH/hook.in"
echo 1 > "$cg/cgroup.kill"
EOF2
chmod 755 "$SCRATCH/hook.sh"
# The supervisor: "crash" in its directory starts a child that reads
# address 0; "oom" one that allocates 256 MiB.  Each child's end is counted.
in_source
# shellcheck disable=SC2016  # the supervisor's shell expands these
"${IN_SOURCE[@]}" setsid sh -c 'echo $$ > "$1/cgroup.procs" && { [ -z "$3" ] || echo $$ > "$3/cgroup.procs"; } && cd "$2" && ulimit -c 0 && while :; do
	if [ -e crash ]; then rm -f crash; /usr/bin/python3 -c "import ctypes; ctypes.string_at(0)"; echo "crash $?" >> ends; fi
	if [ -e oom ]; then rm -f oom; /usr/bin/python3 -c "b = bytearray(256 << 20); b[1::4096] = b\"x\" * len(b[1::4096])"; echo "oom $?" >> ends; fi
	sleep 0.1
	done' supervisor "$cg" "$DATA/crashy" "$MEMCG" < /dev/null > /dev/null 2>&1 &
disown "$!"
# Part 2's unit, and a directory of its name where a user could make one: a
# subtree not root's (systemd's delegation to a user), made first.
unit=heal-u$$.service
mkdir -p "$CGBASE/deleg/$unit" || fail "mkdir deleg"
_wl_cgroups+=("$CGBASE/deleg/$unit" "$CGBASE/deleg" "$CGBASE/$unit")
chown -R 65534:65534 "$CGBASE/deleg"
SOURCE_BPF=yes source_start "move_on_kills = 3" "kill_window = 300" \
	"[workload crashy]" "cgroup = ${CGBASE#"$CG"}/crashy" "kind = hook" "hook = $SCRATCH/hook.sh" \
	"deadline = 20" "[workload unity]" "unit = $unit"
hs status --json | jq -e '.heald.heald.bpf | . != "off" and (test("procmon") | not)' > /dev/null ||
	skip "procmon not loaded: $(hs status --json | jq -r .heald.heald.bpf)"

wl() { hs status --json | jq -c '.heald.migration.workloads[] | select(.name == "crashy")'; }
moves() {
	jq -s '[.[] | select(.type == "decision" and .resource == "workload:crashy" and .action == "hand-off")] | length' \
		"$SCRATCH/journal.jsonl"
}
# crash KIND N: the supervisor's child ends the KIND way, the Nth end; heald sees N kills.
crash() {
	local i want
	touch "$DATA/crashy/$1"
	for ((i = 0; i < 100; i++)); do
		[ "$({ wc -l < "$DATA/crashy/ends"; } 2>/dev/null)" = "$2" ] && break
		sleep 0.1
	done
	log "child $2: $(tail -1 "$DATA/crashy/ends" 2>/dev/null)"
	want=139	# SIGSEGV; the OOM killer's is SIGKILL
	[ "$1" = oom ] && want=137
	[ "$(tail -1 "$DATA/crashy/ends" 2>/dev/null)" = "$1 $want" ] ||
		nodes_fail "the child did not die as asked: $(cat "$DATA/crashy/ends" 2>/dev/null)"
	for ((i = 0; i < 50; i++)); do
		[ "$(hs status --json | jq --arg c "${CGBASE#"$CG"}/crashy" \
			'[.heald.workloads[]? | select(.cgroup == $c) | .oom_kills + .crashes] | add // 0')" = "$2" ] && return 0
		sleep 0.2
	done
	nodes_fail "procmon did not count kill $2: $(hs status --json | jq -c '.heald.workloads')"
}
for ((i = 0; i < 50; i++)); do
	[ "$(wl | jq -r .health)" = ok ] && break
	sleep 0.2
done
[ "$(wl | jq -r .health)" = ok ] || nodes_fail "not ok at first: $(wl)"
peer_health_is ok 20

crash crash 1
crash oom 2
for ((i = 0; i < 50; i++)); do
	w=$(wl)
	[ "$(jq -r .health <<< "$w")" = degraded ] && break
	sleep 0.2
done
log "after a crash and an OOM kill: $(jq -c '{health, reason}' <<< "$w")"
jq -e '.health == "degraded" and (.reason | test("^2 crashes or OOM kills in the last 300 s"))' <<< "$w" > /dev/null ||
	nodes_fail "not degraded for 2 kills: $w"
[ "$(moves)" = 0 ] || nodes_fail "a move before move_on_kills: $(hs journal | tail -3)"
crash crash 3
jwait hs '.type == "decision" and .resource == "workload:crashy" and .action == "hand-off"' 20
d=$HIT
log "decision: $(jq -r .reason <<< "$d"); evidence: $(jq -c '.evidence | {trigger, kills_in_window}' <<< "$d")"
jq -e '.by == "policy" and .taken == true and .evidence.trigger == "kills" and .evidence.kills_in_window == 3' \
	<<< "$d" > /dev/null || nodes_fail "decision: $d"
jwait hs ".type == \"outcome\" and .ref == $(jq .id <<< "$d") and .final == true" 30
[ "$(jq -r .outcome <<< "$HIT")" = moved ] || nodes_fail "outcome: $HIT"
jq -e --argjson id "$(jq .id <<< "$d")" '.decision == $id and .workload == "crashy" and .peer.name == "b"
	and .evidence.trigger == "kills" and .evidence.kills_in_window == 3' "$SCRATCH/hook.in" > /dev/null ||
	nodes_fail "the hook's input: $(cat "$SCRATCH/hook.in")"
log "moved by its hook: $(jq -c '{decision, workload, reason, peer: .peer.name}' "$SCRATCH/hook.in")"

# 2. A unit found by its name: never in a user's subtree; its cgroup gone a
# while (the unit stopped) and back is not charged its old kills again.
wu() { hs status --json | jq -c '.heald.migration.workloads[] | select(.name == "unity")'; }
sleep 3
w=$(wu)
[ "$(jq -r .cgroup <<< "$w")" = "" ] || [ "$(jq -r .cgroup <<< "$w")" = null ] ||
	nodes_fail "the unit's cgroup taken from a user's subtree: $w"
log "a directory named $unit in a subtree not root's: not taken ($(jq -c '{cgroup, processes}' <<< "$w"))"
mkdir "$CGBASE/$unit" || fail "mkdir $unit"
segv() {	# a process of the unit's cgroup dies of SIGSEGV; until heald counts it as N
	local i
	{ bash -c 'echo $$ > "$1/cgroup.procs" && ulimit -c 0 && exec sh -c "kill -SEGV \$\$"' _ "$CGBASE/$unit"; } 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		[ "$(wu | jq .kills_in_window)" = "$1" ] && return 0
		sleep 0.2
	done
	nodes_fail "not $1 kills: $(wu)"
}
for ((i = 0; i < 50; i++)); do
	[ "$(wu | jq -r .cgroup)" = "${CGBASE#"$CG"}/$unit" ] && break
	sleep 0.2
done
[ "$(wu | jq -r .cgroup)" = "${CGBASE#"$CG"}/$unit" ] || nodes_fail "the unit's cgroup not found: $(wu)"
segv 1
rmdir "$CGBASE/$unit" || fail "rmdir $unit"
for ((i = 0; i < 50; i++)); do
	[ -z "$(wu | jq -r '.cgroup // empty')" ] && break
	sleep 0.2
done
[ -z "$(wu | jq -r '.cgroup // empty')" ] || nodes_fail "the unit's cgroup still seen: $(wu)"
mkdir "$CGBASE/$unit" || fail "mkdir $unit again"
segv 2
sleep 3
[ "$(wu | jq .kills_in_window)" = 2 ] || nodes_fail "the unit charged again for its old kill: $(wu)"
log "the unit stopped and back: $(wu | jq -c '{cgroup, kills_in_window, health}')"
# A reload that raises move_on_kills: the kills held are kept, and more fit.
sed -i 's/^move_on_kills = 3$/move_on_kills = 5/' "$SCRATCH/heald.conf"
kill -HUP "$HEALD_PID"
sleep 2
segv 3
segv 4
log "move_on_kills 3 -> 5 by a reload: $(wu | jq -c '{kills_in_window}')"

# 4. A crash storm in more cgroups than heald tracks (64), as any user can
# make in a subtree of their own: the unit's cgroup made anew after it (a
# restart: a new cgroup id) still has its kill counted; and a crash loop
# is logged once a second, not once a crash.
for ((k = 0; k < 80; k++)); do
	mkdir "$CGBASE/storm$k" || fail "mkdir storm$k"
	_wl_cgroups+=("$CGBASE/storm$k")
	{ bash -c 'echo $$ > "$1/cgroup.procs" && ulimit -c 0 && exec sh -c "kill -SEGV \$\$"' _ "$CGBASE/storm$k"; } 2>/dev/null
done
for ((k = 0; k < 40; k++)); do
	{ bash -c 'echo $$ > "$1/cgroup.procs" && ulimit -c 0 && exec sh -c "kill -SEGV \$\$"' _ "$CGBASE/storm0"; } 2>/dev/null
done
sleep 2
rmdir "$CGBASE/$unit" || fail "rmdir $unit"
mkdir "$CGBASE/$unit" || fail "mkdir $unit again"
segv 5
n=$(grep -c "in ${CGBASE#"$CG"}/storm0[, ]" "$SCRATCH/heald.log")
log "80 cgroups crashed, then the unit's new cgroup: $(wu | jq -c '{kills_in_window}'); storm0's 41 crashes in $n log lines"
[ "$n" -lt 20 ] || nodes_fail "a crash loop logged $n lines for 41 crashes"
grep -q "[0-9]* more crashes or OOM kills in ${CGBASE#"$CG"}/storm0 in the last second" "$SCRATCH/heald.log" ||
	nodes_fail "no line says how many crashes went unlogged"
heald_done

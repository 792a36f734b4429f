#!/usr/bin/env bash
# healtop's Workloads panel (issue 13: workloads "shown in healctl status,
# --json, metrics and a healtop panel"), against the real heald (the
# ASan+UBSan build) with two [workload] sections over process trees this
# test starts in cgroups of its own:
#  - batch: kind = none, three processes, drained (heald keeps it: it has
#    no way to move it, and says so);
#  - web: kind = hook, drained; its hook takes the decision and holds the
#    move open until the test lets it finish, then stops the workload.
# `healtop --once` must say what `healctl status --json` of the same heald
# says: each workload's state, health, kind, processes and drained; web's
# move under way (its step and decision), then its last outcome.  A heald
# without [workload] or [peer] sections gets one line saying so.
here=$(cd "$(dirname "$0")" && pwd)
HEALD=${HEALD:-$here/../../build/asan/bin/heald}
. "$here/common.sh"
command -v jq > /dev/null || skip "no jq"
[ -x "$HEALD" ] || skip "no $HEALD: make -C userspace asan"
root=$(findmnt -n -t cgroup2 -o TARGET | head -1)
[ -n "$root" ] || skip "no cgroup v2 mount"
tmux=$(command -v tmux)	# without it, --once only
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

base=heal-out$$
T=(tmux -L "heal-out$$" -f /dev/null)
stop_workloads() {
	local d
	for d in "$root/$base/web" "$root/$base/batch"; do
		[ -e "$d/cgroup.kill" ] && echo 1 > "$d/cgroup.kill" 2>/dev/null
	done
	sleep 0.2
	rmdir "$root/$base/web" "$root/$base/batch" "$root/$base" 2>/dev/null
}
trap '"${T[@]}" kill-server 2>/dev/null; stop_workloads; cleanup' EXIT
mkdir "$root/$base" || skip "cannot make a cgroup under $root"
# memory.current in the workloads' cgroups, when the host's root delegates it.
echo +memory > "$root/$base/cgroup.subtree_control" 2>/dev/null
mkdir "$root/$base/web" "$root/$base/batch" || fail "mkdir cgroups"

# A process tree in cgroup NAME: a shell and two sleeps, on its own session,
# not a job of this shell (which would report its kill).
workload() {	# workload NAME
	# shellcheck disable=SC2016  # the workload's own shell expands these
	(setsid sh -c 'echo $$ > "$1/cgroup.procs" || exit 1; sleep 1000 & sleep 1000 & wait' _ \
		"$root/$base/$1" < /dev/null > /dev/null 2>&1 &)
}

# healtop --once's lines of the Workloads section (also in $SCRATCH/once, for the log).
wl_once() {
	"$HEALTOP" --once > "$SCRATCH/once.all" || return
	sed -n '/^Workloads:/,/^Not ok:/p' "$SCRATCH/once.all" | tee "$SCRATCH/once"
}
show_once() { sed 's/^/# /' "$SCRATCH/once"; }

# healtop on an 80x24 terminal (tmux); pane() captures it into $SCRATCH/pane
# once it shows $1, and logs it.
# A session of its own keeps tmux's server up between the two healtops (the
# server exits with its last session: see test_outputs_03).
top_start() {
	"${T[@]}" has-session -t keep 2>/dev/null ||
		"${T[@]}" new-session -d -s keep "sleep 600" || fail "tmux"
	"${T[@]}" new-session -d -s top -x 80 -y 24 "$HEALTOP" || fail "tmux"
}
top_stop() { "${T[@]}" kill-session -t top 2>/dev/null; }
pane() {	# pane REGEX
	local i
	for ((i = 0; i < 30; i++)); do
		"${T[@]}" capture-pane -p -t top > "$SCRATCH/pane"
		grep -Eq "$1" "$SCRATCH/pane" && break
		sleep 0.1
	done
	grep -v "^ *$" "$SCRATCH/pane" | sed 's/^/# 80x24: /'
	grep -Eq "$1" "$SCRATCH/pane"
}

heald_stop() {
	kill "$HEALD_PID" 2>/dev/null
	wait "$HEALD_PID" 2>/dev/null
	if grep -Eq 'ERROR: AddressSanitizer|runtime error:' "$SCRATCH/heald.log"; then
		fail "sanitizer report in heald: $(cat "$SCRATCH/heald.log")"
	fi
}

# On the host: heald finds a workload's cgroup under the cgroup2 mount,
# which the mount namespace of ip netns exec does not have.
ON_HOST=1
heald_bare "metrics_port = 0" "poll_ms = 200"
out=$(wl_once) || fail "healtop --once: exit $?"
show_once
grep -qx '  (no \[workload\] or \[peer\] section in heald.s configuration)' <<< "$out" ||
	fail "no workload configured: not said in one line"
if [ -n "$tmux" ]; then
	# No room taken on screen, until w asks for the panel: then its one line.
	top_start
	pane "Events & actions" || fail "healtop did not start"
	grep -q "Workloads" "$SCRATCH/pane" && fail "an empty Workloads panel takes room"
	"${T[@]}" send-keys -t top w
	pane "no \[workload\] or \[peer\] section" || fail "w: the panel does not say why it is empty"
	grep -q "^>Workloads" "$SCRATCH/pane" || fail "w: the Workloads panel is not focused"
	top_stop
fi
heald_stop

cat > "$SCRATCH/hook.sh" <<EOF
#!/bin/sh
# A cluster manager's drain, held open until the test says go.
cat > "$SCRATCH/hook.in"
while [ ! -e "$SCRATCH/go" ]; do sleep 0.1; done
echo 1 > "$root/$base/web/cgroup.kill"
EOF
chmod 755 "$SCRATCH/hook.sh"
workload web
workload batch
heald_bare "metrics_port = 0" "poll_ms = 200" \
	"[workload web]" "cgroup = /$base/web" "kind = hook" "hook = $SCRATCH/hook.sh" "deadline = 60" \
	"[workload batch]" "cgroup = /$base/batch"
wl() { "$HEALCTL" status --json | jq -c ".heald.migration.workloads[] | select(.name == \"$1\")"; }
for ((i = 0; i < 50; i++)); do
	[ "$(wl web | jq .processes)" = 3 ] && [ "$(wl batch | jq .processes)" = 3 ] && break
	sleep 0.2
done
[ "$i" -lt 50 ] || fail "heald does not see both trees: $(wl web) $(wl batch)"
"$HEALCTL" drain batch > /dev/null || fail "drain batch"
"$HEALCTL" drain web > /dev/null || fail "drain web"
for ((i = 0; i < 50; i++)); do
	[ "$(wl web | jq -r .move.step)" = hook ] && break
	sleep 0.2
done
[ "$i" -lt 50 ] || fail "web's move did not start: $(wl web)"

# What healtop says of workload $1 is what heald's JSON ($2) says.
wl_expect() {	# wl_expect NAME JSON ONCE
	local re
	re=$(jq -r '"^  workload \(.name) +\(.state) +\(.health) +\(.kind)"
		+ (if .drain then ", drained" else "" end) + "(, moving[^,]*)?, \(.processes) process(es)?, "' \
		<<< "$2")
	grep -Eq "$re" <<< "$3" || { log "want /$re/"; return 1; }
	# Not drained: healtop must not say so.
	[ "$(jq .drain <<< "$2")" = true ] || ! grep -E "^  workload $1 .*drained" <<< "$3" > /dev/null
}
# Both views of one moment: the inventory may change between the two reads, so try again.
for ((i = 0; i < 10; i++)); do
	st=$("$HEALCTL" status --json) || fail "healctl status --json"
	out=$(wl_once) || fail "healtop --once: exit $?"
	web=$(jq -c '.heald.migration.workloads[] | select(.name == "web")' <<< "$st")
	batch=$(jq -c '.heald.migration.workloads[] | select(.name == "batch")' <<< "$st")
	wl_expect web "$web" "$out" && wl_expect batch "$batch" "$out" && break
	sleep 0.3
done
show_once
log "heald: $web"
[ "$i" -lt 10 ] || fail "healtop --once does not say what heald's status does"
jq -e '.state == "moving" and .drain == true and .processes == 3' <<< "$web" > /dev/null ||
	fail "web: $web"
jq -e '.state == "running" and .drain == true and .processes == 3 and .kind == "none"' <<< "$batch" \
	> /dev/null || fail "batch: $batch"
grep -Eq "^  workload web +moving +[a-z]+ +hook, drained, moving: hook for [0-9]+s \(#$(jq .move.decision <<< "$web")\), " \
	<<< "$out" || fail "web's move under way is not shown"
# heald keeps batch (kind = none) and says why: the reason is on its line.
reason=$(jq -r '.reason // empty' <<< "$batch")
[ -z "$reason" ] || grep -qF "$reason" <<< "$out" || fail "batch's reason is not shown: $reason"
grep -Eq '^  this node [^:]+: takes [^,]+, receiving 0, holds 0; 1 move out under way$' <<< "$out" ||
	fail "what this node receives"
if [ -n "$tmux" ]; then
	# The panel on screen, among the others: a row each, health, drained, the move.
	top_start
	pane "^ *batch +running" || fail "the Workloads panel does not show batch"
	grep -Eq "^ Workloads +state +health" "$SCRATCH/pane" || fail "no Workloads panel"
	grep -Eq "^web +moving +ok +hook, drained, moving: hook for" "$SCRATCH/pane" || fail "the panel: web"
	grep -Eq "^batch +running +ok +none, drained, 3 processes, " "$SCRATCH/pane" ||
		fail "the panel: batch"
	grep -q "Events & actions" "$SCRATCH/pane" || fail "the log lost its place"
	# Enter on web: why heald decided its move (healctl why's words).
	"${T[@]}" send-keys -t top w Enter
	pane "why #$(jq .move.decision <<< "$web")" || fail "Enter on web: not why its move"
	grep -q "decision: hand-off, by operator" "$SCRATCH/pane" || fail "Enter on web: no decision"
	top_stop
fi

# The hook finishes: web moved (its processes gone), its last outcome shown.
touch "$SCRATCH/go"
for ((i = 0; i < 50; i++)); do
	[ "$(wl web | jq -r '.last_move.outcome')" = moved ] &&
		[ "$(wl web | jq -r '"\(.state) \(.processes)"')" = "moved 0" ] && break
	sleep 0.2
done
[ "$i" -lt 50 ] || fail "web's move did not end: $(wl web)"
web=$(wl web)
out=$(wl_once) || fail "healtop --once: exit $?"
show_once
log "heald: $web"
grep -Eq "^  workload web +moved +[a-z]+ +hook, drained, 0 processes, .*; last move moved [0-9]+s ago \(#$(jq .last_move.decision <<< "$web")\): the hook moved it$" \
	<<< "$out" || fail "web's last move is not shown"
kill -0 "$HEALD_PID" || fail "heald died"
heald_stop

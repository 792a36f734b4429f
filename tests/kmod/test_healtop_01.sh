#!/usr/bin/env bash
# healtop under tmux over a real mirror and heald.  The device and its legs
# show; a scrub asked by keys (with y) is in heald's journal; leg 1 failing
# through an independent fault source (dm-error under it, heald failing the
# leg) turns failed on screen within two refreshes and the event shows in
# the log; a spare added by keys is journaled and rebuilt onto, with a
# progress bar and ETA; at 80x24 and
# 200x60 every line fits and the footer is the last row; a crash shows in
# the Processes panel; heald restarted,
# the console says disconnected, then reconnects; --once says the same,
# and exits 3 without heald.  A user who may read but not act gets heald's
# "permission denied".
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

export LC_ALL=C.UTF-8	# sparklines in UTF-8; ${#line} counts characters
HEALTOP=${HEALTOP:-$(dirname "$HEALCTL")/healtop}
[ -x "$HEALTOP" ] || skip "$HEALTOP is not built (make -C tui)"
command -v tmux > /dev/null || skip "tmux is not installed"
TM=healtop-test-$$
REFRESH=1

tm() { tmux -L "$TM" "$@"; }
screen() { tm capture-pane -t ht -p; }
# screen_wait REGEX SECONDS: the screen shows REGEX (extended) in time
# (SECONDS may be a fraction; the time is wall-clock, captures included).
screen_wait() {
	local end
	end=$(awk -v n="$EPOCHREALTIME" -v s="$2" 'BEGIN { printf "%.3f", n + s }')
	while :; do
		screen | grep -Eq -- "$1" && return 0
		awk -v n="$EPOCHREALTIME" -v e="$end" 'BEGIN { exit !(n > e) }' && break
		sleep 0.1
	done
	screen
	fail "the screen shows no '$1' within $2 s"
}
# fits W H: every line of the screen within W columns, H lines, footer last.
fits() {
	local w=$1 h=$2 line n=0 last=
	while IFS= read -r line; do
		n=$((n + 1))
		[ "${#line}" -le "$w" ] || fail "at ${w}x$h line $n has ${#line} columns: '$line'"
		last=$line
	done < <(screen)
	[ "$n" -eq "$h" ] || fail "at ${w}x$h the capture has $n lines"
	[[ "$last" == "?help"* ]] || { screen; fail "at ${w}x$h the last row is not the footer: '$last'"; }
	for p in Disks Network Processes "Events & actions"; do
		screen | grep -q "^.$p" || { screen; fail "at ${w}x$h the $p panel is missing"; }
	done
	log "${w}x$h: $n lines, none wider than $w, footer last, all four panels"
}
keys() { tm send-keys -t ht "$@"; sleep 0.3; }

make_loop 64; l0=$LOOP
make_loop 64; l1=$LOOP
make_loop 64; s0=$LOOP
make_dm_linear heal-top1 "$l1"; m1=$DM
make_healblk "$l0" "$m1"; dev=$HB
"$HEALCTL" set "$dev" --fail-errors 0 || fail "set --fail-errors 0"	# heald decides
head -c 16M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
# Readers in the nogroup group may read (for the non-root check below).
heald_start "serd_n = 4" "serd_t = 60" "cooldown = 0" "group = nogroup"
chmod 755 "$SCRATCH"

tm new-session -d -s ht -x 80 -y 24 \
	"env HEAL_SOCKET=$HEAL_SOCKET LANG=C.UTF-8 TERM=screen $HEALTOP -d $REFRESH" ||
	fail "tmux new-session"
_pids+=("$(tm display-message -p -t ht '#{pid}')")	# the tmux server: cleanup ends it
screen_wait "^$dev +optimal +ok" 5
screen_wait "^  leg0 $(basename "$l0") +in_sync +ok" 3
screen_wait "^  leg1 $(basename "$(readlink -f "$m1")") +in_sync +ok" 3
fits 80 24

# An action by keys: the device row is selected first; c, then y.
keys c
screen_wait "scrub $dev\\? \\(y/n\\)" 2
keys y
journal_wait '.type == "decision" and .action == "scrub" and .by == "operator"' 10
screen_wait "scrub $dev: decision #[0-9]+, done" 3
log "at ${SECONDS}s: scrub by keys journaled: $(echo "$JOURNAL_HIT" | jq -c '{id, action, resource, reason}')"
# n cancels: nothing more journaled.
keys c
keys n
sleep 1
[ "$(journal_json | jq '[.[] | select(.action == "scrub")] | length')" = 1 ] ||
	fail "n did not cancel the scrub"

# Leg 1 fails through dm-error; heald fails it (no spare: fail-leg).
dm_swap_error heal-top1 "$l1" $((META + 16384)) 8192
write_blocks "/dev/$dev" 16384 6 "$SCRATCH/data"
for ((i = 0; i < 100; i++)); do
	[ "$(leg_field "$dev" 1 state)" = failed ] && break
	sleep 0.1
done
[ "$(leg_field "$dev" 1 state)" = failed ] || fail "leg 1 did not fail"
# Two refreshes, and half a second for tmux's capture in a loaded VM.
t0=$EPOCHREALTIME
screen_wait "^  leg1 [^ ]+ +failed +failed" "$((2 * REFRESH)).5"
log "leg 1 failed on screen $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s after the kernel said so (refresh $REFRESH s)"
screen_wait "kernel .*$dev leg1 in_sync -> failed" 2
screen_wait "fail-leg $dev/leg1 by policy" 2
screen | sed 's/^/| /'	# what the operator saw, for the log

# Enter on the decision shows why: filter the log down to heald's own
# decisions, focus the log (the 4th panel; its newest line selected), Enter.
keys /
tm send-keys -t ht -l "by policy"
keys Enter
keys Tab Tab Tab
keys Enter
screen_wait "why #[0-9]+" 3
screen_wait "because: +leg 1 is failing" 2
screen_wait "evidence: " 2
keys Escape
keys / Escape
keys Tab	# back to Disks

# A process dies of SIGSEGV: when heald (procmon) counts it for its
# cgroup, the Processes panel shows the crash, the cgroup degraded.
(bash -c 'ulimit -c 0; kill -SEGV $$'; true) 2> /dev/null
for ((i = 0; i < 30; i++)); do
	crashed=$("$HEALCTL" status --json | jq -r '[.heald.workloads[]? | select(.crashes > 0)][0].cgroup // empty')
	[ -n "$crashed" ] && break
	sleep 0.2
done
if [ -n "$crashed" ]; then
	tail=${crashed:$((${#crashed} > 20 ? ${#crashed} - 20 : 0))}	# a long path is cut from the left
	screen_wait "^ {10} *[0-9]+ +[1-9][0-9]* +degraded +[^ ]*$tail" $((2 * REFRESH + 1))
	log "a crash in $crashed is on screen (at ${SECONDS}s)"
else
	log "heald counted no crash (procmon not attached here: $("$HEALCTL" status --json | jq -r .heald.heald.bpf)): Processes panel not checked"
fi

# A spare by keys: a, its path, Enter, y.  heald then rebuilds onto it,
# throttled to 8 MiB/s so that its progress bar is on screen for a while.
"$HEALCTL" set "$dev" --sync-min 8192 --sync-max 8192 || fail "set --sync-min/max"
keys Home a
tm send-keys -t ht -l "$s0"
keys Enter
screen_wait "add $s0 as a spare of $dev\\? \\(y/n\\)" 2
keys y
journal_wait '.type == "decision" and .action == "add-spare" and .by == "operator"' 10
journal_wait '.type == "decision" and .action == "rebuild"' 20
log "at ${SECONDS}s: spare by keys journaled; heald rebuilds: $(echo "$JOURNAL_HIT" | jq -r .reason)"
screen_wait "^$dev +degraded .*rebuild leg1 \[[#.]+\] +[0-9]+% [0-9.]+MB/s ETA [0-9]" 3
screen_wait "^  leg1 $(basename "$s0") +rebuilding" 2
screen | grep -E "^$dev " | sed 's/^/| /'

tm resize-window -t ht -x 200 -y 60
sleep $((REFRESH + 1))
fits 200 60
screen | sed -e 's/ *$//' -e 's/^/| /'
# s sorts the focused panel (the title says by what); p pauses.
keys s
screen_wait "^>Disks .* sort: health " 2
keys s s s
screen_wait "^>Disks .* sort: name " 2
keys p
screen_wait " PAUSED( |$)" 2
keys p
sleep 0.5
screen | grep -Eq " PAUSED( |$)" && fail "p did not resume"
tm resize-window -t ht -x 80 -y 24
sleep $((REFRESH + 1))
fits 80 24

# --once: the same facts, as text.
"$HEALTOP" --once > "$SCRATCH/once" || fail "--once exited $?"
grep -Eq "^  $dev  state " "$SCRATCH/once" || { cat "$SCRATCH/once"; fail "--once: no device"; }
grep -Eq "^    leg0 $(basename "$l0") +in_sync" "$SCRATCH/once" || { cat "$SCRATCH/once"; fail "--once: leg 0"; }
grep -Eq "fail-leg $dev/leg1 by policy" "$SCRATCH/once" || { cat "$SCRATCH/once"; fail "--once: no decision in the log"; }
grep -Eq "#[0-9]+ scrub $dev by operator" "$SCRATCH/once" || { cat "$SCRATCH/once"; fail "--once: no scrub in the log"; }
if [ -n "$crashed" ]; then
	grep -Fq "  $crashed oom kills " "$SCRATCH/once" || { cat "$SCRATCH/once"; fail "--once: no crashed cgroup"; }
fi
log "--once: $(head -2 "$SCRATCH/once" | tail -1)"

# Read but not act: nobody in nogroup, which heald lets read.
if setpriv --reuid=65534 --regid=65534 --clear-groups "$HEALTOP" --once > /dev/null 2>&1; then
	tm new-window -t ht -n ro \
		"setpriv --reuid=65534 --regid=65534 --clear-groups env HEAL_SOCKET=$HEAL_SOCKET TERM=screen $HEALTOP"
	sleep 1.5
	tm send-keys -t ht:ro Home c
	sleep 0.3
	tm send-keys -t ht:ro y
	for ((i = 0; i < 15; i++)); do
		tm capture-pane -t ht:ro -p | grep -q "refused: permission denied: actions are for root" && break
		sleep 0.2
	done
	tm capture-pane -t ht:ro -p | grep -q "refused: permission denied: actions are for root" ||
		{ tm capture-pane -t ht:ro -p; fail "non-root: no permission denied"; }
	tm kill-window -t ht:ro
	log "non-root: heald's 'permission denied: actions are for root' on screen"
else
	log "non-root check skipped: nobody cannot run $HEALTOP here"
fi

# heald restarts: disconnected, then reconnected.
kill -TERM "$HEALD_PID"
wait "$HEALD_PID" 2>/dev/null
screen_wait "^DISCONNECTED: " $((2 * REFRESH + 1))
"$HEALTOP" --once > /dev/null 2>&1
rc=$?
[ "$rc" = 3 ] || fail "--once without heald exited $rc, not 3"
heald_start "serd_n = 4" "serd_t = 60" "cooldown = 0" "group = nogroup"
screen_wait "reconnected to heald \\(pid $HEALD_PID, restarted\\)" $((2 * REFRESH + 2))
screen | grep -q "^DISCONNECTED" && fail "still disconnected after reconnecting"
log "at ${SECONDS}s: heald restarted: disconnected, then reconnected to pid $HEALD_PID"
tm send-keys -t ht q
sleep 0.5
tm has-session -t ht 2> /dev/null && fail "q did not quit"
exit "$ksft_pass"

#!/usr/bin/env bash
# healtop leaves when its terminal does: at end of file on its input
# (< /dev/null) and when the terminal goes away without a SIGHUP reaching
# it (a dropped SSH session; here healtop is in a session of its own, so
# closing the pane hangs up its terminal but signals nobody in it).  Both
# used to spin at 100% of a core forever.  Bounded: 3 s each.
. "$(dirname "$0")/common.sh"
command -v tmux > /dev/null || skip "no tmux"

T=(tmux -L "heal-out$$" -f /dev/null)
trap '"${T[@]}" kill-server 2>/dev/null; cleanup' EXIT
# A session of its own keeps the server up between the tests' sessions: a
# healtop that leaves at once ends its session, and the server, which exits
# with its last session, was once still exiting when the next session came
# ("server exited unexpectedly" on a loaded machine).
"${T[@]}" new-session -d -s keep "sleep 600" || fail "tmux"
export HEAL_SOCKET=$SCRATCH/nobody.sock	# no heald: healtop keeps trying
cat > "$SCRATCH/healtop.sh" <<SH
#!/bin/sh
echo \$\$ > "$SCRATCH/pid"
exec "$HEALTOP" "\$@"
SH
chmod +x "$SCRATCH/healtop.sh"

start() {	# start SESSION COMMAND: healtop's pid in $PID
	SESSION=$1
	rm -f "$SCRATCH/pid"
	"${T[@]}" new-session -d -s "$1" -x 100 -y 30 "$2" || fail "tmux"
	for ((i = 0; i < 50; i++)); do
		[ -s "$SCRATCH/pid" ] && break
		sleep 0.05
	done
	PID=$(cat "$SCRATCH/pid" 2>/dev/null) || fail "healtop did not start"
	_pids+=("$PID")
}

# Gone within 3 s, or fail with the CPU it burnt meanwhile.
gone_within_3s() {	# gone_within_3s WHAT
	local i cpu
	for ((i = 0; i < 30; i++)); do
		kill -0 "$PID" 2>/dev/null || { log "$1: healtop left after $((i * 100)) ms"; return 0; }
		sleep 0.1
	done
	cpu=$(cpu_s "$PID")
	# Seen once in a CI rehearsal under heavy load (q, 0.00 s of CPU): where it waits.
	log "healtop: $(grep -E '^(State|SigBlk|SigIgn):' "/proc/$PID/status" 2>/dev/null | tr '\n\t' '  ')" \
		"wchan $(cat "/proc/$PID/wchan" 2>/dev/null); its screen: $("${T[@]}" capture-pane -p -t "$SESSION" 2>/dev/null | grep -v '^$' | tail -3 | tr '\n' '|')"
	kill -9 "$PID" 2>/dev/null
	fail "$1: healtop still runs after 3 s, having used $cpu s of CPU"
}

# 1. End of file on standard input.
start eof "$SCRATCH/healtop.sh < /dev/null"
gone_within_3s "stdin at EOF"

# 2. The terminal hung up, no SIGHUP: it runs (idle) until then.
start hup "setsid -w $SCRATCH/healtop.sh"
sleep 1
kill -0 "$PID" 2>/dev/null || fail "healtop died on its own terminal"
cpu=$(cpu_s "$PID")
log "idle on its terminal: $cpu s of CPU in 1 s"
awk -v c="$cpu" 'BEGIN { exit !(c < 0.3) }' || fail "healtop idle used $cpu s of CPU in 1 s"
"${T[@]}" kill-session -t hup
gone_within_3s "terminal hung up"

# 3. Keys still work, an escape sequence (an arrow) included: only q quits.
start keys "$SCRATCH/healtop.sh"
sleep 0.5
"${T[@]}" send-keys -t keys '?' Escape Down Up Escape
sleep 0.5
kill -0 "$PID" 2>/dev/null || fail "healtop left on keys that are not q"
"${T[@]}" send-keys -t keys q
gone_within_3s "q"
exit 0

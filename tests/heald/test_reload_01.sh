#!/usr/bin/env bash
# SIGHUP reads the configuration again (issue 14; `systemctl reload heald`
# sends it): a change that can be made live is made at once (dry run, the
# metrics port: listened on anew), a key bound at start (the socket) keeps
# its old value with a warning, a reload is journaled, and a file that does
# not parse changes nothing: heald keeps what it runs with and says why,
# with the file and line.  [workload] and [peer] sections wait for a
# restart too (issue 13).  heald --version names VERSION's version.
. "$(dirname "$0")/common.sh"

version=$(cat "$top/VERSION")
"$HEALD" --version | grep -Eq "^heald $version \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)$" ||
	fail "heald --version: '$("$HEALD" --version)', VERSION says $version"
log "$("$HEALD" --version)"

port2=$((METRICS_PORT + 1))
heald_conf
heald_start
scrape() { ip netns exec "$NS" curl -s -m 2 "http://127.0.0.1:$1/metrics"; }
scrape "$METRICS_PORT" | grep -q '^heald_dry_run 0' || fail "no metrics on $METRICS_PORT before the reload"

# Live: dry run and the metrics port.  Bound at start: the socket.
heald_conf "dry_run = yes" "socket = $SCRATCH/other.sock"
sed -i "s/^metrics_port = .*/metrics_port = $port2/" "$SCRATCH/heald.conf"
kill -HUP "$HEALD_PID"
for ((i = 0; i < 50; i++)); do
	[ "$(hc status | jq -r '.heald.dry_run')" = true ] && break
	sleep 0.1
done
[ "$(hc status | jq -r '.heald.dry_run')" = true ] || fail "dry_run = yes did not take effect on SIGHUP"
scrape "$port2" | grep -q '^heald_dry_run 1' || fail "no metrics on the new port $port2"
scrape "$METRICS_PORT" > /dev/null && fail "the old metrics port $METRICS_PORT still answers"
grep -q "reload: socket changed: takes effect at the next restart" "$SCRATCH/heald.log" ||
	fail "no warning that the socket waits for a restart"
{ [ -S "$SOCK" ] && [ ! -e "$SCRATCH/other.sock" ]; } || fail "the socket moved on a reload"
hc journal | jq -e '[.entries[] | select(.type == "reload")] | length == 1 and
	(.[0].dry_run == true) and (.[0].at_restart == ["socket"])' > /dev/null ||
	fail "no reload entry in the journal: $(hc journal | jq -c '.entries[-1]')"
log "dry run on, metrics moved to $port2, the socket kept, the reload journaled"

# A bad file: nothing changes, the log names the line.
printf 'dry_run = no\nno_such_key = 1\n' > "$SCRATCH/heald.conf"
kill -HUP "$HEALD_PID"
for ((i = 0; i < 50; i++)); do
	grep -q "reload: .*heald.conf:2: unknown key 'no_such_key'" "$SCRATCH/heald.log" && break
	sleep 0.1
done
grep -q "reload: .*heald.conf:2: unknown key 'no_such_key': keeping the configuration" "$SCRATCH/heald.log" ||
	fail "a bad file on reload is not reported with its line"
[ "$(hc status | jq -r '.heald.dry_run')" = true ] || fail "a bad file on reload changed the configuration"
scrape "$port2" > /dev/null || fail "a bad file on reload stopped the metrics"
log "a bad file on reload: reported with its line, the running configuration kept"

# Workloads and peers are bound at start (moves under way hold them): a
# change waits for a restart, the global migration keys do not.
heald_conf "dry_run = yes" "max_moves = 3" "[workload w]" "cgroup = /heal-reload-none" \
	"[peer p]" "address = 192.0.2.9"
sed -i "s/^metrics_port = .*/metrics_port = $port2/" "$SCRATCH/heald.conf"
kill -HUP "$HEALD_PID"
for ((i = 0; i < 50; i++)); do
	grep -q "reload: \[peer\] sections changed" "$SCRATCH/heald.log" && break
	sleep 0.1
done
grep -q "reload: \[workload\] sections changed: take effect at the next restart" "$SCRATCH/heald.log" ||
	fail "no warning that [workload] waits for a restart"
hc journal | jq -e '[.entries[] | select(.type == "reload")][-1].at_restart == ["workload", "peer"]' \
	> /dev/null || fail "the reload entry: $(hc journal | jq -c '.entries[-1]')"
[ "$(hc status | jq '.heald.migration.workloads | length')" = 0 ] ||
	fail "a workload appeared on reload: $(hc status | jq -c '.heald.migration')"
log "[workload] and [peer] changes kept for the next restart"
heald_done

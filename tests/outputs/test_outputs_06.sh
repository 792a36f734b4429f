#!/usr/bin/env bash
# A cgroup named by a workload (" \ and an escape sequence in
# it) where a process crashes: heald (procmon) counts the crash under
# that name; the scrape stays valid for promtool with the name escaped,
# and healctl status shows it without a control character; status --test
# stays 0 (a crash in any cgroup is no node health).
. "$(dirname "$0")/common.sh"
command -v promtool > /dev/null || skip "no promtool (apt-get install prometheus)"
root=$(findmnt -n -t cgroup2 -o TARGET | head -1)
[ -n "$root" ] || skip "no cgroup v2 mount"

# The quote and the backslash are the name's own (not shell quoting).
# shellcheck disable=SC2089
name="heal-out$$\"q\\x2d"$'\e[2JZ'
cg=$root/$name
# shellcheck disable=SC2090  # $cg is expanded when the trap runs, quoted
trap 'rmdir "$cg" 2>/dev/null; cleanup' EXIT
mkdir "$cg" || skip "cannot make a cgroup under $root"
# On the host: procmon names a cgroup by finding its directory, and the
# mount namespace of ip netns exec has no cgroup2 mount.  Its own port.
ON_HOST=1
METRICS=127.0.0.1:19583
heald_bare "metrics_port = 19583" "bpf = yes" "poll_ms = 200"
"$HEALCTL" status --json | jq -e '.heald.heald.bpf | . != "off" and (test("procmon") | not)' > /dev/null ||
	skip "procmon not loaded: $("$HEALCTL" status --json | jq -r .heald.heald.bpf)"
# A child joins the cgroup and dies of SIGSEGV (no core file).
{ bash -c 'echo $$ > "$1/cgroup.procs" && ulimit -c 0 && exec sh -c "kill -SEGV \$\$"' _ "$cg"; } 2>/dev/null
for ((i = 0; i < 50; i++)); do
	scrape "$METRICS" > "$SCRATCH/metrics" 2>/dev/null && grep -q "^heal_crashes_total{cgroup=\".*heal-out$$.*} 1$" "$SCRATCH/metrics" && break
	sleep 0.1
done
grep "heal_crashes_total" "$SCRATCH/metrics" | cat -v | sed 's/^/# /'
[ "$i" -lt 50 ] || fail "no crash counted for the cgroup in 5 s"
promtool check metrics < "$SCRATCH/metrics" > "$SCRATCH/promtool" 2>&1
rc=$?
sed 's/^/# promtool: /' "$SCRATCH/promtool"
[ $rc -eq 0 ] || fail "promtool check metrics: exit $rc"
grep -qF "heal-out$$\\\"q\\\\x2d"$'\e[2JZ"} 1' "$SCRATCH/metrics" || fail "the cgroup's label is not escaped as it should be"
"$HEALCTL" status > "$SCRATCH/status" 2>&1
cat -v "$SCRATCH/status" | sed 's/^/# /'
grep -q "$ESC" "$SCRATCH/status" && fail "healctl status: an escape character reaches the terminal"
grep -qF "heal-out$$\"q\\x2d\\x1b[2JZ" "$SCRATCH/status" || fail "healctl status does not show the cgroup"
# Any user's process may crash: no node health.  Else any local user
# keeps status --test (a Nagios check) at WARNING.
"$HEALCTL" status --test > "$SCRATCH/test" 2>&1
rc=$?
[ $rc = 0 ] || fail "a crash in a cgroup made status --test exit $rc: $(cat -v "$SCRATCH/test")"
exit 0

#!/usr/bin/env bash
# Names heald passes on (an interface named with an escape sequence here:
# the kernel refuses only / : and white space) reach a terminal through
# `healctl status` and `healtop --once` as visible text, never as control
# characters the terminal would obey.
. "$(dirname "$0")/common.sh"

node_only
bad=$'t\e[31mX'
# Up without carrier (its peer is down): heald lists it as failed.
ip -n "$NODE" link add "$bad" type veth peer name pz || fail "veth"
ip -n "$NODE" link set "$bad" up
heald_bare "metrics_port = 0"
"$HEALCTL" status > "$SCRATCH/status" 2>&1
rc=$?
"$HEALTOP" --once > "$SCRATCH/once" 2>&1
rc2=$?
sed 's/^/# healctl: /' "$SCRATCH/status" | cat -v
sed 's/^/# healtop: /' "$SCRATCH/once" | cat -v
[ $rc -eq 0 ] || fail "healctl status: exit $rc"
[ $rc2 -eq 0 ] || fail "healtop --once: exit $rc2"
for f in status once; do
	grep -q "$ESC" "$SCRATCH/$f" && fail "$f: an escape character reaches the terminal"
	grep -qF 'link:t\x1b[31mX' "$SCRATCH/$f" || fail "$f: the link is not shown as t\\x1b[31mX"
done
# JSON is for programs: the name as it is, escaped by JSON's own rules.
"$HEALCTL" status --json | jq -e '.heald.links | map(.name) | index("t\u001b[31mX")' > /dev/null ||
	fail "healctl status --json lost the name"
exit 0

#!/usr/bin/env bash
# The runner of the host test suites (tests/net, tests/heald,
# tests/outputs): every DIR/test_*.sh, or those named, as root, one TAP
# line each with its output as comments, each cut at SECONDS, or at what
# its own "# heal-test-timeout: N" line says (kselftest's per-test
# settings, for a test that boots a guest).
#   tests/host_run.sh DIR SECONDS [test_x_01 ...]
set -u
dir=${1:?usage: tests/host_run.sh DIR SECONDS [TEST...]}
secs=${2:?usage: tests/host_run.sh DIR SECONDS [TEST...]}
shift 2
tests=()
for t in "$dir"/test_*.sh; do
	name=$(basename "$t" .sh)
	[ $# -eq 0 ] || [[ " $* " == *" $name "* ]] && tests+=("$t")
done
echo "TAP version 13"
echo "1..${#tests[@]}"
n=0 failed=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	name=$(basename "$t" .sh)
	start=$(date +%s)
	log=$(mktemp "/tmp/heal-$name.XXXXXX")
	t_secs=$(sed -n 's/^# heal-test-timeout: \([0-9][0-9]*\).*/\1/p' "$t" | head -1)
	timeout -k 5 "${t_secs:-$secs}" "$t" > "$log" 2>&1
	rc=$?
	sed 's/^/# /' "$log"
	case $rc in
	0) echo "ok $n $name # $(( $(date +%s) - start ))s" ;;
	4) echo "ok $n $name # SKIP $(grep -m1 '^SKIP' "$log")" ;;
	*) echo "not ok $n $name # exit $rc"; failed=$((failed + 1)) ;;
	esac
	rm -f "$log"
done
[ "$failed" = 0 ]

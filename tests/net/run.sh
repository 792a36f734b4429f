#!/usr/bin/env bash
# The network-healing tests on the host, as root, in namespaces each test
# makes and removes: one TAP line per test, its output as comments.
#   tests/net/run.sh [test_net_01 ...]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tests=()
for t in "$top"/tests/net/test_*.sh; do
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
	timeout 180 "$t" > "/tmp/heal-net-$name.log" 2>&1
	rc=$?
	sed 's/^/# /' "/tmp/heal-net-$name.log"
	case $rc in
	0) echo "ok $n $name # $(( $(date +%s) - start ))s" ;;
	4) echo "ok $n $name # SKIP $(grep -m1 '^SKIP' "/tmp/heal-net-$name.log")" ;;
	*) echo "not ok $n $name # exit $rc"; failed=$((failed + 1)) ;;
	esac
	rm -f "/tmp/heal-net-$name.log"
done
[ "$failed" = 0 ]

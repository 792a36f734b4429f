#!/usr/bin/env bash
# The network-healing tests on the host, as root, in namespaces each test
# makes and removes.
# One TAP line per test, its output as comments (tests/host_run.sh), each
# cut at 180 s.
#   tests/net/run.sh [test_... ...]
here=$(cd "$(dirname "$0")" && pwd) || exit 1
exec "$here/../host_run.sh" "$here" 180 "$@"

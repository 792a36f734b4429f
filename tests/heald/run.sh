#!/usr/bin/env bash
# heald's own tests on the host, as root: the real daemon (ASan+UBSan
# build) in a network namespace, real clients as other users.
# One TAP line per test, its output as comments (tests/host_run.sh), each
# cut at 120 s.
#   tests/heald/run.sh [test_... ...]
here=$(cd "$(dirname "$0")" && pwd) || exit 1
exec "$here/../host_run.sh" "$here" 120 "$@"

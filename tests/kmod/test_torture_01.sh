#!/usr/bin/env bash
# The randomized torture test (issue 11), short and with a fixed seed:
# tests/torture.py's writes, leg faults (dm tables switched under the legs),
# fail-leg, rebuilds, spares, scrubs and destroy + assemble, the whole
# device read back after every step against a model of every block.  A
# longer or other run: make torture SEED=... STEPS=... (TORTURE_SEED and
# TORTURE_STEPS here).  Hard crashes are not in it: each needs a VM boot
# (tests/crash/).
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

seed=${TORTURE_SEED:-11}
steps=${TORTURE_STEPS:-30}
command -v python3 > /dev/null || skip "no python3"
command -v dmsetup > /dev/null || skip "no dmsetup"
modprobe -q dm-mod
# torture.py makes and tears down its own disks (loop under dm linear).
HEALCTL=$HEALCTL python3 "$(dirname "$0")/../torture.py" --seed "$seed" --steps "$steps"
rc=$?
case $rc in
0) exit "$ksft_pass" ;;
4) exit "$ksft_skip" ;;
*) fail "torture.py --seed $seed --steps $steps exited $rc" ;;
esac
